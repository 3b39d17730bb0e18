//! Models as values, after Justin Le's "purely functional typed approach to trainable models":
//! a model with its parameters bound maps an input expression to an output expression, models
//! compose, and a stateful model steps a state through a sequence.
//!
//! # The design, and why
//!
//! A model here is the *placeholder* of its parameters (what the entry point's closure
//! receives: `p`, `p.encoder`, `p.cell`), or a combinator built from such placeholders. Three
//! traits say what it can do:
//!
//! | trait | Le's type | what it does |
//! |---|---|---|
//! | [`Model<X>`] | `Model p a b` | `run(x)`: an output from an input |
//! | [`Stateful<X, St>`] | `ModelS p s a b` (its state half) | `step(x, s)`: the next state |
//! | [`Readout<St>`] | (its output half) | `output(s)`: the output, read from a state |
//!
//! - **Traits on placeholders, not closures.** A Rust closure has one argument type, fixed
//!   where it is written, but a model runs on expressions of types only the combinator knows
//!   (the placeholders of a `fold` body); a trait method can be generic over them.
//! - **Named node types, not `impl Expr`.** Each method returns an associated node type, so the
//!   entry point can check the whole tree on the input it runs on (a `fold` body runs on a
//!   frame over the enclosing input, which an opaque type would hide). The types are long;
//!   nobody has to write them.
//! - **The output is read from the new state** (a Moore machine), where Le's step returns an
//!   `(output, state)` pair. The output of every recurrent cell is its state or a part of it
//!   (an RNN's `h`, an LSTM's `h` of `(h, c)`), so nothing is computed twice or copied into a
//!   pair, and [`unroll`] keeps, per step, only the step's input and the body's cache (see
//!   "Memory" below). A stateless model lifted to a stateful one ([`stateless`]) keeps its
//!   input as its state.
//! - **Initial states are expressions**: Le's `zeroState`, `fixState s` and `trainState` are
//!   [`unroll`]`(m, `[`zero_state`]`())`, `unroll(m, constant(&s))` and `unroll(m, p.s0)` (a
//!   placeholder from the parameters, so the initial state is trained with them; see
//!   [`train_state`]).
//!
//! | Le | here |
//! |---|---|
//! | `f <~ g` (`g` first) | [`chain`]`(g, f)`, parameters the pair `(g, f)` |
//! | `toModelS` / lifting | [`stateless`]`(m)` |
//! | `unroll`, `unrollLast` with `zeroState` | [`unroll`]`(m, zero_state())`, [`unroll_last`] |
//! | `recurrently` | [`recurrently`]`(m)`: the previous output is the state |
//! | `lagged @n` | [`lagged`]`(m)`: the last `n` inputs are the state |
//! | `ar2 = lagged @2 linReg` | [`ar`]`(p)` with `p` a [`Linear`] |
//!
//! # Memory
//!
//! Forward keeps, for each step of [`unroll`] or [`unroll_last`], the step's input (the carried
//! state and a copy of the sequence's element) and the step's cache (each intermediate value of
//! the cell); [`unroll`] keeps every step's state and output besides. The parameters are read
//! in place and never copied per step: for a tanh RNN of hidden size 64 that is about 4.0 KB a
//! step against 34 KB of weights (six vectors of 64: the carried state, `W_x x`, `W_h h`, the
//! two sums and the `tanh`, plus their fixed-size parts; measured in `tests/models.rs`,
//! `memory_per_step_does_not_grow_with_the_weights`).
//!
//! ```
//! use backprop::nn::{unroll_last, zero_state, Dense, Model, Rng, RnnCell};
//! use backprop::ops::map::Identity;
//! use backprop::prelude::*;
//!
//! // A recurrent encoder followed by a linear readout: parameters are the pair.
//! type Net = (RnnCell<f64, U1, U8>, Dense<f64, U8, U1>);
//! let mut rng = Rng::new(5);
//! let net: Net = (RnnCell::xavier(&mut rng), Dense::xavier(&mut rng));
//! let xs: Vec<Vector<f64, U1>> = (0..20).map(|t| Vector::from([(t as f64 * 0.3).sin()])).collect();
//! let loss = |(cell, readout): Placeholders<Net>| {
//!     let model = backprop::nn::chain(unroll_last(cell, zero_state()), readout.with(Identity));
//!     model.run(constant(&xs)).powi(2).sum()
//! };
//! assert!(check_grad(loss, &net, 1e-6).passed(1e-7));
//! ```

