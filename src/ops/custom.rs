//! A user operation with a hand-written gradient, like Haskell's `op1`: a closure that returns
//! its value and its own backward closure.
//!
//! Forward: `(y, back) = f(x)`. Backward: `dx += back(dy, x)`. The backward closure is kept in
//! the node's cache; its type is the closure's own type, so there is no boxing and, after
//! monomorphization, no indirection. It receives the operands again, by reference, so it need
//! not copy them (a weight matrix, say) to use them.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{field, init, init_ptr, send_owned, slot, written, Diff, Ex, Expr};
use crate::Backprop;

/// The node of a user operation (built by [`op`]).
///
/// ```
/// use backprop::prelude::*;
/// let double = |x: &f64| (2.0 * x, |dy: &f64, _: &f64| 2.0 * dy);
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
/// gradient of the result (and the operand, again) to the gradient of the operand.
///
/// ```
/// use backprop::prelude::*;
/// // x^3 with its derivative written by hand.
/// let cube = |x: &f64| (x * x * x, |dy: &f64, x: &f64| dy * 3.0 * x * x);
/// assert_eq!(value_and_grad(|x| op(x, cube) + x, &2.0_f64), (10.0, 13.0));
/// ```
pub fn op<A, F, Y, B>(x: Ex<A>, f: F) -> Ex<Op<F, A>>
where
    A: Expr,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y, &A::Out) -> A::Out,
{
    Ex(Op { f, a: x.0 })
}

impl<A, F, Y, B> Expr for Op<F, A>
where
    A: Expr,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y, &A::Out) -> A::Out,
{
    type Out = Y;
    type Depth = A::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE;
}

impl<In, A, F, Y, B> Diff<In> for Op<F, A>
where
    A: Diff<In>,
    F: Fn(&A::Out) -> (Y, B),
    Y: Backprop,
    B: Fn(&Y, &A::Out) -> A::Out,
{
    type Cache = (A::Cache, Y, B);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        let (y, back) = (self.f)(self.a.value(x, init(ca)));
        slot!(p, 1).write(y);
        slot!(p, 2).write(back);
        ga.disarm();
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
        let g = (c.2)(&dy, self.a.value(x, &c.0));
        send_owned(&self.a, x, &c.0, dx, g)
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Y> {
        Cow::Owned((self.f)(&self.a.eval(x)).0)
    }
}

