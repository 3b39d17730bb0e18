//! Containers of runtime length inside an expression: a `Vec` or an array of values (Haskell's
//! `Prelude.Backprop`: `sum`, `product`, `maximum`, `minimum`, `length`, `fmap`), key-value maps
//! (look a key up) and `Option`s (a value or a default).
//!
//! | op | forward | backward |
//! |---|---|---|
//! | `xs.sum_items()` | `y = sum_i x_i` | `dx_i += dy` |
//! | `xs.product()` | `y = prod_i x_i` | `dx_i += dy prod_{j != i} x_j` (prefix and suffix products: exact with zeros) |
//! | `xs.maximum()` / `xs.minimum()` | `y = x_k`, `k` the first index of the extreme | `dx_k += dy`; ties give the whole gradient to that one element |
//! | `xs.length()` | `y = n` (a constant) | none |
//! | `xs.map_items(f)` | `y_i = f(x_i)` | `dx_i += f'(x_i)^T dy_i` |
//! | `m.lookup(&k)` | `y = m.get(k)` (an `Option`) | `dm[k] += dy` when present |
//! | `m.lookup_or(&k, &d)` | `y = m.get(k)`, or `d` if missing | `dm[k] += dy` when present |
//! | `o.unwrap_or(&d)` | `y = o`, or `d` if `None` | `do += dy` when `Some` |

use core::mem::MaybeUninit;
use std::borrow::Borrow;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::expr::{
    forward_owned, init, reading, reading_and_writing, send, slot, written, AtLeast, Diff, Ex,
    Expr, Frame, Input, Root, ScopeOf, S,
};
use crate::ops::fold::Sequence;
use crate::ops::{unary, Unary, UnaryOp};
use num_traits::{Float, One};

use crate::{Backprop, Scalar};

/// Sum of the elements of a sequence, of any `Backprop` type with a `Default` (which is what an
/// empty sequence sums to: it has no shape to take a zero from).
///
/// ```
/// use backprop::prelude::*;
/// let xs = vec![Vector::<f64, U2>::from([1.0, 2.0]), Vector::from([3.0, 4.0])];
/// let (y, g) = value_and_grad(|xs| xs.sum_items().sum(), &xs);
/// assert_eq!(y, 10.0);
/// assert_eq!(g, vec![Vector::filled(1.0), Vector::filled(1.0)]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SumItems;

impl<X: Sequence> UnaryOp<X> for SumItems
where
    X::Item: Default,
{
    type Out = X::Item;
    fn forward(&self, x: &X) -> X::Item {
        let mut it = x.items().iter();
        match it.next() {
            None => X::Item::default(),
            Some(first) => it.fold(first.clone(), |mut s, v| {
                s.accumulate(v);
                s
            }),
        }
    }
    fn backward(&self, _: &X, _: &X::Item, dy: &X::Item, gx: &mut X) {
        gx.items_mut().iter_mut().for_each(|g| g.accumulate(dy));
    }
}

/// Product of the scalars of a sequence; its gradient is exact when elements are zero.
///
/// ```
/// use backprop::prelude::*;
/// // Haskell's `product` gave NaN here (it divides by the element); this is exact.
/// assert_eq!(value_and_grad(|xs| xs.product(), &vec![0.0_f64, 2.0, 3.0]), (0.0, vec![6.0, 0.0, 0.0]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Product;

impl<X: Sequence> UnaryOp<X> for Product
where
    X::Item: Scalar,
{
    type Out = X::Item;
    fn forward(&self, x: &X) -> X::Item {
        x.items().iter().fold(X::Item::one(), |p, &v| p * v)
    }
    fn backward(&self, x: &X, _: &X::Item, dy: &X::Item, gx: &mut X) {
        // prod_{j != i} x_j = (prod_{j < i} x_j) (prod_{j > i} x_j), with no division.
        let xs = x.items();
        let mut suffix = vec![X::Item::one(); xs.len() + 1];
        for i in (0..xs.len()).rev() {
            suffix[i] = suffix[i + 1] * xs[i];
        }
        let mut prefix = X::Item::one();
        for (i, g) in gx.items_mut().iter_mut().enumerate() {
            *g += *dy * prefix * suffix[i + 1];
            prefix *= xs[i];
        }
    }
}