use crate::dims::U0;
use crate::dims::U1;
use crate::expr::internal::{Field, MaxOf, Path, Root, S};
use crate::expr::{Ex, Expr, Placeholder, Zeros};
use crate::ops::concat::{Concat, ShiftIn};
use crate::ops::containers::MapItems;
use crate::ops::dense::Dense as DenseNode;
use crate::ops::fold::{All, Fold, Last, Sequence};
use crate::ops::linalg::Dot;
use crate::ops::map::{ElemFn, Identity};
use crate::ops::record::GetField;
use crate::ops::{binary, Binary, BinaryOp};
use crate::{Backprop, Dim, Scalar, Vector};

use super::recurrent::{GruPlaceholders, LstmPlaceholders, RnnCellPlaceholders};
use super::{DensePlaceholders, Rng};

/// A stateless model with its parameters bound: an output expression from an input
/// expression (Le's `Model p a b`).
///
/// Implemented by the placeholders of [`Dense`](super::Dense) (a linear layer) and
/// [`Linear`], by [`WithActivation`] (`p.layer.with(Tanh)`), and by the combinators
/// [`Chain`], [`Unroll`] and [`UnrollLast`]. Implement it for the placeholders of your own
/// record to make it a model.
///
/// ```
/// use backprop::nn::{Dense, Model};
/// use backprop::prelude::*;
/// let layer = Dense::<f64, U2, U1> { w: Matrix::from([[1.0, 2.0]]), b: Vector::from([0.5]) };
/// let x = Vector::<f64, U2>::from([3.0, 4.0]);
/// assert_eq!(eval(|l| l.run(constant(&x)), &layer), Vector::from([11.5]));
/// ```
pub trait Model<X: Expr>: Copy {
    /// The output's node.
    type Node: Expr;
    /// The output for input `x`.
    fn run(self, x: Ex<X>) -> Ex<Self::Node>;
}

/// The state half of a stateful model: the next state from an input and the current state
/// (Le's `ModelS p s a b`, whose output half is [`Readout`]).
///
/// ```
/// use backprop::nn::{RnnCell, Stateful};
/// use backprop::prelude::*;
/// let cell = RnnCell::<f64, U1, U2> { wx: Matrix::filled(1.0), wh: Matrix::zeros(), b: Vector::zeros() };
/// let (x, h) = (Vector::<f64, U1>::from([0.5]), Vector::<f64, U2>::zeros());
/// let next = eval(|c| Stateful::step(c, constant(&x), constant(&h)), &cell);
/// assert_eq!(next, Vector::filled(0.5_f64.tanh()));
/// ```
pub trait Stateful<X: Expr, St: Expr>: Copy {
    /// The next state's node.
    type Next: Expr<Out = St::Out>;
    /// The next state.
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<Self::Next>;
}

/// The output half of a stateful model: its output, read from the state a step produced.
///
/// ```
/// use backprop::nn::{Lstm, Readout};
/// use backprop::prelude::*;
/// let cell: Lstm<f64, U1, U2> = Lstm::xavier(&mut backprop::nn::Rng::new(1));
/// let (h, c) = (Vector::<f64, U2>::from([1.0, 2.0]), Vector::<f64, U2>::from([3.0, 4.0]));
/// // an LSTM's output is the `h` of its state `(h, c)`
/// assert_eq!(eval(|p| p.output(tuple((constant(&h), constant(&c)))), &cell), h);
/// ```
pub trait Readout<St: Expr>: Copy {
    /// The output's node.
    type Output: Expr;
    /// The output read from state `s`.
    fn output(self, s: Ex<St>) -> Ex<Self::Output>;
}

/// A model whose output is its state (an RNN cell, a GRU, [`Recurrently`]).
macro_rules! state_is_output {
    ($(impl<$($g:ident $(: $b:path)?),+> for $ty:ty;)+) => {$(
        impl<St: Expr, $($g $(: $b)?),+> Readout<St> for $ty {
            type Output = St;
            #[inline(always)]
            fn output(self, s: Ex<St>) -> Ex<St> {
                s
            }
        }
    )+};
}
state_is_output! {
    impl<T: Scalar, I: Dim, H: Dim, P: Path> for RnnCellPlaceholders<T, I, H, P>;
    impl<T: Scalar, I: Dim, H: Dim, P: Path> for GruPlaceholders<T, I, H, P>;
    impl<M: Copy> for Recurrently<M>;
}

