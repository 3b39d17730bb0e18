//! The gradient algebra: [`Backprop`] (Haskell's class of the same name) and [`Scalars`], a
//! walk over every scalar of a value.

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::Dim;

use crate::{Matrix, Scalar, Vector};

/// A value that can carry a gradient: Haskell's `Backprop` class.
///
/// | Haskell | here | meaning |
/// |---|---|---|
/// | `zero x` | [`x.zero_like()`](Backprop::zero_like) | a zero of the same shape as `x` |
/// | `add x y` | [`x.accumulate(&y)`](Backprop::accumulate) | `x += y`: sum two gradient contributions |
/// | `one x` | [`x.one_like()`](Backprop::one_like) | ones of the same shape: the seed of a scalar result |
///
/// # Laws
/// For values `x`, `y`, `z` of the same shape (checked by property tests):
/// - identity: `x + zero(y) == x`;
/// - commutativity: `x + y == y + x` (exactly, elementwise floating-point `+` is commutative);
/// - associativity: `(x + y) + z == x + (y + z)` up to rounding;
/// - `zero` and `one` are idempotent: `zero(zero(x)) == zero(x)`, `one(one(x)) == one(x)`;
/// - `zero(x)` and `one(x)` keep the shape (length, keys, `Some`/`None`) of `x`.
///
/// Containers of runtime shape never drop data when shapes differ: a shorter `Vec` is
/// treated as padded with zeros, a key missing from one map counts as zero, and `None` counts as
/// zero (`None + Some(y) == Some(y)`), as in Haskell's list, `Map` and `Maybe` instances.
///
/// ```
/// use backprop::prelude::*;
/// let mut g = (1.0_f64, vec![1.0_f64, 2.0]);
/// g.accumulate(&(0.5, vec![10.0, 20.0, 30.0]));
/// assert_eq!(g, (1.5, vec![11.0, 22.0, 30.0]));
/// assert_eq!(g.zero_like(), (0.0, vec![0.0; 3]));
/// assert_eq!(2.0_f64.one_like(), 1.0);
/// ```
pub trait Backprop: Clone {
    /// A zero gradient shaped like `self`.
    fn zero_like(&self) -> Self;
    /// Adds another gradient contribution into `self`.
    fn accumulate(&mut self, other: &Self);
    /// Ones shaped like `self`: the seed gradient of a result.
    fn one_like(&self) -> Self;
    /// Whether `other` has the same runtime shape as `self`: the same lengths, keys and
    /// `Some`/`None`, all the way down. What the entry points check a gradient buffer against.
    ///
    /// The default, `true`, is right for types whose shape is static (scalars, vectors,
    /// matrices, records of them); a type of your own that holds a `Vec` or a map should
    /// implement it (`#[derive(Backprop)]` does, field by field).
    ///
    /// ```
    /// use backprop::Backprop;
    /// assert!(vec![1.0_f64, 2.0].same_shape(&vec![0.0, 0.0]));
    /// assert!(!vec![1.0_f64, 2.0].same_shape(&vec![0.0]));
    /// ```
    #[inline(always)]
    fn same_shape(&self, other: &Self) -> bool {
        let _ = other;
        true
    }
    /// Reshapes `self` to the shape of `like`, keeping what matches: entries of `like` that
    /// `self` lacks are added as zeros, entries `like` lacks are removed, and matching entries
    /// are conformed in turn. How optimizers keep their state aligned with parameters whose
    /// shape changed (a key inserted into a map of weights). The default does nothing, which is
    /// right for static shapes (implement it with [`same_shape`](Backprop::same_shape)).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use backprop::Backprop;
    /// let mut m = BTreeMap::from([("a", 1.0_f64), ("b", 2.0)]);
    /// m.conform_to(&BTreeMap::from([("b", 9.0), ("c", 9.0)]));
    /// assert_eq!(m, BTreeMap::from([("b", 2.0), ("c", 0.0)]));
    /// ```
    #[inline(always)]
    fn conform_to(&mut self, like: &Self) {
        let _ = like;
    }
    /// Sets `self` to zero in place, keeping its shape and its allocations: what a gradient
    /// buffer kept across steps needs before it accumulates again. The default builds a new
    /// zero with [`zero_like`](Backprop::zero_like); the crate's types (and
    /// `#[derive(Backprop)]`) overwrite in place, with no allocation.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut g = (2.0_f64, vec![Vector::<f64, U2>::from([1.0, 2.0])]);
    /// g.set_zero();
    /// assert_eq!(g, (0.0, vec![Vector::zeros()]));
    /// ```
    #[inline]
    fn set_zero(&mut self) {
        *self = self.zero_like();
    }
    /// A value shaped like `self` whose contents are unspecified (any valid value): the
    /// starting buffer of a gradient whose every part will be written or zeroed. The crate's
    /// tensors take a recycled block without clearing it; the default is
    /// [`zero_like`](Backprop::zero_like).
    #[doc(hidden)]
    #[inline]
    fn stale_like(&self) -> Self {
        self.zero_like()
    }
    /// Whether this type is a leaf of the gradient algebra (a scalar, vector or matrix):
    /// only the crate's own types can say so (the value's type cannot be named elsewhere).
    #[doc(hidden)]
    const LEAF: crate::expr::sealed::Leaf = crate::expr::sealed::Leaf(false);
}

