//! Compile-fail tests: shape errors are compile errors, with the snapshots of their messages
//! in `tests/ui/*.stderr` (regenerate with `TRYBUILD=overwrite cargo test --test ui`).

#[test]
fn shape_errors_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
