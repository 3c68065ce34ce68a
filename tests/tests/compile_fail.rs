//! What must not compile, with the compiler's message checked
//! (`tests/compile_fail/*.stderr`; `TRYBUILD=overwrite` rewrites them after a
//! deliberate change).

#[test]
fn profile_rules_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("compile_fail/*.rs");
}
