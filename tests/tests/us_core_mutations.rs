//! Mutated US Core 6.1.0 examples against the profile types: each broken
//! rule is rejected with the FHIRPath of the element; lenient reads keep
//! codes outside a required value set and report them.

mod common;

use common::load;

use fhir_r4::{AdministrativeGender, IssueSeverity, IssueType};
use serde_json::{Value, json};
use us_core_6_1_0::{ProfiledResource, UsCoreBloodPressureProfile, UsCorePatientProfile};

fn example(name: &str) -> Value {
    let set = load("hl7.fhir.us.core@6.1.0");
    set.root().json(&format!("example/{name}")).unwrap()
}

/// The error a strict read into the profile gives; `fhirgen validate`'s
/// checks (the R4 read, then the runtime checker with the rule tables of the
/// profiles in `meta.profile`) must report the same element and issue type.
fn rejected(resource: &Value) -> String {
    let json = serde_json::to_vec(resource).unwrap();
    match ProfiledResource::from_json(&json) {
        Ok(read) => panic!("accepted as {:?}", read.profile()),
        Err(e) => {
            let found = validate_errors(resource, &json);
            let wanted = (e.path.clone(), e.code);
            assert!(
                found.contains(&wanted),
                "the crate: {e} ({:?}); the checker: {found:?}",
                e.code
            );
            e.to_string()
        }
    }
}

/// The errors `fhirgen validate` reports, as (FHIRPath, issue type).
fn validate_errors(resource: &Value, json: &[u8]) -> Vec<(String, fhirgen_runtime::IssueCode)> {
    use fhirgen::conformance::StructureDefinition;
    use fhirgen::ir::ProfileModel;
    use fhirgen_runtime::check::{Severity, check_json};
    if let Err(e) = us_core_6_1_0::r4::Resource::from_json(json) {
        return vec![(e.path, e.code)];
    }
    let set = load("hl7.fhir.us.core@6.1.0");
    let mut builder = fhirgen::rules::RulesBuilder::new(&set);
    let mut found = Vec::new();
    for url in resource["meta"]["profile"].as_array().into_iter().flatten() {
        let definition = set
            .resolve_as::<StructureDefinition>(url.as_str().unwrap())
            .unwrap();
        let model = ProfileModel::from_definition(&definition).unwrap();
        let rules = builder.build(&model).unwrap();
        found.extend(
            check_json(&rules, json)
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| (f.path, f.code)),
        );
    }
    found
}

#[test]
fn the_unmutated_examples_are_accepted() {
    for name in [
        "Observation-blood-pressure.json",
        "Patient-example.json",
        "Condition-condition-duodenal-ulcer.json",
    ] {
        let json = serde_json::to_vec(&example(name)).unwrap();
        let read = ProfiledResource::from_json(&json).unwrap();
        assert!(read.profile().is_some(), "{name}");
    }
}

#[test]
fn a_missing_mandatory_element_is_named() {
    let mut patient = example("Patient-example.json");
    patient.as_object_mut().unwrap().remove("gender");
    assert_eq!(
        rejected(&patient),
        "Patient.gender: required element is missing"
    );
    // A nested constraint: US Core Patient `identifier.system` is 1..1.
    let mut patient = example("Patient-example.json");
    patient["identifier"][0]
        .as_object_mut()
        .unwrap()
        .remove("system");
    assert_eq!(
        rejected(&patient),
        "Patient.identifier[0].system: required element is missing"
    );
}

#[test]
fn a_code_outside_a_required_value_set_is_rejected_strictly_and_kept_leniently() {
    let mut patient = example("Patient-example.json");
    patient["gender"] = json!("woman");
    assert_eq!(
        rejected(&patient),
        "Patient.gender: code `woman` is not in the required value set \
         http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    let json = serde_json::to_vec(&patient).unwrap();
    let (read, issues) = UsCorePatientProfile::from_json_lenient(&json).unwrap();
    assert_eq!(
        read.gender.value,
        Some(AdministrativeGender::NotInValueSet("woman".to_owned()))
    );
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].path, "Patient.gender");
    // And it is written back as it came.
    assert!(
        String::from_utf8(read.to_json())
            .unwrap()
            .contains(r#""gender":"woman""#)
    );
}

#[test]
fn a_coded_element_with_a_required_binding_needs_a_code_from_it() {
    let mut condition = example("Condition-condition-duodenal-ulcer.json");
    condition["clinicalStatus"]["coding"][0]["code"] = json!("bad");
    assert_eq!(
        rejected(&condition),
        "Condition.clinicalStatus: has no code from the required value set \
         http://hl7.org/fhir/ValueSet/condition-clinical"
    );
    // Text alone does not satisfy a required binding.
    condition["clinicalStatus"] = json!({"text": "active"});
    assert!(rejected(&condition).starts_with("Condition.clinicalStatus: has no code"));
}