// ---------------------------------------------------------------------------------------------
// Layers as models
// ---------------------------------------------------------------------------------------------

/// A dense layer's placeholders are a linear model: `W x + b`.
impl<T: Scalar, I: Dim, O: Dim, P: Path, X> Model<X> for DensePlaceholders<T, I, O, P>
where
    X: Expr<Out = Vector<T, I>>,
{
    type Node = <WithActivation<Self, Identity> as Model<X>>::Node;
    #[inline(always)]
    fn run(self, x: Ex<X>) -> Ex<Self::Node> {
        self.with(Identity).run(x)
    }
}

impl<T: Scalar, I: Dim, O: Dim, P: Path> DensePlaceholders<T, I, O, P> {
    /// This layer followed by the elementwise function `f` ([`Tanh`](crate::ops::map::Tanh),
    /// [`Logistic`](crate::ops::map::Logistic), [`Relu`](crate::ops::map::Relu), ...), as one
    /// model: `f(W x + b)`, one fused node.
    ///
    /// ```
    /// use backprop::nn::{Dense, Model};
    /// use backprop::ops::map::Tanh;
    /// use backprop::prelude::*;
    /// let layer = Dense::<f64, U2, U1> { w: Matrix::from([[1.0, 2.0]]), b: Vector::from([0.5]) };
    /// let x = Vector::<f64, U2>::from([0.25, -0.5]);
    /// // tanh(1 * 0.25 + 2 * -0.5 + 0.5)
    /// assert_eq!(eval(|l| l.with(Tanh).run(constant(&x)), &layer), Vector::from([(-0.25_f64).tanh()]));
    /// ```
    #[inline(always)]
    pub fn with<F>(self, f: F) -> WithActivation<Self, F> {
        WithActivation { layer: self, f }
    }
}

/// A dense layer followed by an elementwise function (built by
/// [`DensePlaceholders::with`]).
///
/// ```
/// use backprop::nn::{Dense, Model};
/// use backprop::ops::map::Relu;
/// use backprop::prelude::*;
/// let layer = Dense::<f64, U1, U2> { w: Matrix::from([[1.0], [-1.0]]), b: Vector::zeros() };
/// let x = Vector::<f64, U1>::from([2.0]);
/// let y = eval(|l| l.with(Relu).run(constant(&x)), &layer);
/// assert_eq!(y, Vector::from([2.0, 0.0]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct WithActivation<L, F> {
    layer: L,
    f: F,
}

#[allow(clippy::type_complexity)]
impl<T: Scalar, I: Dim, O: Dim, P: Path, F: ElemFn<T>, X> Model<X>
    for WithActivation<DensePlaceholders<T, I, O, P>, F>
where
    X: Expr<Out = Vector<T, I>>,
{
    type Node = DenseNode<
        F,
        Placeholder<crate::Matrix<T, O, I>, Field<U0, P>>,
        Placeholder<Vector<T, O>, Field<U1, P>>,
        X,
    >;
    #[inline(always)]
    fn run(self, x: Ex<X>) -> Ex<Self::Node> {
        x.dense(self.layer.w, self.layer.b, self.f)
    }
}

/// A linear regression on a vector: `y = w . x + b`, a scalar. With [`lagged`] it is an
/// autoregressive model ([`ar`]).
///
/// ```
/// use backprop::nn::{Linear, Model};
/// use backprop::prelude::*;
/// let m = Linear::<f64, U2> { w: Vector::from([2.0, -1.0]), b: 0.5 };
/// let x = Vector::<f64, U2>::from([3.0, 1.0]);
/// assert_eq!(eval(|p| p.run(constant(&x)), &m), 5.5);
/// ```
#[derive(crate::Backprop, Clone, Debug, PartialEq)]
pub struct Linear<T: Scalar, N: Dim> {
    /// Weights.
    pub w: Vector<T, N>,
    /// Intercept.
    pub b: T,
}

impl<T: Scalar, N: Dim> Linear<T, N> {
    /// All zeros.
    ///
    /// ```
    /// use backprop::nn::Linear;
    /// use backprop::prelude::*;
    /// assert_eq!(Linear::<f64, U3>::zeros().b, 0.0);
    /// ```
    pub fn zeros() -> Self {
        Linear {
            w: Vector::zeros(),
            b: T::zero(),
        }
    }
}

