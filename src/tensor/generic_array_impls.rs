//! Conversions between tensors and `generic-array`'s `GenericArray`, the crate that the typenum
//! ecosystem uses for arrays sized by a typenum number (`GenericArray<T, typenum::U3>`).
//!
//! A vector converts to and from `GenericArray<T, N::Num>`; a matrix to and from its rows,
//! `GenericArray<GenericArray<T, C::Num>, R::Num>`. The sizes must agree at compile time.

use generic_array::sequence::GenericSequence;
use generic_array::{ArrayLength, GenericArray};

use super::{Matrix, Vector};
use crate::{Dim, Scalar};

/// ```
/// use backprop::prelude::*;
/// use generic_array::GenericArray;
/// let a: GenericArray<f64, typenum::U3> = GenericArray::from([1.0, 2.0, 3.0]);
/// let v: Vector<f64, U3> = Vector::from(a);
/// assert_eq!(v, Vector::from([1.0, 2.0, 3.0]));
/// ```
impl<T: Scalar, N: Dim> From<GenericArray<T, N::Num>> for Vector<T, N>
where
    N::Num: ArrayLength,
{
    fn from(a: GenericArray<T, N::Num>) -> Self {
        Vector::from_fn(|i| a[i])
    }
}

/// ```
/// use backprop::prelude::*;
/// use generic_array::GenericArray;
/// let a: GenericArray<f32, typenum::U2> = Vector::<f32, U2>::from([4.0, 5.0]).into();
/// assert_eq!(a.as_slice(), &[4.0, 5.0]);
/// ```
impl<T: Scalar, N: Dim> From<Vector<T, N>> for GenericArray<T, N::Num>
where
    N::Num: ArrayLength,
{
    fn from(v: Vector<T, N>) -> Self {
        GenericArray::generate(|i| v[i])
    }
}

/// ```
/// use backprop::prelude::*;
/// use generic_array::GenericArray;
/// let rows = GenericArray::<GenericArray<f64, typenum::U3>, typenum::U2>::from([
///     GenericArray::from([1.0, 2.0, 3.0]),
///     GenericArray::from([4.0, 5.0, 6.0]),
/// ]);
/// let m: Matrix<f64, U2, U3> = rows.into();
/// assert_eq!(m, Matrix::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
/// ```
impl<T: Scalar, R: Dim, C: Dim> From<GenericArray<GenericArray<T, C::Num>, R::Num>>
    for Matrix<T, R, C>
where
    R::Num: ArrayLength,
    C::Num: ArrayLength,
{
    fn from(rows: GenericArray<GenericArray<T, C::Num>, R::Num>) -> Self {
        Matrix::from_fn(|r, c| rows[r][c])
    }
}

/// ```
/// use backprop::prelude::*;
/// use generic_array::GenericArray;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// let rows: GenericArray<GenericArray<f64, typenum::U2>, typenum::U2> = m.into();
/// assert_eq!(rows[1].as_slice(), &[3.0, 4.0]);
/// ```
impl<T: Scalar, R: Dim, C: Dim> From<Matrix<T, R, C>>
    for GenericArray<GenericArray<T, C::Num>, R::Num>
where
    R::Num: ArrayLength,
    C::Num: ArrayLength,
{
    fn from(m: Matrix<T, R, C>) -> Self {
        GenericArray::generate(|r| GenericArray::generate(|c| m[(r, c)]))
    }
}
