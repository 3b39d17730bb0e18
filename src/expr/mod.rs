//! The core of the static engine: expression nodes and the traits that run them.
//!
//! A computation is a value of a node type (`Zip<Mul, Placeholder<..>, Map<Sin, Placeholder<..>>>`, ...):
//! [`Expr`] gives its output type, [`Diff`] runs it forward and backward on an input. Nodes are
//! plain structs, mostly zero-sized; forward and backward passes monomorphize into
//! straight-line code, with no tape, no `Rc`, no `RefCell` and no boxing.
//!
//! Users rarely name node types: they write a closure over placeholders (see [`Input`]) and an
//! entry point ([`grad`](crate::grad), [`eval`](crate::eval), ...) runs the tree it returns.

mod bind;
mod constant;
mod input;
pub(crate) mod ledger;
mod scope;

pub use bind::{tuple, Bind, Then};
pub use constant::{constant, Const, Lit, Zeros};
pub use input::{Input, Path, Placeholder};
pub use scope::Within;

pub(crate) use input::{Root, TupleField};
pub(crate) use scope::{reading, reading_and_writing, AtLeast, Depth, Frame, MaxOf, ScopeOf, S, Z};

/// The machinery behind placeholders: lens paths into the input ([`Root`](internal::Root),
/// [`Field`](internal::Field)), the scope depths that keep a placeholder in its own closure
/// ([`Z`](internal::Z), [`S`](internal::S), [`Frame`](internal::Frame)), and the traits that
/// run them. Public only because placeholder types and `#[derive(Backprop)]`'s output name
/// them: not part of the API, and every trait in it is sealed. Name placeholder types with
/// [`Placeholders`](crate::entry::Placeholders) instead.
#[doc(hidden)]
pub mod internal {
    pub use super::input::{Field, Locate, Path, Root, SameScope, Side, TupleField};
    pub use super::ledger::Ledger;
    pub use super::scope::{AtLeast, Depth, Frame, MaxOf, No, SameDepth, ScopeOf, Yes, S, Z};
}

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::Backprop;

/// What seals [`Expr`] and [`Diff`]: a type no other crate can name, so no other crate can
/// write the item `seal!()` adds to every impl.
pub(crate) mod sealed {
    /// The seal's type (public in a private module: usable here, unnameable elsewhere).
    #[derive(Clone, Copy, Debug)]
    pub struct Token;

    /// Whether a gradient type is a leaf (a scalar, vector or matrix: it contains no other
    /// gradient slot): the type of `Backprop::LEAF`, unnameable outside the crate, so that only
    /// the crate's own types can claim it.
    #[derive(Clone, Copy, Debug)]
    pub struct Leaf(pub bool);
}

/// The item that seals an impl of [`Expr`] or [`Diff`]: put `crate::expr::seal!();` in each.
macro_rules! seal {
    () => {
        #[doc(hidden)]
        const SEALED: $crate::expr::sealed::Token = $crate::expr::sealed::Token;
    };
}
pub(crate) use seal;

/// Raw pointer to field `$idx` of the tuple behind the raw pointer `$p`: no reference is made,
/// so taking one field's address never invalidates a reference to another field.
///
/// Each `forward` takes its cache's pointer once (`let p = cache.as_mut_ptr();`) and derives
/// every field from it: a fresh `as_mut_ptr` per field would reborrow the whole tuple and
/// invalidate the references to fields written before (a Stacked Borrows violation).
macro_rules! field {
    ($p:expr, $idx:tt) => {{
        let p = $p;
        // SAFETY: `p` points to a (possibly uninitialised) tuple inside a live
        // `MaybeUninit`; `addr_of_mut!` computes a field's address without reading or
        // referencing anything.
        unsafe { core::ptr::addr_of_mut!((*p).$idx) }
    }};
}
pub(crate) use field;

/// Field `$idx` of the tuple behind the raw pointer `$p`, as `&mut MaybeUninit<Field>`: how a
/// node writes its children's caches in place.
macro_rules! slot {
    ($p:expr, $idx:tt) => {{
        let f = $crate::expr::field!($p, $idx);
        // SAFETY: `f` is in bounds of a live allocation the caller holds uniquely; fields are
        // disjoint, so this reference aliases no other field's; `MaybeUninit<T>` has the
        // layout of `T` and no validity requirement.
        unsafe { $crate::expr::uninit_mut(f) }
    }};
}
pub(crate) use slot;

