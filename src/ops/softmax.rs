//! Softmax, log-softmax and log-sum-exp of a vector, stable for inputs of any magnitude (the
//! maximum is subtracted before exponentiating).
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `x.softmax()` | `y_i = e^(x_i - m) / sum_j e^(x_j - m)` | `dx = y * (dy - (dy . y))` |
//! | `x.log_softmax()` | `y_i = x_i - lse(x)` | `dx = dy - softmax(x) sum_j dy_j` |
//! | `x.logsumexp()` | `y = m + ln sum_j e^(x_j - m)` | `dx = dy softmax(x)` |
//!
//! Infinities and NaN have defined results: `-inf` entries get probability 0 (the masking
//! trick), `+inf` entries share all of it (softmax is uniform over them and `lse = +inf`), a
//! vector of only `-inf` has a uniform softmax and `lse = -inf`, and any NaN makes every result
//! NaN.

use crate::ops::UnaryOp;
use crate::shape::VectorShape;
use num_traits::{Float, One, Zero};

use crate::{kernels, Scalar, Tensor};

/// The shift `m = max x` and the shifted sum `s = sum_i e^(x_i - m)`, from which every
/// function here is computed without overflow: `lse = m + ln s`,
/// `softmax_i = e^(x_i - m) / s`, `log_softmax_i = (x_i - m) - ln s`.
///
/// ```
/// let (m, s) = backprop::ops::softmax::shifted_sum(&[1000.0_f64, 1000.0]);
/// assert_eq!((m, s), (1000.0, 2.0));
/// ```
pub fn shifted_sum<T: Scalar>(x: &[T]) -> (T, T) {
    if x.iter().any(|v| v.is_nan()) {
        // `max` would skip a NaN and give a finite result: propagate it instead.
        return (T::nan(), T::nan());
    }
    let m = x.iter().copied().fold(T::neg_infinity(), T::max);
    (m, x.iter().map(|&v| shifted_exp(v, m)).sum())
}

/// `e^(v - m)`, with `v == m` giving 1 even when both are infinite (where `v - m` is NaN).
#[inline(always)]
pub(crate) fn shifted_exp<T: Scalar>(v: T, m: T) -> T {
    if v == m {
        T::one()
    } else {
        (v - m).exp()
    }
}

/// `m - v` for `v <= m`, with `v == m` giving 0 even when both are infinite.
#[inline(always)]
pub(crate) fn gap<T: Scalar>(m: T, v: T) -> T {
    if v == m {
        T::zero()
    } else {
        m - v
    }
}

/// `ln sum_i e^(x_i)`, computed as `m + ln sum_i e^(x_i - m)` with `m = max x`.
///
/// ```
/// let y = backprop::ops::softmax::logsumexp(&[1000.0_f64, 1000.0]);
/// assert!((y - (1000.0 + 2.0_f64.ln())).abs() < 1e-12);
/// ```
pub fn logsumexp<T: Scalar>(x: &[T]) -> T {
    let (m, s) = shifted_sum(x);
    if m.is_infinite() {
        // All -inf (the sum of nothing) or some +inf: the maximum is the answer.
        return m;
    }
    m + s.ln()
}

/// Adds `scale * softmax(x)` into `out`.
///
/// ```
/// let mut out = [0.0; 2];
/// backprop::ops::softmax::softmax_acc(&[5.0_f64, 5.0], 2.0, &mut out);
/// assert_eq!(out, [1.0, 1.0]);
/// ```
pub fn softmax_acc<T: Scalar>(x: &[T], scale: T, out: &mut [T]) {
    let (m, s) = shifted_sum(x);
    let k = scale / s;
    for (o, &v) in out.iter_mut().zip(x) {
        *o += k * shifted_exp(v, m);
    }
}

/// Softmax of a vector.
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1000.0, 1000.0]);
/// assert_eq!(eval(|x| x.softmax(), &x), Vector::from([0.5, 0.5]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax;

// Defined on every tensor (all elements form one distribution); the `softmax` method allows
// vectors only, by `VectorShape`. The same holds for `LogSoftmax` and `LogSumExp`.
impl<X: Tensor> UnaryOp<X> for Softmax {
    type Out = X;
    fn forward(&self, x: &X) -> X {
        let mut y = X::filled(X::Elem::zero());
        softmax_acc(x.as_slice(), X::Elem::one(), y.as_mut_slice());
        y
    }
    fn backward(&self, _: &X, y: &X, dy: &X, gx: &mut X) {
        let (y, dy) = (y.as_slice(), dy.as_slice());
        let s = kernels::dot(dy, y);
        for ((g, &yi), &di) in gx.as_mut_slice().iter_mut().zip(y).zip(dy) {
            *g += yi * (di - s);
        }
    }
}

/// Log-softmax of a vector: `x - logsumexp(x)`.
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([0.0, 0.0]);
/// assert_eq!(eval(|x| x.log_softmax(), &x), Vector::filled(-(2.0_f64.ln())));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSoftmax;

impl<X: Tensor> UnaryOp<X> for LogSoftmax {
    type Out = X;
    fn forward(&self, x: &X) -> X {
        let (m, s) = shifted_sum(x.as_slice());
        let ln_s = s.ln();
        let xs = x.as_slice();
        X::from_flat_fn(|i| -gap(m, xs[i]) - ln_s)
    }
    fn backward(&self, _: &X, y: &X, dy: &X, gx: &mut X) {
        let (y, dy) = (y.as_slice(), dy.as_slice());
        let s = kernels::sum(dy);
        for ((g, &yi), &di) in gx.as_mut_slice().iter_mut().zip(y).zip(dy) {
            *g += di - yi.exp() * s;
        }
    }
}

/// Log-sum-exp of a vector (a smooth maximum).
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([-1000.0, -1000.0]);
/// let (y, g) = value_and_grad(|x| x.logsumexp(), &x);
/// assert!((y - (-1000.0 + 2.0_f64.ln())).abs() < 1e-9);
/// assert_eq!(g, Vector::from([0.5, 0.5]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSumExp;

impl<X: Tensor> UnaryOp<X> for LogSumExp {
    type Out = X::Elem;
    fn forward(&self, x: &X) -> X::Elem {
        logsumexp(x.as_slice())
    }
    fn backward(&self, x: &X, _: &X::Elem, dy: &X::Elem, gx: &mut X) {
        softmax_acc(x.as_slice(), *dy, gx.as_mut_slice());
    }
}

crate::ops::table::unary_methods! {
    names: NAMES;
    /// Softmax of a vector.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let x = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    /// assert!((eval(|x| x.softmax().sum(), &x) - 1.0).abs() < 1e-12);
    /// ```
    softmax() = Softmax, operand VectorShape;
    /// Log-softmax of a vector.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let x = Vector::<f64, U2>::from([1.0, 1.0]);
    /// assert!((eval(|x| x.log_softmax().exp().sum(), &x) - 1.0).abs() < 1e-12);
    /// ```
    log_softmax() = LogSoftmax, operand VectorShape;
    /// Log-sum-exp of a vector.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let x = Vector::<f64, U2>::from([0.0, 0.0]);
    /// assert_eq!(eval(|x| x.logsumexp(), &x), 2.0_f64.ln());
    /// ```
    logsumexp() = LogSumExp, operand VectorShape;
}

crate::tangent::second_order! { by dual unary:
    impl[] Softmax;
    impl[] LogSoftmax;
    impl[] LogSumExp;
}
