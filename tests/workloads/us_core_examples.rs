//! The workload of the US Core read benchmark and its profiling example: the
//! US Core 6.1.0 examples and Bundle entries that claim one of its profiles,
//! compact, as a server receives them. Included with `#[path]`.

use std::path::Path;

use fhirgen::package::{Package, packages_folder};
use us_core_6_1_0::ProfiledResource;

pub fn claimed_examples() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let archive = packages_folder(root.parent().unwrap()).join("hl7.fhir.us.core-6.1.0.tgz");
    let package = Package::from_archive(&archive).unwrap();
    let mut resources = Vec::new();
    for entry in package.examples() {
        let value = package.json(&entry.filename).unwrap();
        if value["resourceType"] == "Bundle" {
            for item in value["entry"].as_array().into_iter().flatten() {
                resources.push(item["resource"].clone());
            }
        } else {
            resources.push(value);
        }
    }
    resources
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .filter(|bytes| ProfiledResource::from_json(bytes).is_ok_and(|r| r.profile().is_some()))
        .collect()
}
