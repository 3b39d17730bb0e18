//! Elementwise functions of one argument, on scalars, vectors and matrices alike.
//!
//! | method | forward `y = f(x)` | backward `dx = dy * f'(x)` |
//! |---|---|---|
//! | `exp` | `e^x` | `dy * y` |
//! | `ln` | `ln x` | `dy / x` |
//! | `sin` | `sin x` | `dy * cos x` |
//! | `cos` | `cos x` | `-dy * sin x` |
//! | `tan` | `tan x` | `dy * (1 + y^2)` |
//! | `tanh` | `tanh x` | `dy * (1 - y^2)` |
//! | `sqrt` | `sqrt x` | `dy / (2 y)` |
//! | `abs` | `abs x` | `dy * sign x` (0 at 0) |
//! | `recip` | `1 / x` | `-dy * y^2` |
//! | `logistic` | `1 / (1 + e^-x)` | `dy * y (1 - y)` |
//! | `relu` | `max(x, 0)` | `dy` if `x > 0`, else 0 |
//! | `softplus` | `ln(1 + e^x)` (stable) | `dy * logistic(x)` |
//! | `-x` | `-x` | `-dy` |
//! | `powi(n)` | `x^n` | `dy * n x^(n-1)` (0 for `n = 0`; any `i32`, `i32::MIN` included) |
//! | `map(f, df)` | `f(x)` | `dy * df(x, y)` |
//!
//! The node keeps its output; backward scales the incoming gradient in place (or adds straight
//! into a placeholder's gradient), so a map costs no allocation in backward.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{init, slot, written, Diff, Ex, Expr};
use crate::{Scalar, Tensor};

/// A scalar function with its derivative, applied elementwise by [`Map`].
///
/// ```
/// use backprop::ops::map::{ElemFn, Tanh};
/// let y = Tanh.f(0.5_f64);
/// assert_eq!(Tanh.df(0.5, y), 1.0 - y * y);
/// ```
pub trait ElemFn<T>: Copy {
    /// `f(x)`.
    fn f(&self, x: T) -> T;
    /// `f'(x)`, given `x` and `y = f(x)` (whichever is cheaper to use).
    fn df(&self, x: T, y: T) -> T;
}

/// The node applying an [`ElemFn`] to every element of `A`'s output.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([0.0, 1.0]);
/// assert_eq!(eval(|v| v.exp(), &v), Vector::from([1.0, 1.0_f64.exp()]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Map<F, A> {
    f: F,
    a: A,
}

