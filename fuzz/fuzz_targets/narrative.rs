//! The narrative XHTML check on any text: no panic; what the one-pass scan
//! accepts, the full (quick-xml) check accepts too: the scan is a shortcut
//! for narratives in their plain form, never a looser rule.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (plain, full) = fhirgen_runtime::__narrative_checks(text);
    assert!(
        !plain || full.is_ok(),
        "the scan accepted what the full check refuses ({full:?}): {text:?}"
    );
});
