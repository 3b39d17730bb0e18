//! Optimizers that update any record of parameters in place, through [`Scalars`]: the same walk
//! over the parameters and over their gradient (which has the same type) visits matching
//! scalars in the same order.
//!
//! An optimizer with state (momentum, Adam's moments) keeps it aligned with the parameters by
//! structure, not by position: when a key is inserted into a map of parameters, its state
//! starts at zero and every other key keeps its own. The state is flat buffers (the fast form
//! for the update loops) together with the parameters' shape at the last step; a step whose
//! gradient has another shape rebuilds each buffer as a value of the parameters' type and
//! conforms it to the new shape (see [`Backprop::conform_to`]) before updating.

use crate::{Backprop, GradientShapeError, Scalar, Scalars};

/// An optimizer: one update of parameters of type `P` from their gradient.
///
/// ```
/// use backprop::nn::{Optimizer, Sgd};
/// let mut p = (1.0_f64, [2.0_f64, 3.0]);
/// Sgd::new(0.5).step(&mut p, &(1.0, [2.0, -2.0]))?;
/// assert_eq!(p, (0.5, [1.0, 4.0]));
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
pub trait Optimizer<P> {
    /// Updates `params` in place from `grad` (a value of the same type).
    ///
    /// # Errors
    /// [`GradientShapeError`] when `grad` does not have the shape of `params` (a `Vec` of
    /// another length, a map with other keys); nothing is changed then.
    fn step(&mut self, params: &mut P, grad: &P) -> Result<(), GradientShapeError>;
}

/// A value's scalars, in walk order, into a buffer kept between steps (a tensor at a time).
fn flatten<T: Scalar, P: Scalars<T>>(value: &P, buf: &mut Vec<T>) {
    buf.clear();
    value.for_each_slice(&mut |g| buf.extend_from_slice(g));
}

/// Writes `buf` back into `value`'s scalars, in walk order (a shorter `buf` leaves the rest).
fn unflatten<T: Scalar, P: Scalars<T>>(value: &mut P, buf: &[T]) {
    update(value, |at, v| {
        let src = buf.get(at..).unwrap_or(&[]);
        let n = v.len().min(src.len());
        v[..n].copy_from_slice(&src[..n]);
    });
}

/// Calls `f(offset, run)` on every run of contiguous scalars of `params` (a whole tensor, or
/// one scalar), with the run's offset in walk order: how each optimizer updates a tensor in one
/// loop instead of one call per scalar.
fn update<T: Scalar, P: Scalars<T>>(params: &mut P, mut f: impl FnMut(usize, &mut [T])) {
    let mut at = 0;
    params.for_each_slice_mut(&mut |run| {
        f(at, run);
        at += run.len();
    });
}

/// `Err` unless `grad` has the shape of `params`.
fn check<P: Backprop>(params: &P, grad: &P) -> Result<(), GradientShapeError> {
    crate::gradient::check_buffer(params, grad)
}

/// Optimizer state: `K` flat buffers of one scalar per parameter, in walk order (the fast form
/// for the update loops), kept aligned with the parameters' structure. The parameters' shape
/// at the last step is kept (`layout`); when a step's gradient has another shape (a key
/// inserted into a map of parameters), each buffer is rebuilt as a value of the parameters'
/// type, conformed to the new shape (entries kept by key or position, new ones zero), and
/// flattened again. In steady state that costs one `same_shape` check.
#[derive(Clone, Debug)]
struct Moments<T, P, const K: usize> {
    layout: Option<P>,
    bufs: [Vec<T>; K],
}

impl<T: Scalar, P: Scalars<T> + Backprop, const K: usize> Moments<T, P, K> {
    fn new() -> Self {
        Moments {
            layout: None,
            bufs: core::array::from_fn(|_| Vec::new()),
        }
    }

    /// The buffers, aligned with `grad`'s shape.
    fn aligned(&mut self, grad: &P) -> &mut [Vec<T>; K] {
        match &self.layout {
            Some(layout) if layout.same_shape(grad) => {}
            Some(layout) => {
                for buf in &mut self.bufs {
                    let mut state = layout.clone();
                    unflatten(&mut state, buf);
                    state.conform_to(grad);
                    if !state.same_shape(grad) {
                        // A type whose `conform_to` is the default: start afresh.
                        state = grad.zero_like();
                    }
                    flatten(&state, buf);
                }
                self.layout = Some(grad.zero_like());
            }
            None => {
                let mut n = 0;
                grad.for_each_scalar(&mut |_| n += 1);
                for buf in &mut self.bufs {
                    buf.clear();
                    buf.resize(n, T::zero());
                }
                self.layout = Some(grad.zero_like());
            }
        }
        &mut self.bufs
    }
}

/// Plain gradient descent: `p -= lr g`.
///
/// ```
/// use backprop::nn::{Optimizer, Sgd};
/// let mut p = 1.0_f64;
/// Sgd::new(0.1).step(&mut p, &2.0)?;
/// assert!((p - 0.8).abs() < 1e-15);
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<T> {
    /// Learning rate.
    pub lr: T,
    buf: Vec<T>,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr`.
    ///
    /// ```
    /// assert_eq!(backprop::nn::Sgd::new(0.1_f32).lr, 0.1);
    /// ```
    pub fn new(lr: T) -> Self {
        Sgd {
            lr,
            buf: Vec::new(),
        }
    }
}

