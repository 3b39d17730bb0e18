//! Recurrent layers: a cell's parameters as a derived record, and its step as a method on the
//! record's placeholders, so that inside a `fold` or `scan` body the step reads the weights of
//! the enclosing closure in place.
//!
//! A step returns an expression of a named node type ([`RnnStep`]), not `impl Expr`: a body's
//! node must be usable on the body's own input (a frame over the enclosing input), which an
//! opaque type would hide.

use crate::dims::{U0, U1, U2};
use crate::expr::internal::{Field, Path};
use crate::expr::{Expr, Placeholder};
use crate::ops::elementwise::{Add, Zip};
use crate::ops::linalg::MatVec;
use crate::ops::map::{Map, Tanh};
use crate::ops::Binary;
use crate::{Dim, Ex, Matrix, Scalar, Vector};

use super::Rng;

/// A fully connected recurrent cell: `h' = tanh(W_x x + W_h h + b)`, input of `I`, state of `H`.
///
/// ```
/// use backprop::nn::{RnnCell, Rng};
/// use backprop::prelude::*;
/// let cell: RnnCell<f64, U1, U4> = RnnCell::xavier(&mut Rng::new(1));
/// let xs: Vec<Vector<f64, U1>> = (0..10).map(|t| Vector::from([t as f64 * 0.1])).collect();
/// let h0 = Vector::<f64, U4>::zeros();
/// let loss = |c: Placeholders<RnnCell<f64, U1, U4>>| {
///     constant(&xs).fold(constant(&h0), |(h, x)| c.step(x, h)).sum()
/// };
/// assert!(check_grad(loss, &cell, 1e-6).passed(1e-7));
/// ```
#[derive(crate::Backprop, Clone, Debug, PartialEq)]
pub struct RnnCell<T: Scalar, I: Dim, H: Dim> {
    /// Input weights, one row per state element.
    pub wx: Matrix<T, H, I>,
    /// Recurrent weights.
    pub wh: Matrix<T, H, H>,
    /// Biases.
    pub b: Vector<T, H>,
}

impl<T: Scalar, I: Dim, H: Dim> RnnCell<T, I, H> {
    /// Xavier-uniform weights (input and recurrent weights as one `H x (I + H)` layer), zero
    /// biases.
    ///
    /// ```
    /// use backprop::nn::{RnnCell, Rng};
    /// use backprop::prelude::*;
    /// let c: RnnCell<f64, U3, U5> = RnnCell::xavier(&mut Rng::new(2));
    /// let a = (6.0_f64 / (3 + 5 + 5) as f64).sqrt();
    /// assert!(c.wh.iter().all(|w| w.abs() <= a) && c.b == Vector::zeros());
    /// ```
    pub fn xavier(rng: &mut Rng) -> Self {
        let a = (6.0 / (I::USIZE + H::USIZE + H::USIZE) as f64).sqrt();
        RnnCell {
            wx: Matrix::from_fn(|_, _| T::from_f64(rng.uniform(-a, a))),
            wh: Matrix::from_fn(|_, _| T::from_f64(rng.uniform(-a, a))),
            b: Vector::zeros(),
        }
    }
}

/// A field of a record placeholder at path `P`.
type FieldOf<V, I, P> = Placeholder<V, Field<I, P>>;

/// The node of [`RnnCellPlaceholders::step`]: `tanh(W_x x + W_h h + b)`.
pub type RnnStep<T, I, H, P, X, S> = Map<
    Tanh,
    Binary<
        Zip<Add>,
        Binary<
            Zip<Add>,
            Binary<MatVec, FieldOf<Matrix<T, H, I>, U0, P>, X>,
            Binary<MatVec, FieldOf<Matrix<T, H, H>, U1, P>, S>,
        >,
        FieldOf<Vector<T, H>, U2, P>,
    >,
>;

impl<T: Scalar, I: Dim, H: Dim, P: Path> RnnCellPlaceholders<T, I, H, P> {
    /// One step: the next state from the input `x` and the state `h`.
    ///
    /// ```
    /// use backprop::nn::RnnCell;
    /// use backprop::prelude::*;
    /// let cell = RnnCell::<f64, U1, U2> { wx: Matrix::filled(1.0), wh: Matrix::zeros(), b: Vector::zeros() };
    /// let (x, h) = (Vector::<f64, U1>::from([0.5]), Vector::<f64, U2>::zeros());
    /// let h1 = eval(|c: Placeholders<RnnCell<f64, U1, U2>>| c.step(constant(&x), constant(&h)), &cell);
    /// assert_eq!(h1, Vector::filled(0.5_f64.tanh()));
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn step<X, S>(self, x: Ex<X>, h: Ex<S>) -> Ex<RnnStep<T, I, H, P, X, S>>
    where
        X: Expr<Out = Vector<T, I>>,
        S: Expr<Out = Vector<T, H>>,
    {
        (self.wx.matvec(x) + self.wh.matvec(h) + self.b).tanh()
    }
}
