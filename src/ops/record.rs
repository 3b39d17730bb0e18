//! Fields of records (derived structs and tuples) as expressions: read one (`get_field`),
//! replace one (`set_field`, Haskell's `.~~`), transform one (`over_field`, `%~~`). A field is
//! named by its position in declaration order, as a value: `r.get_field(U0)`.
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `r.get_field(I)` | `y = r.I` | `dr.I += dy` |
//! | `r.set_field(I, v)` | `y = r` with `y.I = v` | `dr += dy` except field `I`; `dv += dy.I` |
//! | `r.over_field(I, f)` | `set_field(I, f(r.I))` | through both |
//!
//! Inside a closure over a derived record, `rec.field` is already an expression; these are for
//! records that are results (built with [`tuple`](crate::tuple) or changed inside the
//! computation), and for the whole input record, which `rec.whole()` gives.

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{init, send, send_owned, slot, written, Diff, Ex, Expr, MaxOf, TupleField};
use crate::Backprop;

/// The node of [`Ex::get_field`].
///
/// ```
/// use backprop::prelude::*;
/// let p = (2.0_f64, 3.0_f64);
/// // the pair as one expression, then its field 1
/// assert_eq!(grad(|(a, b)| tuple((a, b)).get_field(U1), &p), (0.0, 1.0));
/// ```
#[derive(Debug)]
pub struct GetField<I, A> {
    a: A,
    _i: PhantomData<fn() -> I>,
}

/// The node of [`Ex::set_field`].
///
/// ```
/// use backprop::prelude::*;
/// let p = (2.0_f64, 3.0_f64);
/// assert_eq!(eval(|(a, b)| tuple((a, b)).set_field(U1, a * 10.0), &p), (2.0, 20.0));
/// ```
#[derive(Debug)]
pub struct SetField<I, A, V> {
    a: A,
    v: V,
    _i: PhantomData<fn() -> I>,
}

impl<I, A: Clone> Clone for GetField<I, A> {
    fn clone(&self) -> Self {
        GetField {
            a: self.a.clone(),
            _i: PhantomData,
        }
    }
}
impl<I, A: Copy> Copy for GetField<I, A> {}
impl<I, A: Clone, V: Clone> Clone for SetField<I, A, V> {
    fn clone(&self) -> Self {
        SetField {
            a: self.a.clone(),
            v: self.v.clone(),
            _i: PhantomData,
        }
    }
}
impl<I, A: Copy, V: Copy> Copy for SetField<I, A, V> {}

impl<A: Expr> Ex<A> {
    /// Field `I` of a record-valued (or tuple-valued) expression.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let g = grad(|(a, b)| tuple((a * b, b)).get_field(U0), &(2.0_f64, 3.0_f64));
    /// assert_eq!(g, (3.0, 2.0));
    /// ```
    #[inline(always)]
    pub fn get_field<I>(self, _field: I) -> Ex<GetField<I, A>>
    where
        A::Out: TupleField<I>,
        <A::Out as TupleField<I>>::Item: Backprop,
    {
        Ex(GetField {
            a: self.0,
            _i: PhantomData,
        })
    }

    /// The record with field `I` replaced by `value` (Haskell's `.~~`).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // (a, b) with b replaced by a * a, then summed: a + a^2
    /// let f = |(a, b): backprop::entry::Placeholders<(f64, f64)>| {
    ///     tuple((a, b)).set_field(U1, a * a).then(|(x, y)| x + y)
    /// };
    /// assert_eq!(value_and_grad(f, &(3.0_f64, 100.0_f64)), (12.0, (7.0, 0.0)));
    /// ```
    #[inline(always)]
    pub fn set_field<I, V: Expr>(self, _field: I, value: Ex<V>) -> Ex<SetField<I, A, V>>
    where
        A::Out: TupleField<I, Item = V::Out>,
    {
        Ex(SetField {
            a: self.0,
            v: value.0,
            _i: PhantomData,
        })
    }

    /// The record with field `I` transformed by `f` (Haskell's `%~~`): `set_field(f(get_field))`.
    /// The record expression is used twice: bind it first if it is costly.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let f = |(a, b): backprop::entry::Placeholders<(f64, f64)>| {
    ///     tuple((a, b)).over_field(U0, |x| x.exp()).then(|(x, y)| x * y)
    /// };
    /// let (y, (da, db)) = value_and_grad(f, &(0.0_f64, 2.0_f64));
    /// assert_eq!((y, da, db), (2.0, 2.0, 1.0));
    /// ```
    #[inline(always)]
    pub fn over_field<I: Copy, F, R>(self, field: I, f: F) -> Ex<SetField<I, A, R>>
    where
        A: Copy,
        A::Out: TupleField<I, Item = R::Out>,
        <A::Out as TupleField<I>>::Item: Backprop,
        F: FnOnce(Ex<GetField<I, A>>) -> Ex<R>,
        R: Expr,
    {
        let v = f(self.get_field(field));
        self.set_field(field, v)
    }
}

impl<I, A: Expr> Expr for GetField<I, A>
where
    A::Out: TupleField<I>,
    <A::Out as TupleField<I>>::Item: Backprop,
{
    type Out = <A::Out as TupleField<I>>::Item;
    type Depth = A::Depth;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
}

impl<In, I, A: Diff<In>> Diff<In> for GetField<I, A>
where
    A::Out: TupleField<I>,
    <A::Out as TupleField<I>>::Item: Backprop,
{
    type Cache = A::Cache;
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<A::Cache>) {
        self.a.forward(x, cache);
    }
    #[inline(always)]
    fn value<'a>(&'a self, x: &'a In, c: &'a A::Cache) -> &'a Self::Out {
        self.a.value(x, c).field()
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &A::Cache, dy: Self::Out, dx: &mut In) {
        send(&self.a, x, c, dx, |g| g.field_mut().accumulate(&dy));
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        match self.a.eval(x) {
            Cow::Borrowed(r) => Cow::Borrowed(r.field()),
            Cow::Owned(r) => Cow::Owned(r.field().clone()),
        }
    }
}

impl<I, A: Expr, V: Expr> Expr for SetField<I, A, V>
where
    A::Out: TupleField<I, Item = V::Out>,
{
    type Out = A::Out;
    type Depth = MaxOf<A::Depth, V::Depth>;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD || V::NEEDS_GRAD;
}

impl<In, I, A: Diff<In>, V: Diff<In>> Diff<In> for SetField<I, A, V>
where
    A::Out: TupleField<I, Item = V::Out>,
{
    type Cache = (A::Cache, V::Cache, A::Out);
    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let (ca, cv) = (slot!(p, 0), slot!(p, 1));
        self.a.forward(x, ca);
        let ga = written!(p, 0);
        self.v.forward(x, cv);
        let gv = written!(p, 1);
        let mut y = self.a.value(x, init(ca)).clone();
        *y.field_mut() = self.v.value(x, init(cv)).clone();
        slot!(p, 2).write(y);
        ga.disarm();
        gv.disarm();
    }
    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a A::Out {
        &c.2
    }
    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, mut dy: A::Out, dx: &mut In) {
        let dv = dy.field().clone();
        send(&self.v, x, &c.1, dx, |g| g.accumulate(&dv));
        if A::NEEDS_GRAD {
            // The replaced field does not depend on the record.
            let zero = dv.zero_like();
            *dy.field_mut() = zero;
            send_owned(&self.a, x, &c.0, dx, dy)
        }
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, A::Out> {
        let mut y = self.a.eval(x).into_owned();
        *y.field_mut() = self.v.eval(x).into_owned();
        Cow::Owned(y)
    }
}