#[test]
fn a_changed_fixed_or_pattern_value_is_rejected() {
    // The profile's pattern on `code` (LOINC 85354-9).
    let mut bp = example("Observation-blood-pressure.json");
    bp["code"]["coding"][0]["code"] = json!("12345-6");
    assert_eq!(
        rejected(&bp),
        "Observation.code: must contain \
         {\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"85354-9\"}]} \
         (the profile's pattern)"
    );
    // A fixed value inside a slice: the systolic quantity's unit code.
    let mut bp = example("Observation-blood-pressure.json");
    bp["component"][0]["valueQuantity"]["code"] = json!("cm");
    assert_eq!(
        rejected(&bp),
        "Observation.component:systolic.valueQuantity.code: must be \"mm[Hg]\" (fixed by the profile)"
    );
}

#[test]
fn a_missing_required_slice_is_named() {
    let mut bp = example("Observation-blood-pressure.json");
    bp["component"].as_array_mut().unwrap().remove(1);
    assert_eq!(
        rejected(&bp),
        "Observation.component:diastolic: required slice is missing (min 1)"
    );
}

#[test]
fn exceeding_a_maximum_cardinality_is_rejected() {
    // Two birth sex extensions, where the slice allows one.
    let mut patient = example("Patient-example.json");
    let extensions = patient["extension"].as_array_mut().unwrap();
    let birthsex = extensions
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("us-core-birthsex"))
        .unwrap()
        .clone();
    extensions.push(birthsex);
    assert_eq!(
        rejected(&patient),
        "Patient.extension:birthsex: the slice allows at most 1 item"
    );
    // Two systolic components.
    let mut bp = example("Observation-blood-pressure.json");
    let systolic = bp["component"][0].clone();
    bp["component"].as_array_mut().unwrap().push(systolic);
    assert_eq!(
        rejected(&bp),
        "Observation.component:systolic: the slice allows at most 1 item"
    );
}

#[test]
fn slices_are_named_fields_and_order_is_kept() {
    let patient = example("Patient-example.json");
    let json = serde_json::to_vec(&patient).unwrap();
    let read = UsCorePatientProfile::from_json(&json).unwrap();
    assert!(read.race.is_some() && read.ethnicity.is_some() && read.birthsex.is_some());
    let race = read.race.as_ref().unwrap();
    assert!(!race.omb_category.is_empty());
    // Reordered extensions come back in their order.
    let mut reordered = patient.clone();
    reordered["extension"].as_array_mut().unwrap().reverse();
    let json = serde_json::to_vec(&reordered).unwrap();
    let again = UsCorePatientProfile::from_json(&json).unwrap();
    let written: Value = serde_json::from_slice(&again.to_json()).unwrap();
    assert_eq!(written["extension"], reordered["extension"]);
}

#[test]
fn conversions_to_the_base_resource_and_back() {
    let json = serde_json::to_vec(&example("Observation-blood-pressure.json")).unwrap();
    let bp = UsCoreBloodPressureProfile::from_json(&json).unwrap();
    let base: fhir_r4::Observation = bp.clone().into();
    let back = UsCoreBloodPressureProfile::try_from(base.clone()).unwrap();
    assert_eq!(back.to_json(), bp.to_json());
    // Up the profile chain: blood pressure -> US Core vital signs.
    let vitals: us_core_6_1_0::UsCoreVitalSignsProfile = bp.into();
    assert_eq!(
        vitals.code.coding[0]
            .code
            .as_ref()
            .unwrap()
            .value
            .as_deref(),
        Some("85354-9")
    );
    // A base resource that does not conform does not convert.
    let mut broken = base;
    broken.component.truncate(1);
    let error = UsCoreBloodPressureProfile::try_from(broken).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Observation.component:diastolic: required slice is missing (min 1)"
    );
}

#[test]
fn a_reference_to_a_resource_type_the_profile_does_not_allow_is_rejected() {
    let mut bp = example("Observation-blood-pressure.json");
    bp["subject"]["reference"] = json!("Practitioner/123");
    assert_eq!(
        rejected(&bp),
        "Observation.subject.reference: `Practitioner/123` refers to a Practitioner; \
         the profile allows Patient"
    );
    // Absolute and versioned references name their type the same way.
    bp["subject"]["reference"] = json!("https://example.org/fhir/Patient/1/_history/2");
    let json = serde_json::to_vec(&bp).unwrap();
    assert!(ProfiledResource::from_json(&json).is_ok());
    // A lenient read keeps it and reports it.
    bp["subject"]["reference"] = json!("Device/d1");
    let json = serde_json::to_vec(&bp).unwrap();
    let (_, issues) = UsCoreBloodPressureProfile::from_json_lenient(&json).unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].path, "Observation.subject.reference");
    // In a list, the item is named.
    let mut report = example("DiagnosticReport-cbc.json");
    report["result"][1]["reference"] = json!("Specimen/s1");
    assert_eq!(
        rejected(&report),
        "DiagnosticReport.result[1].reference: `Specimen/s1` refers to a Specimen; \
         the profile allows Observation"
    );
}

