//! crate docs placeholder
#![deny(missing_docs)]

pub mod check;
pub mod entry;
pub mod expr;
mod gradient;
pub mod kernels;
pub mod ops;
mod scalar;
pub mod tensor;

pub use check::{check_grad, GradCheck};
pub use entry::{eval, grad, value_and_grad, value_and_grad_acc, vjp};
pub use expr::{constant, Bind, Ex};
pub use gradient::{Backprop, Scalars};
pub use ops::custom::op;
pub use ops::loss::{cross_entropy, softmax_cross_entropy, squared_error};
pub use scalar::Scalar;
pub use tensor::{Matrix, ShapeError, Tensor, Vector, INLINE_LEN};

/// Everything a user needs, in one import: `use backprop::prelude::*;`.
///
/// ```
/// use backprop::prelude::*;
/// let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
/// assert_eq!(grad(|v| v.dot(v), &v), Vector::from([2.0, 4.0, 6.0]));
/// ```
pub mod prelude {
    pub use crate::expr::{Root, Var, Z};
    pub use crate::{
        check_grad, constant, cross_entropy, eval, grad, op, softmax_cross_entropy, squared_error,
        value_and_grad, value_and_grad_acc, vjp, Backprop, Bind, Ex, Matrix, Scalars, Vector,
    };
    pub use typenum::consts::*;
}
