//! Second derivatives and forward mode: [`jvp`], [`hvp`], [`hessian`], on the same closures
//! as [`grad`](crate::grad).
//!
//! # How: a tangent pass beside each pass
//!
//! Every node of the static engine has, beside its forward and backward passes, their
//! derivatives along a direction `v` of the input ([`Tangent`]):
//!
//! | pass | computes | of type |
//! |---|---|---|
//! | forward | `y = f(x)` | the node's output |
//! | tangent forward | `ẏ = J ẋ` (`ẋ = v` at the input) | the node's output |
//! | backward | `dx = Jᵀ dy` | the input |
//! | tangent backward | `dẋ = Jᵀ dẏ + (∂_v Jᵀ) dy` | the input |
//!
//! Run forward, then the tangent forward pass, then backward with both seeds (`dy = 1`,
//! `dẏ = 0`): `dx` is the gradient and `dẋ` is the Hessian-vector product `H v`
//! (forward-over-reverse, Pearlmutter 1994). The tangent forward pass alone is forward mode:
//! `ẏ` at the root is `J v` ([`jvp`]).
//!
//! Tangents have the type of the value they belong to, so an input of any kind (a scalar, a
//! tensor, a tuple, a derived record whose fields are plain `f64`) has tangents and
//! Hessian-vector products of its own type, with no lifted copy of the record type.
//!
//! Each operation gives its second-order rule in its family's file, next to its first-order
//! one, in one of three ways ([`UnaryTangent`], [`BinaryTangent`]):
//! - **linear** (`sum`, `transpose`, `+`, `concat`, ...): `ẏ = f(ẋ)`, and the backward pass does
//!   not depend on the operand, so `∂_v Jᵀ = 0`;
//! - **bilinear** (`*`, `dot`, `matvec`, `matmul`, `outer`, `dense`'s affine part): `ẏ = f(ȧ, b)
//!   + f(a, ḃ)`, and the curvature terms are the backward passes with the other operand
//!   replaced by its tangent; all on the `f32`/`f64` kernels;
//! - **by dual numbers** (everything else: `/`, `powf`, softmax, log-sum-exp, the losses,
//!   `norm`, the elementwise functions): the operation's own forward and backward passes run on
//!   [`Dual`] numbers `x + ẋ ε` (every operation is generic over its [`Scalar`]), and the `ε`
//!   parts are `ẏ` and `∂_v Jᵀ dy`. One declaration, no second copy of the math to get wrong;
//!   the cost is a lifted copy of the operand, which for these operations is an activation, not
//!   a weight matrix.
//!
//! Covered nodes: placeholders, constants, every operation of the table, `dense`, `then`,
//! tuples, `fold` and `scan` (each step's tangent passes over `(ḣ, ẋ)`; recurrent weights read
//! in the body get their `H v` through the frames). Not covered (no [`Tangent`] impl, so `hvp`
//! on them does not compile): user closures whose second derivative the crate cannot know
//! ([`op`](crate::op), [`Ex::map`](crate::Ex::map) with `f64` closures, `iso`, [`UnaryOp`]
//! impls of your own without a [`UnaryTangent`]), `map_items`/`map_values`, and projections
//! of computed records (`get_field`/`set_field` on `.whole()`; the fields of an input record
//! are placeholders and work). Use [`Dual`] inputs with [`grad`](crate::grad) there (see
//! [`dual`](crate::dual)), or the tape ([`tape::hvp`](crate::tape::hvp)).
//!
//! ```
//! use backprop::prelude::*;
//! // f(x) = x sin x: f' = sin x + x cos x, f'' = 2 cos x - x sin x
//! let x = 0.5_f64;
//! let (y, dy) = jvp(|x| x.sin() * x, &x, &1.0);
//! let (_, g, h) = hvp(|x| x.sin() * x, &x, &1.0);
//! assert!((y - x * x.sin()).abs() < 1e-15);
//! assert!((dy - (x.sin() + x * x.cos())).abs() < 1e-15);
//! assert!((g - dy).abs() < 1e-15);
//! assert!((h - (2.0 * x.cos() - x * x.sin())).abs() < 1e-15);
//! ```

use crate::dual::Dual;
use crate::entry::Placeholders;
use crate::expr::ledger::without_ledger;
use crate::expr::{with_forward, Diff, Ex, Input};
use crate::ops::{BinaryOp, UnaryOp};
use crate::{Backprop, Dim, Matrix, Scalar, Scalars, Tensor, Vector};

