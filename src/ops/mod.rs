//! Every differentiable operation, one file per family, each with its forward and backward
//! math in its docs.
//!
//! Most operations are a small zero-sized struct implementing [`UnaryOp`] or [`BinaryOp`]
//! (forward, and the gradient for each operand), run by the generic nodes [`Unary`] and
//! [`Binary`]; only elementwise maps ([`map`]), custom ops ([`custom`]) and binding need nodes
//! of their own. Backward passes *add* into the operand gradient they are given, which is
//! either the operand's slot in the input gradient (for a placeholder: no temporary) or a fresh
//! zeroed buffer.

pub mod broadcast;
pub mod concat;
pub mod containers;
pub mod custom;
pub mod dense;
pub mod elementwise;
pub mod fold;
pub mod linalg;
pub mod loss;
pub mod map;
pub mod record;
pub mod reduce;
pub mod softmax;
pub mod table;

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{init, send_or_write, slot, written, Diff, Ex, Expr, MaxOf};
use crate::Backprop;

/// An operation of one operand: forward and the vector-Jacobian product.
///
/// ```
/// use backprop::ops::UnaryOp;
/// use backprop::ops::reduce::Sum;
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// let y = Sum.forward(&v);
/// let mut g = Vector::zeros();
/// Sum.backward(&v, &y, &2.0, &mut g);
/// assert_eq!((y, g), (3.0, Vector::from([2.0, 2.0])));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be applied to `{X}`",
    label = "this operation does not take a value of this kind"
)]
pub trait UnaryOp<X>: Copy {
    /// The result type.
    type Out: Backprop;
    /// Computes the result.
    fn forward(&self, x: &X) -> Self::Out;
    /// Adds `J^T dy` into `gx`, given the operand `x` and the result `y`.
    fn backward(&self, x: &X, y: &Self::Out, dy: &Self::Out, gx: &mut X);
    /// Writes `J^T dy` into `gx`, replacing whatever `gx` held (an implementation must never
    /// read it): how the first contribution to a gradient is delivered without a zero-fill
    /// (see [`value_and_grad_into`](crate::value_and_grad_into)). The default zeroes `gx` and
    /// calls [`backward`](UnaryOp::backward).
    ///
    /// ```
    /// use backprop::ops::UnaryOp;
    /// use backprop::ops::reduce::Sum;
    /// use backprop::prelude::*;
    /// let v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// let mut g = Vector::filled(f64::NAN);
    /// Sum.backward_write(&v, &3.0, &2.0, &mut g);
    /// assert_eq!(g, Vector::from([2.0, 2.0]));
    /// ```
    #[inline(always)]
    fn backward_write(&self, x: &X, y: &Self::Out, dy: &Self::Out, gx: &mut X)
    where
        X: Backprop,
    {
        gx.set_zero();
        self.backward(x, y, dy, gx);
    }
}

