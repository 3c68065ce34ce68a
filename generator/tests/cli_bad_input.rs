//! Each kind of bad input gets one clear error naming the package and file
//! (and element, where it applies), a non-zero exit and no panic.

mod common;

use std::path::Path;

use common::{Entry, fhirgen, manifest, patient_profile, run, tgz};
use serde_json::json;

/// Writes `name-1.0.0.tgz` into `dir`.
fn write_archive(dir: &Path, name: &str, bytes: Vec<u8>) {
    std::fs::write(dir.join(format!("{name}-1.0.0.tgz")), bytes).unwrap();
}

fn index(files: &[(&str, &str, &str)]) -> Entry<'static> {
    let files: Vec<_> = files
        .iter()
        .map(|(file, kind, id)| json!({"filename": file, "resourceType": kind, "id": id, "url": format!("http://example.org/{kind}/{id}")}))
        .collect();
    Entry::File(
        "package/.index.json",
        json!({"index-version": 1, "files": files})
            .to_string()
            .into_bytes(),
    )
}

/// Runs `inspect` on `package@1.0.0` from `dir`; returns stderr after checking
/// the exit code is 1.
fn inspect_fails(dir: &Path, package: &str, profile: &str) -> String {
    let mut command = fhirgen(&dir.join("cache"));
    command
        .args(["inspect", "--offline", "--packages"])
        .arg(dir)
        .args([
            "--package",
            &format!("{package}@1.0.0"),
            "--profile",
            profile,
        ]);
    let output = run(&mut command);
    assert_eq!(
        output.code, 1,
        "expected failure, got:\n{}\n{}",
        output.stdout, output.stderr
    );
    assert_eq!(
        output
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "{}",
        output.stderr
    );
    output.stderr
}

#[test]
fn corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(dir.path(), "broken", b"this is not gzip at all".to_vec());
    let stderr = inspect_fails(dir.path(), "broken", "x");
    assert!(
        stderr.contains("broken-1.0.0.tgz: not a valid FHIR package archive"),
        "{stderr}"
    );

    // `packages` lists the good packages beside it and reports the broken
    // archive (and one whose entry claims 10 GiB), each once.
    write_archive(dir.path(), "good", tgz(&[manifest("good", "1.0.0", &[])]));
    write_archive(dir.path(), "zgood", tgz(&[manifest("zgood", "1.0.0", &[])]));
    write_archive(dir.path(), "huge", huge_claim());
    let mut command = fhirgen(&dir.path().join("cache"));
    command
        .args(["packages", "--offline", "--packages"])
        .arg(dir.path());
    let output = run(&mut command);
    assert_eq!(output.code, 1);
    assert!(
        output.stdout.contains("good@1.0.0") && output.stdout.contains("zgood@1.0.0"),
        "{}",
        output.stdout
    );
    let errors: Vec<&str> = output
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 2, "{}", output.stderr);
    assert!(errors[0].contains("broken-1.0.0.tgz: not a valid FHIR package archive"));
    assert!(
        errors[1].contains(
            "huge-1.0.0.tgz: archive too large: entry `package/huge.json` claims 10737418240 bytes"
        ),
        "{}",
        errors[1]
    );
}

/// A package whose second entry's header claims 10 GiB (the archive is a
/// few hundred bytes).
fn huge_claim() -> Vec<u8> {
    use std::io::Write;
    let mut tar = Vec::new();
    for (path, size, data) in [
        ("package/package.json", 2, &b"{}"[..]),
        ("package/huge.json", 10u64 << 30, &[b' '; 512][..]),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).unwrap();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        tar.extend_from_slice(header.as_bytes());
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&tar).unwrap();
    gzip.finish().unwrap()
}