/// The derivative of a node's passes along a direction of its input (see the [module
/// docs](self)): implemented by the crate's nodes for every operation whose second derivative
/// it knows.
///
/// `t` is the direction (the input's tangent, of the input's type); `g` and `gt` are the
/// gradient and its tangent (the Hessian-vector product), which backward *adds* into.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::tangent::Tangent;
/// use backprop::expr::Diff;
/// fn tangent_capable<In, N: Tangent<In>>(_: &Ex<N>, _: &In) {}
/// let x = Vector::<f64, U2>::zeros();
/// tangent_capable(&eval_tree(|v: Placeholders<Vector<f64, U2>>| v.tanh().sum()), &x);
/// # fn eval_tree<N, F: FnOnce(Placeholders<Vector<f64, U2>>) -> Ex<N>>(f: F) -> Ex<N> {
/// #     f(<Vector<f64, U2> as backprop::expr::Input>::placeholder())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "no second derivative is known for `{Self}`",
    label = "`jvp`/`hvp`/`hessian` need every operation's second-order rule",
    note = "user closures (`op`, `map`, `iso`), `map_items`/`map_values` and projections of computed records have none: see `backprop::tangent`"
)]
pub trait Tangent<In>: Diff<In> {
    /// What the tangent forward pass keeps: the children's, and this node's `ẏ`.
    type TCache;
    /// Seals the trait (its impls are the crate's nodes).
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The tangent forward pass: `ẏ = J ẋ` for this node and every node below, given the
    /// forward pass's cache.
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache;
    /// This node's `ẏ`, or `None` where it is identically zero (no placeholder below).
    fn tvalue<'a>(&'a self, t: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out>;
    /// Adds `Jᵀ dy` into `g` and `Jᵀ dẏ + (∂_t Jᵀ) dy` into `gt` (`dyt = None`: `dẏ = 0`).
    #[allow(clippy::too_many_arguments)]
    fn backward_tangent(
        &self,
        x: &In,
        t: &In,
        c: &Self::Cache,
        tc: &Self::TCache,
        dy: Self::Out,
        dyt: Option<Self::Out>,
        g: &mut In,
        gt: &mut In,
    );
}

/// The second-order rule of a [`UnaryOp`]: its derivative along the operand's tangent.
///
/// The crate's operations declare theirs (see the [module docs](self)); implement it for an
/// operation of your own to use it under [`hvp`] and [`jvp`].
///
/// ```
/// use backprop::ops::UnaryOp;
/// use backprop::ops::softmax::LogSumExp;
/// use backprop::tangent::UnaryTangent;
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([0.0, 0.0]);
/// let y = LogSumExp.forward(&x);
/// // d/dt lse(x + t v) = softmax(x) . v = (1 + 3) / 2
/// assert_eq!(LogSumExp.tangent(&x, &y, &Vector::from([1.0, 3.0])), 2.0);
/// ```
pub trait UnaryTangent<X>: UnaryOp<X> {
    /// `ẏ = J ẋ`, given the operand `x`, the result `y` and the operand's tangent `xt`.
    fn tangent(&self, x: &X, y: &Self::Out, xt: &X) -> Self::Out;
    /// Adds `(∂_xt Jᵀ) dy` into `gt`: how the backward pass changes along `xt` (nothing for a
    /// linear operation). `yt` is [`tangent`](UnaryTangent::tangent)'s result.
    fn curvature(&self, x: &X, y: &Self::Out, xt: &X, yt: &Self::Out, dy: &Self::Out, gt: &mut X);
}

/// The second-order rule of a [`BinaryOp`]. `at`/`bt` are the operands' tangents, `None`
/// where one is identically zero (a constant operand); at least one is `Some`.
///
/// ```
/// use backprop::ops::BinaryOp;
/// use backprop::ops::linalg::Dot;
/// use backprop::tangent::BinaryTangent;
/// use backprop::prelude::*;
/// let (a, b) = (Vector::<f64, U2>::from([1.0, 2.0]), Vector::<f64, U2>::from([3.0, 4.0]));
/// let y = Dot.forward(&a, &b);
/// // d/dt (a + t a') . b = a' . b
/// assert_eq!(Dot.tangent(&a, &b, &y, Some(&Vector::from([1.0, 0.0])), None), 3.0);
/// ```
pub trait BinaryTangent<A, B>: BinaryOp<A, B> {
    /// `ẏ = J_a ȧ + J_b ḃ`.
    fn tangent(&self, a: &A, b: &B, y: &Self::Out, at: Option<&A>, bt: Option<&B>) -> Self::Out;
    /// Adds `(∂ J_aᵀ) dy` (along both tangents) into `gat`.
    #[allow(clippy::too_many_arguments)]
    fn curvature_a(
        &self,
        a: &A,
        b: &B,
        y: &Self::Out,
        at: Option<&A>,
        bt: Option<&B>,
        yt: &Self::Out,
        dy: &Self::Out,
        gat: &mut A,
    );
    /// Adds `(∂ J_bᵀ) dy` (along both tangents) into `gbt`.
    #[allow(clippy::too_many_arguments)]
    fn curvature_b(
        &self,
        a: &A,
        b: &B,
        y: &Self::Out,
        at: Option<&A>,
        bt: Option<&B>,
        yt: &Self::Out,
        dy: &Self::Out,
        gbt: &mut B,
    );
}

