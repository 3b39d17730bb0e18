//! Second derivatives on the tape: a tape of dual numbers.
//!
//! The tape records any scalar type, and [`Dual`] is one: recording `f` at `x + v ε` gives
//! `f(x) + (J v) ε` (forward mode), and its gradient is `∇f(x) + (H v) ε` (forward-over-reverse).
//! Every operation works on duals as it is (they are generic over their scalar), so the tape
//! needs no second-order rule of its own. Differentiating the tape twice instead would mean
//! recording the backward pass itself as tape operations, a second implementation of every
//! gradient; duals cost a constant factor per operation instead (a dual multiply is three
//! multiplies; kernels take their portable loops) and nothing in code.
//!
//! [`jvp`] and [`hvp`] run a closure on a fresh tape of duals for one tensor input; for several
//! inputs, lift each with [`lift`] and read the `ε` parts of their gradients with
//! [`eps`](crate::tangent::eps):
//!
//! ```
//! use backprop::tape::Tape;
//! use backprop::tangent::{eps, lift};
//! use backprop::prelude::*;
//! let t = Tape::new();
//! let (w, b) = (Vector::<f64, U2>::from([1.0, -1.0]), 0.5_f64);
//! let (vw, vb) = (Vector::<f64, U2>::from([0.0, 1.0]), 1.0_f64);
//! let (lw, lb) = (t.var(lift(&w, Some(&vw))), t.var(lift(&b, Some(&vb))));
//! let y = (lw.dot(lw) + lb).tanh();
//! let mut g = t.backward(y);
//! let (hw, hb) = (eps::<Vector<f64, U2>>(&g.take(lw)), eps::<f64>(&g.take(lb)));
//! // the same as the static engine's
//! let (_, _, (sw, sb)) = hvp(|(w, b)| (w.dot(w) + b).tanh(), &(w, b), &(vw, vb));
//! assert!(hw.approx_eq(&sw, 1e-15) && (hb - sb).abs() < 1e-15);
//! ```

use super::{Tape, Var};
use crate::dual::Dual;
use crate::tangent::{eps, lift, Lifted};
use crate::Tensor;

/// A value with dual elements `Z`, with the dual numbers' scalars instead.
///
/// ```
/// use backprop::dual::Dual;
/// use backprop::prelude::*;
/// let v: backprop::tape::Parts<Vector<Dual<f64>, U2>> = Vector::<f64, U2>::zeros();
/// # let _ = v;
/// ```
pub type Parts<Z> = <Z as Tensor>::Rebind<<<Z as Tensor>::Elem as Real>::T>;

/// The real parts of a value with dual elements.
fn re<Z: Tensor>(z: &Z) -> Z::Rebind<<Z::Elem as Real>::T>
where
    Z::Elem: Real,
{
    let zs = z.as_slice();
    Z::Rebind::<<Z::Elem as Real>::T>::from_flat_fn(|i| zs[i].parts().0)
}

/// The `ε` parts of a value with dual elements.
fn eps_of<Z: Tensor>(z: &Z) -> Z::Rebind<<Z::Elem as Real>::T>
where
    Z::Elem: Real,
{
    let zs = z.as_slice();
    Z::Rebind::<<Z::Elem as Real>::T>::from_flat_fn(|i| zs[i].parts().1)
}

/// A dual number's scalar type and parts (for results whose element type is `Dual<T>`).
///
/// ```
/// use backprop::tape::Real;
/// assert_eq!(backprop::dual::Dual::new(1.0_f64, 2.0).parts(), (1.0, 2.0));
/// ```
pub trait Real: crate::Scalar {
    /// The scalar the dual number is made of.
    type T: crate::Scalar;
    /// `(re, eps)`.
    ///
    /// ```
    /// use backprop::tape::Real;
    /// assert_eq!(backprop::dual::Dual::new(3.0_f64, 0.0).parts().0, 3.0);
    /// ```
    fn parts(self) -> (Self::T, Self::T);
}

impl<T: crate::Scalar> Real for Dual<T> {
    type T = T;
    fn parts(self) -> (T, T) {
        (self.re, self.eps)
    }
}

/// Forward mode on the tape: `f` recorded at `x + v ε`; returns the value and `J v`.
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let (y, jv) = backprop::tape::jvp(|_, x| x * x.sum(), &x, &Vector::from([1.0, 0.0]));
/// assert_eq!((y, jv), (Vector::from([3.0, 6.0]), Vector::from([4.0, 2.0])));
/// ```
pub fn jvp<X, Z, F>(f: F, x: &X, v: &X) -> (Parts<Z>, Parts<Z>)
where
    X: Tensor,
    Lifted<X>: 'static,
    Z: Tensor + 'static,
    Z::Elem: Real,
    F: for<'t> FnOnce(&'t Tape, Var<'t, Lifted<X>>) -> Var<'t, Z>,
{
    let tape = Tape::new();
    let xv = tape.constant(lift(x, Some(v)));
    let y = f(&tape, xv).value();
    (re(&y), eps_of(&y))
}

/// Hessian-vector product on the tape: `f` recorded at `x + v ε` and differentiated; returns
/// the value, the gradient and `H v` (the last two of `x`'s type).
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let v = Vector::<f64, U2>::from([1.0, 0.0]);
/// // value-dependent control flow: a different function on each side of 0
/// let (y, g, hv) = backprop::tape::hvp(
///     |_, x| if x.value()[0].re > 0.0 { (x * x).sum() * x.sum() } else { x.sum() },
///     &x,
///     &v,
/// );
/// // f = (x.x)(sum x): H = 2 (sum x) I + 2 (x 1ᵀ + 1 xᵀ)
/// assert_eq!((y, g, hv), (15.0, Vector::from([11.0, 17.0]), Vector::from([10.0, 6.0])));
/// ```
pub fn hvp<X, F>(f: F, x: &X, v: &X) -> (X::Elem, X, X)
where
    X: Tensor,
    Lifted<X>: 'static,
    F: for<'t> FnOnce(&'t Tape, Var<'t, Lifted<X>>) -> Var<'t, Dual<X::Elem>>,
{
    let tape = Tape::new();
    let xv = tape.var(lift(x, Some(v)));
    let y = f(&tape, xv);
    let value = y.value().re;
    let g = tape.gradient(y, xv);
    let gs = g.as_slice();
    (value, X::from_flat_fn(|i| gs[i].re), eps::<X>(&g))
}
