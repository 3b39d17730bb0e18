//! `Matrix<T, R, C>`: an `R x C` matrix stored row-major.

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Index, IndexMut};

use typenum::{Const, ToUInt, U};

use crate::dims::ToDim;
use crate::Dim;

use super::storage::{Size, Storage};
use super::{ShapeError, Tensor};
use crate::Scalar;

/// A matrix of `R` rows and `C` columns, stored row-major, with typenum dimensions.
///
/// ```
/// use backprop::prelude::*;
/// let m: Matrix<f64, U2, U3> = Matrix::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
/// assert_eq!(m[(0, 2)], 2.0);
/// assert_eq!(m.row(1), &[0.5, 1.0, 0.0]);
/// assert_eq!(m, Matrix::from_fn(|r, c| [[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]][r][c]));
/// // 300x784 f64 is 1.9 MB: it lives on the heap, never on the stack.
/// let big = Matrix::<f64, U300, U784>::zeros();
/// assert_eq!(big.as_slice().len(), 300 * 784);
/// ```
pub struct Matrix<T, R: Dim, C: Dim> {
    buf: <R::Size as Size>::Matrix<T, C::Size>,
    _rc: PhantomData<fn() -> (R, C)>,
}

impl<T: Scalar, R: Dim, C: Dim> Matrix<T, R, C> {
    /// Number of rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Matrix::<f64, U2, U3>::ROWS, 2);
    /// ```
    pub const ROWS: usize = R::USIZE;
    /// Number of columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Matrix::<f64, U2, U3>::COLS, 3);
    /// ```
    pub const COLS: usize = C::USIZE;
    const LEN: usize = R::USIZE * C::USIZE;

    /// A matrix of zeros.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert!(Matrix::<f64, U2, U2>::zeros().iter().all(|&x| x == 0.0));
    /// ```
    pub fn zeros() -> Self {
        Self::filled(T::zero())
    }

    /// A matrix with every element equal to `value`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Matrix::<f64, U1, U2>::filled(3.0), Matrix::from([[3.0, 3.0]]));
    /// ```
    pub fn filled(value: T) -> Self {
        Self::from_buf(Storage::filled(Self::LEN, value))
    }

    /// The identity matrix (ones on the diagonal).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Matrix::<f64, U2, U2>::identity(), Matrix::from([[1.0, 0.0], [0.0, 1.0]]));
    /// ```
    pub fn identity() -> Self {
        Self::from_fn(|r, c| if r == c { T::one() } else { T::zero() })
    }

    /// Builds the matrix from a function of `(row, column)`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::from_fn(|r, c| (10 * r + c) as f64);
    /// assert_eq!(m, Matrix::from([[0.0, 1.0], [10.0, 11.0]]));
    /// ```
    pub fn from_fn(mut f: impl FnMut(usize, usize) -> T) -> Self {
        Self::from_buf(Storage::from_fn(Self::LEN, |i| {
            f(i / C::USIZE, i % C::USIZE)
        }))
    }

    /// Copies `R * C` elements given row-major.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::try_from_slice(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(m[(1, 0)], 3.0);
    /// let e = Matrix::<f64, U2, U2>::try_from_slice(&[1.0]).unwrap_err();
    /// assert_eq!(e.to_string(), "Matrix<_, 2, 2>: expected 4 elements, got 1");
    /// ```
    pub fn try_from_slice(data: &[T]) -> Result<Self, ShapeError> {
        Self::check(Self::LEN, data.len(), "elements")?;
        Ok(Self::from_buf(Storage::from_fn(Self::LEN, |i| data[i])))
    }

    /// Takes a row-major `Vec` of exactly `R * C` elements (large matrices reuse its allocation).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U3>::try_from_vec(vec![1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(m.row(0), &[1.0, 2.0, 3.0]);
    /// ```
    pub fn try_from_vec(data: Vec<T>) -> Result<Self, ShapeError> {
        Self::check(Self::LEN, data.len(), "elements")?;
        Ok(Self::from_buf(Storage::from_vec(Self::LEN, data)))
    }

    /// Collects an iterator that must yield exactly `R * C` elements, row-major.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::try_from_iter((0..4).map(f64::from)).unwrap();
    /// assert_eq!(m[(1, 1)], 3.0);
    /// assert!(Matrix::<f64, U2, U2>::try_from_iter((0..3).map(f64::from)).is_err());
    /// ```
    pub fn try_from_iter(iter: impl IntoIterator<Item = T>) -> Result<Self, ShapeError> {
        Self::try_from_vec(iter.into_iter().collect())
    }

