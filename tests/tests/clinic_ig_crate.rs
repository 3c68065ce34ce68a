//! The crate generated from our own IG (`definitions/local/clinic-ig`,
//! profiles without snapshots on US Core 6.1.0, as SUSHI writes them):
//! its types read and check real US Core examples claimed for the clinic's
//! profiles, and what it takes unchanged from US Core is the `us-core-6-1-0`
//! crate's own types.

mod common;

use clinic_ig::{ClinicGlucose, ClinicGlucoseValue, ClinicPatient, CodeEnum, ProfiledResource};
use fhirgen::package::Package;
use serde_json::json;

const CLINIC_PATIENT: &str = "https://clinic.example.org/fhir/StructureDefinition/clinic-patient";
const CLINIC_GLUCOSE: &str = "https://clinic.example.org/fhir/StructureDefinition/clinic-glucose";

fn example(name: &str, profile: &str) -> serde_json::Value {
    let archive = common::shared_packages().join("hl7.fhir.us.core-6.1.0.tgz");
    let package = Package::from_archive(&archive).unwrap();
    let mut json = package.json(&format!("example/{name}")).unwrap();
    json["meta"]["profile"] = json!([profile]);
    json
}

fn bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn patient_json() -> serde_json::Value {
    let mut json = example("Patient-example.json", CLINIC_PATIENT);
    json["extension"].as_array_mut().unwrap().push(json!({
        "url": "https://clinic.example.org/fhir/StructureDefinition/preferred-contact-time",
        "valueTime": "09:30:00"
    }));
    json
}

#[test]
fn a_us_core_patient_with_a_phone_is_a_clinic_patient_and_keeps_us_core_types() {
    let json = patient_json();
    let ProfiledResource::ClinicPatient(patient) =
        ProfiledResource::from_json(&bytes(&json)).unwrap()
    else {
        panic!("read as another profile");
    };
    // The phone and the email are the clinic's slices (the email Must Support).
    assert_eq!(patient.telecom_phone.len(), 1);
    assert_eq!(
        patient
            .telecom_email
            .as_ref()
            .unwrap()
            .value
            .value
            .as_deref(),
        Some("amy.shaw@example.com")
    );
    assert!(patient.telecom.is_empty());
    // The clinic's own extension, typed by its definition (value[x] is time only).
    let contact_time = patient.preferred_contact_time.as_ref().unwrap();
    assert!(matches!(
        contact_time.value,
        clinic_ig::PreferredContactTimeExtensionValue::Time(_)
    ));
    // What the clinic takes unchanged from US Core is US Core's types: the
    // race extension, the identifier and the other telecom items.
    let race: &Option<us_core_6_1_0::UsCoreRaceExtension> = &patient.race;
    assert!(race.is_some());
    let identifier: &us_core_6_1_0::UsCorePatientProfileIdentifier = patient.identifier.first();
    assert!(identifier.system.value.is_some());
    let _: &Vec<us_core_6_1_0::UsCorePatientProfileTelecom> = &patient.telecom;
    // Nothing lost on the way back, and up to US Core Patient.
    let back: serde_json::Value = serde_json::from_slice(&patient.to_json()).unwrap();
    assert_eq!(back, json);
    let us_core = us_core_6_1_0::UsCorePatientProfile::from((*patient).clone());
    let back: serde_json::Value = serde_json::from_slice(&us_core.to_json()).unwrap();
    assert_eq!(back, json);
}

#[test]
fn a_patient_without_a_telecom_or_with_a_wrong_contact_time_is_rejected() {
    let mut json = patient_json();
    json.as_object_mut().unwrap().remove("telecom");
    let error = ClinicPatient::from_json(&bytes(&json)).unwrap_err();
    assert!(error.to_string().contains("Patient.telecom"), "{error}");

    let mut json = patient_json();
    let extension = json["extension"]
        .as_array_mut()
        .unwrap()
        .last_mut()
        .unwrap();
    extension.as_object_mut().unwrap().remove("valueTime");
    extension["valueString"] = json!("mornings");
    let error = ClinicPatient::from_json(&bytes(&json)).unwrap_err();
    assert!(error.to_string().contains("valueString"), "{error}");
}