/// The largest ([`Extremum::Max`]) or smallest ([`Extremum::Min`]) scalar of a sequence; on ties
/// the first such element gets the whole gradient. An empty sequence gives NaN, and so does a
/// sequence holding a NaN, wherever it is (the first NaN gets the gradient), as with
/// `f64::maximum`.
///
/// ```
/// use backprop::prelude::*;
/// // Haskell's `maximum` gave each tied element the full gradient; here exactly one gets it.
/// assert_eq!(value_and_grad(|xs| xs.maximum(), &vec![1.0_f64, 3.0, 3.0]), (3.0, vec![0.0, 1.0, 0.0]));
/// assert_eq!(value_and_grad(|xs| xs.minimum(), &vec![2.0_f64, -1.0, -1.0]), (-1.0, vec![0.0, 1.0, 0.0]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extremum {
    /// The largest element.
    Max,
    /// The smallest element.
    Min,
}

impl Extremum {
    fn pick<T: Scalar>(&self, xs: &[T]) -> Option<usize> {
        if let Some(i) = xs.iter().position(|v| v.is_nan()) {
            return Some(i);
        }
        let better = |a: T, b: T| match self {
            Extremum::Max => a > b,
            Extremum::Min => a < b,
        };
        let mut best: Option<usize> = None;
        for (i, &v) in xs.iter().enumerate() {
            if best.is_none_or(|b| better(v, xs[b])) {
                best = Some(i);
            }
        }
        best
    }
}

impl<X: Sequence> UnaryOp<X> for Extremum
where
    X::Item: Scalar,
{
    type Out = X::Item;
    fn forward(&self, x: &X) -> X::Item {
        self.pick(x.items())
            .map_or(X::Item::nan(), |i| x.items()[i])
    }
    fn backward(&self, x: &X, _: &X::Item, dy: &X::Item, gx: &mut X) {
        if let Some(i) = self.pick(x.items()) {
            gx.items_mut()[i] += *dy;
        }
    }
}

/// The number of elements, as a scalar constant (no gradient flows through it).
///
/// ```
/// use backprop::prelude::*;
/// // the mean of a Vec of scalars
/// let (y, g) = value_and_grad(|xs| xs.sum_items() / xs.length(), &vec![1.0_f64, 2.0, 6.0]);
/// assert_eq!((y, g), (3.0, vec![1.0 / 3.0; 3]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Length;

impl<X: Sequence> UnaryOp<X> for Length
where
    X::Item: Scalar,
{
    type Out = X::Item;
    fn forward(&self, x: &X) -> X::Item {
        X::Item::from_f64(x.items().len() as f64)
    }
    fn backward(&self, _: &X, _: &X::Item, _: &X::Item, _: &mut X) {}
}

crate::ops::table::unary_methods! {
    names: NAMES;
    /// Sum of the elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|xs| xs.sum_items(), &[1.0_f64, 2.0]), 3.0);
    /// ```
    sum_items() = SumItems, operand Sequence;
    /// Product of the (scalar) elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(grad(|xs| xs.product(), &[2.0_f64, 3.0, 4.0]), [12.0, 8.0, 6.0]);
    /// ```
    product() = Product, operand Sequence;
    /// The largest (scalar) element; on ties the first one gets the gradient.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|xs| xs.maximum(), &[2.0_f64, 5.0, 1.0]), 5.0);
    /// ```
    maximum() = Extremum(Extremum::Max), operand Sequence;
    /// The smallest (scalar) element; on ties the first one gets the gradient.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|xs| xs.minimum(), &[2.0_f64, 5.0, 1.0]), 1.0);
    /// ```
    minimum() = Extremum(Extremum::Min), operand Sequence;
    /// The number of elements, as a scalar constant.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(eval(|xs| xs.length(), &vec![0.5_f64; 4]), 4.0);
    /// ```
    length() = Length, operand Sequence;
}

