//! Linear algebra: matrix-vector and matrix-matrix products, transpose, outer and dot
//! products, trace.
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `w.matvec(v)` | `y = W v` | `dW += dy v^T`, `dv += W^T dy` |
//! | `a.matmul(b)` | `Y = A B` | `dA += dY B^T`, `dB += A^T dY` |
//! | `a.transpose()` | `Y = A^T` | `dA += dY^T` |
//! | `a.outer(b)` | `Y = a b^T` | `da += dY b`, `db += dY^T a` |
//! | `a.dot(b)` | `y = a . b` | `da += dy b`, `db += dy a` |
//! | `a.trace()` | `y = sum_i A_ii` | `dA_ii += dy` |
//!
//! All of them run the slice kernels in [`crate::kernels`]; a weight gradient is written
//! straight into the input gradient as a rank-1 update (no temporary matrix).

use crate::Dim;

use crate::kernels::{self, Transpose as Tr};
use crate::ops::{BinaryOp, UnaryOp};
use crate::shape::{
    DotShape, MatMulShape, MatMulTShape, MatVecShape, MatrixShape, OuterShape, TraceShape,
};
use crate::{Matrix, Scalar, Vector};

/// Matrix-vector product `W v`.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// let v = Vector::<f64, U2>::from([1.0, 1.0]);
/// assert_eq!(eval(|(m, v)| m.matvec(v), &(m, v)), Vector::from([3.0, 7.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MatVec;

impl<T: Scalar, R: Dim, C: Dim, C2: Dim> BinaryOp<Matrix<T, R, C>, Vector<T, C2>> for MatVec {
    type Out = Vector<T, R>;
    #[inline(always)]
    fn forward(&self, w: &Matrix<T, R, C>, v: &Vector<T, C2>) -> Vector<T, R> {
        let mut y = Vector::zeros();
        kernels::matvec(
            w.as_slice(),
            R::USIZE,
            C::USIZE,
            v.as_slice(),
            y.as_mut_slice(),
        );
        y
    }
    #[inline(always)]
    fn backward_a(
        &self,
        _: &Matrix<T, R, C>,
        v: &Vector<T, C2>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gw: &mut Matrix<T, R, C>,
    ) {
        kernels::rank1_acc(gw.as_mut_slice(), dy.as_slice(), v.as_slice());
    }
    #[inline(always)]
    fn backward_b(
        &self,
        w: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gv: &mut Vector<T, C2>,
    ) {
        kernels::matvec_t_acc(
            w.as_slice(),
            R::USIZE,
            C::USIZE,
            dy.as_slice(),
            gv.as_mut_slice(),
        );
    }
    #[inline(always)]
    fn backward_a_write(
        &self,
        _: &Matrix<T, R, C>,
        v: &Vector<T, C2>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gw: &mut Matrix<T, R, C>,
    ) {
        kernels::outer(gw.as_mut_slice(), dy.as_slice(), v.as_slice());
    }
    #[inline(always)]
    fn backward_b_write(
        &self,
        w: &Matrix<T, R, C>,
        _: &Vector<T, C2>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gv: &mut Vector<T, C2>,
    ) {
        kernels::matvec_t(
            w.as_slice(),
            R::USIZE,
            C::USIZE,
            dy.as_slice(),
            gv.as_mut_slice(),
        );
    }
}

/// Matrix-matrix product `A B` (through `matrixmultiply` for `f32`/`f64`).
///
/// ```
/// use backprop::prelude::*;
/// let a = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
/// let b = Matrix::<f64, U2, U1>::from([[3.0], [4.0]]);
/// assert_eq!(eval(|(a, b)| a.matmul(b), &(a, b)), Matrix::from([[11.0]]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MatMul;