/// A gradient buffer given to an entry point does not have the shape of the value it is the
/// gradient of (see [`Backprop::same_shape`]): a `Vec` of another length, a map with other
/// keys, or `None` for `Some` somewhere inside.
///
/// ```
/// use backprop::prelude::*;
/// let x = vec![1.0_f64, 2.0, 3.0];
/// let mut g = vec![0.0; 5];
/// let err = value_and_grad_acc(|x| x.sum_items(), &x, &mut g).unwrap_err();
/// assert!(err.to_string().contains("Vec<f64>"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradientShapeError {
    /// The value's type.
    pub type_name: &'static str,
}

impl core::fmt::Display for GradientShapeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the gradient buffer of a `{}` has another shape than the value (a length, a key or \
             Some/None differs somewhere inside): start the buffer from `x.zero_like()`",
            self.type_name
        )
    }
}

impl std::error::Error for GradientShapeError {}

/// `Ok` when `g` has the shape of `x`.
pub(crate) fn check_buffer<P: Backprop>(x: &P, g: &P) -> Result<(), GradientShapeError> {
    if x.same_shape(g) {
        Ok(())
    } else {
        Err(GradientShapeError {
            type_name: std::any::type_name::<P>(),
        })
    }
}

/// A walk over every scalar inside a value, in a fixed order: what the gradient checker (and
/// optimizers) use to perturb or update each parameter.
///
/// ```
/// use backprop::prelude::*;
/// let x = (2.0_f64, Vector::<f64, U2>::from([3.0, 4.0]));
/// let mut seen = vec![];
/// x.for_each_scalar(&mut |s| seen.push(s));
/// assert_eq!(seen, vec![2.0, 3.0, 4.0]);
/// ```
pub trait Scalars<T> {
    /// Calls `f` on every scalar, in order.
    fn for_each_scalar(&self, f: &mut dyn FnMut(T));
    /// Calls `f` on every scalar mutably, in the same order.
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T));
    /// Calls `f` on every run of contiguous scalars, in the order of
    /// [`for_each_scalar`](Scalars::for_each_scalar): a tensor's elements come as one slice, so
    /// a walk costs one call per tensor rather than one per scalar (how optimizers update whole
    /// tensors in vectorised loops). The default passes each scalar as a slice of one;
    /// `#[derive(Backprop)]` and the crate's types pass whole tensors.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let x = (2.0_f64, Vector::<f64, U3>::from([3.0, 4.0, 5.0]));
    /// let mut runs = vec![];
    /// x.for_each_slice(&mut |s| runs.push(s.to_vec()));
    /// assert_eq!(runs, vec![vec![2.0], vec![3.0, 4.0, 5.0]]);
    /// ```
    fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
        self.for_each_scalar(&mut |x| f(core::slice::from_ref(&x)))
    }
    /// Calls `f` on every run of contiguous scalars mutably, in the same order as
    /// [`for_each_slice`](Scalars::for_each_slice).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut x = (2.0_f64, Vector::<f64, U2>::from([3.0, 4.0]));
    /// x.for_each_slice_mut(&mut |s| s.iter_mut().for_each(|v| *v *= 10.0));
    /// assert_eq!(x, (20.0, Vector::from([30.0, 40.0])));
    /// ```
    fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
        self.for_each_scalar_mut(&mut |x| f(core::slice::from_mut(x)))
    }
    /// `self += a x`, in place: the update step of gradient descent (`params.axpy(-0.1, &g)`)
    /// without a temporary of the parameters' type.
    ///
    /// # Errors
    /// [`GradientShapeError`] when `x` has another shape than `self` (a `Vec` of another
    /// length, a map with other keys); `self` is then unchanged.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut p = (1.0_f64, Vector::<f64, U2>::from([1.0, 2.0]));
    /// p.axpy(-0.5, &(2.0, Vector::from([2.0, 4.0])))?;
    /// assert_eq!(p, (0.0, Vector::from([0.0, 0.0])));
    /// # Ok::<(), backprop::GradientShapeError>(())
    /// ```
    fn axpy(&mut self, a: T, x: &Self) -> Result<(), GradientShapeError>
    where
        Self: Backprop + Sized,
        T: crate::Scalar,
    {
        check_buffer(self, x)?;
        self.axpy_matching(a, x);
        Ok(())
    }
    /// [`axpy`](Scalars::axpy) for an `x` already known to have `self`'s shape. The crate's
    /// types and `#[derive(Backprop)]` add part by part, with no allocation; the default, for
    /// types of your own, copies `x`'s scalars into one buffer first.
    #[doc(hidden)]
    fn axpy_matching(&mut self, a: T, x: &Self)
    where
        Self: Sized,
        T: crate::Scalar,
    {
        // x's scalars in walk order, then added run by run along self's walk (the same
        // structure, so the same order).
        let mut flat = Vec::new();
        flatten_into(x, &mut flat);
        let mut at = 0;
        self.for_each_slice_mut(&mut |r| {
            let n = r.len().min(flat.len().saturating_sub(at));
            crate::kernels::axpy(&mut r[..n], a, &flat[at..at + n]);
            at += r.len();
        });
    }
    /// Writes the value's structure to `out`: what a checkpoint records, and checks on load,
    /// besides the scalars. A scalar is `_`, a vector `Vector<3>`, a matrix `Matrix<2, 3>`, a
    /// tuple `(a, b)`, a record `{w: a, b: b}` (field names), a sequence `[a, b]` with runs of
    /// equal entries written `[a x5]`, an option `Some(a)` or `None`, a map `{"key": a}` (keys by
    /// their `Debug` text, in key order).
    ///
    /// The default writes `_`: implement it for a type of your own whose shape is not static
    /// (`#[derive(Backprop)]` does).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let mut s = String::new();
    /// (vec![vec![1.0_f64, 2.0], vec![3.0]], Vector::<f64, U3>::zeros()).describe(&mut s);
    /// assert_eq!(s, "([[_ x2], [_]], Vector<3>)");
    /// ```
    fn describe(&self, out: &mut String) {
        out.push('_');
    }
}

