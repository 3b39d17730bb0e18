//! Losses: squared error, cross-entropy, and softmax cross-entropy fused and stable.
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `squared_error(a, b)` | `y = sum_i (a_i - b_i)^2` | `da += 2 dy (a - b)`, `db -= 2 dy (a - b)` |
//! | `cross_entropy(p, t)` | `y = -sum_i t_i ln p_i` | `dp += -dy t / p`, `dt += -dy ln p` |
//! | `softmax_cross_entropy(z, t)` | `y = sum_i t_i (lse(z) - z_i)` | `dz += dy (softmax(z) sum t - t)`, `dt += dy (lse(z) - z)` |
//!
//! `softmax_cross_entropy` takes logits and never forms `ln(softmax)`, so it is finite and
//! exact for logits near +-1000 where the unfused version overflows.
//!
//! A target entry of 0 contributes nothing, whatever its prediction (`0 ln 0 = 0`, as in the
//! definition of entropy): `cross_entropy(softmax([1000, 0]), [1, 0])` is 0, and a logit of
//! `-inf` (a masked class) or `+-1e308` with target 0 leaves the loss finite. Its gradient
//! contribution for `p` is 0 too.

use num_traits::{Float, Zero};

use crate::ops::softmax::{gap, shifted_sum, softmax_acc};
use crate::ops::BinaryOp;
use crate::shape::{LossShape, VectorLossShape};
use crate::{kernels, Dim, Matrix, Scalar, Tensor};

/// Sum of squared differences.
///
/// ```
/// use backprop::ops::{loss::SquaredError, BinaryOp};
/// assert_eq!(SquaredError.forward(&3.0_f64, &1.0), 4.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SquaredError;

impl<X: Tensor, Y: Tensor<Elem = X::Elem>> BinaryOp<X, Y> for SquaredError {
    type Out = X::Elem;
    fn forward(&self, a: &X, b: &Y) -> X::Elem {
        let (a, b) = (a.as_slice(), b.as_slice());
        a.iter().zip(b).map(|(&x, &y)| (x - y) * (x - y)).sum()
    }
    fn backward_a(&self, a: &X, b: &Y, _: &X::Elem, dy: &X::Elem, ga: &mut X) {
        squared_error_grad(ga.as_mut_slice(), *dy + *dy, a.as_slice(), b.as_slice());
    }
    fn backward_b(&self, a: &X, b: &Y, _: &X::Elem, dy: &X::Elem, gb: &mut Y) {
        squared_error_grad(gb.as_mut_slice(), *dy + *dy, b.as_slice(), a.as_slice());
    }
}

/// `g += two_dy (a - b)`.
fn squared_error_grad<T: Scalar>(g: &mut [T], two_dy: T, a: &[T], b: &[T]) {
    for ((g, &x), &y) in g.iter_mut().zip(a).zip(b) {
        *g += two_dy * (x - y);
    }
}

/// Cross-entropy `-sum t ln p` of probabilities `p` against a target distribution `t`.
///
/// ```
/// use backprop::ops::{loss::CrossEntropy, BinaryOp};
/// assert_eq!(CrossEntropy.forward(&1.0_f64, &1.0), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropy;

impl<X: Tensor, Y: Tensor<Elem = X::Elem>> BinaryOp<X, Y> for CrossEntropy {
    type Out = X::Elem;
    fn forward(&self, p: &X, t: &Y) -> X::Elem {
        let (p, t) = (p.as_slice(), t.as_slice());
        -p.iter()
            .zip(t)
            .filter(|(_, &ti)| ti != X::Elem::zero())
            .map(|(&pi, &ti)| ti * pi.ln())
            .sum::<X::Elem>()
    }
    fn backward_a(&self, p: &X, t: &Y, _: &X::Elem, dy: &X::Elem, gp: &mut X) {
        let (p, t) = (p.as_slice(), t.as_slice());
        for ((g, &pi), &ti) in gp.as_mut_slice().iter_mut().zip(p).zip(t) {
            if ti != X::Elem::zero() {
                *g -= *dy * ti / pi;
            }
        }
    }
    fn backward_b(&self, p: &X, _: &Y, _: &X::Elem, dy: &X::Elem, gt: &mut Y) {
        for (g, &pi) in gt.as_mut_slice().iter_mut().zip(p.as_slice()) {
            *g -= *dy * pi.ln();
        }
    }
}

