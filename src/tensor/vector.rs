//! `Vector<T, N>`: a column vector of `N` scalars.

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Index, IndexMut};

use typenum::{Const, ToUInt, U};

use crate::dims::ToDim;
use crate::Dim;

use super::storage::{Size, Storage};
use super::{ShapeError, Tensor};
use crate::Scalar;

/// A vector of `N` elements of type `T`, with `N` a typenum dimension (`U3`, `U784`).
///
/// Built from an array, a function of the index, or runtime-sized data (which returns a
/// [`ShapeError`] when the length is wrong, never a panic).
///
/// ```
/// use backprop::prelude::*;
/// let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
/// let w = Vector::<f64, U3>::from_fn(|i| i as f64 + 1.0);
/// assert_eq!(v, w);
/// assert_eq!(v[2], 3.0);
/// assert_eq!(v.iter().sum::<f64>(), 6.0);
/// assert_eq!(format!("{v}"), "[1, 2, 3]");
/// assert!(Vector::<f64, U3>::try_from_vec(vec![1.0; 4]).is_err());
/// ```
pub struct Vector<T, N: Dim> {
    buf: <N::Size as Size>::Vector<T>,
    _n: PhantomData<fn() -> N>,
}

impl<T: Scalar, N: Dim> Vector<T, N> {
    /// The number of elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Vector::<f32, U784>::LEN, 784);
    /// ```
    pub const LEN: usize = N::USIZE;

    /// A vector of zeros.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Vector::<f64, U2>::zeros(), Vector::from([0.0, 0.0]));
    /// ```
    pub fn zeros() -> Self {
        Self::filled(T::zero())
    }

    /// A vector with every element equal to `value`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Vector::<f64, U2>::filled(7.0), Vector::from([7.0, 7.0]));
    /// ```
    pub fn filled(value: T) -> Self {
        Self::from_buf(Storage::filled(N::USIZE, value))
    }

    /// Builds the vector from a function of the index.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U3>::from_fn(|i| (i * i) as f64);
    /// assert_eq!(v, Vector::from([0.0, 1.0, 4.0]));
    /// ```
    pub fn from_fn(f: impl FnMut(usize) -> T) -> Self {
        Self::from_buf(Storage::from_fn(N::USIZE, f))
    }

    /// Copies a slice of exactly `N` elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U2>::try_from_slice(&[1.0, 2.0]).unwrap();
    /// assert_eq!(v[1], 2.0);
    /// let e = Vector::<f64, U2>::try_from_slice(&[1.0]).unwrap_err();
    /// assert_eq!(e.to_string(), "Vector<_, 2>: expected 2 elements, got 1");
    /// ```
    pub fn try_from_slice(data: &[T]) -> Result<Self, ShapeError> {
        Self::check_len(data.len())?;
        Ok(Self::from_fn(|i| data[i]))
    }

    /// Takes a `Vec` of exactly `N` elements (large vectors reuse its allocation).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U3>::try_from_vec(vec![1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(v.as_slice(), &[1.0, 2.0, 3.0]);
    /// ```
    pub fn try_from_vec(data: Vec<T>) -> Result<Self, ShapeError> {
        Self::check_len(data.len())?;
        Ok(Self::from_buf(Storage::from_vec(N::USIZE, data)))
    }

    /// Collects an iterator that must yield exactly `N` elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U3>::try_from_iter((1..=3).map(f64::from)).unwrap();
    /// assert_eq!(v, Vector::from([1.0, 2.0, 3.0]));
    /// let e = Vector::<f64, U3>::try_from_iter((1..=5).map(f64::from)).unwrap_err();
    /// assert_eq!((e.expected, e.actual), (3, 5));
    /// ```
    pub fn try_from_iter(iter: impl IntoIterator<Item = T>) -> Result<Self, ShapeError> {
        Self::try_from_vec(iter.into_iter().collect())
    }

    pub(crate) fn check_len(actual: usize) -> Result<(), ShapeError> {
        if actual == N::USIZE {
            Ok(())
        } else {
            Err(ShapeError {
                shape: format!("Vector<_, {}>", N::USIZE),
                expected: N::USIZE,
                actual,
                what: "elements".into(),
            })
        }
    }

    /// Builds a vector by letting `write` fill its storage, which holds unspecified values
    /// beforehand (see [`Matrix::from_writer`](crate::Matrix::from_writer)): `write` must set
    /// every element.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let w = [1.0, 2.0, 3.0, 4.0]; // 2 x 2, row-major
    /// let v = Vector::<f64, U2>::from_writer(|out| backprop::kernels::matvec_t(&w, 2, 2, &[1.0, 1.0], out));
    /// assert_eq!(v, Vector::from([4.0, 6.0]));
    /// ```
    pub fn from_writer(write: impl FnOnce(&mut [T])) -> Self {
        let mut v = Self::stale();
        write(v.as_mut_slice());
        v
    }

    /// A tensor whose values are unspecified (whatever a recycled block held): for gradient
    /// buffers every element of which is written or zeroed before it is read.
    #[inline]
    pub(crate) fn stale() -> Self {
        Self::from_buf(Storage::stale(N::USIZE))
    }

    #[inline(always)]
    pub(crate) fn from_buf(buf: <N::Size as Size>::Vector<T>) -> Self {
        Vector {
            buf,
            _n: PhantomData,
        }
    }

