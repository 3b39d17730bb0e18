//! The error returned when runtime-sized data does not fit a static shape.

use core::fmt;

/// Runtime-sized data did not have the length a static shape needs.
///
/// ```
/// use backprop::prelude::*;
/// let err = Vector::<f64, U3>::try_from_slice(&[1.0, 2.0]).unwrap_err();
/// assert_eq!((err.expected, err.actual), (3, 2));
/// assert_eq!(err.to_string(), "Vector<_, 3>: expected 3 elements, got 2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// The shape that was being built, such as `Vector<_, 3>` or `Matrix<_, 2, 3>`.
    pub shape: String,
    /// How many elements (or rows, or columns) the shape needs.
    pub expected: usize,
    /// How many were given.
    pub actual: usize,
    /// What was counted: "elements", "rows" or "columns in row 2".
    pub what: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {} {}, got {}",
            self.shape, self.expected, self.what, self.actual
        )
    }
}

impl std::error::Error for ShapeError {}
