// R4 requires `Bundle.entry.request.url` (1..1): the base types' builders
// hold the specification's cardinality as the profile types hold a profile's.
use fhir_r4::{BundleEntryRequest, HttpVerb};

fn main() {
    let _request = BundleEntryRequest::builder().method(HttpVerb::Get).build();
}