/// Replaces `out` with `p`'s scalars in walk order.
pub(crate) fn flatten_into<T: Copy, P: Scalars<T> + ?Sized>(p: &P, out: &mut Vec<T>) {
    out.clear();
    p.for_each_slice(&mut |r| out.extend_from_slice(r));
}

/// Writes `[a, b x3, c]` for a sequence of items: runs of items with equal descriptions are
/// written once with their count, so a long sequence of one shape stays short.
fn describe_seq<'a, T, A: Scalars<T> + 'a>(items: impl Iterator<Item = &'a A>, out: &mut String) {
    out.push('[');
    let mut run: Option<(String, usize)> = None;
    let flush = |run: &mut Option<(String, usize)>, out: &mut String| {
        if let Some((d, n)) = run.take() {
            if !out.ends_with('[') {
                out.push_str(", ");
            }
            out.push_str(&d);
            if n > 1 {
                out.push_str(&format!(" x{n}"));
            }
        }
    };
    for item in items {
        let mut d = String::new();
        item.describe(&mut d);
        match &mut run {
            Some((prev, n)) if *prev == d => *n += 1,
            _ => {
                flush(&mut run, out);
                run = Some((d, 1));
            }
        }
    }
    flush(&mut run, out);
    out.push(']');
}

impl<T: Scalar> Backprop for T {
    #[inline(always)]
    fn zero_like(&self) -> T {
        T::zero()
    }
    #[inline(always)]
    fn accumulate(&mut self, other: &T) {
        *self += *other;
    }
    #[inline(always)]
    fn one_like(&self) -> T {
        T::one()
    }
    #[inline(always)]
    fn set_zero(&mut self) {
        *self = T::zero();
    }
    const LEAF: crate::expr::sealed::Leaf = crate::expr::sealed::Leaf(true);
}