impl<A: Expr> Ex<A>
where
    A::Out: Sequence,
{
    /// Applies `body` to every element: the result is a `Vec` of the results (Haskell's
    /// `fmap` on a sequence). `body` receives a placeholder for one element.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let xs = vec![1.0_f64, -2.0, 3.0];
    /// let (y, g) = value_and_grad(|xs| xs.map_items(|x| x * x).sum_items(), &xs);
    /// assert_eq!((y, g), (14.0, vec![2.0, -4.0, 6.0]));
    /// ```
    pub fn map_items<F, R>(self, body: F) -> Ex<MapItems<A, R>>
    where
        <A::Out as Sequence>::Item: Input,
        F: FnOnce(<<A::Out as Sequence>::Item as Input>::Ph<Root<S<A::Depth>>>) -> Ex<R>,
        R: Expr,
    {
        let ph = <<A::Out as Sequence>::Item as Input>::placeholder();
        Ex(MapItems {
            seq: self.0,
            body: body(ph).0,
        })
    }
}

/// The node of [`Ex::map_items`].
///
/// ```
/// use backprop::prelude::*;
/// assert_eq!(eval(|xs| xs.map_items(|x| x + 1.0), &vec![1.0_f64]), vec![2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MapItems<A, R> {
    seq: A,
    body: R,
}

impl<A, R> MapItems<A, R> {
    /// A `map_items` whose body was built elsewhere (the models of [`nn`](crate::nn)).
    #[inline(always)]
    pub(crate) fn new(seq: A, body: R) -> Self {
        MapItems { seq, body }
    }
}

/// The input of a `map_items` body: one element, read in place, in a frame over the enclosing
/// input.
type ItemIn<A, In> = Frame<S<<A as Expr>::Depth>, In, <<A as Expr>::Out as Sequence>::Item>;

impl<A: Expr, R: Expr> Expr for MapItems<A, R>
where
    A::Out: Sequence,
{
    type Out = Vec<R::Out>;
    type Depth = A::Depth;
    crate::expr::seal!();
    // The body may read placeholders of enclosing closures.
    const NEEDS_GRAD: bool = R::NEEDS_GRAD;
}

impl<In, A, R> Diff<In> for MapItems<A, R>
where
    In: ScopeOf,
    A: Diff<In>,
    A::Out: Sequence,
    A::Depth: AtLeast<In::Depth>,
    R: Diff<ItemIn<A, In>>,
{
    /// The sequence's cache, then each element's body cache, then the results (the elements
    /// themselves are read in place from the sequence's value).
    type Cache = (A::Cache, Vec<R::Cache>, Vec<R::Out>);

    crate::expr::seal!();
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.seq.forward(x, ca);
        let ga = written!(p, 0);
        let items = self.seq.value(x, init(ca)).items();
        let mut steps = Vec::with_capacity(items.len());
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let c = reading(x, item, |frame| forward_owned(&self.body, frame));
            out.push(reading(x, item, |frame| self.body.value(frame, &c).clone()));
            steps.push(c);
        }
        slot!(p, 1).write(steps);
        slot!(p, 2).write(out);
        ga.disarm();
    }

    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.2
    }

    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        if !Self::NEEDS_GRAD {
            return;
        }
        let items = self.seq.value(x, &c.0).items();
        let mut ditems = Vec::with_capacity(if A::NEEDS_GRAD { items.len() } else { 0 });
        for ((item, cache), d) in items.iter().zip(&c.1).zip(dy) {
            let mut di = item.zero_like();
            reading_and_writing(x, item, dx, &mut di, |frame, grad| {
                self.body.backward(frame, cache, d, grad)
            });
            if A::NEEDS_GRAD {
                ditems.push(di);
            }
        }
        send(&self.seq, x, &c.0, dx, |g| {
            for (gi, di) in g.items_mut().iter_mut().zip(&ditems) {
                gi.accumulate(di);
            }
        });
    }

    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        let items = self.seq.eval(x);
        let out = items
            .items()
            .iter()
            .map(|item| reading(x, item, |frame| self.body.eval(frame).into_owned()))
            .collect();
        Cow::Owned(out)
    }
}

