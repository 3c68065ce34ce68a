//! Helpers shared by the CLI tests: where the real packages are, a `fhirgen`
//! command that never touches the user's cache, and package archives built
//! byte by byte (so that even the malicious ones can be made).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The shared official packages: `FHIR_PACKAGES`, else `../shared/fhir-packages`
/// beside the repository. A test that needs them fails when they are missing.
pub fn shared_packages() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let folder = fhirgen::package::packages_folder(root);
    assert!(
        folder.join("hl7.fhir.r4.core-4.0.1.tgz").is_file(),
        "the official FHIR packages are not at {} (set FHIR_PACKAGES)",
        folder.display()
    );
    folder
}

/// `fhirgen` with a private package cache, no inherited package settings.
pub fn fhirgen(cache: &Path) -> Command {
    let mut command = Command::cargo_bin("fhirgen").unwrap();
    command
        .env_remove("FHIR_PACKAGES")
        .env_remove("FHIR_REGISTRY")
        .env("FHIR_PACKAGE_CACHE", cache);
    command
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    let result = Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !result.stderr.contains("panicked"),
        "fhirgen panicked:\n{}",
        result.stderr
    );
    result
}

pub fn json(output: &Output) -> Value {
    assert_eq!(output.code, 0, "fhirgen failed:\n{}", output.stderr);
    serde_json::from_str(&output.stdout).unwrap()
}

/// One tar entry to write.
pub enum Entry<'a> {
    File(&'a str, Vec<u8>),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
}

/// A gzip-compressed tar made of `entries`, with names written as given (the
/// `tar` crate's builder refuses `..` and absolute names, which tests need).
pub fn tgz(entries: &[Entry]) -> Vec<u8> {
    let mut tar = Vec::new();
    for entry in entries {
        let mut header = tar::Header::new_old();
        let (name, kind, content, link) = match entry {
            Entry::File(name, content) => {
                (*name, tar::EntryType::Regular, content.as_slice(), None)
            }
            Entry::Symlink(name, target) => {
                (*name, tar::EntryType::Symlink, &[][..], Some(*target))
            }
            Entry::HardLink(name, target) => (*name, tar::EntryType::Link, &[][..], Some(*target)),
        };
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(kind);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.extend_from_slice(header.as_bytes());
        tar.extend_from_slice(content);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&tar).unwrap();
    gzip.finish().unwrap()
}

/// `package/package.json` for `name@version` with these dependencies.
pub fn manifest(name: &str, version: &str, dependencies: &[(&str, &str)]) -> Entry<'static> {
    let deps: serde_json::Map<String, Value> = dependencies
        .iter()
        .map(|(n, v)| (n.to_string(), Value::from(*v)))
        .collect();
    let manifest = serde_json::json!({"name": name, "version": version, "fhirVersions": ["4.0.1"], "dependencies": deps});
    Entry::File("package/package.json", manifest.to_string().into_bytes())
}

/// A small profile on Patient with a snapshot.
pub fn patient_profile(id: &str, name_max: &str) -> Value {
    serde_json::json!({
        "resourceType": "StructureDefinition", "id": id,
        "url": format!("http://example.org/StructureDefinition/{id}"), "version": "1.0.0",
        "name": "ClinicPatient", "status": "draft", "kind": "resource", "abstract": false,
        "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint",
        "snapshot": {"element": [
            {"id": "Patient", "path": "Patient", "min": 0, "max": "*"},
            {"id": "Patient.name", "path": "Patient.name", "min": 1, "max": name_max, "mustSupport": true,
             "type": [{"code": "HumanName"}]}
        ]}
    })
}
