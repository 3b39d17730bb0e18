//! Guides that go beyond the API reference. Every code block in them is a doctest.
//!
//! - [`guide`]: the library from zero, in the order a newcomer needs it.
//! - [`equipping`]: for authors of other crates, making their own types work with `backprop`.
//! - [`shape_errors`]: what the compiler says when shapes do not match, and what to do.

#[doc = include_str!("guide.md")]
pub mod guide {}

#[doc = include_str!("equipping.md")]
pub mod equipping {}

#[doc = include_str!("shape_errors.md")]
pub mod shape_errors {}