/// Cross-entropy of `softmax(z)` against `t`, from the logits `z`, fused and stable.
///
/// ```
/// use backprop::ops::{loss::SoftmaxCrossEntropy, BinaryOp};
/// use backprop::prelude::*;
/// let z = Vector::<f64, U2>::from([0.0, 0.0]);
/// let t = Vector::<f64, U2>::from([1.0, 0.0]);
/// assert_eq!(SoftmaxCrossEntropy.forward(&z, &t), 2.0_f64.ln());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftmaxCrossEntropy;

impl<X: Tensor, Y: Tensor<Elem = X::Elem>> BinaryOp<X, Y> for SoftmaxCrossEntropy {
    type Out = X::Elem;
    fn forward(&self, z: &X, t: &Y) -> X::Elem {
        softmax_cross_entropy_of(z.as_slice(), t.as_slice())
    }
    fn backward_a(&self, z: &X, t: &Y, _: &X::Elem, dy: &X::Elem, gz: &mut X) {
        let total = kernels::sum(t.as_slice());
        softmax_acc(z.as_slice(), *dy * total, gz.as_mut_slice());
        kernels::axpy(gz.as_mut_slice(), -*dy, t.as_slice());
    }
    fn backward_b(&self, z: &X, _: &Y, _: &X::Elem, dy: &X::Elem, gt: &mut Y) {
        let (m, s) = shifted_sum(z.as_slice());
        let ln_s = s.ln();
        for (g, &zi) in gt.as_mut_slice().iter_mut().zip(z.as_slice()) {
            *g += *dy * (gap(m, zi) + ln_s);
        }
    }
}

/// `sum_i t_i (lse(z) - z_i)`, computed as `sum_i t_i ((m - z_i) + ln s)` without overflow.
/// Entries with `t_i = 0` are skipped (`0 * inf` would be NaN for a masked logit).
fn softmax_cross_entropy_of<T: Scalar>(z: &[T], t: &[T]) -> T {
    if z.iter().chain(t).any(|v| v.is_nan()) {
        return T::nan();
    }
    let (m, s) = shifted_sum(z);
    let ln_s = s.ln();
    z.iter()
        .zip(t)
        .filter(|(_, &ti)| ti != T::zero())
        .map(|(&zi, &ti)| ti * (gap(m, zi) + ln_s))
        .sum()
}

/// Softmax cross-entropy of each row of a batch of logits against the same row of the targets,
/// summed over the rows (a mini-batch loss).
///
/// ```
/// use backprop::ops::{loss::SoftmaxCrossEntropyRows, BinaryOp};
/// use backprop::prelude::*;
/// let z = Matrix::<f64, U2, U2>::zeros();
/// let t = Matrix::<f64, U2, U2>::from([[1.0, 0.0], [0.0, 1.0]]);
/// assert_eq!(SoftmaxCrossEntropyRows.forward(&z, &t), 2.0 * 2.0_f64.ln());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftmaxCrossEntropyRows;

