//! Helpers shared by the end-to-end tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fhirgen::package::{Catalog, LoadOptions, Loader, PackageSet, packages_folder};

/// The repository root.
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The official packages; a test that needs them fails when they are missing.
pub fn shared_packages() -> PathBuf {
    let folder = packages_folder(repository_root());
    assert!(
        folder.join("hl7.fhir.r4.core-4.0.1.tgz").is_file(),
        "the official FHIR packages are not at {} (set FHIR_PACKAGES)",
        folder.display()
    );
    folder
}

/// Loads a package and its dependencies from the official packages, offline.
pub fn load(id: &str) -> PackageSet {
    let mut catalog = Catalog::new();
    catalog.add_path(&shared_packages()).unwrap();
    Loader::new(catalog, LoadOptions::default())
        .load(&id.parse().unwrap())
        .unwrap()
}

/// The StructureDefinitions a package holds itself (not its dependencies'),
/// logical models left out.
pub fn own_definitions(id: &str) -> Vec<std::sync::Arc<fhirgen::conformance::StructureDefinition>> {
    let set = load(id);
    let root: fhirgen::package::PackageId = id.parse().unwrap();
    set.resources_of_type("StructureDefinition")
        .filter(|&r| set.package_of(r).id() == &root)
        .map(|r| {
            set.parse::<fhirgen::conformance::StructureDefinition>(r)
                .unwrap()
        })
        .filter(|d| d.kind != "logical")
        .collect()
}
