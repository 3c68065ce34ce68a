//! SMART scope strings as a token carries them: no panic; a granular
//! scope's query is read as a search (against US Core 6.1.0's parameters).
#![no_main]

use fhirgen_search::{Matcher, Scopes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let matcher = Matcher::new(us_core_6_1_0::search::registry());
    if let Ok(scopes) = Scopes::parse(text, &matcher) {
        assert!(scopes.granted.len() + scopes.ignored.len() <= text.split_ascii_whitespace().count());
    }
});