#[test]
fn unsafe_archive_entries_are_refused() {
    let cases: [(&str, Entry, &str); 4] = [
        (
            "absolute",
            Entry::File("/tmp/evil.json", b"{}".to_vec()),
            "absolute paths are not allowed",
        ),
        (
            "dotdot",
            Entry::File("package/../../evil.json", b"{}".to_vec()),
            "`..` is not allowed",
        ),
        (
            "symlink",
            Entry::Symlink("package/link.json", "/etc/passwd"),
            "links are not allowed",
        ),
        (
            "hardlink",
            Entry::HardLink("package/link.json", "package/package.json"),
            "links are not allowed",
        ),
    ];
    for (name, entry, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_archive(
            dir.path(),
            name,
            tgz(&[manifest(name, "1.0.0", &[]), entry]),
        );
        let stderr = inspect_fails(dir.path(), name, "x");
        assert!(
            stderr.contains(&format!("{name}-1.0.0.tgz: refusing archive entry")),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{name}: {stderr}");
    }
}

#[test]
fn package_without_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(
        dir.path(),
        "nomanifest",
        tgz(&[Entry::File("package/ValueSet-a.json", b"{}".to_vec())]),
    );
    let stderr = inspect_fails(dir.path(), "nomanifest", "x");
    assert!(
        stderr.contains("nomanifest-1.0.0.tgz: no package/package.json"),
        "{stderr}"
    );
}

#[test]
fn file_that_is_not_json() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(
        dir.path(),
        "notjson",
        tgz(&[
            manifest("notjson", "1.0.0", &[]),
            index(&[("StructureDefinition-p.json", "StructureDefinition", "p")]),
            Entry::File("package/StructureDefinition-p.json", b"<xml/>".to_vec()),
        ]),
    );
    let stderr = inspect_fails(dir.path(), "notjson", "p");
    assert!(
        stderr.contains("notjson@1.0.0, file package/StructureDefinition-p.json: not valid JSON"),
        "{stderr}"
    );
}

#[test]
fn json_that_is_not_the_resource_it_claims() {
    let dir = tempfile::tempdir().unwrap();
    let value_set = json!({"resourceType": "ValueSet", "id": "p", "url": "http://example.org/StructureDefinition/p"});
    let wrong_field = json!({"resourceType": "StructureDefinition", "id": "q", "url": "http://example.org/StructureDefinition/q",
        "name": "Q", "kind": "resource", "type": "Patient", "snapshot": {"element": [{"path": "Patient", "min": "zero"}]}});
    write_archive(
        dir.path(),
        "claims",
        tgz(&[
            manifest("claims", "1.0.0", &[]),
            index(&[
                ("StructureDefinition-p.json", "StructureDefinition", "p"),
                ("StructureDefinition-q.json", "StructureDefinition", "q"),
            ]),
            Entry::File(
                "package/StructureDefinition-p.json",
                value_set.to_string().into_bytes(),
            ),
            Entry::File(
                "package/StructureDefinition-q.json",
                wrong_field.to_string().into_bytes(),
            ),
        ]),
    );
    let stderr = inspect_fails(dir.path(), "claims", "p");
    assert!(
        stderr.contains("claims@1.0.0, file package/StructureDefinition-p.json: expected a StructureDefinition resource, found ValueSet"),
        "{stderr}"
    );
    let stderr = inspect_fails(dir.path(), "claims", "q");
    assert!(
        stderr.contains("file package/StructureDefinition-q.json: at `snapshot.element[0].min`"),
        "{stderr}"
    );
}

#[test]
fn invalid_element_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(
        dir.path(),
        "badcard",
        tgz(&[
            manifest("badcard", "1.0.0", &[]),
            Entry::File(
                "package/StructureDefinition-clinic-patient.json",
                patient_profile("clinic-patient", "many")
                    .to_string()
                    .into_bytes(),
            ),
        ]),
    );
    let stderr = inspect_fails(dir.path(), "badcard", "clinic-patient");
    assert!(
        stderr.contains("badcard@1.0.0, file package/StructureDefinition-clinic-patient.json, element `Patient.name`: max `many` is neither `*` nor a whole number"),
        "{stderr}"
    );
}

#[test]
fn profile_without_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut profile = patient_profile("diff-only", "1");
    profile.as_object_mut().unwrap().remove("snapshot");
    write_archive(
        dir.path(),
        "nosnap",
        tgz(&[
            manifest("nosnap", "1.0.0", &[]),
            Entry::File(
                "package/StructureDefinition-diff-only.json",
                profile.to_string().into_bytes(),
            ),
        ]),
    );
    let stderr = inspect_fails(dir.path(), "nosnap", "diff-only");
    assert!(
        stderr.contains("nosnap@1.0.0, file package/StructureDefinition-diff-only.json: StructureDefinition `diff-only` has no snapshot"),
        "{stderr}"
    );
}