// The table of elementwise functions: each entry declares the function (its `ElemFn`), the
// static engine's method and the tape's (see `ops::table`).
macro_rules! elem_fns {
    ($($(#[$doc:meta])* $name:ident $method:ident |$x:ident, $y:ident| $f:expr, $df:expr;)+) => {
        /// The elementwise functions this table declares, by method name.
        pub(crate) const ELEM_FN_NAMES: &[&str] = &[$(stringify!($method)),+];
        $(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl<T: Scalar> ElemFn<T> for $name {
            #[inline(always)]
            fn f(&self, $x: T) -> T {
                $f
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn df(&self, $x: T, $y: T) -> T {
                $df
            }
        }

        impl<A: Expr> Ex<A>
        where
            A::Out: Tensor,
        {
            $(#[$doc])*
            #[inline(always)]
            pub fn $method(self) -> Ex<Map<$name, A>> {
                Ex(Map { f: $name, a: self.0 })
            }
        }

        impl<'t, X: Tensor + 'static> crate::tape::Var<'t, X> {
            $(#[$doc])*
            ///
            /// On the tape: the same function, recorded as one step.
            #[inline]
            pub fn $method(self) -> crate::tape::Var<'t, X> {
                self.apply(Elementwise($name))
            }
        }
    )+};
}

/// An elementwise function as a [`UnaryOp`](super::UnaryOp): how the tape records `exp`,
/// `tanh` and the other functions of this table (the static engine uses the [`Map`] node).
///
/// ```
/// use backprop::ops::map::{Elementwise, Exp};
/// use backprop::ops::UnaryOp;
/// let mut g = 0.0_f64;
/// Elementwise(Exp).backward(&0.0, &1.0, &2.0, &mut g);
/// assert_eq!((Elementwise(Exp).forward(&0.0_f64), g), (1.0, 2.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Elementwise<F>(pub F);

impl<X: Tensor, F: ElemFn<X::Elem>> super::UnaryOp<X> for Elementwise<F> {
    type Out = X;
    #[inline]
    fn forward(&self, x: &X) -> X {
        let xs = x.as_slice();
        X::from_flat_fn(|i| self.0.f(xs[i]))
    }
    #[inline]
    fn backward(&self, x: &X, y: &X, dy: &X, gx: &mut X) {
        let (xs, ys, ds) = (x.as_slice(), y.as_slice(), dy.as_slice());
        for (i, g) in gx.as_mut_slice().iter_mut().enumerate() {
            *g += ds[i] * self.0.df(xs[i], ys[i]);
        }
    }
    #[inline]
    fn backward_write(&self, x: &X, y: &X, dy: &X, gx: &mut X) {
        let (xs, ys, ds) = (x.as_slice(), y.as_slice(), dy.as_slice());
        for (i, g) in gx.as_mut_slice().iter_mut().enumerate() {
            *g = ds[i] * self.0.df(xs[i], ys[i]);
        }
    }
}

/// The rest of this family's table: `powi(n)`, a user function `map(f, df)`, and negation
/// (declared with the operators).
pub(crate) const OTHER_NAMES: &[&str] = &["powi", "map"];

impl<'t, X: Tensor + 'static> crate::tape::Var<'t, X> {
    /// `x^n` elementwise, for an integer `n` (see [`Ex::powi`]).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let x = t.var(2.0_f64);
    /// assert_eq!(t.gradient(x.powi(3), x), 12.0);
    /// ```
    #[inline]
    pub fn powi(self, n: i32) -> crate::tape::Var<'t, X> {
        self.apply(Elementwise(Powi(n)))
    }

    /// A user function elementwise, `f(x)` with derivative `df(x, y)` (see [`Ex::map`]); the
    /// functions must be `'static` (plain functions or closures that capture no borrow).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U2>::from([1.0, -3.0]));
    /// let y = v.map(|v| v * v, |v, _| 2.0 * v).sum();
    /// assert_eq!(t.gradient(y, v), Vector::from([2.0, -6.0]));
    /// ```
    #[inline]
    pub fn map<F, D>(self, f: F, df: D) -> crate::tape::Var<'t, X>
    where
        F: Fn(X::Elem) -> X::Elem + Copy + 'static,
        D: Fn(X::Elem, X::Elem) -> X::Elem + Copy + 'static,
    {
        self.apply(Elementwise(UserFn(f, df)))
    }
}

fn c<T: Scalar>(v: f64) -> T {
    T::from_f64(v)
}

elem_fns! {
    /// `e^x`; derivative `e^x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(value_and_grad(|x| x.exp(), &0.0_f64), (1.0, 1.0));
    /// ```
    Exp exp |x, y| x.exp(), y;
    /// Natural logarithm; derivative `1/x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.ln(), &4.0_f64), 0.25);
    /// ```
    Ln ln |x, y| x.ln(), x.recip();
    /// Sine; derivative `cos x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.sin(), &0.0_f64), 1.0);
    /// ```
    Sin sin |x, y| x.sin(), x.cos();
    /// Cosine; derivative `-sin x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.cos(), &0.0_f64), 0.0);
    /// ```
    Cos cos |x, y| x.cos(), -x.sin();
    /// Tangent; derivative `1 + tan^2 x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.tan(), &0.0_f64), 1.0);
    /// ```
    Tan tan |x, y| x.tan(), T::one() + y * y;
    /// Hyperbolic tangent; derivative `1 - tanh^2 x`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.tanh(), &0.0_f64), 1.0);
    /// ```
    Tanh tanh |x, y| x.tanh(), T::one() - y * y;
    /// Square root; derivative `1 / (2 sqrt x)`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.sqrt(), &4.0_f64), 0.25);
    /// ```
    Sqrt sqrt |x, y| x.sqrt(), (c::<T>(2.0) * y).recip();
    /// Absolute value; derivative `sign x`, taken as 0 at 0.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.abs(), &-3.0_f64), -1.0);
    /// assert_eq!(grad(|x| x.abs(), &0.0_f64), 0.0);
    /// ```
    Abs abs |x, y| x.abs(), if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() };
    /// `1 / x`; derivative `-1/x^2`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.recip(), &2.0_f64), -0.25);
    /// ```
    Recip recip |x, y| x.recip(), -(y * y);
    /// The logistic sigmoid `1 / (1 + e^-x)`; derivative `y (1 - y)`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(value_and_grad(|x| x.logistic(), &0.0_f64), (0.5, 0.25));
    /// ```
    Logistic logistic |x, y| logistic(x), y * (T::one() - y);
    /// `max(x, 0)`; derivative 1 for `x > 0`, else 0.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|x| x.relu(), &-1.0_f64), 0.0);
    /// assert_eq!(grad(|x| x.relu(), &2.0_f64), 1.0);
    /// ```
    Relu relu |x, y| if x > T::zero() { x } else { T::zero() }, if x > T::zero() { T::one() } else { T::zero() };
    /// `ln(1 + e^x)`, computed without overflow; derivative `logistic(x)`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(value_and_grad(|x| x.softplus(), &1000.0_f64), (1000.0, 1.0));
    /// ```
    Softplus softplus |x, y| x.max(T::zero()) + (-x.abs()).exp().ln_1p(), logistic(x);
}

