//! Binding: compute an intermediate once and use it many times.
//!
//! `(x * y, y).then(|(u, y)| u * u + u * y)` computes `x * y` once; inside the closure `u` is a
//! fresh placeholder for it, and the gradients from all of its uses are summed before they flow
//! back into `x * y`. Forward: `z = bound(x)`, `out = body(z)`. Backward: `dz = body'(z)^T dy`
//! (accumulated over every use of `z`), then `dx += bound'(x)^T dz`.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use super::input::{Input, Root};
use super::scope::{
    reading, reading_and_writing, through_frame, AtLeast, Frame, MaxOf, ScopeOf, S,
};
use super::{field, forward_children, init, init_ptr, slot, written, Diff, Ex, Expr};
use crate::Backprop;

/// A bound expression and the body that reads it (built by [`Bind::then`]).
///
/// ```
/// use backprop::prelude::*;
/// // (x + 1)^2 + (x + 1), with x + 1 computed once
/// assert_eq!(grad(|x| (x + 1.0).then(|u| u * u + u), &2.0_f64), 7.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Then<A, R> {
    bound: A,
    body: R,
}

/// The input a `.then` body runs on: the bound value, in a frame over the enclosing input.
type Inner<A, In> = Frame<S<<A as Expr>::Depth>, In, <A as Expr>::Out>;

/// `.then`: binds an expression (or a tuple of up to 6) so that it is computed once.
///
/// ```
/// use backprop::prelude::*;
/// // u = x*y is computed once; its gradient is summed over its three uses.
/// let (v, (dx, dy)) = value_and_grad(
///     |(x, y)| (x * y, y).then(|(u, y)| u * u + u * y + u.exp()),
///     &(1.5_f64, -0.5_f64),
/// );
/// let u: f64 = 1.5 * -0.5;
/// assert!((v - (u * u + u * -0.5 + u.exp())).abs() < 1e-12);
/// let du = 2.0 * u + -0.5 + u.exp();
/// assert!((dx - du * -0.5).abs() < 1e-12 && (dy - (du * 1.5 + u)).abs() < 1e-12);
/// ```
pub trait Bind: Sized {
    /// The node computing the bound value(s).
    type Node: Expr;
    /// Unwraps into the node.
    fn into_node(self) -> Self::Node;
    /// Runs `body` on placeholders for the bound value(s).
    fn then<F, R>(self, body: F) -> Ex<Then<Self::Node, R>>
    where
        <Self::Node as Expr>::Out: Input,
        F: FnOnce(
            <<Self::Node as Expr>::Out as Input>::Ph<Root<S<<Self::Node as Expr>::Depth>>>,
        ) -> Ex<R>,
        R: Expr,
    {
        let ph = <<Self::Node as Expr>::Out as Input>::placeholder();
        Ex(Then {
            bound: self.into_node(),
            body: body(ph).0,
        })
    }
}

impl<A: Expr> Bind for Ex<A> {
    type Node = A;
    fn into_node(self) -> A {
        self.0
    }
}

impl<A: Expr, R: Expr> Expr for Then<A, R> {
    type Out = R::Out;
    type Depth = A::Depth;
    crate::expr::seal!();
    // The body may read placeholders of enclosing closures: it needs a backward pass whenever
    // it has a leaf that wants a gradient, whatever the bound expression is.
    const NEEDS_GRAD: bool = R::NEEDS_GRAD;
}

impl<In, A, R> Diff<In> for Then<A, R>
where
    In: ScopeOf,
    A: Diff<In>,
    A::Depth: AtLeast<In::Depth>,
    R: Diff<Inner<A, In>>,
{
    /// The bound expression's cache and value, and the body's cache.
    type Cache = (A::Cache, A::Out, R::Cache);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.bound.forward(x, ca);
        let ga = written!(p, 0);
        let z = slot!(p, 1).write(self.bound.value(x, init(ca)).clone());
        let gz = written!(p, 1);
        reading(x, z, |frame| self.body.forward(frame, slot!(p, 2)));
        ga.disarm();
        gz.disarm();
    }
    #[inline(always)]
    fn value<'a>(&'a self, x: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        reading(x, &c.1, |frame| {
            // SAFETY: the body's value lives in its cache or in what the frame points to
            // (`x`, `c.1`), all borrowed for `'a`.
            unsafe { through_frame(self.body.value(frame, &c.2)) }
        })
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        if !Self::NEEDS_GRAD {
            return;
        }
        let mut dz = c.1.zero_like();
        reading_and_writing(x, &c.1, dx, &mut dz, |frame, grad| {
            self.body.backward(frame, &c.2, dy, grad)
        });
        if A::NEEDS_GRAD {
            self.bound.backward(x, &c.0, dz, dx);
        }
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        let z = self.bound.eval(x).into_owned();
        Cow::Owned(reading(x, &z, |frame| self.body.eval(frame).into_owned()))
    }
}

