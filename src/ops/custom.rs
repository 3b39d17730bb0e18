//! A user operation with a hand-written gradient, like Haskell's `op1`: a closure that returns
//! its value and its own backward closure.
//!
//! Forward: `(y, back) = f(x)`. Backward: `dx += back(dy)`. The backward closure is kept in the
//! node's cache; its type is the closure's own type, so there is no boxing and, after
//! monomorphization, no indirection.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{init, slot, Diff, Ex, Expr};
use crate::Backprop;

/// The node of a user operation (built by [`op`]).
///
/// ```
/// use backprop::prelude::*;
/// let double = |x: &f64| (2.0 * x, |dy: &f64| 2.0 * dy);
/// assert_eq!(value_and_grad(|x| op(x, double), &3.0_f64), (6.0, 2.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Op<F, A> {
    f: F,
    a: A,
}

/// Lifts a function with a hand-written gradient into an expression.
///
/// `f` receives the operand's value and returns the result and a closure that maps the
/// gradient of the result to the gradient of the operand.
///
/// ```
/// use backprop::prelude::*;
/// // x^3 with its derivative written by hand.
/// let cube = |x: &f64| {
///     let x = *x;
///     (x * x * x, move |dy: &f64| dy * 3.0 * x * x)
/// };
/// assert_eq!(value_and_grad(|x| op(x, cube) + x, &2.0_f64), (10.0, 13.0));
/// ```
pub fn op<A, F, Y, B>(x: Ex<A>, f: F) -> Ex<Op<F, A>>
where
    A: Expr,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y) -> A::Out,
{
    Ex(Op { f, a: x.0 })
}

impl<A, F, Y, B> Expr for Op<F, A>
where
    A: Expr,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y) -> A::Out,
{
    type Out = Y;
    type Depth = A::Depth;
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
}

impl<In, A, F, Y, B> Diff<In> for Op<F, A>
where
    A: Diff<In>,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y) -> A::Out,
{
    type Cache = (A::Cache, Y, B);
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let ca = slot!(cache, 0);
        self.a.forward(x, ca);
        let (y, back) = (self.f)(self.a.value(x, init(ca)));
        slot!(cache, 1).write(y);
        slot!(cache, 2).write(back);
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Y {
        &c.1
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, dy: Y, dx: &mut In) {
        if !A::NEEDS_GRAD {
            return;
        }
        let g = (c.2)(&dy);
        match self.a.grad_slot(dx) {
            Some(slot) => slot.accumulate(&g),
            None => self.a.backward(x, &c.0, g, dx),
        }
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Y> {
        Cow::Owned((self.f)(&self.a.eval(x)).0)
    }
}
