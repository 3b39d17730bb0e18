//! Heterogeneous reverse-mode automatic differentiation with static shapes and **no runtime
//! tape**.
//!
//! Write the function that computes a result; get the function that computes its gradient.
//! This is a Rust re-creation of Haskell's `backprop` library: scalars, vectors, matrices and
//! tuples of them mix in one computation, and each gradient comes back with the type of its
//! input. Unlike Haskell's `backprop` (or PyTorch, or `dfdx`), nothing is recorded at run time:
//! the closure you write builds a *value* whose type is the whole computation, so the forward and
//! backward passes compile to straight-line code, and a shape mismatch is a compile error.
//!
//! # A first gradient
//!
//! ```
//! use backprop::prelude::*;
//!
//! // f(x) = x sin x + e^x, at x = 0.5
//! let (y, dy) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f64);
//! assert!((dy - (0.5_f64.sin() + 0.5 * 0.5_f64.cos() + 0.5_f64.exp())).abs() < 1e-15);
//! ```
//!
//! The closure receives a *placeholder* for the input (`x` above is an [`Ex`], not an `f64`) and
//! returns an expression. [`value_and_grad`] runs it forward and backward. [`grad`] returns the
//! gradient only, [`eval`] the value only (with no bookkeeping for a backward pass at all).
//!
//! # Several inputs of different types
//!
//! Pass a tuple (nested freely, up to 6 wide) and destructure it in the closure. The gradient is a
//! tuple of the same types.
//!
//! ```
//! use backprop::prelude::*;
//!
//! let s = 2.0_f64;
//! let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
//! let m: Matrix<f64, U2, U3> = Matrix::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
//! let (y, (ds, dv, dm)) = value_and_grad(
//!     |(s, v, m)| m.matvec(v).tanh().sum() * s + s * v.dot(v),
//!     &(s, v, m),
//! );
//! // dm has type Matrix<f64, U2, U3>, dv Vector<f64, U3>, ds f64.
//! assert_eq!(ds, (7.0_f64.tanh() + 2.5_f64.tanh()) + 14.0);
//! ```
//!
//! Dimensions are typenum types (`U3`, `U784`, all in the [`prelude`]). Multiplying a
//! `Matrix<f64, U2, U3>` by a `Vector<f64, U4>` does not compile.
//!
//! # Constants
//!
//! Data that takes part in a computation but gets no gradient (training samples, targets) is
//! borrowed with [`constant`]; plain numbers can be used directly on either side of an operator.
//!
//! ```
//! use backprop::prelude::*;
//!
//! let x = Vector::<f64, U2>::from([1.0, -1.0]);
//! let target = 0.5_f64;
//! let w = Vector::<f64, U2>::from([0.2, 0.4]);
//! let dw = grad(|w| (w.dot(constant(&x)) - target).powi(2) * 0.5, &w);
//! // residual r = 0.2 - 0.4 - 0.5 = -0.7; dw = r x
//! assert!(dw.approx_eq(&Vector::from([-0.7, 0.7]), 1e-15));
//! ```
//!
//! # Computing an intermediate once
//!
//! Expressions are values: a Rust `let` that holds a compound expression and is used twice puts
//! two copies of it in the tree, computed twice (correct, only slower). [`Bind::then`] computes it
//! once and sums the gradient from all of its uses:
//!
//! ```
//! use backprop::prelude::*;
//!
//! let g = grad(|(x, y)| (x * y, y).then(|(u, y)| u * u + u * y + u.exp()), &(1.5_f64, -0.5_f64));
//! ```
//!
//! Inside a `.then`, `fold`, `map_items` or `map_values` body, the placeholders of every
//! enclosing closure can be used directly: they are read in place (nothing is copied per step)
//! and their gradient is added straight into the caller's. A recurrent layer reads its weights
//! at every step this way:
//!
//! ```
//! use backprop::prelude::*;
//! let xs: Vec<f64> = vec![0.5, -1.0, 0.25];
//! let (w, u) = (0.8_f64, 0.3_f64);
//! let g = grad(|(w, u)| constant(&xs).fold(constant(&0.0), |(h, x)| (h * w + x * u).tanh()), &(w, u));
//! assert!(check_grad(|(w, u)| constant(&xs).fold(constant(&0.0), |(h, x)| (h * w + x * u).tanh()), &(w, u), 1e-6).passed(1e-7));
//! ```
//!
//! One case is refused at compile time: a body written *inside another body* that binds only
//! values of enclosing scopes (a `fold` over constants inside a `fold` body): its placeholders
//! could not be told from the enclosing body's. The error says so; bind something of the
//! enclosing body too (for constants, [`Ex::within`]: `constant(&ys).within(h)`), or move the
//! inner computation out of the body.
//!
//! # Records of parameters
//!
//! `#[derive(Backprop)]` on a struct (named or tuple fields, generic, nested) makes it an input
//! like a tuple: inside the closure each field is an expression under its own name, and the
//! gradient comes back as the same struct.
//!
//! ```
//! use backprop::prelude::*;
//!
//! #[derive(Backprop, Clone)]
//! struct Line { slope: f64, intercept: f64 }
//!
//! let line = Line { slope: 2.0, intercept: 1.0 };
//! let data = [(0.0, 1.5), (1.0, 2.5)];
//! let g: Line = grad(|l| {
//!     let (x0, y0, x1, y1) = (data[0].0, data[0].1, data[1].0, data[1].1);
//!     (l.slope * x0 + l.intercept - y0).powi(2) + (l.slope * x1 + l.intercept - y1).powi(2)
//! }, &line);
//! // residuals -0.5 and 0.5: d/dslope = 2 (0.5 * 1), d/dintercept = 2 (-0.5 + 0.5)
//! assert_eq!((g.slope, g.intercept), (1.0, 0.0));
//! ```
//!
//! Sequences, maps and options are inputs too: `xs.map_items(..)`, `xs.sum_items()`,
//! `xs.fold(..)`, `map.lookup_or(&key, &default)`, `option.unwrap_or(&default)`; see
//! [`ops::containers`] and [`ops::fold`].
//!
//! # Your own operations
//!
//! An elementwise function with its derivative, or any function with a hand-written gradient
//! (Haskell's `op1`): no boxing, the backward closure's type is part of the computation's type.
//!
//! ```
//! use backprop::prelude::*;
//!
//! let v = Vector::<f64, U3>::from([0.5, -1.0, 2.0]);
//! // softsign x / (1 + |x|), as an elementwise map with its derivative df(x, y)
//! let g = grad(|v| v.map(|x| x / (1.0 + x.abs()), |x, _| 1.0 / (1.0 + x.abs()).powi(2)).sum(), &v);
//! // the same through `op`: value and backward closure
//! // (the backward closure gets the operand again, so nothing needs copying)
//! let softsign = |v: &Vector<f64, U3>| {
//!     (v.map(|x| x / (1.0 + x.abs())), |dy: &Vector<f64, U3>, v: &Vector<f64, U3>| {
//!         Vector::from_fn(|i| dy[i] / (1.0 + v[i].abs()).powi(2))
//!     })
//! };
//! assert_eq!(grad(|v| op(v, softsign).sum(), &v), g);
//! // and check a hand-written gradient against central differences
//! assert!(check_grad(|v| op(v, softsign).sum(), &v, 1e-6).passed(1e-8));
//! ```
//!
//! # Training loops
//!
//! [`value_and_grad_into`] writes the gradient over a buffer you keep (no zeroing needed, no
//! allocation): where the computation allows it ([`entry::writes_once`] says), each part of the
//! gradient is *written* once rather than zero-filled and then added into: on a large layer
//! that is the speed of a gradient written by hand. [`value_and_grad_acc`] adds into your
//! buffer instead, so a mini-batch can be a loop over samples. Large tensors take their memory
//! from a bounded per-thread cache, so a training step does not allocate them afresh. See
//! `examples/quickstart.rs` for a network trained on XOR.
//!
//! The slice kernels ([`kernels`]) are compiled for the baseline instruction set, for AVX2 with
//! FMA and for AVX-512, and the best the CPU supports is chosen at run time
//! ([`kernels::Simd`]).
//!
//! # Debug builds
//!
//! The engine is generic code, compiled into *your* crate, and it is fast only when optimised:
//! a user's LSTM ran 45x slower in Cargo's default debug profile than in release, and
//! `[profile.dev.package.backprop] opt-level = 3` alone gained only 1.5x of that. Put this in
//! your `Cargo.toml` to keep debug builds within 2x of release (measured: 0.18 ms against
//! 0.095 ms a step), with rebuilds no slower than before:
//!
//! ```toml
//! [profile.dev]
//! opt-level = 1
//! [profile.dev.package."*"]
//! opt-level = 3
//! ```
//!
//! The figures are in the [guide](docs::guide#10-performance-habits), with a guided tour of
//! the whole library from zero; [`docs::equipping`] is for authors of other crates.
//!
//! # Second derivatives
//!
//! The same closure gives forward-mode derivatives ([`jvp`]: `J v`), Hessian-vector products
//! ([`hvp`]: `H v` with the value and gradient, a small multiple of one gradient's cost) and
//! whole Hessians ([`hessian`]), for inputs of any kind:
//!
//! ```
//! use backprop::prelude::*;
//! // f(a, b) = a² b: gradient (2ab, a²), Hessian [[2b, 2a], [2a, 0]]
//! let (y, g, hv) = hvp(|(a, b)| a * a * b, &(1.0_f64, 3.0_f64), &(1.0, 0.0));
//! assert_eq!((y, g, hv), (3.0, (6.0, 1.0), (6.0, 2.0)));
//! assert_eq!(hessian(|(a, b)| a * a * b, &(1.0_f64, 3.0_f64)), vec![(6.0, 2.0), (2.0, 0.0)]);
//! ```
//!
//! See [`tangent`] for how (a tangent pass beside each pass) and which operations are covered,
//! and `examples/newton_cg.rs` for Newton's method on MNIST.
//!
//! # How it works
//!
//! Each operation is a node type: [`expr::Expr`] gives its output type, [`expr::Diff`] runs it
//! forward (keeping what backward needs in a cache whose type is known statically) and backward
//! (adding gradients into the input's gradient, so fan-out needs no bookkeeping). Placeholders
//! are zero-sized paths into the input; constants are references; so an expression tree is
//! usually a zero-sized value. Numeric work is done by plain slice kernels in [`kernels`], shared
//! with any other engine. The operations, one family per module in [`ops`], each document their
//! forward and backward math.
//!
//! | Haskell `backprop` | here |
//! |---|---|
//! | `evalBP`, `gradBP`, `backprop` | [`eval`], [`grad`], [`value_and_grad`] |
//! | `backpropWith` | [`vjp`] |
//! | (requested in its issue #17: Hessians) | [`jvp`], [`hvp`], [`hessian`] |
//! | `constVar`, `auto` | [`constant`], plain numbers |
//! | `op1`, `op2`, `op3`, `isoVar` | [`op`], [`op2`], [`op3`], [`Ex::iso`] |
//! | `^^.`, `.~~`, `%~~`, `^^?` | record fields, [`Ex::set_field`], [`Ex::over_field`], [`Ex::lookup`] |
//! | `sequenceVar`, `collectVar`, `Prelude.Backprop` | [`Ex::map_items`], [`Ex::fold`], [`Ex::sum_items`], [`Ex::product`] |
//! | `Backprop` (`zero`, `add`, `one`) | [`Backprop`] (`zero_like`, `accumulate`, `one_like`) |
//! | `let` sharing of `BVar`s | [`Bind::then`] |
//!
//! # Errors, never silent wrong answers
//!
//! Everything whose shape is only known at run time is checked where it enters:
//! [`value_and_grad_acc`] and [`vjp`] return a [`GradientShapeError`] for a buffer or seed of
//! another shape (a `Vec` of another length, a map with other keys), optimizers
//! ([`nn::Optimizer::step`]) for a gradient of another shape than the parameters, checkpoints
//! ([`nn::checkpoint`]) for a file of another structure, and the IDX reader ([`data`]) for a
//! bad file. Awkward numeric points have defined, documented results (`0 ln 0 = 0` in the
//! cross-entropies, NaN propagating through `maximum` and `logsumexp`, a `norm` that neither
//! overflows nor underflows); see each operation's docs.
//!
//! # The public surface, and what is sealed
//!
//! What you use, and may implement:
//! - entry points and checks: [`eval`], [`grad`], [`value_and_grad`], [`value_and_grad_into`],
//!   [`value_and_grad_acc`], [`vjp`], [`jacobian`], [`check_grad`], [`entry::writes_once`];
//!   second derivatives and forward mode ([`tangent`]): [`jvp`], [`hvp`], [`hessian`],
//!   [`tangent::hvp_at`]; expressions: [`Ex`] and its methods (one family per
//!   module of [`ops`]), [`constant`], [`tuple()`], [`Bind::then`], [`op`]/[`op2`]/[`op3`];
//!   [`entry::Placeholders`] names the type of a closure's placeholders;
//! - values: [`Vector`], [`Matrix`], [`dims`], and the traits you implement for types of your
//!   own: [`Backprop`] and [`Scalars`] (or `#[derive(Backprop)]`, which also gives
//!   [`expr::Input`]), [`Scalar`] (a new scalar type);
//! - extension points for operations of your own, all safe, whose methods return values:
//!   [`ops::UnaryOp`] and [`ops::BinaryOp`] (through [`Ex::apply`] and [`ops::apply2`]),
//!   [`ops::map::ElemFn`] (through [`Ex::map`]), and the closures of [`op`], [`op2`], [`op3`];
//! - [`tape`] (the runtime engine), [`nn`] (layers, initialisation, optimizers,
//!   [`nn::parallel_grad`], checkpoints), [`data`] (MNIST), [`kernels`] (safe slice kernels
//!   with checked sizes, for hand-written gradients), [`dual`] (dual numbers, a [`Scalar`]:
//!   a gradient at inputs `x + v ε` carries the Hessian-vector product `H v`; the tape's
//!   second derivatives, [`tape::hvp`], run on them);
//! - optional parts, each behind a feature: `distributed` (`mpi`: data-parallel training over
//!   MPI), `interop` (`nalgebra`, `ndarray`: conversions), `data::download` (`download`:
//!   MNIST into a cache folder), serde support (`serde`);
//! - [`tangent::UnaryTangent`] and [`tangent::BinaryTangent`]: the second-order rule of an
//!   operation of your own, so that [`hvp`] runs through it.
//!
//! Sealed (nameable, usable as bounds, implemented by this crate only, because safety or a
//! compile-time check depends on them): [`expr::Expr`] and [`expr::Diff`] (the engine's
//! unsafe in-place caches trust every `forward`; see [`expr::Diff`] for why sealing),
//! [`Tensor`], and every shape rule in [`shape`]. The placeholder machinery (lens paths, scope
//! depths, the scope check) lives in a hidden module: placeholder types name it, but it is not
//! API and every trait in it is sealed.
#![deny(missing_docs)]

