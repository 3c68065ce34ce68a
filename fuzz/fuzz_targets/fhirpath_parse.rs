//! The FHIRPath parser on any text: no panic, no overflow; what it parses,
//! it type-checks against nothing in particular without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = fhirgen_fhirpath::parse(text);
});