/// `X` with dual-number elements: how the "by dual numbers" rules lift an operand.
///
/// ```
/// use backprop::dual::Dual;
/// use backprop::prelude::*;
/// let v: backprop::tangent::Lifted<Vector<f64, U2>> = Vector::filled(Dual::new(1.0, 0.5));
/// assert_eq!(v[1].eps, 0.5);
/// ```
pub type Lifted<X> = <X as Tensor>::Rebind<Dual<<X as Tensor>::Elem>>;

/// `x + t ε` elementwise (`t = None`: a constant, `ε` part zero).
///
/// ```
/// use backprop::tangent::{lift, eps};
/// let d = lift(&2.0_f64, Some(&3.0));
/// assert_eq!((d.re, d.eps), (2.0, 3.0));
/// assert_eq!(eps::<f64>(&d), 3.0);
/// ```
pub fn lift<X: Tensor>(x: &X, t: Option<&X>) -> Lifted<X> {
    let xs = x.as_slice();
    match t {
        Some(t) => {
            let ts = t.as_slice();
            Lifted::<X>::from_flat_fn(|i| Dual::new(xs[i], ts[i]))
        }
        None => Lifted::<X>::from_flat_fn(|i| Dual::constant(xs[i])),
    }
}

/// The `ε` parts of a lifted value.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::tangent::{eps, lift};
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let d = lift(&x, Some(&Vector::from([3.0, 4.0])));
/// assert_eq!(eps::<Vector<f64, U2>>(&d), Vector::from([3.0, 4.0]));
/// ```
pub fn eps<X: Tensor>(d: &Lifted<X>) -> X {
    let ds = d.as_slice();
    X::from_flat_fn(|i| ds[i].eps)
}

/// Adds the `ε` parts of a lifted value into `into`.
fn add_eps<X: Tensor>(d: &Lifted<X>, into: &mut X) {
    for (g, d) in into.as_mut_slice().iter_mut().zip(d.as_slice()) {
        *g += d.eps;
    }
}

/// A unary operation's result type.
type UOut<Op, X> = <Op as UnaryOp<X>>::Out;
/// A binary operation's result type.
type BOut<Op, A, B> = <Op as BinaryOp<A, B>>::Out;

/// A unary rule by dual numbers: the operation's own passes on `x + ẋ ε`.
#[doc(hidden)]
#[inline]
pub fn dual_unary_tangent<X, Op>(op: &Op, x: &X, xt: &X) -> UOut<Op, X>
where
    X: Tensor,
    Op: UnaryOp<X> + UnaryOp<Lifted<X>, Out = Lifted<<Op as UnaryOp<X>>::Out>>,
    <Op as UnaryOp<X>>::Out: Tensor<Elem = X::Elem>,
{
    eps::<UOut<Op, X>>(&UnaryOp::<Lifted<X>>::forward(op, &lift(x, Some(xt))))
}

/// See [`dual_unary_tangent`].
#[doc(hidden)]
#[inline]
pub fn dual_unary_curvature<X, Op>(
    op: &Op,
    x: &X,
    y: &UOut<Op, X>,
    xt: &X,
    yt: &UOut<Op, X>,
    dy: &UOut<Op, X>,
    gt: &mut X,
) where
    X: Tensor,
    Op: UnaryOp<X> + UnaryOp<Lifted<X>, Out = Lifted<<Op as UnaryOp<X>>::Out>>,
    <Op as UnaryOp<X>>::Out: Tensor<Elem = X::Elem>,
{
    let xd = lift(x, Some(xt));
    let mut gd = xd.zero_like();
    UnaryOp::<Lifted<X>>::backward(op, &xd, &lift(y, Some(yt)), &lift(dy, None), &mut gd);
    add_eps::<X>(&gd, gt);
}

/// A binary rule by dual numbers: the operation's own passes on `a + ȧ ε`, `b + ḃ ε`.
#[doc(hidden)]
#[inline]
pub fn dual_binary_tangent<A, B, Op>(
    op: &Op,
    a: &A,
    b: &B,
    at: Option<&A>,
    bt: Option<&B>,
) -> BOut<Op, A, B>
where
    A: Tensor,
    B: Tensor<Elem = A::Elem>,
    Op: BinaryOp<A, B> + BinaryOp<Lifted<A>, Lifted<B>, Out = Lifted<<Op as BinaryOp<A, B>>::Out>>,
    <Op as BinaryOp<A, B>>::Out: Tensor<Elem = A::Elem>,
{
    eps::<BOut<Op, A, B>>(&BinaryOp::<Lifted<A>, Lifted<B>>::forward(
        op,
        &lift(a, at),
        &lift(b, bt),
    ))
}

