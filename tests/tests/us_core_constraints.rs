//! Every constraint of severity error that US Core 3.1.1, 6.1.0 and 7.0.0
//! add to R4's is broken by a mutation of one of their own examples, written
//! by hand from the constraint's meaning, and reported with its key at the
//! element it sits on by both `fhirgen validate`'s tables (read from the
//! package) and the generated crate (`us_core_3_1_1`, `us_core_6_1_0`,
//! `us_core_7_0_0`), whose strict read then refuses the resource. A key that
//! cannot be broken is listed with the reason; the test fails when a key of
//! the package is neither broken nor listed.

mod common;

use common::{errors_in, without};

use std::collections::BTreeSet;

use fhirgen::conformance::StructureDefinition;
use fhirgen::package::PackageSet;
use fhirgen_runtime::invariants::{Finding, Invariants};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;
use serde_json::{Value, json};

/// One US Core version: its packages, `fhirgen validate`'s tables, and its
/// generated crate.
struct UsCore {
    set: PackageSet,
    shapes: &'static Shapes,
    invariants: Invariants,
    /// The crate's findings on a resource it reads unchecked.
    typed: fn(&[u8]) -> Option<Vec<Finding>>,
    /// The crate's strict read: its error.
    read: fn(&[u8]) -> Option<String>,
    /// The keys broken so far.
    broken: BTreeSet<String>,
}

impl UsCore {
    fn new(
        id: &str,
        typed: fn(&[u8]) -> Option<Vec<Finding>>,
        read: fn(&[u8]) -> Option<String>,
    ) -> Self {
        let set = common::load(id);
        let (shapes, invariants, _) = common::constraint_tables(&set);
        UsCore {
            set,
            shapes,
            invariants,
            typed,
            read,
            broken: BTreeSet::new(),
        }
    }

    fn example(&self, name: &str) -> Value {
        self.set.root().json(&format!("example/{name}")).unwrap()
    }

    /// The resource of the first entry of the example Bundle `name` whose
    /// type is `resource_type`.
    fn entry(&self, name: &str, resource_type: &str) -> Value {
        let bundle = self.example(name);
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"].clone())
            .find(|r| r["resourceType"] == resource_type)
            .unwrap()
    }