/// A key-value map whose values take part in a computation, looked up by a key of type `Q`:
/// the map's own key type or any borrowed form of it, as with the standard maps' `get` (a
/// `&str` for a map keyed by `String`).
///
/// ```
/// use backprop::ops::containers::KeyedMap;
/// use std::collections::BTreeMap;
/// let m = BTreeMap::from([("a".to_string(), 1.0)]);
/// assert_eq!(m.value_at("a"), Some(&1.0));
/// ```
pub trait KeyedMap<Q: ?Sized>: Backprop {
    /// The value type.
    type Value: Backprop;
    /// The value under `key`.
    fn value_at(&self, key: &Q) -> Option<&Self::Value>;
    /// The value under `key`, mutably.
    fn value_at_mut(&mut self, key: &Q) -> Option<&mut Self::Value>;
}

impl<K, Q, V> KeyedMap<Q> for HashMap<K, V>
where
    K: Clone + Eq + Hash + Borrow<Q>,
    Q: Eq + Hash + ?Sized,
    V: Backprop,
{
    type Value = V;
    fn value_at(&self, key: &Q) -> Option<&V> {
        self.get(key)
    }
    fn value_at_mut(&mut self, key: &Q) -> Option<&mut V> {
        self.get_mut(key)
    }
}

impl<K, Q, V> KeyedMap<Q> for BTreeMap<K, V>
where
    K: Clone + Ord + Borrow<Q>,
    Q: Ord + ?Sized,
    V: Backprop,
{
    type Value = V;
    fn value_at(&self, key: &Q) -> Option<&V> {
        self.get(key)
    }
    fn value_at_mut(&mut self, key: &Q) -> Option<&mut V> {
        self.get_mut(key)
    }
}

/// Looks a key up: `Some(value)` or `None` (Haskell's `^^?` on a map).
///
/// ```
/// use backprop::prelude::*;
/// use std::collections::BTreeMap;
/// let m = BTreeMap::from([("w".to_string(), 2.0_f64)]);
/// assert_eq!(eval(|m| m.lookup("w"), &m), Some(2.0));
/// ```
#[derive(Debug)]
pub struct Lookup<'k, K: ?Sized>(pub &'k K);

impl<K: ?Sized> Clone for Lookup<'_, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: ?Sized> Copy for Lookup<'_, K> {}

impl<K: ?Sized, M: KeyedMap<K>> UnaryOp<M> for Lookup<'_, K> {
    type Out = Option<M::Value>;
    fn forward(&self, m: &M) -> Option<M::Value> {
        m.value_at(self.0).cloned()
    }
    fn backward(&self, _: &M, _: &Self::Out, dy: &Self::Out, gm: &mut M) {
        if let (Some(g), Some(d)) = (gm.value_at_mut(self.0), dy) {
            g.accumulate(d);
        }
    }
}

/// Looks a key up, with a constant for a missing key.
///
/// ```
/// use backprop::prelude::*;
/// use std::collections::HashMap;
/// let m = HashMap::from([("bias".to_string(), 0.5_f64)]);
/// assert_eq!(eval(|m| m.lookup_or("bias", &0.0) + m.lookup_or("scale", &0.0), &m), 0.5);
/// ```
#[derive(Debug)]
pub struct LookupOr<'k, K: ?Sized, V>(pub &'k K, pub &'k V);

impl<K: ?Sized, V> Clone for LookupOr<'_, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: ?Sized, V> Copy for LookupOr<'_, K, V> {}

impl<K: ?Sized, M: KeyedMap<K>> UnaryOp<M> for LookupOr<'_, K, M::Value> {
    type Out = M::Value;
    fn forward(&self, m: &M) -> M::Value {
        m.value_at(self.0).unwrap_or(self.1).clone()
    }
    fn backward(&self, _: &M, _: &M::Value, dy: &M::Value, gm: &mut M) {
        if let Some(g) = gm.value_at_mut(self.0) {
            g.accumulate(dy);
        }
    }
}

/// The value of an `Option`, or a constant for `None`.
///
/// ```
/// use backprop::prelude::*;
/// let one = 1.0_f64;
/// assert_eq!(value_and_grad(|o| o.unwrap_or(&one) * 3.0, &Some(2.0_f64)), (6.0, Some(3.0)));
/// assert_eq!(value_and_grad(|o| o.unwrap_or(&one) * 3.0, &None::<f64>), (3.0, None));
/// ```
#[derive(Debug)]
pub struct UnwrapOr<'d, T>(pub &'d T);