/// Second order: the bound value's tangent `ż` is bound too (zero when it has none), and the
/// body runs its tangent passes over it; `dż`'s tangent flows back into the bound expression.
impl<In, A, R> crate::tangent::Tangent<In> for Then<A, R>
where
    In: ScopeOf,
    A: crate::tangent::Tangent<In>,
    A::Depth: AtLeast<In::Depth>,
    R: crate::tangent::Tangent<Inner<A, In>>,
{
    /// The bound expression's, `ż`, the body's, and the result's tangent.
    type TCache = (A::TCache, A::Out, R::TCache, Option<R::Out>);
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let ta = self.bound.tangent(x, t, &c.0);
        let zt = match self.bound.tvalue(t, &ta) {
            Some(zt) => zt.clone(),
            None => c.1.zero_like(),
        };
        let (tr, yt) = reading(x, &c.1, |fx| {
            reading(t, &zt, |ft| {
                let tr = self.body.tangent(fx, ft, &c.2);
                let yt = self.body.tvalue(ft, &tr).cloned();
                (tr, yt)
            })
        });
        (ta, zt, tr, yt)
    }
    #[inline(always)]
    fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out> {
        tc.3.as_ref()
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
        if !Self::NEEDS_GRAD {
            return;
        }
        let (mut dz, mut dzt) = (c.1.zero_like(), c.1.zero_like());
        reading_and_writing(x, &c.1, g, &mut dz, |fx, gx| {
            reading_and_writing(t, &tc.1, gt, &mut dzt, |ft, gtf| {
                self.body
                    .backward_tangent(fx, ft, &c.2, &tc.2, dy, dyt, gx, gtf)
            })
        });
        if A::NEEDS_GRAD {
            self.bound
                .backward_tangent(x, t, &c.0, &tc.0, dz, Some(dzt), g, gt);
        }
    }
}

macro_rules! max_depth {
    ($a:ty) => { $a };
    ($a:ty, $($rest:ty),+) => { MaxOf<$a, max_depth!($($rest),+)> };
}

macro_rules! impl_tuple_node {
    ($($name:ident $idx:tt),+) => {
        /// A tuple of nodes is a node whose output is the tuple of their outputs.
        impl<$($name: Expr),+> Expr for ($($name,)+)
        where
            ($($name::Out,)+): Backprop,
        {
            type Out = ($($name::Out,)+);
            type Depth = max_depth!($($name::Depth),+);
            crate::expr::seal!();
            const NEEDS_GRAD: bool = false $(|| $name::NEEDS_GRAD)+;
        }

        impl<In, $($name: Diff<In>),+> Diff<In> for ($($name,)+)
        where
            ($($name::Out,)+): Backprop,
            Self: Expr<Out = ($($name::Out,)+)>,
        {
            type Cache = (($($name::Cache,)+), ($($name::Out,)+));
            crate::expr::seal!();
            #[inline(always)]
            fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
                let p = cache.as_mut_ptr();
                let q: *mut ($($name::Cache,)+) = field!(p, 0);
                // Dropped if a later child or a clone panics.
                let guards = forward_children!(x, q, $(self.$idx => $idx),+);
                // SAFETY: every child cache was written just above.
                let caches = unsafe { init_ptr(q) };
                slot!(p, 1).write(($(self.$idx.value(x, &caches.$idx).clone(),)+));
                $(guards.$idx.disarm();)+
            }
            #[inline(always)]
            fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
                &c.1
            }
            #[inline(always)]
            fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
                $(if $name::NEEDS_GRAD {
                    self.$idx.backward(x, &(c.0).$idx, dy.$idx, dx);
                })+
            }
            #[inline(always)]
            fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
                Cow::Owned(($(self.$idx.eval(x).into_owned(),)+))
            }
        }

        /// Second order: a tuple's tangent is its parts' (zero for a part without one).
        impl<In, $($name: crate::tangent::Tangent<In>),+> crate::tangent::Tangent<In> for ($($name,)+)
        where
            ($($name::Out,)+): Backprop,
            Self: Expr<Out = ($($name::Out,)+)>,
        {
            type TCache = (($($name::TCache,)+), Option<($($name::Out,)+)>);
            crate::expr::seal!();
            #[inline(always)]
            fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
                let tcs = ($(self.$idx.tangent(x, t, &(c.0).$idx),)+);
                let any = false $(|| self.$idx.tvalue(t, &tcs.$idx).is_some())+;
                let yt = any.then(|| ($(match self.$idx.tvalue(t, &tcs.$idx) {
                    Some(v) => v.clone(),
                    None => (c.1).$idx.zero_like(),
                },)+));
                (tcs, yt)
            }
            #[inline(always)]
            fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out> {
                tc.1.as_ref()
            }
            #[inline(always)]
            #[allow(non_snake_case)]
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
                let ($($name,)+) = match dyt {
                    Some(($($name,)+)) => ($(Some($name),)+),
                    None => ($(None::<$name::Out>,)+),
                };
                $(if $name::NEEDS_GRAD {
                    self.$idx.backward_tangent(x, t, &(c.0).$idx, &(tc.0).$idx, dy.$idx, $name, g, gt);
                })+
            }
        }

        impl<$($name: Expr),+> Bind for ($(Ex<$name>,)+)
        where
            ($($name,)+): Expr,
        {
            type Node = ($($name,)+);
            fn into_node(self) -> Self::Node {
                ($(self.$idx.0,)+)
            }
        }
    };
}
impl_tuple_node!(A 0);
impl_tuple_node!(A 0, B 1);
impl_tuple_node!(A 0, B 1, C 2);
impl_tuple_node!(A 0, B 1, C 2, D 3);
impl_tuple_node!(A 0, B 1, C 2, D 3, E 4);
impl_tuple_node!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A tuple of expressions (up to 6) as one expression whose value is the tuple of their values.
///
/// ```
/// use backprop::prelude::*;
/// let y = eval(|(a, b)| tuple((a * 2.0, b)), &(1.0_f64, 5.0_f64));
/// assert_eq!(y, (2.0, 5.0));
/// ```
pub fn tuple<T: Bind>(t: T) -> Ex<T::Node> {
    Ex(t.into_node())
}
