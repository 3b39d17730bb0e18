//! Adding a vector to every row of a matrix (a bias over a batch of samples).
//!
//! Forward: `Y_rc = M_rc + v_c`. Backward: `dM += dY`, `dv_c += sum_r dY_rc`.

use crate::Dim;

use crate::ops::BinaryOp;
use crate::shape::AddRowShape;
use crate::{kernels, Matrix, Scalar, Vector};

/// `M + 1 v^T`: `v` added to every row of `M`.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::zeros();
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// let (y, (dm, dv)) = value_and_grad(|(m, v)| m.add_row(v).sum(), &(m, v));
/// assert_eq!((y, dv), (6.0, Vector::from([2.0, 2.0])));
/// assert_eq!(dm, Matrix::filled(1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AddRow;

impl<T: Scalar, R: Dim, C: Dim, C2: Dim> BinaryOp<Matrix<T, R, C>, Vector<T, C2>> for AddRow {
    type Out = Matrix<T, R, C>;
    fn forward(&self, m: &Matrix<T, R, C>, v: &Vector<T, C2>) -> Matrix<T, R, C> {
        let mut y = m.clone();
        for row in y.as_mut_slice().chunks_exact_mut(C::USIZE.max(1)) {
            kernels::add_assign(row, v.as_slice());
        }
        y
    }
    fn backward_a(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gm: &mut Matrix<T, R, C>,
    ) {
        kernels::add_assign(gm.as_mut_slice(), dy.as_slice());
    }
    fn backward_b(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gv: &mut Vector<T, C2>,
    ) {
        for r in 0..R::USIZE {
            kernels::add_assign(gv.as_mut_slice(), dy.row(r));
        }
    }
    fn backward_a_write(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gm: &mut Matrix<T, R, C>,
    ) {
        gm.as_mut_slice().copy_from_slice(dy.as_slice());
    }
    fn backward_b_write(
        &self,
        _: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gv: &mut Vector<T, C2>,
    ) {
        // The column sums: the first row written, the others added.
        match R::USIZE {
            0 => gv.as_mut_slice().fill(T::zero()),
            _ => {
                gv.as_mut_slice().copy_from_slice(dy.row(0));
                for r in 1..R::USIZE {
                    kernels::add_assign(gv.as_mut_slice(), dy.row(r));
                }
            }
        }
    }
}

crate::ops::table::binary_methods! {
    names: NAMES;
    /// Adds the vector `v` to every row of this matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U2, U2>::zeros();
    /// let v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!(eval(|m| m.add_row(constant(&v)), &m), Matrix::from([[1.0, 2.0], [1.0, 2.0]]));
    /// ```
    add_row(v) = AddRow, checked AddRowShape;
}

crate::tangent::second_order! { linear binary:
    impl[] AddRow;
}