/// An operation of two operands: forward and the vector-Jacobian product for each.
///
/// ```
/// use backprop::ops::BinaryOp;
/// use backprop::ops::linalg::Dot;
/// use backprop::prelude::*;
/// let (a, b) = (Vector::<f64, U2>::from([1.0, 2.0]), Vector::<f64, U2>::from([3.0, 4.0]));
/// let y = Dot.forward(&a, &b);
/// let mut ga = Vector::zeros();
/// Dot.backward_a(&a, &b, &y, &1.0, &mut ga);
/// assert_eq!((y, ga), (11.0, b));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be applied to `{A}` and `{B}`",
    label = "this operation does not take values of these kinds"
)]
pub trait BinaryOp<A, B>: Copy {
    /// The result type.
    type Out: Backprop;
    /// Computes the result.
    fn forward(&self, a: &A, b: &B) -> Self::Out;
    /// Adds the gradient with respect to `a` into `ga`.
    fn backward_a(&self, a: &A, b: &B, y: &Self::Out, dy: &Self::Out, ga: &mut A);
    /// Adds the gradient with respect to `b` into `gb`.
    fn backward_b(&self, a: &A, b: &B, y: &Self::Out, dy: &Self::Out, gb: &mut B);
    /// Writes the gradient with respect to `a` into `ga`, replacing whatever it held (never
    /// reading it). The default zeroes `ga` and calls [`backward_a`](BinaryOp::backward_a);
    /// products override it to write their result directly (see [`UnaryOp::backward_write`]).
    ///
    /// ```
    /// use backprop::ops::BinaryOp;
    /// use backprop::ops::linalg::MatVec;
    /// use backprop::prelude::*;
    /// let (w, v) = (Matrix::<f64, U1, U2>::from([[1.0, 2.0]]), Vector::<f64, U2>::from([3.0, 4.0]));
    /// let mut gw = Matrix::filled(f64::NAN);
    /// MatVec.backward_a_write(&w, &v, &Vector::zeros(), &Vector::from([2.0]), &mut gw);
    /// assert_eq!(gw, Matrix::from([[6.0, 8.0]]));
    /// ```
    #[inline(always)]
    fn backward_a_write(&self, a: &A, b: &B, y: &Self::Out, dy: &Self::Out, ga: &mut A)
    where
        A: Backprop,
    {
        ga.set_zero();
        self.backward_a(a, b, y, dy, ga);
    }
    /// Writes the gradient with respect to `b` into `gb`, replacing whatever it held (never
    /// reading it). The default zeroes `gb` and calls [`backward_b`](BinaryOp::backward_b).
    ///
    /// ```
    /// use backprop::ops::BinaryOp;
    /// use backprop::ops::linalg::MatVec;
    /// use backprop::prelude::*;
    /// let (w, v) = (Matrix::<f64, U1, U2>::from([[1.0, 2.0]]), Vector::<f64, U2>::from([3.0, 4.0]));
    /// let mut gv = Vector::filled(f64::NAN);
    /// MatVec.backward_b_write(&w, &v, &Vector::zeros(), &Vector::from([2.0]), &mut gv);
    /// assert_eq!(gv, Vector::from([2.0, 4.0]));
    /// ```
    #[inline(always)]
    fn backward_b_write(&self, a: &A, b: &B, y: &Self::Out, dy: &Self::Out, gb: &mut B)
    where
        B: Backprop,
    {
        gb.set_zero();
        self.backward_b(a, b, y, dy, gb);
    }
}

/// The node running a [`UnaryOp`] on expression `A`.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 3.0]);
/// assert_eq!(value_and_grad(|v| v.mean(), &v), (2.0, Vector::filled(0.5)));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Unary<Op, A> {
    op: Op,
    a: A,
}