/// The logistic function `1 / (1 + e^-x)`, written to stay finite for any `x`.
///
/// ```
/// assert_eq!(backprop::ops::map::logistic(-1000.0_f64), 0.0);
/// assert_eq!(backprop::ops::map::logistic(0.0_f64), 0.5);
/// ```
#[inline(always)]
pub fn logistic<T: Scalar>(x: T) -> T {
    if x >= T::zero() {
        (T::one() + (-x).exp()).recip()
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// The identity `x`; derivative 1 (a linear layer in [`dense`](crate::Ex::dense)).
///
/// ```
/// use backprop::ops::map::{ElemFn, Identity};
/// assert_eq!((Identity.f(3.0_f64), Identity.df(3.0, 3.0)), (3.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<T: Scalar> ElemFn<T> for Identity {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        x
    }
    #[inline(always)]
    fn df(&self, _: T, _: T) -> T {
        T::one()
    }
}

/// Negation; derivative -1.
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(value_and_grad(|x| -x, &2.0_f64), (-2.0, -1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Neg;

impl<T: Scalar> ElemFn<T> for Neg {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        -x
    }
    #[inline(always)]
    fn df(&self, _: T, _: T) -> T {
        -T::one()
    }
}

/// `x^n` for an integer `n`; derivative `n x^(n-1)`.
///
/// ```
/// use backprop::ops::map::{ElemFn, Powi};
/// assert_eq!((Powi(3).f(2.0_f64), Powi(3).df(2.0, 8.0)), (8.0, 12.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Powi(pub i32);

impl<T: Scalar> ElemFn<T> for Powi {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        x.powi(self.0)
    }
    #[inline(always)]
    fn df(&self, x: T, _: T) -> T {
        match self.0 {
            0 => T::zero(),
            // `n - 1` would overflow: the exponent is exact as a float.
            i32::MIN => {
                T::from_f64(f64::from(i32::MIN)) * x.powf(T::from_f64(f64::from(i32::MIN) - 1.0))
            }
            n => T::from_f64(f64::from(n)) * x.powi(n - 1),
        }
    }
}

/// A user's elementwise function: `f(x)` and `df(x, f(x))`, two closures (zero-sized when
/// they capture nothing).
///
/// ```
/// use backprop::ops::map::{ElemFn, UserFn};
/// let sq = UserFn(|x: f64| x * x, |x: f64, _y: f64| 2.0 * x);
/// assert_eq!((sq.f(3.0), sq.df(3.0, 9.0)), (9.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct UserFn<F, D>(pub F, pub D);

impl<T, F: Fn(T) -> T + Copy, D: Fn(T, T) -> T + Copy> ElemFn<T> for UserFn<F, D> {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        (self.0)(x)
    }
    #[inline(always)]
    fn df(&self, x: T, y: T) -> T {
        (self.1)(x, y)
    }
}

impl<A: Expr> Ex<A>
where
    A::Out: Tensor,
{
    /// `x^n` elementwise, for an integer `n`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(value_and_grad(|x| x.powi(3), &2.0_f64), (8.0, 12.0));
    /// ```
    #[inline(always)]
    pub fn powi(self, n: i32) -> Ex<Map<Powi, A>> {
        Ex(Map {
            f: Powi(n),
            a: self.0,
        })
    }

    /// Applies a user function elementwise: `f(x)`, with derivative `df(x, y)` where
    /// `y = f(x)`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // x^2 via a map: derivative 2x.
    /// let g = grad(|x| x.map(|v| v * v, |v, _| 2.0 * v).sum(), &Vector::<f64, U2>::from([1.0, -3.0]));
    /// assert_eq!(g, Vector::from([2.0, -6.0]));
    /// ```
    #[inline(always)]
    pub fn map<F, D>(self, f: F, df: D) -> Ex<Map<UserFn<F, D>, A>>
    where
        F: Fn(<A::Out as Tensor>::Elem) -> <A::Out as Tensor>::Elem + Copy,
        D: Fn(<A::Out as Tensor>::Elem, <A::Out as Tensor>::Elem) -> <A::Out as Tensor>::Elem
            + Copy,
    {
        Ex(Map {
            f: UserFn(f, df),
            a: self.0,
        })
    }
}

impl<A: Expr> core::ops::Neg for Ex<A>
where
    A::Out: Tensor,
{
    type Output = Ex<Map<Neg, A>>;
    #[inline(always)]
    fn neg(self) -> Self::Output {
        Ex(Map { f: Neg, a: self.0 })
    }
}

impl<F: ElemFn<<A::Out as Tensor>::Elem>, A: Expr> Expr for Map<F, A>
where
    A::Out: Tensor,
{
    type Out = A::Out;
    type Depth = A::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE;
}

