//! The R4 reader on any bytes: no panic, no overflow; what it reads it
//! writes back, and the written JSON reads again to the same JSON; the
//! constraints can be checked on it; the tree reader (what `validate` and
//! `fhirpath` use) gives the same verdict on the structure of JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tree = fhirgen_runtime::tree::Json::parse(data);
    if let Ok(tree) = &tree {
        let _ = tree.to_value();
    }
    let Ok(resource) = fhir_r4::Resource::from_json_unchecked(data) else {
        return;
    };
    // Whatever the typed reader takes is JSON the tree reader takes.
    assert!(
        tree.is_ok(),
        "the typed read took what the tree refused: {tree:?}"
    );
    let _ = resource.check_constraints();
    let written = resource.to_json();
    let again = fhir_r4::Resource::from_json_unchecked(&written)
        .unwrap_or_else(|e| panic!("what was written does not read back: {e}"));
    assert_eq!(again.to_json(), written, "read-write-read is not stable");
});