/// Field `$idx` of the tuple behind `$p`, just written: a guard that drops it if the rest of the
/// node's `forward` unwinds (a panicking user closure), so that a panic leaks nothing. Call
/// `.disarm()` on every guard once the whole cache is written.
macro_rules! written {
    ($p:expr, $idx:tt) => {{
        let f = $crate::expr::field!($p, $idx);
        // SAFETY: the caller has just initialised this field, and nothing else drops it before
        // the guard is disarmed (a cache under construction is a `MaybeUninit`).
        unsafe { $crate::expr::DropOnUnwind::new(f) }
    }};
}
pub(crate) use written;

/// Runs each child's `forward` into field `$i` of the tuple behind the raw pointer `$q`, in
/// order, and returns a tuple of guards (see `written!`), one per child: if a later child
/// panics, the caches of the earlier ones are dropped.
macro_rules! forward_children {
    ($x:expr, $q:expr, $($child:expr => $i:tt),+) => {
        ($({
            $child.forward($x, $crate::expr::slot!($q, $i));
            $crate::expr::written!($q, $i)
        },)+)
    };
}
pub(crate) use forward_children;

/// `&mut MaybeUninit<T>` from a raw pointer.
///
/// # Safety
/// `p` must be valid for writes for the lifetime `'a`, and not aliased by another live
/// reference during it.
#[inline(always)]
pub(crate) unsafe fn uninit_mut<'a, T>(p: *mut T) -> &'a mut MaybeUninit<T> {
    // SAFETY: the caller's contract; `MaybeUninit<T>` is `repr(transparent)` over `T`.
    unsafe { &mut *p.cast::<MaybeUninit<T>>() }
}

/// Drops an initialised value behind a raw pointer unless disarmed: what keeps a panic in the
/// middle of a `forward` from leaking the caches written before it.
pub(crate) struct DropOnUnwind<T>(*mut T);

impl<T> DropOnUnwind<T> {
    /// A guard for the value at `p`.
    ///
    /// # Safety
    /// `p` must point to an initialised `T` that stays valid, and that nothing else drops,
    /// until the guard is dropped or disarmed.
    #[inline(always)]
    pub(crate) unsafe fn new(p: *mut T) -> Self {
        DropOnUnwind(p)
    }
    /// The value is now owned by a complete cache: do not drop it.
    #[inline(always)]
    pub(crate) fn disarm(self) {
        core::mem::forget(self)
    }
}

impl<T> Drop for DropOnUnwind<T> {
    fn drop(&mut self) {
        // SAFETY: `new`'s contract: the value is initialised and ours to drop; a guard is only
        // dropped (rather than disarmed) while unwinding out of the `forward` that wrote it.
        unsafe { core::ptr::drop_in_place(self.0) }
    }
}

/// Reads a slot that `forward` has just initialised.
#[inline(always)]
pub(crate) fn init<T>(slot: &MaybeUninit<T>) -> &T {
    // SAFETY: only called on slots a `Diff::forward` call wrote, and every `forward` (all of
    // them are this crate's: `Diff` is sealed) initialises its whole cache or unwinds.
    unsafe { slot.assume_init_ref() }
}

/// Reads the tuple field at `p`, which `forward` has just initialised.
///
/// # Safety
/// The field must be initialised and not mutably borrowed for `'a`.
#[inline(always)]
pub(crate) unsafe fn init_ptr<'a, T>(p: *mut T) -> &'a T {
    // SAFETY: the caller's contract.
    unsafe { &*p }
}

/// Sends a whole gradient `g` to child `a`: added straight into a placeholder's slot, or passed
/// to the child's backward pass. Nothing is done when `a` needs no gradient.
#[inline(always)]
pub(crate) fn send_owned<In, A: Diff<In>>(a: &A, x: &In, cache: &A::Cache, dx: &mut In, g: A::Out) {
    if !A::NEEDS_GRAD {
        return;
    }
    match a.grad_slot(dx) {
        // The first write in a ledger-mode pass moves the gradient in (the stale value it
        // replaces is dropped); later ones add.
        Some(slot) if ledger::first_write(slot) => *slot = g,
        Some(slot) => slot.accumulate(&g),
        None => a.backward(x, cache, g, dx),
    }
}

