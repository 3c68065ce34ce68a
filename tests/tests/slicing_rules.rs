//! FHIR slicing as the specification defines it, on small profiles built
//! here: what each discriminator asks of an item, and what the profile
//! model and the runtime's checker make of it.

mod common;

use fhirgen::conformance::StructureDefinition;
use fhirgen::ir::{DiscriminatorValue, ProfileModel};
use fhirgen::package::PackageSet;
use fhirgen::rules::RulesBuilder;
use fhirgen_runtime::check::{Finding, Severity, check, check_in_bundle, check_json};
use jiter::JsonValue;
use serde_json::{Value, json};

/// An Observation profile whose snapshot holds `elements` after the root.
fn profile(elements: Value) -> ProfileModel {
    profile_of("Observation", elements)
}

/// A profile of `type_` whose snapshot holds `elements` after the root.
fn profile_of(type_: &str, elements: Value) -> ProfileModel {
    let mut all = vec![json!({"id": type_, "path": type_, "min": 0, "max": "*"})];
    all.extend(elements.as_array().unwrap().iter().cloned());
    let definition: StructureDefinition = serde_json::from_value(json!({
        "resourceType": "StructureDefinition",
        "url": "https://example.org/fhir/StructureDefinition/test",
        "name": "Test",
        "kind": "resource",
        "type": type_,
        "derivation": "constraint",
        "baseDefinition": format!("http://hl7.org/fhir/StructureDefinition/{type_}"),
        "snapshot": {"element": all}
    }))
    .unwrap();
    ProfileModel::from_definition(&definition).unwrap()
}

fn r4() -> &'static PackageSet {
    static R4: std::sync::OnceLock<PackageSet> = std::sync::OnceLock::new();
    R4.get_or_init(|| common::load("hl7.fhir.r4.core@4.0.1"))
}