// Lets `#[derive(Backprop)]`, which names `::backprop`, work inside this crate too.
extern crate self as backprop;

pub mod check;
#[cfg(feature = "data")]
pub mod data;
pub mod dims;
#[cfg(feature = "mpi")]
pub mod distributed;
pub mod docs;
pub mod dual;
pub mod entry;
pub mod expr;
mod gradient;
pub mod interop;
pub mod kernels;
pub mod nn;
pub mod ops;
mod scalar;
pub mod shape;
pub mod tangent;
pub mod tape;
pub mod tensor;

pub use backprop_derive::Backprop;
pub use check::{check_grad, GradCheck};
pub use dims::Dim;
pub use entry::{
    eval, grad, jacobian, value_and_grad, value_and_grad_acc, value_and_grad_into, vjp,
};
pub use expr::{constant, tuple, Bind, Ex};
pub use gradient::{Backprop, GradientShapeError, Scalars};
pub use ops::custom::{op, op2, op3};
pub use ops::loss::{
    cross_entropy, softmax_cross_entropy, softmax_cross_entropy_rows, squared_error,
};
pub use scalar::Scalar;
pub use tangent::{hessian, hvp, jvp};
pub use tensor::{Matrix, ShapeError, Tensor, Vector, INLINE_LEN};

