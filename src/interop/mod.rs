//! Conversions to and from the linear-algebra crates your data may already live in, each behind
//! a feature of its own name:
//!
//! - `nalgebra`: `SVector` and `SMatrix` convert to and from [`Vector`](crate::Vector) and
//!   [`Matrix`](crate::Matrix) with `From`/`Into` (the sizes must agree at compile time), and
//!   nalgebra's static matrices are [`Backprop`] values themselves (see the module
//!   `interop::nalgebra`).
//! - `ndarray`: `ArrayView1` and `ArrayView2` convert into tensors with `TryFrom`, returning a
//!   [`ShapeError`](crate::ShapeError) when the run-time size differs from the static one;
//!   tensors convert back into owned arrays and into views that borrow their storage (see the
//!   module `interop::ndarray`).
//!
//! ```toml
//! [dependencies]
//! backprop = { version = "0.1", features = ["nalgebra", "ndarray"] }
//! ```
//!
//! [`Backprop`]: crate::Backprop

#[cfg(feature = "nalgebra")]
pub mod nalgebra;
#[cfg(feature = "ndarray")]
pub mod ndarray;
