//! FHIR constraints (invariants) as `fhirgen validate` checks them (over
//! JSON, tables read from the packages) and as the generated crates check
//! them (over their typed values, tables written out at generation): no R4
//! or US Core example breaks one (R4's `dom-6` and `*-0` name warnings
//! aside), both find the same on every example, and an example mutated to
//! break one is reported by both with the key, at the element the
//! constraint sits on. The mutations are written by hand from each
//! constraint's meaning, so they test the engine's answers, not only that
//! an answer is passed on.

mod common;

use common::{errors_in, without};

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fhirgen::conformance::StructureDefinition;
use fhirgen_runtime::invariants::{Finding, Invariants, Severity};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use serde_json::{Value, json};

struct Setup {
    shapes: &'static Shapes,
    invariants: Invariants,
    r4_examples: fhirgen::package::PackageSet,
    us_core: fhirgen::package::PackageSet,
}

/// The US Core 6.1.0 profiles whose constraints the tests use.
const US_CORE: &[&str] = &[
    "us-core-patient",
    "us-core-observation-lab",
    "us-core-documentreference",
    "us-core-procedure",
    "us-core-medicationrequest",
    "us-core-relatedperson",
    "us-core-organization",
];

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let us_core = common::load("hl7.fhir.us.core@6.1.0");
        // Every resource profile of US Core 6.1.0, as the generated crate
        // has them all; those the tests use have no note but on slices.
        let (shapes, invariants, notes) = common::constraint_tables(&us_core);
        for id in US_CORE {
            let url = format!("http://hl7.org/fhir/us/core/StructureDefinition/{id}");
            let (_, notes) = notes.iter().find(|(u, _)| *u == url).unwrap();
            assert!(
                notes.iter().all(|n| n.message.contains("slice")),
                "{id}: {notes:?}"
            );
        }
        Setup {
            shapes,
            invariants,
            r4_examples: common::load("hl7.fhir.r4.examples@4.0.1"),
            us_core,
        }
    })
}

fn r4_example(name: &str) -> Value {
    setup().r4_examples.root().json(name).unwrap()
}

fn us_core_example(name: &str) -> Value {
    setup()
        .us_core
        .root()
        .json(&format!("example/{name}"))
        .unwrap()
}

/// What the constraints find in `resource` (checked against the US Core
/// profiles its `meta.profile` names).
fn findings(resource: &Value) -> Vec<Finding> {
    let setup = setup();
    let tree = Json::parse(&serde_json::to_vec(resource).unwrap()).unwrap();
    let profiles: Vec<String> = resource["meta"]["profile"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let profiles: Vec<&str> = profiles.iter().map(String::as_str).collect();
    setup
        .invariants
        .check(setup.shapes, &tree, &tree, &profiles, None)
}

/// What the generated crate finds in `resource`: `fhir_r4` for an R4
/// example, `us_core_6_1_0` (the profile its `meta.profile` names) for a
/// US Core one.
/// `None` when the crate cannot read it (it breaks a structural rule: R4's
/// examples that `r4_roundtrip` lists).
fn typed_findings(resource: &Value) -> Option<Vec<Finding>> {
    typed_findings_by(resource, resource["meta"]["profile"].is_array())
}

/// [`typed_findings`] by `us_core_6_1_0` or `fhir_r4`.
fn typed_findings_by(resource: &Value, us_core: bool) -> Option<Vec<Finding>> {
    let bytes = serde_json::to_vec(resource).unwrap();
    Some(if us_core {
        us_core_6_1_0::ProfiledResource::from_json_unchecked(&bytes)
            .ok()?
            .check_constraints()
    } else {
        fhir_r4::Resource::from_json_unchecked(&bytes)
            .ok()?
            .check_constraints()
    })
}

/// The errors, the same from both (the test fails if they differ).
fn errors(resource: &Value) -> Vec<(String, String)> {
    let json = errors_in(findings(resource));
    let typed = errors_in(typed_findings(resource).unwrap_or_else(|| {
        let bytes = serde_json::to_vec(resource).unwrap();
        let error = fhir_r4::Resource::from_json_unchecked(&bytes).err();
        panic!("the crate does not read it: {error:?}")
    }));
    assert_eq!(
        json, typed,
        "fhirgen validate and the generated crate disagree"
    );
    json
}

/// The keys [`breaks`] was asked about (a key is only recorded when it
/// passes: a failure ends the test).
static BROKEN: std::sync::Mutex<BTreeSet<String>> = std::sync::Mutex::new(BTreeSet::new());

/// `mutated` breaks `key` at `path`, which `original` did not.
fn breaks(original: &Value, mutated: &Value, key: &str, path: &str) {
    BROKEN.lock().unwrap().insert(key.to_owned());
    let wanted = (key.to_owned(), path.to_owned());
    assert!(
        !errors(original).contains(&wanted),
        "{key} at {path} already fails before the mutation"
    );
    let found = errors(mutated);
    assert!(
        found.contains(&wanted),
        "{key} at {path} not reported; found {found:?}"
    );
    // A read refuses it too (its walk passes over the quiet types when the
    // resource holds no extension).
    let read = read_error(mutated).expect("the read refuses it");
    if found.len() == 1 {
        assert!(read.contains(key), "{key}: the read says {read}");
    }
}

/// The error of a strict read of `resource` by the generated crate.
fn read_error(resource: &Value) -> Option<String> {
    let bytes = serde_json::to_vec(resource).unwrap();
    let read = if resource["meta"]["profile"].is_array() {
        us_core_6_1_0::ProfiledResource::from_json(&bytes).map(drop)
    } else {
        fhir_r4::Resource::from_json(&bytes).map(drop)
    };
    read.err().map(|e| e.to_string())
}

/// R4's constraints of severity error that hold whatever the resource, as
/// FHIRPath reads them, and why.
const R4_UNBREAKABLE: &[(&str, &str)] = &[
    (
        "tst-4",
        "`capability.required.exists() or capability.validated.exists()`: both are 1..1, so a \
         resource without them is refused by its structure first",
    ),
    (
        "eld-11",
        "`type.select((code = 'code') or ...).exists()`: select() gives `false` for a type that \
     is not coded, not nothing, so exists() is true (`where()` was meant)",
    ),
];

/// The keys of R4's constraints of severity error that a read does not
/// enforce itself: every type's own (not those a type repeats from its
/// base), best practices and ele-1 left out.
fn r4_error_keys() -> BTreeSet<String> {
    // R4 core's definitions, from the set the tests loaded already.
    let set = &setup().us_core;
    let mut keys = BTreeSet::new();
    for r in set
        .resources_of_type("StructureDefinition")
        .filter(|&r| set.package_of(r).id().name == fhirgen::generate::CORE_PACKAGE)
    {
        let definition = set.parse::<StructureDefinition>(r).unwrap();
        if definition.derivation.as_deref() != Some("specialization")
            || !matches!(definition.kind.as_str(), "resource" | "complex-type")
        {
            continue;
        }
        for element in definition.snapshot.iter().flat_map(|s| &s.element) {
            for constraint in &element.constraint {
                let own = constraint
                    .source
                    .as_deref()
                    .is_none_or(|source| source == definition.url);
                if own
                    && constraint.severity.as_deref() == Some("error")
                    && !constraint.best_practice()
                    && constraint.key != "ele-1"
                {
                    keys.insert(constraint.key.clone());
                }
            }
        }
    }
    keys
}

/// Every constraint of severity error of R4 (each key of
/// [`r4_error_keys`]) that an example has the element of is broken by a
/// mutation below, or listed in [`R4_UNBREAKABLE`] with the reason; a
/// listed key that is broken fails the test too.
#[test]
fn r4_constraints_catch_what_breaks_them() {
    break_r4_constraints();
    break_more_r4_constraints();
    break_r4_constraints_no_example_has();
    let broken = BROKEN.lock().unwrap().clone();
    let keys = r4_error_keys();
    let unbreakable: Vec<&str> = R4_UNBREAKABLE.iter().map(|(key, _)| *key).collect();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !broken.contains(*k) && !unbreakable.contains(&k.as_str()))
        .collect();
    assert!(missing.is_empty(), "no mutation breaks {missing:?}");
    let stale: Vec<&&str> = unbreakable
        .iter()
        .filter(|k| broken.contains(**k) || !keys.contains(**k))
        .collect();
    assert!(
        stale.is_empty(),
        "listed, yet broken or not a key: {stale:?}"
    );
    println!(
        "R4: {} constraint keys of severity error, {} broken, {} unbreakable",
        keys.len(),
        keys.iter().filter(|k| broken.contains(*k)).count(),
        unbreakable.len()
    );
}