/// See [`dual_binary_tangent`]; `first` picks the operand whose curvature term is added.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn dual_binary_curvature<A, B, Op>(
    op: &Op,
    a: &A,
    b: &B,
    y: &BOut<Op, A, B>,
    at: Option<&A>,
    bt: Option<&B>,
    yt: &BOut<Op, A, B>,
    dy: &BOut<Op, A, B>,
    into: Result<&mut A, &mut B>,
) where
    A: Tensor,
    B: Tensor<Elem = A::Elem>,
    Op: BinaryOp<A, B> + BinaryOp<Lifted<A>, Lifted<B>, Out = Lifted<<Op as BinaryOp<A, B>>::Out>>,
    <Op as BinaryOp<A, B>>::Out: Tensor<Elem = A::Elem>,
{
    let (ad, bd) = (lift(a, at), lift(b, bt));
    let (yd, dyd) = (lift(y, Some(yt)), lift(dy, None));
    match into {
        Ok(gat) => {
            let mut gd = ad.zero_like();
            BinaryOp::<Lifted<A>, Lifted<B>>::backward_a(op, &ad, &bd, &yd, &dyd, &mut gd);
            add_eps::<A>(&gd, gat);
        }
        Err(gbt) => {
            let mut gd = bd.zero_like();
            BinaryOp::<Lifted<A>, Lifted<B>>::backward_b(op, &ad, &bd, &yd, &dyd, &mut gd);
            add_eps::<B>(&gd, gbt);
        }
    }
}

/// Declares second-order rules: `linear` unary or binary operations, `bilinear` binary ones,
/// and rules `by dual` numbers. `impl[G] Ty` lists the generic parameters of `Ty`.
macro_rules! second_order {
    (linear unary: $(impl[$($g:ident),*] $op:ty;)+) => {$(
        impl<X, $($g),*> $crate::tangent::UnaryTangent<X> for $op
        where
            $op: $crate::ops::UnaryOp<X>,
        {
            #[inline]
            fn tangent(&self, _: &X, _: &Self::Out, xt: &X) -> Self::Out {
                $crate::ops::UnaryOp::forward(self, xt)
            }
            #[inline]
            fn curvature(&self, _: &X, _: &Self::Out, _: &X, _: &Self::Out, _: &Self::Out, _: &mut X) {}
        }
    )+};
    (linear binary: $(impl[$($g:ident),*] $op:ty;)+) => {$(
        impl<A: $crate::Backprop, B: $crate::Backprop, $($g),*> $crate::tangent::BinaryTangent<A, B> for $op
        where
            $op: $crate::ops::BinaryOp<A, B>,
        {
            #[inline]
            fn tangent(&self, a: &A, b: &B, _: &Self::Out, at: Option<&A>, bt: Option<&B>) -> Self::Out {
                use $crate::ops::BinaryOp as _;
                match (at, bt) {
                    (Some(at), Some(bt)) => self.forward(at, bt),
                    (Some(at), None) => self.forward(at, &b.zero_like()),
                    (None, Some(bt)) => self.forward(&a.zero_like(), bt),
                    (None, None) => self.forward(&a.zero_like(), &b.zero_like()),
                }
            }
            #[inline]
            fn curvature_a(&self, _: &A, _: &B, _: &Self::Out, _: Option<&A>, _: Option<&B>, _: &Self::Out, _: &Self::Out, _: &mut A) {}
            #[inline]
            fn curvature_b(&self, _: &A, _: &B, _: &Self::Out, _: Option<&A>, _: Option<&B>, _: &Self::Out, _: &Self::Out, _: &mut B) {}
        }
    )+};
    (bilinear: $(impl[$($g:ident),*] $op:ty;)+) => {$(
        impl<A, B, $($g),*> $crate::tangent::BinaryTangent<A, B> for $op
        where
            $op: $crate::ops::BinaryOp<A, B>,
        {
            #[inline]
            fn tangent(&self, a: &A, b: &B, _: &Self::Out, at: Option<&A>, bt: Option<&B>) -> Self::Out {
                use $crate::ops::BinaryOp as _;
                use $crate::Backprop as _;
                match (at, bt) {
                    (Some(at), Some(bt)) => {
                        let mut y = self.forward(at, b);
                        y.accumulate(&self.forward(a, bt));
                        y
                    }
                    (Some(at), None) => self.forward(at, b),
                    (None, Some(bt)) => self.forward(a, bt),
                    (None, None) => {
                        let y = self.forward(a, b);
                        y.zero_like()
                    }
                }
            }
            // J_aᵀ dy is linear in b alone: its change along (ȧ, ḃ) is J_aᵀ(ḃ) dy.
            #[inline]
            fn curvature_a(&self, a: &A, _: &B, y: &Self::Out, _: Option<&A>, bt: Option<&B>, _: &Self::Out, dy: &Self::Out, gat: &mut A) {
                if let Some(bt) = bt {
                    $crate::ops::BinaryOp::backward_a(self, a, bt, y, dy, gat);
                }
            }
            #[inline]
            fn curvature_b(&self, _: &A, b: &B, y: &Self::Out, at: Option<&A>, _: Option<&B>, _: &Self::Out, dy: &Self::Out, gbt: &mut B) {
                if let Some(at) = at {
                    $crate::ops::BinaryOp::backward_b(self, at, b, y, dy, gbt);
                }
            }
        }
    )+};
    (by dual unary: $(impl[$($g:ident),*] $op:ty;)+) => {$(
        impl<X: $crate::Tensor, $($g),*> $crate::tangent::UnaryTangent<X> for $op
        where
            $op: $crate::ops::UnaryOp<X>
                + $crate::ops::UnaryOp<
                    $crate::tangent::Lifted<X>,
                    Out = $crate::tangent::Lifted<<$op as $crate::ops::UnaryOp<X>>::Out>,
                >,
            <$op as $crate::ops::UnaryOp<X>>::Out: $crate::Tensor<Elem = X::Elem>,
        {
            #[inline]
            fn tangent(&self, x: &X, _: &Self::Out, xt: &X) -> Self::Out {
                $crate::tangent::dual_unary_tangent(self, x, xt)
            }
            #[inline]
            fn curvature(&self, x: &X, y: &Self::Out, xt: &X, yt: &Self::Out, dy: &Self::Out, gt: &mut X) {
                $crate::tangent::dual_unary_curvature(self, x, y, xt, yt, dy, gt)
            }
        }
    )+};
    (by dual binary: $(impl[$($g:ident),*] $op:ty;)+) => {$(
        impl<A: $crate::Tensor, B: $crate::Tensor<Elem = A::Elem>, $($g),*> $crate::tangent::BinaryTangent<A, B> for $op
        where
            $op: $crate::ops::BinaryOp<A, B>
                + $crate::ops::BinaryOp<
                    $crate::tangent::Lifted<A>,
                    $crate::tangent::Lifted<B>,
                    Out = $crate::tangent::Lifted<<$op as $crate::ops::BinaryOp<A, B>>::Out>,
                >,
            <$op as $crate::ops::BinaryOp<A, B>>::Out: $crate::Tensor<Elem = A::Elem>,
        {
            #[inline]
            fn tangent(&self, a: &A, b: &B, _: &Self::Out, at: Option<&A>, bt: Option<&B>) -> Self::Out {
                $crate::tangent::dual_binary_tangent(self, a, b, at, bt)
            }
            #[inline]
            fn curvature_a(&self, a: &A, b: &B, y: &Self::Out, at: Option<&A>, bt: Option<&B>, yt: &Self::Out, dy: &Self::Out, gat: &mut A) {
                $crate::tangent::dual_binary_curvature(self, a, b, y, at, bt, yt, dy, Ok(gat))
            }
            #[inline]
            fn curvature_b(&self, a: &A, b: &B, y: &Self::Out, at: Option<&A>, bt: Option<&B>, yt: &Self::Out, dy: &Self::Out, gbt: &mut B) {
                $crate::tangent::dual_binary_curvature(self, a, b, y, at, bt, yt, dy, Err(gbt))
            }
        }
    )+};
}
pub(crate) use second_order;

