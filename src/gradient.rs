//! The gradient algebra: [`Backprop`] (Haskell's class of the same name) and [`Scalars`], a
//! walk over every scalar of a value.

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
}

impl<T: Scalar> Scalars<T> for T {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        f(*self)
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        f(self)
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
        }
        impl<T: Scalar, $($d: Dim),+> Scalars<T> for $ty<T, $($d),+> {
            fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
                self.iter().for_each(|&x| f(x))
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
                self.iter_mut().for_each(f)
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
        }
        impl<T, $($name: Scalars<T>),+> Scalars<T> for ($($name,)+) {
            fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
                $(self.$idx.for_each_scalar(f);)+
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
                $(self.$idx.for_each_scalar_mut(f);)+
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
}

impl<T, A: Scalars<T>, const N: usize> Scalars<T> for [A; N] {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        self.iter().for_each(|a| a.for_each_scalar(f))
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        self.iter_mut().for_each(|a| a.for_each_scalar_mut(f))
    }
}

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
}

impl<T, A: Scalars<T>> Scalars<T> for Vec<A> {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        self.iter().for_each(|a| a.for_each_scalar(f))
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        self.iter_mut().for_each(|a| a.for_each_scalar_mut(f))
    }
}

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
        }
    };
}
impl_map_algebra!(HashMap, Clone + Eq + Hash);
impl_map_algebra!(BTreeMap, Clone + Ord);

/// In key order, so two maps with the same keys are walked alike.
impl<T, K: Ord + Eq + Hash, V: Scalars<T>> Scalars<T> for HashMap<K, V> {
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
}

/// In key order, so two maps with the same keys are walked alike.
impl<T, K: Ord, V: Scalars<T>> Scalars<T> for BTreeMap<K, V> {
    fn for_each_scalar(&self, f: &mut dyn FnMut(T)) {
        self.values().for_each(|v| v.for_each_scalar(f))
    }
    fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut T)) {
        self.values_mut().for_each(|v| v.for_each_scalar_mut(f))
    }
}