impl<T: Scalar, P: Scalars<T> + Backprop> Optimizer<P> for Sgd<T> {
    fn step(&mut self, params: &mut P, grad: &P) -> Result<(), GradientShapeError> {
        check(params, grad)?;
        flatten(grad, &mut self.buf);
        let (lr, g) = (self.lr, &self.buf);
        update(params, |at, p| {
            crate::kernels::axpy(p, -lr, &g[at..at + p.len()])
        });
        Ok(())
    }
}

/// Gradient descent with momentum: `v = mu v + g`, `p -= lr v`, with the velocity `v` a value
/// of the parameters' type.
///
/// ```
/// use backprop::nn::{Momentum, Optimizer};
/// let mut p = 0.0_f64;
/// let mut opt = Momentum::new(1.0, 0.5);
/// opt.step(&mut p, &1.0)?; // v = 1
/// opt.step(&mut p, &1.0)?; // v = 1.5
/// assert_eq!(p, -2.5);
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Momentum<T, P> {
    /// Learning rate.
    pub lr: T,
    /// Momentum coefficient (0.9 is common).
    pub mu: T,
    velocity: Moments<T, P, 1>,
    grad: Vec<T>,
}

impl<T: Scalar, P: Scalars<T> + Backprop> Momentum<T, P> {
    /// Momentum with learning rate `lr` and coefficient `mu`.
    ///
    /// ```
    /// let opt: backprop::nn::Momentum<f64, f64> = backprop::nn::Momentum::new(0.1, 0.9);
    /// assert_eq!(opt.mu, 0.9);
    /// ```
    pub fn new(lr: T, mu: T) -> Self {
        Momentum {
            lr,
            mu,
            velocity: Moments::new(),
            grad: Vec::new(),
        }
    }
}

impl<T: Scalar, P: Scalars<T> + Backprop> Optimizer<P> for Momentum<T, P> {
    fn step(&mut self, params: &mut P, grad: &P) -> Result<(), GradientShapeError> {
        check(params, grad)?;
        let [v] = self.velocity.aligned(grad);
        flatten(grad, &mut self.grad);
        for (v, &g) in v.iter_mut().zip(&self.grad) {
            *v = self.mu * *v + g;
        }
        let lr = self.lr;
        update(params, |at, p| {
            crate::kernels::axpy(p, -lr, &v[at..at + p.len()])
        });
        Ok(())
    }
}

/// Adam (Kingma and Ba): moving averages of the gradient and its square, bias-corrected, kept
/// as values of the parameters' type.
///
/// The step count behind the bias correction is shared by all parameters: state added for a new
/// map key starts at zero and is corrected as if it had been there from the start.
///
/// ```
/// use backprop::nn::{Adam, Optimizer};
/// let mut p = 1.0_f64;
/// let mut opt = Adam::new(0.1);
/// opt.step(&mut p, &5.0)?; // the first step moves by about lr, whatever the gradient's scale
/// assert!((p - 0.9).abs() < 1e-6);
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T, P> {
    /// Learning rate (1e-3 is common).
    pub lr: T,
    /// Decay of the gradient's average (0.9).
    pub beta1: T,
    /// Decay of the squared gradient's average (0.999).
    pub beta2: T,
    /// Added to the denominator (1e-8).
    pub eps: T,
    t: i32,
    moments: Moments<T, P, 2>,
    grad: Vec<T>,
}

impl<T: Scalar, P: Scalars<T> + Backprop> Adam<T, P> {
    /// Adam with learning rate `lr` and the usual `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    ///
    /// ```
    /// let opt: backprop::nn::Adam<f64, f64> = backprop::nn::Adam::new(1e-3);
    /// assert_eq!(opt.beta2, 0.999);
    /// ```
    pub fn new(lr: T) -> Self {
        Adam {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            t: 0,
            moments: Moments::new(),
            grad: Vec::new(),
        }
    }
}

impl<T: Scalar, P: Scalars<T> + Backprop> Optimizer<P> for Adam<T, P> {
    fn step(&mut self, params: &mut P, grad: &P) -> Result<(), GradientShapeError> {
        check(params, grad)?;
        let [mb, vb] = self.moments.aligned(grad);
        flatten(grad, &mut self.grad);
        self.t = self.t.saturating_add(1);
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = T::one() - b1.powi(self.t);
        let c2 = T::one() - b2.powi(self.t);
        for ((m, v), &g) in mb.iter_mut().zip(vb.iter_mut()).zip(&self.grad) {
            *m = b1 * *m + (T::one() - b1) * g;
            *v = b2 * *v + (T::one() - b2) * g * g;
        }
        let (lr, eps) = (self.lr, self.eps);
        update(params, |at, p| {
            let (m, v) = (&mb[at..at + p.len()], &vb[at..at + p.len()]);
            for ((p, &m), &v) in p.iter_mut().zip(m).zip(v) {
                *p -= lr * (m / c1) / ((v / c2).sqrt() + eps);
            }
        });
        Ok(())
    }
}
