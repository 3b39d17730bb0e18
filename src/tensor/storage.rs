//! Element storage sized by the type: a tensor of at most [`INLINE_LEN`] elements holds them
//! in a plain array of exactly its length (`[T; n]`, no heap, no padding, no tag), a larger one
//! in a boxed slice (so a 300x784 matrix never touches the stack).
//!
//! The choice is made at the type level: each dimension names its [`Size`] class
//! ([`Dim::Size`](crate::Dim::Size)), and the class names the storage of a vector of that length
//! ([`Size::Vector`]) and of a matrix with that many rows ([`Size::Matrix`]). Nothing branches
//! at run time and nothing here is `unsafe`.
//!
//! | dimensions | storage |
//! |---|---|
//! | `Vector<T, U3>` | `[T; 3]` |
//! | `Matrix<T, U4, U4>`, `Matrix<T, U1, U16>` | `[T; 16]` |
//! | `Matrix<T, U2, U16>`, `Vector<T, U17>`, typenum sizes | `Box<[T]>` (from the block cache) |
//!
//! A matrix's storage depends on the product of its dimensions, which typenum cannot compute
//! for generic dimensions without a bound at every use. So each small class `S1` .. `S16` lists
//! the storage of `k` times its size for `k` in 1 ..= 16 (`Times1` .. `Times16`), and
//! `Matrix<T, R, C>` stores `<R::Size as Size>::Matrix<T, C::Size>`, which is `C`'s `Times{r}`:
//! the table below, written out once.

use super::pool;
use crate::Scalar;

/// Tensors with at most this many elements are stored inline (no heap allocation).
///
/// ```
/// assert_eq!(backprop::INLINE_LEN, 16);
/// ```
pub const INLINE_LEN: usize = 16;

/// What a tensor needs of its element storage. Implemented by `[T; n]` and by [`Heap`] only
/// (the trait is sealed: it is named in public signatures but lives in a hidden module).
///
/// Every constructor takes the length the owner's type gives (`N::USIZE`, `R::USIZE *
/// C::USIZE`), which for an array equals its own length (checked in debug builds).
pub trait Storage<T>: Sized + sealed::Sealed {
    /// `len` elements, element `i` being `f(i)`.
    fn from_fn(len: usize, f: impl FnMut(usize) -> T) -> Self;
    /// The elements.
    fn as_slice(&self) -> &[T];
    /// The elements, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
    /// A copy of the elements.
    fn cloned(&self) -> Self
    where
        T: Clone;
    /// `len` copies of `value`.
    #[inline]
    fn filled(len: usize, value: T) -> Self
    where
        T: Copy,
    {
        Self::from_fn(len, |_| value)
    }
    /// Storage whose values are unspecified (see `pool::boxed_stale`): every element will be
    /// written or zeroed before it is read.
    #[inline]
    fn stale(len: usize) -> Self
    where
        T: Scalar,
    {
        Self::filled(len, T::zero())
    }
    /// Takes a `Vec` of exactly `len` elements (without copying large data).
    fn from_vec(len: usize, v: Vec<T>) -> Self
    where
        T: Copy,
    {
        assert_eq!(v.len(), len, "a Vec of another length than the tensor");
        Self::from_fn(len, |i| v[i])
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T, const K: usize> Sealed for [T; K] {}
    impl<T> Sealed for super::Heap<T> {}
    pub trait SealedSize {}
}

impl<T, const K: usize> Storage<T> for [T; K] {
    #[inline(always)]
    fn from_fn(len: usize, f: impl FnMut(usize) -> T) -> Self {
        debug_assert_eq!(len, K);
        core::array::from_fn(f)
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
    #[inline(always)]
    fn cloned(&self) -> Self
    where
        T: Clone,
    {
        self.clone()
    }
}

/// Heap storage: a boxed slice whose block comes from, and goes back to, the per-thread cache
/// in `pool`, so a loop that builds the same large tensors on every step does not allocate
/// them again.
pub struct Heap<T>(Box<[T]>);

impl<T> Drop for Heap<T> {
    fn drop(&mut self) {
        pool::recycle(core::mem::take(&mut self.0));
    }
}

impl<T> Storage<T> for Heap<T> {
    #[inline]
    fn from_fn(len: usize, f: impl FnMut(usize) -> T) -> Self {
        Heap(pool::boxed(len, f))
    }
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        &self.0
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.0
    }
    #[inline]
    fn cloned(&self) -> Self
    where
        T: Clone,
    {
        let src = &self.0;
        Heap(pool::boxed(src.len(), |i| src[i].clone()))
    }
    #[inline]
    fn filled(len: usize, value: T) -> Self
    where
        T: Copy,
    {
        Heap(pool::boxed_filled(len, value))
    }
    #[inline]
    fn stale(len: usize) -> Self
    where
        T: Scalar,
    {
        Heap(pool::boxed_stale(len, T::zero()))
    }
    fn from_vec(len: usize, v: Vec<T>) -> Self
    where
        T: Copy,
    {
        assert_eq!(v.len(), len, "a Vec of another length than the tensor");
        Heap(v.into_boxed_slice())
    }
}

/// The size class of a dimension (sealed): `S0` .. `S16` for the sizes that are stored
/// inline, `Big` for every other size (and for typenum numbers, which are always boxed).
pub trait Size: sealed::SealedSize + 'static {
    /// The storage of a vector of this length.
    type Vector<T>: Storage<T>;
    /// The storage of a matrix with this many rows and `C` columns.
    type Matrix<T, C: Size>: Storage<T>;
    #[doc(hidden)]
    type Times1<T>: Storage<T>;
    #[doc(hidden)]
    type Times2<T>: Storage<T>;
    #[doc(hidden)]
    type Times3<T>: Storage<T>;
    #[doc(hidden)]
    type Times4<T>: Storage<T>;
    #[doc(hidden)]
    type Times5<T>: Storage<T>;
    #[doc(hidden)]
    type Times6<T>: Storage<T>;
    #[doc(hidden)]
    type Times7<T>: Storage<T>;
    #[doc(hidden)]
    type Times8<T>: Storage<T>;
    #[doc(hidden)]
    type Times9<T>: Storage<T>;
    #[doc(hidden)]
    type Times10<T>: Storage<T>;
    #[doc(hidden)]
    type Times11<T>: Storage<T>;
    #[doc(hidden)]
    type Times12<T>: Storage<T>;
    #[doc(hidden)]
    type Times13<T>: Storage<T>;
    #[doc(hidden)]
    type Times14<T>: Storage<T>;
    #[doc(hidden)]
    type Times15<T>: Storage<T>;
    #[doc(hidden)]
    type Times16<T>: Storage<T>;
}

