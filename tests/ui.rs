//! Compile-time behaviour of the node macros: what must compile (`tests/ui/pass`) and what
//! must not, with the exact error each misuse gets (`tests/ui/fail/*.stderr`).
//!
//! Regenerate the expected errors after a deliberate change with
//! `TRYBUILD=overwrite cargo test --test ui`, then read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
