//! Query strings as a server receives them, read against US Core 6.1.0's
//! typed searches: no panic; what parses is written back and parses to the
//! same search (the client's and the server's sides agree), and is matched
//! against a few typed resources without a panic.
#![no_main]

use std::sync::OnceLock;

use fhirgen_runtime::AnyResource;
use fhirgen_runtime::typed::{Node, Typed};
use fhirgen_search::{Handling, Matcher, Search};
use libfuzzer_sys::fuzz_target;

/// Resources with an element of each kind searches look at.
const RESOURCES: &[&str] = &[
    r#"{"resourceType":"Patient","id":"p1","identifier":[{"system":"http://x.org","value":"1","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]}}],"name":[{"family":"Renée","given":["Ôscar"]}],"gender":"female","birthDate":"1987-02-20","address":[{"city":"Mounds","state":"OK","postalCode":"74047"}],"telecom":[{"system":"phone","value":"555"}]}"#,
    r#"{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}],"text":"Lab"}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2020-01-01T10:00:00+05:00"},"valueQuantity":{"value":44,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":1e-20,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}"#,
    r#"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"http://x.org/fhir/Patient/p1/_history/2"},"period":{"end":"2015"}}"#,
];

fn resources() -> &'static [fhir_r4::Resource] {
    static PARSED: OnceLock<Vec<fhir_r4::Resource>> = OnceLock::new();
    PARSED.get_or_init(|| {
        RESOURCES
            .iter()
            .map(|json| fhir_r4::Resource::from_json(json.as_bytes()).expect("a valid resource"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = us_core_6_1_0::search::registry();
    let Ok(search) = Search::parse(registry, text, Handling::Strict) else {
        return;
    };
    let written = search.to_string();
    if written.len() <= fhirgen_search::query::MAX_QUERY_BYTES {
        let again = Search::parse(registry, &written, Handling::Strict)
            .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
        assert_eq!(again, search, "{text:?} written as {written:?}");
    }
    let _ = Search::parse(registry, text, Handling::Lenient);
    let matcher = Matcher::new(registry);
    for resource in resources() {
        let root = Node::Resource(resource.as_object());
        let model = Typed::new(us_core_6_1_0::constraints::CATALOG.bases(), root);
        let _ = matcher.matches(&search, &model, &root);
    }
});