macro_rules! custom_op {
    ($(#[$doc:meta])* $fn_name:ident, $node:ident, $($a:ident $x:ident $g:ident $i:tt),+) => {
        /// The node of a user operation of several operands (built by the function of the same
        /// name in lowercase).
        #[derive(Clone, Copy, Debug)]
        pub struct $node<F, $($a),+> {
            f: F,
            $($x: $a,)+
        }

        $(#[$doc])*
        pub fn $fn_name<$($a: Expr,)+ F, Y, Back>($($x: Ex<$a>,)+ f: F) -> Ex<$node<F, $($a),+>>
        where
            F: Fn($(&$a::Out),+) -> (Y, Back),
            Y: Backprop,
            Back: Fn(&Y, $(&$a::Out),+) -> ($($a::Out,)+),
        {
            Ex($node { f, $($x: $x.0,)+ })
        }

        impl<$($a: Expr,)+ F, Y, Back> Expr for $node<F, $($a),+>
        where
            ($($a::Out,)+): Backprop,
            F: Fn($(&$a::Out),+) -> (Y, Back),
            Y: Backprop,
            Back: Fn(&Y, $(&$a::Out),+) -> ($($a::Out,)+),
        {
            type Out = Y;
            type Depth = <($($a,)+) as Expr>::Depth;
            crate::expr::seal!();
            const NEEDS_GRAD: bool = false $(|| $a::NEEDS_GRAD)+;
            const OVERWRITE: bool = true $(&& $a::OVERWRITE)+;
        }

        impl<In, $($a: Diff<In>,)+ F, Y, Back> Diff<In> for $node<F, $($a),+>
        where
            ($($a::Out,)+): Backprop,
            F: Fn($(&$a::Out),+) -> (Y, Back),
            Y: Backprop,
            Back: Fn(&Y, $(&$a::Out),+) -> ($($a::Out,)+),
        {
            type Cache = (($($a::Cache,)+), Y, Back);
            crate::expr::seal!();
            #[inline(always)]
            fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
                let p = cache.as_mut_ptr();
                let q: *mut ($($a::Cache,)+) = field!(p, 0);
                // Dropped if a later operand or `f` panics.
                let guards = crate::expr::forward_children!(x, q, $(self.$x => $i),+);
                // SAFETY: every operand cache was written just above.
                let cs: &($($a::Cache,)+) = unsafe { init_ptr(q) };
                let (y, back) = (self.f)($(self.$x.value(x, &cs.$i)),+);
                slot!(p, 1).write(y);
                slot!(p, 2).write(back);
                $(guards.$i.disarm();)+
            }
            #[inline(always)]
            fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Y {
                &c.1
            }
            #[inline(always)]
            fn backward(&self, x: &In, c: &Self::Cache, dy: Y, dx: &mut In) {
                if !Self::NEEDS_GRAD {
                    return;
                }
                let grads = (c.2)(&dy, $(self.$x.value(x, &(c.0).$i)),+);
                $(
                    if $a::NEEDS_GRAD {
                        let $g = grads.$i;
                        send_owned(&self.$x, x, &(c.0).$i, dx, $g)
                    }
                )+
            }
            #[inline(always)]
            fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Y> {
                Cow::Owned((self.f)($(&self.$x.eval(x)),+).0)
            }
        }
    };
}

custom_op!(
    /// Lifts a function of two operands with a hand-written gradient (Haskell's `op2`): `f`
    /// returns the result and a closure mapping the result's gradient (and the operands, again)
    /// to both operands' gradients.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // x * y with its gradient written by hand
    /// let mul = |x: &f64, y: &f64| (x * y, |d: &f64, x: &f64, y: &f64| (d * y, d * x));
    /// assert_eq!(value_and_grad(|(a, b)| op2(a, b, mul), &(3.0_f64, 4.0_f64)), (12.0, (4.0, 3.0)));
    /// ```
    op2, Op2, A a ga 0, B b gb 1
);

custom_op!(
    /// Lifts a function of three operands with a hand-written gradient (Haskell's `op3`); for
    /// example a whole layer `(W, b, h)` inside an otherwise automatic network.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let fma = |a: &f64, b: &f64, c: &f64| {
    ///     (a * b + c, |d: &f64, a: &f64, b: &f64, _: &f64| (d * b, d * a, *d))
    /// };
    /// let (y, g) = value_and_grad(|(a, b, c)| op3(a, b, c, fma), &(2.0_f64, 5.0_f64, 1.0_f64));
    /// assert_eq!((y, g), (11.0, (5.0, 2.0, 1.0)));
    /// ```
    op3, Op3, A a ga 0, B b gb 1, C c gc 2
);

/// The node of an isomorphism (built by [`Ex::iso`]).
///
/// ```
/// use backprop::prelude::*;
/// // Celsius to Fahrenheit and back: the gradient is mapped back by the inverse's derivative.
/// let f = eval(|c| c.iso(|c: &f64| c * 1.8 + 32.0, |d: &f64| d * 1.8), &100.0_f64);
/// assert_eq!(f, 212.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Iso<To, From, A> {
    to: To,
    from: From,
    a: A,
}

impl<A: Expr> Ex<A> {
    /// Views the value through a function `to`, with `from` mapping a gradient of the result
    /// back to a gradient of the operand (Haskell's `isoVar`). For a linear change of
    /// representation (wrapping, reordering, units) `from` is the transpose of `to`; for a plain
    /// wrapper it is the unwrapping.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // A vector seen as a pair (and a pair's gradient seen as a vector's).
    /// let to_pair = |v: &Vector<f64, U2>| (v[0], v[1]);
    /// let to_vector = |d: &(f64, f64)| Vector::from([d.0, d.1]);
    /// let v = Vector::<f64, U2>::from([3.0, 4.0]);
    /// let g = grad(|v| v.iso(to_pair, to_vector).then(|(a, b)| a * b), &v);
    /// assert_eq!(g, Vector::from([4.0, 3.0]));
    /// ```
    #[inline(always)]
    pub fn iso<To, From, Y>(self, to: To, from: From) -> Ex<Iso<To, From, A>>
    where
        To: Fn(&A::Out) -> Y,
        From: Fn(&Y) -> A::Out,
        Y: Backprop,
    {
        Ex(Iso {
            to,
            from,
            a: self.0,
        })
    }
}

impl<To, From, A, Y> Expr for Iso<To, From, A>
where
    A: Expr,
    To: Fn(&A::Out) -> Y,
    From: Fn(&Y) -> A::Out,
    Y: Backprop,
{
    type Out = Y;
    type Depth = A::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE;
}

impl<In, To, From, A, Y> Diff<In> for Iso<To, From, A>
where
    A: Diff<In>,
    To: Fn(&A::Out) -> Y,
    From: Fn(&Y) -> A::Out,
    Y: Backprop,
{
    type Cache = (A::Cache, Y);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        slot!(p, 1).write((self.to)(self.a.value(x, init(ca))));
        ga.disarm();
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
        let g = (self.from)(&dy);
        send_owned(&self.a, x, &c.0, dx, g)
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Y> {
        Cow::Owned((self.to)(&self.a.eval(x)))
    }
}
