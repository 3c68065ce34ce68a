//! Our own implementation guide (`definitions/local/clinic-ig`): profiles on
//! US Core 6.1.0 written as SUSHI emits them, differential only. The
//! generator derives their snapshots and makes a crate of them, reusing
//! the types of the `us-core-6-1-0` crate for what it takes unchanged.

mod common;

use std::path::{Path, PathBuf};

use common::{fhirgen, run, shared_packages};

/// `fhirgen generate --package definitions/local/clinic-ig --out DIR`, with
/// `extra` arguments: the folder it wrote (in a temporary one) and stderr.
fn generate_clinic_ig(extra: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    let crate_dir = out.path().join("clinic-ig");
    let cache = tempfile::tempdir().unwrap();
    let mut generate = fhirgen(cache.path());
    generate
        .current_dir(root)
        .args(["generate", "--offline"])
        .args(extra)
        .args(["--package", "definitions/local/clinic-ig", "--out"])
        .arg(&crate_dir)
        .arg("--packages")
        .arg(shared_packages());
    let output = run(&mut generate);
    assert_eq!(output.code, 0, "{}", output.stderr);
    (out, crate_dir, output.stderr)
}

#[test]
fn a_differential_only_ig_becomes_a_crate() {
    let (_out, crate_dir, stderr) = generate_clinic_ig(&[]);
    // Everything was derived (no "snapshot derived ... except" note).
    assert!(!stderr.contains("except"), "{stderr}");

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
    // What it inherits from US Core Patient unchanged, identifier 1..* with
    // its system and value 1..1, is US Core's own struct.
    assert!(
        patient.contains(
            "pub identifier: ::fhirgen_runtime::NonEmpty<\n        ::us_core_6_1_0::UsCorePatientProfileIdentifier,\n    >,"
        )
    );
    // R4's code enums are fhir-r4's; US Core's extensions and parent profile
    // are not generated again: the published crate's types are used.
    assert!(patient.contains("pub gender: ::fhir_r4::AdministrativeGenderCode,"));
    assert!(
        patient.contains("pub race: ::std::option::Option<::us_core_6_1_0::UsCoreRaceExtension>,")
    );
    assert!(patient.contains("for ::us_core_6_1_0::UsCorePatientProfile {"));
    let cargo_toml = read("Cargo.toml");
    // Named after the package, whatever the folder is called.
    assert!(
        cargo_toml.contains("\nname = \"fhirgen-example-clinic-0-1-0\"\n"),
        "{cargo_toml}"
    );
    assert!(
        cargo_toml.contains("us-core-6-1-0 = { version = \"0.1.0\" }\n"),
        "{cargo_toml}"
    );
    assert!(
        cargo_toml.contains("version = \"0.1.0+0.1.0\""),
        "{cargo_toml}"
    );
    let listing = walk(&crate_dir.join("src"));
    assert_eq!(
        listing,
        [
            "constraints.rs",
            "extensions/mod.rs",
            "extensions/preferred_contact_time_extension.rs",
            "lib.rs",
            "profiles/clinic_glucose.rs",
            "profiles/clinic_patient.rs",
            "profiles/mod.rs",
            "resource.rs",
            "rules.rs",
        ]
    );

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
    assert!(glucose.contains("for ::us_core_6_1_0::UsCoreLaboratoryResultObservationProfile {"));
}

#[test]
fn without_reuse_the_us_core_types_are_generated_too() {
    let (_out, crate_dir, _) = generate_clinic_ig(&["--no-reuse", "--name", "clinic_types"]);
    let patient =
        std::fs::read_to_string(crate_dir.join("src/profiles/clinic_patient.rs")).unwrap();
    // R4's code enums stay fhir-r4's, with or without reuse.
    assert!(patient.contains("pub gender: ::fhir_r4::AdministrativeGenderCode,"));
    assert!(patient.contains("for crate::UsCorePatientProfile {"));
    assert!(
        crate_dir
            .join("src/extensions/us_core_race_extension.rs")
            .exists()
    );
    let cargo_toml = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(!cargo_toml.contains("us-core-6-1-0"), "{cargo_toml}");
    assert!(
        cargo_toml.contains("\nname = \"clinic_types\"\n"),
        "{cargo_toml}"
    );
}

/// The files under `dir`, relative, sorted.
fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}
