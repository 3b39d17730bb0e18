//! Writing gradients instead of zero-filling and accumulating them.
//!
//! The plain way to compute a gradient is to zero a buffer shaped like the input, then have
//! every use of every placeholder *add* its contribution. For a large weight matrix that is
//! two passes over memory (the zero-fill, then a read-modify-write) where one write would do:
//! the main cost of the 784-300-100-10 gradient (Haskell's `backprop` names the same redundant
//! zero-additions as its main overhead).
//!
//! The ledger lets the first contribution to each slot *overwrite* it and later ones add:
//! - An entry point that runs in this mode starts from a buffer whose leaves may hold anything
//!   (a recycled block for a fresh gradient, or the caller's buffer from the previous step) and
//!   installs a [`Ledger`] for the duration of the backward pass.
//! - Every write into a placeholder's slot asks [`first_write`]: the first write to a slot
//!   overwrites it (a rank-1 product written, not added; an owned gradient moved in), the
//!   ledger remembers the slot, and every later write adds.
//! - After the backward pass, every leaf the ledger has not seen is zeroed
//!   ([`Input::zero_unwritten`](super::Input)), since nothing wrote it.
//!
//! The mode is used only where it is sound by construction: the tree is made of nodes known to
//! write placeholder slots only through [`first_write`] ([`Expr::OVERWRITE`](super::Expr)), every
//! placeholder it writes is a leaf (a scalar, vector or matrix: no slot contains another), and the
//! input type can zero its unwritten leaves ([`Input::LEDGER`](super::Input)). Otherwise the
//! entry points zero the buffer and accumulate, as before. A ledger that fills up makes the
//! entry point run the backward pass again the plain way.

use core::cell::Cell;
use core::mem::MaybeUninit;
use core::ptr;

/// The most slots one backward pass can track.
pub const CAPACITY: usize = 64;

/// The slots written during one backward pass, by address (leaf slots never contain one
/// another, so distinct leaves have distinct addresses).
#[derive(Debug)]
pub struct Ledger {
    /// The first `len` are written; the rest are never read (left uninitialised, so that
    /// starting a ledger costs nothing on a small network's gradient).
    slots: [MaybeUninit<*const ()>; CAPACITY],
    len: usize,
    overflowed: bool,
}

impl Ledger {
    /// An empty ledger.
    pub(crate) const fn new() -> Self {
        Ledger {
            slots: [MaybeUninit::uninit(); CAPACITY],
            len: 0,
            overflowed: false,
        }
    }

    /// The recorded slots.
    fn written(&self) -> &[*const ()] {
        // SAFETY: the first `len` slots are initialised (`first_write` writes a slot before it
        // counts it), and `MaybeUninit<*const ()>` has the layout of `*const ()`.
        unsafe { core::slice::from_raw_parts(self.slots.as_ptr().cast(), self.len) }
    }

    /// Whether a write to the slot at `p` has been recorded.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // A fresh gradient runs its backward pass in ledger mode; the result is the same.
    /// let (y, g) = value_and_grad(|(a, b)| a * b, &(2.0_f64, 3.0_f64));
    /// assert_eq!((y, g), (6.0, (3.0, 2.0)));
    /// ```
    pub fn contains<T>(&self, p: *const T) -> bool {
        self.written().contains(&p.cast())
    }

    /// Whether more slots were written than the ledger holds.
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed
    }
}

thread_local! {
    // The ledger of the backward pass running on this thread, if it runs in ledger mode.
    static ACTIVE: Cell<*mut Ledger> = const { Cell::new(ptr::null_mut()) };
}

/// Runs `f` with `ledger` installed on this thread (the previous one, if an entry point runs
/// inside another's closure, is restored afterwards, also on a panic).
pub(crate) fn with_ledger<R>(ledger: &mut Ledger, f: impl FnOnce() -> R) -> R {
    struct Restore(*mut Ledger);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTIVE.with(|a| a.replace(ledger)));
    f()
}

/// Runs `f` with no ledger installed: for entry points that accumulate (an entry point called
/// inside a ledger-mode pass must not see the outer pass's ledger).
pub(crate) fn without_ledger<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(*mut Ledger);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTIVE.with(|a| a.replace(ptr::null_mut())));
    f()
}

/// Whether this is the first write to `slot` in a ledger-mode backward pass (and records it).
/// Always `false` outside ledger mode, and once the ledger is full.
#[inline]
pub(crate) fn first_write<T>(slot: &T) -> bool {
    let p = ACTIVE.with(Cell::get);
    if p.is_null() {
        return false;
    }
    // SAFETY: a non-null pointer is installed by `with_ledger` from a `&mut Ledger` that
    // outlives the call it wraps, and removed when that call returns; the thread-local makes
    // it this thread's alone, and nothing else touches the ledger while that call runs (the
    // entry point that owns it waits for the backward pass), so this is the only reference.
    let ledger = unsafe { &mut *p };
    let key = (slot as *const T).cast::<()>();
    if ledger.written().contains(&key) {
        return false;
    }
    if ledger.len == CAPACITY {
        ledger.overflowed = true;
        return false;
    }
    ledger.slots[ledger.len] = MaybeUninit::new(key);
    ledger.len += 1;
    true
}
