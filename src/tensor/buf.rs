//! Inline-or-boxed element storage shared by [`Vector`](super::Vector) and
//! [`Matrix`](super::Matrix).

use super::pool;
use crate::Scalar;

/// Tensors with at most this many elements are stored inline (no heap allocation).
///
/// ```
/// assert_eq!(backprop::INLINE_LEN, 16);
/// ```
pub const INLINE_LEN: usize = 16;

/// Element storage. The length is not stored: the owning tensor knows it from its type.
///
/// Heap blocks come from, and go back to, the per-thread cache in [`pool`]: a loop that builds
/// the same large tensors on every step allocates nothing once it has run once.
pub(crate) enum Buf<T> {
    Inline([T; INLINE_LEN]),
    Heap(Box<[T]>),
}

impl<T: Scalar> Buf<T> {
    #[inline]
    pub(crate) fn from_fn(len: usize, mut f: impl FnMut(usize) -> T) -> Self {
        if len <= INLINE_LEN {
            let mut a = [T::zero(); INLINE_LEN];
            for (i, x) in a[..len].iter_mut().enumerate() {
                *x = f(i);
            }
            Buf::Inline(a)
        } else {
            Buf::Heap(pool::boxed(len, f))
        }
    }

    #[inline]
    pub(crate) fn filled(len: usize, value: T) -> Self {
        if len <= INLINE_LEN {
            Buf::Inline([value; INLINE_LEN])
        } else {
            Buf::Heap(pool::boxed_filled(len, value))
        }
    }

    /// Storage whose values are unspecified (see `pool::boxed_stale`): every element will be
    /// written or zeroed before it is read.
    #[inline]
    pub(crate) fn stale(len: usize) -> Self {
        if len <= INLINE_LEN {
            Buf::Inline([T::zero(); INLINE_LEN])
        } else {
            Buf::Heap(pool::boxed_stale(len, T::zero()))
        }
    }

    /// Takes ownership of a `Vec` of exactly `len` elements without copying large data.
    pub(crate) fn from_vec(len: usize, v: Vec<T>) -> Self {
        debug_assert_eq!(v.len(), len);
        if len <= INLINE_LEN {
            Self::from_fn(len, |i| v[i])
        } else {
            Buf::Heap(v.into_boxed_slice())
        }
    }

    #[inline(always)]
    pub(crate) fn as_slice(&self, len: usize) -> &[T] {
        match self {
            Buf::Inline(a) => &a[..len],
            Buf::Heap(b) => b,
        }
    }

    #[inline(always)]
    pub(crate) fn as_mut_slice(&mut self, len: usize) -> &mut [T] {
        match self {
            Buf::Inline(a) => &mut a[..len],
            Buf::Heap(b) => b,
        }
    }
}

impl<T: Clone> Clone for Buf<T> {
    fn clone(&self) -> Self {
        match self {
            Buf::Inline(a) => Buf::Inline(a.clone()),
            Buf::Heap(b) => Buf::Heap(pool::boxed(b.len(), |i| b[i].clone())),
        }
    }
}

impl<T> Drop for Buf<T> {
    fn drop(&mut self) {
        if let Buf::Heap(b) = self {
            pool::recycle(core::mem::take(b));
        }
    }
}