impl<In, F, A> Diff<In> for Map<F, A>
where
    F: ElemFn<<A::Out as Tensor>::Elem>,
    A: Diff<In>,
    A::Out: Tensor,
{
    type Cache = (A::Cache, A::Out);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        // Written in place (no copy of the result), then mapped by `f`, which may panic.
        let y = slot!(p, 1).write(self.a.value(x, init(ca)).clone());
        let gy = written!(p, 1);
        y.as_mut_slice().iter_mut().for_each(|v| *v = self.f.f(*v));
        ga.disarm();
        gy.disarm();
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.1
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, mut dy: Self::Out, dx: &mut In) {
        if !A::NEEDS_GRAD {
            return;
        }
        let xs = self.a.value(x, &c.0).as_slice();
        let ys = c.1.as_slice();
        if let Some(slot) = self.a.grad_slot(dx) {
            // The first write of a ledger-mode pass writes; every other adds.
            let first = crate::expr::ledger::first_write(slot);
            let it = slot.as_mut_slice().iter_mut().zip(dy.as_slice());
            if first {
                for ((g, &d), (&xi, &yi)) in it.zip(xs.iter().zip(ys)) {
                    *g = d * self.f.df(xi, yi);
                }
            } else {
                for ((g, &d), (&xi, &yi)) in it.zip(xs.iter().zip(ys)) {
                    *g += d * self.f.df(xi, yi);
                }
            }
        } else {
            for (d, (&xi, &yi)) in dy.as_mut_slice().iter_mut().zip(xs.iter().zip(ys)) {
                *d *= self.f.df(xi, yi);
            }
            self.a.backward(x, &c.0, dy, dx);
        }
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        let mut y = self.a.eval(x).into_owned();
        y.as_mut_slice().iter_mut().for_each(|v| *v = self.f.f(*v));
        Cow::Owned(y)
    }
}

/// Second order: `ẏ = f'(x) ẋ`; the backward pass's tangent is `dẏ f'(x) + dy f''(x) ẋ`,
/// with `f''(x) ẋ` the `ε` part of `f'` at the dual number `x + ẋ ε` (every function of the
/// table is generic over its scalar).
impl<In, F, A> crate::tangent::Tangent<In> for Map<F, A>
where
    F: ElemFn<<A::Out as Tensor>::Elem> + ElemFn<crate::dual::Dual<<A::Out as Tensor>::Elem>>,
    A: crate::tangent::Tangent<In>,
    A::Out: Tensor,
{
    type TCache = (A::TCache, Option<A::Out>);
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let ta = self.a.tangent(x, t, &c.0);
        let yt = self.a.tvalue(t, &ta).map(|xt| {
            let (xs, ys, ts) = (
                self.a.value(x, &c.0).as_slice(),
                c.1.as_slice(),
                xt.as_slice(),
            );
            A::Out::from_flat_fn(|i| ElemFn::<_>::df(&self.f, xs[i], ys[i]) * ts[i])
        });
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
        use crate::dual::Dual;
        type E<A> = <<A as Expr>::Out as Tensor>::Elem;
        let (xs, ys, ds) = (
            self.a.value(x, &c.0).as_slice(),
            c.1.as_slice(),
            dy.as_slice(),
        );
        let xt = self.a.tvalue(t, &tc.0);
        let df = |i: usize| ElemFn::<E<A>>::df(&self.f, xs[i], ys[i]);
        crate::tangent::send_tangent(
            &self.a,
            x,
            t,
            &c.0,
            &tc.0,
            g,
            gt,
            |g, first| {
                for (i, g) in g.as_mut_slice().iter_mut().enumerate() {
                    *g = if first {
                        ds[i] * df(i)
                    } else {
                        *g + ds[i] * df(i)
                    };
                }
            },
            dyt.is_some() || xt.is_some(),
            |g, first| {
                let g = g.as_mut_slice();
                match &dyt {
                    Some(d) => {
                        for (i, (g, &d)) in g.iter_mut().zip(d.as_slice()).enumerate() {
                            *g = if first { d * df(i) } else { *g + d * df(i) };
                        }
                    }
                    None if first => g.fill(num_traits::Zero::zero()),
                    None => {}
                }
                if let (Some(xt), Some(yt)) = (xt, &tc.1) {
                    let (ts, yts) = (xt.as_slice(), yt.as_slice());
                    for (i, g) in g.iter_mut().enumerate() {
                        let d2 = ElemFn::<Dual<E<A>>>::df(
                            &self.f,
                            Dual::new(xs[i], ts[i]),
                            Dual::new(ys[i], yts[i]),
                        );
                        *g += ds[i] * d2.eps;
                    }
                }
            },
        );
    }
}

crate::tangent::second_order! { by dual unary:
    impl[F] Elementwise<F>;
}
