//! Gradient checking for users: compare a function's gradient with central finite differences
//! (like `torch.autograd.gradcheck`).

use core::fmt;

use crate::entry::Placeholders;
use crate::expr::{Diff, Ex, Input};
use crate::{eval, value_and_grad, Scalar, Scalars};

/// The outcome of [`check_grad`]: the worst disagreement between the analytic gradient and
/// central differences, and where it is.
///
/// The error of one scalar is `|analytic - numeric| / max(1, |analytic|, |numeric|)`: absolute
/// for small gradients, relative for large ones.
///
/// ```
/// use backprop::prelude::*;
/// let r = check_grad(|(a, b)| a * b.exp(), &(2.0_f64, 0.5_f64), 1e-6);
/// assert_eq!(r.checked, 2);
/// assert!(r.max_error < 1e-8, "{r}");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck {
    /// Largest error over all scalars of the input.
    pub max_error: f64,
    /// Index of that scalar, in the order of [`Scalars::for_each_scalar`].
    pub worst_index: usize,
    /// The analytic gradient there.
    pub analytic: f64,
    /// The central-difference estimate there.
    pub numeric: f64,
    /// How many scalars were checked.
    pub checked: usize,
}

impl GradCheck {
    /// True when `max_error <= tol` (and no value was NaN).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert!(check_grad(|x| x.sin(), &1.0_f64, 1e-5).passed(1e-8));
    /// ```
    pub fn passed(&self, tol: f64) -> bool {
        self.max_error <= tol
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "worst error {:.3e} at scalar #{} of {} (analytic {}, central difference {})",
            self.max_error, self.worst_index, self.checked, self.analytic, self.numeric
        )
    }
}

/// Checks the gradient of `f` at `x` against central differences with relative step `step`
/// (each scalar `x_i` moves by `step * max(1, |x_i|)`).
///
/// `f` must return a scalar. It is evaluated `2n + 1` times for an input of `n` scalars.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U3>::from([0.5, -1.0, 2.0]);
/// let report = check_grad(|v| v.tanh().dot(v).exp(), &v, 1e-5);
/// assert!(report.passed(1e-7), "{report}");
/// assert_eq!(report.checked, 3);
/// ```
pub fn check_grad<In, T, F, N>(f: F, x: &In, step: f64) -> GradCheck
where
    In: Input + Scalars<T>,
    T: Scalar,
    F: Fn(Placeholders<In>) -> Ex<N>,
    N: Diff<In, Out = T>,
{
    let (_, g) = value_and_grad(&f, x);
    let mut analytic = Vec::new();
    g.for_each_scalar(&mut |v| analytic.push(v.to_f64()));
    let mut report = GradCheck {
        max_error: 0.0,
        worst_index: 0,
        analytic: f64::NAN,
        numeric: f64::NAN,
        checked: analytic.len(),
    };
    let mut xs = Vec::new();
    x.for_each_scalar(&mut |v| xs.push(v));
    let set = |p: &mut In, i: usize, v: T| {
        let mut k = 0;
        p.for_each_scalar_mut(&mut |s| {
            if k == i {
                *s = v;
            }
            k += 1;
        });
    };
    let mut probe = x.clone();
    for (i, (&a, &xi)) in analytic.iter().zip(&xs).enumerate() {
        let h = step * xi.to_f64().abs().max(1.0);
        // The steps actually taken, after rounding to `T`.
        let (hi, lo) = (T::from_f64(xi.to_f64() + h), T::from_f64(xi.to_f64() - h));
        set(&mut probe, i, hi);
        let up = eval(&f, &probe).to_f64();
        set(&mut probe, i, lo);
        let down = eval(&f, &probe).to_f64();
        set(&mut probe, i, xi);
        let n = (up - down) / (hi.to_f64() - lo.to_f64());
        let err = (a - n).abs() / 1f64.max(a.abs()).max(n.abs());
        // NaN anywhere is the worst possible outcome.
        let err = if err.is_nan() { f64::INFINITY } else { err };
        if i == 0 || err > report.max_error {
            report = GradCheck {
                max_error: err,
                worst_index: i,
                analytic: a,
                numeric: n,
                ..report
            };
        }
    }
    report
}