    /// The errors `fhirgen validate`'s tables find in `resource`, against
    /// the profiles its `meta.profile` claims; the same from the crate (the
    /// test fails if they differ).
    fn errors(&self, resource: &Value) -> Vec<(String, String)> {
        let bytes = serde_json::to_vec(resource).unwrap();
        let tree = Json::parse(&bytes).unwrap();
        let claims: Vec<&str> = resource["meta"]["profile"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(fhirgen_runtime::canonical_url)
            .collect();
        let json = errors_in(
            self.invariants
                .check(self.shapes, &tree, &tree, &claims, None),
        );
        let typed = errors_in((self.typed)(&bytes).expect("the crate reads it"));
        assert_eq!(
            json, typed,
            "fhirgen validate and the generated crate disagree"
        );
        json
    }

    /// `mutated` breaks `key` at `path`, which `original` did not; a strict
    /// read refuses it.
    fn breaks(&mut self, original: &Value, mutated: &Value, key: &str, path: &str) {
        let wanted = (key.to_owned(), path.to_owned());
        assert!(
            !self.errors(original).contains(&wanted),
            "{key} at {path} already fails before the mutation"
        );
        let found = self.errors(mutated);
        assert!(
            found.contains(&wanted),
            "{key} at {path} not reported; found {found:?}"
        );
        let read = (self.read)(&serde_json::to_vec(mutated).unwrap()).expect("the read refuses it");
        assert!(
            read.contains(key) || found.len() > 1,
            "{key}: the read says {read}"
        );
        self.broken.insert(key.to_owned());
    }

    /// The keys of the constraints of severity error (best practices are
    /// warnings) that the package's own profiles add to R4's (those of R4's own profiles, `vitalsigns`'
    /// `vs-*`, included in R4's).
    fn own_error_keys(&self) -> BTreeSet<String> {
        let mut own = BTreeSet::new();
        let mut r4 = BTreeSet::new();
        for r in self.set.resources_of_type("StructureDefinition") {
            let definition = self.set.parse::<StructureDefinition>(r).unwrap();
            let keys = definition
                .snapshot
                .iter()
                .flat_map(|s| &s.element)
                .flat_map(|e| &e.constraint)
                .filter(|c| c.severity.as_deref() == Some("error") && !c.best_practice())
                .map(|c| c.key.clone());
            let package = self.set.package_of(r).id();
            if package == self.set.root().id() {
                own.extend(keys);
            } else if package.name == "hl7.fhir.r4.core" {
                r4.extend(keys);
            }
        }
        own.retain(|k| !r4.contains(k));
        own
    }

    /// Every key of [`Self::own_error_keys`] is broken or in `unbreakable`.
    fn all_broken(&self, unbreakable: &[&str]) {
        let missing: Vec<String> = self
            .own_error_keys()
            .into_iter()
            .filter(|k| !self.broken.contains(k) && !unbreakable.contains(&k.as_str()))
            .collect();
        assert!(missing.is_empty(), "no mutation breaks {missing:?}");
    }
}

/// The mutations both versions share: the constraints they both have.
fn break_shared(us_core: &mut UsCore) {
    // us-core-2 (lab Observation): no value, no components, no reason.
    let hemoglobin = us_core.example("Observation-cbc-hemoglobin.json");
    let m = without(&hemoglobin, &["valueQuantity"]);
    us_core.breaks(&hemoglobin, &m, "us-core-2", "Observation");
    // us-core-6 (Patient.name): a name, or a data-absent reason, not both.
    let patient = us_core.example("Patient-example.json");
    let mut m = patient.clone();
    m["name"][0] = json!({"use": "official"});
    us_core.breaks(&patient, &m, "us-core-6", "Patient.name[0]");
    // us-core-6 (DocumentReference.content.attachment): a url or data.
    let document = us_core.example("DocumentReference-episode-summary.json");
    let mut m = document.clone();
    m["content"][0]["attachment"] = json!({"contentType": "text/plain"});
    us_core.breaks(
        &document,
        &m,
        "us-core-6",
        "DocumentReference.content[0].attachment",
    );
    // us-core-7 (Procedure): a completed procedure says when.
    let procedure = us_core.example("Procedure-rehab.json");
    let m = without(&procedure, &["performed"]);
    us_core.breaks(&procedure, &m, "us-core-7", "Procedure");
    // us-core-8 and us-core-9 (lab DiagnosticReport): a final report says
    // when (effective[x]) and when it was issued.
    let cbc = us_core.example("DiagnosticReport-cbc.json");
    let m = without(&cbc, &["effective"]);
    us_core.breaks(&cbc, &m, "us-core-8", "DiagnosticReport");
    let m = without(&cbc, &["issued"]);
    us_core.breaks(&cbc, &m, "us-core-9", "DiagnosticReport");
    // ... a registered one need not.
    let mut m = without(&cbc, &["effective", "issued"]);
    m["status"] = json!("registered");
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-10 (note DiagnosticReport): a final report says when.
    let note = us_core.example("DiagnosticReport-bone-density-report.json");
    let m = without(&note, &["effective"]);
    us_core.breaks(&note, &m, "us-core-10", "DiagnosticReport");
    // us-core-13 (PractitionerRole): a practitioner, organization, service
    // or location.
    let role = us_core.entry(
        "Bundle-66c8856b-ba11-4876-8aa8-467aad8c11a2.json",
        "PractitionerRole",
    );
    let m = without(
        &role,
        &[
            "practitioner",
            "organization",
            "healthcareService",
            "location",
        ],
    );
    us_core.breaks(&role, &m, "us-core-13", "PractitionerRole");
    // ... any one is enough.
    let m = without(&role, &["practitioner", "organization"]);
    assert_eq!(us_core.errors(&m), vec![]);
    // pd-1 (PractitionerRole): a telecom or an endpoint.
    let m = without(&role, &["telecom", "endpoint"]);
    us_core.breaks(&role, &m, "pd-1", "PractitionerRole");
    // provenance-1 (Provenance.agent): an agent that is a practitioner or a
    // device says on whose behalf (the agent resolves to a contained
    // resource here).
    let provenance = us_core.example("Provenance-example-targeted-provenance.json");
    let mut m = provenance.clone();
    m["contained"] = json!([{"resourceType": "Practitioner", "id": "p1",
        "name": [{"family": "Doe"}]}]);
    m["agent"][0]["who"] = json!({"reference": "#p1"});
    us_core.breaks(&provenance, &m, "provenance-1", "Provenance.agent[0]");
    m["agent"][0]["onBehalfOf"] = json!({"reference": "Organization/example"});
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-14 (RelatedPerson): a name or a relationship.
    let person = us_core.example("RelatedPerson-shaw-niece.json");
    let m = without(&person, &["name", "relationship"]);
    us_core.breaks(&person, &m, "us-core-14", "RelatedPerson");
    // us-core-15 (Coverage): a member identifier or a subscriber id.
    let coverage = us_core.example("Coverage-coverage-example.json");
    let mut m = without(&coverage, &["subscriberId"]);
    assert_eq!(us_core.errors(&m), vec![]);
    m["identifier"][0]["type"]["coding"][0]["code"] = json!("SN");
    us_core.breaks(&coverage, &m, "us-core-15", "Coverage");
    // us-core-16 and us-core-17 (Organization.identifier:NPI): ten digits
    // with a valid check digit; us-core-18 (:CLIA) and us-core-19 (:NAIC):
    // their formats. Only on the slice: another identifier may be anything.
    let organization = us_core.example("Organization-example-organization-2.json");
    let npi = organization["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["system"] == "http://hl7.org/fhir/sid/us-npi")
        .unwrap();
    let at = format!("Organization.identifier[{npi}]");
    let mut m = organization.clone();
    m["identifier"][npi]["value"] = json!("123");
    us_core.breaks(&organization, &m, "us-core-16", &at);
    let mut m = organization.clone();
    m["identifier"][npi]["value"] = json!("1234567890");
    us_core.breaks(&organization, &m, "us-core-17", &at);
    let count = organization["identifier"].as_array().unwrap().len();
    let at = format!("Organization.identifier[{count}]");
    for (system, good, bad, key) in [
        (
            "urn:oid:2.16.840.1.113883.4.7",
            "12D3456789",
            "12X3456789",
            "us-core-18",
        ),
        (
            "urn:oid:2.16.840.1.113883.6.300",
            "12345",
            "1234",
            "us-core-19",
        ),
        ("http://example.org/ids", "anything", "", ""),
    ] {
        let mut m = organization.clone();
        let identifiers = m["identifier"].as_array_mut().unwrap();
        identifiers.push(json!({"system": system, "value": good}));
        assert_eq!(us_core.errors(&m), vec![], "{system}");
        if !key.is_empty() {
            let mut bad_one = organization.clone();
            let identifiers = bad_one["identifier"].as_array_mut().unwrap();
            identifiers.push(json!({"system": system, "value": bad}));
            us_core.breaks(&organization, &bad_one, key, &at);
        }
    }
    // us-core-20 (MedicationDispense): a completed dispense says when it
    // was handed over.
    let dispense = us_core.example("MedicationDispense-medicationdispense-example.json");
    let m = without(&dispense, &["whenHandedOver"]);
    us_core.breaks(&dispense, &m, "us-core-20", "MedicationDispense");
    // us-core-21 (MedicationRequest): an order names who asked for it.
    let request = us_core.example("MedicationRequest-medicationrequest-coded-oral-axid.json");
    let mut m = without(&request, &["requester"]);
    m["intent"] = json!("order");
    us_core.breaks(&request, &m, "us-core-21", "MedicationRequest");
}

/// A screening assessment with a Quantity value in another system than
/// UCUM: us-core-3.
fn non_ucum_value(us_core: &UsCore) -> (Value, Value) {
    let screening = us_core.example("Observation-10-minute-apgar-score.json");
    let mut m = screening.clone();
    m["valueQuantity"]["system"] = json!("http://example.org/units");
    (screening, m)
}

/// An effectiveDateTime to the month only: us-core-1 ("Datetime must be at
/// least to day") on a lab Observation.
fn month_only(us_core: &UsCore) -> (Value, Value) {
    let hemoglobin = us_core.example("Observation-cbc-hemoglobin.json");
    let mut m = hemoglobin.clone();
    m["effectiveDateTime"] = json!("2005-07");
    (hemoglobin, m)
}

#[test]
fn us_core_6_1_0_constraints_catch_what_breaks_them() {
    let mut us_core = UsCore::new(
        "hl7.fhir.us.core@6.1.0",
        |bytes| {
            Some(
                us_core_6_1_0::ProfiledResource::from_json_unchecked(bytes)
                    .ok()?
                    .check_constraints(),
            )
        },
        |bytes| {
            us_core_6_1_0::ProfiledResource::from_json(bytes)
                .err()
                .map(|e| e.to_string())
        },
    );
    break_shared(&mut us_core);
    // us-core-3 (screening assessment): a Quantity value's system is UCUM.
    let (screening, m) = non_ucum_value(&us_core);
    us_core.breaks(&screening, &m, "us-core-3", "Observation");
    // On the lab and clinical result profiles, 6.1.0 puts it on
    // Observation.value[x], where `value.ofType(Quantity)` looks for a
    // `value` inside the value (a Quantity's number): it never fails there.
    let hemoglobin = us_core.example("Observation-cbc-hemoglobin.json");
    let mut m = hemoglobin.clone();
    m["valueQuantity"]["system"] = json!("http://example.org/units");
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-1 is `$this is DateTime implies $this.toString().length() >=
    // 10`: `DateTime` names System.DateTime, and an element of FHIR type
    // dateTime is not one (HL7's FHIRPath suite: `Patient.active.is(Boolean)`
    // is false, testType12), so it never fails. US Core 7.0.0 writes `is
    // dateTime`, which does (below).
    let (_, m) = month_only(&us_core);
    assert_eq!(us_core.errors(&m), vec![]);
    us_core.all_broken(&["us-core-1"]);
}

#[test]
fn us_core_7_0_0_constraints_catch_what_breaks_them() {
    let mut us_core = UsCore::new(
        "hl7.fhir.us.core@7.0.0",
        |bytes| {
            Some(
                us_core_7_0_0::ProfiledResource::from_json_unchecked(bytes)
                    .ok()?
                    .check_constraints(),
            )
        },
        |bytes| {
            us_core_7_0_0::ProfiledResource::from_json(bytes)
                .err()
                .map(|e| e.to_string())
        },
    );
    break_shared(&mut us_core);
    // us-core-3 (lab and screening assessment Observation.value[x]): a
    // Quantity's system is UCUM.
    let (screening, m) = non_ucum_value(&us_core);
    us_core.breaks(&screening, &m, "us-core-3", "Observation.value");
    let hemoglobin = us_core.example("Observation-cbc-hemoglobin.json");
    let mut m = hemoglobin.clone();
    m["valueQuantity"]["system"] = json!("http://example.org/units");
    us_core.breaks(&hemoglobin, &m, "us-core-3", "Observation.value");
    // us-core-1 (lab Observation.effective[x]): a dateTime to the day at
    // least.
    let (hemoglobin, m) = month_only(&us_core);
    us_core.breaks(&hemoglobin, &m, "us-core-1", "Observation.effective");
    // ... a Period is not a dateTime.
    let mut m = hemoglobin.clone();
    m.as_object_mut().unwrap().remove("effectiveDateTime");
    m["effectivePeriod"] = json!({"start": "2005-07"});
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-22 (lab Observation.referenceRange): low and high in UCUM.
    let mut m = hemoglobin.clone();
    m["referenceRange"][0]["high"]["system"] = json!("http://example.org/units");
    us_core.breaks(
        &hemoglobin,
        &m,
        "us-core-22",
        "Observation.referenceRange[0]",
    );
    // us-core-23 (Patient.extension:race): "asked but unknown" or "unknown"
    // as the only OMB category.
    let patient = us_core.example("Patient-example.json");
    let race = patient["extension"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["url"] == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race")
        .unwrap();
    let mut m = patient.clone();
    m["extension"][race]["extension"][0]["valueCoding"] = json!({
        "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"});
    us_core.breaks(
        &patient,
        &m,
        "us-core-23",
        &format!("Patient.extension[{race}]"),
    );
    // ... alone, it is fine.
    m["extension"][race]["extension"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["url"] != "ombCategory" || e["valueCoding"]["code"] == "UNK");
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-24 (smoking status): a status code takes a coded value.
    let smoker = us_core.example("Observation-some-day-smoker.json");
    let mut m = without(&smoker, &["valueCodeableConcept"]);
    m["valueQuantity"] = json!({"value": 1, "unit": "{pack}/d",
        "system": "http://unitsofmeasure.org", "code": "{pack}/d"});
    us_core.breaks(&smoker, &m, "us-core-24", "Observation");
    // us-core-26 (average blood pressure's components): a value or a
    // reason for none.
    let pressure = us_core.example("Observation-average-blood-pressure.json");
    let mut m = pressure.clone();
    m["component"][0]
        .as_object_mut()
        .unwrap()
        .remove("valueQuantity");
    us_core.breaks(&pressure, &m, "us-core-26", "Observation.component[0]");
    us_core.all_broken(&[]);
}

#[test]
fn us_core_3_1_1_constraints_catch_what_breaks_them() {
    let mut us_core = UsCore::new(
        "hl7.fhir.us.core@3.1.1",
        |bytes| {
            Some(
                us_core_3_1_1::ProfiledResource::from_json_unchecked(bytes)
                    .ok()?
                    .check_constraints(),
            )
        },
        |bytes| {
            us_core_3_1_1::ProfiledResource::from_json(bytes)
                .err()
                .map(|e| e.to_string())
        },
    );
    // us-core-1 (lab Observation.effective[x]): `($this as
    // dateTime).toString().length() >= 8`, a month at least.
    let hemoglobin = us_core.example("Observation-hemoglobin.json");
    let mut m = hemoglobin.clone();
    m["effectiveDateTime"] = json!("2005");
    us_core.breaks(&hemoglobin, &m, "us-core-1", "Observation.effective");
    // us-core-2 (lab Observation): a value, components, members or a reason.
    let m = without(&hemoglobin, &["value"]);
    us_core.breaks(&hemoglobin, &m, "us-core-2", "Observation");
    // us-core-3 sits on Observation.value[x] and asks for
    // `valueQuantity.system` inside it, which a value never has: it never
    // fails.
    let mut m = hemoglobin.clone();
    m["valueQuantity"]["system"] = json!("http://example.org/units");
    assert_eq!(us_core.errors(&m), vec![]);
    // us-core-6 (DocumentReference.content.attachment): a url or data.
    let document = us_core.example("DocumentReference-episode-summary.json");
    let mut m = document.clone();
    m["content"][0]["attachment"] = json!({"contentType": "text/plain"});
    us_core.breaks(
        &document,
        &m,
        "us-core-6",
        "DocumentReference.content[0].attachment",
    );
    // us-core-8 (Patient.name): a name, or a data-absent reason, not both.
    let patient = us_core.example("Patient-example.json");
    let mut m = patient.clone();
    m["name"][0] = json!({"use": "official"});
    us_core.breaks(&patient, &m, "us-core-8", "Patient.name[0]");
    // us-core-9 (implantable Device): a UDI carrier comes with a production
    // identifier; us-core-12: with its barcode or human-readable form.
    let device = us_core.example("Device-udi-1.json");
    let m = without(&device, &["expirationDate", "lotNumber", "serialNumber"]);
    us_core.breaks(&device, &m, "us-core-9", "Device");
    let mut m = device.clone();
    m["udiCarrier"][0]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "deviceIdentifier");
    us_core.breaks(&device, &m, "us-core-12", "Device");
    // pd-1 (PractitionerRole): a telecom or an endpoint.
    let role = us_core.entry(
        "Bundle-66c8856b-ba11-4876-8aa8-467aad8c11a2.json",
        "PractitionerRole",
    );
    let m = without(&role, &["telecom", "endpoint"]);
    us_core.breaks(&role, &m, "pd-1", "PractitionerRole");
    // provenance-1 sits on Provenance.agent.onBehalfOf and asks for
    // `$this.agent`, which a Reference never has: it never fails.
    us_core.all_broken(&["us-core-3", "provenance-1"]);
}