impl<T: Scalar> Scalars<T> for T {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        f(*self)
    }
    fn axpy_matching(&mut self, a: T, x: &Self) {
        crate::kernels::axpy(core::slice::from_mut(self), a, core::slice::from_ref(x));
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        f(self)
    }
    fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
        f(core::slice::from_ref(self))
    }
    fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
        f(core::slice::from_mut(self))
    }
}

macro_rules! impl_tensor_algebra {
    ($ty:ident < $($d:ident),+ >) => {
        impl<T: Scalar, $($d: Dim),+> Backprop for $ty<T, $($d),+> {
            #[inline]
            fn zero_like(&self) -> Self {
                Self::zeros()
            }
            #[inline]
            fn accumulate(&mut self, other: &Self) {
                crate::kernels::add_assign(self.as_mut_slice(), other.as_slice());
            }
            #[inline]
            fn one_like(&self) -> Self {
                Self::filled(T::one())
            }
            #[inline]
            fn set_zero(&mut self) {
                self.as_mut_slice().fill(T::zero());
            }
            #[inline]
            fn stale_like(&self) -> Self {
                Self::stale()
            }
            const LEAF: crate::expr::sealed::Leaf = crate::expr::sealed::Leaf(true);
        }
        impl<T: Scalar, $($d: Dim),+> Scalars<T> for $ty<T, $($d),+> {
            fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
                self.iter().for_each(|&x| f(x))
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
                self.iter_mut().for_each(f)
            }
            fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
                f(self.as_slice())
            }
            fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
                f(self.as_mut_slice())
            }
            fn axpy_matching(&mut self, a: T, x: &Self) {
                crate::kernels::axpy(self.as_mut_slice(), a, x.as_slice());
            }
            fn describe(&self, out: &mut String) {
                let dims: &[usize] = &[$($d::USIZE),+];
                let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
                out.push_str(&format!("{}<{}>", stringify!($ty), dims.join(", ")));
            }
        }
    };
}
impl_tensor_algebra!(Vector<N>);
impl_tensor_algebra!(Matrix<R, C>);

macro_rules! impl_tuple_algebra {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Backprop),+> Backprop for ($($name,)+) {
            fn zero_like(&self) -> Self {
                ($(self.$idx.zero_like(),)+)
            }
            fn accumulate(&mut self, other: &Self) {
                $(self.$idx.accumulate(&other.$idx);)+
            }
            fn one_like(&self) -> Self {
                ($(self.$idx.one_like(),)+)
            }
            fn same_shape(&self, other: &Self) -> bool {
                true $(&& self.$idx.same_shape(&other.$idx))+
            }
            fn conform_to(&mut self, like: &Self) {
                $(self.$idx.conform_to(&like.$idx);)+
            }
            fn set_zero(&mut self) {
                $(self.$idx.set_zero();)+
            }
            fn stale_like(&self) -> Self {
                ($(self.$idx.stale_like(),)+)
            }
        }
        impl<T, $($name: Scalars<T>),+> Scalars<T> for ($($name,)+) {
            fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
                $(self.$idx.for_each_scalar(f);)+
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
                $(self.$idx.for_each_scalar_mut(f);)+
            }
            fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
                $(self.$idx.for_each_slice(f);)+
            }
            fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
                $(self.$idx.for_each_slice_mut(f);)+
            }
            fn axpy_matching(&mut self, a: T, x: &Self)
            where
                T: Scalar,
            {
                $(self.$idx.axpy_matching(a, &x.$idx);)+
            }
            fn describe(&self, out: &mut String) {
                out.push('(');
                $(
                    if !out.ends_with('(') {
                        out.push_str(", ");
                    }
                    self.$idx.describe(out);
                )+
                out.push(')');
            }
        }
    };
}
impl_tuple_algebra!(A 0);
impl_tuple_algebra!(A 0, B 1);
impl_tuple_algebra!(A 0, B 1, C 2);
impl_tuple_algebra!(A 0, B 1, C 2, D 3);
impl_tuple_algebra!(A 0, B 1, C 2, D 3, E 4);
impl_tuple_algebra!(A 0, B 1, C 2, D 3, E 4, F 5);

impl Backprop for () {
    fn zero_like(&self) {}
    fn accumulate(&mut self, _: &()) {}
    fn one_like(&self) {}
}