/// Runs `e` forward at `x` and returns its cache by value: for nodes that keep one cache per
/// element of a sequence.
#[inline(always)]
pub(crate) fn forward_owned<In, N: Diff<In>>(e: &N, x: &In) -> N::Cache {
    let mut cache = MaybeUninit::uninit();
    e.forward(x, &mut cache);
    // SAFETY: `forward` initialises the whole cache or unwinds (every impl is this crate's:
    // `Diff` is sealed), and on unwinding nothing here is dropped.
    unsafe { cache.assume_init() }
}

/// Runs `e` forward at `x` with its cache built in place (no copies of nested caches), hands the
/// cache to `k`, then drops it.
#[inline(always)]
pub(crate) fn with_forward<In, N: Diff<In>, R>(e: &N, x: &In, k: impl FnOnce(&N::Cache) -> R) -> R {
    struct Guard<C>(MaybeUninit<C>);
    impl<C> Drop for Guard<C> {
        fn drop(&mut self) {
            // SAFETY: the guard is only built after `forward` returned, so the cache is
            // initialised (`Diff` is sealed: every `forward` is this crate's and writes it all).
            unsafe { self.0.assume_init_drop() }
        }
    }
    let mut cache = MaybeUninit::uninit();
    e.forward(x, &mut cache);
    let guard = Guard(cache);
    k(init(&guard.0))
}

/// A node's static facts, known before its input type: its output type, the scope depth of the
/// placeholders inside it, and whether any of its leaves wants a gradient.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::expr::Expr;
/// fn out_of<N: Expr>(_: &Ex<N>) -> &'static str { std::any::type_name::<N::Out>() }
/// let v = Vector::<f64, U3>::zeros();
/// assert_eq!(out_of(&constant(&v).sum()), "f64");
/// ```
pub trait Expr {
    /// The type of the value this node computes.
    type Out: Backprop;
    /// The deepest `.then` scope among the placeholders in this node ([`Z`] at top level).
    type Depth: Depth;
    /// False when no leaf below needs a gradient (only constants): backward skips the node.
    const NEEDS_GRAD: bool;
    /// True when the backward pass of this node and of every node below writes placeholder
    /// slots only through the ledger's checks, and every placeholder below is a leaf (a
    /// scalar, vector or matrix): the condition for a ledger-mode backward pass (see
    /// `expr::ledger`). False, the safe answer, unless a node says otherwise.
    #[doc(hidden)]
    const OVERWRITE: bool = false;
    /// Seals the trait (see [`Diff`]).
    #[doc(hidden)]
    const SEALED: sealed::Token;
}