impl<T: Scalar, N: Dim, P: Path, X> Model<X> for LinearPlaceholders<T, N, P>
where
    X: Expr<Out = Vector<T, N>>,
{
    type Node = Binary<
        crate::ops::elementwise::Zip<crate::ops::elementwise::Add>,
        Binary<Dot, Placeholder<Vector<T, N>, Field<U0, P>>, X>,
        Placeholder<T, Field<U1, P>>,
    >;
    #[inline(always)]
    fn run(self, x: Ex<X>) -> Ex<Self::Node> {
        self.w.dot(x) + self.b
    }
}

// ---------------------------------------------------------------------------------------------
// Recurrent cells as stateful models
// ---------------------------------------------------------------------------------------------

impl<T: Scalar, I: Dim, H: Dim, P: Path, X, St> Stateful<X, St> for RnnCellPlaceholders<T, I, H, P>
where
    X: Expr<Out = Vector<T, I>>,
    St: Expr<Out = Vector<T, H>>,
{
    type Next = super::RnnStep<T, I, H, P, X, St>;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<Self::Next> {
        RnnCellPlaceholders::step(self, x, s)
    }
}

impl<T: Scalar, I: Dim, H: Dim, P: Path, X, St> Stateful<X, St> for GruPlaceholders<T, I, H, P>
where
    X: Expr<Out = Vector<T, I>> + Copy,
    St: Expr<Out = Vector<T, H>> + Copy,
{
    type Next = super::GruStep<T, I, H, P, X, St>;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<Self::Next> {
        GruPlaceholders::step(self, x, s)
    }
}

/// An LSTM's state is the pair `(h, c)`.
impl<T: Scalar, I: Dim, H: Dim, P: Path, X, St> Stateful<X, St> for LstmPlaceholders<T, I, H, P>
where
    X: Expr<Out = Vector<T, I>> + Copy,
    St: Expr<Out = (Vector<T, H>, Vector<T, H>)> + Copy,
{
    type Next = super::LstmStep<T, I, H, P, X, GetField<U0, St>, GetField<U1, St>>;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<Self::Next> {
        LstmPlaceholders::step(self, x, s.get_field(U0), s.get_field(U1))
    }
}

/// An LSTM's output is the `h` of its state `(h, c)`.
impl<T: Scalar, I: Dim, H: Dim, P: Path, St> Readout<St> for LstmPlaceholders<T, I, H, P>
where
    St: Expr<Out = (Vector<T, H>, Vector<T, H>)>,
{
    type Output = GetField<U0, St>;
    #[inline(always)]
    fn output(self, s: Ex<St>) -> Ex<Self::Output> {
        s.get_field(U0)
    }
}

// ---------------------------------------------------------------------------------------------
// Combinators
// ---------------------------------------------------------------------------------------------

/// `a`, then `b` on its output (Le's `b <~ a`): a model whose parameters are those of both.
///
/// Two stateless models give a stateless one; a stateful `a` and a stateless `b` give a
/// stateful model whose output is `b` applied to `a`'s output (a readout layer).
///
/// ```
/// use backprop::nn::{chain, Dense, Model};
/// use backprop::ops::map::Tanh;
/// use backprop::prelude::*;
/// type Mlp = (Dense<f64, U2, U3>, Dense<f64, U3, U1>);
/// let net: Mlp = (Dense::xavier(&mut backprop::nn::Rng::new(1)), Dense::xavier(&mut backprop::nn::Rng::new(2)));
/// let x = Vector::<f64, U2>::from([0.5, -1.0]);
/// let loss = |(l1, l2): Placeholders<Mlp>| chain(l1.with(Tanh), l2).run(constant(&x)).sum();
/// // the same as writing the layers out
/// let by_hand = |(l1, l2): Placeholders<Mlp>| constant(&x).dense(l1.w, l1.b, Tanh).dense(l2.w, l2.b, backprop::ops::map::Identity).sum();
/// assert_eq!(grad(loss, &net), grad(by_hand, &net));
/// assert!(check_grad(loss, &net, 1e-6).passed(1e-8));
/// ```
#[inline(always)]
pub fn chain<A, B>(a: A, b: B) -> Chain<A, B> {
    Chain { a, b }
}

/// Two models in sequence (built by [`chain`]).
///
/// ```
/// use backprop::nn::{chain, Chain, Linear, Model};
/// use backprop::prelude::*;
/// let m = (Linear::<f64, U1> { w: Vector::from([2.0]), b: 1.0 },);
/// let x = Vector::<f64, U1>::from([3.0]);
/// assert_eq!(eval(|(p,)| p.run(constant(&x)), &m), 7.0);
/// let _: fn(u8, u16) -> Chain<u8, u16> = chain;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Chain<A, B> {
    a: A,
    b: B,
}