fn break_r4_constraints() {
    let patient = r4_example("Patient-example.json");
    let mut m = patient.clone();
    // per-1 (Period): start before end.
    m["name"][0]["period"] = json!({"start": "2020-01-02", "end": "2020-01-01"});
    breaks(&patient, &m, "per-1", "Patient.name[0].period");
    // ref-1 (Reference): a local reference needs the contained resource.
    let mut m = patient.clone();
    m["managingOrganization"] = json!({"reference": "#nowhere"});
    breaks(&patient, &m, "ref-1", "Patient.managingOrganization");
    // dom-3: a contained resource nothing refers to.
    let mut m = patient.clone();
    m["contained"] = json!([{"resourceType": "Organization", "id": "o1", "name": "x"}]);
    breaks(&patient, &m, "dom-3", "Patient");
    // ... referred to, it is fine; with contained resources of its own, dom-2.
    m["managingOrganization"] = json!({"reference": "#o1"});
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
    m["contained"][0]["contained"] =
        json!([{"resourceType": "Organization", "id": "o2", "name": "y"}]);
    breaks(&patient, &m, "dom-2", "Patient");
    // dom-4 and dom-5: a contained resource's meta.
    let mut m = patient.clone();
    m["contained"] = json!([{"resourceType": "Organization", "id": "o1", "name": "x",
        "meta": {"versionId": "1", "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}}]);
    m["managingOrganization"] = json!({"reference": "#o1"});
    breaks(&patient, &m, "dom-4", "Patient");
    breaks(&patient, &m, "dom-5", "Patient");
    // pat-1 (Patient.contact): a contact with details.
    let mut m = patient.clone();
    m["contact"] = json!([{"gender": "male"}]);
    breaks(&patient, &m, "pat-1", "Patient.contact[0]");
    // cpt-2 (ContactPoint): a value needs a system.
    let mut m = patient.clone();
    m["telecom"][0] = json!({"value": "555-0100"});
    breaks(&patient, &m, "cpt-2", "Patient.telecom[0]");
    // ext-1 (Extension): a value or extensions, not both.
    let mut m = patient.clone();
    m["extension"] = json!([{"url": "http://example.org/x", "valueString": "a",
        "extension": [{"url": "y", "valueString": "b"}]}]);
    breaks(&patient, &m, "ext-1", "Patient.extension[0]");
    // ... below a Coding, a type no table applies under when a resource
    // holds no extension (a read's walk passes over it then, not here).
    let mut m = patient.clone();
    m["identifier"][0]["type"]["coding"][0]["extension"] = json!([{"url": "http://example.org/x",
        "valueString": "a", "extension": [{"url": "y", "valueString": "b"}]}]);
    breaks(
        &patient,
        &m,
        "ext-1",
        "Patient.identifier[0].type.coding[0].extension[0]",
    );
    // ... on a primitive's extension too (the walk enters a primitive
    // only when it has an id or extensions).
    let mut m = patient.clone();
    m["_gender"] = json!({"extension": [{"url": "http://example.org/x", "valueString": "a",
        "extension": [{"url": "y", "valueString": "b"}]}]});
    breaks(&patient, &m, "ext-1", "Patient.gender.extension[0]");
    // ... and on the second item of a repeating primitive whose first item
    // is a bare value (not entered, but counted: the path says `given[1]`).
    let mut m = patient.clone();
    m["name"] = json!([{"given": ["Ann", "Bo"], "_given": [null, {"extension": [
        {"url": "http://example.org/x", "valueString": "a",
         "extension": [{"url": "y", "valueString": "b"}]}]}]}]);
    breaks(
        &patient,
        &m,
        "ext-1",
        "Patient.name[0].given[1].extension[0]",
    );

    let observation = r4_example("Observation-example.json");
    // obs-6: a value or a data-absent reason, not both.
    let mut m = observation.clone();
    m["dataAbsentReason"] = json!({"text": "unknown"});
    breaks(&observation, &m, "obs-6", "Observation");
    // qty-3 (Quantity): a code needs a system.
    let mut m = observation.clone();
    m["valueQuantity"] = json!({"value": 1, "code": "kg"});
    breaks(&observation, &m, "qty-3", "Observation.value");
    // obs-7: a component must not repeat the observation's own code with a value.
    let mut m = observation.clone();
    m["component"] = json!([{"code": observation["code"].clone(), "valueString": "x"}]);
    breaks(&observation, &m, "obs-7", "Observation");

    // ras-2 (RiskAssessment.prediction): a probability is at most 100.
    let risk = r4_example("RiskAssessment-genetic.json");
    let mut m = risk.clone();
    m["prediction"][0] = json!({"outcome": {"text": "x"}, "probabilityDecimal": 150});
    breaks(&risk, &m, "ras-2", "RiskAssessment.prediction[0]");

    // Bundle: bdl-1 (a total only in a search set or history), bdl-8 (no
    // version-specific fullUrl), bdl-7 (fullUrls unique).
    let bundle = r4_example("Bundle-bundle-example.json");
    let mut m = bundle.clone();
    m["type"] = json!("collection");
    breaks(&bundle, &m, "bdl-1", "Bundle");
    let mut m = bundle.clone();
    m["entry"][0]["fullUrl"] = json!("https://example.com/base/MedicationRequest/3123/_history/1");
    breaks(&bundle, &m, "bdl-8", "Bundle.entry[0]");
    let mut m = bundle.clone();
    m["entry"][1]["fullUrl"] = m["entry"][0]["fullUrl"].clone();
    m["entry"][1]["resource"] = m["entry"][0]["resource"].clone();
    breaks(&bundle, &m, "bdl-7", "Bundle");
}

/// A UCUM Quantity of `value` `unit`.
fn ucum(value: f64, unit: &str) -> Value {
    json!({"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit})
}

/// The mutations of R4's resources and datatypes beyond the first ones:
/// each from the constraint's meaning, on an R4 example that holds the
/// element.
fn break_more_r4_constraints() {
    // Appointment: start and end together (app-2), both unless proposed,
    // cancelled or waitlisted (app-3); a cancellation reason only when
    // cancelled or a no-show (app-4); a participant has a type or an actor
    // (app-1).
    let appointment = r4_example("Appointment-example.json");
    let m = without(&appointment, &["end"]);
    breaks(&appointment, &m, "app-2", "Appointment");
    breaks(&appointment, &m, "app-3", "Appointment");
    let mut m = appointment.clone();
    m["cancelationReason"] = json!({"text": "weather"});
    breaks(&appointment, &m, "app-4", "Appointment");
    let mut m = appointment.clone();
    m["participant"][0] = json!({"status": "accepted"});
    breaks(&appointment, &m, "app-1", "Appointment.participant[0]");
    // AppointmentResponse: a participant type or an actor (apr-1).
    let response = r4_example("AppointmentResponse-example.json");
    let m = without(&response, &["actor"]);
    breaks(&response, &m, "apr-1", "AppointmentResponse");
    // AllergyIntolerance: a clinical status unless entered in error
    // (ait-1), none when it is (ait-2).
    let allergy = r4_example("AllergyIntolerance-example.json");
    let m = without(&allergy, &["clinicalStatus"]);
    breaks(&allergy, &m, "ait-1", "AllergyIntolerance");
    let mut m = allergy.clone();
    m["verificationStatus"]["coding"][0]["code"] = json!("entered-in-error");
    breaks(&allergy, &m, "ait-2", "AllergyIntolerance");
    // Condition: an abatement only when resolved, in remission or inactive
    // (con-4); no clinical status when entered in error (con-5); a stage
    // with a summary or assessment (con-1); evidence with a code or detail
    // (con-2).
    let condition = r4_example("Condition-example.json");
    let mut m = condition.clone();
    m["abatementDateTime"] = json!("2013-01-01");
    breaks(&condition, &m, "con-4", "Condition");
    let mut m = condition.clone();
    m["verificationStatus"]["coding"][0]["code"] = json!("entered-in-error");
    breaks(&condition, &m, "con-5", "Condition");
    let mut m = condition.clone();
    m["stage"] = json!([{"type": {"text": "clinical"}}]);
    breaks(&condition, &m, "con-1", "Condition.stage[0]");
    let mut m = condition.clone();
    m["evidence"] = json!([{"extension": [{"url": "http://example.org/x", "valueString": "a"}]}]);
    breaks(&condition, &m, "con-2", "Condition.evidence[0]");
    // Age (age-1): positive, UCUM; Range (rng-2): low not above high.
    let mut m = without(&condition, &["onsetDateTime"]);
    m["onsetAge"] = ucum(-1.0, "a");
    breaks(&condition, &m, "age-1", "Condition.onset");
    let mut m = without(&condition, &["onsetDateTime"]);
    m["onsetRange"] = json!({"low": ucum(5.0, "a"), "high": ucum(3.0, "a")});
    breaks(&condition, &m, "rng-2", "Condition.onset");
    // Composition.section: text, entries or sections (cmp-1); no empty
    // reason beside entries (cmp-2).
    let composition = r4_example("Composition-example.json");
    let mut m = composition.clone();
    m["section"][0] = json!({"title": "empty"});
    breaks(&composition, &m, "cmp-1", "Composition.section[0]");
    let mut m = composition.clone();
    m["section"][0] = json!({"title": "x", "emptyReason": {"text": "none"},
        "entry": [{"reference": "Patient/xcda"}]});
    breaks(&composition, &m, "cmp-2", "Composition.section[0]");
    // Consent: a policy or a policy rule (ppc-1).
    let consent = r4_example("Consent-consent-example-basic.json");
    let m = without(&consent, &["policyRule", "policy"]);
    breaks(&consent, &m, "ppc-1", "Consent");
    // FamilyMemberHistory: an age or a birth, not both (fhs-1); an estimated
    // age flag only with an age (fhs-2).
    let history = r4_example("FamilyMemberHistory-father.json");
    let mut m = history.clone();
    m["ageAge"] = ucum(50.0, "a");
    m["bornDate"] = json!("1950");
    breaks(&history, &m, "fhs-1", "FamilyMemberHistory");
    let mut m = history.clone();
    m["estimatedAge"] = json!(true);
    breaks(&history, &m, "fhs-2", "FamilyMemberHistory");
    // Goal.target: a detail needs a measure (gol-1).
    let goal = r4_example("Goal-example.json");
    let mut m = goal.clone();
    m["target"][0].as_object_mut().unwrap().remove("measure");
    breaks(&goal, &m, "gol-1", "Goal.target[0]");
    // Group: members only in an actual group (grp-1).
    let group = r4_example("Group-101.json");
    let mut m = group.clone();
    m["actual"] = json!(false);
    m["member"] = json!([{"entity": {"reference": "Patient/example"}}]);
    breaks(&group, &m, "grp-1", "Group");
    // Immunization.education: a document type or reference (imm-1).
    let immunization = r4_example("Immunization-example.json");
    let mut m = immunization.clone();
    m["education"] = json!([{"presentationDate": "2013-01-10"}]);
    breaks(&immunization, &m, "imm-1", "Immunization.education[0]");
    // ImmunizationRecommendation.recommendation: a vaccine or a target
    // disease (imr-1).
    let recommendation = r4_example("ImmunizationRecommendation-example.json");
    let mut m = recommendation.clone();
    let first = m["recommendation"][0].as_object_mut().unwrap();
    first.remove("targetDisease");
    first.remove("vaccineCode");
    breaks(
        &recommendation,
        &m,
        "imr-1",
        "ImmunizationRecommendation.recommendation[0]",
    );
    // Linkage: more than one item (lnk-1).
    let linkage = r4_example("Linkage-example.json");
    let mut m = linkage.clone();
    m["item"].as_array_mut().unwrap().truncate(1);
    breaks(&linkage, &m, "lnk-1", "Linkage");
    // List: no empty reason beside entries (lst-1); deleted entries only in
    // a changes list (lst-2); entry dates only in a working list (lst-3).
    let list = r4_example("List-example-empty.json");
    let mut m = list.clone();
    m["entry"] = json!([{"item": {"reference": "Patient/example"}}]);
    breaks(&list, &m, "lst-1", "List");
    let mut m = without(&list, &["emptyReason"]);
    m["entry"] = json!([{"deleted": true, "item": {"reference": "Patient/example"}}]);
    breaks(&list, &m, "lst-2", "List");
    let mut m = without(&list, &["emptyReason"]);
    m["entry"] = json!([{"date": "2012-11-26", "item": {"reference": "Patient/example"}}]);
    breaks(&list, &m, "lst-3", "List");
    // MedicationDispense: handed over not before prepared (mdd-1).
    let dispense = r4_example("MedicationDispense-meddisp008.json");
    let mut m = dispense.clone();
    m["whenPrepared"] = json!("2015-01-02");
    m["whenHandedOver"] = json!("2015-01-01");
    breaks(&dispense, &m, "mdd-1", "MedicationDispense");
    // MedicationAdministration.dosage: a dose or a rate (mad-1).
    let administration = r4_example("MedicationAdministration-medadmin0301.json");
    let mut m = administration.clone();
    m["dosage"] = json!({"text": "as needed"});
    breaks(
        &administration,
        &m,
        "mad-1",
        "MedicationAdministration.dosage",
    );
    // Organization: an identifier or a name (org-1); no home address
    // (org-2) or home telecom (org-3).
    let organization = r4_example("Organization-1.json");
    let m = without(&organization, &["identifier", "name"]);
    breaks(&organization, &m, "org-1", "Organization");
    let mut m = organization.clone();
    m["address"] = json!([{"use": "home", "city": "Amsterdam"}]);
    breaks(&organization, &m, "org-2", "Organization.address[0]");
    let mut m = organization.clone();
    m["telecom"] = json!([{"system": "phone", "value": "555-0100", "use": "home"}]);
    breaks(&organization, &m, "org-3", "Organization.telecom[0]");
    // QuestionnaireResponse.item: answers or items, not both (qrs-1).
    let questionnaire_response = r4_example("QuestionnaireResponse-3141.json");
    let mut m = questionnaire_response.clone();
    m["item"][0]["answer"] = json!([{"valueString": "x"}]);
    breaks(
        &questionnaire_response,
        &m,
        "qrs-1",
        "QuestionnaireResponse.item[0]",
    );
    // ServiceRequest: order details need a code (prr-1).
    let request = r4_example("ServiceRequest-ambulation.json");
    let mut m = without(&request, &["code"]);
    m["orderDetail"] = json!([{"text": "slowly"}]);
    breaks(&request, &m, "prr-1", "ServiceRequest");
    // Task: modified not before authored (inv-1).
    let task = r4_example("Task-example1.json");
    let mut m = task.clone();
    m["lastModified"] = json!("2016-10-30T08:25:05+10:00");
    breaks(&task, &m, "inv-1", "Task");
    // CarePlan.activity: a detail or a reference, not both (cpl-3).
    let plan = r4_example("CarePlan-example.json");
    let mut m = plan.clone();
    m["activity"][0] = json!({"reference": {"reference": "ServiceRequest/x"},
        "detail": {"status": "scheduled"}});
    breaks(&plan, &m, "cpl-3", "CarePlan.activity[0]");
    // AuditEvent.entity: a name or a query, not both (sev-1).
    let audit = r4_example("AuditEvent-example-disclosure.json");
    let mut m = audit.clone();
    m["entity"][0]["name"] = json!("x");
    m["entity"][0]["query"] = json!("AAAA");
    breaks(&audit, &m, "sev-1", "AuditEvent.entity[0]");
    // InsurancePlan: an identifier or a name (ipn-1).
    let insurance = r4_example("InsurancePlan-example.json");
    let m = without(&insurance, &["name"]);
    breaks(&insurance, &m, "ipn-1", "InsurancePlan");
    // Observation.referenceRange: a low, a high or a text (obs-3); Ratio
    // (rat-1): a numerator and a denominator, or neither.
    let observation = r4_example("Observation-example.json");
    let mut m = observation.clone();
    m["referenceRange"] = json!([{"type": {"text": "normal"}}]);
    breaks(&observation, &m, "obs-3", "Observation.referenceRange[0]");
    let mut m = without(&observation, &["valueQuantity"]);
    m["valueRatio"] = json!({"numerator": ucum(1.0, "mg")});
    breaks(&observation, &m, "rat-1", "Observation.value");
    // Attachment (att-1): data needs a content type.
    let patient = r4_example("Patient-example.json");
    let mut m = patient.clone();
    m["photo"] = json!([{"data": "AAAA"}]);
    breaks(&patient, &m, "att-1", "Patient.photo[0]");
    // Narrative (txt-2, and txt-1's htmlChecks()): some non-whitespace
    // content.
    let mut m = patient.clone();
    m["text"]["div"] = json!("<div xmlns=\"http://www.w3.org/1999/xhtml\"> </div>");
    // The crate's reader refuses it before any constraint (its narrative
    // check is htmlChecks()'s), so the two are not compared finding for
    // finding: validate reports both keys, the read names txt-2.
    let found = errors_in(findings(&m));
    let read = read_error(&m).expect("the read refuses it");
    for key in ["txt-1", "txt-2"] {
        assert!(
            found.contains(&(key.to_owned(), "Patient.text.div".to_owned())),
            "{key}: {found:?}"
        );
        BROKEN.lock().unwrap().insert(key.to_owned());
    }
    assert!(read.contains("txt-2"), "{read}");
    // Timing.repeat: a duration or period with its unit (tim-1, tim-2),
    // not negative (tim-4, tim-5); a maximum only with its value (tim-6,
    // tim-7, tim-8); an offset only after a `when` that is not a meal
    // (tim-9); times of day or `when`, not both (tim-10).
    let prescription = r4_example("MedicationRequest-medrx0301.json");
    let at = "MedicationRequest.dosageInstruction[0].timing.repeat";
    for (repeat, key) in [
        (json!({"duration": 1}), "tim-1"),
        (json!({"period": 1}), "tim-2"),
        (json!({"duration": -1, "durationUnit": "h"}), "tim-4"),
        (json!({"period": -1, "periodUnit": "h"}), "tim-5"),
        (json!({"periodMax": 2}), "tim-6"),
        (json!({"durationMax": 2}), "tim-7"),
        (json!({"countMax": 2}), "tim-8"),
        (json!({"offset": 30, "when": ["C"]}), "tim-9"),
        (
            json!({"timeOfDay": ["08:00:00"], "when": ["MORN"]}),
            "tim-10",
        ),
    ] {
        let mut m = prescription.clone();
        m["dosageInstruction"][0]["timing"] = json!({"repeat": repeat});
        breaks(&prescription, &m, key, at);
    }
    break_r4_bundle_and_questionnaire_constraints();
    break_r4_constraints_of_other_resources();
    break_r4_terminology_and_knowledge_constraints();
    break_r4_definition_constraints();
    // Duration (drt-1): a code in UCUM, with a value.
    let mut m = prescription.clone();
    m["dispenseRequest"]["expectedSupplyDuration"] = json!({"value": 30,
        "unit": "days", "system": "http://example.org/units", "code": "d"});
    breaks(
        &prescription,
        &m,
        "drt-1",
        "MedicationRequest.dispenseRequest.expectedSupplyDuration",
    );
}

/// The mutations of R4's constraints on the resources of workflow,
/// finance, genomics, quality measures and conformance testing.
fn break_r4_constraints_of_other_resources() {
    // CareTeam.participant: on behalf of an organization only as a
    // practitioner (ctm-1); here the member resolves to a contained Patient.
    let team = r4_example("CareTeam-example.json");
    let mut m = team.clone();
    m["contained"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resourceType": "Patient", "id": "pt1", "active": true}));
    m["participant"][0] = json!({"member": {"reference": "#pt1"},
        "onBehalfOf": {"reference": "Organization/f001"}});
    breaks(&team, &m, "ctm-1", "CareTeam.participant[0]");
    // MeasureReport: no groups in a data collection (mrp-1); a stratum has
    // a value or components, not both (mrp-2).
    let report = r4_example("MeasureReport-hiv-indicators.json");
    let mut m = report.clone();
    m["type"] = json!("data-collection");
    breaks(&report, &m, "mrp-1", "MeasureReport");
    let mut m = report.clone();
    m["group"][0]["stratifier"][0]["stratum"][0]["component"] =
        json!([{"code": {"text": "sex"}, "value": {"text": "F"}}]);
    breaks(&report, &m, "mrp-2", "MeasureReport");
    // MolecularSequence: a 0- or 1-based coordinate system (msq-3); a
    // chromosome with its genome build (msq-5); one reference sequence
    // (msq-6).
    let sequence = r4_example("MolecularSequence-coord-0-base.json");
    let mut m = sequence.clone();
    m["coordinateSystem"] = json!(2);
    breaks(&sequence, &m, "msq-3", "MolecularSequence");
    let mut m = sequence.clone();
    m["referenceSeq"]["chromosome"] = json!({"text": "1"});
    breaks(&sequence, &m, "msq-5", "MolecularSequence.referenceSeq");
    let mut m = sequence.clone();
    m["referenceSeq"]["genomeBuild"] = json!("GRCh38");
    m["referenceSeq"]["chromosome"] = json!({"text": "1"});
    breaks(&sequence, &m, "msq-6", "MolecularSequence.referenceSeq");
    // RequestGroup.action: a resource or sub-actions, exactly one (rqg-1).
    let group = r4_example("RequestGroup-example.json");
    let mut m = group.clone();
    m["action"][0] = json!({"title": "nothing"});
    breaks(&group, &m, "rqg-1", "RequestGroup.action[0]");
    // CoverageEligibilityResponse.insurance.item: a category or a product,
    // not both (ces-1).
    let eligibility = r4_example("CoverageEligibilityResponse-E2501.json");
    let mut m = eligibility.clone();
    m["insurance"][0]["item"][0]["productOrService"] = json!({"text": "x"});
    breaks(
        &eligibility,
        &m,
        "ces-1",
        "CoverageEligibilityResponse.insurance[0].item[0]",
    );
    // TestReport.test.action: an operation or an assert, not both (inv-2).
    let test_report = r4_example("TestReport-testreport-example.json");
    let mut m = test_report.clone();
    m["test"][0]["action"][0]["assert"] = json!({"result": "pass"});
    breaks(&test_report, &m, "inv-2", "TestReport.test[0].action[0]");
    // TerminologyCapabilities: a description, software or implementation
    // (tcp-2); an instance has an implementation (tcp-3); a capability
    // software and no implementation (tcp-4); requirements neither (tcp-5).
    let capabilities = r4_example("TerminologyCapabilities-example.json");
    let m = without(
        &capabilities,
        &["description", "software", "implementation"],
    );
    breaks(&capabilities, &m, "tcp-2", "TerminologyCapabilities");
    let m = without(&capabilities, &["implementation"]);
    breaks(&capabilities, &m, "tcp-3", "TerminologyCapabilities");
    for (kind, key) in [("capability", "tcp-4"), ("requirements", "tcp-5")] {
        let mut m = capabilities.clone();
        m["kind"] = json!(kind);
        breaks(&capabilities, &m, key, "TerminologyCapabilities");
    }
    // RiskAssessment.prediction.probability[x]: a Range in percent (ras-1).
    let risk = r4_example("RiskAssessment-breastcancer-risk.json");
    let mut m = risk.clone();
    m["prediction"][0]["probabilityRange"] = json!({"low": ucum(1.0, "mg")});
    breaks(
        &risk,
        &m,
        "ras-1",
        "RiskAssessment.prediction[0].probability",
    );
}

/// A resource of R4's core package: its CapabilityStatements,
/// OperationDefinitions and ValueSets with an expansion are official
/// examples too, not in the examples package.
fn r4_core_resource(name: &str) -> Value {
    let set = &setup().us_core;
    let core = set
        .packages()
        .iter()
        .find(|p| p.id().name == fhirgen::generate::CORE_PACKAGE)
        .unwrap();
    core.json(name).unwrap()
}

/// The mutations of R4's constraints whose element no resource of R4's
/// examples package has: on the core package's own examples
/// (CapabilityStatement, OperationDefinition, a ValueSet's expansion), an
/// example given the element (TerminologyCapabilities.codeSystem,
/// DataRequirement.dateFilter, Count and Distance as an extension's
/// value), or a made-up StructureMap.
fn break_r4_constraints_no_example_has() {
    // CapabilityStatement: rest, messaging or document (cpb-1); a
    // description, software or implementation (cpb-2); messaging endpoints
    // only for an instance (cpb-3); one document per profile and mode
    // (cpb-7); an instance has an implementation (cpb-14); a capability
    // software and no implementation (cpb-15); requirements neither
    // (cpb-16); a resource type once per rest (cpb-9); a search parameter
    // name once per resource (cpb-12).
    let statement = r4_core_resource("CapabilityStatement-example.json");
    let m = without(&statement, &["rest", "messaging", "document"]);
    breaks(&statement, &m, "cpb-1", "CapabilityStatement");
    let m = without(&statement, &["description", "software", "implementation"]);
    breaks(&statement, &m, "cpb-2", "CapabilityStatement");
    let m = without(&statement, &["implementation"]);
    breaks(&statement, &m, "cpb-14", "CapabilityStatement");
    for (kind, key) in [
        ("capability", "cpb-3"),
        ("capability", "cpb-15"),
        ("requirements", "cpb-16"),
    ] {
        let mut m = statement.clone();
        m["kind"] = json!(kind);
        breaks(&statement, &m, key, "CapabilityStatement");
    }
    let mut m = statement.clone();
    let document = m["document"][0].clone();
    m["document"].as_array_mut().unwrap().push(document);
    breaks(&statement, &m, "cpb-7", "CapabilityStatement");
    let mut m = statement.clone();
    let resource = m["rest"][0]["resource"][0].clone();
    m["rest"][0]["resource"]
        .as_array_mut()
        .unwrap()
        .push(resource);
    breaks(&statement, &m, "cpb-9", "CapabilityStatement.rest[0]");
    let mut m = statement.clone();
    let parameter = m["rest"][0]["resource"][0]["searchParam"][0].clone();
    m["rest"][0]["resource"][0]["searchParam"]
        .as_array_mut()
        .unwrap()
        .push(parameter);
    breaks(
        &statement,
        &m,
        "cpb-12",
        "CapabilityStatement.rest[0].resource[0]",
    );
    // OperationDefinition.parameter: a type or parts (opd-1); a search type
    // only for a string (opd-2); target profiles only for a Reference or
    // canonical (opd-3).
    let operation = r4_core_resource("OperationDefinition-CodeSystem-validate-code.json");
    let at = "OperationDefinition.parameter[0]";
    let mut m = operation.clone();
    m["parameter"][0].as_object_mut().unwrap().remove("type");
    breaks(&operation, &m, "opd-1", at);
    let mut m = operation.clone();
    m["parameter"][0]["searchType"] = json!("token");
    breaks(&operation, &m, "opd-2", at);
    let mut m = operation.clone();
    m["parameter"][0]["targetProfile"] = json!(["http://example.org/StructureDefinition/x"]);
    breaks(&operation, &m, "opd-3", at);
    // ValueSet.expansion.contains: a code or a display (vsd-6); no code
    // only when abstract (vsd-9); a code has its system (vsd-10).
    let expansion = r4_core_resource("ValueSet-example-expansion.json");
    let at = "ValueSet.expansion.contains[0]";
    let mut m = expansion.clone();
    let contains = m["expansion"]["contains"][0].as_object_mut().unwrap();
    contains.remove("code");
    breaks(&expansion, &m, "vsd-9", at);
    m["expansion"]["contains"][0]
        .as_object_mut()
        .unwrap()
        .remove("display");
    breaks(&expansion, &m, "vsd-6", at);
    let mut m = expansion.clone();
    m["expansion"]["contains"][0]
        .as_object_mut()
        .unwrap()
        .remove("system");
    breaks(&expansion, &m, "vsd-10", at);
    // TerminologyCapabilities.codeSystem: with several versions, each has
    // its code (tcp-1).
    let capabilities = r4_example("TerminologyCapabilities-example.json");
    let mut m = capabilities.clone();
    m["codeSystem"] = json!([{"uri": "http://loinc.org",
        "version": [{"code": "2.50"}, {"isDefault": true}]}]);
    breaks(
        &capabilities,
        &m,
        "tcp-1",
        "TerminologyCapabilities.codeSystem[0]",
    );
    // DataRequirement.dateFilter: a path or a search parameter, one of them
    // (drq-2).
    let library = r4_example("Library-library-cms146-example.json");
    let mut m = library.clone();
    m["dataRequirement"][0]["dateFilter"] = json!([{"path": "onset", "searchParam": "onset-date"}]);
    breaks(
        &library,
        &m,
        "drq-2",
        "Library.dataRequirement[0].dateFilter[0]",
    );
    // Count: a whole number in UCUM's `1` (cnt-3); Distance: a code in
    // UCUM (dis-1); on an extension's value, where a type's own
    // constraints apply too.
    let patient = r4_example("Patient-example.json");
    for (value, key) in [
        (
            json!({"valueCount": {"value": 1.5, "system": "http://unitsofmeasure.org", "code": "1"}}),
            "cnt-3",
        ),
        (
            json!({"valueDistance": {"value": 3, "unit": "km", "system": "http://example.org/units", "code": "km"}}),
            "dis-1",
        ),
    ] {
        let mut m = patient.clone();
        let mut extension = json!({"url": "http://example.org/StructureDefinition/measured"});
        extension
            .as_object_mut()
            .unwrap()
            .extend(value.as_object().unwrap().clone());
        m["extension"] = json!([extension]);
        breaks(&patient, &m, key, "Patient.extension[0].value");
    }
    // StructureMap.group.rule.target: an element needs a context (smp-1), a
    // context its type (smp-2). No R4 example is a StructureMap: a small
    // one, valid as made.
    let map = json!({"resourceType": "StructureMap", "id": "copy",
        "url": "http://example.org/StructureMap/copy", "name": "Copy", "status": "draft",
        "group": [{"name": "main", "typeMode": "none",
            "input": [{"name": "src", "mode": "source"}, {"name": "tgt", "mode": "target"}],
            "rule": [{"name": "id", "source": [{"context": "src", "element": "id", "variable": "v"}],
                "target": [{"context": "tgt", "contextType": "variable", "element": "id",
                    "transform": "copy", "parameter": [{"valueId": "v"}]}]}]}]});
    let at = "StructureMap.group[0].rule[0].target[0]";
    let mut m = map.clone();
    let target = m["group"][0]["rule"][0]["target"][0]
        .as_object_mut()
        .unwrap();
    target.remove("context");
    target.remove("contextType");
    breaks(&map, &m, "smp-1", at);
    let mut m = map.clone();
    m["group"][0]["rule"][0]["target"][0]
        .as_object_mut()
        .unwrap()
        .remove("contextType");
    breaks(&map, &m, "smp-2", at);
}

/// The first resource of an R4 example Bundle that `test` accepts.
fn r4_entry(bundle: &str, test: impl Fn(&Value) -> bool) -> Value {
    r4_example(bundle)["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .find(|r| test(r))
        .unwrap()
}

/// The mutations of R4's constraints on terminology resources, search
/// parameters and knowledge artifacts (each from an R4 example, some from
/// a Bundle's entries, checked on its own).
fn break_r4_terminology_and_knowledge_constraints() {
    // CodeSystem: codes unique at any depth (csd-1).
    let code_system = r4_entry("Bundle-externals.json", |r| {
        r["resourceType"] == "CodeSystem"
    });
    let mut m = code_system.clone();
    let first = m["concept"][0].clone();
    m["concept"].as_array_mut().unwrap().push(first);
    breaks(&code_system, &m, "csd-1", "CodeSystem");
    // ValueSet.compose.include: a system or value sets (vsd-1); concepts and
    // filters need a system (vsd-2); concepts or filters, not both (vsd-3).
    let value_set = r4_entry("Bundle-externals.json", |r| r["resourceType"] == "ValueSet");
    let at = "ValueSet.compose.include[0]";
    let mut m = value_set.clone();
    m["compose"]["include"][0] = json!({"concept": [{"code": "a"}]});
    breaks(&value_set, &m, "vsd-1", at);
    breaks(&value_set, &m, "vsd-2", at);
    let mut m = value_set.clone();
    m["compose"]["include"][0]["filter"] =
        json!([{"property": "concept", "op": "is-a", "value": "x"}]);
    breaks(&value_set, &m, "vsd-3", at);
    // ConceptMap: a narrower or inexact target says why (cmd-1); a fixed
    // unmapped mode names its code (cmd-2), an other-map one its map
    // (cmd-3).
    let concept_map = r4_entry("Bundle-conceptmaps.json", |r| {
        r["resourceType"] == "ConceptMap"
    });
    let mut m = concept_map.clone();
    m["group"][0]["element"][0]["target"][0]["equivalence"] = json!("narrower");
    breaks(
        &concept_map,
        &m,
        "cmd-1",
        "ConceptMap.group[0].element[0].target[0]",
    );
    for (mode, key) in [("fixed", "cmd-2"), ("other-map", "cmd-3")] {
        let mut m = concept_map.clone();
        m["group"][0]["unmapped"] = json!({"mode": mode});
        breaks(&concept_map, &m, key, "ConceptMap.group[0].unmapped");
    }
    // NamingSystem: a root has no UUID (nsd-1); one preferred id per type
    // (nsd-2).
    let naming = r4_entry("Bundle-registry.json", |r| {
        r["resourceType"] == "NamingSystem"
    });
    let mut m = naming.clone();
    m["kind"] = json!("root");
    m["uniqueId"] = json!([{"type": "uuid", "value": "2d1e8b2c-5b0e-4c3e-9a57-3c7d4b4a0f1e"}]);
    breaks(&naming, &m, "nsd-1", "NamingSystem");
    let mut m = naming.clone();
    m["uniqueId"] = json!([
        {"type": "uri", "value": "http://example.org/a", "preferred": true},
        {"type": "uri", "value": "http://example.org/b", "preferred": true}]);
    breaks(&naming, &m, "nsd-2", "NamingSystem");
    // SearchParameter: an XPath says how it is used (spd-1); chains only
    // on references (spd-2).
    let with_xpath = r4_entry("Bundle-searchParams.json", |r| {
        r["xpath"].is_string() && r["xpathUsage"].is_string()
    });
    let m = without(&with_xpath, &["xpathUsage"]);
    breaks(&with_xpath, &m, "spd-1", "SearchParameter");
    let token = r4_entry("Bundle-searchParams.json", |r| r["type"] == "token");
    let mut m = token.clone();
    m["chain"] = json!(["name"]);
    breaks(&token, &m, "spd-2", "SearchParameter");
    // DataRequirement.codeFilter: a path or a search parameter, exactly one
    // (drq-1).
    let library = r4_example("Library-example.json");
    let mut m = library.clone();
    m["dataRequirement"] = json!([{"type": "Condition",
        "codeFilter": [{"path": "code", "searchParam": "code"}]}]);
    breaks(
        &library,
        &m,
        "drq-1",
        "Library.dataRequirement[0].codeFilter[0]",
    );
    // TriggerDefinition: data or timing, not both (trd-1); a condition
    // needs data (trd-2); each type its own part (trd-3).
    // (The example's narrative is empty, which a read refuses: left out.)
    let event = without(&r4_example("EventDefinition-example.json"), &["text"]);
    for (trigger, key) in [
        (
            json!({"type": "data-changed", "data": [{"type": "Patient"}],
            "timingDate": "2020-01-01"}),
            "trd-1",
        ),
        (
            json!({"type": "named-event", "name": "admit",
            "condition": {"language": "text/fhirpath", "expression": "true"}}),
            "trd-2",
        ),
        (json!({"type": "periodic"}), "trd-3"),
    ] {
        let mut m = event.clone();
        m["trigger"] = json!([trigger]);
        breaks(&event, &m, key, "EventDefinition.trigger[0]");
    }
    // MessageDefinition.focus: a maximum of `*` or above zero (md-1).
    let message = r4_example("MessageDefinition-example.json");
    let mut m = message.clone();
    m["focus"] = json!([{"code": "Patient", "min": 0, "max": "0"}]);
    breaks(&message, &m, "md-1", "MessageDefinition.focus[0]");
    // Measure: a stratifier has a code, description or criteria, or
    // components, not both (mea-1).
    let measure = r4_example("Measure-component-a-example.json");
    let mut m = measure.clone();
    m["group"] = json!([{"stratifier": [{"code": {"text": "age"},
        "component": [{"criteria": {"language": "text/cql", "expression": "Age"}}]}]}]);
    breaks(&measure, &m, "mea-1", "Measure");
    // Expression: an expression or a reference to one (exp-1), in a
    // PlanDefinition's action condition.
    let plan = r4_example("PlanDefinition-chlamydia-screening-intervention.json");
    let mut m = plan.clone();
    m["action"] = json!([{"title": "screen",
        "condition": [{"kind": "applicability", "expression": {"language": "text/cql"}}]}]);
    breaks(
        &plan,
        &m,
        "exp-1",
        "PlanDefinition.action[0].condition[0].expression",
    );
    // ImplementationGuide: its resources' FHIR versions are its own (ig-2),
    // their groups its groups (ig-1). R4's one example (`ig-r4.json`, a
    // package manifest) lacks required elements: a minimal guide instead.
    let guide = json!({"resourceType": "ImplementationGuide", "id": "x",
        "url": "http://example.org/ImplementationGuide/x", "name": "X", "status": "draft",
        "packageId": "example.x", "fhirVersion": ["4.0.1"]});
    let resource = |extra: Value| {
        let mut item = json!({"reference": {"reference": "Patient/example"}});
        item.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        item
    };
    let mut m = guide.clone();
    m["definition"] = json!({"resource": [resource(json!({"fhirVersion": ["1.0.2"]}))]});
    breaks(&guide, &m, "ig-2", "ImplementationGuide");
    let mut m = guide.clone();
    m["definition"] = json!({"resource": [resource(json!({"groupingId": "nowhere"}))]});
    breaks(&guide, &m, "ig-1", "ImplementationGuide.definition");
    // Consent: one naming no patient has none of the scopes that need one
    // (ppc-2..5; R4 writes their system as 'something').
    let consent = without(
        &r4_example("Consent-consent-example-basic.json"),
        &["patient"],
    );
    for (code, key) in [
        ("patient-privacy", "ppc-2"),
        ("research", "ppc-3"),
        ("adr", "ppc-4"),
        ("treatment", "ppc-5"),
    ] {
        let mut m = consent.clone();
        m["scope"] = json!({"coding": [{"system": "something", "code": code}]});
        breaks(&consent, &m, key, "Consent");
    }
}

/// The mutations of R4's StructureDefinition, ElementDefinition and
/// TestScript constraints: on R4's own definition of `string` (from the
/// examples' Bundle of type definitions: its snapshot has `string`,
/// `string.id`, `string.extension`, `string.value`, its differential
/// `string` and `string.value`) and on a TestScript example.
fn break_r4_definition_constraints() {
    let string = r4_entry("Bundle-types.json", |r| r["id"] == "string");
    let mutate = |change: &dyn Fn(&mut Value)| {
        let mut m = string.clone();
        change(&mut m);
        m
    };
    let sd = "StructureDefinition";
    for (m, key, at) in [
        // Snapshot paths unique in a specialization (sdf-1); a base unless
        // abstract (sdf-4); a snapshot or differential (sdf-6).
        (
            mutate(&|m| {
                let id = m["snapshot"]["element"][1].clone();
                m["snapshot"]["element"].as_array_mut().unwrap().push(id);
            }),
            "sdf-1",
            sd,
        ),
        (without(&string, &["baseDefinition"]), "sdf-4", sd),
        (without(&string, &["snapshot", "differential"]), "sdf-6", sd),
        // An extension definition says where it is used (sdf-5); context
        // invariants only on extensions (sdf-18).
        (
            mutate(&|m| {
                m["type"] = json!("Extension");
                m["derivation"] = json!("constraint");
            }),
            "sdf-5",
            sd,
        ),
        (
            mutate(&|m| m["contextInvariant"] = json!(["true"])),
            "sdf-18",
            sd,
        ),
        // The first snapshot element is the type (sdf-11) with no type of
        // its own (sdf-15; in the differential, sdf-15a); no label, code or
        // requirements on it (sdf-9); no slice names at the root (sdf-23).
        (mutate(&|m| m["type"] = json!("uri")), "sdf-11", sd),
        (
            mutate(&|m| m["snapshot"]["element"][0]["type"] = json!([{"code": "Element"}])),
            "sdf-15",
            sd,
        ),
        (
            mutate(&|m| m["differential"]["element"][0]["type"] = json!([{"code": "Element"}])),
            "sdf-15a",
            sd,
        ),
        (
            mutate(&|m| m["snapshot"]["element"][0]["label"] = json!("x")),
            "sdf-9",
            sd,
        ),
        (
            mutate(&|m| m["snapshot"]["element"][0]["sliceName"] = json!("x")),
            "sdf-23",
            sd,
        ),
        // Element ids present (sdf-14) and unique (sdf-16, in the
        // differential sdf-17).
        (
            mutate(&|m| {
                m["snapshot"]["element"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("id");
            }),
            "sdf-14",
            sd,
        ),
        (
            mutate(&|m| m["snapshot"]["element"][2]["id"] = json!("string.id")),
            "sdf-16",
            sd,
        ),
        (
            mutate(&|m| {
                let root = m["differential"]["element"][0].clone();
                m["differential"]["element"]
                    .as_array_mut()
                    .unwrap()
                    .push(root);
            }),
            "sdf-17",
            sd,
        ),
        // Core definitions use type names or System types (sdf-19) and no
        // default values (sdf-22); default values only in specializations
        // (sdf-21).
        (
            mutate(&|m| m["snapshot"]["element"][3]["type"][0]["code"] = json!("not-a-type")),
            "sdf-19",
            sd,
        ),
        (
            mutate(&|m| m["snapshot"]["element"][3]["defaultValueString"] = json!("x")),
            "sdf-22",
            sd,
        ),
        (
            mutate(&|m| {
                m["derivation"] = json!("constraint");
                m["differential"]["element"][1]["defaultValueString"] = json!("x");
            }),
            "sdf-21",
            sd,
        ),
        // A mapping has a name or a URI (sdf-2).
        (
            mutate(&|m| m["mapping"] = json!([{"identity": "x"}])),
            "sdf-2",
            "StructureDefinition.mapping[0]",
        ),
        // Snapshot elements have a definition, min and max (sdf-3), paths
        // below the first (sdf-8; the differential's, sdf-8a) and a base
        // (sdf-8b); no slicing at the differential's root (sdf-20).
        (
            mutate(&|m| {
                m["snapshot"]["element"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("definition");
            }),
            "sdf-3",
            "StructureDefinition.snapshot",
        ),
        (
            mutate(&|m| {
                m["snapshot"]["element"][1]["path"] = json!("other.id");
            }),
            "sdf-8",
            "StructureDefinition.snapshot",
        ),
        (
            mutate(&|m| m["differential"]["element"][0]["path"] = json!("other")),
            "sdf-8a",
            "StructureDefinition.differential",
        ),
        (
            mutate(&|m| {
                m["snapshot"]["element"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("base");
            }),
            "sdf-8b",
            "StructureDefinition.snapshot",
        ),
        (
            mutate(&|m| {
                m["differential"]["element"][0]["slicing"] =
                    json!({"rules": "open", "description": "x"});
            }),
            "sdf-20",
            "StructureDefinition.differential",
        ),
        // A binding names a value set or says why not (sdf-10).
        (
            mutate(&|m| m["snapshot"]["element"][1]["binding"] = json!({"strength": "example"})),
            "sdf-10",
            "StructureDefinition.snapshot.element[1]",
        ),
    ] {
        breaks(&string, &m, key, at);
    }
    // ElementDefinition (the snapshot's `string.id`).
    let at = "StructureDefinition.snapshot.element[1]";
    let element = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut m = string.clone();
        change(m["snapshot"]["element"][1].as_object_mut().unwrap());
        m
    };
    let constraint = json!({"key": "x-1", "severity": "error", "human": "x"});
    for (m, key, at) in [
        // min not above max (eld-2); max `*` or a count (eld-3).
        (
            element(&|e| {
                e.insert("min".into(), json!(2));
            }),
            "eld-2",
            at.to_owned(),
        ),
        (
            element(&|e| {
                e.insert("max".into(), json!("many"));
            }),
            "eld-3",
            format!("{at}.max"),
        ),
        // A content reference has no type or values (eld-5).
        (
            element(&|e| {
                e.insert("contentReference".into(), json!("#string"));
            }),
            "eld-5",
            at.to_owned(),
        ),
        // A fixed value (eld-6) or pattern (eld-7) on one type only; not
        // both (eld-8).
        (
            element(&|e| {
                e.insert("type".into(), json!([{"code": "string"}, {"code": "uri"}]));
                e.insert("fixedString".into(), json!("x"));
            }),
            "eld-6",
            at.to_owned(),
        ),
        (
            element(&|e| {
                e.insert("type".into(), json!([{"code": "string"}, {"code": "uri"}]));
                e.insert("patternString".into(), json!("x"));
            }),
            "eld-7",
            at.to_owned(),
        ),
        (
            element(&|e| {
                e.insert("fixedString".into(), json!("x"));
                e.insert("patternString".into(), json!("x"));
            }),
            "eld-8",
            at.to_owned(),
        ),
        // A binding's value set by an absolute URL (eld-12).
        (
            element(&|e| {
                e.insert(
                    "binding".into(),
                    json!({"strength": "required", "valueSet": "x"}),
                );
            }),
            "eld-12",
            format!("{at}.binding"),
        ),
        // Type codes unique (eld-13); constraint keys unique (eld-14).
        (
            element(&|e| {
                e.insert(
                    "type".into(),
                    json!([{"code": "string"}, {"code": "string"}]),
                );
            }),
            "eld-13",
            at.to_owned(),
        ),
        (
            element(&|e| {
                e.insert("constraint".into(), json!([constraint, constraint]));
            }),
            "eld-14",
            at.to_owned(),
        ),
        // A default value or a meaning when missing, not both (eld-15).
        (
            element(&|e| {
                e.insert("defaultValueString".into(), json!("x"));
                e.insert("meaningWhenMissing".into(), json!("x"));
            }),
            "eld-15",
            at.to_owned(),
        ),
        // Slice names of letters, digits and `/-_[]@` (eld-16); a slice
        // that constrains has a name (eld-22).
        (
            element(&|e| {
                e.insert("sliceName".into(), json!("a b"));
            }),
            "eld-16",
            at.to_owned(),
        ),
        (
            element(&|e| {
                e.insert("sliceIsConstraining".into(), json!(true));
            }),
            "eld-22",
            at.to_owned(),
        ),
        // A modifier says why (eld-18).
        (
            element(&|e| {
                e.insert("isModifier".into(), json!(true));
                e.remove("isModifierReason");
            }),
            "eld-18",
            at.to_owned(),
        ),
        // A path of names (eld-19; `matches()` looks for a match anywhere,
        // so no character of the path may start one).
        (
            element(&|e| {
                e.insert("path".into(), json!(".."));
            }),
            "eld-19",
            at.to_owned(),
        ),
        // Slicing has discriminators or a description (eld-1).
        (
            element(&|e| {
                e.insert("slicing".into(), json!({"rules": "open"}));
            }),
            "eld-1",
            format!("{at}.slicing"),
        ),
        // Aggregation (eld-4) and target profiles (eld-17) only on
        // references.
        (
            element(&|e| {
                e.insert(
                    "type".into(),
                    json!([{"code": "string", "aggregation": ["contained"]}]),
                );
            }),
            "eld-4",
            format!("{at}.type[0]"),
        ),
        (
            element(&|e| {
                e.insert(
                    "type".into(),
                    json!([{"code": "string",
                "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}]),
                );
            }),
            "eld-17",
            format!("{at}.type[0]"),
        ),
    ] {
        breaks(&string, &m, key, &at);
    }

    // TestScript (a read test): a variable by one of expression, header or
    // path (tst-3).
    let script = r4_example("TestScript-testscript-example-readtest.json");
    let mut m = script.clone();
    m["variable"][0] = json!({"name": "v", "expression": "x", "headerField": "h", "path": "p"});
    breaks(&script, &m, "tst-3", "TestScript.variable[0]");
    // An action is an operation or an assert (tst-1 in the setup, tst-2 in
    // a test); an operation has a source, or one of target, url and params,
    // unless it needs none (tst-7 in the setup, tst-8 in a test, tst-9 in
    // the teardown); an assert checks one thing (tst-5, tst-6), compares to
    // a source by expression or path (tst-10, tst-11), and has no response
    // when about the request (tst-12, tst-13).
    let operation = script["test"][0]["action"][0]["operation"].clone();
    let mut bare = operation.clone();
    bare.as_object_mut().unwrap().remove("params");
    let check = json!({"response": "okay", "warningOnly": false});
    let asserts = [
        (
            json!({"response": "okay", "contentType": "xml", "warningOnly": false}),
            "tst-5",
            "tst-6",
        ),
        (
            json!({"response": "okay", "compareToSourceId": "x", "warningOnly": false}),
            "tst-10",
            "tst-11",
        ),
        (
            json!({"direction": "request", "response": "okay", "warningOnly": false}),
            "tst-12",
            "tst-13",
        ),
    ];
    let mut m = script.clone();
    m["setup"] = json!({"action": [{"operation": operation, "assert": check}]});
    breaks(&script, &m, "tst-1", "TestScript.setup.action[0]");
    let mut m = script.clone();
    m["test"][0]["action"][0]["assert"] = check.clone();
    breaks(&script, &m, "tst-2", "TestScript.test[0].action[0]");
    let mut m = script.clone();
    m["setup"] = json!({"action": [{"operation": bare}]});
    breaks(&script, &m, "tst-7", "TestScript.setup.action[0].operation");
    let mut m = script.clone();
    m["test"][0]["action"][0]["operation"] = bare.clone();
    breaks(
        &script,
        &m,
        "tst-8",
        "TestScript.test[0].action[0].operation",
    );
    let mut m = script.clone();
    m["teardown"] = json!({"action": [{"operation": bare}]});
    breaks(
        &script,
        &m,
        "tst-9",
        "TestScript.teardown.action[0].operation",
    );
    for (assert, in_setup, in_test) in asserts {
        let mut m = script.clone();
        m["setup"] = json!({"action": [{"assert": assert}]});
        breaks(&script, &m, in_setup, "TestScript.setup.action[0].assert");
        let mut m = script.clone();
        m["test"][0]["action"][1]["assert"] = assert;
        breaks(&script, &m, in_test, "TestScript.test[0].action[1].assert");
    }
}

/// The mutations of R4's Bundle and Questionnaire constraints.
fn break_r4_bundle_and_questionnaire_constraints() {
    // Search entries only in a search set (bdl-2).
    let searchset = without(&r4_example("Bundle-bundle-example.json"), &["total"]);
    let mut m = searchset.clone();
    m["type"] = json!("collection");
    breaks(&searchset, &m, "bdl-2", "Bundle");
    // A request on each entry of a batch, transaction or history (bdl-3), a
    // response on each of a batch or transaction response (bdl-4).
    let transaction = r4_example("Bundle-bundle-transaction.json");
    let mut m = transaction.clone();
    m["entry"][0].as_object_mut().unwrap().remove("request");
    breaks(&transaction, &m, "bdl-3", "Bundle");
    let response = r4_example("Bundle-bundle-response.json");
    let mut m = response.clone();
    m["entry"][0].as_object_mut().unwrap().remove("response");
    breaks(&response, &m, "bdl-4", "Bundle");
    // An entry holds a resource, a request or a response (bdl-5).
    let collection = r4_example("Bundle-bundle-references.json");
    let mut m = collection.clone();
    let entries = m["entry"].as_array_mut().unwrap();
    entries.push(json!({"fullUrl": "http://example.org/fhir/Patient/x"}));
    let at = format!("Bundle.entry[{}]", entries.len() - 1);
    breaks(&collection, &m, "bdl-5", &at);
    // A document has an identifier (bdl-9), a timestamp (bdl-10) and a
    // Composition first (bdl-11); a message a MessageHeader first (bdl-12).
    let document = r4_example("Bundle-father.json");
    let m = without(&document, &["identifier"]);
    breaks(&document, &m, "bdl-9", "Bundle");
    let m = without(&document, &["timestamp"]);
    breaks(&document, &m, "bdl-10", "Bundle");
    let mut m = document.clone();
    m["entry"].as_array_mut().unwrap().swap(0, 1);
    breaks(&document, &m, "bdl-11", "Bundle");
    let message = r4_example("Bundle-10bb101f-a121-4264-a920-67be9cb82c74.json");
    let mut m = message.clone();
    m["entry"].as_array_mut().unwrap().swap(0, 1);
    breaks(&message, &m, "bdl-12", "Bundle");

    // Questionnaire: linkIds unique (que-2); a group has items (que-1).
    let questionnaire = r4_example("Questionnaire-f201.json");
    let mut m = questionnaire.clone();
    let first = m["item"][0].clone();
    m["item"].as_array_mut().unwrap().push(first);
    breaks(&questionnaire, &m, "que-2", "Questionnaire");
    let group = questionnaire["item"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["type"] == "group")
        .unwrap();
    let mut m = questionnaire.clone();
    m["item"][group].as_object_mut().unwrap().remove("item");
    breaks(
        &questionnaire,
        &m,
        "que-1",
        &format!("Questionnaire.item[{group}]"),
    );
    // Items that break one rule each, added after the example's.
    let added = questionnaire["item"].as_array().unwrap().len();
    let at = format!("Questionnaire.item[{added}]");
    let option = json!([{"valueString": "a"}]);
    let exists = json!({"question": "1", "operator": "exists", "answerBoolean": true});
    for (item, key) in [
        // A display item has no code (que-3), is neither required nor
        // repeating (que-6), nor read-only (que-9).
        (
            json!({"linkId": "d", "type": "display", "text": "x", "code": [{"code": "a"}]}),
            "que-3",
        ),
        (
            json!({"linkId": "d", "type": "display", "text": "x", "required": true}),
            "que-6",
        ),
        (
            json!({"linkId": "d", "type": "display", "text": "x", "readOnly": true}),
            "que-9",
        ),
        // Answer options or an answer value set, not both (que-4); only on
        // types that take them (que-5); not beside initial values (que-11).
        (
            json!({"linkId": "c", "type": "choice", "answerOption": option,
            "answerValueSet": "http://example.org/vs"}),
            "que-4",
        ),
        (
            json!({"linkId": "b", "type": "boolean", "answerOption": option}),
            "que-5",
        ),
        (
            json!({"linkId": "c", "type": "choice", "answerOption": option,
            "initial": [{"valueString": "a"}]}),
            "que-11",
        ),
        // No initial value on a group (que-8); one unless it repeats
        // (que-13); a maximum length only on text types (que-10).
        (
            json!({"linkId": "g", "type": "group", "initial": [{"valueString": "a"}],
            "item": [{"linkId": "g.1", "type": "string"}]}),
            "que-8",
        ),
        (
            json!({"linkId": "s", "type": "string",
            "initial": [{"valueString": "a"}, {"valueString": "b"}]}),
            "que-13",
        ),
        (
            json!({"linkId": "t", "type": "date", "maxLength": 5}),
            "que-10",
        ),
        // More than two conditions say how they combine (que-12).
        (
            json!({"linkId": "e", "type": "string",
            "enableWhen": [exists.clone(), exists.clone(), exists.clone()]}),
            "que-12",
        ),
    ] {
        let mut m = questionnaire.clone();
        m["item"].as_array_mut().unwrap().push(item);
        breaks(&questionnaire, &m, key, &at);
    }
    // An `exists` condition has a Boolean answer (que-7).
    let mut m = questionnaire.clone();
    m["item"]
        .as_array_mut()
        .unwrap()
        .push(json!({"linkId": "e", "type": "string",
        "enableWhen": [{"question": "1", "operator": "exists", "answerString": "x"}]}));
    breaks(&questionnaire, &m, "que-7", &format!("{at}.enableWhen[0]"));
}

/// What bundle.html asks of an entry's `fullUrl` (absolute; a RESTful one
/// names its resource's type and id) is checked with the constraints, by
/// both, for a Bundle at any depth; its issue type is `invalid`.
#[test]
fn a_bundle_entrys_full_url_is_checked_by_both_at_any_depth() {
    let bundle = r4_example("Bundle-bundle-example.json");
    let mut m = bundle.clone();
    m["entry"][1]["fullUrl"] = json!("Medication/example");
    breaks(&bundle, &m, "", "Bundle.entry[1].fullUrl");
    let mut m = bundle.clone();
    let id = m["entry"][0]["resource"]["id"].as_str().unwrap().to_owned();
    m["entry"][0]["resource"]["id"] = json!(format!("{id}x"));
    breaks(&bundle, &m, "", "Bundle.entry[0].fullUrl");
    let found = findings(&m);
    let finding = found
        .iter()
        .find(|f| f.path == "Bundle.entry[0].fullUrl")
        .unwrap();
    assert!(
        finding
            .message
            .contains(&format!("the resource's id is `{id}x`")),
        "{finding:?}"
    );
    assert!(!finding.is_constraint());
    assert_eq!(finding.to_issue().code, fhirgen_runtime::IssueCode::Invalid);

    // Inside a Bundle's entry: the inner Bundle's entries are checked too.
    let outer = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:9d3b1a3e-52a5-4f0b-8d1e-4c3f0a2b7d61", "resource": bundle}]});
    let mut m = outer.clone();
    m["entry"][0]["resource"]["entry"][1]["fullUrl"] = json!("Medication/example");
    let read = read_error(&m).expect("the read refuses it");
    assert!(
        read.contains("Bundle.entry[0].resource.entry[1].fullUrl") && read.contains("not absolute"),
        "{read}"
    );
    assert_eq!(read_error(&outer), None);
}

/// A Bundle's entry is checked against the profiles its `meta.profile`
/// claims (as `fhirgen validate` checks it), not only its type: here
/// us-core-6 on a US Core DocumentReference's attachment, with or without a
/// `|version` on the claim; without the claim, only R4's constraints apply.
#[test]
fn a_bundle_entry_is_checked_against_the_profiles_it_claims() {
    // Read by the US Core crate (the Bundle claims no profile itself).
    let read = |bundle: &Value| {
        us_core_6_1_0::ProfiledResource::from_json(&serde_json::to_vec(bundle).unwrap())
            .err()
            .map(|e| e.to_string())
    };
    let check = |bundle: &Value| {
        let bytes = serde_json::to_vec(bundle).unwrap();
        errors_in(
            us_core_6_1_0::ProfiledResource::from_json_unchecked(&bytes)
                .unwrap()
                .check_constraints(),
        )
    };
    let bundle = us_core_example("Bundle-docref-example-1.json");
    assert_eq!(read(&bundle), None);
    let profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference";
    assert_eq!(
        bundle["entry"][0]["resource"]["meta"]["profile"][0],
        profile
    );
    let mut m = bundle.clone();
    m["entry"][0]["resource"]["content"][0]["attachment"] = json!({"contentType": "text/plain"});
    let at = "Bundle.entry[0].resource.content[0].attachment";
    let error = read(&m).expect("the read refuses it");
    assert!(error.contains(at) && error.contains("us-core-6"), "{error}");
    assert_eq!(check(&m), vec![("us-core-6".to_owned(), at.to_owned())]);

    let mut versioned = m.clone();
    versioned["entry"][0]["resource"]["meta"]["profile"][0] = json!(format!("{profile}|6.1.0"));
    let error = read(&versioned).expect("the read refuses it");
    assert!(error.contains(at) && error.contains("us-core-6"), "{error}");

    // Unclaimed, or read by the R4 crate: R4's constraints only.
    let mut unclaimed = m.clone();
    unclaimed["entry"][0]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("meta");
    assert_eq!(read(&unclaimed), None);
    assert_eq!(check(&unclaimed), vec![]);
    assert_eq!(read_error(&m), None);
}

#[test]
fn a_resource_is_checked_against_every_profile_it_claims() {
    // Read as us-core-body-weight (the deepest of its claims), whose
    // vitalsigns base asks vs-2 (a value, components, members or a reason
    // for no value); us-core-observation-lab, claimed too, asks us-core-2
    // (the same rule, another key).
    let weight = us_core_example("Observation-weight.json");
    let lab = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab";
    let mut m = weight.clone();
    m.as_object_mut().unwrap().remove("valueQuantity");
    let at = "Observation".to_owned();
    assert_eq!(errors(&m), vec![("vs-2".to_owned(), at.clone())]);
    let mut both = m.clone();
    both["meta"]["profile"]
        .as_array_mut()
        .unwrap()
        .push(json!(lab));
    // The crate finds what fhirgen validate finds (`errors` holds them
    // equal); the crate also with a `|version` on the claim.
    let found = errors(&both);
    assert!(
        found.contains(&("us-core-2".to_owned(), at.clone()))
            && found.contains(&("vs-2".to_owned(), at.clone())),
        "{found:?}"
    );
    let mut versioned = m.clone();
    versioned["meta"]["profile"]
        .as_array_mut()
        .unwrap()
        .push(json!(format!("{lab}|6.1.0")));
    let typed = errors_in(typed_findings(&versioned).unwrap());
    assert!(typed.contains(&("us-core-2".to_owned(), at)), "{typed:?}");
    // Claimed and kept: nothing found, and the read takes it.
    let mut kept = weight.clone();
    kept["meta"]["profile"]
        .as_array_mut()
        .unwrap()
        .push(json!(lab));
    assert_eq!(errors(&kept), vec![]);
    assert_eq!(read_error(&kept), None);
}

#[test]
fn a_read_checks_the_constraints_of_the_profiles_it_is_not_read_as() {
    // Claims of equal depth: read as the last (us-core-simple-observation,
    // which has no constraint of its own); us-core-3 of the other (screening
    // assessment) asks for UCUM in a Quantity value.
    let base = "http://hl7.org/fhir/us/core/StructureDefinition";
    let mut m = us_core_example("Observation-simple-observation-sdoh.json");
    let object = m.as_object_mut().unwrap();
    object.remove("valueBoolean");
    object.insert(
        "valueQuantity".to_owned(),
        json!({"value": 2, "unit": "x", "system": "http://example.org/units", "code": "x"}),
    );
    assert_eq!(read_error(&m), None);
    m["meta"]["profile"] = json!([
        format!("{base}/us-core-observation-screening-assessment"),
        format!("{base}/us-core-simple-observation")
    ]);
    let bytes = serde_json::to_vec(&m).unwrap();
    let error = us_core_6_1_0::ProfiledResource::from_json(&bytes)
        .expect_err("the read refuses it")
        .to_string();
    assert!(error.contains("us-core-3"), "{error}");
    // Read as the simple observation all the same.
    let resource = us_core_6_1_0::ProfiledResource::from_json_unchecked(&bytes).unwrap();
    assert_eq!(
        resource.profile(),
        Some("http://hl7.org/fhir/us/core/StructureDefinition/us-core-simple-observation")
    );
    assert_eq!(
        errors(&m),
        vec![("us-core-3".to_owned(), "Observation".to_owned())]
    );
}

/// R4 examples with an empty narrative `<div>`: they break txt-2 ("SHALL
/// have some non-whitespace content") and so txt-1 (`htmlChecks()`, which
/// applies the same rules); `r4_roundtrip` lists them too.
const EMPTY_NARRATIVES: &[&str] = &[
    "ActivityDefinition-blood-tubes-supply.json",
    "ActivityDefinition-heart-valve-replacement.json",
    "EventDefinition-example.json",
    "Questionnaire-zika-virus-exposure-assessment.json",
];

#[test]
fn no_r4_or_us_core_example_breaks_a_constraint() {
    let setup = setup();
    let mut checked = 0;
    let mut failures = Vec::new();
    for package in [setup.r4_examples.root(), setup.us_core.root()] {
        let entries = if package.examples().is_empty() {
            package.resources()
        } else {
            package.examples()
        };
        for entry in entries {
            let resource = package.json(&entry.filename).unwrap();
            let tree = Json::parse(&serde_json::to_vec(&resource).unwrap()).unwrap();
            // A Bundle, then each entry's resource (references resolve in the Bundle).
            let mut resources = vec![&tree];
            if let Some(Json::Array(entries)) = tree.get("entry") {
                resources.extend(entries.iter().filter_map(|e| e.get("resource")));
            }
            for (index, inner) in resources.into_iter().enumerate() {
                checked += 1;
                let profiles: Vec<&str> = match inner.get("meta").and_then(|m| m.get("profile")) {
                    Some(Json::Array(p)) => p.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                for finding in setup
                    .invariants
                    .check(setup.shapes, &tree, inner, &profiles, None)
                {
                    let known = EMPTY_NARRATIVES.contains(&entry.filename.as_str())
                        && (finding.key == "txt-1" || finding.key == "txt-2");
                    // Entries' fullUrls that disagree with their resources
                    // are no constraint's: r4_roundtrip and the US Core
                    // round trip list the Bundles with them.
                    if finding.severity == Some(Severity::Error)
                        && finding.is_constraint()
                        && !known
                    {
                        failures.push(format!(
                            "{} ({index}): {} at {}",
                            entry.filename, finding.key, finding.path
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 3500, "only {checked} resources found");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A finding as the two sides are compared: key, severity, and where (a
/// Bundle entry's resource, which `fhirgen validate` checks on its own,
/// from its own type: `Patient.name[0]` for `Bundle.entry[2].resource.name[0]`).
fn comparable(finding: &Finding, types: &[String]) -> String {
    let mut path = finding.path.clone();
    if let Some(rest) = path.strip_prefix("Bundle.entry[")
        && let Some((index, tail)) = rest.split_once("].resource")
        && let Some(own) = index.parse::<usize>().ok().and_then(|i| types.get(i))
    {
        path = format!("{own}{tail}");
    }
    format!("{} {:?} {path}", finding.key, finding.severity)
}

/// The generated crates find what `fhirgen validate` finds, finding for
/// finding (warnings and notes included), on every R4 and US Core example.
#[test]
fn the_generated_crates_find_what_validate_finds() {
    let setup = setup();
    let (mut checked, mut findings, mut unreadable) = (0, 0, 0);
    let mut differences = Vec::new();
    for package in [setup.r4_examples.root(), setup.us_core.root()] {
        let us_core = package.id() == setup.us_core.root().id();
        let entries = if package.examples().is_empty() {
            package.resources()
        } else {
            package.examples()
        };
        for entry in entries {
            if EMPTY_NARRATIVES.contains(&entry.filename.as_str()) {
                continue; // a structural read rejects them (txt-2)
            }
            let resource = package.json(&entry.filename).unwrap();
            let tree = Json::parse(&serde_json::to_vec(&resource).unwrap()).unwrap();
            let mut resources = vec![&tree];
            if let Some(Json::Array(entries)) = tree.get("entry") {
                resources.extend(entries.iter().filter_map(|e| e.get("resource")));
            }
            let types: Vec<String> = resources[1..]
                .iter()
                .map(|r| {
                    r.get("resourceType")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .collect();
            let mut json = Vec::new();
            for (index, inner) in resources.into_iter().enumerate() {
                // The crate reads a resource as the deepest profile it
                // claims (the examples claim one), and checks a Bundle
                // entry against each profile it claims (`|version` dropped).
                let claims = match inner.get("meta").and_then(|m| m.get("profile")) {
                    Some(Json::Array(p)) => p.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                let profiles: Vec<&str> = if index == 0 {
                    claims.into_iter().take(1).collect()
                } else {
                    claims
                        .into_iter()
                        .map(fhirgen_runtime::canonical_url)
                        .collect()
                };
                json.extend(
                    setup
                        .invariants
                        .check(setup.shapes, &tree, inner, &profiles, None)
                        .iter()
                        .map(|f| comparable(f, &types)),
                );
            }
            // A US Core example by the US Core crate (its Bundles' entries
            // against the profiles they claim).
            let Some(typed) = typed_findings_by(&resource, us_core) else {
                unreadable += 1;
                continue;
            };
            // The crate checks the entries of a Bundle inside a Bundle too;
            // this side checks one level of entries here (R4's examples
            // have one such Bundle: only dom-6 warnings inside).
            let mut typed: Vec<String> = typed
                .iter()
                .filter(|f| f.path.matches(".resource").count() < 2)
                .map(|f| comparable(f, &types))
                .collect();
            json.sort();
            typed.sort();
            checked += 1;
            findings += json.len();
            if json != typed {
                differences.push(format!(
                    "{}:\n  validate: {json:?}\n  crate:    {typed:?}",
                    entry.filename
                ));
            }
        }
    }
    println!(
        "{checked} examples, {findings} findings, {} differ ({unreadable} not read: r4_roundtrip lists them)",
        differences.len()
    );
    assert!(checked > 700, "only {checked} examples");
    assert!(unreadable <= 3, "{unreadable} examples do not read");
    assert!(
        differences.is_empty(),
        "{} differ:\n{}",
        differences.len(),
        differences
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `memberOf()` answered from the package set's offline expansions: US Core
/// 3.1.1's us-core-1 asks for a category from its condition categories.
#[test]
fn member_of_uses_the_value_sets_that_expand_offline() {
    let set = common::load("hl7.fhir.us.core@3.1.1");
    let core = set.core_package().unwrap();
    let shapes = fhirgen::shapes::base_shapes(&set, &core).unwrap();
    let url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition";
    let definition = set
        .parse::<StructureDefinition>(set.resolve(url).unwrap())
        .unwrap();
    let (table, _) = fhirgen::constraints::table_of(&definition, shapes);
    let mut invariants = Invariants::new();
    invariants.insert(url, table);
    let value_sets = fhirgen::terminology::ValueSetCodes::new(&set);
    let condition: Value = set.root().json("example/Condition-example.json").unwrap();
    let check = |resource: &Value, terminology: bool| {
        let tree = Json::parse(&serde_json::to_vec(resource).unwrap()).unwrap();
        let terminology: Option<&dyn fhirgen_runtime::fhirpath::Terminology> =
            terminology.then_some(&value_sets);
        invariants
            .check(shapes, &tree, &tree, &[url], terminology)
            .into_iter()
            .filter(|f| f.key == "us-core-1")
            .map(|f| (f.severity, f.path))
            .collect::<Vec<_>>()
    };
    assert_eq!(check(&condition, true), Vec::new());
    let mut m = condition.clone();
    m["category"] =
        json!([{"coding": [{"system": "http://example.org/categories", "code": "other"}]}]);
    // us-core-1 is a warning in 3.1.1.
    assert_eq!(
        check(&m, true),
        vec![(Some(Severity::Warning), "Condition".to_owned())]
    );
    // Without the value sets, said as not checked, never passed or failed.
    assert_eq!(check(&m, false), vec![(None, "Condition".to_owned())]);
}

/// The types a read's walk passes over when the resource holds no
/// extension: no type's table applies at or below them. Each quiet type of
/// R4 has no table, and every element holds a quiet type (or a primitive,
/// or an extension), never a resource: what the walk does not enter has
/// nothing to check. Coding, CodeableConcept and Meta are quiet; a type
/// that holds a Period or a Reference (`per-1`, `ref-1`) is not.
#[test]
fn quiet_types_hold_no_table_at_any_depth() {
    use fhirgen_runtime::invariants::Tables;
    use fhirgen_runtime::shape::ElementKind;
    let catalog = &fhir_r4::constraints::CATALOG;
    let shapes = setup().shapes;
    let mut quiet = 0;
    for shape in shapes.types() {
        let name = shape.name.as_str();
        if !catalog.quiet(name) {
            continue;
        }
        quiet += 1;
        assert!(
            catalog.table(name).is_none(),
            "{name} is quiet with a table"
        );
        let holds_quiet = |kind: &ElementKind| match kind {
            ElementKind::Plain(_) | ElementKind::Primitive { .. } => true,
            ElementKind::Object { type_name, .. } => {
                type_name == "Extension" || catalog.quiet(type_name)
            }
            ElementKind::Resource => false,
            ElementKind::Choice(_) => unreachable!(),
        };
        for element in &shape.elements {
            let fine = match &element.kind {
                ElementKind::Choice(variants) => variants.iter().all(|(_, k)| holds_quiet(k)),
                kind => holds_quiet(kind),
            };
            assert!(fine, "{name}.{} leads to a table", element.json);
        }
    }
    assert!(quiet > 100, "{quiet} quiet types");
    for name in ["Coding", "CodeableConcept", "Meta", "PatientCommunication"] {
        assert!(catalog.quiet(name), "{name}");
    }
    for name in [
        "Identifier",
        "Reference",
        "Period",
        "HumanName",
        "Narrative",
        "Extension",
        "Patient",
        "PatientContact",
        "ObservationComponent",
    ] {
        assert!(!catalog.quiet(name), "{name}");
    }
    // A crate of profiles answers as its base types' crate.
    assert!(us_core_6_1_0::constraints::CATALOG.quiet("Coding"));
    assert!(!us_core_6_1_0::constraints::CATALOG.quiet("Identifier"));
}

/// Two slices of one element may each have a constraint with the same key
/// (a profile's own keys, reused): each is evaluated on the items of its
/// slice, the second not passed over because the first did not apply.
#[test]
fn a_key_on_two_slices_is_checked_on_each() {
    use fhirgen_runtime::invariants::{Invariant, Rule};
    use std::borrow::Cow;
    let shapes = setup().shapes;
    let on_slice = |system: &str| Invariant {
        rule: Rule {
            key: Cow::Borrowed("test-1"),
            severity: Severity::Error,
            human: Cow::Borrowed("An identifier of this slice has a value"),
            expression: fhirgen_fhirpath::parse("value.exists()").unwrap(),
        },
        path: Cow::Borrowed("identifier"),
        domain_resource: false,
        slice: Some(fhirgen_fhirpath::parse(&format!("system = '{system}'")).unwrap()),
    };
    let url = "http://example.org/StructureDefinition/two-slices";
    let mut invariants = Invariants::new();
    invariants.insert(url, vec![on_slice("urn:a"), on_slice("urn:b")]);
    let patient = json!({
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:a"},
            {"system": "urn:b"},
            {"system": "urn:a", "value": "1"},
            {"system": "urn:c"}
        ]
    });
    let tree = Json::parse(&serde_json::to_vec(&patient).unwrap()).unwrap();
    let found: Vec<String> = invariants
        .check(shapes, &tree, &tree, &[url], None)
        .into_iter()
        .filter(|f| f.key == "test-1")
        .map(|f| f.path)
        .collect();
    assert_eq!(found, ["Patient.identifier[0]", "Patient.identifier[1]"]);
}

/// R4's `per-1` (`start <= end`) as written: dates of one precision compare,
/// and so do dates that differ within the shorter one's precision (time
/// zones taken into account); when the shorter is a prefix of the longer
/// (`2020-01` to `2020-01-15`, a day to a time in it) FHIRPath 2.0 gives
/// nothing, and the constraint fails: a read refuses the Period, one
/// without constraints keeps it and `check_constraints()` says why (R5 rewrote
/// `per-1` with `lowBoundary()` and `highBoundary()` for this; the README
/// says so).
#[test]
fn per_1_compares_dates_of_different_precision_as_fhirpath_2_does() {
    let patient = r4_example("Patient-example.json");
    let with_period = |start: &str, end: &str| {
        let mut m = patient.clone();
        m["name"][0]["period"] = json!({"start": start, "end": end});
        m
    };
    let per_1 = ("per-1".to_owned(), "Patient.name[0].period".to_owned());
    for (start, end) in [
        ("2019", "2020-01-15"),
        ("2020-01", "2020-02-01"),
        ("2020-01-14", "2020-01-15T10:00:00Z"),
        ("2020-01-15T09:00:00Z", "2020-01-15T11:00:00+01:00"),
    ] {
        assert!(
            !errors(&with_period(start, end)).contains(&per_1),
            "{start} to {end}"
        );
    }
    for (start, end) in [
        ("2020-02", "2020-01-15"),
        ("2020-01-15T09:00:00Z", "2020-01-15T10:00:00+02:00"),
        ("2020-01", "2020-01-15"),
        ("2020-01-15", "2020-01-15T10:00:00Z"),
    ] {
        let m = with_period(start, end);
        assert!(errors(&m).contains(&per_1), "{start} to {end}");
        assert!(read_error(&m).is_some_and(|e| e.contains("per-1")));
        let bytes = serde_json::to_vec(&m).unwrap();
        let lenient = fhir_r4::Resource::from_json_lenient(&bytes).err();
        assert!(lenient.is_some_and(|e| e.to_string().contains("per-1")));
        let read = fhir_r4::Resource::from_json_unchecked(&bytes).unwrap();
        assert!(
            read.check_constraints()
                .iter()
                .any(|f| f.key == "per-1" && f.path == per_1.1)
        );
    }
}
