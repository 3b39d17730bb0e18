//! Compile-fail tests: shape errors are compile errors, with the snapshots of their messages
//! in `tests/ui/*.stderr` (regenerate with `TRYBUILD=overwrite cargo test --test ui`); and the
//! sealed traits cannot be implemented outside the crate (`tests/sealed/`).

#[test]
fn shape_errors_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[test]
fn sealed_traits_cannot_be_implemented_by_users() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/sealed/*.rs");
}
