//! Placeholders: zero-sized lens paths into the input, created for the user's closure.
//!
//! For an input `(f64, Vector<f64, U3>)` the closure receives
//! `(Ex<Placeholder<f64, Field<U0, Root<Z>>>>, Ex<Placeholder<Vector<f64, U3>, Field<U1, Root<Z>>>>)`, so
//! `|(s, v)| ...` is an ordinary pattern. Each placeholder knows its value type before the
//! input type is known, so shape errors point at the method call that breaks them.

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::dims::{U0, U1, U2, U3, U4, U5};
use crate::Dim;

use super::scope::{Depth, Frame, No, SameDepth, Yes, Z};
use super::{Diff, Ex, Expr};
use crate::{Backprop, Matrix, Scalar, Vector};

/// A path from an input to one value inside it: [`Root`] or a [`Field`] of a path.
///
/// ```
/// use backprop::expr::internal::{Path, Root, Field, Z};
/// use backprop::prelude::*;
/// fn depth<P: Path>() -> usize { <P::Depth as backprop::expr::internal::Depth>::N }
/// assert_eq!(depth::<Field<U1, Root<Z>>>(), 0);
/// ```
pub trait Path: Copy + 'static {
    /// Seals the trait (the scope check depends on it).
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// The scope depth of the closure that owns the root.
    type Depth: Depth;
}

/// A path that finds its target inside an input of type `In`.
///
/// ```
/// use backprop::expr::internal::{Locate, Root, Field, Z};
/// use backprop::prelude::*;
/// let x = (1.0_f64, 2.0_f64);
/// assert_eq!(*<Field<U1, Root<Z>> as Locate<(f64, f64)>>::get(&x), 2.0);
/// ```
pub trait Locate<In>: Path {
    /// Seals the trait (the scope check depends on it).
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// The value the path leads to.
    type Target;
    /// Reads the target.
    fn get(x: &In) -> &Self::Target;
    /// Reads the target mutably (used on the gradient, which has the input's type).
    fn get_mut(x: &mut In) -> &mut Self::Target;
}

/// The whole input of the closure at scope depth `D`.
///
/// ```
/// use backprop::expr::internal::{Locate, Root, Z};
/// assert_eq!(*<Root<Z> as Locate<f64>>::get(&3.0), 3.0);
/// ```
#[derive(Debug, Default)]
pub struct Root<D>(PhantomData<D>);

/// Field `I` (a typenum index) of the value at path `P`.
///
/// ```
/// use backprop::expr::internal::{Locate, Root, Field, Z};
/// use backprop::prelude::*;
/// let x = ((1.0_f64, 2.0_f64), 3.0_f64);
/// assert_eq!(*<Field<U1, Field<U0, Root<Z>>> as Locate<_>>::get(&x), 2.0);
/// ```
#[derive(Debug, Default)]
pub struct Field<I, P>(PhantomData<(I, P)>);

macro_rules! impl_marker_copy {
    ($($t:ident<$($p:ident),+>),+) => {$(
        impl<$($p),+> Clone for $t<$($p),+> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($p),+> Copy for $t<$($p),+> {}
    )+};
}
impl_marker_copy!(Root<D>, Field<I, P>, Placeholder<T, P>);

impl<D: Depth> Path for Root<D> {
    super::seal!();
    type Depth = D;
}

/// A closure's own input, at the top level (depth `Z`).
impl<T: Input> Locate<T> for Root<Z> {
    super::seal!();
    type Target = T;
    #[inline(always)]
    fn get(x: &T) -> &T {
        x
    }
    #[inline(always)]
    fn get_mut(x: &mut T) -> &mut T {
        x
    }
}

/// Inside a body: the frame's own value when the depths match, else the enclosing input.
impl<E: Depth, D: Depth, O, I> Locate<Frame<D, O, I>> for Root<E>
where
    E: SameDepth<D>,
    <E as SameDepth<D>>::Is: Side<E, O, I>,
{
    super::seal!();
    type Target = <<E as SameDepth<D>>::Is as Side<E, O, I>>::Target;
    #[inline(always)]
    fn get(x: &Frame<D, O, I>) -> &Self::Target {
        <<E as SameDepth<D>>::Is as Side<E, O, I>>::get(x)
    }
    #[inline(always)]
    fn get_mut(x: &mut Frame<D, O, I>) -> &mut Self::Target {
        <<E as SameDepth<D>>::Is as Side<E, O, I>>::get_mut(x)
    }
}

