//! A profile written by hand on top of US Core Patient with
//! `#[derive(fhirgen_macros::Profile)]`: a clinic that calls its patients
//! back needs a phone number (telecom 1..*) and a birth date (1..1), both
//! Must Support. Checked on the real US Core 6.1.0 examples.

mod common;

use fhirgen::package::Package;
use fhirgen_runtime::NonEmpty;
use us_core_6_1_0::r4;
use us_core_6_1_0::{UsCorePatientProfile, UsCorePatientProfileTelecom};

/// US Core Patient, as a clinic requires it.
#[derive(Debug, Clone, PartialEq, fhirgen_macros::Profile)]
#[fhir(url = "https://clinic.example.org/fhir/StructureDefinition/clinic-patient")]
pub struct ClinicPatient {
    /// How to reach the patient: at least one contact point.
    #[fhir(element = "Patient.telecom", card = "1..*", must_support)]
    pub telecom: NonEmpty<UsCorePatientProfileTelecom>,
    /// The date of birth, always known at this clinic.
    #[fhir(element = "Patient.birthDate", card = "1..1", must_support)]
    pub birth_date: r4::Date,
    /// Everything else, as US Core Patient has it.
    #[fhir(base)]
    pub base: UsCorePatientProfile,
}

fn example(name: &str) -> serde_json::Value {
    let archive = common::shared_packages().join("hl7.fhir.us.core-6.1.0.tgz");
    let package = Package::from_archive(&archive).unwrap();
    package.json(&format!("example/{name}")).unwrap()
}

fn bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

#[test]
fn every_us_core_patient_example_with_a_phone_and_birth_date_is_a_clinic_patient() {
    let json = example("Patient-example.json");
    let patient = ClinicPatient::from_json(&bytes(&json)).unwrap();
    assert_eq!(patient.telecom.len(), 2);
    assert!(patient.base.telecom.is_empty(), "moved out of the base");
    // Back to JSON: nothing lost, and it still validates.
    let back: serde_json::Value = serde_json::from_slice(&patient.to_json()).unwrap();
    assert_eq!(back, json);
    patient.validate().unwrap();
    // To the base profile and back.
    let base = UsCorePatientProfile::from(patient.clone());
    assert_eq!(base.telecom.len(), 2);
    assert_eq!(ClinicPatient::try_from(base).unwrap(), patient);
}

#[test]
fn a_patient_without_a_phone_or_birth_date_is_rejected_with_the_element() {
    let mut json = example("Patient-example.json");
    json.as_object_mut().unwrap().remove("telecom");
    let error = ClinicPatient::from_json(&bytes(&json)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Patient.telecom: required element is missing"
    );
    // It is still a US Core patient.
    UsCorePatientProfile::from_json(&bytes(&json)).unwrap();

    let mut json = example("Patient-example.json");
    json.as_object_mut().unwrap().remove("birthDate");
    let error = ClinicPatient::from_json(&bytes(&json)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Patient.birthDate: required element is missing"
    );
}

#[test]
fn the_profile_knows_its_rules() {
    assert_eq!(
        ClinicPatient::URL,
        "https://clinic.example.org/fhir/StructureDefinition/clinic-patient"
    );
    assert_eq!(
        ClinicPatient::ELEMENTS,
        &[("Patient.telecom", "1..*"), ("Patient.birthDate", "1..1")]
    );
    assert_eq!(
        ClinicPatient::MUST_SUPPORT,
        &["Patient.telecom", "Patient.birthDate"]
    );
}

#[test]
fn new_takes_every_constrained_element() {
    let base =
        UsCorePatientProfile::from_json(&bytes(&example("Patient-child-example.json"))).unwrap();
    let telecom = base.telecom.clone();
    let birth_date = base.birth_date.clone().unwrap();
    let mut base = base;
    base.telecom.clear();
    base.birth_date = None;
    let patient = ClinicPatient::new(base, NonEmpty::from_vec(telecom).unwrap(), birth_date);
    patient.validate().unwrap();
    let back: serde_json::Value = serde_json::from_slice(&patient.to_json()).unwrap();
    assert_eq!(back, example("Patient-child-example.json"));
}
