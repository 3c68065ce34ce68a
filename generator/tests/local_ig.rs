//! Our own implementation guide (`definitions/local/clinic-ig`): profiles on
//! US Core 6.1.0 written as SUSHI emits them, differential only. The
//! generator derives their snapshots and makes a crate of them.

mod common;

use std::path::Path;

use common::{fhirgen, run, shared_packages};

#[test]
fn a_differential_only_ig_becomes_a_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    let crate_dir = out.path().join("clinic-ig");
    let cache = tempfile::tempdir().unwrap();
    let mut generate = fhirgen(cache.path());
    generate
        .current_dir(root)
        .args([
            "generate",
            "--offline",
            "--package",
            "definitions/local/clinic-ig",
            "--out",
        ])
        .arg(&crate_dir)
        .arg("--packages")
        .arg(shared_packages());
    let output = run(&mut generate);
    assert_eq!(output.code, 0, "{}", output.stderr);
    // Everything was derived (no "snapshot derived ... except" note).
    assert!(!output.stderr.contains("except"), "{}", output.stderr);

    let read = |file: &str| std::fs::read_to_string(crate_dir.join(file)).unwrap();
    let patient = read("src/profiles/clinic_patient.rs");
    // The profile's own extension, typed by its (derived) definition.
    assert!(patient.contains(
        "pub preferred_contact_time: ::std::option::Option<\n        crate::PreferredContactTimeExtension,\n    >,"
    ), "{patient}");
    // The email slice of telecom (value slicing on `system`), Must Support.
    assert!(
        patient.contains(
            "pub telecom_email: ::std::option::Option<crate::ClinicPatientTelecomEmail>,"
        )
    );
    assert!(patient.contains("Slice `Patient.telecom:email` 0..1, Must Support"));
    // telecom is 1..* in the profile: the property is required on read.
    assert!(patient.contains("(\"telecom\", &["), "{patient}");
    // What it inherits from US Core Patient: identifier 1..*, gender's codes.
    assert!(
        patient.contains(
            "pub identifier: ::fhirgen_runtime::NonEmpty<crate::ClinicPatientIdentifier>,"
        )
    );
    assert!(patient.contains("pub gender: crate::AdministrativeGenderCode,"));

    let extension = read("src/extensions/preferred_contact_time_extension.rs");
    // value[x] narrowed to time, 1..1; extension removed (max 0).
    assert!(extension.contains("pub value: crate::PreferredContactTimeExtensionValue,"));
    assert!(extension.contains("Time(::fhir_r4::Time)"), "{extension}");
    assert!(!extension.contains("pub extension:"));

    let glucose = read("src/profiles/clinic_glucose.rs");
    // The pattern on code, and value[x] narrowed to Quantity, 1..1.
    assert!(glucose.contains("\\\"code\\\":\\\"2345-7\\\""), "{glucose}");
    assert!(glucose.contains("pub value: crate::ClinicGlucoseValue,"));
    assert!(glucose.contains("pub enum ClinicGlucoseValue {\n    /// `valueQuantity`\n    Quantity(::std::boxed::Box<::fhir_r4::Quantity>),\n}"));
    // It converts up to the US Core profile it is based on.
    assert!(glucose.contains("for crate::UsCoreLaboratoryResultObservationProfile"));
}