/// What `#[derive(Backprop)]`'s arithmetic calls: not API.
#[doc(hidden)]
pub mod __private {
    use crate::{tangent::HessianOf, Backprop, Scalar, Scalars};
    /// `x * s`, every scalar (`s` converted to the record's scalar type).
    pub fn scaled<X: HessianOf>(mut x: X, s: f64) -> X {
        let s = X::Scalar::from_f64(s);
        Scalars::<X::Scalar>::for_each_slice_mut(&mut x, &mut |r| {
            r.iter_mut().for_each(|v| *v *= s)
        });
        x
    }
    /// `a + b`.
    pub fn sum<X: Backprop>(mut a: X, b: &X) -> X {
        a.accumulate(b);
        a
    }
    /// `a - b`.
    pub fn difference<X: HessianOf>(a: X, b: X) -> X {
        sum(a, &scaled(b, -1.0))
    }
}

/// Everything a user needs, in one import: `use backprop::prelude::*;`.
///
/// ```
/// use backprop::prelude::*;
/// let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
/// assert_eq!(grad(|v| v.dot(v), &v), Vector::from([2.0, 4.0, 6.0]));
/// ```
pub mod prelude {
    pub use crate::dims::*;
    pub use crate::entry::Placeholders;
    pub use crate::{
        check_grad, constant, cross_entropy, eval, grad, hessian, hvp, jacobian, jvp, op, op2, op3,
        softmax_cross_entropy, softmax_cross_entropy_rows, squared_error, tuple, value_and_grad,
        value_and_grad_acc, value_and_grad_into, vjp, Backprop, Bind, Ex, Matrix, Scalars, Vector,
    };
    // The model traits' methods (`run`, `step`, `output`), without their names.
    pub use crate::nn::{Model as _, Readout as _, Stateful as _};
}

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