macro_rules! size_classes {
    ($($class:ident $times:ident: $($t:ty),+;)*) => {$(
        #[doc = concat!("The size class `", stringify!($class), "` (see [`Size`]).")]
        #[derive(Clone, Copy, Debug)]
        pub enum $class {}
        impl sealed::SealedSize for $class {}
        impl Size for $class {
            type Vector<T> = <Self as Size>::Times1<T>;
            type Matrix<T, C: Size> = <C as Size>::$times<T>;
            size_classes!(@times $($t),+);
        }
    )*};
    (@times $t1:ty, $t2:ty, $t3:ty, $t4:ty, $t5:ty, $t6:ty, $t7:ty, $t8:ty, $t9:ty, $t10:ty,
        $t11:ty, $t12:ty, $t13:ty, $t14:ty, $t15:ty, $t16:ty) => {
        type Times1<T> = $t1;
        type Times2<T> = $t2;
        type Times3<T> = $t3;
        type Times4<T> = $t4;
        type Times5<T> = $t5;
        type Times6<T> = $t6;
        type Times7<T> = $t7;
        type Times8<T> = $t8;
        type Times9<T> = $t9;
        type Times10<T> = $t10;
        type Times11<T> = $t11;
        type Times12<T> = $t12;
        type Times13<T> = $t13;
        type Times14<T> = $t14;
        type Times15<T> = $t15;
        type Times16<T> = $t16;
    };
}

// Row `Sn`, column `k`: the storage of `n * k` elements, inline up to `INLINE_LEN` (16).
// `Sn::Matrix<T, C>` is `C::Timesn<T>`: an `n x c` matrix has `c * n` elements.
size_classes! {
    S1 Times1: [T; 1], [T; 2], [T; 3], [T; 4], [T; 5], [T; 6], [T; 7], [T; 8], [T; 9], [T; 10], [T; 11], [T; 12], [T; 13], [T; 14], [T; 15], [T; 16];
    S2 Times2: [T; 2], [T; 4], [T; 6], [T; 8], [T; 10], [T; 12], [T; 14], [T; 16], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S3 Times3: [T; 3], [T; 6], [T; 9], [T; 12], [T; 15], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S4 Times4: [T; 4], [T; 8], [T; 12], [T; 16], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S5 Times5: [T; 5], [T; 10], [T; 15], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S6 Times6: [T; 6], [T; 12], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S7 Times7: [T; 7], [T; 14], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S8 Times8: [T; 8], [T; 16], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S9 Times9: [T; 9], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S10 Times10: [T; 10], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S11 Times11: [T; 11], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S12 Times12: [T; 12], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S13 Times13: [T; 13], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S14 Times14: [T; 14], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S15 Times15: [T; 15], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
    S16 Times16: [T; 16], Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>;
}

/// The size class of length 0: every tensor with a zero dimension is an empty array.
#[derive(Clone, Copy, Debug)]
pub enum S0 {}
impl sealed::SealedSize for S0 {}
impl Size for S0 {
    type Vector<T> = [T; 0];
    type Matrix<T, C: Size> = [T; 0];
    size_classes!(@times [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0],
        [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0], [T; 0]);
}

/// The size class of every length above [`INLINE_LEN`] (and of typenum numbers): boxed.
#[derive(Clone, Copy, Debug)]
pub enum Big {}
impl sealed::SealedSize for Big {}
impl Size for Big {
    type Vector<T> = Heap<T>;
    // A zero-column matrix lands here too: a boxed slice of length 0, which allocates nothing.
    type Matrix<T, C: Size> = Heap<T>;
    size_classes!(@times Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>,
        Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>, Heap<T>);
}