impl<T: Scalar, R: Dim, K: Dim, K2: Dim, C: Dim> BinaryOp<Matrix<T, R, K>, Matrix<T, K2, C>>
    for MatMul
{
    type Out = Matrix<T, R, C>;
    fn forward(&self, a: &Matrix<T, R, K>, b: &Matrix<T, K2, C>) -> Matrix<T, R, C> {
        // Written by the product (beta = 0): no zero-fill first.
        Matrix::from_writer(|y| {
            kernels::gemm(
                R::USIZE,
                K::USIZE,
                C::USIZE,
                a.as_slice(),
                b.as_slice(),
                T::zero(),
                y,
                Tr::None,
            )
        })
    }
    fn backward_a(
        &self,
        _: &Matrix<T, R, K>,
        b: &Matrix<T, K2, C>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Matrix<T, R, K>,
    ) {
        Self::grad_a(b, dy, T::one(), ga)
    }
    fn backward_b(
        &self,
        a: &Matrix<T, R, K>,
        _: &Matrix<T, K2, C>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Matrix<T, K2, C>,
    ) {
        Self::grad_b(a, dy, T::one(), gb)
    }
    fn backward_a_write(
        &self,
        _: &Matrix<T, R, K>,
        b: &Matrix<T, K2, C>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Matrix<T, R, K>,
    ) {
        Self::grad_a(b, dy, T::zero(), ga)
    }
    fn backward_b_write(
        &self,
        a: &Matrix<T, R, K>,
        _: &Matrix<T, K2, C>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Matrix<T, K2, C>,
    ) {
        Self::grad_b(a, dy, T::zero(), gb)
    }
}

impl MatMul {
    /// `dA = beta dA + dY B^T` (beta 1 adds, 0 writes).
    fn grad_a<T: Scalar, R: Dim, K: Dim, K2: Dim, C: Dim>(
        b: &Matrix<T, K2, C>,
        dy: &Matrix<T, R, C>,
        beta: T,
        ga: &mut Matrix<T, R, K>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            r,
            c,
            k,
            dy.as_slice(),
            b.as_slice(),
            beta,
            ga.as_mut_slice(),
            Tr::B,
        );
    }
    /// `dB = beta dB + A^T dY`.
    fn grad_b<T: Scalar, R: Dim, K: Dim, K2: Dim, C: Dim>(
        a: &Matrix<T, R, K>,
        dy: &Matrix<T, R, C>,
        beta: T,
        gb: &mut Matrix<T, K2, C>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            k,
            r,
            c,
            a.as_slice(),
            dy.as_slice(),
            beta,
            gb.as_mut_slice(),
            Tr::A,
        );
    }
}

/// Matrix product with the right operand transposed, `A B^T`, without forming `B^T`: a batch
/// of rows times a weight matrix stored one row per output.
///
/// ```
/// use backprop::prelude::*;
/// let a = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
/// let b = Matrix::<f64, U3, U2>::from([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]);
/// assert_eq!(eval(|(a, b)| a.matmul_t(b), &(a, b)), Matrix::from([[1.0, 2.0, 3.0]]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MatMulT;

impl<T: Scalar, R: Dim, K: Dim, C: Dim, K2: Dim> BinaryOp<Matrix<T, R, K>, Matrix<T, C, K2>>
    for MatMulT
{
    type Out = Matrix<T, R, C>;
    fn forward(&self, a: &Matrix<T, R, K>, b: &Matrix<T, C, K2>) -> Matrix<T, R, C> {
        Matrix::from_writer(|y| {
            kernels::gemm(
                R::USIZE,
                K::USIZE,
                C::USIZE,
                a.as_slice(),
                b.as_slice(),
                T::zero(),
                y,
                Tr::B,
            )
        })
    }
    fn backward_a(
        &self,
        _: &Matrix<T, R, K>,
        b: &Matrix<T, C, K2>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Matrix<T, R, K>,
    ) {
        Self::grad_a(b, dy, T::one(), ga)
    }
    fn backward_b(
        &self,
        a: &Matrix<T, R, K>,
        _: &Matrix<T, C, K2>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Matrix<T, C, K2>,
    ) {
        Self::grad_b(a, dy, T::one(), gb)
    }
    fn backward_a_write(
        &self,
        _: &Matrix<T, R, K>,
        b: &Matrix<T, C, K2>,
        _: &Self::Out,
        dy: &Self::Out,
        ga: &mut Matrix<T, R, K>,
    ) {
        Self::grad_a(b, dy, T::zero(), ga)
    }
    fn backward_b_write(
        &self,
        a: &Matrix<T, R, K>,
        _: &Matrix<T, C, K2>,
        _: &Self::Out,
        dy: &Self::Out,
        gb: &mut Matrix<T, C, K2>,
    ) {
        Self::grad_b(a, dy, T::zero(), gb)
    }
}