/// Sends a contribution to child `a` in the tangent backward pass: `add(slot, first)` delivers
/// its part of the gradient, `add_t(slot, first)` (when `has_t`) its part of the gradient's
/// tangent, straight into a placeholder's slots, or into temporaries handed to the child's own
/// pass. With `first` true the slot may hold anything and must be *written* (never read): the
/// first write to a slot in a ledger-mode pass, and every temporary (see `expr::ledger`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn send_tangent<In, A: Tangent<In>>(
    a: &A,
    x: &In,
    t: &In,
    c: &A::Cache,
    tc: &A::TCache,
    g: &mut In,
    gt: &mut In,
    add: impl FnOnce(&mut A::Out, bool),
    has_t: bool,
    add_t: impl FnOnce(&mut A::Out, bool),
) {
    if !A::NEEDS_GRAD {
        return;
    }
    if let Some(slot) = a.grad_slot(g) {
        if input_gradient_wanted::<A>() {
            let first = crate::expr::ledger::first_write(slot);
            add(slot, first);
        }
        if has_t {
            if let Some(slot) = a.grad_slot(gt) {
                let first = crate::expr::ledger::first_write(slot);
                add_t(slot, first);
            }
        }
    } else {
        let v = a.value(x, c);
        let mut ga = v.stale_like();
        add(&mut ga, true);
        let gat = has_t.then(|| {
            let mut z = v.stale_like();
            add_t(&mut z, true);
            z
        });
        a.backward_tangent(x, t, c, tc, ga, gat, g, gt);
    }
}

/// Delivers `J dy` with `write` (on a slot that may hold anything) or `add`.
#[inline(always)]
pub(crate) fn write_or_add<X: Backprop>(
    slot: &mut X,
    first: bool,
    write: impl FnOnce(&mut X),
    add: impl FnOnce(&mut X),
) {
    if first {
        write(slot)
    } else {
        add(slot)
    }
}

