//! Reads the US Core 6.1.0 examples (as the `us_core_json` benchmark does)
//! into the profile types, into `serde_json::Value` (`serde`) or into the
//! base R4 types (`base`), many times: a fixed workload for callgrind / perf.
//!
//! `valgrind --tool=callgrind --toggle-collect='*_pass*' target/release/examples/us_core_read [profile|serde|base] [ROUNDS]`
use std::path::Path;

use fhirgen::package::{Package, packages_folder};
use us_core_6_1_0::ProfiledResource;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let package =
        Package::from_archive(&packages_folder(root).join("hl7.fhir.us.core-6.1.0.tgz")).unwrap();
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
    let examples: Vec<Vec<u8>> = resources
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .filter(|b| ProfiledResource::from_json(b).is_ok_and(|r| r.profile().is_some()))
        .collect();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let mut count = 0;
    for _ in 0..rounds {
        count += match mode.as_str() {
            "serde" => serde_pass(&examples),
            "base" => base_pass(&examples),
            _ => profile_pass(&examples),
        };
    }
    println!("{count}");
}

#[inline(never)]
fn profile_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(ProfiledResource::from_json(b)).is_ok())
        .count()
}

#[inline(never)]
fn serde_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(serde_json::from_slice::<serde_json::Value>(b)).is_ok())
        .count()
}

#[inline(never)]
fn base_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(fhir_r4::Resource::from_json(b)).is_ok())
        .count()
}
