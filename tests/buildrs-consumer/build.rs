//! Generates the types of two US Core 6.1.0 profiles (and what they build
//! on) into OUT_DIR, as another project's build.rs would.

use std::path::{Path, PathBuf};

fn main() {
    // `$FHIR_PACKAGES` as the README gives it is relative to the repository
    // root; a build script runs in its own package's folder.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let packages = std::env::var_os("FHIR_PACKAGES")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root.join(p) } else { p })
        .unwrap_or_else(|| root.join("../shared/fhir-packages"));
    fhirgen::build::Builder::new("hl7.fhir.us.core@6.1.0")
        .packages(packages)
        .profiles(["us-core-patient", "us-core-observation-lab"])
        // An attribute of the user's on one generated type, and on all.
        .type_attribute("UsCorePatientProfile", "#[doc(alias = \"Patient\")]")
        .type_attribute("*", "#[doc(alias = \"uscore\")]")
        .generate_or_exit();
}