/// Which side of a [`Frame`] a root of depth `E` finds its value in: [`Yes`] (the depths
/// match) the frame's own value, [`No`] the enclosing input.
pub trait Side<E, O, I> {
    /// The value found.
    type Target;
    /// Seals the trait.
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// Reads it.
    fn get<D>(x: &Frame<D, O, I>) -> &Self::Target;
    /// Reads it mutably (on a gradient frame).
    fn get_mut<D>(x: &mut Frame<D, O, I>) -> &mut Self::Target;
}

impl<E, O, I> Side<E, O, I> for Yes {
    type Target = I;
    super::seal!();
    #[inline(always)]
    fn get<D>(x: &Frame<D, O, I>) -> &I {
        x.inner()
    }
    #[inline(always)]
    fn get_mut<D>(x: &mut Frame<D, O, I>) -> &mut I {
        x.inner_mut()
    }
}

impl<E, O, I> Side<E, O, I> for No
where
    Root<E>: Locate<O>,
{
    type Target = <Root<E> as Locate<O>>::Target;
    super::seal!();
    #[inline(always)]
    fn get<D>(x: &Frame<D, O, I>) -> &Self::Target {
        <Root<E> as Locate<O>>::get(x.outer())
    }
    #[inline(always)]
    fn get_mut<D>(x: &mut Frame<D, O, I>) -> &mut Self::Target {
        <Root<E> as Locate<O>>::get_mut(x.outer_mut())
    }
}

impl<I: 'static, P: Path> Path for Field<I, P> {
    super::seal!();
    type Depth = P::Depth;
}

impl<In, I: 'static, P: Locate<In>> Locate<In> for Field<I, P>
where
    P::Target: TupleField<I>,
{
    super::seal!();
    type Target = <P::Target as TupleField<I>>::Item;
    #[inline(always)]
    fn get(x: &In) -> &Self::Target {
        P::get(x).field()
    }
    #[inline(always)]
    fn get_mut(x: &mut In) -> &mut Self::Target {
        P::get_mut(x).field_mut()
    }
}

/// Field access by a typenum index, for tuples up to 6.
///
/// ```
/// use backprop::expr::internal::TupleField;
/// use backprop::prelude::*;
/// assert_eq!(*TupleField::<U2>::field(&(1, 2, 3)), 3);
/// ```
pub trait TupleField<I> {
    /// The field's type.
    type Item;
    /// The field.
    fn field(&self) -> &Self::Item;
    /// The field, mutably.
    fn field_mut(&mut self) -> &mut Self::Item;
}

macro_rules! tuple_fields {
    ($gs:tt $($i:ident $idx:tt $t:ident),+) => {
        $(tuple_fields!(@one $gs $i $idx $t);)+
    };
    (@one [$($g:ident),+] $i:ident $idx:tt $t:ident) => {
        impl<$($g),+> TupleField<$i> for ($($g,)+) {
            type Item = $t;
            #[inline(always)]
            fn field(&self) -> &$t {
                &self.$idx
            }
            #[inline(always)]
            fn field_mut(&mut self) -> &mut $t {
                &mut self.$idx
            }
        }
    };
}
tuple_fields!([A] U0 0 A);
tuple_fields!([A, B] U0 0 A, U1 1 B);
tuple_fields!([A, B, C] U0 0 A, U1 1 B, U2 2 C);
tuple_fields!([A, B, C, D] U0 0 A, U1 1 B, U2 2 C, U3 3 D);
tuple_fields!([A, B, C, D, E] U0 0 A, U1 1 B, U2 2 C, U3 3 D, U4 4 E);
tuple_fields!([A, B, C, D, E, F] U0 0 A, U1 1 B, U2 2 C, U3 3 D, U4 4 E, U5 5 F);

/// A placeholder: the value of type `T` found at path `P` in the input. What an entry point's
/// closure receives (name its type with [`Placeholders`](crate::entry::Placeholders)); it holds
/// no data.
///
/// ```
/// use backprop::prelude::*;
/// let square = |x: Placeholders<f64>| x * x;
/// assert_eq!(grad(square, &3.0_f64), 6.0);
/// assert_eq!(std::mem::size_of::<Placeholders<f64>>(), 0);
/// ```
#[derive(Debug)]
pub struct Placeholder<T, P>(PhantomData<fn() -> (T, P)>);

