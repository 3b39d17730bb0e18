//! nalgebra's statically sized vectors and matrices (the `nalgebra` feature).
//!
//! **Conversions.** `SVector<T, K>` and `Vector<T, UK>` convert both ways with `From`/`Into`,
//! and so do `SMatrix<T, R, C>` and `Matrix<T, UR, UC>`: nalgebra sizes its types with const
//! generics, this crate with typenum types, and the two meet through typenum's const-generic
//! mapping (`U<3>` is `U3`), so a size mismatch is a compile error as usual. That mapping covers sizes
//! up to 1024 (above, convert through a slice with `try_from_slice`). nalgebra stores
//! matrices column by column and this crate row by row; the conversions copy element by
//! element, `(r, c)` to `(r, c)`, so the matrices are equal as matrices, not as buffers.
//!
//! ```
//! use backprop::prelude::*;
//! use nalgebra::{matrix, vector, SMatrix, SVector};
//!
//! let x: Vector<f64, U3> = vector![1.0, 2.0, 3.0].into();
//! let w: Matrix<f64, U2, U3> = matrix![1.0, 0.0, 2.0; 0.0, 1.0, 0.0].into();
//! assert_eq!(w[(0, 2)], 2.0);
//!
//! // The gradient of a computation on backprop's types, back in nalgebra's.
//! let dw: SMatrix<f64, 2, 3> = grad(|w| w.matvec(constant(&x)).sum(), &w).into();
//! assert_eq!(dw, matrix![1.0, 2.0, 3.0; 1.0, 2.0, 3.0]);
//! let back: SVector<f64, 3> = x.into();
//! assert_eq!(back, vector![1.0, 2.0, 3.0]);
//! ```
//!
//! **As values.** `SMatrix<T, R, C>` (and so `SVector<T, K>`) implements [`Backprop`],
//! [`Scalars`] and [`Input`] for the crate's scalar types: a nalgebra matrix can be an input,
//! a field of a `#[derive(Backprop)]` record, or the value of an operation you lift with
//! [`op`](crate::op), and its gradient comes back as a nalgebra matrix. The crate's built-in
//! operations (`matvec`, `tanh`, ...) are written for its own tensors; convert at the edges to
//! use them, or lift nalgebra's functions with `op`:
//!
//! ```
//! use backprop::prelude::*;
//! use nalgebra::{vector, SVector};
//!
//! // ||v||² through nalgebra's own norm, with its gradient 2v written by hand.
//! let norm2 = |v: &SVector<f64, 2>| (v.norm_squared(), |d: &f64, v: &SVector<f64, 2>| v * (2.0 * d));
//! let g = grad(|v| op(v, norm2) * 3.0, &vector![1.0, -2.0]);
//! assert_eq!(g, vector![6.0, -12.0]);
//! ```
//!
//! The orphan rule allows these impls because [`Backprop`], [`Scalars`] and [`Input`] are
//! this crate's traits. It does not allow nalgebra's operators (`+`, `*`) on this crate's
//! tensors, nor this crate's expression methods on nalgebra's types, which is why conversions
//! are the way across.

use nalgebra::SMatrix;
use typenum::{Const, ToUInt, U};

use crate::dims::ToDim;
use crate::expr::{Ex, Input, Path, Placeholder};
use crate::{Backprop, Matrix, Scalar, Scalars, Vector};

impl<T: Scalar, const K: usize> From<nalgebra::SVector<T, K>> for Vector<T, <U<K> as ToDim>::Dim>
where
    Const<K>: ToUInt,
    U<K>: ToDim,
{
    fn from(v: nalgebra::SVector<T, K>) -> Self {
        Self::from_fn(|i| v[i])
    }
}

impl<T: Scalar, const K: usize> From<Vector<T, <U<K> as ToDim>::Dim>> for nalgebra::SVector<T, K>
where
    Const<K>: ToUInt,
    U<K>: ToDim,
{
    fn from(v: Vector<T, <U<K> as ToDim>::Dim>) -> Self {
        Self::from_fn(|i, _| v[i])
    }
}

