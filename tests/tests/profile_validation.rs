//! Profile validation on JSON: every US Core example is valid against the
//! profiles its `meta.profile` names, and mutated examples are rejected with
//! the FHIRPath of the element.

mod common;

use common::load;

use fhirgen::conformance::StructureDefinition;
use fhirgen::ir::ProfileModel;
use fhirgen::package::PackageSet;
use fhirgen::rules::RulesBuilder;
use fhirgen_runtime::check::{Finding, Severity, check_json};
use serde_json::{Value, json};

/// The runtime checker's findings for `resource` against the rule table of
/// `profile`, built from the package as `fhirgen validate` builds it.
fn check(set: &PackageSet, profile: &str, resource: &Value) -> Vec<Finding> {
    let definition = set.resolve_as::<StructureDefinition>(profile).unwrap();
    let model = ProfileModel::from_definition(&definition).unwrap();
    let rules = RulesBuilder::new(set).build(&model).unwrap();
    check_json(&rules, resource.to_string().as_bytes())
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect()
}

#[test]
fn every_us_core_example_is_valid_against_its_profiles() {
    for id in [
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
    ] {
        let set = load(id);
        let mut builder = RulesBuilder::new(&set);
        let package = set.root();
        let (mut checked, mut warnings, mut failures) = (0, 0, Vec::new());
        // Examples naming no profile of this package (their profile comes from
        // the IG's listing, which the profile crates will use) are counted.
        let mut without_profile = 0;
        for entry in package.examples() {
            let resource = package.json(&entry.filename).unwrap();
            let profiles: Vec<String> = resource["meta"]["profile"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let known: Vec<String> = profiles
                .into_iter()
                .filter(|p| set.resolve(p).is_some())
                .collect();
            if known.is_empty() {
                without_profile += 1;
            }
            for profile in known {
                let found = set.resolve(&profile).unwrap();
                let definition = set.parse::<StructureDefinition>(found).unwrap();
                let model = ProfileModel::from_definition(&definition).unwrap();
                let rules = builder.build(&model).unwrap();
                let issues = check_json(&rules, resource.to_string().as_bytes());
                checked += 1;
                warnings += issues
                    .iter()
                    .filter(|i| i.severity == Severity::Warning)
                    .count();
                for error in errors(&issues) {
                    failures.push(format!(
                        "{} against {}: {error}",
                        entry.filename,
                        definition.id.as_deref().unwrap_or("?")
                    ));
                }
            }
        }
        println!(
            "{id}: {checked} example/profile pairs checked, {} errors, {warnings} warnings; {without_profile} examples name no profile of the package",
            failures.len()
        );
        assert!(checked > 50, "{id}: {checked}");
        assert!(failures.is_empty(), "{id}:\n{}", failures.join("\n"));
    }
}

#[test]
fn mutations_are_rejected_with_the_element_path() {
    let set = load("hl7.fhir.us.core@6.1.0");
    let bp_url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure";
    let bp = set
        .root()
        .json("example/Observation-blood-pressure.json")
        .unwrap();
    assert!(errors(&check(&set, bp_url, &bp)).is_empty());

    // Drop the diastolic component: a required slice goes missing.
    let mut no_diastolic = bp.clone();
    no_diastolic["component"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["code"]["coding"][0]["code"] != "8462-4");
    let found = errors(&check(&set, bp_url, &no_diastolic));
    assert!(
        found
            .iter()
            .any(|e| e == "Observation.component:diastolic: required slice is missing (min 1)"),
        "{found:?}"
    );

    // Change a fixed value (the unit code of systolic).
    let mut wrong_unit = bp.clone();
    wrong_unit["component"][0]["valueQuantity"]["code"] = json!("kPa");
    let found = errors(&check(&set, bp_url, &wrong_unit));
    assert!(
        found
            .iter()
            .any(|e| e
                .starts_with("Observation.component:systolic.valueQuantity.code: must be \"mm[Hg]\" (fixed by the profile)")),
        "{found:?}"
    );

    // Change a pattern (the BP code).
    let mut wrong_code = bp.clone();
    wrong_code["code"]["coding"][0]["code"] = json!("12345-6");
    let found = errors(&check(&set, bp_url, &wrong_code));
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("Observation.code: must contain {")
                && e.ends_with("(the profile's pattern)")),
        "{found:?}"
    );

    // Remove a mandatory element.
    let mut no_status = bp.clone();
    no_status.as_object_mut().unwrap().remove("status");
    let found = errors(&check(&set, bp_url, &no_status));
    assert!(
        found
            .iter()
            .any(|e| e == "Observation.status: required element is missing"),
        "{found:?}"
    );

    // Exceed a max cardinality.
    let patient_url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    let mut patient = set.root().json("example/Patient-example.json").unwrap();
    assert!(errors(&check(&set, patient_url, &patient)).is_empty());
    patient["gender"] = json!(["male", "female"]);
    let found = errors(&check(&set, patient_url, &patient));
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("Patient.gender: 2 items, at most 1 allowed")),
        "{found:?}"
    );

    // A nested mandatory element (identifier.system is 1..1 in US Core Patient).
    let mut patient = set.root().json("example/Patient-example.json").unwrap();
    patient["identifier"][0]
        .as_object_mut()
        .unwrap()
        .remove("system");
    let found = errors(&check(&set, patient_url, &patient));
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("Patient.identifier[0].system: required element is missing")),
        "{found:?}"
    );

    // A code outside a required binding, and a reference to a type the
    // profile does not allow: as the generated types report them.
    let mut patient = set.root().json("example/Patient-example.json").unwrap();
    patient["gender"] = json!("woman");
    let found = check(&set, patient_url, &patient);
    let gender = found.iter().find(|f| f.path == "Patient.gender").unwrap();
    assert_eq!(
        gender.message,
        "code `woman` is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    assert_eq!(gender.code, fhirgen_runtime::IssueCode::CodeInvalid);
    let mut wrong_subject = set
        .root()
        .json("example/Observation-blood-pressure.json")
        .unwrap();
    wrong_subject["subject"]["reference"] = json!("Device/d1");
    let found = errors(&check(&set, bp_url, &wrong_subject));
    assert!(
        found.iter().any(|e| e.starts_with("Observation.subject.reference: `Device/d1` refers to a Device; the profile allows Patient")),
        "{found:?}"
    );

    // A choice narrowed to Quantity given another type.
    let mut wrong_type = bp;
    let value = wrong_type["component"][0]
        .as_object_mut()
        .unwrap()
        .remove("valueQuantity")
        .unwrap();
    wrong_type["component"][0]["valueString"] = json!(value.to_string());
    let found = errors(&check(&set, bp_url, &wrong_type));
    assert!(
        found.iter().any(|e| e.starts_with(
            "Observation.component:systolic.valueString: type String is not allowed here"
        )),
        "{found:?}"
    );
}

