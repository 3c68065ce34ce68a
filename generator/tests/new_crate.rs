//! `fhirgen new-crate`: one command adds the crate of a new IG release to
//! the repository (manifest, pinned package, workspace, table of published
//! crates) and generates it. Run here in a throwaway repository layout on
//! the real US Core 6.1.0 package.

mod common;

use std::path::Path;

use common::{fhirgen, run, shared_packages};

#[test]
fn new_crate_adds_a_us_core_release_to_the_repository_and_generates_it() {
    let repo = tempfile::tempdir().unwrap();
    let at = |path: &str| repo.path().join(path);
    let write = |path: &str, text: &str| {
        std::fs::create_dir_all(at(path).parent().unwrap()).unwrap();
        std::fs::write(at(path), text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\n    \"generator\",\n    \"generated/fhir-r4\",\n]\n",
    );
    write(
        "definitions/crates.toml",
        "[[crate]]\nname = \"fhir-r4\"\npath = \"generated/fhir-r4\"\npackage = \"hl7.fhir.r4.core@4.0.1\"\n\
         version = \"0.1.0\"\ndescription = \"R4\"\nruntime_path = \"../../runtime\"\n\
         repository = \"https://github.com/fhirgen/fhirgen\"\n",
    );
    write("definitions/packages.toml", "# pinned packages\n");
    write("generator/src/published.rs", "// the table\n");

    let cache = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .current_dir(repo.path())
        .args([
            "new-crate",
            "hl7.fhir.us.core@6.1.0",
            "--offline",
            "--packages",
        ])
        .arg(shared_packages());
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("us-core-6-1-0: 50 profiles, 14 extensions"),
        "{}",
        output.stderr
    );

    let read = |path: &str| std::fs::read_to_string(at(path)).unwrap();
    let manifest = read("definitions/crates.toml");
    assert!(manifest.contains(
        "[[crate]]\nname = \"us-core-6-1-0\"\npath = \"generated/us-core-6-1-0\"\npackage = \"hl7.fhir.us.core@6.1.0\"\nversion = \"0.1.0\"\n"
    ), "{manifest}");
    // The archive's sha256, as the repository pins it.
    let pinned = read("definitions/packages.toml");
    assert!(pinned.contains(
        "name = \"hl7.fhir.us.core\"\nversion = \"6.1.0\"\nsha256 = \"4c4e7fbb07ef2fdb35bdfc3f5d09a417ee0d8644ea17cb3692ca6d03c4358b1d\"\n"
    ), "{pinned}");
    assert_eq!(
        read("Cargo.toml"),
        "[workspace]\nmembers = [\n    \"generator\",\n    \"generated/fhir-r4\",\n    \"generated/us-core-6-1-0\",\n]\n"
    );
    assert!(
        read("generator/src/published.rs")
            .contains("(\"hl7.fhir.us.core@6.1.0\", \"us-core-6-1-0\", \"0.1.0\"),")
    );
    // The crate: the version rule, and the same types as the committed crate.
    let cargo_toml = read("generated/us-core-6-1-0/Cargo.toml");
    assert!(
        cargo_toml.contains("version = \"0.1.0+6.1.0\""),
        "{cargo_toml}"
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/us-core-6-1-0");
    for file in [
        "src/lib.rs",
        "src/codes.rs",
        "src/profiles/us_core_patient_profile.rs",
    ] {
        assert_eq!(
            read(&format!("generated/us-core-6-1-0/{file}")),
            std::fs::read_to_string(committed.join(file)).unwrap(),
            "{file}"
        );
    }

    // A second time: the crate is there already.
    let output = run(&mut command);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "definitions/crates.toml already has crate us-core-6-1-0 for hl7.fhir.us.core@6.1.0"
        ),
        "{}",
        output.stderr
    );
}
