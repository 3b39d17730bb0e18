//! Inline-or-boxed element storage shared by [`Vector`](super::Vector) and
//! [`Matrix`](super::Matrix).

use core::mem::{ManuallyDrop, MaybeUninit};

use super::pool;
use crate::Scalar;

/// Tensors with at most this many elements are stored inline (no heap allocation).
///
/// ```
/// assert_eq!(backprop::INLINE_LEN, 16);
/// ```
pub const INLINE_LEN: usize = 16;

/// Element storage, with no tag: which field holds the elements follows from the length, which
/// the owning tensor knows from its type. A tensor of `len <= INLINE_LEN` elements keeps them
/// in the first `len` entries of `inline`; a larger one in `heap`, a box of exactly `len`.
///
/// Without a tag a 16-element `f64` vector is 128 bytes rather than 136, small enough for the
/// compiler to move it with a few vector instructions instead of a call to `memcpy` (on the
/// 2-16-16-1 gradient, `memmove` fell from 13% of the profile to under 2%); and the choice of
/// field is a constant after inlining, so no access branches at run time.
///
/// # Invariant
/// Every method takes the `len` the value was built with (each owner passes the constant of its
/// type: `N::USIZE`, `R::USIZE * C::USIZE`), so each method reads the field that was written.
/// The owner drops the storage with [`drop_with`](Buf::drop_with) (a union has no drop glue).
///
/// Heap blocks come from, and go back to, the per-thread cache in [`pool`]: a loop that builds
/// the same large tensors on every step does not allocate them again.
pub(crate) union Buf<T> {
    inline: ManuallyDrop<[MaybeUninit<T>; INLINE_LEN]>,
    heap: ManuallyDrop<Box<[T]>>,
}

impl<T> Buf<T> {
    /// `len` elements, element `i` being `f(i)`.
    #[inline]
    pub(crate) fn from_fn(len: usize, mut f: impl FnMut(usize) -> T) -> Self {
        if len <= INLINE_LEN {
            let mut a = [const { MaybeUninit::uninit() }; INLINE_LEN];
            for (i, x) in a[..len].iter_mut().enumerate() {
                x.write(f(i));
            }
            Buf {
                inline: ManuallyDrop::new(a),
            }
        } else {
            Buf {
                heap: ManuallyDrop::new(pool::boxed(len, f)),
            }
        }
    }

    /// The elements.
    ///
    /// # Safety
    /// `len` is the length this value was built with.
    #[inline(always)]
    pub(crate) unsafe fn as_slice(&self, len: usize) -> &[T] {
        if len <= INLINE_LEN {
            // SAFETY: built inline (the caller's `len`), with the first `len` entries written;
            // `MaybeUninit<T>` has `T`'s layout.
            unsafe { core::slice::from_raw_parts(self.inline.as_ptr().cast::<T>(), len) }
        } else {
            // SAFETY: built on the heap (the caller's `len`).
            unsafe { &self.heap }
        }
    }

    /// The elements, mutably.
    ///
    /// # Safety
    /// `len` is the length this value was built with.
    #[inline(always)]
    pub(crate) unsafe fn as_mut_slice(&mut self, len: usize) -> &mut [T] {
        if len <= INLINE_LEN {
            // SAFETY: as in `as_slice`; the borrow is unique.
            unsafe { core::slice::from_raw_parts_mut(self.inline.as_mut_ptr().cast::<T>(), len) }
        } else {
            // SAFETY: built on the heap (the caller's `len`).
            unsafe { &mut self.heap }
        }
    }

    /// Drops the elements (and returns a heap block to the cache).
    ///
    /// # Safety
    /// `len` is the length this value was built with, and the value is not used afterwards.
    #[inline]
    pub(crate) unsafe fn drop_with(&mut self, len: usize) {
        if len <= INLINE_LEN {
            if core::mem::needs_drop::<T>() {
                // SAFETY: the first `len` entries are initialised and dropped once, here.
                unsafe { core::ptr::drop_in_place(self.as_mut_slice(len)) };
            }
        } else {
            // SAFETY: built on the heap; taken once, here.
            pool::recycle(unsafe { ManuallyDrop::take(&mut self.heap) });
        }
    }

    /// A copy of the elements.
    ///
    /// # Safety
    /// `len` is the length this value was built with.
    #[inline]
    pub(crate) unsafe fn clone_with(&self, len: usize) -> Self
    where
        T: Clone,
    {
        // SAFETY: the caller's `len`.
        let src = unsafe { self.as_slice(len) };
        Self::from_fn(len, |i| src[i].clone())
    }
}

impl<T: Scalar> Buf<T> {
    /// `len` copies of `value`.
    #[inline]
    pub(crate) fn filled(len: usize, value: T) -> Self {
        if len <= INLINE_LEN {
            Self::from_fn(len, |_| value)
        } else {
            Buf {
                heap: ManuallyDrop::new(pool::boxed_filled(len, value)),
            }
        }
    }

    /// Storage whose values are unspecified (see `pool::boxed_stale`): every element will be
    /// written or zeroed before it is read.
    #[inline]
    pub(crate) fn stale(len: usize) -> Self {
        if len <= INLINE_LEN {
            Self::filled(len, T::zero())
        } else {
            Buf {
                heap: ManuallyDrop::new(pool::boxed_stale(len, T::zero())),
            }
        }
    }

    /// Takes ownership of a `Vec` of exactly `len` elements without copying large data.
    pub(crate) fn from_vec(len: usize, v: Vec<T>) -> Self {
        assert_eq!(v.len(), len, "a Vec of another length than the tensor");
        if len <= INLINE_LEN {
            Self::from_fn(len, |i| v[i])
        } else {
            Buf {
                heap: ManuallyDrop::new(v.into_boxed_slice()),
            }
        }
    }
}
