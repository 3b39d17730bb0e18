//! Guides that go beyond the API reference.

#[doc = include_str!("shape_errors.md")]
pub mod shape_errors {}
