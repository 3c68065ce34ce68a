//! The library API over the official packages: loading, dependencies,
//! canonical resolution, typed parsing of every conformance resource, and
//! value-set expansion of everything the packages define.

mod common;

use common::{load, shared_packages};

use std::path::Path;

use fhirgen::conformance::{CodeSystem, StructureDefinition, ValueSet};
use fhirgen::package::DependencyStatus;
use fhirgen::terminology::{Expander, Expansion};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct Definitions {
    package: Vec<PinnedPackage>,
}

#[derive(Deserialize)]
struct PinnedPackage {
    name: String,
    version: String,
    sha256: String,
}

#[test]
fn shared_packages_are_the_pinned_ones() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions/packages.toml"),
    )
    .unwrap();
    let definitions: Definitions = toml::from_str(&text).unwrap();
    assert_eq!(definitions.package.len(), 5);
    for pinned in definitions.package {
        let path = shared_packages().join(format!("{}-{}.tgz", pinned.name, pinned.version));
        let digest: String = Sha256::digest(std::fs::read(&path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            pinned.sha256,
            "{} differs from definitions/packages.toml",
            path.display()
        );
    }
}

#[test]
fn us_core_6_depends_on_r4_core_and_names_what_is_missing() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let ids: Vec<String> = set.packages().iter().map(|p| p.id().to_string()).collect();
    assert_eq!(ids, ["hl7.fhir.us.core@6.1.0", "hl7.fhir.r4.core@4.0.1"]);
    let deps = set.dependencies_of(0);
    assert_eq!(deps.len(), 9);
    assert!(
        matches!(&deps[0].status, DependencyStatus::Loaded(id) if id.to_string() == "hl7.fhir.r4.core@4.0.1")
    );
    let missing: Vec<&str> = deps
        .iter()
        .filter(|d| matches!(d.status, DependencyStatus::Missing(_)))
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(missing.len(), 8);
    assert!(missing.contains(&"us.nlm.vsac"));
    assert_eq!(set.warnings().len(), 8);
    assert_eq!(set.root().examples().len(), 183);
    assert!(
        set.root()
            .examples()
            .iter()
            .all(|e| e.filename.starts_with("example/"))
    );
}