    /// Builds the matrix from runtime rows; every row must have `C` elements and there must be
    /// `R` rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::try_from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
    /// assert_eq!(m[(1, 0)], 3.0);
    /// let e = Matrix::<f64, U2, U2>::try_from_rows(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
    /// assert_eq!(e.to_string(), "Matrix<_, 2, 2>: expected 2 columns in row 1, got 1");
    /// ```
    pub fn try_from_rows<Row: AsRef<[T]>>(rows: &[Row]) -> Result<Self, ShapeError> {
        Self::check(R::USIZE, rows.len(), "rows")?;
        for (i, row) in rows.iter().enumerate() {
            Self::check(C::USIZE, row.as_ref().len(), &format!("columns in row {i}"))?;
        }
        Ok(Self::from_fn(|r, c| rows[r].as_ref()[c]))
    }

    pub(crate) fn check(expected: usize, actual: usize, what: &str) -> Result<(), ShapeError> {
        if expected == actual {
            Ok(())
        } else {
            Err(ShapeError {
                shape: format!("Matrix<_, {}, {}>", R::USIZE, C::USIZE),
                expected,
                actual,
                what: what.into(),
            })
        }
    }

    /// Builds a matrix by letting `write` fill its row-major storage, which holds unspecified
    /// values beforehand (a recycled block is not cleared; for `f32`/`f64` they are whatever an
    /// earlier matrix of this size held): `write` must set every element. The fastest way to
    /// build a large matrix with a kernel that writes its output, such as
    /// [`kernels::outer`](crate::kernels::outer) or [`kernels::gemm`](crate::kernels::gemm)
    /// with `beta = 0`: no zero-fill first.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let (a, b) = ([1.0, 2.0], [3.0, 4.0, 5.0]);
    /// let m = Matrix::<f64, U2, U3>::from_writer(|m| backprop::kernels::outer(m, &a, &b));
    /// assert_eq!(m, Matrix::from([[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]));
    /// ```
    pub fn from_writer(write: impl FnOnce(&mut [T])) -> Self {
        let mut m = Self::stale();
        write(m.as_mut_slice());
        m
    }

    /// A tensor whose values are unspecified (whatever a recycled block held): for gradient
    /// buffers every element of which is written or zeroed before it is read.
    #[inline]
    pub(crate) fn stale() -> Self {
        Self::from_buf(Storage::stale(Self::LEN))
    }

    #[inline(always)]
    pub(crate) fn from_buf(buf: <R::Size as Size>::Matrix<T, C::Size>) -> Self {
        Matrix {
            buf,
            _rc: PhantomData,
        }
    }

    /// All elements, row-major.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(Matrix::<f64, U1, U2>::from([[1.0, 2.0]]).as_slice(), &[1.0, 2.0]);
    /// ```
    #[inline(always)]
    pub fn as_slice(&self) -> &[T] {
        self.buf.as_slice()
    }

    /// All elements, row-major, mutably.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut m = Matrix::<f64, U1, U2>::zeros();
    /// m.as_mut_slice()[1] = 4.0;
    /// assert_eq!(m[(0, 1)], 4.0);
    /// ```
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.buf.as_mut_slice()
    }

    /// Row `r` as a slice of `C` elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.row(1), &[3.0, 4.0]);
    /// ```
    pub fn row(&self, r: usize) -> &[T] {
        &self.as_slice()[r * C::USIZE..(r + 1) * C::USIZE]
    }

    /// The element at `(r, c)`, or `None` out of bounds.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// assert_eq!((m.get(0, 1), m.get(1, 0)), (Some(2.0), None));
    /// ```
    pub fn get(&self, r: usize, c: usize) -> Option<T> {
        (r < R::USIZE && c < C::USIZE).then(|| self.as_slice()[r * C::USIZE + c])
    }

    /// Iterates over all elements, row-major.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.iter().sum::<f64>(), 10.0);
    /// ```
    pub fn iter(&self) -> core::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// Iterates mutably over all elements, row-major.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// m.iter_mut().for_each(|x| *x += 1.0);
    /// assert_eq!(m, Matrix::from([[2.0, 3.0]]));
    /// ```
    pub fn iter_mut(&mut self) -> core::slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }

    /// The transpose, as a new matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// assert_eq!(m.transpose(), Matrix::<f64, U2, U1>::from([[1.0], [2.0]]));
    /// ```
    pub fn transpose(&self) -> Matrix<T, C, R> {
        let s = self.as_slice();
        Matrix::from_fn(|r, c| s[c * C::USIZE + r])
    }

    /// True when every element is within `tol * max(1, |a|, |b|)` of the other's.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// assert!(a.approx_eq(&Matrix::from([[1.0, 2.0 + 1e-12]]), 1e-9));
    /// ```
    pub fn approx_eq(&self, other: &Self, tol: T) -> bool {
        crate::kernels::approx_eq(self.as_slice(), other.as_slice(), tol)
    }
}