impl<T> Clone for UnwrapOr<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UnwrapOr<'_, T> {}

impl<T: Backprop> UnaryOp<Option<T>> for UnwrapOr<'_, T> {
    type Out = T;
    fn forward(&self, o: &Option<T>) -> T {
        o.as_ref().unwrap_or(self.0).clone()
    }
    fn backward(&self, _: &Option<T>, _: &T, dy: &T, go: &mut Option<T>) {
        if let Some(g) = go {
            g.accumulate(dy);
        }
    }
}

impl<A: Expr> Ex<A> {
    /// Looks `key` up in a map: `Some(value)` or `None`. The key is the map's key type or a
    /// borrowed form of it, as with `HashMap::get`: a string literal looks up a map keyed by
    /// `String`. The expression holds the reference, so a key built at run time must be built
    /// outside the closure (a literal lives for ever).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use std::collections::HashMap;
    /// let m = HashMap::from([(1_u8, 4.0_f64)]);
    /// assert_eq!(eval(|m| m.lookup(&2), &m), None);
    /// let named = HashMap::from([("age".to_string(), 30.0_f64)]);
    /// assert_eq!(eval(|m| m.lookup("age"), &named), Some(30.0));
    /// ```
    pub fn lookup<K: ?Sized>(self, key: &K) -> Ex<Unary<Lookup<'_, K>, A>>
    where
        A::Out: KeyedMap<K>,
    {
        unary(Lookup(key), self)
    }

    /// Looks `key` up in a map, giving `default` (a constant) when it is missing. The key is
    /// borrowed as in [`lookup`](Ex::lookup).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use std::collections::HashMap;
    /// let m = HashMap::from([(1_u8, 4.0_f64)]);
    /// assert_eq!(grad(|m| m.lookup_or(&1, &0.0) * 2.0, &m), HashMap::from([(1, 2.0)]));
    /// let person = HashMap::from([("age".to_string(), 30.0_f64)]);
    /// assert_eq!(grad(|p| p.lookup_or("age", &0.0).powi(2), &person)["age"], 60.0);
    /// ```
    #[allow(clippy::type_complexity)] // the node type, named by its parts
    pub fn lookup_or<'k, K: ?Sized>(
        self,
        key: &'k K,
        default: &'k <A::Out as KeyedMap<K>>::Value,
    ) -> Ex<Unary<LookupOr<'k, K, <A::Out as KeyedMap<K>>::Value>, A>>
    where
        A::Out: KeyedMap<K>,
    {
        unary(LookupOr(key, default), self)
    }

    /// The value of an `Option`, or `default` (a constant) for `None`.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let d = 0.0_f64;
    /// assert_eq!(eval(|o| o.unwrap_or(&d), &Some(5.0_f64)), 5.0);
    /// ```
    pub fn unwrap_or<'d, T>(self, default: &'d T) -> Ex<Unary<UnwrapOr<'d, T>, A>>
    where
        A: Expr<Out = Option<T>>,
        T: Backprop,
    {
        unary(UnwrapOr(default), self)
    }
}

/// A key-value map whose values can be mapped to another type, keeping the keys.
///
/// ```
/// use backprop::ops::containers::ValueMap;
/// use std::collections::BTreeMap;
/// let m = BTreeMap::from([(1, 2.0)]);
/// let pairs = m.pairs().into_iter().map(|(k, v)| (*k, v * 2.0)).collect();
/// let doubled = <BTreeMap<i32, f64> as ValueMap>::from_pairs::<f64>(pairs);
/// assert_eq!(doubled[&1], 4.0);
/// ```
pub trait ValueMap: KeyedMap<<Self as ValueMap>::Key> {
    /// The key type.
    type Key: Clone;
    /// The same kind of map with values of type `Y`.
    type With<Y: Backprop>: ValueMap<Key = Self::Key> + KeyedMap<Self::Key, Value = Y>;
    /// The entries, in the map's order.
    fn pairs(&self) -> Vec<(&Self::Key, &Self::Value)>;
    /// Builds a map of this kind.
    fn from_pairs<Y: Backprop>(pairs: Vec<(Self::Key, Y)>) -> Self::With<Y>;
}

