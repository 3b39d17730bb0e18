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

use typenum::Unsigned;

use crate::expr::{Ex, Expr};
use crate::kernels::{self, Transpose as Tr};
use crate::ops::{apply2, Binary, BinaryOp, Unary, UnaryOp};
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

impl<T: Scalar, R: Unsigned, C: Unsigned> BinaryOp<Matrix<T, R, C>, Vector<T, C>> for MatVec {
    type Out = Vector<T, R>;
    #[inline(always)]
    fn forward(&self, w: &Matrix<T, R, C>, v: &Vector<T, C>) -> Vector<T, R> {
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
        v: &Vector<T, C>,
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
        _: &Vector<T, C>,
        _: &Vector<T, R>,
        dy: &Vector<T, R>,
        gv: &mut Vector<T, C>,
    ) {
        kernels::matvec_t_acc(
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

impl<T: Scalar, R: Unsigned, K: Unsigned, C: Unsigned> BinaryOp<Matrix<T, R, K>, Matrix<T, K, C>>
    for MatMul
{
    type Out = Matrix<T, R, C>;
    fn forward(&self, a: &Matrix<T, R, K>, b: &Matrix<T, K, C>) -> Matrix<T, R, C> {
        let mut y = Matrix::zeros();
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            r,
            k,
            c,
            a.as_slice(),
            b.as_slice(),
            T::zero(),
            y.as_mut_slice(),
            Tr::None,
        );
        y
    }
    fn backward_a(
        &self,
        _: &Matrix<T, R, K>,
        b: &Matrix<T, K, C>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        ga: &mut Matrix<T, R, K>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            r,
            c,
            k,
            dy.as_slice(),
            b.as_slice(),
            T::one(),
            ga.as_mut_slice(),
            Tr::B,
        );
    }
    fn backward_b(
        &self,
        a: &Matrix<T, R, K>,
        _: &Matrix<T, K, C>,
        _: &Matrix<T, R, C>,
        dy: &Matrix<T, R, C>,
        gb: &mut Matrix<T, K, C>,
    ) {
        let (r, k, c) = (R::USIZE, K::USIZE, C::USIZE);
        kernels::gemm(
            k,
            r,
            c,
            a.as_slice(),
            dy.as_slice(),
            T::one(),
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

impl<T: Scalar, R: Unsigned, C: Unsigned> BinaryOp<Vector<T, R>, Vector<T, C>> for Outer {
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

impl<T: Scalar, N: Unsigned> BinaryOp<Vector<T, N>, Vector<T, N>> for Dot {
    type Out = T;
    #[inline(always)]
    fn forward(&self, a: &Vector<T, N>, b: &Vector<T, N>) -> T {
        kernels::dot(a.as_slice(), b.as_slice())
    }
    #[inline(always)]
    fn backward_a(&self, _: &Vector<T, N>, b: &Vector<T, N>, _: &T, dy: &T, ga: &mut Vector<T, N>) {
        kernels::axpy(ga.as_mut_slice(), *dy, b.as_slice());
    }
    #[inline(always)]
    fn backward_b(&self, a: &Vector<T, N>, _: &Vector<T, N>, _: &T, dy: &T, gb: &mut Vector<T, N>) {
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

impl<T: Scalar, R: Unsigned, C: Unsigned> UnaryOp<Matrix<T, R, C>> for Transpose {
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

/// Trace (sum of the diagonal) of a square matrix.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(value_and_grad(|m| m.trace(), &m), (5.0, Matrix::identity()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Trace;

impl<T: Scalar, N: Unsigned> UnaryOp<Matrix<T, N, N>> for Trace {
    type Out = T;
    fn forward(&self, a: &Matrix<T, N, N>) -> T {
        (0..N::USIZE).map(|i| a[(i, i)]).sum()
    }
    fn backward(&self, _: &Matrix<T, N, N>, _: &T, dy: &T, ga: &mut Matrix<T, N, N>) {
        for i in 0..N::USIZE {
            ga[(i, i)] += *dy;
        }
    }
}

impl<A: Expr> Ex<A> {
    /// Matrix-vector product: `self` is an `R x C` matrix, `v` a vector of `C`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// let v = Vector::<f64, U2>::from([3.0, 4.0]);
    /// let dm = grad(|m| m.matvec(constant(&v)).sum(), &m);
    /// assert_eq!(dm, Matrix::from([[3.0, 4.0]]));
    /// ```
    #[inline(always)]
    pub fn matvec<B: Expr>(self, v: Ex<B>) -> Ex<Binary<MatVec, A, B>>
    where
        MatVec: BinaryOp<A::Out, B::Out>,
    {
        apply2(MatVec, self, v)
    }

    /// Matrix product: `self` is `R x K`, `rhs` is `K x C`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Matrix::<f64, U2, U2>::identity();
    /// let (da, _) = grad(|(a, b)| a.matmul(b).sum(), &(a.clone(), a));
    /// assert_eq!(da, Matrix::filled(1.0));
    /// ```
    #[inline(always)]
    pub fn matmul<B: Expr>(self, rhs: Ex<B>) -> Ex<Binary<MatMul, A, B>>
    where
        MatMul: BinaryOp<A::Out, B::Out>,
    {
        apply2(MatMul, self, rhs)
    }

    /// Outer product of two vectors.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let a = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!(grad(|a| a.outer(a).sum(), &a), Vector::from([6.0, 6.0]));
    /// ```
    #[inline(always)]
    pub fn outer<B: Expr>(self, rhs: Ex<B>) -> Ex<Binary<Outer, A, B>>
    where
        Outer: BinaryOp<A::Out, B::Out>,
    {
        apply2(Outer, self, rhs)
    }

    /// Dot product of two vectors of the same length.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    /// assert_eq!(eval(|v| v.dot(v), &v), 14.0);
    /// ```
    #[inline(always)]
    pub fn dot<B: Expr>(self, rhs: Ex<B>) -> Ex<Binary<Dot, A, B>>
    where
        Dot: BinaryOp<A::Out, B::Out>,
    {
        apply2(Dot, self, rhs)
    }

    /// Transpose of a matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
    /// let two = Vector::<f64, U1>::from([2.0]);
    /// let g = grad(|m| m.transpose().matvec(constant(&two)).sum(), &m);
    /// assert_eq!(g, Matrix::from([[2.0, 2.0]]));
    /// ```
    #[inline(always)]
    pub fn transpose(self) -> Ex<Unary<Transpose, A>>
    where
        Transpose: UnaryOp<A::Out>,
    {
        self.apply(Transpose)
    }

    /// Trace of a square matrix.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|m| m.trace(), &Matrix::<f64, U3, U3>::identity()), 3.0);
    /// ```
    #[inline(always)]
    pub fn trace(self) -> Ex<Unary<Trace, A>>
    where
        Trace: UnaryOp<A::Out>,
    {
        self.apply(Trace)
    }
}