impl<T: Scalar, const R: usize, const C: usize> From<SMatrix<T, R, C>>
    for Matrix<T, <U<R> as ToDim>::Dim, <U<C> as ToDim>::Dim>
where
    Const<R>: ToUInt,
    U<R>: ToDim,
    Const<C>: ToUInt,
    U<C>: ToDim,
{
    fn from(m: SMatrix<T, R, C>) -> Self {
        Self::from_fn(|r, c| m[(r, c)])
    }
}

impl<T: Scalar, const R: usize, const C: usize>
    From<Matrix<T, <U<R> as ToDim>::Dim, <U<C> as ToDim>::Dim>> for SMatrix<T, R, C>
where
    Const<R>: ToUInt,
    U<R>: ToDim,
    Const<C>: ToUInt,
    U<C>: ToDim,
{
    fn from(m: Matrix<T, <U<R> as ToDim>::Dim, <U<C> as ToDim>::Dim>) -> Self {
        Self::from_fn(|r, c| m[(r, c)])
    }
}

/// A nalgebra static matrix is a gradient of its own shape.
///
/// ```
/// use backprop::Backprop;
/// use nalgebra::matrix;
/// let mut g = matrix![1.0_f64, 2.0; 3.0, 4.0];
/// g.accumulate(&g.one_like());
/// assert_eq!(g, matrix![2.0, 3.0; 4.0, 5.0]);
/// assert_eq!(g.zero_like(), matrix![0.0, 0.0; 0.0, 0.0]);
/// ```
impl<T: Scalar, const R: usize, const C: usize> Backprop for SMatrix<T, R, C> {
    fn zero_like(&self) -> Self {
        Self::from_element(T::zero())
    }
    fn accumulate(&mut self, other: &Self) {
        crate::kernels::add_assign(self.as_mut_slice(), other.as_slice());
    }
    fn one_like(&self) -> Self {
        Self::from_element(T::one())
    }
    fn set_zero(&mut self) {
        self.fill(T::zero());
    }
}

/// The scalars of a nalgebra matrix, in its own (column-major) storage order, as one run.
///
/// ```
/// use backprop::Scalars;
/// use nalgebra::matrix;
/// let mut p = matrix![1.0_f64, 2.0; 3.0, 4.0];
/// p.axpy(-1.0, &matrix![1.0, 1.0; 1.0, 1.0])?;
/// assert_eq!(p, matrix![0.0, 1.0; 2.0, 3.0]);
/// let mut s = String::new();
/// p.describe(&mut s);
/// assert_eq!(s, "SMatrix<2, 2>");
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
impl<T: Scalar, const R: usize, const C: usize> Scalars<T> for SMatrix<T, R, C> {
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
        out.push_str(&format!("SMatrix<{R}, {C}>"));
    }
}

/// A nalgebra matrix is one placeholder (read it through operations lifted with
/// [`op`](crate::op), or convert it).
///
/// ```
/// use backprop::prelude::*;
/// use nalgebra::{vector, SVector};
/// // The sum of the elements, as an op on the nalgebra vector.
/// let total = |v: &SVector<f64, 3>| (v.sum(), |d: &f64, _: &SVector<f64, 3>| SVector::repeat(*d));
/// let (y, g) = value_and_grad(|(v, s)| op(v, total) * s, &(vector![1.0, 2.0, 3.0], 2.0_f64));
/// assert_eq!((y, g), (12.0, (vector![2.0, 2.0, 2.0], 6.0)));
/// ```
impl<T: Scalar, const R: usize, const C: usize> Input for SMatrix<T, R, C> {
    type Ph<P: Path> = Ex<Placeholder<Self, P>>;
    fn placeholder<P: Path>() -> Self::Ph<P> {
        Ex(Placeholder::new())
    }
}