/// For a tangent slot: the `Jᵀ dẏ` term when `dẏ` is not zero (written or added), else a zero
/// where the slot must be written; then the curvature term, added.
#[inline(always)]
pub(crate) fn tangent_terms<X: Backprop, D>(
    slot: &mut X,
    first: bool,
    dyt: Option<&D>,
    write: impl FnOnce(&mut X, &D),
    add: impl FnOnce(&mut X, &D),
    curvature: impl FnOnce(&mut X),
) {
    match (dyt, first) {
        (Some(d), true) => write(slot, d),
        (Some(d), false) => add(slot, d),
        (None, true) => slot.set_zero(),
        (None, false) => {}
    }
    curvature(slot);
}

std::thread_local! {
    /// False while [`HvpAt::apply`] runs: it returns `H v` only, so the top-level input's
    /// gradient (the one `add` of each placeholder of depth 0) is not computed. Gradients of
    /// bound values inside bodies still are: the bound expression's curvature needs them.
    static INPUT_GRADIENT: core::cell::Cell<bool> = const { core::cell::Cell::new(true) };
}

/// Whether the top-level input's gradient is wanted, for a placeholder node `A` (always true
/// for a placeholder of a body's value).
#[inline(always)]
pub(crate) fn input_gradient_wanted<A: crate::expr::Expr>() -> bool {
    <A::Depth as crate::expr::Depth>::N > 0 || INPUT_GRADIENT.with(|w| w.get())
}

/// Panics with a clear message when the direction `v` has another shape than `x` (a `Vec`
/// of another length, a map with other keys): static shapes never do.
fn check_direction<In: Backprop>(x: &In, v: &In) {
    if let Err(e) = crate::gradient::check_buffer(x, v) {
        panic!("the direction `v` must have the shape of the input `x`: {e}");
    }
}

/// Forward mode: the value at `x` and the directional derivative `J v` (of the result's
/// type), through the same closure as [`grad`](crate::grad).
///
/// Costs the forward pass and its tangent: on the 784-300-100-10 network it measured 2.9x a
/// forward pass, exactly the cost of reading the weights and their tangent (BENCHMARKS.md).
///
/// # Panics
/// When `v` has another shape than `x` (only possible for inputs of run-time shape: `Vec`s,
/// maps).
///
/// ```
/// use backprop::prelude::*;
/// let (y, dy) = jvp(|x| x.sin() * x, &0.5_f64, &1.0);
/// assert_eq!(y, 0.5_f64.sin() * 0.5);
/// assert!((dy - (0.5_f64.sin() + 0.5 * 0.5_f64.cos())).abs() < 1e-15);
/// // A vector result: J v for v = e_1.
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let (_, jv) = jvp(|x| x * x.sum(), &x, &Vector::from([1.0, 0.0]));
/// assert_eq!(jv, Vector::from([4.0, 2.0])); // d/dx_0 of (x_0 (x_0 + x_1), x_1 (x_0 + x_1))
/// ```
pub fn jvp<In, F, N>(f: F, x: &In, v: &In) -> (N::Out, N::Out)
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Tangent<In>,
{
    check_direction(x, v);
    let e = f(In::placeholder());
    with_forward(&e.0, x, |cache| {
        let tc = e.0.tangent(x, v, cache);
        let y = e.0.value(x, cache).clone();
        let yt = match e.0.tvalue(v, &tc) {
            Some(yt) => yt.clone(),
            None => y.zero_like(),
        };
        (y, yt)
    })
}

/// The value at `x`, the gradient, and the Hessian-vector product `H v`, the last two of the
/// input's type (forward-over-reverse: a small multiple of one gradient's cost, and no
/// Hessian is formed).
///
/// For a result that is not a scalar, the gradient is that of the sum of its elements (as in
/// [`value_and_grad`](crate::value_and_grad)), and `H v` that sum's.
///
/// # Panics
/// When `v` has another shape than `x` (only possible for inputs of run-time shape).
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U3>::from([1.0, 2.0, -1.0]);
/// let v = Vector::<f64, U3>::from([0.0, 1.0, 0.0]);
/// // f = (x.x)(sum x) + sum exp x: H = 2 (sum x) I + 2 (x 1ᵀ + 1 xᵀ) + diag(exp x)
/// let (y, g, hv) = hvp(|x| x.dot(x) * x.sum() + x.exp().sum(), &x, &v);
/// let e2 = 2.0_f64.exp();
/// assert!((hv[0] - 2.0 * (2.0 + 1.0)).abs() < 1e-12); // 2 (x_1 + x_0)
/// assert!((hv[1] - (2.0 * 2.0 + 4.0 * 2.0 + e2)).abs() < 1e-12); // 2 sum + 4 x_1 + e^x_1
/// assert!((hv[2] - 2.0 * (2.0 - 1.0)).abs() < 1e-12); // 2 (x_1 + x_2)
/// assert_eq!(g, grad(|x| x.dot(x) * x.sum() + x.exp().sum(), &x));
/// # let _ = y;
/// ```
pub fn hvp<In, F, N>(f: F, x: &In, v: &In) -> (N::Out, In, In)
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Tangent<In>,
{
    check_direction(x, v);
    let e = f(In::placeholder());
    run_hvp(&e.0, x, v)
}

