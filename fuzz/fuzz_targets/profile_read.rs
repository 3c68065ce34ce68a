//! The US Core profile readers (6.1.0 and 7.0.0) on any bytes: no panic, no
//! overflow; what they read they write back, and it reads again the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(resource) = us_core_6_1_0::ProfiledResource::from_json(data) {
        let written = resource.to_json();
        let again = us_core_6_1_0::ProfiledResource::from_json_unchecked(&written)
            .unwrap_or_else(|e| panic!("US Core 6.1.0: what was written does not read back: {e}"));
        assert_eq!(again.to_json(), written, "US Core 6.1.0: not stable");
    }
    // A lenient read keeps what a strict one refuses (codes outside a
    // required value set, as issues): what it writes reads back leniently.
    if let Ok((resource, _)) = us_core_7_0_0::ProfiledResource::from_json_lenient(data) {
        let _ = resource.check_constraints();
        let written = resource.to_json();
        let (again, _) = us_core_7_0_0::ProfiledResource::from_json_lenient(&written)
            .unwrap_or_else(|e| panic!("US Core 7.0.0: what was written does not read back: {e}"));
        assert_eq!(again.to_json(), written, "US Core 7.0.0: not stable");
    }
});