/// One engine: the rule table each generated crate embeds for a profile is
/// the table `fhirgen validate` builds from the package, and the crate's
/// `rules::check_claimed` runs it over the examples.
#[test]
fn the_crates_embed_the_tables_validate_builds() {
    type RulesFor = fn(&str) -> Option<std::sync::Arc<fhirgen_runtime::check::ProfileRules>>;
    type CheckClaimed = fn(&[u8]) -> (Vec<Finding>, Vec<String>);
    let crates: [(&str, RulesFor, CheckClaimed); 3] = [
        (
            "hl7.fhir.us.core@3.1.1",
            us_core_3_1_1::rules::rules_for,
            us_core_3_1_1::rules::check_claimed,
        ),
        (
            "hl7.fhir.us.core@6.1.0",
            us_core_6_1_0::rules::rules_for,
            us_core_6_1_0::rules::check_claimed,
        ),
        (
            "hl7.fhir.us.core@7.0.0",
            us_core_7_0_0::rules::rules_for,
            us_core_7_0_0::rules::check_claimed,
        ),
    ];
    for (id, rules_for, check_claimed) in crates {
        let set = load(id);
        let mut builder = RulesBuilder::new(&set);
        let mut compared = 0;
        for r in set.resources_of_type("StructureDefinition") {
            if set.package_of(r).id() != set.root().id() {
                continue;
            }
            let definition = set.parse::<StructureDefinition>(r).unwrap();
            if definition.kind != "resource"
                || definition.derivation.as_deref() != Some("constraint")
            {
                continue;
            }
            let built = builder.rules_for(&definition.url).unwrap();
            let embedded = rules_for(&format!(
                "{}|{}",
                definition.url,
                definition.version.clone().unwrap_or_default()
            ))
            .unwrap_or_else(|| panic!("{id}: no table for {}", definition.url));
            assert_eq!(
                embedded.to_json(),
                built.to_json(),
                "{id}: {}",
                definition.url
            );
            compared += 1;
        }
        assert!(compared > 20, "{id}: {compared}");
        let (mut claimed, mut errors) = (0, Vec::new());
        for entry in set.root().examples() {
            let bytes = serde_json::to_vec(&set.root().json(&entry.filename).unwrap()).unwrap();
            let (findings, checked) = check_claimed(&bytes);
            claimed += checked.len();
            errors.extend(
                findings
                    .into_iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| format!("{}: {} {}", entry.filename, f.path, f.message)),
            );
        }
        // 3.1.1's one known-bad example (a base64 hash) breaks no profile rule.
        assert_eq!(errors, Vec::<String>::new(), "{id}");
        println!(
            "{id}: {compared} tables as validate builds them; {claimed} example/profile pairs valid by the crate's tables"
        );
    }
}
