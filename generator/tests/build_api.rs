//! `fhirgen::build::Builder`, as a build script uses it, over the real
//! US Core 6.1.0 package.

mod common;

use common::shared_packages;
use fhirgen::build::Builder;

#[test]
fn chosen_profiles_come_with_what_they_build_on_in_one_file() {
    let out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let path = Builder::new("hl7.fhir.us.core@6.1.0")
        .packages(shared_packages())
        .package_cache(cache.path())
        .profiles(["us-core-smokingstatus"])
        .out_dir(out.path())
        .file_name("smoking.rs")
        .runtime_crate("::rt")
        .base_types_crate("crate::deps::r4")
        .generate()
        .unwrap();
    assert_eq!(path, out.path().join("smoking.rs"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("pub struct UsCoreSmokingStatusProfile {"));
    // Profiles not asked for are left out.
    assert!(!text.contains("pub struct UsCorePatientProfile {"));
    // One file: no `mod x;` left, and the runtime path as asked.
    assert!(!text.contains("mod profiles;"));
    assert!(text.contains("::rt::Reader"));
    assert!(
        !text.contains("fhirgen_runtime"),
        "{:?}",
        text.lines()
            .filter(|l| l.contains("fhirgen_runtime"))
            .collect::<Vec<_>>()
    );
    // Paths in types, expressions and `use` items move to the crate paths
    // given; nothing else does.
    assert!(!text.contains("fhir_r4"), "{text}");
    assert!(text.contains("pub use crate::deps::r4 as r4;"), "{text}");
    assert!(text.contains("pub use crate::deps::r4::Resource;"));
    assert!(text.contains("pub use ::rt::{CodeEnum, Error, Issue, NonEmpty};"));
    assert!(text.contains("::std::option::Option<crate::deps::r4::Meta>"));
    assert_eq!(text.matches('{').count(), text.matches('}').count());
}

#[test]
fn a_profile_not_in_the_package_is_a_clear_error() {
    let out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let error = Builder::new("hl7.fhir.us.core@6.1.0")
        .packages(shared_packages())
        .package_cache(cache.path())
        .profiles(["us-core-patient", "us-core-nothing"])
        .out_dir(out.path())
        .generate()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "profile `us-core-nothing` is not in hl7.fhir.us.core@6.1.0 (give its id, name or canonical URL)"
    );
    let error = Builder::new("hl7.fhir.us.core@9.9.9")
        .packages(shared_packages())
        .package_cache(cache.path())
        .out_dir(out.path())
        .generate()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("package hl7.fhir.us.core@9.9.9 was not found"),
        "{error}"
    );
}

#[test]
fn an_ig_on_us_core_reuses_the_us_core_crate_and_takes_type_attributes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let path = Builder::new("fhirgen.example.clinic@0.1.0")
        .packages(shared_packages())
        .packages(root.join("definitions/local/clinic-ig"))
        .package_cache(cache.path())
        .reuse_crate("hl7.fhir.us.core@6.1.0", "us-core-6-1-0")
        .type_attribute("ClinicPatient", "#[non_exhaustive]")
        .type_attribute("*", "#[doc(alias = \"clinic\")]")
        .out_dir(out.path())
        .generate()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // US Core's types come from the us-core-6-1-0 crate, not generated again.
    assert!(text.contains("for ::us_core_6_1_0::UsCorePatientProfile {"));
    assert!(!text.contains("pub struct UsCorePatientProfile {"));
    assert!(!text.contains("pub struct UsCoreRaceExtension {"));
    // The attributes, on the type named and on every type.
    assert!(
        text.contains("#[non_exhaustive]\n        #[doc(alias = \"clinic\")]\n        pub struct ClinicPatient {"),
        "{text}"
    );
    let types = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("pub struct ") || l.starts_with("pub enum ")
        })
        .count();
    assert_eq!(text.matches("#[doc(alias = \"clinic\")]").count(), types);

    let error = Builder::new("hl7.fhir.us.core@6.1.0")
        .packages(shared_packages())
        .package_cache(cache.path())
        .type_attribute("*", "derive(Hash)")
        .out_dir(out.path())
        .generate()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("type_attribute `derive(Hash)`"),
        "{error}"
    );
}