/// The error itself, of a strict read into the profile.
fn rejected_error(resource: &Value) -> fhirgen_runtime::Error {
    let json = serde_json::to_vec(resource).unwrap();
    ProfiledResource::from_json(&json).map(|_| ()).unwrap_err()
}

#[test]
fn errors_carry_their_issue_type_and_become_an_operation_outcome() {
    use fhirgen_runtime::IssueCode;

    let mut patient = example("Patient-example.json");
    patient.as_object_mut().unwrap().remove("gender");
    assert_eq!(rejected_error(&patient).code, IssueCode::Required);

    let mut patient = example("Patient-example.json");
    patient["gender"] = json!("woman");
    let outside = rejected_error(&patient);
    assert_eq!(outside.code, IssueCode::CodeInvalid);

    let mut condition = example("Condition-condition-duodenal-ulcer.json");
    condition["clinicalStatus"] = json!({"text": "active"});
    assert_eq!(rejected_error(&condition).code, IssueCode::CodeInvalid);

    let mut bp = example("Observation-blood-pressure.json");
    bp["code"]["coding"][0]["code"] = json!("12345-6");
    assert_eq!(rejected_error(&bp).code, IssueCode::Value);

    let mut bp = example("Observation-blood-pressure.json");
    bp["component"].as_array_mut().unwrap().remove(1);
    assert_eq!(rejected_error(&bp).code, IssueCode::Required);

    // A required code given only as a data-absent-reason: US Core's
    // missing-data rule wants the code (the value set's own "unknown").
    let mut bp = example("Observation-blood-pressure.json");
    bp.as_object_mut().unwrap().remove("status");
    bp["_status"] = json!({"extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
        "valueCode": "unknown"
    }]});
    let error = rejected_error(&bp);
    assert_eq!(
        (error.path.as_str(), error.code),
        ("Observation.status", IssueCode::Required)
    );

    let mut patient = example("Patient-example.json");
    patient["nickname"] = json!("Amy");
    assert_eq!(rejected_error(&patient).code, IssueCode::Structure);

    // One error, and a lenient read's issues, as an R4 OperationOutcome.
    let outcome = fhir_r4::OperationOutcome::from(&outside);
    let written: Value = serde_json::from_slice(&outcome.to_json()).unwrap();
    assert_eq!(
        written,
        json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "error",
                "code": "code-invalid",
                "diagnostics": "code `woman` is not in the required value set \
                                http://hl7.org/fhir/ValueSet/administrative-gender",
                "expression": ["Patient.gender"]
            }]
        })
    );
    let json = serde_json::to_vec(&patient).unwrap();
    let (_, issues) = UsCorePatientProfile::from_json_lenient(&json).unwrap();
    let outcome = fhir_r4::OperationOutcome::from_issues(&[], &issues);
    assert_eq!(outcome.issue.len(), 1);
    assert_eq!(
        outcome.issue[0].severity.value,
        Some(IssueSeverity::Warning)
    );
    assert_eq!(outcome.issue[0].code.value, Some(IssueType::Structure));
    // It reads back as an R4 resource.
    fhir_r4::OperationOutcome::from_json(&outcome.to_json()).unwrap();
    let none = fhir_r4::OperationOutcome::from_issues(&[], &[]);
    assert_eq!(
        none.issue[0].severity.value,
        Some(IssueSeverity::Information)
    );
}

#[test]
fn validate_checks_a_value_changed_in_code() {
    let json = serde_json::to_vec(&example("Observation-blood-pressure.json")).unwrap();
    let mut bp = UsCoreBloodPressureProfile::from_json(&json).unwrap();
    bp.validate().unwrap();
    // The panel code is an open CodeableConcept; the profile's pattern is
    // checked by `validate`, with the element's FHIRPath.
    bp.code.coding[0].code = Some("12345-6".to_owned().into());
    let error = bp.validate().unwrap_err();
    assert_eq!(error.path, "Observation.code");
    assert_eq!(error.code, fhirgen_runtime::IssueCode::Value);
}
