//! Static tensors: [`Vector`] and [`Matrix`], whose dimensions are typenum types.
//!
//! Storage is chosen by the type: up to [`INLINE_LEN`] elements live inline in an array of
//! exactly the tensor's length (`Vector<f64, U2>` is 16 bytes; no heap allocation, so small
//! layers cost no allocation per node); larger ones live in one boxed slice, so a 300x784 matrix
//! never touches the stack. Each dimension's [`Dim::Size`](crate::Dim::Size) makes the choice,
//! so nothing branches at run time. Tensors convert to and from `generic_array::GenericArray`.

mod arith;
mod error;
mod generic_array_impls;
mod matrix;
mod pool;
#[cfg(feature = "serde")]
mod serde_impls;
#[doc(hidden)]
pub mod storage;
mod vector;

pub use error::ShapeError;
pub use matrix::Matrix;
pub use storage::INLINE_LEN;
pub use vector::Vector;

use crate::Scalar;

/// A value made of scalars laid out in one contiguous slice: a scalar, a [`Vector`] or a
/// [`Matrix`]. Elementwise operations, reductions and kernels work through this view.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::Tensor;
/// let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
/// assert_eq!(v.as_slice(), &[1.0, 2.0, 3.0]);
/// assert_eq!(2.5_f64.as_slice(), &[2.5]);
/// assert!(<f64 as Tensor>::IS_SCALAR && !<Vector<f64, U3> as Tensor>::IS_SCALAR);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scalar, a vector or a matrix",
    label = "this operation works elementwise on a scalar, a vector or a matrix"
)]
pub trait Tensor: crate::Backprop {
    /// Seals the trait: the tensors are this crate's (scalars, [`Vector`], [`Matrix`]).
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The scalar type of the elements.
    type Elem: Scalar;
    /// Number of elements, known from the type.
    const LEN: usize;
    /// True for a bare scalar (which broadcasts against any tensor).
    const IS_SCALAR: bool;
    /// The elements, row-major for matrices.
    fn as_slice(&self) -> &[Self::Elem];
    /// The elements, mutably.
    fn as_mut_slice(&mut self) -> &mut [Self::Elem];
    /// A tensor of this shape with every element equal to `value`.
    fn filled(value: Self::Elem) -> Self;
    /// Builds a tensor of this shape from a function of the flat index.
    fn from_flat_fn(f: impl FnMut(usize) -> Self::Elem) -> Self;
    /// The tensor of the same shape with elements of type `U` (how a value is lifted to dual
    /// numbers for second derivatives, see [`tangent`](crate::tangent)).
    type Rebind<U: Scalar>: Tensor<Elem = U>;
}

impl<T: Scalar> Tensor for T {
    crate::expr::seal!();
    type Elem = T;
    type Rebind<U: Scalar> = U;
    const LEN: usize = 1;
    const IS_SCALAR: bool = true;
    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        core::slice::from_ref(self)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        core::slice::from_mut(self)
    }
    #[inline(always)]
    fn filled(value: T) -> T {
        value
    }
    #[inline(always)]
    fn from_flat_fn(mut f: impl FnMut(usize) -> T) -> T {
        f(0)
    }
}
