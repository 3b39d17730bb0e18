//! Recurrent layers: a cell's parameters as a derived record, and its step as a method on the
//! record's placeholders, so that inside a `fold` or `scan` body the step reads the weights of
//! the enclosing closure in place.
//!
//! A step returns an expression of a named node type ([`RnnStep`]), not `impl Expr`: a body's
//! node must be usable on the body's own input (a frame over the enclosing input), which an
//! opaque type would hide.

use crate::dims::{U0, U1, U10, U11, U2, U3, U4, U5, U6, U7, U8, U9};
use crate::expr::internal::{Field, Path, Root, S};
use crate::expr::{Expr, Placeholder, Then};
use crate::ops::elementwise::{Add, Mul, Sub, Zip};
use crate::ops::linalg::MatVec;
use crate::ops::map::{Logistic, Map, Tanh};
use crate::ops::Binary;
use crate::{tuple, Bind, Dim, Ex, Matrix, Scalar, Vector};

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
            wx: uniform(rng, a),
            wh: uniform(rng, a),
            b: Vector::zeros(),
        }
    }
}

/// A matrix of `U(-a, a)` entries.
fn uniform<T: Scalar, R: Dim, C: Dim>(rng: &mut Rng, a: f64) -> Matrix<T, R, C> {
    Matrix::from_fn(|_, _| T::from_f64(rng.uniform(-a, a)))
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

/// A long short-term memory cell (Hochreiter and Schmidhuber), input of `I`, state `(h, c)` of
/// `H` each:
///
/// ```text
/// i = logistic(W_i x + U_i h + b_i)    f = logistic(W_f x + U_f h + b_f)
/// g = tanh(W_g x + U_g h + b_g)        o = logistic(W_o x + U_o h + b_o)
/// c' = f * c + i * g                   h' = o * tanh(c')
/// ```
///
/// ```
/// use backprop::nn::{Lstm, Rng};
/// use backprop::prelude::*;
/// let cell: Lstm<f64, U1, U3> = Lstm::xavier(&mut Rng::new(3));
/// assert_eq!(cell.bf, Vector::filled(1.0)); // the forget gate starts open
/// let xs: Vec<Vector<f64, U1>> = (0..8).map(|t| Vector::from([(t as f64).sin()])).collect();
/// let zero = Vector::<f64, U3>::zeros();
/// let loss = |p: Placeholders<Lstm<f64, U1, U3>>| {
///     constant(&xs)
///         .fold(tuple((constant(&zero), constant(&zero))), |((h, c), x)| p.step(x, h, c))
///         .get_field(U0)
///         .sum()
/// };
/// assert!(check_grad(loss, &cell, 1e-6).passed(1e-7));
/// ```
#[derive(crate::Backprop, Clone, Debug, PartialEq)]
pub struct Lstm<T: Scalar, I: Dim, H: Dim> {
    /// Input gate: input weights.
    pub wi: Matrix<T, H, I>,
    /// Input gate: recurrent weights.
    pub ui: Matrix<T, H, H>,
    /// Input gate: biases.
    pub bi: Vector<T, H>,
    /// Forget gate: input weights.
    pub wf: Matrix<T, H, I>,
    /// Forget gate: recurrent weights.
    pub uf: Matrix<T, H, H>,
    /// Forget gate: biases (1 at initialisation).
    pub bf: Vector<T, H>,
    /// Candidate: input weights.
    pub wg: Matrix<T, H, I>,
    /// Candidate: recurrent weights.
    pub ug: Matrix<T, H, H>,
    /// Candidate: biases.
    pub bg: Vector<T, H>,
    /// Output gate: input weights.
    pub wo: Matrix<T, H, I>,
    /// Output gate: recurrent weights.
    pub uo: Matrix<T, H, H>,
    /// Output gate: biases.
    pub bo: Vector<T, H>,
}

impl<T: Scalar, I: Dim, H: Dim> Lstm<T, I, H> {
    /// Xavier-uniform weights (each gate's input and recurrent weights as one `H x (I + H)`
    /// layer), zero biases except the forget gate's, set to 1 so that the cell keeps its state
    /// by default (Jozefowicz et al. 2015).
    ///
    /// ```
    /// use backprop::nn::{Lstm, Rng};
    /// use backprop::prelude::*;
    /// let c: Lstm<f64, U2, U4> = Lstm::xavier(&mut Rng::new(4));
    /// assert!(c.bi == Vector::zeros() && c.bf == Vector::filled(1.0));
    /// ```
    pub fn xavier(rng: &mut Rng) -> Self {
        let a = (6.0 / (I::USIZE + H::USIZE + H::USIZE) as f64).sqrt();
        Lstm {
            wi: uniform(rng, a),
            ui: uniform(rng, a),
            bi: Vector::zeros(),
            wf: uniform(rng, a),
            uf: uniform(rng, a),
            bf: Vector::filled(T::one()),
            wg: uniform(rng, a),
            ug: uniform(rng, a),
            bg: Vector::zeros(),
            wo: uniform(rng, a),
            uo: uniform(rng, a),
            bo: Vector::zeros(),
        }
    }
}

/// `W x + U h + b`, with `W`, `U`, `b` the record's fields `Wi`, `Ui`, `Bi`.
type Affine<T, I, H, P, X, S, Wi, Ui, Bi> = Binary<
    Zip<Add>,
    Binary<
        Zip<Add>,
        Binary<MatVec, FieldOf<Matrix<T, H, I>, Wi, P>, X>,
        Binary<MatVec, FieldOf<Matrix<T, H, H>, Ui, P>, S>,
    >,
    FieldOf<Vector<T, H>, Bi, P>,
>;

/// `c' = f * c + i * g`.
type NextCell<T, I, H, P, X, S, C> = Binary<
    Zip<Add>,
    Binary<Zip<Mul>, Map<Logistic, Affine<T, I, H, P, X, S, U3, U4, U5>>, C>,
    Binary<
        Zip<Mul>,
        Map<Logistic, Affine<T, I, H, P, X, S, U0, U1, U2>>,
        Map<Tanh, Affine<T, I, H, P, X, S, U6, U7, U8>>,
    >,
>;

/// The output gate.
type OutputGate<T, I, H, P, X, S> = Map<Logistic, Affine<T, I, H, P, X, S, U9, U10, U11>>;

/// `(c', o)`, bound once.
type Bound<T, I, H, P, X, S, C> = (NextCell<T, I, H, P, X, S, C>, OutputGate<T, I, H, P, X, S>);

/// A placeholder of the body that reads `(c', o)`.
type Inner<T, H, B, F> = Placeholder<Vector<T, H>, Field<F, Root<S<<B as Expr>::Depth>>>>;

/// The node of [`LstmPlaceholders::step`]: `(c', o)` computed once, then `(o * tanh(c'), c')`.
pub type LstmStep<T, I, H, P, X, Sh, C> = Then<
    Bound<T, I, H, P, X, Sh, C>,
    (
        Binary<
            Zip<Mul>,
            Inner<T, H, Bound<T, I, H, P, X, Sh, C>, U1>,
            Map<Tanh, Inner<T, H, Bound<T, I, H, P, X, Sh, C>, U0>>,
        >,
        Inner<T, H, Bound<T, I, H, P, X, Sh, C>, U0>,
    ),
>;

impl<T: Scalar, I: Dim, H: Dim, P: Path> LstmPlaceholders<T, I, H, P> {
    /// One step: the next state `(h', c')` from the input `x` and the state `(h, c)`.
    ///
    /// ```
    /// use backprop::nn::{Lstm, Rng};
    /// use backprop::prelude::*;
    /// let cell: Lstm<f64, U1, U2> = Lstm::xavier(&mut Rng::new(5));
    /// let (x, z) = (Vector::<f64, U1>::from([0.5]), Vector::<f64, U2>::zeros());
    /// let (h, c) = eval(|p: Placeholders<Lstm<f64, U1, U2>>| p.step(constant(&x), constant(&z), constant(&z)), &cell);
    /// // from a zero state: c' = i * g, h' = o * tanh(c')
    /// let gate = |w: &Matrix<f64, U2, U1>, b: &Vector<f64, U2>, k: usize| w[(k, 0)] * 0.5 + b[k];
    /// let lg = |v: f64| 1.0 / (1.0 + (-v).exp());
    /// let c0 = lg(gate(&cell.wi, &cell.bi, 0)) * gate(&cell.wg, &cell.bg, 0).tanh();
    /// assert!((c[0] - c0).abs() < 1e-15 && (h[0] - lg(gate(&cell.wo, &cell.bo, 0)) * c0.tanh()).abs() < 1e-15);
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn step<X, Sh, C>(self, x: Ex<X>, h: Ex<Sh>, c: Ex<C>) -> Ex<LstmStep<T, I, H, P, X, Sh, C>>
    where
        X: Expr<Out = Vector<T, I>> + Copy,
        Sh: Expr<Out = Vector<T, H>> + Copy,
        C: Expr<Out = Vector<T, H>>,
    {
        let i = (self.wi.matvec(x) + self.ui.matvec(h) + self.bi).logistic();
        let f = (self.wf.matvec(x) + self.uf.matvec(h) + self.bf).logistic();
        let g = (self.wg.matvec(x) + self.ug.matvec(h) + self.bg).tanh();
        let o = (self.wo.matvec(x) + self.uo.matvec(h) + self.bo).logistic();
        (f * c + i * g, o).then(|(c, o)| tuple((o * c.tanh(), c)))
    }
}

/// A gated recurrent unit (Cho et al. 2014), input of `I`, state of `H`:
///
/// ```text
/// z = logistic(W_z x + U_z h + b_z)    r = logistic(W_r x + U_r h + b_r)
/// n = tanh(W_n x + U_n (r * h) + b_n)  h' = (1 - z) * n + z * h = n + z * (h - n)
/// ```
///
/// ```
/// use backprop::nn::{Gru, Rng};
/// use backprop::prelude::*;
/// let cell: Gru<f64, U1, U3> = Gru::xavier(&mut Rng::new(6));
/// let xs: Vec<Vector<f64, U1>> = (0..8).map(|t| Vector::from([(t as f64).cos()])).collect();
/// let h0 = Vector::<f64, U3>::zeros();
/// let loss = |p: Placeholders<Gru<f64, U1, U3>>| {
///     constant(&xs).fold(constant(&h0), |(h, x)| p.step(x, h)).sum()
/// };
/// assert!(check_grad(loss, &cell, 1e-6).passed(1e-7));
/// ```
#[derive(crate::Backprop, Clone, Debug, PartialEq)]
pub struct Gru<T: Scalar, I: Dim, H: Dim> {
    /// Update gate: input weights.
    pub wz: Matrix<T, H, I>,
    /// Update gate: recurrent weights.
    pub uz: Matrix<T, H, H>,
    /// Update gate: biases.
    pub bz: Vector<T, H>,
    /// Reset gate: input weights.
    pub wr: Matrix<T, H, I>,
    /// Reset gate: recurrent weights.
    pub ur: Matrix<T, H, H>,
    /// Reset gate: biases.
    pub br: Vector<T, H>,
    /// Candidate: input weights.
    pub wn: Matrix<T, H, I>,
    /// Candidate: recurrent weights (applied to the reset state `r * h`).
    pub un: Matrix<T, H, H>,
    /// Candidate: biases.
    pub bn: Vector<T, H>,
}

impl<T: Scalar, I: Dim, H: Dim> Gru<T, I, H> {
    /// Xavier-uniform weights (each gate's input and recurrent weights as one `H x (I + H)`
    /// layer), zero biases.
    ///
    /// ```
    /// use backprop::nn::{Gru, Rng};
    /// use backprop::prelude::*;
    /// let c: Gru<f64, U2, U4> = Gru::xavier(&mut Rng::new(8));
    /// assert!(c.bz == Vector::zeros() && c.un.iter().any(|&w| w != 0.0));
    /// ```
    pub fn xavier(rng: &mut Rng) -> Self {
        let a = (6.0 / (I::USIZE + H::USIZE + H::USIZE) as f64).sqrt();
        Gru {
            wz: uniform(rng, a),
            uz: uniform(rng, a),
            bz: Vector::zeros(),
            wr: uniform(rng, a),
            ur: uniform(rng, a),
            br: Vector::zeros(),
            wn: uniform(rng, a),
            un: uniform(rng, a),
            bn: Vector::zeros(),
        }
    }
}

/// The update gate `z`.
type UpdateGate<T, I, H, P, X, S> = Map<Logistic, Affine<T, I, H, P, X, S, U0, U1, U2>>;

/// The candidate `n = tanh(W_n x + U_n (r * h) + b_n)`.
type Candidate<T, I, H, P, X, S> = Map<
    Tanh,
    Binary<
        Zip<Add>,
        Binary<
            Zip<Add>,
            Binary<MatVec, FieldOf<Matrix<T, H, I>, U6, P>, X>,
            Binary<
                MatVec,
                FieldOf<Matrix<T, H, H>, U7, P>,
                Binary<Zip<Mul>, Map<Logistic, Affine<T, I, H, P, X, S, U3, U4, U5>>, S>,
            >,
        >,
        FieldOf<Vector<T, H>, U8, P>,
    >,
>;

/// `(z, n)`, bound once.
type GruBound<T, I, H, P, X, S> = (UpdateGate<T, I, H, P, X, S>, Candidate<T, I, H, P, X, S>);

/// The node of [`GruPlaceholders::step`]: `(z, n)` computed once, then `n + z * (h - n)`.
pub type GruStep<T, I, H, P, X, Sh> = Then<
    GruBound<T, I, H, P, X, Sh>,
    Binary<
        Zip<Add>,
        Inner<T, H, GruBound<T, I, H, P, X, Sh>, U1>,
        Binary<
            Zip<Mul>,
            Inner<T, H, GruBound<T, I, H, P, X, Sh>, U0>,
            Binary<Zip<Sub>, Sh, Inner<T, H, GruBound<T, I, H, P, X, Sh>, U1>>,
        >,
    >,
>;

impl<T: Scalar, I: Dim, H: Dim, P: Path> GruPlaceholders<T, I, H, P> {
    /// One step: the next state from the input `x` and the state `h`.
    ///
    /// ```
    /// use backprop::nn::{Gru, Rng};
    /// use backprop::prelude::*;
    /// let cell: Gru<f64, U1, U2> = Gru::xavier(&mut Rng::new(9));
    /// let (x, z) = (Vector::<f64, U1>::from([0.5]), Vector::<f64, U2>::zeros());
    /// let h = eval(|p: Placeholders<Gru<f64, U1, U2>>| p.step(constant(&x), constant(&z)), &cell);
    /// // from a zero state: h' = (1 - z) * n with n = tanh(W_n x + b_n)
    /// let lg = |v: f64| 1.0 / (1.0 + (-v).exp());
    /// let (zg, n) = (lg(cell.wz[(0, 0)] * 0.5), (cell.wn[(0, 0)] * 0.5).tanh());
    /// assert!((h[0] - (1.0 - zg) * n).abs() < 1e-15);
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn step<X, Sh>(self, x: Ex<X>, h: Ex<Sh>) -> Ex<GruStep<T, I, H, P, X, Sh>>
    where
        X: Expr<Out = Vector<T, I>> + Copy,
        Sh: Expr<Out = Vector<T, H>> + Copy,
    {
        let z = (self.wz.matvec(x) + self.uz.matvec(h) + self.bz).logistic();
        let r = (self.wr.matvec(x) + self.ur.matvec(h) + self.br).logistic();
        let n = (self.wn.matvec(x) + self.un.matvec(r * h) + self.bn).tanh();
        (z, n).then(|(z, n)| n + z * (h - n))
    }
}
