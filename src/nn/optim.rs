//! Optimizers that update any record of parameters in place, through [`Scalars`]: the same walk
//! over the parameters and over their gradient (which has the same type) visits matching
//! scalars in the same order.

use crate::{Scalar, Scalars};

/// An optimizer: one update of `params` from their gradient `grad`.
///
/// ```
/// use backprop::nn::{Optimizer, Sgd};
/// let mut p = (1.0_f64, [2.0_f64, 3.0]);
/// Sgd::new(0.5).step(&mut p, &(1.0, [2.0, -2.0]));
/// assert_eq!(p, (0.5, [1.0, 4.0]));
/// ```
pub trait Optimizer<T: Scalar> {
    /// Updates `params` in place from `grad` (a value of the same type).
    fn step<P: Scalars<T>>(&mut self, params: &mut P, grad: &P);
}

/// The gradient's scalars, in walk order, into a buffer kept between steps.
fn flatten<T: Scalar, P: Scalars<T>>(grad: &P, buf: &mut Vec<T>) {
    buf.clear();
    grad.for_each_scalar(&mut |g| buf.push(g));
}

/// Plain gradient descent: `p -= lr g`.
///
/// ```
/// use backprop::nn::{Optimizer, Sgd};
/// let mut p = 1.0_f64;
/// Sgd::new(0.1).step(&mut p, &2.0);
/// assert!((p - 0.8).abs() < 1e-15);
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

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    fn step<P: Scalars<T>>(&mut self, params: &mut P, grad: &P) {
        flatten(grad, &mut self.buf);
        let mut g = self.buf.iter();
        params.for_each_scalar_mut(&mut |p| {
            if let Some(&g) = g.next() {
                *p -= self.lr * g;
            }
        });
    }
}

/// Gradient descent with momentum: `v = mu v + g`, `p -= lr v`.
///
/// ```
/// use backprop::nn::{Momentum, Optimizer};
/// let mut p = 0.0_f64;
/// let mut opt = Momentum::new(1.0, 0.5);
/// opt.step(&mut p, &1.0); // v = 1
/// opt.step(&mut p, &1.0); // v = 1.5
/// assert_eq!(p, -2.5);
/// ```
#[derive(Clone, Debug)]
pub struct Momentum<T> {
    /// Learning rate.
    pub lr: T,
    /// Momentum coefficient (0.9 is common).
    pub mu: T,
    velocity: Vec<T>,
    buf: Vec<T>,
}

impl<T: Scalar> Momentum<T> {
    /// Momentum with learning rate `lr` and coefficient `mu`.
    ///
    /// ```
    /// assert_eq!(backprop::nn::Momentum::new(0.1, 0.9).mu, 0.9);
    /// ```
    pub fn new(lr: T, mu: T) -> Self {
        Momentum {
            lr,
            mu,
            velocity: Vec::new(),
            buf: Vec::new(),
        }
    }
}

impl<T: Scalar> Optimizer<T> for Momentum<T> {
    fn step<P: Scalars<T>>(&mut self, params: &mut P, grad: &P) {
        flatten(grad, &mut self.buf);
        self.velocity.resize(self.buf.len(), T::zero());
        for (v, &g) in self.velocity.iter_mut().zip(&self.buf) {
            *v = self.mu * *v + g;
        }
        let mut v = self.velocity.iter();
        params.for_each_scalar_mut(&mut |p| {
            if let Some(&v) = v.next() {
                *p -= self.lr * v;
            }
        });
    }
}

/// Adam (Kingma and Ba): moving averages of the gradient and its square, bias-corrected.
///
/// ```
/// use backprop::nn::{Adam, Optimizer};
/// let mut p = 1.0_f64;
/// let mut opt = Adam::new(0.1);
/// opt.step(&mut p, &5.0); // the first step moves by about lr, whatever the gradient's scale
/// assert!((p - 0.9).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T> {
    /// Learning rate (1e-3 is common).
    pub lr: T,
    /// Decay of the gradient's average (0.9).
    pub beta1: T,
    /// Decay of the squared gradient's average (0.999).
    pub beta2: T,
    /// Added to the denominator (1e-8).
    pub eps: T,
    t: i32,
    m: Vec<T>,
    v: Vec<T>,
    buf: Vec<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with learning rate `lr` and the usual `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    ///
    /// ```
    /// assert_eq!(backprop::nn::Adam::new(1e-3_f64).beta2, 0.999);
    /// ```
    pub fn new(lr: T) -> Self {
        Adam {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
            buf: Vec::new(),
        }
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn step<P: Scalars<T>>(&mut self, params: &mut P, grad: &P) {
        flatten(grad, &mut self.buf);
        let n = self.buf.len();
        self.m.resize(n, T::zero());
        self.v.resize(n, T::zero());
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = T::one() - b1.powi(self.t);
        let c2 = T::one() - b2.powi(self.t);
        for ((m, v), &g) in self.m.iter_mut().zip(self.v.iter_mut()).zip(&self.buf) {
            *m = b1 * *m + (T::one() - b1) * g;
            *v = b2 * *v + (T::one() - b2) * g * g;
        }
        let mut mv = self.m.iter().zip(&self.v);
        params.for_each_scalar_mut(&mut |p| {
            if let Some((&m, &v)) = mv.next() {
                *p -= self.lr * (m / c1) / ((v / c2).sqrt() + self.eps);
            }
        });
    }
}