impl<T, P> Placeholder<T, P> {
    /// The placeholder (it holds no data).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use backprop::expr::Placeholder;
    /// let x: Placeholders<f64> = Ex(Placeholder::new());
    /// assert_eq!(eval(|_| x + 1.0, &2.0_f64), 3.0);
    /// ```
    pub const fn new() -> Self {
        Placeholder(PhantomData)
    }
}

impl<T, P> Default for Placeholder<T, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Backprop, P: Path> Expr for Placeholder<T, P> {
    type Out = T;
    type Depth = P::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = true;
    // A placeholder of a leaf (scalar, vector, matrix) writes its slot through the ledger; one
    // of a record or container may overlap other placeholders' slots.
    const OVERWRITE: bool = T::LEAF.0;
}

/// A placeholder finds a value of its own type in the input it runs on. It fails when a closure
/// written for one input type is given another, and when a body's placeholder escapes its body.
///
/// ```
/// use backprop::expr::internal::SameScope;
/// fn ok<A: SameScope<B>, B>() {}
/// ok::<f64, f64>();
/// ```
#[diagnostic::on_unimplemented(
    message = "a placeholder for a `{T}` finds a `{Self}` in the input it runs on",
    label = "the closure's input differs from the value passed, or a body's placeholder is used outside its body"
)]
pub trait SameScope<T> {
    /// Seals the trait (the scope check depends on it).
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// The value, as the placeholder's type (it is that type).
    fn this(&self) -> &T;
    /// The value, mutably.
    fn this_mut(&mut self) -> &mut T;
}
impl<T> SameScope<T> for T {
    super::seal!();
    #[inline(always)]
    fn this(&self) -> &T {
        self
    }
    #[inline(always)]
    fn this_mut(&mut self) -> &mut T {
        self
    }
}

impl<In, T: Backprop, P: Locate<In>> Diff<In> for Placeholder<T, P>
where
    P::Target: SameScope<T>,
{
    type Cache = ();
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, _: &In, cache: &mut MaybeUninit<()>) {
        cache.write(());
    }
    #[inline(always)]
    fn value<'a>(&'a self, x: &'a In, _: &'a ()) -> &'a T {
        P::get(x).this()
    }
    #[inline(always)]
    fn backward(&self, _: &In, _: &(), dy: T, dx: &mut In) {
        let slot = P::get_mut(dx).this_mut();
        if super::ledger::first_write(slot) {
            *slot = dy;
        } else {
            slot.accumulate(&dy);
        }
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, T> {
        Cow::Borrowed(P::get(x).this())
    }
    #[inline(always)]
    fn grad_slot<'a>(&self, dx: &'a mut In) -> Option<&'a mut T> {
        Some(P::get_mut(dx).this_mut())
    }
}

/// A placeholder's tangent is the direction's value at its path; its gradients land in its
/// slots of both buffers.
impl<In, T: Backprop, P: Locate<In>> crate::tangent::Tangent<In> for Placeholder<T, P>
where
    P::Target: SameScope<T>,
{
    type TCache = ();
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, _: &In, _: &In, _: &()) {}
    #[inline(always)]
    fn tvalue<'a>(&'a self, t: &'a In, _: &'a ()) -> Option<&'a T> {
        Some(P::get(t).this())
    }
    #[inline(always)]
    fn backward_tangent(
        &self,
        _: &In,
        _: &In,
        _: &(),
        _: &(),
        dy: T,
        dyt: Option<T>,
        g: &mut In,
        gt: &mut In,
    ) {
        if crate::tangent::input_gradient_wanted::<Self>() {
            let slot = P::get_mut(g).this_mut();
            if super::ledger::first_write(slot) {
                *slot = dy;
            } else {
                slot.accumulate(&dy);
            }
        }
        if let Some(dyt) = dyt {
            let slot = P::get_mut(gt).this_mut();
            if super::ledger::first_write(slot) {
                *slot = dyt;
            } else {
                slot.accumulate(&dyt);
            }
        }
    }
}