/// The node running a [`BinaryOp`] on expressions `A` and `B`.
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(grad(|(a, b)| a * b, &(2.0_f64, 3.0_f64)), (3.0, 2.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Binary<Op, A, B> {
    op: Op,
    a: A,
    b: B,
}

impl<A> Ex<A> {
    /// Applies a unary operation (how every method of this kind is built).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use backprop::ops::reduce::Sum;
    /// let v = Vector::<f64, U2>::from([1.0, 2.0]);
    /// assert_eq!(eval(|v| v.apply(Sum), &v), 3.0);
    /// ```
    pub fn apply<Op>(self, op: Op) -> Ex<Unary<Op, A>>
    where
        A: Expr,
        Op: UnaryOp<A::Out>,
    {
        Ex(Unary { op, a: self.0 })
    }
}

/// Applies a binary operation to two expressions (how every operator is built).
///
/// ```
/// use backprop::prelude::*;
/// use backprop::ops::{apply2, linalg::Dot};
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// assert_eq!(eval(|v| apply2(Dot, v, v), &v), 5.0);
/// ```
pub fn apply2<Op, A, B>(op: Op, a: Ex<A>, b: Ex<B>) -> Ex<Binary<Op, A, B>>
where
    A: Expr,
    B: Expr,
    Op: BinaryOp<A::Out, B::Out>,
{
    Ex(Binary { op, a: a.0, b: b.0 })
}

/// Builds a binary node without checking its operand types: for methods that check a shape rule
/// of their own, so that a broken rule is reported once, by that rule.
#[inline(always)]
pub(crate) fn binary<Op, A, B>(op: Op, a: Ex<A>, b: Ex<B>) -> Ex<Binary<Op, A, B>> {
    Ex(Binary { op, a: a.0, b: b.0 })
}

/// [`binary`] for one operand.
#[inline(always)]
pub(crate) fn unary<Op, A>(op: Op, a: Ex<A>) -> Ex<Unary<Op, A>> {
    Ex(Unary { op, a: a.0 })
}

impl<Op: UnaryOp<A::Out>, A: Expr> Expr for Unary<Op, A> {
    type Out = Op::Out;
    type Depth = A::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE;
}

impl<In, Op: UnaryOp<A::Out>, A: Diff<In>> Diff<In> for Unary<Op, A> {
    type Cache = (A::Cache, Op::Out);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        slot!(p, 1).write(self.op.forward(self.a.value(x, init(ca))));
        ga.disarm();
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.1
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        let xa = self.a.value(x, &c.0);
        send_or_write(
            &self.a,
            x,
            &c.0,
            dx,
            |g| self.op.backward(xa, &c.1, &dy, g),
            |g, _| self.op.backward_write(xa, &c.1, &dy, g),
        );
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        Cow::Owned(self.op.forward(&self.a.eval(x)))
    }
}

impl<Op: BinaryOp<A::Out, B::Out>, A: Expr, B: Expr> Expr for Binary<Op, A, B> {
    type Out = Op::Out;
    type Depth = MaxOf<A::Depth, B::Depth>;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD || B::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE && B::OVERWRITE;
}

impl<In, Op, A, B> Diff<In> for Binary<Op, A, B>
where
    Op: BinaryOp<A::Out, B::Out>,
    A: Diff<In>,
    B: Diff<In>,
{
    type Cache = (A::Cache, B::Cache, Op::Out);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let (ca, cb) = (slot!(p, 0), slot!(p, 1));
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        self.b.forward(x, cb);
        let gb = written!(p, 1);
        let y = self
            .op
            .forward(self.a.value(x, init(ca)), self.b.value(x, init(cb)));
        slot!(p, 2).write(y);
        ga.disarm();
        gb.disarm();
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.2
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        let (va, vb) = (self.a.value(x, &c.0), self.b.value(x, &c.1));
        send_or_write(
            &self.a,
            x,
            &c.0,
            dx,
            |g| self.op.backward_a(va, vb, &c.2, &dy, g),
            |g, _| self.op.backward_a_write(va, vb, &c.2, &dy, g),
        );
        send_or_write(
            &self.b,
            x,
            &c.1,
            dx,
            |g| self.op.backward_b(va, vb, &c.2, &dy, g),
            |g, _| self.op.backward_b_write(va, vb, &c.2, &dy, g),
        );
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        Cow::Owned(self.op.forward(&self.a.eval(x), &self.b.eval(x)))
    }
}