impl<T: Scalar, R: Dim, C: Dim> Tensor for Matrix<T, R, C> {
    crate::expr::seal!();
    type Elem = T;
    type Rebind<U: Scalar> = Matrix<U, R, C>;
    const LEN: usize = R::USIZE * C::USIZE;
    const IS_SCALAR: bool = false;
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        Matrix::as_slice(self)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        Matrix::as_mut_slice(self)
    }
    #[inline(always)]
    fn filled(value: T) -> Self {
        Matrix::filled(value)
    }
    #[inline(always)]
    fn from_flat_fn(f: impl FnMut(usize) -> T) -> Self {
        Self::from_buf(Storage::from_fn(Self::LEN, f))
    }
}

/// Zeros (a static shape has a natural default).
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(Matrix::<f64, U2, U2>::default(), Matrix::zeros());
/// ```
impl<T: Scalar, R: Dim, C: Dim> Default for Matrix<T, R, C> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<T: Clone, R: Dim, C: Dim> Clone for Matrix<T, R, C> {
    fn clone(&self) -> Self {
        Matrix {
            buf: self.buf.cloned(),
            _rc: PhantomData,
        }
    }
}

// The storage is `[T; n]` or a boxed slice (`Dim` and the storage classes are sealed), so the
// tensor has the auto traits of `T`. The compiler cannot see that through the storage's
// associated type for a generic size (`<N::Size as Size>::Vector<T>: Send` is not provable
// from `T: Send`), so they are stated here; without them generic code could not send a tensor
// to another thread.
// SAFETY: `[T; n]` and `Box<[T]>` are `Send` when `T` is.
unsafe impl<T: Send, R: Dim, C: Dim> Send for Matrix<T, R, C> {}
// SAFETY: `[T; n]` and `Box<[T]>` are `Sync` when `T` is.
unsafe impl<T: Sync, R: Dim, C: Dim> Sync for Matrix<T, R, C> {}
impl<T: Unpin, R: Dim, C: Dim> Unpin for Matrix<T, R, C> {}
impl<T: std::panic::UnwindSafe, R: Dim, C: Dim> std::panic::UnwindSafe for Matrix<T, R, C> {}
impl<T: std::panic::RefUnwindSafe, R: Dim, C: Dim> std::panic::RefUnwindSafe for Matrix<T, R, C> {}

impl<T: Scalar, const R: usize, const C: usize> From<[[T; C]; R]>
    for Matrix<T, <U<R> as ToDim>::Dim, <U<C> as ToDim>::Dim>
where
    Const<R>: ToUInt,
    Const<C>: ToUInt,
    U<R>: ToDim,
    U<C>: ToDim,
{
    fn from(a: [[T; C]; R]) -> Self {
        Self::from_fn(|r, c| a[r][c])
    }
}

impl<T: Scalar, R: Dim, C: Dim> Index<(usize, usize)> for Matrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn index(&self, (r, c): (usize, usize)) -> &T {
        assert!(
            c < C::USIZE,
            "column {c} out of bounds for {} columns",
            C::USIZE
        );
        &self.as_slice()[r * C::USIZE + c]
    }
}

impl<T: Scalar, R: Dim, C: Dim> IndexMut<(usize, usize)> for Matrix<T, R, C> {
    #[inline(always)]
    fn index_mut(&mut self, (r, c): (usize, usize)) -> &mut T {
        assert!(
            c < C::USIZE,
            "column {c} out of bounds for {} columns",
            C::USIZE
        );
        &mut self.as_mut_slice()[r * C::USIZE + c]
    }
}

impl<T: Scalar, R: Dim, C: Dim> PartialEq for Matrix<T, R, C> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Scalar, R: Dim, C: Dim> fmt::Debug for Matrix<T, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matrix<{}, {}>", R::USIZE, C::USIZE)?;
        f.debug_list()
            .entries((0..R::USIZE).map(|r| self.row(r)))
            .finish()
    }
}

impl<T: Scalar, R: Dim, C: Dim> fmt::Display for Matrix<T, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for r in 0..R::USIZE {
            if r > 0 {
                write!(f, ", ")?;
            }
            write!(f, "[")?;
            for (i, x) in self.row(r).iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                fmt::Display::fmt(x, f)?;
            }
            write!(f, "]")?;
        }
        write!(f, "]")
    }
}
