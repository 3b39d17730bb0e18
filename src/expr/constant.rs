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
    const NEEDS_GRAD: bool = false;
}

impl<In, T: Backprop> Diff<In> for Const<'_, T> {
    type Cache = ();
    #[inline(always)]
    fn forward(&self, _: &In, cache: &mut MaybeUninit<()>) {
        cache.write(());
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, _: &'a ()) -> &'a T {
        self.0
    }
    #[inline(always)]
    fn backward(&self, _: &In, _: &(), _: T, _: &mut In) {}
    #[inline(always)]
    fn eval<'a>(&'a self, _: &'a In) -> Cow<'a, T> {
        Cow::Borrowed(self.0)
    }
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
    const NEEDS_GRAD: bool = false;
}

impl<In, T: Scalar> Diff<In> for Lit<T> {
    type Cache = ();
    #[inline(always)]
    fn forward(&self, _: &In, cache: &mut MaybeUninit<()>) {
        cache.write(());
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, _: &'a ()) -> &'a T {
        &self.0
    }
    #[inline(always)]
    fn backward(&self, _: &In, _: &(), _: T, _: &mut In) {}
    #[inline(always)]
    fn eval<'a>(&'a self, _: &'a In) -> Cow<'a, T> {
        Cow::Borrowed(&self.0)
    }
}
