//! Reductions: sum, mean, Euclidean norm of any tensor; row and column sums of a matrix.
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `x.sum()` | `y = sum_i x_i` | `dx_i += dy` |
//! | `x.mean()` | `y = sum_i x_i / n` | `dx_i += dy / n` |
//! | `x.norm()` | `y = sqrt(sum_i x_i^2)` (scaled, never overflows) | `dx_i += dy x_i / y` (0 when `y = 0`) |
//! | `m.row_sums()` | `y_r = sum_c M_rc` | `dM_rc += dy_r` |
//! | `m.col_sums()` | `y_c = sum_r M_rc` | `dM_rc += dy_c` |

use crate::Dim;

use crate::ops::UnaryOp;
use crate::shape::MatrixShape;
use crate::{kernels, Matrix, Scalar, Tensor, Vector};

/// Sum of all elements.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
/// assert_eq!(value_and_grad(|v| v.sum(), &v), (6.0, Vector::filled(1.0)));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum;

impl<X: Tensor> UnaryOp<X> for Sum {
    type Out = X::Elem;
    #[inline(always)]
    fn forward(&self, x: &X) -> X::Elem {
        kernels::sum(x.as_slice())
    }
    #[inline(always)]
    fn backward(&self, _: &X, _: &X::Elem, dy: &X::Elem, gx: &mut X) {
        gx.as_mut_slice().iter_mut().for_each(|g| *g += *dy);
    }
}

/// Mean of all elements.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// assert_eq!(value_and_grad(|v| v.mean(), &v), (1.5, Vector::filled(0.5)));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean;

impl<X: Tensor> UnaryOp<X> for Mean {
    type Out = X::Elem;
    #[inline(always)]
    fn forward(&self, x: &X) -> X::Elem {
        kernels::sum(x.as_slice()) / X::Elem::from_f64(X::LEN as f64)
    }
    #[inline(always)]
    fn backward(&self, _: &X, _: &X::Elem, dy: &X::Elem, gx: &mut X) {
        let d = *dy / X::Elem::from_f64(X::LEN as f64);
        gx.as_mut_slice().iter_mut().for_each(|g| *g += d);
    }
}

/// Euclidean (Frobenius) norm; its gradient at the zero vector is taken as zero.
///
/// Computed without overflow or underflow: when the plain sum of squares would leave the range
/// of the float type (elements near `1e200` or `1e-200` in `f64`), the elements are first
/// scaled by the largest magnitude, so the norm and its gradient are exact there too.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([3.0, 4.0]);
/// let (y, g) = value_and_grad(|v| v.norm(), &v);
/// assert_eq!(y, 5.0);
/// assert!(g.approx_eq(&Vector::from([0.6, 0.8]), 1e-15));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Norm;

impl<X: Tensor> UnaryOp<X> for Norm {
    type Out = X::Elem;
    #[inline(always)]
    fn forward(&self, x: &X) -> X::Elem {
        norm(x.as_slice())
    }
    #[inline(always)]
    fn backward(&self, x: &X, y: &X::Elem, dy: &X::Elem, gx: &mut X) {
        if *y > num_traits::Zero::zero() {
            kernels::axpy(gx.as_mut_slice(), *dy / *y, x.as_slice());
        }
    }
}

/// `sqrt(sum x_i^2)`, scaled by `max |x_i|` when the plain sum of squares is out of range.
fn norm<T: Scalar>(x: &[T]) -> T {
    let sq = kernels::dot(x, x);
    // Above sqrt(min positive), no square that underflowed can matter; below max, none
    // overflowed.
    if sq.is_finite() && sq >= T::min_positive_value().sqrt() {
        return sq.sqrt();
    }
    if sq.is_nan() {
        return sq;
    }
    let scale = x.iter().fold(T::zero(), |m, v| m.max(v.abs()));
    if scale == T::zero() || scale.is_infinite() {
        return scale;
    }
    // Divide (not multiply by 1 / scale, which overflows for a subnormal scale).
    let scaled: T = x.iter().map(|&v| (v / scale) * (v / scale)).sum();
    scale * scaled.sqrt()
}