/// Findings of `severity` as `path: message`.
fn of_severity(findings: Vec<Finding>, severity: Severity) -> Vec<String> {
    findings
        .into_iter()
        .filter(|i| i.severity == severity)
        .map(|i| format!("{}: {}", i.path, i.message))
        .collect()
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
    let rules = RulesBuilder::new(r4()).build(model).unwrap();
    of_severity(
        check_json(&rules, resource.to_string().as_bytes()),
        Severity::Error,
    )
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

#[test]
fn a_path_through_an_extension_routes_by_the_extensions_value() {
    // Da Vinci PAS slices `Claim.careTeam` by
    // `extension('...careTeamClaimScope').value as boolean`.
    let scope = "https://example.org/fhir/StructureDefinition/scope";
    let slice = |name: &str, min: u32, max: &str, value: bool| {
        let id = format!("Observation.component:{name}");
        json!([
            {"id": id, "path": "Observation.component", "sliceName": name, "min": min, "max": max,
             "type": [{"code": "BackboneElement"}]},
            {"id": format!("{id}.extension"), "path": "Observation.component.extension", "min": 1, "max": "*",
             "type": [{"code": "Extension"}],
             "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
            {"id": format!("{id}.extension:scope"), "path": "Observation.component.extension",
             "sliceName": "scope", "min": 1, "max": "1",
             "type": [{"code": "Extension", "profile": [scope]}]},
            {"id": format!("{id}.extension:scope.value[x]"), "path": "Observation.component.extension.value[x]",
             "min": 1, "max": "1", "type": [{"code": "boolean"}], "fixedBoolean": value}
        ])
    };
    let mut elements = vec![json!(
        {"id": "Observation.component", "path": "Observation.component", "min": 0, "max": "*",
         "type": [{"code": "BackboneElement"}],
         "slicing": {"discriminator": [{"type": "value", "path": format!("extension('{scope}').value as boolean")}],
                     "rules": "open"}}
    )];
    elements.extend(
        slice("overall", 1, "1", true)
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    elements.extend(
        slice("item", 0, "*", false)
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    let model = profile(Value::Array(elements));
    let overall = model
        .root
        .child("component")
        .unwrap()
        .slice("overall")
        .unwrap();
    assert!(
        matches!(&overall.discriminators[0], DiscriminatorValue::Value { value, .. } if *value == json!(true)),
        "{:?}",
        overall.discriminators
    );
    let component = |value: bool| json!({"extension": [{"url": scope, "valueBoolean": value}]});
    let both =
        json!({"resourceType": "Observation", "component": [component(false), component(true)]});
    assert_eq!(slice_errors(&model, &both), Vec::<String>::new());
    let items_only =
        json!({"resourceType": "Observation", "component": [component(false), component(false)]});
    assert_eq!(
        slice_errors(&model, &items_only),
        ["Observation.component:overall: required slice is missing (min 1)"]
    );
    let two_overall =
        json!({"resourceType": "Observation", "component": [component(true), component(true)]});
    assert_eq!(slice_errors(&model, &two_overall).len(), 1);
}

/// A Bundle profile sliced as IPS slices its entries: by the type of
/// `resource`, and by the profile it conforms to.
fn bundle_profile() -> ProfileModel {
    let entry = |name: &str, min: u32, type_: &str, profile: &str| {
        json!([
            {"id": format!("Bundle.entry:{name}"), "path": "Bundle.entry", "sliceName": name,
             "min": min, "max": "*", "type": [{"code": "BackboneElement"}]},
            {"id": format!("Bundle.entry:{name}.resource"), "path": "Bundle.entry.resource",
             "min": 1, "max": "1", "type": [{"code": type_, "profile": [profile]}]}
        ])
    };
    let mut elements = vec![json!(
        {"id": "Bundle.entry", "path": "Bundle.entry", "min": 0, "max": "*",
         "type": [{"code": "BackboneElement"}],
         "slicing": {"discriminator": [{"type": "type", "path": "resource"}, {"type": "profile", "path": "resource"}],
                     "rules": "open"}}
    )];
    for (name, type_, profile) in [
        (
            "patient",
            "Patient",
            "http://hl7.org/fhir/StructureDefinition/Patient",
        ),
        (
            "vitals",
            "Observation",
            "http://hl7.org/fhir/StructureDefinition/vitalsigns",
        ),
    ] {
        elements.extend(
            entry(name, 1, type_, profile)
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    profile_of("Bundle", Value::Array(elements))
}

/// A vital-signs Observation (as R4's `vitalsigns` profile requires), and
/// one that is not (no category).
fn observations() -> (Value, Value) {
    let vital = json!({
        "resourceType": "Observation", "id": "hr", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-01-01",
        "valueQuantity": {"value": 60, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
    });
    let mut other = vital.clone();
    other.as_object_mut().unwrap().remove("category");
    (vital, other)
}

#[test]
fn type_and_profile_discriminators_route_bundle_entries_by_their_resource() {
    let model = bundle_profile();
    let patient = model.root.child("entry").unwrap().slice("patient").unwrap();
    assert!(
        matches!(&patient.discriminators[..], [DiscriminatorValue::Type { codes, .. }, DiscriminatorValue::Profile { .. }] if codes == &["Patient"]),
        "{:?}",
        patient.discriminators
    );
    let (vital, other) = observations();
    let bundle = |observation: &Value| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "https://example.org/Patient/p", "resource": {"resourceType": "Patient", "id": "p"}},
            {"fullUrl": "https://example.org/Observation/hr", "resource": observation}
        ]})
    };
    assert_eq!(slice_errors(&model, &bundle(&vital)), Vec::<String>::new());
    // Not conformant to `vitalsigns`: in no slice, so `vitals` is missing.
    assert_eq!(
        slice_errors(&model, &bundle(&other)),
        ["Bundle.entry:vitals: required slice is missing (min 1)"]
    );
}

/// R4's own `lipidprofile` slices `DiagnosticReport.result` by
/// `resolve().code`, closed and ordered; R4's `Bundle-lipids` example, coded
/// as the profiles fix it (the example's report has another code, and its
/// results a `text` that a fixed CodeableConcept does not have).
fn lipids() -> (Value, std::sync::Arc<fhirgen_runtime::check::ProfileRules>) {
    let examples = common::load("hl7.fhir.r4.examples@4.0.1");
    let mut bundle = examples.root().json("Bundle-lipids.json").unwrap();
    bundle["entry"][0]["resource"]["code"] = json!({"coding": [{"system": "http://loinc.org", "code": "57698-3",
        "display": "Lipid panel with direct LDL - Serum or Plasma"}]});
    for entry in bundle["entry"].as_array_mut().unwrap() {
        entry["resource"]["code"]
            .as_object_mut()
            .unwrap()
            .remove("text");
    }
    let rules = RulesBuilder::new(r4())
        .rules_for("http://hl7.org/fhir/StructureDefinition/lipidprofile")
        .unwrap();
    (bundle, rules)
}

/// The findings of the report (the Bundle's first entry) in its Bundle.
fn report_findings(bundle: &Value, rules: &fhirgen_runtime::check::ProfileRules) -> Vec<Finding> {
    let text = bundle.to_string();
    let bundle = JsonValue::parse(text.as_bytes(), false).unwrap();
    let JsonValue::Object(object) = &bundle else {
        unreachable!()
    };
    let entries = object.iter().find(|(k, _)| k == "entry").unwrap();
    let JsonValue::Array(entries) = &entries.1 else {
        unreachable!()
    };
    let JsonValue::Object(entry) = &entries[0] else {
        unreachable!()
    };
    let report = &entry.iter().find(|(k, _)| k == "resource").unwrap().1;
    check_in_bundle(rules, report, &bundle)
}

#[test]
fn resolve_finds_the_target_in_the_bundle_and_ordered_slicing_keeps_the_order() {
    let (bundle, rules) = lipids();
    assert_eq!(
        of_severity(report_findings(&bundle, &rules), Severity::Error),
        Vec::<String>::new()
    );
    // HDL before triglyceride: out of the profile's order.
    let mut swapped = bundle.clone();
    let results = swapped["entry"][0]["resource"]["result"]
        .as_array_mut()
        .unwrap();
    results.swap(1, 2);
    assert_eq!(
        of_severity(report_findings(&swapped, &rules), Severity::Error),
        [
            "DiagnosticReport.result[2]: item 2 is in slice `Triglyceride` after an item in slice `HDLCholesterol`; the slicing of `result` is ordered"
        ]
    );
    // No HDL: its slice is missing.
    let mut without = bundle.clone();
    without["entry"][0]["resource"]["result"]
        .as_array_mut()
        .unwrap()
        .remove(2);
    assert_eq!(
        of_severity(report_findings(&without, &rules), Severity::Error),
        ["DiagnosticReport.result:HDLCholesterol: required slice is missing (min 1)"]
    );
}

#[test]
fn a_reference_that_cannot_be_resolved_is_not_checkable_never_guessed() {
    let (bundle, rules) = lipids();
    // The report on its own: its results point outside it.
    let report = bundle["entry"][0]["resource"].to_string();
    let report = JsonValue::parse(report.as_bytes(), false).unwrap();
    let findings = check(&rules, &report);
    assert_eq!(
        of_severity(findings.clone(), Severity::Error),
        Vec::<String>::new()
    );
    let warnings = of_severity(findings, Severity::Warning);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].starts_with("DiagnosticReport.result:Cholesterol: not checkable"),
        "{warnings:?}"
    );
}

