//! ndarray's arrays and views (the `ndarray` feature).
//!
//! An ndarray value's size is known only at run time, a tensor's at compile time, so the way
//! in is `TryFrom`, which returns a [`ShapeError`] naming the expected and the actual size; the
//! way out always fits. Views of any layout are accepted (a transposed or strided view is copied
//! element by element); a tensor's storage is row-major, so it lends itself as a standard-layout
//! view without a copy.
//!
//! ```
//! use backprop::prelude::*;
//! use ndarray::{array, Array1, ArrayView2};
//!
//! let data = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let m = Matrix::<f64, U2, U3>::try_from(data.view())?;
//! let x = Vector::<f64, U3>::try_from(array![1.0, 0.0, -1.0].view())?;
//! let dm = grad(|m| m.matvec(constant(&x)).sum(), &m);
//!
//! // Back: an owned array, or a view borrowing the tensor's storage.
//! let view: ArrayView2<f64> = (&dm).into();
//! assert_eq!(view, array![[1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]);
//! assert_eq!(Array1::from(x), array![1.0, 0.0, -1.0]);
//!
//! // A size that does not fit is an error, not a panic.
//! let err = Matrix::<f64, U3, U3>::try_from(data.view()).unwrap_err();
//! assert_eq!(err.to_string(), "Matrix<_, 3, 3>: expected 3 rows, got 2");
//! # Ok::<(), backprop::ShapeError>(())
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::{Dim, Matrix, Scalar, ShapeError, Vector};

/// ```
/// use backprop::prelude::*;
/// let a = ndarray::array![1.0_f32, 2.0];
/// assert_eq!(Vector::<f32, U2>::try_from(a.view())?, Vector::from([1.0, 2.0]));
/// let e = Vector::<f32, U3>::try_from(a.view()).unwrap_err();
/// assert_eq!((e.expected, e.actual), (3, 2));
/// # Ok::<(), backprop::ShapeError>(())
/// ```
impl<T: Scalar, N: Dim> TryFrom<ArrayView1<'_, T>> for Vector<T, N> {
    type Error = ShapeError;
    fn try_from(a: ArrayView1<'_, T>) -> Result<Self, ShapeError> {
        Self::check_len(a.len())?;
        Ok(Self::from_fn(|i| a[i]))
    }
}

/// ```
/// use backprop::prelude::*;
/// let a = ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// // A transposed view is read in its logical order.
/// let m = Matrix::<f64, U2, U3>::try_from(a.t())?;
/// assert_eq!(m, Matrix::from([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]));
/// let e = Matrix::<f64, U3, U3>::try_from(a.view()).unwrap_err();
/// assert_eq!(e.to_string(), "Matrix<_, 3, 3>: expected 3 columns, got 2");
/// # Ok::<(), backprop::ShapeError>(())
/// ```
impl<T: Scalar, R: Dim, C: Dim> TryFrom<ArrayView2<'_, T>> for Matrix<T, R, C> {
    type Error = ShapeError;
    fn try_from(a: ArrayView2<'_, T>) -> Result<Self, ShapeError> {
        let (rows, cols) = a.dim();
        Self::check(R::USIZE, rows, "rows")?;
        Self::check(C::USIZE, cols, "columns")?;
        Ok(Self::from_fn(|r, c| a[(r, c)]))
    }
}

/// ```
/// use backprop::prelude::*;
/// let a: ndarray::Array1<f64> = Vector::<f64, U2>::from([1.0, 2.0]).into();
/// assert_eq!(a, ndarray::array![1.0, 2.0]);
/// ```
impl<T: Scalar, N: Dim> From<Vector<T, N>> for Array1<T> {
    fn from(v: Vector<T, N>) -> Self {
        Array1::from(v.as_slice().to_vec())
    }
}

/// ```
/// use backprop::prelude::*;
/// let a: ndarray::Array2<f64> = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]).into();
/// assert_eq!(a, ndarray::array![[1.0, 2.0]]);
/// ```
impl<T: Scalar, R: Dim, C: Dim> From<Matrix<T, R, C>> for Array2<T> {
    fn from(m: Matrix<T, R, C>) -> Self {
        ArrayView2::from(&m).to_owned()
    }
}

/// Borrows the vector's storage (no copy).
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
/// let view = ndarray::ArrayView1::from(&v);
/// assert_eq!(view.sum(), 6.0);
/// ```
impl<'a, T: Scalar, N: Dim> From<&'a Vector<T, N>> for ArrayView1<'a, T> {
    fn from(v: &'a Vector<T, N>) -> Self {
        ArrayView1::from(v.as_slice())
    }
}

/// Borrows the matrix's row-major storage as a standard-layout view (no copy).
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// let view = ndarray::ArrayView2::from(&m);
/// assert_eq!(view[(1, 0)], 3.0);
/// assert!(view.is_standard_layout());
/// ```
impl<'a, T: Scalar, R: Dim, C: Dim> From<&'a Matrix<T, R, C>> for ArrayView2<'a, T> {
    fn from(m: &'a Matrix<T, R, C>) -> Self {
        // The storage holds exactly R * C elements, row-major, so the shape always fits.
        ArrayView2::from_shape((R::USIZE, C::USIZE), m.as_slice())
            .expect("a matrix's storage holds R * C elements")
    }
}