impl<A: Backprop, const N: usize> Backprop for [A; N] {
    fn zero_like(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_like())
    }
    fn accumulate(&mut self, other: &Self) {
        self.iter_mut()
            .zip(other)
            .for_each(|(a, b)| a.accumulate(b));
    }
    fn one_like(&self) -> Self {
        core::array::from_fn(|i| self[i].one_like())
    }
    fn same_shape(&self, other: &Self) -> bool {
        self.iter().zip(other).all(|(a, b)| a.same_shape(b))
    }
    fn conform_to(&mut self, like: &Self) {
        self.iter_mut().zip(like).for_each(|(a, b)| a.conform_to(b))
    }
    fn set_zero(&mut self) {
        self.iter_mut().for_each(Backprop::set_zero)
    }
}

/// The walks of a sequence (an array or a `Vec`): item after item.
macro_rules! impl_sequence_scalars {
    ($ty:ty $(, $($g:tt)*)?) => {
        impl<T, A: Scalars<T> $(, $($g)*)?> Scalars<T> for $ty {
            fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
                self.iter().for_each(|a| a.for_each_scalar(f))
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
                self.iter_mut().for_each(|a| a.for_each_scalar_mut(f))
            }
            fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
                self.iter().for_each(|a| a.for_each_slice(f))
            }
            fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
                self.iter_mut().for_each(|a| a.for_each_slice_mut(f))
            }
            fn axpy_matching(&mut self, a: T, x: &Self)
            where
                T: Scalar,
            {
                self.iter_mut()
                    .zip(x.iter())
                    .for_each(|(s, x)| s.axpy_matching(a, x))
            }
            fn describe(&self, out: &mut String) {
                describe_seq(self.iter(), out)
            }
        }
    };
}
impl_sequence_scalars!([A; N], const N: usize);

/// Lengths may differ: the shorter side counts as padded with zeros, so no element is lost.
impl<A: Backprop> Backprop for Vec<A> {
    fn zero_like(&self) -> Self {
        self.iter().map(Backprop::zero_like).collect()
    }
    fn accumulate(&mut self, other: &Self) {
        let common = self.len().min(other.len());
        self.iter_mut()
            .zip(&other[..common])
            .for_each(|(a, b)| a.accumulate(b));
        self.extend_from_slice(&other[common..]);
    }
    fn one_like(&self) -> Self {
        self.iter().map(Backprop::one_like).collect()
    }
    fn same_shape(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.same_shape(b))
    }
    fn conform_to(&mut self, like: &Self) {
        self.truncate(like.len());
        self.iter_mut().zip(like).for_each(|(a, b)| a.conform_to(b));
        let have = self.len();
        self.extend(like[have..].iter().map(Backprop::zero_like));
    }
    fn set_zero(&mut self) {
        self.iter_mut().for_each(Backprop::set_zero)
    }
}

impl_sequence_scalars!(Vec<A>);

/// `None` counts as zero: `None + Some(y) == Some(y)`, and `None` stays `None` only when both are.
impl<A: Backprop> Backprop for Option<A> {
    fn zero_like(&self) -> Self {
        self.as_ref().map(Backprop::zero_like)
    }
    fn accumulate(&mut self, other: &Self) {
        match (self.as_mut(), other) {
            (Some(a), Some(b)) => a.accumulate(b),
            (None, Some(b)) => *self = Some(b.clone()),
            (_, None) => {}
        }
    }
    fn one_like(&self) -> Self {
        self.as_ref().map(Backprop::one_like)
    }
    fn same_shape(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => a.same_shape(b),
            (None, None) => true,
            _ => false,
        }
    }
    fn conform_to(&mut self, like: &Self) {
        match (self.as_mut(), like) {
            (Some(a), Some(b)) => a.conform_to(b),
            (None, Some(b)) => *self = Some(b.zero_like()),
            (_, None) => *self = None,
        }
    }
    fn set_zero(&mut self) {
        if let Some(a) = self {
            a.set_zero()
        }
    }
}

impl<T, A: Scalars<T>> Scalars<T> for Option<A> {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        if let Some(a) = self {
            a.for_each_scalar(f)
        }
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        if let Some(a) = self {
            a.for_each_scalar_mut(f)
        }
    }
    fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
        if let Some(a) = self {
            a.for_each_slice(f)
        }
    }
    fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
        if let Some(a) = self {
            a.for_each_slice_mut(f)
        }
    }
    fn axpy_matching(&mut self, a: T, x: &Self)
    where
        T: Scalar,
    {
        if let (Some(s), Some(x)) = (self, x) {
            s.axpy_matching(a, x)
        }
    }
    fn describe(&self, out: &mut String) {
        match self {
            Some(a) => {
                out.push_str("Some(");
                a.describe(out);
                out.push(')');
            }
            None => out.push_str("None"),
        }
    }
}