impl<X: Expr, A: Model<X>, B: Model<A::Node>> Model<X> for Chain<A, B> {
    type Node = B::Node;
    #[inline(always)]
    fn run(self, x: Ex<X>) -> Ex<B::Node> {
        self.b.run(self.a.run(x))
    }
}

impl<X: Expr, St: Expr, A: Stateful<X, St>, B: Copy> Stateful<X, St> for Chain<A, B> {
    type Next = A::Next;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<A::Next> {
        self.a.step(x, s)
    }
}

impl<St: Expr, A: Readout<St>, B: Model<A::Output>> Readout<St> for Chain<A, B> {
    type Output = B::Node;
    #[inline(always)]
    fn output(self, s: Ex<St>) -> Ex<B::Node> {
        self.b.run(self.a.output(s))
    }
}

/// A stateless model lifted to a stateful one: its state is its latest input, its output the
/// model applied to it (so it composes with stateful models and runs under [`unroll`]; the
/// initial state is never read).
///
/// ```
/// use backprop::nn::{stateless, unroll, zero_state, Linear, Model};
/// use backprop::prelude::*;
/// let m = Linear::<f64, U1> { w: Vector::from([2.0]), b: 1.0 };
/// let xs = vec![Vector::<f64, U1>::from([1.0]), Vector::from([3.0])];
/// // unrolled, it maps the model over the sequence
/// assert_eq!(eval(|p| unroll(stateless(p), zero_state()).run(constant(&xs)), &m), vec![3.0, 7.0]);
/// ```
#[inline(always)]
pub fn stateless<M>(model: M) -> Stateless<M> {
    Stateless(model)
}

/// A stateless model lifted to a stateful one (built by [`stateless`]).
///
/// ```
/// use backprop::nn::{stateless, Stateless};
/// let _: Stateless<u8> = stateless(1u8);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Stateless<M>(M);

impl<X: Expr, St: Expr, M: Copy> Stateful<X, St> for Stateless<M>
where
    X: Expr<Out = St::Out>,
{
    type Next = X;
    #[inline(always)]
    fn step(self, x: Ex<X>, _: Ex<St>) -> Ex<X> {
        x
    }
}

impl<St: Expr, M: Model<St>> Readout<St> for Stateless<M> {
    type Output = M::Node;
    #[inline(always)]
    fn output(self, s: Ex<St>) -> Ex<M::Node> {
        self.0.run(s)
    }
}

/// A stateless model of `[x; previous output]` (concatenated) made recurrent (Le's
/// `recurrently`): its state is its output. `recurrently(dense.with(Tanh))` is a fully
/// connected RNN cell.
///
/// ```
/// use backprop::nn::{recurrently, unroll_last, zero_state, Dense, Model, Rng};
/// use backprop::ops::map::Tanh;
/// use backprop::prelude::*;
/// let layer: Dense<f64, U3, U2> = Dense::xavier(&mut Rng::new(4)); // input 1 + state 2
/// let xs: Vec<Vector<f64, U1>> = (0..6).map(|t| Vector::from([t as f64 * 0.2])).collect();
/// let loss = |l: Placeholders<Dense<f64, U3, U2>>| unroll_last(recurrently(l.with(Tanh)), zero_state()).run(constant(&xs)).sum();
/// // the recurrence written out
/// let h = xs.iter().fold(Vector::<f64, U2>::zeros(), |h, x| {
///     Vector::from_fn(|i| (layer.w[(i, 0)] * x[0] + layer.w[(i, 1)] * h[0] + layer.w[(i, 2)] * h[1] + layer.b[i]).tanh())
/// });
/// assert!((eval(loss, &layer) - (h[0] + h[1])).abs() < 1e-15);
/// assert!(check_grad(loss, &layer, 1e-6).passed(1e-8));
/// ```
#[inline(always)]
pub fn recurrently<M>(model: M) -> Recurrently<M> {
    Recurrently(model)
}

/// A model made recurrent (built by [`recurrently`]).
///
/// ```
/// use backprop::nn::{recurrently, Recurrently};
/// let _: Recurrently<u8> = recurrently(1u8);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Recurrently<M>(M);

