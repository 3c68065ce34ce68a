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

/// The constraint tables `fhirgen validate` checks a resource of `set` with:
/// R4's types' (from `set`'s core package) and each resource profile the
/// root package defines, by canonical URL. The notes of each profile's
/// table are returned by URL.
pub fn constraint_tables(
    set: &PackageSet,
) -> (
    &'static fhirgen_runtime::shape::Shapes,
    fhirgen_runtime::invariants::Invariants,
    Vec<(String, Vec<fhirgen::constraints::Note>)>,
) {
    let core: fhirgen::package::PackageId = "hl7.fhir.r4.core@4.0.1".parse().unwrap();
    let shapes = fhirgen::shapes::base_shapes(set, &core).unwrap();
    let (mut invariants, _) = fhirgen::constraints::base_invariants(set, &core, shapes).unwrap();
    let mut notes = Vec::new();
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != set.root().id() {
            continue;
        }
        let definition = set
            .parse::<fhirgen::conformance::StructureDefinition>(r)
            .unwrap();
        if definition.kind == "resource" && definition.derivation.as_deref() == Some("constraint") {
            let (table, found) = fhirgen::constraints::table_of(&definition, shapes);
            invariants.insert(&definition.url, table);
            notes.push((definition.url.clone(), found));
        }
    }
    (shapes, invariants, notes)
}

/// The errors among constraint findings: key and path.
pub fn errors_in(findings: Vec<fhirgen_runtime::invariants::Finding>) -> Vec<(String, String)> {
    findings
        .into_iter()
        .filter(|f| f.severity == Some(fhirgen_runtime::invariants::Severity::Error))
        .map(|f| (f.key, f.path))
        .collect()
}

/// `resource` without the elements `names`: a choice's too
/// (`effective` takes `effectiveDateTime`), and their `_` parts.
pub fn without(resource: &serde_json::Value, names: &[&str]) -> serde_json::Value {
    let mut resource = resource.clone();
    resource.as_object_mut().unwrap().retain(|key, _| {
        let key = key.trim_start_matches('_');
        !names.iter().any(|name| {
            key.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_uppercase))
        })
    });
    resource
}
