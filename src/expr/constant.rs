//! Constants: data that takes part in a computation but gets no gradient.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use super::scope::Z;
use super::{Diff, Ex, Expr};
use crate::{Backprop, Scalar};

/// A borrowed constant (training data, targets): read in place, never copied, no gradient.
///
/// ```
/// use backprop::prelude::*;
/// let data = Vector::<f64, U2>::from([3.0, 4.0]);
/// assert_eq!(grad(|w| w.dot(constant(&data)), &Vector::<f64, U2>::zeros()), data);
/// ```
#[derive(Debug)]
pub struct Const<'c, T>(pub &'c T);

impl<T> Clone for Const<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Const<'_, T> {}

/// Wraps borrowed data as a constant expression.
///
/// ```
/// use backprop::prelude::*;
/// let c = 2.0_f64;
/// assert_eq!(grad(|x| x * constant(&c), &1.0_f64), 2.0);
/// ```
pub fn constant<T: Backprop>(value: &T) -> Ex<Const<'_, T>> {
    Ex(Const(value))
}

impl<T: Backprop> Expr for Const<'_, T> {
    type Out = T;
    type Depth = Z;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = false;
    const OVERWRITE: bool = true;
}

/// The `Diff` impl of a node that reads no input and passes no gradient on; `$get` borrows its
/// value from `self`.
macro_rules! impl_constant_diff {
    (impl<$($lt:lifetime,)? $t:ident: $bound:ident> $node:ty, |$s:ident| $get:expr) => {
        impl<$($lt,)? In, $t: $bound> Diff<In> for $node {
            type Cache = ();
            crate::expr::seal!();
            #[inline(always)]
            fn forward(&self, _: &In, cache: &mut MaybeUninit<()>) {
                cache.write(());
            }
            #[inline(always)]
            fn value<'a>(&'a self, _: &'a In, _: &'a ()) -> &'a $t {
                let $s = self;
                $get
            }
            #[inline(always)]
            fn backward(&self, _: &In, _: &(), _: $t, _: &mut In) {}
            #[inline(always)]
            fn eval<'a>(&'a self, _: &'a In) -> Cow<'a, $t> {
                let $s = self;
                Cow::Borrowed($get)
            }
        }
    };
}
impl_constant_diff!(impl<'c, T: Backprop> Const<'c, T>, |s| s.0);

/// Constants have a zero tangent and get no gradient.
macro_rules! impl_constant_tangent {
    ($(impl<$($lt:lifetime,)? $t:ident: $bound:path> $node:ty;)+) => {$(
        impl<$($lt,)? In, $t: $bound> crate::tangent::Tangent<In> for $node
        where
            $node: Diff<In, Out = $t>,
        {
            type TCache = ();
            crate::expr::seal!();
            #[inline(always)]
            fn tangent(&self, _: &In, _: &In, _: &Self::Cache) {}
            #[inline(always)]
            fn tvalue<'a>(&'a self, _: &'a In, _: &'a ()) -> Option<&'a $t> {
                None
            }
            #[inline(always)]
            fn backward_tangent(
                &self,
                _: &In,
                _: &In,
                _: &Self::Cache,
                _: &(),
                _: $t,
                _: Option<$t>,
                _: &mut In,
                _: &mut In,
            ) {
            }
        }
    )+};
}
impl_constant_tangent! {
    impl<'c, T: Backprop> Const<'c, T>;
    impl<T: Scalar> Lit<T>;
    impl<T: Backprop> Zeros<T>;
}

/// A scalar literal held by value: what `x * 2.0` and `2.0 * x` build.
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(grad(|x| 3.0 * x - 1.0, &5.0_f64), 3.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Lit<T>(pub T);

impl<T: Scalar> Expr for Lit<T> {
    type Out = T;
    type Depth = Z;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = false;
    const OVERWRITE: bool = true;
}

impl_constant_diff!(impl<T: Scalar> Lit<T>, |s| &s.0);

/// A zero of a statically shaped type (a scalar, a [`Vector`](crate::Vector), a
/// [`Matrix`](crate::Matrix), tuples of them), made afresh by each forward pass: the zero
/// initial state of a recurrent model ([`nn::zero_state`](crate::nn::zero_state)). No gradient.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::expr::Zeros;
/// let y = eval(|x| x + Ex(Zeros::<Vector<f64, U2>>::new()), &Vector::from([1.0, 2.0]));
/// assert_eq!(y, Vector::from([1.0, 2.0]));
/// ```
#[derive(Debug)]
pub struct Zeros<T>(core::marker::PhantomData<fn() -> T>);

impl<T> Zeros<T> {
    /// The node (it holds no data).
    ///
    /// ```
    /// use backprop::expr::Zeros;
    /// assert_eq!(std::mem::size_of::<Zeros<f64>>(), 0);
    /// ```
    pub const fn new() -> Self {
        Zeros(core::marker::PhantomData)
    }
}

impl<T> Default for Zeros<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Zeros<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Zeros<T> {}

impl<T: Backprop + Default> Expr for Zeros<T> {
    type Out = T;
    type Depth = Z;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = false;
    const OVERWRITE: bool = true;
}

impl<In, T: Backprop + Default> Diff<In> for Zeros<T> {
    /// The zero value.
    type Cache = T;
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, _: &In, cache: &mut MaybeUninit<T>) {
        cache.write(T::default());
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a T) -> &'a T {
        c
    }
    #[inline(always)]
    fn backward(&self, _: &In, _: &T, _: T, _: &mut In) {}
    #[inline(always)]
    fn eval<'a>(&'a self, _: &'a In) -> Cow<'a, T> {
        Cow::Owned(T::default())
    }
}