#[test]
fn dependency_cycle() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(
        dir.path(),
        "cycle.a",
        tgz(&[manifest("cycle.a", "1.0.0", &[("cycle.b", "1.0.0")])]),
    );
    write_archive(
        dir.path(),
        "cycle.b",
        tgz(&[manifest("cycle.b", "1.0.0", &[("cycle.a", "1.0.0")])]),
    );
    let stderr = inspect_fails(dir.path(), "cycle.a", "x");
    assert!(
        stderr.contains("dependency cycle: cycle.a@1.0.0 -> cycle.b@1.0.0 -> cycle.a@1.0.0"),
        "{stderr}"
    );
}

#[test]
fn unknown_profile_and_missing_dependency() {
    let dir = tempfile::tempdir().unwrap();
    write_archive(
        dir.path(),
        "clinic",
        tgz(&[
            manifest("clinic", "1.0.0", &[("not.here", "2.0.0")]),
            Entry::File(
                "package/StructureDefinition-clinic-patient.json",
                patient_profile("clinic-patient", "1")
                    .to_string()
                    .into_bytes(),
            ),
        ]),
    );
    // The missing dependency is only a warning while nothing needed lives there.
    let mut command = fhirgen(&dir.path().join("cache"));
    command
        .args(["inspect", "--offline", "--packages"])
        .arg(dir.path())
        .args([
            "--package",
            "clinic@1.0.0",
            "--profile",
            "ClinicPatient",
            "--json",
        ]);
    let output = run(&mut command);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("warning: dependency not.here@2.0.0 of clinic@1.0.0 is missing"),
        "{}",
        output.stderr
    );

    // It becomes part of the error when what is asked for is not found.
    let stderr = inspect_fails(
        dir.path(),
        "clinic",
        "http://example.org/StructureDefinition/elsewhere",
    );
    assert!(stderr.contains("profile `http://example.org/StructureDefinition/elsewhere` was not found in clinic@1.0.0"), "{stderr}");
    assert!(
        stderr.contains("these dependencies are missing and may define it: not.here@2.0.0"),
        "{stderr}"
    );

    let stderr = inspect_fails(dir.path(), "absent", "x");
    assert!(
        stderr.contains("package absent@1.0.0 was not found in"),
        "{stderr}"
    );
}

#[test]
fn unpacked_folder_and_single_archive_are_sources_too() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("clinic-unpacked").join("package");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("package.json"),
        json!({"name": "clinic", "version": "1.0.0"}).to_string(),
    )
    .unwrap();
    std::fs::write(
        folder.join("StructureDefinition-clinic-patient.json"),
        patient_profile("clinic-patient", "1").to_string(),
    )
    .unwrap();
    for package in [
        folder.parent().unwrap().to_str().unwrap(),
        "clinic@1.0.0",
        "clinic#1.0.0",
    ] {
        let mut command = fhirgen(&dir.path().join("cache"));
        command
            .args(["inspect", "--offline", "--packages"])
            .arg(dir.path())
            .args([
                "--package",
                package,
                "--profile",
                "clinic-patient",
                "--json",
            ]);
        let output = run(&mut command);
        assert_eq!(output.code, 0, "{package}: {}", output.stderr);
        assert!(output.stdout.contains("\"Patient.name\""));
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = fhirgen(dir.path());
    command.args(["inspect", "--package", "x@1"]);
    assert_eq!(run(&mut command).code, 2);
    let mut command = fhirgen(dir.path());
    command
        .args([
            "inspect",
            "--offline",
            "--package",
            "no-version",
            "--profile",
            "p",
            "--packages",
        ])
        .arg(dir.path());
    let output = run(&mut command);
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("`no-version` is not a package id"),
        "{}",
        output.stderr
    );
}

/// A crate name Cargo would refuse is refused before anything is written.
#[test]
fn generate_refuses_an_invalid_crate_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut command = fhirgen(&dir.path().join("cache"));
    command
        .args([
            "generate",
            "--offline",
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--name",
            "us core",
            "--out",
        ])
        .arg(&out);
    let output = run(&mut command);
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert_eq!(
        output.stderr.trim(),
        "error: `us core` is not a valid crate name (ASCII letters, digits, `-` and `_`, starting with a letter)"
    );
    assert!(!out.exists());
}