impl<T: Scalar, I: Dim, H: Dim, X, St, M> Stateful<X, St> for Recurrently<M>
where
    X: Expr<Out = Vector<T, I>>,
    St: Expr<Out = Vector<T, H>>,
    Concat: BinaryOp<Vector<T, I>, Vector<T, H>>,
    M: Model<Binary<Concat, X, St>>,
    M::Node: Expr<Out = Vector<T, H>>,
{
    type Next = M::Node;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<M::Node> {
        self.0.run(binary(Concat, x, s))
    }
}

/// A stateless model of the last `N` inputs (a window, a [`Vector`] of `N`) made stateful
/// (Le's `lagged`): its state is the window, its output the model applied to the window after
/// the step's input went in. With a [`Linear`] model it is AR(`N`) ([`ar`]).
///
/// ```
/// use backprop::nn::{lagged, unroll, Linear, Model};
/// use backprop::prelude::*;
/// // y_t = 1 * x_t + 10 * x_{t-1}: a window of two
/// let m = Linear::<f64, U2> { w: Vector::from([10.0, 1.0]), b: 0.0 };
/// let (xs, w0) = (vec![1.0, 2.0, 3.0], Vector::<f64, U2>::from([0.0, 0.5]));
/// let ys = eval(|p| unroll(lagged(p), constant(&w0)).run(constant(&xs)), &m);
/// assert_eq!(ys, vec![6.0, 12.0, 23.0]);
/// ```
#[inline(always)]
pub fn lagged<M>(model: M) -> Lagged<M> {
    Lagged(model)
}

/// A model of a window of the last inputs (built by [`lagged`] and [`ar`]).
///
/// ```
/// use backprop::nn::{lagged, Lagged};
/// let _: Lagged<u8> = lagged(1u8);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Lagged<M>(M);

impl<T: Scalar, N: Dim, X, St, M: Copy> Stateful<X, St> for Lagged<M>
where
    X: Expr<Out = T>,
    St: Expr<Out = Vector<T, N>>,
{
    type Next = Binary<ShiftIn, St, X>;
    #[inline(always)]
    fn step(self, x: Ex<X>, s: Ex<St>) -> Ex<Self::Next> {
        binary(ShiftIn, s, x)
    }
}

impl<St: Expr, M: Model<St>> Readout<St> for Lagged<M> {
    type Output = M::Node;
    #[inline(always)]
    fn output(self, s: Ex<St>) -> Ex<M::Node> {
        self.0.run(s)
    }
}

/// An autoregressive model of order `N` on a scalar series: the prediction of the next value
/// is `w . [x_{t-N+1}, .., x_t] + b` (the window oldest first, so `w[N - 1]` weighs the
/// latest value). It is [`lagged`]`(p)`: Le's `ar2 = lagged @2 linReg`.
///
/// ```
/// use backprop::nn::{ar, unroll, Linear, Model};
/// use backprop::prelude::*;
/// // AR(2) on a period-6 cosine: x_{t+1} = x_t - x_{t-1} holds exactly.
/// let series: Vec<f64> = (0..12).map(|t| (t as f64 * std::f64::consts::PI / 3.0).cos()).collect();
/// let m = Linear::<f64, U2> { w: Vector::from([-1.0, 1.0]), b: 0.0 };
/// let w0 = Vector::<f64, U2>::from([series[0], series[1]]);
/// let rest = series[2..].to_vec();
/// let preds = eval(|p| unroll(ar(p), constant(&w0)).run(constant(&rest)), &m);
/// for (t, p) in preds.iter().enumerate().take(9) {
///     assert!((p - series[t + 3]).abs() < 1e-12);
/// }
/// ```
#[inline(always)]
pub fn ar<T: Scalar, N: Dim, P: Path>(
    p: LinearPlaceholders<T, N, P>,
) -> Lagged<LinearPlaceholders<T, N, P>> {
    lagged(p)
}

/// A zero initial state (Le's `zeroState`), of a type with a static shape: give it to
/// [`unroll`] or [`unroll_last`]; its type is inferred from the model.
///
/// ```
/// use backprop::nn::{unroll_last, zero_state, Lstm, Model, Rng};
/// use backprop::prelude::*;
/// let cell: Lstm<f64, U1, U3> = Lstm::xavier(&mut Rng::new(1));
/// let xs: Vec<Vector<f64, U1>> = vec![Vector::from([1.0]); 4];
/// // the state (h, c) starts at zero
/// let h = eval(|p| unroll_last(p, zero_state()).run(constant(&xs)), &cell);
/// assert!(h.iter().all(|v| v.abs() < 1.0));
/// ```
#[inline(always)]
pub fn zero_state<St: Backprop + Default>() -> Ex<Zeros<St>> {
    Ex(Zeros::new())
}

