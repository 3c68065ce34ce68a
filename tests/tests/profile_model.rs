//! The profile model (element tree with slices and discriminator values) over
//! the real US Core profiles.

mod common;

use common::load;

use fhirgen::conformance::{Max, StructureDefinition};
use fhirgen::ir::{DiscriminatorValue, ProfileModel};
use fhirgen::package::PackageSet;
use serde_json::json;

fn model(set: &PackageSet, url: &str) -> ProfileModel {
    let definition = set.resolve_as::<StructureDefinition>(url).unwrap();
    ProfileModel::from_definition(&definition).unwrap()
}

#[test]
fn us_core_patient_extension_slices_route_by_url() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let patient = model(
        &set,
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    );
    assert_eq!(patient.type_, "Patient");
    let extension = patient.root.child("extension").unwrap();
    let names: Vec<&str> = extension.slices.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "race",
            "ethnicity",
            "tribalAffiliation",
            "birthsex",
            "sex",
            "genderIdentity"
        ]
    );
    let race = extension.slice("race").unwrap();
    assert_eq!(
        race.discriminators,
        [DiscriminatorValue::Value {
            path: "url".to_owned(),
            value: json!("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race")
        }]
    );
    assert_eq!((race.node.min, race.node.max), (0, Max::Count(1)));

    let identifier = patient.root.child("identifier").unwrap();
    assert!(identifier.must_support);
    assert_eq!(identifier.min, 1);
    let system = identifier.child("system").unwrap();
    assert_eq!(
        (system.min, system.max, system.must_support),
        (1, Max::Count(1), true)
    );

    let must_support = patient.root.must_support_ids();
    for id in [
        "Patient.identifier",
        "Patient.name",
        "Patient.gender",
        "Patient.birthDate",
        "Patient.telecom.system",
    ] {
        assert!(must_support.contains(&id), "{id} not Must Support");
    }
    assert!(!must_support.contains(&"Patient.photo"));
}

#[test]
fn category_slices_route_by_value_set() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let condition = model(
        &set,
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns",
    );
    let category = condition.root.child("category").unwrap();
    assert_eq!(
        category.slice("us-core").unwrap().discriminators,
        [DiscriminatorValue::InValueSet {
            path: "$this".to_owned(),
            value_set: "http://hl7.org/fhir/us/core/ValueSet/us-core-problem-or-health-concern"
                .to_owned()
        }]
    );
}

#[test]
fn blood_pressure_components_route_by_code_pattern() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let bp = model(
        &set,
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure",
    );
    let component = bp.root.child("component").unwrap();
    assert_eq!(component.min, 2);
    for (slice, loinc) in [("systolic", "8480-6"), ("diastolic", "8462-4")] {
        let slice = component.slice(slice).unwrap();
        assert_eq!(
            slice.discriminators,
            [DiscriminatorValue::Pattern {
                path: "code".to_owned(),
                value: json!({"coding": [{"system": "http://loinc.org", "code": loinc}]})
            }]
        );
        assert_eq!((slice.node.min, slice.node.max), (1, Max::Count(1)));
        let value = slice.node.child("value").unwrap();
        let types: Vec<&str> = value
            .types
            .iter()
            .filter_map(|t| t.code.as_deref())
            .collect();
        assert_eq!(types, ["Quantity"]);
        assert_eq!(value.child("code").unwrap().fixed, Some(json!("mm[Hg]")));
    }
    let category = bp.root.child("category").unwrap();
    let vital_signs = category.slice("VSCat").unwrap();
    assert_eq!(
        vital_signs.discriminators,
        [
            DiscriminatorValue::Value {
                path: "coding.code".to_owned(),
                value: json!("vital-signs")
            },
            DiscriminatorValue::Value {
                path: "coding.system".to_owned(),
                value: json!("http://terminology.hl7.org/CodeSystem/observation-category")
            },
        ]
    );
}

/// Every profile and extension of the three US Core versions builds into a
/// model; slices whose discriminator cannot be resolved are counted and named.
#[test]
fn every_us_core_profile_builds_a_model() {
    for id in [
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
    ] {
        let set = load(id);
        let (mut profiles, mut slices, mut unresolved) = (0, 0, Vec::new());
        for r in set.resources_of_type("StructureDefinition") {
            if set.package_of(r).id() != set.root().id() {
                continue;
            }
            let definition = set.parse::<StructureDefinition>(r).unwrap();
            let model =
                ProfileModel::from_definition(&definition).unwrap_or_else(|(element, message)| {
                    panic!("{}: {element}: {message}", definition.url)
                });
            profiles += 1;
            let mut pending = vec![&model.root];
            while let Some(node) = pending.pop() {
                for slice in &node.slices {
                    slices += 1;
                    for d in &slice.discriminators {
                        if let DiscriminatorValue::Unresolved { path, reason } = d {
                            unresolved.push(format!("{}:{} {path}: {reason}", node.id, slice.name));
                        }
                    }
                    pending.push(&slice.node);
                }
                pending.extend(&node.children);
            }
        }
        println!(
            "{id}: {profiles} models, {slices} slices, {} unresolved discriminators",
            unresolved.len()
        );
        for line in &unresolved {
            println!("  {line}");
        }
        assert!(profiles >= 30);
        assert!(slices > 20, "{id}: {slices}");
        assert!(
            unresolved.is_empty(),
            "{id}: every US Core slice can be routed"
        );
    }
}