impl<K: Clone + Eq + Hash, V: Backprop> ValueMap for HashMap<K, V> {
    type Key = K;
    type With<Y: Backprop> = HashMap<K, Y>;
    fn pairs(&self) -> Vec<(&K, &V)> {
        self.iter().collect()
    }
    fn from_pairs<Y: Backprop>(pairs: Vec<(K, Y)>) -> HashMap<K, Y> {
        pairs.into_iter().collect()
    }
}

impl<K: Clone + Ord, V: Backprop> ValueMap for BTreeMap<K, V> {
    type Key = K;
    type With<Y: Backprop> = BTreeMap<K, Y>;
    fn pairs(&self) -> Vec<(&K, &V)> {
        self.iter().collect()
    }
    fn from_pairs<Y: Backprop>(pairs: Vec<(K, Y)>) -> BTreeMap<K, Y> {
        pairs.into_iter().collect()
    }
}

/// The node of [`Ex::map_values`].
///
/// ```
/// use backprop::prelude::*;
/// use std::collections::BTreeMap;
/// let m = BTreeMap::from([("a", 1.0_f64), ("b", 2.0)]);
/// assert_eq!(eval(|m| m.map_values(|v| v * 10.0), &m), BTreeMap::from([("a", 10.0), ("b", 20.0)]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MapValues<A, R> {
    map: A,
    body: R,
}

/// A value of the map a `map_values` body reads.
type ValueOf<A> = <<A as Expr>::Out as KeyedMap<<<A as Expr>::Out as ValueMap>::Key>>::Value;

/// The input of a `map_values` body: one value, in a frame over the enclosing input.
type ValueIn<A, In> = Frame<S<<A as Expr>::Depth>, In, ValueOf<A>>;

impl<A: Expr> Ex<A>
where
    A::Out: ValueMap,
{
    /// Applies `body` to every value of a map, keeping the keys (Haskell's `fmap` on a `Map`).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use std::collections::HashMap;
    /// let m = HashMap::from([("x", 3.0_f64), ("y", -1.0)]);
    /// let (x, zero) = ("x", 0.0);
    /// let g = grad(|m| m.map_values(|v| v * v).lookup_or(&x, &zero), &m);
    /// assert_eq!(g, HashMap::from([("x", 6.0), ("y", 0.0)]));
    /// ```
    pub fn map_values<F, R>(self, body: F) -> Ex<MapValues<A, R>>
    where
        <A::Out as KeyedMap<<A::Out as ValueMap>::Key>>::Value: Input,
        F: FnOnce(
            <<A::Out as KeyedMap<<A::Out as ValueMap>::Key>>::Value as Input>::Ph<Root<S<A::Depth>>>,
        ) -> Ex<R>,
        R: Expr,
    {
        let ph = <<A::Out as KeyedMap<<A::Out as ValueMap>::Key>>::Value as Input>::placeholder();
        Ex(MapValues {
            map: self.0,
            body: body(ph).0,
        })
    }
}

impl<A: Expr, R: Expr> Expr for MapValues<A, R>
where
    A::Out: ValueMap,
{
    type Out = <A::Out as ValueMap>::With<R::Out>;
    type Depth = A::Depth;
    crate::expr::seal!();
    // The body may read placeholders of enclosing closures.
    const NEEDS_GRAD: bool = R::NEEDS_GRAD;
}