/// The passes of [`hvp`] on a built expression.
fn run_hvp<In: Input, N: Tangent<In>>(e: &N, x: &In, v: &In) -> (N::Out, In, In) {
    with_forward(e, x, |cache| {
        let tc = e.tangent(x, v, cache);
        let y = e.value(x, cache).clone();
        let (g, gt) = tangent_backward(e, x, v, cache, &tc, true);
        (y, g, gt)
    })
}

/// The backward pass with its tangent, seeded with `dy = 1`, `dẏ = 0`: the gradient (when
/// `want_g`; else it is not computed, and what is returned in its place is to be dropped) and
/// `H v`. Like the first-order entry points, it
/// writes each leaf once where the tree allows it (ledger mode, see `expr::ledger`), else
/// zeroes and accumulates.
fn tangent_backward<In: Input, N: Tangent<In>>(
    e: &N,
    x: &In,
    v: &In,
    cache: &N::Cache,
    tc: &N::TCache,
    want_g: bool,
) -> (In, In) {
    let dy = || e.value(x, cache).one_like();
    if N::OVERWRITE && In::LEDGER {
        let (mut g, mut gt) = (x.stale_like(), x.stale_like());
        let mut ledger = crate::expr::ledger::Ledger::new();
        crate::expr::ledger::with_ledger(&mut ledger, || {
            e.backward_tangent(x, v, cache, tc, dy(), None, &mut g, &mut gt)
        });
        if !ledger.overflowed() {
            if want_g {
                g.zero_unwritten(&ledger);
            }
            gt.zero_unwritten(&ledger);
            return (g, gt);
        }
    }
    // Plain accumulation into zeroed buffers.
    without_ledger(|| {
        let mut g = if want_g {
            x.zero_like()
        } else {
            x.stale_like()
        };
        let mut gt = x.zero_like();
        e.backward_tangent(x, v, cache, tc, dy(), None, &mut g, &mut gt);
        (g, gt)
    })
}

/// Hessian-vector products at one point for many directions: the forward pass runs once, each
/// [`apply`](HvpAt::apply) runs the tangent passes only. What conjugate gradients inside a
/// Newton step need (see `examples/newton_cg.rs`).
///
/// ```
/// use backprop::prelude::*;
/// use backprop::tangent::hvp_at;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let h = hvp_at(|x| x.dot(x) * x.sum(), &x);
/// assert_eq!(*h.value(), 15.0);
/// // H = 2 (sum x) I + 2 (x 1ᵀ + 1 xᵀ)
/// assert_eq!(h.apply(&Vector::from([1.0, 0.0])), Vector::from([6.0 + 4.0, 6.0]));
/// assert_eq!(h.apply(&Vector::from([0.0, 1.0])), Vector::from([6.0, 6.0 + 8.0]));
/// ```
pub struct HvpAt<'x, In, N: Diff<In>> {
    e: N,
    x: &'x In,
    cache: N::Cache,
}

/// Prepares [`HvpAt`] for `f` at `x`: runs the forward pass once.
///
/// ```
/// use backprop::prelude::*;
/// let h = backprop::tangent::hvp_at(|x| x.powi(3), &2.0_f64);
/// assert_eq!((*h.value(), h.apply(&1.0)), (8.0, 12.0)); // f'' = 6 x
/// ```
pub fn hvp_at<'x, In, F, N>(f: F, x: &'x In) -> HvpAt<'x, In, N>
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Tangent<In>,
{
    let e = f(In::placeholder()).0;
    let cache = crate::expr::forward_owned(&e, x);
    HvpAt { e, x, cache }
}

impl<In: Input, N: Tangent<In>> HvpAt<'_, In, N> {
    /// The value at the point.
    ///
    /// ```
    /// let h = backprop::tangent::hvp_at(|x| x.exp(), &0.0_f64);
    /// assert_eq!(*h.value(), 1.0);
    /// ```
    pub fn value(&self) -> &N::Out {
        self.e.value(self.x, &self.cache)
    }

    /// `H v`, of the input's type.
    ///
    /// ```
    /// let h = backprop::tangent::hvp_at(|(a, b)| a * a * b, &(1.0_f64, 2.0_f64));
    /// assert_eq!(h.apply(&(1.0, 0.0)), (4.0, 2.0)); // H = [[2b, 2a], [2a, 0]]
    /// ```
    ///
    /// # Panics
    /// When `v` has another shape than the point (only possible for inputs of run-time shape).
    pub fn apply(&self, v: &In) -> In {
        check_direction(self.x, v);
        let (e, x, cache) = (&self.e, self.x, &self.cache);
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                INPUT_GRADIENT.with(|w| w.set(self.0));
            }
        }
        let _restore = Restore(INPUT_GRADIENT.with(|w| w.replace(false)));
        let tc = e.tangent(x, v, cache);
        tangent_backward(e, x, v, cache, &tc, false).1
    }
}