macro_rules! impl_map_algebra {
    ($map:ident, $($bound:tt)+) => {
        /// A key missing from one side counts as zero (a union of the keys).
        impl<K: $($bound)+, V: Backprop> Backprop for $map<K, V> {
            fn zero_like(&self) -> Self {
                self.iter().map(|(k, v)| (k.clone(), v.zero_like())).collect()
            }
            fn accumulate(&mut self, other: &Self) {
                for (k, v) in other {
                    match self.get_mut(k) {
                        Some(mine) => mine.accumulate(v),
                        None => {
                            self.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            fn one_like(&self) -> Self {
                self.iter().map(|(k, v)| (k.clone(), v.one_like())).collect()
            }
            fn same_shape(&self, other: &Self) -> bool {
                self.len() == other.len()
                    && self
                        .iter()
                        .all(|(k, v)| other.get(k).is_some_and(|w| v.same_shape(w)))
            }
            fn conform_to(&mut self, like: &Self) {
                self.retain(|k, _| like.contains_key(k));
                for (k, v) in like {
                    match self.get_mut(k) {
                        Some(mine) => mine.conform_to(v),
                        None => {
                            self.insert(k.clone(), v.zero_like());
                        }
                    }
                }
            }
            fn set_zero(&mut self) {
                self.values_mut().for_each(Backprop::set_zero)
            }
        }
    };
}

/// `{"key": value, ...}` in key order.
fn describe_map<'a, T, K: fmt::Debug + 'a, V: Scalars<T> + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
    out: &mut String,
) {
    out.push('{');
    for (k, v) in entries {
        if !out.ends_with('{') {
            out.push_str(", ");
        }
        out.push_str(&format!("{k:?}: "));
        v.describe(out);
    }
    out.push('}');
}
impl_map_algebra!(HashMap, Clone + Eq + Hash);
impl_map_algebra!(BTreeMap, Clone + Ord);

/// In key order, so two maps with the same keys are walked alike.
impl<T, K: Ord + Eq + Hash + fmt::Debug, V: Scalars<T>> Scalars<T> for HashMap<K, V> {
    fn describe(&self, out: &mut String) {
        let mut entries: Vec<(&K, &V)> = self.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        describe_map(entries.into_iter(), out)
    }
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        let mut keys: Vec<&K> = self.keys().collect();
        keys.sort();
        keys.into_iter().for_each(|k| self[k].for_each_scalar(f))
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        let mut entries: Vec<(&K, &mut V)> = self.iter_mut().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
            .into_iter()
            .for_each(|(_, v)| v.for_each_scalar_mut(f))
    }
    fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
        let mut keys: Vec<&K> = self.keys().collect();
        keys.sort();
        keys.into_iter().for_each(|k| self[k].for_each_slice(f))
    }
    fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
        let mut entries: Vec<(&K, &mut V)> = self.iter_mut().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
            .into_iter()
            .for_each(|(_, v)| v.for_each_slice_mut(f))
    }
    fn axpy_matching(&mut self, a: T, x: &Self)
    where
        T: Scalar,
    {
        // Entry by entry, in any order: each key's values meet directly.
        for (k, v) in self.iter_mut() {
            if let Some(xv) = x.get(k) {
                v.axpy_matching(a, xv);
            }
        }
    }
}

/// In key order, so two maps with the same keys are walked alike.
impl<T, K: Ord + fmt::Debug, V: Scalars<T>> Scalars<T> for BTreeMap<K, V> {
    fn describe(&self, out: &mut String) {
        describe_map(self.iter(), out)
    }
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        self.values().for_each(|v| v.for_each_scalar(f))
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        self.values_mut().for_each(|v| v.for_each_scalar_mut(f))
    }
    fn for_each_slice(&self, f: &mut dyn FnMut(&[T])) {
        self.values().for_each(|v| v.for_each_slice(f))
    }
    fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [T])) {
        self.values_mut().for_each(|v| v.for_each_slice_mut(f))
    }
    fn axpy_matching(&mut self, a: T, x: &Self)
    where
        T: Scalar,
    {
        // The same keys (checked), so the same order.
        self.values_mut()
            .zip(x.values())
            .for_each(|(v, xv)| v.axpy_matching(a, xv))
    }
}
