//! FHIR slicing as the specification defines it, on small profiles built
//! here: what each discriminator asks of an item, and what the profile
//! model and the runtime's checker make of it.

mod common;

use fhirgen::conformance::StructureDefinition;
use fhirgen::ir::{DiscriminatorValue, ProfileModel};
use fhirgen::package::PackageSet;
use fhirgen::rules::RulesBuilder;
use fhirgen_runtime::check::{Severity, check_json};
use serde_json::{Value, json};

/// An Observation profile whose snapshot holds `elements` after the root.
fn profile(elements: Value) -> ProfileModel {
    let mut all = vec![json!({"id": "Observation", "path": "Observation", "min": 0, "max": "*"})];
    all.extend(elements.as_array().unwrap().iter().cloned());
    let definition: StructureDefinition = serde_json::from_value(json!({
        "resourceType": "StructureDefinition",
        "url": "https://example.org/fhir/StructureDefinition/test",
        "name": "Test",
        "kind": "resource",
        "type": "Observation",
        "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
        "snapshot": {"element": all}
    }))
    .unwrap();
    ProfileModel::from_definition(&definition).unwrap()
}

/// `Observation.category` sliced by `discriminator` at `$this`, with one
/// required slice `lab` that has `constraint` (`fixedCodeableConcept` or
/// `patternCodeableConcept`), as US Core and the IG Publisher write them.
fn category_profile(discriminator: &str, constraint: &str) -> ProfileModel {
    let laboratory = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]});
    profile(json!([
        {"id": "Observation.category", "path": "Observation.category", "min": 1, "max": "*",
         "type": [{"code": "CodeableConcept"}],
         "slicing": {"discriminator": [{"type": discriminator, "path": "$this"}], "rules": "open"}},
        {"id": "Observation.category:lab", "path": "Observation.category", "sliceName": "lab",
         "min": 1, "max": "1", "type": [{"code": "CodeableConcept"}], constraint: laboratory}
    ]))
}

/// A lab result coded as laboratory, with a display and a second coding.
fn lab_result() -> Value {
    json!({
        "resourceType": "Observation",
        "category": [{"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory", "display": "Laboratory"},
            {"system": "https://example.org/local", "code": "chem"}
        ]}]
    })
}

/// The runtime checker's errors for `resource`, with the rule table of
/// `model` built over R4 core.
fn slice_errors(model: &ProfileModel, resource: &Value) -> Vec<String> {
    static R4: std::sync::OnceLock<PackageSet> = std::sync::OnceLock::new();
    let set = R4.get_or_init(|| common::load("hl7.fhir.r4.core@4.0.1"));
    let rules = RulesBuilder::new(set).build(model).unwrap();
    check_json(&rules, resource.to_string().as_bytes())
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect()
}

#[test]
fn a_value_discriminator_on_a_pattern_matches_by_containment() {
    // The IG Publisher writes `value` where older IGs wrote `pattern`; FHIR
    // defines a `value` discriminator by the element's fixed[x] OR pattern[x].
    for kind in ["value", "pattern"] {
        let model = category_profile(kind, "patternCodeableConcept");
        let slice = model.root.child("category").unwrap().slice("lab").unwrap();
        assert!(
            matches!(&slice.discriminators[0], DiscriminatorValue::Pattern { path, .. } if path == "$this"),
            "{kind}: {:?}",
            slice.discriminators
        );
        assert_eq!(
            slice_errors(&model, &lab_result()),
            Vec::<String>::new(),
            "{kind}"
        );
    }
}

#[test]
fn a_fixed_value_matches_only_when_equal() {
    for kind in ["value", "pattern"] {
        let model = category_profile(kind, "fixedCodeableConcept");
        let slice = model.root.child("category").unwrap().slice("lab").unwrap();
        assert!(
            matches!(&slice.discriminators[0], DiscriminatorValue::Value { .. }),
            "{kind}: {:?}",
            slice.discriminators
        );
        // The display and the second coding make it unequal: the item is in
        // no slice, so the required slice is missing.
        let errors = slice_errors(&model, &lab_result());
        assert_eq!(errors.len(), 1, "{kind}: {errors:?}");
        assert!(
            errors[0].starts_with("Observation.category:lab"),
            "{errors:?}"
        );
    }
}

#[test]
fn extension_slices_match_the_url_without_the_type_profiles_version() {
    let model = profile(json!([
        {"id": "Observation.extension", "path": "Observation.extension", "min": 0, "max": "*",
         "type": [{"code": "Extension"}],
         "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
        {"id": "Observation.extension:x", "path": "Observation.extension", "sliceName": "x",
         "min": 1, "max": "1",
         "type": [{"code": "Extension", "profile": ["https://example.org/fhir/StructureDefinition/ext-x|2.2.1"]}]}
    ]));
    let slice = model.root.child("extension").unwrap().slice("x").unwrap();
    assert_eq!(
        slice.discriminators,
        [DiscriminatorValue::Value {
            path: "url".to_owned(),
            value: json!("https://example.org/fhir/StructureDefinition/ext-x"),
        }]
    );
    let with_extension = json!({
        "resourceType": "Observation",
        "extension": [{"url": "https://example.org/fhir/StructureDefinition/ext-x", "valueString": "a"}]
    });
    assert_eq!(slice_errors(&model, &with_extension), Vec::<String>::new());
    let without = json!({"resourceType": "Observation"});
    assert_eq!(slice_errors(&model, &without).len(), 1);
}

#[test]
fn a_slice_of_an_element_the_snapshot_lacks_constrains_the_element() {
    // As HRex 1.0.0's Consent has `Consent.policy:hrex.uri:hrex` with no
    // `Consent.policy:hrex.uri`: the IG Publisher wrote a slice of a 0..1 uri.
    let model = profile(json!([
        {"id": "Observation.component", "path": "Observation.component", "min": 0, "max": "*",
         "type": [{"code": "BackboneElement"}]},
        {"id": "Observation.component.code", "path": "Observation.component.code", "min": 1, "max": "1",
         "type": [{"code": "CodeableConcept"}]},
        {"id": "Observation.component.value[x]:valueString", "path": "Observation.component.value[x]",
         "sliceName": "valueString", "min": 1, "max": "1", "type": [{"code": "string"}]}
    ]));
    let component = model.root.child("component").unwrap();
    let value = component
        .child("value")
        .expect("the slice is read as the element");
    assert_eq!(value.id, "Observation.component.value[x]");
    assert_eq!(value.min, 1);
    assert_eq!(model.notes.len(), 1, "{:?}", model.notes);
    assert!(
        model.notes[0].contains("not in the snapshot"),
        "{:?}",
        model.notes
    );
}