fn glucose_json() -> serde_json::Value {
    let mut json = example("Observation-serum-total-bilirubin.json", CLINIC_GLUCOSE);
    json["code"] = json!({
        "coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose SerPl-mCnc"}]
    });
    json
}

#[test]
fn a_us_core_lab_result_coded_as_glucose_is_a_clinic_glucose() {
    let json = glucose_json();
    let glucose = ClinicGlucose::from_json(&bytes(&json)).unwrap();
    let ClinicGlucoseValue::Quantity(quantity) = &glucose.value;
    assert_eq!(
        quantity.unit.as_ref().and_then(|u| u.value.as_deref()),
        Some("mg/dL")
    );
    // R4's own value set: the enum is fhir-r4's, in every IG crate.
    let status: &fhir_r4::ObservationStatusCode = &glucose.status;
    assert_eq!(status.value.as_ref().map(|s| s.code()), Some("final"));
    let back: serde_json::Value = serde_json::from_slice(&glucose.to_json()).unwrap();
    assert_eq!(back, json);
    // Up to the US Core profile it is based on, from the reused crate.
    let lab = us_core_6_1_0::UsCoreLaboratoryResultObservationProfile::from(glucose);
    let back: serde_json::Value = serde_json::from_slice(&lab.to_json()).unwrap();
    assert_eq!(back, json);
}

#[test]
fn another_code_or_a_value_that_is_no_quantity_is_rejected() {
    let mut json = glucose_json();
    json["code"]["coding"][0]["code"] = json!("1975-2");
    let error = ClinicGlucose::from_json(&bytes(&json)).unwrap_err();
    assert!(error.to_string().contains("Observation.code"), "{error}");

    // The clinic wants a literal patient reference: its own struct for
    // `subject` (reference 1..1), whose target is checked as R4's is.
    let mut json = glucose_json();
    json["subject"]["reference"] = json!("Practitioner/p1");
    let error = ClinicGlucose::from_json(&bytes(&json)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Observation.subject.reference: `Practitioner/p1` refers to a Practitioner; \
         the profile allows Patient"
    );
    let mut json = glucose_json();
    json["subject"] = json!({"display": "Amy Shaw"});
    let error = ClinicGlucose::from_json(&bytes(&json)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Observation.subject.reference: required element is missing"
    );

    let mut json = glucose_json();
    json.as_object_mut().unwrap().remove("valueQuantity");
    json["valueString"] = json!("8.6 mg/dL");
    let error = ClinicGlucose::from_json(&bytes(&json)).unwrap_err();
    assert!(error.to_string().contains("valueString"), "{error}");
}

/// The clinic's telecom slicing is ordered (phones, then the email) and open
/// at the end only: the typed read and the crate's rule table report an item
/// out of place alike, at the item.
#[test]
fn telecom_items_come_in_the_clinic_s_order() {
    let telecom = |systems: &[&str]| {
        let mut json = patient_json();
        json["telecom"] = systems
            .iter()
            .map(|system| json!({"system": system, "value": format!("{system}-1")}))
            .collect();
        bytes(&json)
    };
    let in_order = telecom(&["phone", "phone", "email", "fax"]);
    let patient = ClinicPatient::from_json(&in_order).unwrap();
    assert_eq!(patient.telecom_phone.len(), 2);
    assert_eq!(patient.telecom.len(), 1);
    assert_eq!(patient.to_json(), in_order);
    assert!(clinic_ig::rules::check_claimed(&in_order).0.is_empty());
    for (systems, message) in [
        (
            &["email", "phone"][..],
            "item 1 is in slice `phone` after an item in slice `email`; the slicing of `telecom` is ordered",
        ),
        (
            &["phone", "fax", "email"][..],
            "item 2 is in slice `email` after an item in no slice; the slicing of `telecom` is open at the end only",
        ),
    ] {
        let json = telecom(systems);
        let index = systems.len() - 1;
        let error = ClinicPatient::from_json(&json).unwrap_err();
        assert_eq!(error.path, format!("Patient.telecom[{index}]"));
        assert_eq!(error.message, message);
        let (findings, _) = clinic_ig::rules::check_claimed(&json);
        assert!(
            findings
                .iter()
                .any(|f| f.path == error.path && f.message == message && f.code == error.code),
            "{findings:?}"
        );
    }
}