/// How a Hessian is returned for an input type: a [`Matrix`] for a [`Vector`], one row of the
/// input's type per scalar (a `Vec`) for every other input (`#[derive(Backprop)]` records
/// included, whose scalar type is their first field's).
///
/// ```
/// use backprop::tangent::HessianOf;
/// use backprop::prelude::*;
/// let h: <Vector<f64, U2> as HessianOf>::Hessian = Matrix::<f64, U2, U2>::zeros();
/// let rows: <(f64, f64) as HessianOf>::Hessian = vec![(0.0, 0.0); 2];
/// # let _ = (h, rows);
/// ```
pub trait HessianOf: Input + Scalars<Self::Scalar> {
    /// The scalar type of the input's elements.
    type Scalar: Scalar;
    /// The Hessian's type.
    type Hessian;
    /// Assembles it from its rows (`H e_i` for each scalar `i`, in [`Scalars`] order).
    fn from_rows(rows: Vec<Self>) -> Self::Hessian;
}

impl<T: Scalar, N: Dim> HessianOf for Vector<T, N> {
    type Scalar = T;
    type Hessian = Matrix<T, N, N>;
    fn from_rows(rows: Vec<Self>) -> Matrix<T, N, N> {
        Matrix::from_fn(|i, j| rows.get(i).map_or(T::zero(), |r| r[j]))
    }
}

/// Implements [`HessianOf`] as one row per scalar, of the scalar type `$s`.
macro_rules! hessian_rows {
    ($(impl[$($g:tt)*] $ty:ty => $s:ty;)+) => {$(
        impl<$($g)*> HessianOf for $ty
        where
            $ty: Input + Scalars<$s>,
        {
            type Scalar = $s;
            type Hessian = Vec<Self>;
            fn from_rows(rows: Vec<Self>) -> Vec<Self> {
                rows
            }
        }
    )+};
}
hessian_rows! {
    impl[] f32 => f32;
    impl[] f64 => f64;
    impl[T: Scalar] crate::dual::Dual<T> => crate::dual::Dual<T>;
    impl[T: Scalar, R: Dim, C: Dim] Matrix<T, R, C> => T;
    impl[X: HessianOf, const N: usize] [X; N] => X::Scalar;
    impl[X: HessianOf] Vec<X> => X::Scalar;
    impl[X: HessianOf] Option<X> => X::Scalar;
    impl[K: Clone + Eq + std::hash::Hash + Ord + core::fmt::Debug + 'static, V: HessianOf] std::collections::HashMap<K, V> => V::Scalar;
    impl[K: Clone + Ord + core::fmt::Debug + 'static, V: HessianOf] std::collections::BTreeMap<K, V> => V::Scalar;
    impl[A: HessianOf] (A,) => A::Scalar;
    impl[A: HessianOf, B] (A, B) => A::Scalar;
    impl[A: HessianOf, B, C] (A, B, C) => A::Scalar;
    impl[A: HessianOf, B, C, D] (A, B, C, D) => A::Scalar;
    impl[A: HessianOf, B, C, D, E] (A, B, C, D, E) => A::Scalar;
    impl[A: HessianOf, B, C, D, E, F] (A, B, C, D, E, F) => A::Scalar;
}

/// The Hessian at `x`: for a [`Vector`] input a [`Matrix`]`<T, N, N>`; for any other input
/// one row per scalar of the input (in [`Scalars`] order), each of the input's type: row `i` is
/// `H e_i`. Runs one [`hvp`] per scalar: for small inputs.
///
/// ```
/// use backprop::prelude::*;
/// // A quadratic form's Hessian is A + Aᵀ.
/// let a = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [0.0, 3.0]]);
/// let x = Vector::<f64, U2>::from([0.3, -0.7]);
/// let h: Matrix<f64, U2, U2> = hessian(|x| x.dot(constant(&a).matvec(x)), &x);
/// assert_eq!(h, Matrix::from([[2.0, 2.0], [2.0, 6.0]]));
/// // Any other input: one row of its own type per scalar.
/// let rows = hessian(|(a, b)| a * a * b, &(1.0_f64, 2.0_f64));
/// assert_eq!(rows, vec![(4.0, 2.0), (2.0, 0.0)]);
/// ```
pub fn hessian<In, F, N>(f: F, x: &In) -> In::Hessian
where
    In: HessianOf,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Tangent<In>,
{
    let e = f(In::placeholder());
    let mut n = 0;
    x.for_each_scalar(&mut |_| n += 1);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let mut v = x.zero_like();
        let mut k = 0;
        v.for_each_scalar_mut(&mut |s| {
            if k == i {
                *s = <In::Scalar as num_traits::One>::one();
            }
            k += 1;
        });
        rows.push(run_hvp(&e.0, x, &v).2);
    }
    In::from_rows(rows)
}