impl MatMulT {
    /// `dA = beta dA + dY B` (beta 1 adds, 0 writes).
    fn grad_a<T: Scalar, R: Dim, K: Dim, C: Dim, K2: Dim>(
        b: &Matrix<T, C, K2>,
        dy: &Matrix<T, R, C>,
        beta: T,
        ga: &mut Matrix<T, R, K>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            r,
            c,
            k,
            dy.as_slice(),
            b.as_slice(),
            beta,
            ga.as_mut_slice(),
            Tr::None,
        );
    }
    /// `dB = beta dB + dY^T A`.
    fn grad_b<T: Scalar, R: Dim, K: Dim, C: Dim, K2: Dim>(
        a: &Matrix<T, R, K>,
        dy: &Matrix<T, R, C>,
        beta: T,
        gb: &mut Matrix<T, C, K2>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            c,
            r,
            k,
            dy.as_slice(),
            a.as_slice(),
            beta,
            gb.as_mut_slice(),
            Tr::A,
        );
    }
}

/// Outer product `a b^T`.
///
/// ```
/// use backprop::prelude::*;
/// let a = Vector::<f64, U2>::from([1.0, 2.0]);
/// let b = Vector::<f64, U1>::from([3.0]);
/// assert_eq!(eval(|(a, b)| a.outer(b), &(a, b)), Matrix::from([[3.0], [6.0]]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Outer;

impl<T: Scalar, R: Dim, C: Dim> BinaryOp<Vector<T, R>, Vector<T, C>> for Outer {
    type Out = Matrix<T, R, C>;
    fn forward(&self, a: &Vector<T, R>, b: &Vector<T, C>) -> Matrix<T, R, C> {
        let mut y = Matrix::zeros();
        kernels::rank1_acc(y.as_mut_slice(), a.as_slice(), b.as_slice());
        y
    }
    fn backward_a(
        &self,
        _: &Vector<T, R>,
        b: &Vector<T, C>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        ga: &mut Vector<T, R>,
    ) {
        for (r, g) in ga.iter_mut().enumerate() {
            *g += kernels::dot(dy.row(r), b.as_slice());
        }
    }
    fn backward_b(
        &self,
        a: &Vector<T, R>,
        _: &Vector<T, C>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gb: &mut Vector<T, C>,
    ) {
        kernels::matvec_t_acc(
            dy.as_slice(),
            R::USIZE,
            C::USIZE,
            a.as_slice(),
            gb.as_mut_slice(),
        );
    }
}

/// Dot product `a . b` of two vectors of the same length.
///
/// ```
/// use backprop::prelude::*;
/// let a = Vector::<f64, U2>::from([1.0, 2.0]);
/// assert_eq!(grad(|a| a.dot(a), &a), Vector::from([2.0, 4.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Dot;

impl<T: Scalar, N: Dim, M: Dim> BinaryOp<Vector<T, N>, Vector<T, M>> for Dot {
    type Out = T;
    #[inline(always)]
    fn forward(&self, a: &Vector<T, N>, b: &Vector<T, M>) -> T {
        kernels::dot(a.as_slice(), b.as_slice())
    }
    #[inline(always)]
    fn backward_a(&self, _: &Vector<T, N>, b: &Vector<T, M>, _: &T, dy: &T, ga: &mut Vector<T, N>) {
        kernels::axpy(ga.as_mut_slice(), *dy, b.as_slice());
    }
    #[inline(always)]
    fn backward_b(&self, a: &Vector<T, N>, _: &Vector<T, M>, _: &T, dy: &T, gb: &mut Vector<T, M>) {
        kernels::axpy(gb.as_mut_slice(), *dy, a.as_slice());
    }
}

/// Transpose of a matrix.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
/// assert_eq!(eval(|m| m.transpose(), &m), Matrix::<f64, U2, U1>::from([[1.0], [2.0]]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Transpose;

impl<T: Scalar, R: Dim, C: Dim> UnaryOp<Matrix<T, R, C>> for Transpose {
    type Out = Matrix<T, C, R>;
    fn forward(&self, a: &Matrix<T, R, C>) -> Matrix<T, C, R> {
        a.transpose()
    }
    fn backward(
        &self,
        _: &Matrix<T, R, C>,
        _: &Matrix<T, C, R>,
        dy: &Matrix<T, C, R>,
        ga: &mut Matrix<T, R, C>,
    ) {
        let (dy, ga) = (dy.as_slice(), ga.as_mut_slice());
        for r in 0..R::USIZE {
            for c in 0..C::USIZE {
                ga[r * C::USIZE + c] += dy[c * R::USIZE + r];
            }
        }
    }
}

