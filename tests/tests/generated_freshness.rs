//! The committed crates that definitions/crates.toml lists (generated/, and
//! the test crate of our own IG, tests/clinic-ig) are exactly what the
//! generator makes now, and the generator makes the same bytes every time.

use std::path::Path;
use std::sync::Arc;

use fhirgen::generate::{CrateManifest, compare, generate_crate};
use fhirgen::package::{Catalog, LoadOptions, Loader, PackageSource, packages_folder};

#[test]
fn committed_crates_are_fresh_and_reproducible() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let manifest = CrateManifest::read(&root.join("definitions/crates.toml")).unwrap();
    assert!(!manifest.crates.is_empty());
    for definition in &manifest.crates {
        let mut catalog = Catalog::new();
        catalog.add_path(&packages_folder(root)).unwrap();
        // A package of our own (definitions/local/...) is named by its folder.
        let local = root.join(&definition.package);
        let id = if local.is_dir() {
            let source = PackageSource::Folder(local);
            let package = Arc::new(source.load().unwrap());
            let id = package.id().clone();
            catalog.add_loaded(source, package);
            id
        } else {
            definition.package_id().unwrap()
        };
        let set = Loader::new(catalog, LoadOptions::default())
            .load(&id)
            .unwrap();
        let options = manifest
            .crate_options(definition)
            .unwrap_or_else(|e| panic!("{e}"));
        let files = generate_crate(&set, &options).unwrap();
        let again = generate_crate(&set, &options).unwrap();
        assert!(
            files == again,
            "{}: two runs of the generator differ",
            definition.name
        );
        let differences = compare(&files, &root.join(&definition.path)).unwrap();
        assert!(
            differences.is_empty(),
            "{} is not what the generator makes now: {:?} differ, {:?} are no longer generated.\n\
             Run `cargo run -p fhirgen -- generate` at the repository root.",
            definition.name,
            differences.changed,
            differences.stale
        );
        println!("{}: {} files, up to date", definition.name, files.len());
    }
}