impl<In, Op: crate::tangent::UnaryTangent<A::Out>, A: crate::tangent::Tangent<In>>
    crate::tangent::Tangent<In> for Unary<Op, A>
{
    type TCache = (A::TCache, Option<Op::Out>);
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let ta = self.a.tangent(x, t, &c.0);
        let yt = self
            .a
            .tvalue(t, &ta)
            .map(|xt| self.op.tangent(self.a.value(x, &c.0), &c.1, xt));
        (ta, yt)
    }
    #[inline(always)]
    fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out> {
        tc.1.as_ref()
    }
    #[inline(always)]
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
    ) {
        let (xa, y) = (self.a.value(x, &c.0), &c.1);
        let xt = self.a.tvalue(t, &tc.0);
        let has_t = dyt.is_some() || xt.is_some();
        crate::tangent::send_tangent(
            &self.a,
            x,
            t,
            &c.0,
            &tc.0,
            g,
            gt,
            |g, first| {
                crate::tangent::write_or_add(
                    g,
                    first,
                    |g| self.op.backward_write(xa, y, &dy, g),
                    |g| self.op.backward(xa, y, &dy, g),
                )
            },
            has_t,
            |g, first| {
                crate::tangent::tangent_terms(
                    g,
                    first,
                    dyt.as_ref(),
                    |g, d| self.op.backward_write(xa, y, d, g),
                    |g, d| self.op.backward(xa, y, d, g),
                    |g| {
                        if let (Some(xt), Some(yt)) = (xt, &tc.1) {
                            self.op.curvature(xa, y, xt, yt, &dy, g);
                        }
                    },
                )
            },
        );
    }
}

impl<In, Op, A, B> crate::tangent::Tangent<In> for Binary<Op, A, B>
where
    Op: crate::tangent::BinaryTangent<A::Out, B::Out>,
    A: crate::tangent::Tangent<In>,
    B: crate::tangent::Tangent<In>,
{
    type TCache = (A::TCache, B::TCache, Option<Op::Out>);
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let ta = self.a.tangent(x, t, &c.0);
        let tb = self.b.tangent(x, t, &c.1);
        let (at, bt) = (self.a.tvalue(t, &ta), self.b.tvalue(t, &tb));
        let yt = (at.is_some() || bt.is_some()).then(|| {
            let (va, vb) = (self.a.value(x, &c.0), self.b.value(x, &c.1));
            self.op.tangent(va, vb, &c.2, at, bt)
        });
        (ta, tb, yt)
    }
    #[inline(always)]
    fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out> {
        tc.2.as_ref()
    }
    #[inline(always)]
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
    ) {
        let (va, vb, y) = (self.a.value(x, &c.0), self.b.value(x, &c.1), &c.2);
        let (at, bt) = (self.a.tvalue(t, &tc.0), self.b.tvalue(t, &tc.1));
        let has_t = dyt.is_some() || tc.2.is_some();
        crate::tangent::send_tangent(
            &self.a,
            x,
            t,
            &c.0,
            &tc.0,
            g,
            gt,
            |g, first| {
                crate::tangent::write_or_add(
                    g,
                    first,
                    |g| self.op.backward_a_write(va, vb, y, &dy, g),
                    |g| self.op.backward_a(va, vb, y, &dy, g),
                )
            },
            has_t,
            |g, first| {
                crate::tangent::tangent_terms(
                    g,
                    first,
                    dyt.as_ref(),
                    |g, d| self.op.backward_a_write(va, vb, y, d, g),
                    |g, d| self.op.backward_a(va, vb, y, d, g),
                    |g| {
                        if let Some(yt) = &tc.2 {
                            self.op.curvature_a(va, vb, y, at, bt, yt, &dy, g);
                        }
                    },
                )
            },
        );
        crate::tangent::send_tangent(
            &self.b,
            x,
            t,
            &c.1,
            &tc.1,
            g,
            gt,
            |g, first| {
                crate::tangent::write_or_add(
                    g,
                    first,
                    |g| self.op.backward_b_write(va, vb, y, &dy, g),
                    |g| self.op.backward_b(va, vb, y, &dy, g),
                )
            },
            has_t,
            |g, first| {
                crate::tangent::tangent_terms(
                    g,
                    first,
                    dyt.as_ref(),
                    |g, d| self.op.backward_b_write(va, vb, y, d, g),
                    |g, d| self.op.backward_b(va, vb, y, d, g),
                    |g| {
                        if let Some(yt) = &tc.2 {
                            self.op.curvature_b(va, vb, y, at, bt, yt, &dy, g);
                        }
                    },
                )
            },
        );
    }
}