impl<T: Scalar, R: Dim, C: Dim, R2: Dim, C2: Dim> BinaryOp<Matrix<T, R, C>, Matrix<T, R2, C2>>
    for SoftmaxCrossEntropyRows
{
    type Out = T;
    fn forward(&self, z: &Matrix<T, R, C>, t: &Matrix<T, R2, C2>) -> T {
        (0..R::USIZE)
            .map(|r| softmax_cross_entropy_of(z.row(r), t.row(r)))
            .fold(T::zero(), |s, v| s + v)
    }
    fn backward_a(
        &self,
        z: &Matrix<T, R, C>,
        t: &Matrix<T, R2, C2>,
        _: &T,
        dy: &T,
        gz: &mut Matrix<T, R, C>,
    ) {
        let c = C::USIZE.max(1);
        for (r, g) in gz.as_mut_slice().chunks_exact_mut(c).enumerate() {
            let total = kernels::sum(t.row(r));
            softmax_acc(z.row(r), *dy * total, g);
            kernels::axpy(g, -*dy, t.row(r));
        }
    }
    fn backward_b(
        &self,
        z: &Matrix<T, R, C>,
        _: &Matrix<T, R2, C2>,
        _: &T,
        dy: &T,
        gt: &mut Matrix<T, R2, C2>,
    ) {
        let c = C2::USIZE.max(1);
        for (r, g) in gt.as_mut_slice().chunks_exact_mut(c).enumerate() {
            let (m, s) = shifted_sum(z.row(r));
            let ln_s = s.ln();
            for (gi, &zi) in g.iter_mut().zip(z.row(r)) {
                *gi += *dy * (gap(m, zi) + ln_s);
            }
        }
    }
}

crate::ops::table::binary_functions! {
    names: NAMES;
    /// Sum of squared differences between two tensors of the same shape.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = Vector::<f64, U2>::from([1.0, 1.0]);
    /// let (y, g) = value_and_grad(|p| squared_error(p, constant(&t)), &Vector::from([3.0, 1.0]));
    /// assert_eq!((y, g), (4.0, Vector::from([4.0, 0.0])));
    /// ```
    squared_error(a, b) = SquaredError, rule LossShape;
    /// Cross-entropy `-sum t ln p` of probabilities `p` against target `t` (same shape).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = Vector::<f64, U2>::from([0.0, 1.0]);
    /// let p = Vector::<f64, U2>::from([0.5, 0.5]);
    /// let (y, g) = value_and_grad(|p| cross_entropy(p, constant(&t)), &p);
    /// assert_eq!((y, g), (2.0_f64.ln(), Vector::from([0.0, -2.0])));
    /// ```
    cross_entropy(p, t) = CrossEntropy, rule LossShape;
    /// Cross-entropy of `softmax(logits)` against target `t`, fused and stable for any logits.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = Vector::<f64, U2>::from([0.0, 1.0]);
    /// let z = Vector::<f64, U2>::from([1000.0, -1000.0]);
    /// let (y, g) = value_and_grad(|z| softmax_cross_entropy(z, constant(&t)), &z);
    /// assert_eq!((y, g), (2000.0, Vector::from([1.0, -1.0])));
    /// ```
    softmax_cross_entropy(logits, t) = SoftmaxCrossEntropy, rule VectorLossShape;
    /// Softmax cross-entropy of each row of `logits` (a batch, one sample a row) against the same row
    /// of `targets`, summed over the rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let z = Matrix::<f64, U2, U3>::from([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]);
    /// let t = Matrix::<f64, U2, U3>::from([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    /// let batch = eval(|z| softmax_cross_entropy_rows(z, constant(&t)), &z);
    /// let (r0, t0) = (Vector::<f64, U3>::from([1.0, 2.0, 3.0]), Vector::from([0.0, 0.0, 1.0]));
    /// let one = eval(|z| softmax_cross_entropy(z, constant(&t0)), &r0);
    /// assert!((batch - (one + 3.0_f64.ln())).abs() < 1e-12);
    /// ```
    softmax_cross_entropy_rows(logits, targets) = SoftmaxCrossEntropyRows, rule LossShape bound;
}

crate::tangent::second_order! { by dual binary:
    impl[] SquaredError;
    impl[] CrossEntropy;
    impl[] SoftmaxCrossEntropy;
    impl[] SoftmaxCrossEntropyRows;
}
