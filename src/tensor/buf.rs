//! Inline-or-boxed element storage shared by [`Vector`](super::Vector) and
//! [`Matrix`](super::Matrix).

use crate::Scalar;

/// Tensors with at most this many elements are stored inline (no heap allocation).
///
/// ```
/// assert_eq!(backprop::INLINE_LEN, 16);
/// ```
pub const INLINE_LEN: usize = 16;

/// Element storage. The length is not stored: the owning tensor knows it from its type.
#[derive(Clone)]
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
            Buf::Heap((0..len).map(f).collect())
        }
    }

    #[inline]
    pub(crate) fn filled(len: usize, value: T) -> Self {
        if len <= INLINE_LEN {
            Buf::Inline([value; INLINE_LEN])
        } else {
            Buf::Heap(vec![value; len].into_boxed_slice())
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
