//! The types build.rs generated read the US Core 6.1.0 examples of their
//! profiles, and reject what the profiles forbid.

use std::path::{Path, PathBuf};

use fhir_r4::AdministrativeGender;
use fhirgen::package::Package;
use fhirgen_buildrs_consumer::{
    ProfiledResource, UsCoreLaboratoryResultObservationProfile, UsCorePatientProfile,
};

fn example(name: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let packages = std::env::var_os("FHIR_PACKAGES")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root.join(p) } else { p })
        .unwrap_or_else(|| root.join("../shared/fhir-packages"));
    let package = Package::from_archive(&packages.join("hl7.fhir.us.core-6.1.0.tgz")).unwrap();
    package.json(&format!("example/{name}")).unwrap()
}

#[test]
fn the_patient_example_reads_into_the_generated_profile_type() {
    let json = example("Patient-example.json");
    let bytes = serde_json::to_vec(&json).unwrap();
    let patient = UsCorePatientProfile::from_json(&bytes).unwrap();
    assert_eq!(patient.gender.value, Some(AdministrativeGender::Female));
    assert!(
        patient.race.is_some(),
        "the race extension is a typed field"
    );
    let back: serde_json::Value = serde_json::from_slice(&patient.to_json()).unwrap();
    assert_eq!(back, json);
}

#[test]
fn a_lab_observation_reads_and_the_dispatcher_knows_only_these_profiles() {
    let json = example("Observation-cbc-hemoglobin.json");
    let bytes = serde_json::to_vec(&json).unwrap();
    let lab = UsCoreLaboratoryResultObservationProfile::from_json(&bytes).unwrap();
    let back: serde_json::Value = serde_json::from_slice(&lab.to_json()).unwrap();
    assert_eq!(back, json);
    let read = ProfiledResource::from_json(&bytes).unwrap();
    assert_eq!(
        read.profile(),
        Some("http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab")
    );
    // A profile that was not generated reads as its base resource.
    let bp = serde_json::to_vec(&example("Observation-blood-pressure.json")).unwrap();
    assert_eq!(ProfiledResource::from_json(&bp).unwrap().profile(), None);
}

#[test]
fn what_the_profile_forbids_is_rejected() {
    let mut json = example("Observation-cbc-hemoglobin.json");
    json.as_object_mut().unwrap().remove("category");
    let bytes = serde_json::to_vec(&json).unwrap();
    let error = UsCoreLaboratoryResultObservationProfile::from_json(&bytes).unwrap_err();
    assert!(
        error.to_string().starts_with("Observation.category"),
        "{error}"
    );
}