/// Running a node on an input of type `In`: forward, value, backward.
///
/// Backward *adds* into `dx`, so a placeholder read by two branches gets the sum of both
/// contributions with no bookkeeping.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::expr::{Diff, Placeholder};
/// let x: Placeholders<f64> = Ex(Placeholder::new());
/// let e = x.sin();
/// let x = 0.5_f64;
/// let mut cache = std::mem::MaybeUninit::uninit();
/// e.0.forward(&x, &mut cache);
/// let cache = unsafe { cache.assume_init() };
/// assert_eq!(*e.0.value(&x, &cache), 0.5_f64.sin());
/// let mut dx = 0.0;
/// e.0.backward(&x, &cache, 1.0, &mut dx);
/// assert_eq!(dx, 0.5_f64.cos());
/// ```
///
/// # Sealed
///
/// `Diff` and [`Expr`] are implemented by this crate's nodes only. The engine builds caches in
/// place, in uninitialised memory, and reads them back without a check: a `forward` that left
/// part of its cache unwritten would make safe code read garbage (undefined behaviour). Of the
/// ways to rule that out, sealing keeps the hot path free of any runtime check and keeps the
/// contract out of users' hands; an `unsafe trait` would hand it to every user who writes a
/// node, and a write token would need a branded lifetime threaded through every cache.
/// Operations of your own plug in through safe extension points instead, whose methods
/// *return* their values, so nothing unsafe depends on them: [`op`](crate::op),
/// [`op2`](crate::op2), [`op3`](crate::op3) (a forward closure returning its backward closure),
/// [`Ex::map`] (an elementwise function and its derivative), and [`UnaryOp`](crate::ops::UnaryOp)
/// / [`BinaryOp`](crate::ops::BinaryOp) through [`Ex::apply`] and
/// [`apply2`](crate::ops::apply2).
///
/// ```compile_fail
/// use backprop::expr::{Diff, Expr};
/// struct Mine;
/// impl Expr for Mine {
///     type Out = f64;
///     type Depth = backprop::expr::internal::Z;
///     const NEEDS_GRAD: bool = true;
/// }
/// ```
pub trait Diff<In>: Expr {
    /// What forward keeps for backward (this node's output and its children's caches).
    type Cache;
    /// Seals the trait: the engine's unsafe code trusts every `forward` to write its whole
    /// cache, so only this crate's nodes may implement it.
    #[doc(hidden)]
    const SEALED: sealed::Token;
    /// Runs the forward pass and writes what backward needs into `cache`, in place.
    ///
    /// It must initialise all of `cache` (or panic). Writing in place, rather than returning the
    /// cache, keeps the caches of deep trees from being copied once per level.
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>);
    /// This node's output, from the input (for placeholders) or from the cache.
    fn value<'a>(&'a self, x: &'a In, cache: &'a Self::Cache) -> &'a Self::Out;
    /// Adds `dy` (the gradient of the result with respect to this node's output), carried
    /// back to the leaves, into `dx`.
    fn backward(&self, x: &In, cache: &Self::Cache, dy: Self::Out, dx: &mut In);
    /// The value only: no cache is kept, placeholders and constants are borrowed, not copied.
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out>;
    /// For a placeholder, the place in `dx` where its gradient accumulates, so that a parent
    /// can write its contribution there directly (a rank-1 update into a weight gradient,
    /// with no temporary matrix). `None` for every other node.
    #[inline(always)]
    fn grad_slot<'a>(&self, dx: &'a mut In) -> Option<&'a mut Self::Out> {
        let _ = dx;
        None
    }
}

/// An expression: the wrapper every user-facing operator and method works on.
///
/// `Ex` is `Copy` whenever its node is (placeholders and constants always are), so a
/// placeholder can be used any number of times. A *compound* expression used twice through a
/// Rust `let` is computed twice; bind it with [`Bind::then`] to compute it once.
///
/// ```
/// use backprop::prelude::*;
/// let (y, dy) = value_and_grad(|x| x * x + 1.0, &3.0_f64);
/// assert_eq!((y, dy), (10.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Ex<N>(pub N);

/// Sends a gradient contribution to child `a`: `write` *adds* it into `a`'s gradient. A
/// placeholder child gets it written straight into its slot in `dx` (no temporary); any other
/// child gets a zeroed buffer of its output's shape and its own backward pass. Nothing is done
/// when `a` needs no gradient.
///
/// In a ledger-mode pass, the first write to a slot zeroes it first (it may hold a stale
/// value); [`send_or_write`] lets a node write that first contribution directly instead.
#[inline(always)]
pub(crate) fn send<In, A: Diff<In>>(
    a: &A,
    x: &In,
    cache: &A::Cache,
    dx: &mut In,
    write: impl FnOnce(&mut A::Out),
) {
    send_or_write(a, x, cache, dx, write, |slot: &mut A::Out, add| {
        slot.set_zero();
        add(slot)
    })
}

/// [`send`] with a second way to deliver the contribution: `overwrite(slot, add)` is called
/// for the first write to a placeholder's slot in a ledger-mode pass, and for the temporary
/// gradient of a child that is not a placeholder; it must leave in `slot` exactly the
/// contribution, whatever `slot` held before (it must never read it). It gets `add` back for
/// the cases it does not write directly.
#[inline(always)]
pub(crate) fn send_or_write<In, A: Diff<In>, W: FnOnce(&mut A::Out)>(
    a: &A,
    x: &In,
    cache: &A::Cache,
    dx: &mut In,
    add: W,
    overwrite: impl FnOnce(&mut A::Out, W),
) {
    if !A::NEEDS_GRAD {
        return;
    }
    if let Some(slot) = a.grad_slot(dx) {
        if ledger::first_write(slot) {
            overwrite(slot, add);
        } else {
            add(slot);
        }
    } else {
        // A temporary for the child's own backward pass, written by `overwrite` (so it need not
        // be zeroed first).
        let mut g = a.value(x, cache).stale_like();
        overwrite(&mut g, add);
        a.backward(x, cache, g, dx);
    }
}