// A vector as an N x 1 column, so that the node of a rejected `v.transpose()` still has a type
// and the rejection (by `MatrixShape`) is reported once. The same for `Trace`, `RowSums`, `ColSums`.
impl<T: Scalar, N: Dim> UnaryOp<Vector<T, N>> for Transpose {
    type Out = Matrix<T, crate::dims::U1, N>;
    fn forward(&self, a: &Vector<T, N>) -> Self::Out {
        Matrix::from_fn(|_, c| a[c])
    }
    fn backward(&self, _: &Vector<T, N>, _: &Self::Out, dy: &Self::Out, ga: &mut Vector<T, N>) {
        kernels::add_assign(ga.as_mut_slice(), dy.as_slice());
    }
}

/// Trace (sum of the diagonal) of a square matrix.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(value_and_grad(|m| m.trace(), &m), (5.0, Matrix::identity()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Trace;

impl<T: Scalar, R: Dim, C: Dim> UnaryOp<Matrix<T, R, C>> for Trace {
    type Out = T;
    fn forward(&self, a: &Matrix<T, R, C>) -> T {
        (0..R::USIZE.min(C::USIZE)).map(|i| a[(i, i)]).sum()
    }
    fn backward(&self, _: &Matrix<T, R, C>, _: &T, dy: &T, ga: &mut Matrix<T, R, C>) {
        for i in 0..R::USIZE.min(C::USIZE) {
            ga[(i, i)] += *dy;
        }
    }
}

impl<T: Scalar, N: Dim> UnaryOp<Vector<T, N>> for Trace {
    type Out = T;
    fn forward(&self, a: &Vector<T, N>) -> T {
        a.get(0).unwrap_or_else(T::zero)
    }
    fn backward(&self, _: &Vector<T, N>, _: &T, dy: &T, ga: &mut Vector<T, N>) {
        if let Some(g) = ga.as_mut_slice().first_mut() {
            *g += *dy;
        }
    }
}

crate::ops::table::unary_methods! {
    names: UNARY_NAMES;
    /// Transpose of a matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// let two = Vector::<f64, U1>::from([2.0]);
    /// let g = grad(|m| m.transpose().matvec(constant(&two)).sum(), &m);
    /// assert_eq!(g, Matrix::from([[2.0, 2.0]]));
    /// ```
    transpose() = Transpose, operand MatrixShape;
    /// Trace of a square matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|m| m.trace(), &Matrix::<f64, U3, U3>::identity()), 3.0);
    /// ```
    trace() = Trace, operand TraceShape;
}

crate::ops::table::binary_methods! {
    names: BINARY_NAMES;
    /// Matrix-vector product: `self` is an `R x C` matrix, `v` a vector of `C`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// let v = Vector::<f64, U2>::from([3.0, 4.0]);
    /// let dm = grad(|m| m.matvec(constant(&v)).sum(), &m);
    /// assert_eq!(dm, Matrix::from([[3.0, 4.0]]));
    /// ```
    matvec(v) = MatVec, checked MatVecShape;
    /// Matrix product: `self` is `R x K`, `rhs` is `K x C`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Matrix::<f64, U2, U2>::identity();
    /// let (da, _) = grad(|(a, b)| a.matmul(b).sum(), &(a.clone(), a));
    /// assert_eq!(da, Matrix::filled(1.0));
    /// ```
    matmul(rhs) = MatMul, checked MatMulShape;
    /// Matrix product with `rhs` transposed: `self` is `R x K`, `rhs` is `C x K`; the result is
    /// `R x C`. For a batch (one sample a row) times weights stored one row per output.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let x = Matrix::<f64, U2, U3>::filled(1.0);
    /// let w = Matrix::<f64, U4, U3>::filled(0.5);
    /// let (y, (dx, dw)) = value_and_grad(|(x, w)| x.matmul_t(w).sum(), &(x, w));
    /// assert_eq!(y, 2.0 * 4.0 * 1.5);
    /// assert_eq!((dx, dw), (Matrix::filled(2.0), Matrix::filled(2.0)));
    /// ```
    matmul_t(rhs) = MatMulT, checked MatMulTShape;
    /// Outer product of two vectors.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!(grad(|a| a.outer(a).sum(), &a), Vector::from([6.0, 6.0]));
    /// ```
    outer(rhs) = Outer, checked OuterShape;
    /// Dot product of two vectors of the same length.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    /// assert_eq!(eval(|v| v.dot(v), &v), 14.0);
    /// ```
    dot(rhs) = Dot, checked DotShape;
}

crate::tangent::second_order! { bilinear:
    impl[] MatVec;
    impl[] MatMul;
    impl[] MatMulT;
    impl[] Outer;
    impl[] Dot;
}
crate::tangent::second_order! { linear unary:
    impl[] Transpose;
    impl[] Trace;
}