    /// The elements as a slice.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Vector::<f64, U2>::filled(1.0).as_slice(), &[1.0, 1.0]);
    /// ```
    #[inline(always)]
    pub fn as_slice(&self) -> &[T] {
        self.buf.as_slice()
    }

    /// The elements as a mutable slice.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut v = Vector::<f64, U2>::zeros();
    /// v.as_mut_slice()[1] = 5.0;
    /// assert_eq!(v[1], 5.0);
    /// ```
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.buf.as_mut_slice()
    }

    /// The number of elements (`N`).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Vector::<f64, U5>::zeros().len(), 5);
    /// ```
    #[inline(always)]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        N::USIZE
    }

    /// The element at `i`, or `None` past the end.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!((v.get(1), v.get(2)), (Some(2.0), None));
    /// ```
    pub fn get(&self, i: usize) -> Option<T> {
        self.as_slice().get(i).copied()
    }

    /// Iterates over the elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!(v.iter().copied().collect::<Vec<_>>(), vec![1.0, 2.0]);
    /// ```
    pub fn iter(&self) -> core::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// Iterates mutably over the elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// v.iter_mut().for_each(|x| *x *= 10.0);
    /// assert_eq!(v, Vector::from([10.0, 20.0]));
    /// ```
    pub fn iter_mut(&mut self) -> core::slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }

    /// Applies `f` to every element.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U2>::from([1.0, -2.0]).map(f64::abs);
    /// assert_eq!(v, Vector::from([1.0, 2.0]));
    /// ```
    pub fn map(&self, mut f: impl FnMut(T) -> T) -> Self {
        let s = self.as_slice();
        Self::from_fn(|i| f(s[i]))
    }

    /// True when every element is within `tol * max(1, |a|, |b|)` of the other's.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Vector::<f64, U2>::from([1.0, 1000.0]);
    /// let b = Vector::<f64, U2>::from([1.0 + 1e-10, 1000.0 + 1e-8]);
    /// assert!(a.approx_eq(&b, 1e-9));
    /// assert!(!a.approx_eq(&Vector::from([1.1, 1000.0]), 1e-9));
    /// ```
    pub fn approx_eq(&self, other: &Self, tol: T) -> bool {
        crate::kernels::approx_eq(self.as_slice(), other.as_slice(), tol)
    }
}

impl<T: Scalar, N: Dim> Tensor for Vector<T, N> {
    crate::expr::seal!();
    type Elem = T;
    type Rebind<U: Scalar> = Vector<U, N>;
    const LEN: usize = N::USIZE;
    const IS_SCALAR: bool = false;
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        Vector::as_slice(self)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        Vector::as_mut_slice(self)
    }
    #[inline(always)]
    fn filled(value: T) -> Self {
        Vector::filled(value)
    }
    #[inline(always)]
    fn from_flat_fn(f: impl FnMut(usize) -> T) -> Self {
        Vector::from_fn(f)
    }
}

/// Zeros (a static shape has a natural default).
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(Vector::<f64, U2>::default(), Vector::zeros());
/// ```
impl<T: Scalar, N: Dim> Default for Vector<T, N> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<T: Clone, N: Dim> Clone for Vector<T, N> {
    fn clone(&self) -> Self {
        Vector {
            buf: self.buf.cloned(),
            _n: PhantomData,
        }
    }
}

// The storage is `[T; n]` or a boxed slice (`Dim` and the storage classes are sealed), so the
// tensor has the auto traits of `T`. The compiler cannot see that through the storage's
// associated type for a generic size (`<N::Size as Size>::Vector<T>: Send` is not provable
// from `T: Send`), so they are stated here; without them generic code could not send a tensor
// to another thread.
// SAFETY: `[T; n]` and `Box<[T]>` are `Send` when `T` is.
unsafe impl<T: Send, N: Dim> Send for Vector<T, N> {}
// SAFETY: `[T; n]` and `Box<[T]>` are `Sync` when `T` is.
unsafe impl<T: Sync, N: Dim> Sync for Vector<T, N> {}
impl<T: Unpin, N: Dim> Unpin for Vector<T, N> {}
impl<T: std::panic::UnwindSafe, N: Dim> std::panic::UnwindSafe for Vector<T, N> {}
impl<T: std::panic::RefUnwindSafe, N: Dim> std::panic::RefUnwindSafe for Vector<T, N> {}

impl<T: Scalar, const K: usize> From<[T; K]> for Vector<T, <U<K> as ToDim>::Dim>
where
    Const<K>: ToUInt,
    U<K>: ToDim,
{
    fn from(a: [T; K]) -> Self {
        Self::from_fn(|i| a[i])
    }
}

impl<T: Scalar, N: Dim> Index<usize> for Vector<T, N> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        &self.as_slice()[i]
    }
}

impl<T: Scalar, N: Dim> IndexMut<usize> for Vector<T, N> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.as_mut_slice()[i]
    }
}

impl<T: Scalar, N: Dim> PartialEq for Vector<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Scalar, N: Dim> fmt::Debug for Vector<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vector<{}>", N::USIZE)?;
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Scalar, N: Dim> fmt::Display for Vector<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            fmt::Display::fmt(x, f)?;
        }
        write!(f, "]")
    }
}

impl<'a, T: Scalar, N: Dim> IntoIterator for &'a Vector<T, N> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
