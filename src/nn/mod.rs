//! Building blocks for training networks: a dense layer record, weight initialisation from a
//! seeded generator, and optimizers (SGD, SGD with momentum, Adam) that update any record of
//! parameters in place.
//!
//! Activations and losses are the crate's operations: `logistic`, `tanh`, `relu`, `softmax`,
//! [`squared_error`](crate::squared_error),
//! [`softmax_cross_entropy`](crate::softmax_cross_entropy) (fused and stable).
//!
//! ```
//! use backprop::nn::{Dense, Rng, Sgd, Optimizer};
//! use backprop::ops::map::Tanh;
//! use backprop::prelude::*;
//!
//! let mut rng = Rng::new(7);
//! let mut layer: Dense<f64, U2, U1> = Dense::xavier(&mut rng);
//! let (x, t) = (Vector::<f64, U2>::from([1.0, -1.0]), Vector::<f64, U1>::from([0.5]));
//! let loss = |l: backprop::entry::Placeholders<Dense<f64, U2, U1>>| {
//!     squared_error(constant(&x).dense(l.w, l.b, Tanh), constant(&t))
//! };
//! let before = eval(loss, &layer);
//! let mut sgd = Sgd::new(0.1);
//! for _ in 0..50 {
//!     let g = grad(loss, &layer);
//!     sgd.step(&mut layer, &g).expect("a gradient shaped like the parameters");
//! }
//! assert!(eval(loss, &layer) < before / 100.0);
//! ```

pub mod checkpoint;
mod init;
mod model;
mod optim;
mod parallel;
mod recurrent;

pub use init::Rng;
pub use model::{
    ar, chain, lagged, recurrently, stateless, train_state, unroll, unroll_last, zero_state, Chain,
    InputPh, Lagged, Linear, LinearPlaceholders, Model, OutputPh, Readout, Recurrently, StatePh,
    Stateful, Stateless, Unroll, UnrollLast, WithActivation,
};
pub use optim::{Adam, Momentum, Optimizer, Sgd};
pub use parallel::{parallel_grad, parallel_grad_into, NoBuffers};
pub use recurrent::{
    Gru, GruPlaceholders, GruStep, Lstm, LstmPlaceholders, LstmStep, RnnCell, RnnCellPlaceholders,
    RnnStep,
};

use crate::{Dim, Matrix, Scalar, Vector};

/// A dense layer's parameters: `y = f(W x + b)` with `W` of `O x I` and `b` of `O`. Use it with
/// [`Ex::dense`](crate::Ex::dense): `x.dense(layer.w, layer.b, Tanh)`.
///
/// ```
/// use backprop::nn::Dense;
/// use backprop::prelude::*;
/// let l: Dense<f64, U3, U2> = Dense::zeros();
/// assert_eq!(l.b, Vector::zeros());
/// ```
#[derive(crate::Backprop, Clone, Debug, PartialEq)]
pub struct Dense<T: Scalar, I: Dim, O: Dim> {
    /// Weights, one row per output.
    pub w: Matrix<T, O, I>,
    /// Biases, one per output.
    pub b: Vector<T, O>,
}

impl<T: Scalar, I: Dim, O: Dim> Dense<T, I, O> {
    /// All zeros.
    ///
    /// ```
    /// use backprop::nn::Dense;
    /// use backprop::prelude::*;
    /// assert_eq!(Dense::<f32, U2, U2>::zeros().w, Matrix::zeros());
    /// ```
    pub fn zeros() -> Self {
        Dense {
            w: Matrix::zeros(),
            b: Vector::zeros(),
        }
    }

    /// Glorot/Xavier uniform weights `U(-a, a)` with `a = sqrt(6 / (I + O))`, zero biases: for
    /// tanh and logistic layers.
    ///
    /// ```
    /// use backprop::nn::{Dense, Rng};
    /// use backprop::prelude::*;
    /// let l: Dense<f64, U784, U300> = Dense::xavier(&mut Rng::new(1));
    /// let a = (6.0_f64 / (784.0 + 300.0)).sqrt();
    /// assert!(l.w.iter().all(|w| w.abs() <= a));
    /// ```
    pub fn xavier(rng: &mut Rng) -> Self {
        let a = (6.0 / (I::USIZE + O::USIZE) as f64).sqrt();
        Dense {
            w: Matrix::from_fn(|_, _| T::from_f64(rng.uniform(-a, a))),
            b: Vector::zeros(),
        }
    }

    /// He uniform weights `U(-a, a)` with `a = sqrt(6 / I)`, zero biases: for ReLU layers.
    ///
    /// ```
    /// use backprop::nn::{Dense, Rng};
    /// use backprop::prelude::*;
    /// let l: Dense<f64, U100, U10> = Dense::he(&mut Rng::new(1));
    /// assert!(l.w.iter().all(|w| w.abs() <= (0.06_f64).sqrt()));
    /// ```
    pub fn he(rng: &mut Rng) -> Self {
        let a = (6.0 / I::USIZE as f64).sqrt();
        Dense {
            w: Matrix::from_fn(|_, _| T::from_f64(rng.uniform(-a, a))),
            b: Vector::zeros(),
        }
    }
}
