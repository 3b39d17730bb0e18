//! Concatenation: two vectors end to end, two matrices one above the other. The result's size
//! is computed at compile time (typenum addition).
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `a.concat(b)` | `y = [a; b]` | `da += dy[..n]`, `db += dy[n..]` |
//! | `w.shift_in(x)` | `y = [w[1..]; x]` (a window moved one step on) | `dw[1..] += dy[..n-1]`, `dx += dy[n-1]` |
//! | `a.stack_rows(b)` | `Y = [A; B]` (rows of `A`, then rows of `B`) | `dA += dY[..rows of A]`, `dB += dY[rows of A..]` |

use core::ops::Add;

use typenum::Sum;

use crate::dims::ToDim;
use crate::ops::BinaryOp;
use crate::shape::{ConcatShape, StackRowsShape};
use crate::{kernels, Dim, Matrix, Scalar, Vector};

/// The dimension `N + M`.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::ops::concat::DimSum;
/// let _: DimSum<U300, U100> = U400;
/// ```
pub type DimSum<N, M> = <Sum<<N as Dim>::Num, <M as Dim>::Num> as ToDim>::Dim;

/// Concatenation of two vectors.
///
/// ```
/// use backprop::prelude::*;
/// let (a, b) = (Vector::<f64, U2>::from([1.0, 2.0]), Vector::<f64, U1>::from([3.0]));
/// let y: Vector<f64, U3> = eval(|(a, b)| a.concat(b), &(a, b));
/// assert_eq!(y, Vector::from([1.0, 2.0, 3.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Concat;

impl<T: Scalar, N: Dim, M: Dim> BinaryOp<Vector<T, N>, Vector<T, M>> for Concat
where
    N::Num: Add<M::Num>,
    Sum<N::Num, M::Num>: ToDim,
{
    type Out = Vector<T, DimSum<N, M>>;
    fn forward(&self, a: &Vector<T, N>, b: &Vector<T, M>) -> Self::Out {
        let (a, b) = (a.as_slice(), b.as_slice());
        Vector::from_fn(|i| if i < a.len() { a[i] } else { b[i - a.len()] })
    }
    fn backward_a(
        &self,
        _: &Vector<T, N>,
        _: &Vector<T, M>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Vector<T, N>,
    ) {
        kernels::add_assign(ga.as_mut_slice(), &dy.as_slice()[..N::USIZE]);
    }
    fn backward_b(
        &self,
        _: &Vector<T, N>,
        _: &Vector<T, M>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Vector<T, M>,
    ) {
        kernels::add_assign(gb.as_mut_slice(), &dy.as_slice()[N::USIZE..]);
    }
}

/// Two matrices stacked: the rows of the first, then the rows of the second.
///
/// ```
/// use backprop::prelude::*;
/// let a = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
/// let b = Matrix::<f64, U1, U2>::from([[3.0, 4.0]]);
/// let y: Matrix<f64, U2, U2> = eval(|(a, b)| a.stack_rows(b), &(a, b));
/// assert_eq!(y, Matrix::from([[1.0, 2.0], [3.0, 4.0]]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct StackRows;

impl<T: Scalar, R: Dim, C: Dim, R2: Dim, C2: Dim> BinaryOp<Matrix<T, R, C>, Matrix<T, R2, C2>>
    for StackRows
where
    R::Num: Add<R2::Num>,
    Sum<R::Num, R2::Num>: ToDim,
{
    type Out = Matrix<T, DimSum<R, R2>, C>;
    fn forward(&self, a: &Matrix<T, R, C>, b: &Matrix<T, R2, C2>) -> Self::Out {
        let (a, b) = (a.as_slice(), b.as_slice());
        Matrix::from_fn(|r, c| {
            let i = r * C::USIZE + c;
            if i < a.len() {
                a[i]
            } else {
                b[i - a.len()]
            }
        })
    }
    fn backward_a(
        &self,
        a: &Matrix<T, R, C>,
        _: &Matrix<T, R2, C2>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Matrix<T, R, C>,
    ) {
        kernels::add_assign(ga.as_mut_slice(), &dy.as_slice()[..a.as_slice().len()]);
    }
    fn backward_b(
        &self,
        a: &Matrix<T, R, C>,
        _: &Matrix<T, R2, C2>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Matrix<T, R2, C2>,
    ) {
        kernels::add_assign(gb.as_mut_slice(), &dy.as_slice()[a.as_slice().len()..]);
    }
}

/// A window of the last `N` values moved one step on: the oldest value dropped, a new one
/// appended (the state of [`nn::Lagged`](crate::nn::Lagged)).
///
/// ```
/// use backprop::prelude::*;
/// let w = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
/// assert_eq!(eval(|(w, x)| w.shift_in(x), &(w, 4.0)), Vector::from([2.0, 3.0, 4.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftIn;

impl<T: Scalar, N: Dim> BinaryOp<Vector<T, N>, T> for ShiftIn {
    type Out = Vector<T, N>;
    fn forward(&self, w: &Vector<T, N>, x: &T) -> Self::Out {
        let w = w.as_slice();
        Vector::from_fn(|i| if i + 1 < w.len() { w[i + 1] } else { *x })
    }
    fn backward_a(
        &self,
        _: &Vector<T, N>,
        _: &T,
        _: &Self::Out,
        dy: &Self::Out,
        gw: &mut Vector<T, N>,
    ) {
        let n = N::USIZE;
        if n > 1 {
            kernels::add_assign(&mut gw.as_mut_slice()[1..], &dy.as_slice()[..n - 1]);
        }
    }
    fn backward_b(&self, _: &Vector<T, N>, _: &T, _: &Self::Out, dy: &Self::Out, gx: &mut T) {
        if let Some(last) = dy.as_slice().last() {
            *gx += *last;
        }
    }
}

crate::ops::table::binary_methods! {
    names: NAMES;
    /// This vector followed by `rhs`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Vector::<f64, U2>::from([1.0, 2.0]);
    /// let w = Vector::<f64, U4>::from([1.0, 2.0, 3.0, 4.0]);
    /// // d/da of w . [a; a] = w[..2] + w[2..]
    /// assert_eq!(grad(|a| a.concat(a).dot(constant(&w)), &a), Vector::from([4.0, 6.0]));
    /// ```
    concat(rhs) = Concat, checked ConcatShape;
    /// This window of the last `N` values (a vector) moved one step on: its first element
    /// dropped, `x` (a scalar) appended. For `N = 0` the result is empty and `x` gets no
    /// gradient.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let w = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    /// let c = Vector::<f64, U3>::from([10.0, 20.0, 30.0]);
    /// // y = [w1, w2, x] . c
    /// let (gw, gx) = grad(|(w, x)| w.shift_in(x).dot(constant(&c)), &(w, 4.0));
    /// assert_eq!((gw, gx), (Vector::from([0.0, 10.0, 20.0]), 30.0));
    /// ```
    shift_in(x) = ShiftIn;
    /// This matrix with the rows of `rhs` below it; both must have the same number of columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// let g = grad(|a| a.stack_rows(a).sum(), &a);
    /// assert_eq!(g, Matrix::filled(2.0));
    /// ```
    stack_rows(rhs) = StackRows, checked StackRowsShape bound;
}

crate::tangent::second_order! { linear binary:
    impl[] Concat;
    impl[] StackRows;
    impl[] ShiftIn;
}