/// A trained initial state (Le's `trainState`): the initial state is a field of the
/// parameters, so it gets a gradient and is trained with them. It is the placeholder itself;
/// this function only names the intent.
///
/// ```
/// use backprop::nn::{train_state, unroll_last, Model, RnnCell, Rng};
/// use backprop::prelude::*;
/// type P = (RnnCell<f64, U1, U2>, Vector<f64, U2>);
/// let p: P = (RnnCell::xavier(&mut Rng::new(1)), Vector::from([0.1, -0.2]));
/// let xs: Vec<Vector<f64, U1>> = vec![Vector::from([1.0]); 3];
/// let loss = |(cell, h0): Placeholders<P>| unroll_last(cell, train_state(h0)).run(constant(&xs)).sum();
/// let g = grad(loss, &p);
/// assert!(g.1.iter().any(|d| *d != 0.0)); // the initial state has a gradient
/// assert!(check_grad(loss, &p, 1e-6).passed(1e-8));
/// ```
#[inline(always)]
pub fn train_state<V, P>(initial: Ex<Placeholder<V, P>>) -> Ex<Placeholder<V, P>> {
    initial
}

/// The scope depth of a step of a model unrolled over `Xs` from `S0`.
type StepDepth<Xs, S0> = S<MaxOf<<Xs as Expr>::Depth, <S0 as Expr>::Depth>>;

/// The element of `Xs` a step reads.
type ItemOf<Xs> = <<Xs as Expr>::Out as Sequence>::Item;

/// The placeholder of the state a step of [`unroll`] reads.
pub type StatePh<Xs, S0> = Placeholder<<S0 as Expr>::Out, Field<U0, Root<StepDepth<Xs, S0>>>>;

/// The placeholder of the input a step of [`unroll`] reads.
pub type InputPh<Xs, S0> = Placeholder<ItemOf<Xs>, Field<U1, Root<StepDepth<Xs, S0>>>>;

/// The placeholder of the state the output of [`unroll`] is read from, at each step.
pub type OutputPh<Xs, S0> = Placeholder<<S0 as Expr>::Out, Root<StepDepth<Xs, S0>>>;

/// A stateful model run over a sequence from initial state `s0`, giving every step's output
/// (Le's `unroll` with its initial state fixed): a stateless model from a `Vec` or array of
/// inputs to a `Vec` of outputs. The state is carried by a [`scan`](crate::Ex::scan), the
/// outputs read by a [`map_items`](crate::Ex::map_items); the parameters are read in place at
/// every step and their gradient summed in place.
///
/// ```
/// use backprop::nn::{unroll, zero_state, Gru, Model, Rng};
/// use backprop::prelude::*;
/// let cell: Gru<f64, U1, U2> = Gru::xavier(&mut Rng::new(9));
/// let xs: Vec<Vector<f64, U1>> = (0..5).map(|t| Vector::from([t as f64 - 2.0])).collect();
/// // a sequence-to-sequence loss: one term per step's output
/// let loss = |p: Placeholders<Gru<f64, U1, U2>>| {
///     unroll(p, zero_state()).run(constant(&xs)).map_items(|h| h.sum().powi(2)).sum_items()
/// };
/// assert_eq!(eval(|p| unroll(p, zero_state()).run(constant(&xs)), &cell).len(), 5);
/// assert!(check_grad(loss, &cell, 1e-6).passed(1e-8));
/// ```
#[inline(always)]
pub fn unroll<M, S0>(model: M, s0: Ex<S0>) -> Unroll<M, S0> {
    Unroll { model, s0: s0.0 }
}

/// A stateful model over a sequence, every step's output (built by [`unroll`]).
///
/// ```
/// use backprop::nn::{unroll, zero_state, Unroll};
/// use backprop::expr::Zeros;
/// let _: Unroll<u8, Zeros<f64>> = unroll(1u8, zero_state::<f64>());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Unroll<M, S0> {
    model: M,
    s0: S0,
}