/// Sums of each row: an `R x C` matrix gives a vector of `R`.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(eval(|m| m.row_sums(), &m), Vector::from([3.0, 7.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RowSums;

impl<T: Scalar, R: Dim, C: Dim> UnaryOp<Matrix<T, R, C>> for RowSums {
    type Out = Vector<T, R>;
    fn forward(&self, m: &Matrix<T, R, C>) -> Vector<T, R> {
        Vector::from_fn(|r| kernels::sum(m.row(r)))
    }
    fn backward(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gm: &mut Matrix<T, R, C>,
    ) {
        for (row, &d) in gm
            .as_mut_slice()
            .chunks_exact_mut(C::USIZE.max(1))
            .zip(dy.iter())
        {
            row.iter_mut().for_each(|g| *g += d);
        }
    }
}

/// Sums of each column: an `R x C` matrix gives a vector of `C`.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(eval(|m| m.col_sums(), &m), Vector::from([4.0, 6.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ColSums;

impl<T: Scalar, R: Dim, C: Dim> UnaryOp<Matrix<T, R, C>> for ColSums {
    type Out = Vector<T, C>;
    fn forward(&self, m: &Matrix<T, R, C>) -> Vector<T, C> {
        let mut y = Vector::zeros();
        for r in 0..R::USIZE {
            kernels::add_assign(y.as_mut_slice(), m.row(r));
        }
        y
    }
    fn backward(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, C>,
        dy: &Vector<T, C>,
        gm: &mut Matrix<T, R, C>,
    ) {
        for row in gm.as_mut_slice().chunks_exact_mut(C::USIZE.max(1)) {
            kernels::add_assign(row, dy.as_slice());
        }
    }
}

// A vector as an N x 1 column (see `Transpose` for why).
impl<T: Scalar, N: Dim> UnaryOp<Vector<T, N>> for RowSums {
    type Out = Vector<T, N>;
    fn forward(&self, v: &Vector<T, N>) -> Vector<T, N> {
        v.clone()
    }
    fn backward(
        &self,
        _: &Vector<T, N>,
        _: &Vector<T, N>,
        dy: &Vector<T, N>,
        gv: &mut Vector<T, N>,
    ) {
        kernels::add_assign(gv.as_mut_slice(), dy.as_slice());
    }
}

impl<T: Scalar, N: Dim> UnaryOp<Vector<T, N>> for ColSums {
    type Out = Vector<T, crate::dims::U1>;
    fn forward(&self, v: &Vector<T, N>) -> Self::Out {
        Vector::filled(kernels::sum(v.as_slice()))
    }
    fn backward(&self, _: &Vector<T, N>, _: &Self::Out, dy: &Self::Out, gv: &mut Vector<T, N>) {
        gv.as_mut_slice().iter_mut().for_each(|g| *g += dy[0]);
    }
}

crate::ops::table::unary_methods! {
    names: NAMES;
    /// Sum of all elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|m| m.sum(), &Matrix::<f64, U2, U2>::filled(2.0)), 8.0);
    /// ```
    sum() = Sum;
    /// Mean of all elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|v| v.mean(), &Vector::<f64, U4>::from([1.0, 2.0, 3.0, 6.0])), 3.0);
    /// ```
    mean() = Mean;
    /// Euclidean norm (Frobenius for matrices).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|v| v.norm(), &Vector::<f64, U2>::from([3.0, 4.0])), 5.0);
    /// ```
    norm() = Norm;
    /// Sums of each row of a matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U3>::filled(1.0);
    /// assert_eq!(eval(|m| m.row_sums(), &m), Vector::from([3.0, 3.0]));
    /// ```
    row_sums() = RowSums, operand MatrixShape;
    /// Sums of each column of a matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U3>::filled(1.0);
    /// assert_eq!(eval(|m| m.col_sums(), &m), Vector::from([2.0, 2.0, 2.0]));
    /// ```
    col_sums() = ColSums, operand MatrixShape;
}

crate::tangent::second_order! { linear unary:
    impl[] Sum;
    impl[] Mean;
    impl[] RowSums;
    impl[] ColSums;
}
crate::tangent::second_order! { by dual unary:
    impl[] Norm;
}
