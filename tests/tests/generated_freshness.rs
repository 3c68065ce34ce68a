//! The committed crates under generated/ are exactly what the generator makes
//! now, and the generator makes the same bytes every time.

use std::path::Path;

use fhirgen::generate::{CrateManifest, compare, generate_crate};
use fhirgen::package::{Catalog, LoadOptions, Loader, packages_folder};

#[test]
fn committed_crates_are_fresh_and_reproducible() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let manifest = CrateManifest::read(&root.join("definitions/crates.toml")).unwrap();
    assert!(!manifest.crates.is_empty());
    for definition in &manifest.crates {
        let mut catalog = Catalog::new();
        catalog.add_path(&packages_folder(root)).unwrap();
        let set = Loader::new(catalog, LoadOptions::default())
            .load(&definition.package_id().unwrap())
            .unwrap();
        let files = generate_crate(&set, &definition.options()).unwrap();
        let again = generate_crate(&set, &definition.options()).unwrap();
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