#[allow(clippy::type_complexity)]
impl<Xs, S0, M> Model<Xs> for Unroll<M, S0>
where
    Xs: Expr,
    Xs::Out: Sequence,
    S0: Expr + Copy,
    M: Stateful<InputPh<Xs, S0>, StatePh<Xs, S0>> + Readout<OutputPh<Xs, S0>>,
{
    type Node = MapItems<
        Fold<Xs, S0, <M as Stateful<InputPh<Xs, S0>, StatePh<Xs, S0>>>::Next, All>,
        <M as Readout<OutputPh<Xs, S0>>>::Output,
    >;
    #[inline(always)]
    fn run(self, xs: Ex<Xs>) -> Ex<Self::Node> {
        let next = Stateful::step(self.model, Ex(Placeholder::new()), Ex(Placeholder::new()));
        let output = self.model.output(Ex(Placeholder::new()));
        Ex(MapItems::new(
            Fold::new(xs.0, self.s0, next.0, All),
            output.0,
        ))
    }
}

/// A stateful model run over a sequence from initial state `s0`, giving the last step's output
/// (Le's `unrollLast`): for sequence-to-one models (classify or forecast from a whole
/// sequence). With an empty sequence the output is read from `s0`.
///
/// ```
/// use backprop::nn::{unroll_last, zero_state, Model, Rng, RnnCell};
/// use backprop::prelude::*;
/// let cell: RnnCell<f64, U1, U4> = RnnCell::xavier(&mut Rng::new(2));
/// let xs: Vec<Vector<f64, U1>> = (0..30).map(|t| Vector::from([(t as f64).cos()])).collect();
/// let h0 = Vector::<f64, U4>::zeros();
/// let loss = |p: Placeholders<RnnCell<f64, U1, U4>>| unroll_last(p, zero_state()).run(constant(&xs)).sum();
/// // the same as the fold written out
/// let fold = |p: Placeholders<RnnCell<f64, U1, U4>>| constant(&xs).fold(constant(&h0), |(h, x)| p.step(x, h)).sum();
/// assert_eq!(grad(loss, &cell), grad(fold, &cell));
/// ```
#[inline(always)]
pub fn unroll_last<M, S0>(model: M, s0: Ex<S0>) -> UnrollLast<M, S0> {
    UnrollLast { model, s0: s0.0 }
}

/// A stateful model over a sequence, the last output (built by [`unroll_last`]).
///
/// ```
/// use backprop::nn::{unroll_last, zero_state, UnrollLast};
/// use backprop::expr::Zeros;
/// let _: UnrollLast<u8, Zeros<f64>> = unroll_last(1u8, zero_state::<f64>());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct UnrollLast<M, S0> {
    model: M,
    s0: S0,
}

/// The fold that carries the state of [`unroll_last`].
type LastFold<Xs, S0, M> =
    Fold<Xs, S0, <M as Stateful<InputPh<Xs, S0>, StatePh<Xs, S0>>>::Next, Last>;

impl<Xs, S0, M> Model<Xs> for UnrollLast<M, S0>
where
    Xs: Expr,
    Xs::Out: Sequence,
    S0: Expr + Copy,
    M: Stateful<InputPh<Xs, S0>, StatePh<Xs, S0>> + Readout<LastFold<Xs, S0, M>>,
{
    type Node = <M as Readout<LastFold<Xs, S0, M>>>::Output;
    #[inline(always)]
    fn run(self, xs: Ex<Xs>) -> Ex<Self::Node> {
        let next = Stateful::step(self.model, Ex(Placeholder::new()), Ex(Placeholder::new()));
        self.model
            .output(Ex(Fold::new(xs.0, self.s0, next.0, Last)))
    }
}

/// Xavier-uniform initialisation, for [`Linear`] (weights `U(-a, a)`, `a = sqrt(6 / (N + 1))`,
/// zero intercept).
impl<T: Scalar, N: Dim> Linear<T, N> {
    /// Xavier-uniform weights, zero intercept.
    ///
    /// ```
    /// use backprop::nn::{Linear, Rng};
    /// use backprop::prelude::*;
    /// let m: Linear<f64, U9> = Linear::xavier(&mut Rng::new(1));
    /// assert!(m.w.iter().all(|w| w.abs() <= (0.6_f64).sqrt()) && m.b == 0.0);
    /// ```
    pub fn xavier(rng: &mut Rng) -> Self {
        let a = (6.0 / (N::USIZE + 1) as f64).sqrt();
        Linear {
            w: Vector::from_fn(|_| T::from_f64(rng.uniform(-a, a))),
            b: T::zero(),
        }
    }
}