#[test]
fn canonical_urls_resolve_with_and_without_versions() {
    let set = load("hl7.fhir.us.core@7.0.0");
    let patient = "http://hl7.org/fhir/StructureDefinition/Patient";
    let found = set.resolve(patient).unwrap();
    assert_eq!(
        set.package_of(found).id().to_string(),
        "hl7.fhir.r4.core@4.0.1"
    );
    assert_eq!(set.resolve(&format!("{patient}|4.0.1")), Some(found));
    assert_eq!(set.resolve(&format!("{patient}|3.0.2")), None);
    let error = set
        .resolve_as::<StructureDefinition>(&format!("{patient}|3.0.2"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("version 3.0.2 wanted; loaded versions: 4.0.1"),
        "{error}"
    );

    let us_core_patient = set
        .resolve("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient")
        .unwrap();
    assert_eq!(
        set.package_of(us_core_patient).id().to_string(),
        "hl7.fhir.us.core@7.0.0"
    );
    let definition = set.parse::<StructureDefinition>(us_core_patient).unwrap();
    assert_eq!(definition.version.as_deref(), Some("7.0.0"));

    // Every kind the generator looks up resolves.
    for (url, kind) in [
        (
            "http://hl7.org/fhir/us/core/ValueSet/us-core-usps-state",
            "ValueSet",
        ),
        (
            "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
            "CodeSystem",
        ),
        (
            "http://hl7.org/fhir/us/core/SearchParameter/us-core-patient-gender",
            "SearchParameter",
        ),
        (
            "http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server",
            "CapabilityStatement",
        ),
        (
            "http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core",
            "ImplementationGuide",
        ),
    ] {
        let found = set
            .resolve(url)
            .unwrap_or_else(|| panic!("{url} not resolved"));
        assert_eq!(set.entry(found).resource_type, kind);
    }
}

/// StructureDefinitions published without a snapshot: R4 core's two examples
/// of a Composition profile, shipped as differentials only.
const WITHOUT_SNAPSHOT: [&str; 2] = [
    "http://hl7.org/fhir/StructureDefinition/example-composition",
    "http://hl7.org/fhir/StructureDefinition/example-section-library",
];

/// Every StructureDefinition, ValueSet and CodeSystem of every package parses
/// into the typed models, and every StructureDefinition has a snapshot but
/// the two listed above.
#[test]
fn every_conformance_resource_parses() {
    for id in [
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
    ] {
        let set = load(id);
        let mut counts = [0usize; 3];
        for package in set.packages() {
            for entry in package.resources() {
                match entry.resource_type.as_str() {
                    "StructureDefinition" => {
                        let definition = package.parse::<StructureDefinition>(entry).unwrap();
                        let has_snapshot = definition
                            .snapshot_elements()
                            .is_some_and(|e| !e.is_empty());
                        assert_eq!(
                            has_snapshot,
                            !WITHOUT_SNAPSHOT.contains(&definition.url.as_str()),
                            "{}",
                            definition.url
                        );
                        counts[0] += 1;
                    }
                    "ValueSet" => {
                        package.parse::<ValueSet>(entry).unwrap();
                        counts[1] += 1;
                    }
                    "CodeSystem" => {
                        package.parse::<CodeSystem>(entry).unwrap();
                        counts[2] += 1;
                    }
                    _ => {}
                }
            }
        }
        println!(
            "{id}: {} StructureDefinitions, {} ValueSets, {} CodeSystems parsed",
            counts[0], counts[1], counts[2]
        );
        assert!(
            counts[0] > 658 && counts[1] > 1316 && counts[2] > 1062,
            "{id}: {counts:?}"
        );
    }
}

/// Every value set of R4 and US Core either expands or says why not; none
/// fails. The counts are printed, and a few known facts pinned.
#[test]
fn every_value_set_expands_or_says_why() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let expander = Expander::new(&set);
    let (mut enumerated, mut not_expandable) = (0, 0);
    let value_sets: Vec<String> = set
        .resources_of_type("ValueSet")
        .filter_map(|r| set.entry(r).url.clone())
        .collect();
    for url in &value_sets {
        match expander.expand(url).unwrap() {
            Expansion::Enumerated(_) => enumerated += 1,
            Expansion::NotExpandable(reason) => {
                assert!(!reason.is_empty());
                not_expandable += 1;
            }
        }
    }
    println!(
        "{} value sets: {enumerated} enumerated, {not_expandable} not expandable offline",
        value_sets.len()
    );
    assert!(enumerated > 700, "{enumerated}");
    let count = |url: &str| expander.expand(url).unwrap().codes().map(<[_]>::len);
    assert_eq!(
        count("http://hl7.org/fhir/ValueSet/administrative-gender"),
        Some(4)
    );
    assert_eq!(
        count("http://hl7.org/fhir/ValueSet/observation-status"),
        Some(8)
    );
    assert_eq!(
        count("http://hl7.org/fhir/us/core/ValueSet/us-core-problem-or-health-concern"),
        Some(2)
    );
    assert_eq!(
        count("http://hl7.org/fhir/us/core/ValueSet/us-core-narrative-status"),
        Some(2)
    );
    assert_eq!(
        count("http://hl7.org/fhir/ValueSet/observation-codes"),
        None,
        "LOINC is external"
    );
}

#[test]
fn r4_examples_are_listed_as_resources() {
    let set = load("hl7.fhir.r4.examples@4.0.1");
    let package = set.root();
    assert_eq!(package.resources().len(), 718);
    let patients = package
        .resources()
        .iter()
        .filter(|e| e.resource_type == "Patient")
        .count();
    assert_eq!(patients, 22);
    for entry in package.resources() {
        let json = package.json(&entry.filename).unwrap();
        assert_eq!(json["resourceType"], entry.resource_type.as_str());
    }
}

/// Every profile and extension of every US Core version can be inspected:
/// snapshot read, every binding expanded or explained.
#[test]
fn every_us_core_profile_can_be_inspected() {
    use fhirgen::inspect::ProfileView;
    for id in [
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
    ] {
        let set = load(id);
        let expander = Expander::new(&set);
        let profiles: Vec<_> = set
            .resources_of_type("StructureDefinition")
            .filter(|&r| set.package_of(r).id() == set.root().id())
            .collect();
        let mut elements = 0;
        for &profile in &profiles {
            let view = ProfileView::build(&set, &expander, profile).unwrap();
            assert!(!view.elements.is_empty());
            elements += view.elements.len();
        }
        println!(
            "{id}: {} profiles and extensions, {elements} snapshot elements",
            profiles.len()
        );
        assert!(profiles.len() >= 30, "{id}");
    }
}

/// The runtime's list of R4 resource types (which a literal reference's type
/// segment must be one of) is the package's, as the generator reads it.
#[test]
fn the_runtime_knows_the_r4_resource_types() {
    let set = load("hl7.fhir.r4.core@4.0.1");
    let types = fhirgen::ir::build_base_types(&set).unwrap();
    assert_eq!(
        fhirgen_runtime::R4_RESOURCE_TYPES,
        types.resources.as_slice()
    );
}