/// `Observation.category` sliced into `lab` by pattern, with `rules`.
fn lab_slicing(rules: &str, reslice: bool) -> ProfileModel {
    let laboratory = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]});
    let mut elements = vec![
        json!({"id": "Observation.category", "path": "Observation.category", "min": 0, "max": "*",
         "type": [{"code": "CodeableConcept"}],
         "slicing": {"discriminator": [{"type": "pattern", "path": "$this"}], "rules": rules}}),
        json!({"id": "Observation.category:lab", "path": "Observation.category", "sliceName": "lab",
         "min": 1, "max": "*", "type": [{"code": "CodeableConcept"}], "patternCodeableConcept": laboratory}),
    ];
    if reslice {
        // A reslice: among the `lab` items, one must also be coded `chem`.
        elements[1]["slicing"] =
            json!({"discriminator": [{"type": "pattern", "path": "$this"}], "rules": "open"});
        elements.push(json!({"id": "Observation.category:lab/chem", "path": "Observation.category",
            "sliceName": "lab/chem", "min": 1, "max": "1", "type": [{"code": "CodeableConcept"}],
            "patternCodeableConcept": {"coding": [{"system": "https://example.org/local", "code": "chem"}]}}));
    }
    profile(Value::Array(elements))
}

#[test]
fn a_reslice_shares_out_the_items_of_its_slice() {
    let model = lab_slicing("open", true);
    let lab = model.root.child("category").unwrap().slice("lab").unwrap();
    assert_eq!(lab.node.slices.len(), 1);
    assert_eq!(lab.node.slices[0].name, "lab/chem");
    assert_eq!(slice_errors(&model, &lab_result()), Vec::<String>::new());
    let mut plain_lab = lab_result();
    plain_lab["category"][0]["coding"]
        .as_array_mut()
        .unwrap()
        .remove(1);
    assert_eq!(
        slice_errors(&model, &plain_lab),
        ["Observation.category:lab/chem: required slice is missing (min 1)"]
    );
}

#[test]
fn open_at_end_slicing_allows_other_items_only_after_the_slices() {
    let model = lab_slicing("openAtEnd", false);
    let other = json!({"coding": [{"system": "https://example.org/local", "code": "other"}]});
    let lab = lab_result()["category"][0].clone();
    let resource = |items: Vec<Value>| json!({"resourceType": "Observation", "category": items});
    assert_eq!(
        slice_errors(&model, &resource(vec![lab.clone(), other.clone()])),
        Vec::<String>::new()
    );
    assert_eq!(
        slice_errors(&model, &resource(vec![other, lab])),
        [
            "Observation.category[1]: item 1 is in slice `lab` after an item in no slice; the slicing of `category` is open at the end only"
        ]
    );
}