impl<In, A, R> Diff<In> for MapValues<A, R>
where
    In: ScopeOf,
    A: Diff<In>,
    A::Out: ValueMap,
    A::Depth: AtLeast<In::Depth>,
    R: Diff<ValueIn<A, In>>,
{
    /// The map's cache, then each key with its value and the body's cache, then the result.
    #[allow(clippy::type_complexity)]
    type Cache = (
        A::Cache,
        Vec<(<A::Out as ValueMap>::Key, ValueOf<A>, R::Cache)>,
        <A::Out as ValueMap>::With<R::Out>,
    );

    crate::expr::seal!();
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let ca = slot!(p, 0);
        self.map.forward(x, ca);
        let ga = written!(p, 0);
        let pairs = self.map.value(x, init(ca)).pairs();
        let mut steps = Vec::with_capacity(pairs.len());
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let c = reading(x, v, |frame| forward_owned(&self.body, frame));
            out.push((
                k.clone(),
                reading(x, v, |frame| self.body.value(frame, &c).clone()),
            ));
            steps.push((k.clone(), v.clone(), c));
        }
        let out = <A::Out as ValueMap>::from_pairs(out);
        slot!(p, 1).write(steps);
        slot!(p, 2).write(out);
        ga.disarm();
    }

    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.2
    }

    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        if !Self::NEEDS_GRAD {
            return;
        }
        let mut dvalues = Vec::with_capacity(if A::NEEDS_GRAD { c.1.len() } else { 0 });
        for (k, v, cache) in &c.1 {
            let Some(d) = dy.value_at(k) else { continue };
            let mut dv = v.zero_like();
            reading_and_writing(x, v, dx, &mut dv, |frame, grad| {
                self.body.backward(frame, cache, d.clone(), grad)
            });
            if A::NEEDS_GRAD {
                dvalues.push((k, dv));
            }
        }
        send(&self.map, x, &c.0, dx, |g| {
            for (k, dv) in &dvalues {
                if let Some(gv) = g.value_at_mut(k) {
                    gv.accumulate(dv);
                }
            }
        });
    }

    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        let m = self.map.eval(x);
        let out = m
            .pairs()
            .into_iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    reading(x, v, |frame| self.body.eval(frame).into_owned()),
                )
            })
            .collect();
        Cow::Owned(<A::Out as ValueMap>::from_pairs(out))
    }
}

crate::tangent::second_order! { linear unary:
    impl[] SumItems;
}

/// `ẏ = Σ_i ẋ_i Π_{j≠i} x_j`; the curvature by dual numbers (the product's own passes on
/// `x + ẋ ε`).
impl<X: Sequence> crate::tangent::UnaryTangent<X> for Product
where
    X::Item: Scalar,
{
    fn tangent(&self, x: &X, _: &X::Item, xt: &X) -> X::Item {
        self.forward(&lift_items(x, xt)).eps
    }
    fn curvature(&self, x: &X, _: &X::Item, xt: &X, yt: &X::Item, dy: &X::Item, gt: &mut X) {
        use crate::dual::Dual;
        let xd = lift_items(x, xt);
        let mut gd = vec![Dual::constant(<X::Item as num_traits::Zero>::zero()); xd.len()];
        let yd = Dual::new(self.forward(x), *yt);
        self.backward(&xd, &yd, &Dual::constant(*dy), &mut gd);
        for (g, d) in gt.items_mut().iter_mut().zip(&gd) {
            *g += d.eps;
        }
    }
}

/// The items of `x + ẋ ε`, as dual numbers.
fn lift_items<X: Sequence>(x: &X, xt: &X) -> Vec<crate::dual::Dual<X::Item>>
where
    X::Item: Scalar,
{
    let ts = xt.items();
    x.items()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            crate::dual::Dual::new(
                v,
                ts.get(i)
                    .copied()
                    .unwrap_or_else(<X::Item as num_traits::Zero>::zero),
            )
        })
        .collect()
}

/// The chosen element's tangent (the choice does not move under an infinitesimal change,
/// away from ties); no curvature.
impl<X: Sequence> crate::tangent::UnaryTangent<X> for Extremum
where
    X::Item: Scalar,
{
    fn tangent(&self, x: &X, _: &X::Item, xt: &X) -> X::Item {
        self.pick(x.items())
            .and_then(|i| xt.items().get(i).copied())
            .unwrap_or_else(<X::Item as num_traits::Zero>::zero)
    }
    fn curvature(&self, _: &X, _: &X::Item, _: &X, _: &X::Item, _: &X::Item, _: &mut X) {}
}

/// A constant of the sequence's length: zero tangent, no curvature.
impl<X: Sequence> crate::tangent::UnaryTangent<X> for Length
where
    X::Item: Scalar,
{
    fn tangent(&self, _: &X, _: &X::Item, _: &X) -> X::Item {
        <X::Item as num_traits::Zero>::zero()
    }
    fn curvature(&self, _: &X, _: &X::Item, _: &X, _: &X::Item, _: &X::Item, _: &mut X) {}
}
