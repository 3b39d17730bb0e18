//! Scope depths for `.then`: they keep a placeholder from an enclosing closure from silently
//! reading the wrong value inside a nested one.
//!
//! Top-level placeholders have depth [`Z`]; the closure given to `.then` gets placeholders of
//! depth `S<d>` where `d` is the deepest depth in the bound expression, and its input is wrapped
//! in [`Scoped`] with that depth. A placeholder only locates itself in an input of its own depth,
//! so mixing scopes is a compile error. (Marking scopes by the bound expression's own type was
//! measured far slower to compile; depth markers are cheap.)

use core::marker::PhantomData;

use crate::Backprop;

/// Depth zero: the top-level closure's scope.
///
/// ```
/// use backprop::expr::internal::{Depth, Z};
/// assert_eq!(Z::N, 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Z;

/// One scope deeper than `D`.
///
/// ```
/// use backprop::expr::internal::{Depth, S, Z};
/// assert_eq!(<S<Z> as Depth>::N, 1);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct S<D>(PhantomData<D>);

/// A scope depth: [`Z`] or [`S`].
///
/// ```
/// use backprop::expr::internal::{Depth, MaxOf, S, Z};
/// assert_eq!(<S<S<Z>> as Depth>::N, 2);
/// assert_eq!(<MaxOf<S<Z>, S<S<Z>>> as Depth>::N, 2);
/// ```
pub trait Depth: Copy + 'static {
    /// Seals the trait (scopes are this crate's).
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// The depth as a number.
    const N: usize;
    /// `max(Self, R)`.
    type Max<R: Depth>: Depth;
    /// `max(S<D>, Self)` (a helper for [`Depth::Max`]).
    type MaxWithS<D: Depth>: Depth;
}
impl Depth for Z {
    super::seal!();
    const N: usize = 0;
    type Max<R: Depth> = R;
    type MaxWithS<D: Depth> = S<D>;
}
impl<D: Depth> Depth for S<D> {
    super::seal!();
    const N: usize = D::N + 1;
    type Max<R: Depth> = R::MaxWithS<D>;
    type MaxWithS<E: Depth> = S<D::Max<E>>;
}

/// The larger of two depths.
///
/// ```
/// use backprop::expr::internal::{Depth, MaxOf, S, Z};
/// assert_eq!(<MaxOf<S<S<Z>>, S<Z>> as Depth>::N, 2);
/// ```
pub type MaxOf<A, B> = <A as Depth>::Max<B>;

/// The input of a `.then` closure: the bound value, tagged with its scope depth.
///
/// ```
/// use backprop::expr::internal::{Scoped, S, Z};
/// let s: Scoped<S<Z>, f64> = Scoped::new(2.0);
/// assert_eq!(s.0, 2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scoped<D, T>(pub T, PhantomData<D>);

impl<D, T> Scoped<D, T> {
    /// Wraps a value.
    ///
    /// ```
    /// use backprop::expr::internal::{Scoped, S, Z};
    /// assert_eq!(Scoped::<S<Z>, f64>::new(1.5).0, 1.5);
    /// ```
    pub fn new(value: T) -> Self {
        Scoped(value, PhantomData)
    }
}

impl<D: Copy, T: Backprop> Backprop for Scoped<D, T> {
    fn zero_like(&self) -> Self {
        Scoped::new(self.0.zero_like())
    }
    fn accumulate(&mut self, other: &Self) {
        self.0.accumulate(&other.0)
    }
    fn one_like(&self) -> Self {
        Scoped::new(self.0.one_like())
    }
}