/// A type the entry points accept as input: it knows the placeholders its closure receives.
///
/// Scalars, [`Vector`]s and [`Matrix`]es give one placeholder; tuples (up to 6, nested freely)
/// give a tuple of placeholders, so the closure can destructure them.
///
/// ```
/// use backprop::prelude::*;
/// // The closure's argument is `Placeholders<(f64, f64)>`, a pair of placeholders.
/// assert_eq!(grad(|(a, b)| a * b, &(2.0_f64, 5.0_f64)), (5.0, 2.0));
/// ```
pub trait Input: Backprop + 'static {
    /// The placeholder(s) for this type found at path `P`.
    type Ph<P: Path>: Copy;
    /// Creates the placeholder(s).
    fn placeholder<P: Path>() -> Self::Ph<P>;
    /// Whether [`zero_unwritten`](Input::zero_unwritten) zeroes exactly the leaves a
    /// ledger-mode backward pass did not write (see `expr::ledger`). The safe default is
    /// `false`: gradients of the type are then zeroed and accumulated. The crate's types and
    /// `#[derive(Backprop)]` say `true`.
    #[doc(hidden)]
    const LEDGER: bool = false;
    /// Zeroes every leaf slot (scalar, vector, matrix) of this gradient that `ledger` has not
    /// seen written, and every other part (containers, which ledger mode never writes).
    #[doc(hidden)]
    fn zero_unwritten(&mut self, ledger: &super::ledger::Ledger) {
        let _ = ledger;
        self.set_zero();
    }
}

impl<T: Scalar> Input for T {
    type Ph<P: Path> = Ex<Placeholder<T, P>>;
    const LEDGER: bool = true;
    #[inline]
    fn zero_unwritten(&mut self, ledger: &super::ledger::Ledger) {
        if !ledger.contains(self) {
            self.set_zero();
        }
    }
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

impl<T: Scalar, N: Dim> Input for Vector<T, N> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    const LEDGER: bool = true;
    #[inline]
    fn zero_unwritten(&mut self, ledger: &super::ledger::Ledger) {
        if !ledger.contains(self) {
            self.set_zero();
        }
    }
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

impl<T: Scalar, R: Dim, C: Dim> Input for Matrix<T, R, C> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    const LEDGER: bool = true;
    #[inline]
    fn zero_unwritten(&mut self, ledger: &super::ledger::Ledger) {
        if !ledger.contains(self) {
            self.set_zero();
        }
    }
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

macro_rules! impl_tuple_input {
    ($($name:ident $i:ident),+) => {
        impl<$($name: Input),+> Input for ($($name,)+) {
            type Ph<P: Path> = ($($name::Ph<Field<$i, P>>,)+);
            #[inline(always)]
            fn placeholder<P: Path>() -> Self::Ph<P> {
                ($($name::placeholder::<Field<$i, P>>(),)+)
            }
            const LEDGER: bool = true $(&& $name::LEDGER)+;
            #[allow(non_snake_case)]
            fn zero_unwritten(&mut self, ledger: &super::ledger::Ledger) {
                let ($($name,)+) = self;
                $($name.zero_unwritten(ledger);)+
            }
        }
    };
}
impl_tuple_input!(A U0);
impl_tuple_input!(A U0, B U1);
impl_tuple_input!(A U0, B U1, C U2);
impl_tuple_input!(A U0, B U1, C U2, D U3);
impl_tuple_input!(A U0, B U1, C U2, D U3, E U4);
impl_tuple_input!(A U0, B U1, C U2, D U3, E U4, F U5);

/// An array is one placeholder for the whole array (fold over it with
/// [`Ex::fold`](crate::Ex::fold)).
impl<T: Backprop + 'static, const N: usize> Input for [T; N] {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    // Never written in ledger mode (its placeholder is not a leaf): zeroed whole.
    const LEDGER: bool = true;
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

/// A `Vec` is one placeholder for the whole sequence (fold over it with
/// [`Ex::fold`](crate::Ex::fold)).
impl<T: Backprop + 'static> Input for Vec<T> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    // Never written in ledger mode (its placeholder is not a leaf): zeroed whole.
    const LEDGER: bool = true;
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

/// An `Option` is one placeholder (read it with [`Ex::unwrap_or`](crate::Ex::unwrap_or)).
impl<T: Backprop + 'static> Input for Option<T> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    // Never written in ledger mode (its placeholder is not a leaf): zeroed whole.
    const LEDGER: bool = true;
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

/// A map is one placeholder (read values with [`Ex::lookup`](crate::Ex::lookup)).
impl<K: Clone + Eq + std::hash::Hash + 'static, V: Backprop + 'static> Input
    for std::collections::HashMap<K, V>
{
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}

/// A map is one placeholder (read values with [`Ex::lookup`](crate::Ex::lookup)).
impl<K: Clone + Ord + 'static, V: Backprop + 'static> Input for std::collections::BTreeMap<K, V> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    #[inline(always)]
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}
