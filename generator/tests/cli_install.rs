//! Installing from a registry: a small npm-style FHIR registry served on
//! loopback from the shared packages (this machine has no other network).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{fhirgen, json, run, shared_packages};
use sha1::{Digest, Sha1};

/// Serves `GET /{name}` (the package document) and `GET /tarballs/{file}`.
/// With `lie_about_checksums`, every `dist.shasum` is wrong.
struct TestRegistry {
    url: String,
    server: Arc<tiny_http::Server>,
}

impl TestRegistry {
    fn start(lie_about_checksums: bool) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let mut archives: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
        for entry in std::fs::read_dir(shared_packages()).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap().to_owned();
            let Some(stem) = file.strip_suffix(".tgz") else {
                continue;
            };
            // `name-version`: the version starts at the first `-` before a digit.
            let split = (0..stem.len())
                .find(|&i| {
                    stem[i..].starts_with('-')
                        && stem[i + 1..].starts_with(|c: char| c.is_ascii_digit())
                })
                .unwrap();
            archives
                .entry(stem[..split].to_owned())
                .or_default()
                .insert(stem[split + 1..].to_owned(), path);
        }
        let base = url.clone();
        let serving = server.clone();
        std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let path = request.url().trim_start_matches('/').to_owned();
                let response = if let Some(file) = path.strip_prefix("tarballs/") {
                    let found = archives
                        .values()
                        .flat_map(|v| v.values())
                        .find(|p| p.file_name().unwrap() == file);
                    match found {
                        Some(p) => tiny_http::Response::from_data(std::fs::read(p).unwrap()),
                        None => tiny_http::Response::from_data(b"not found".to_vec())
                            .with_status_code(404),
                    }
                } else if let Some(versions) = archives.get(&path) {
                    let versions: serde_json::Map<String, serde_json::Value> = versions
                        .iter()
                        .map(|(version, p)| {
                            let bytes = std::fs::read(p).unwrap();
                            let mut shasum: String = Sha1::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                            if lie_about_checksums {
                                shasum = shasum.replace(|c: char| c != '0', "0");
                            }
                            let tarball = format!("{base}/tarballs/{}", p.file_name().unwrap().to_str().unwrap());
                            (version.clone(), serde_json::json!({"name": path, "version": version, "dist": {"tarball": tarball, "shasum": shasum}}))
                        })
                        .collect();
                    let document = serde_json::json!({"name": path, "versions": versions});
                    tiny_http::Response::from_data(document.to_string().into_bytes())
                } else {
                    tiny_http::Response::from_data(b"{\"error\":\"not found\"}".to_vec())
                        .with_status_code(404)
                };
                let _ = request.respond(response);
            }
        });
        Self { url, server }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn install(registry: &TestRegistry, cache: &Path, package: &str) -> common::Output {
    let mut command = fhirgen(cache);
    command.args(["install", package, "--registry", &registry.url]);
    run(&mut command)
}

#[test]
fn install_fetches_the_package_and_its_dependencies_into_the_cache() {
    let registry = TestRegistry::start(false);
    let cache = tempfile::tempdir().unwrap();
    let output = install(&registry, cache.path(), "hl7.fhir.us.core@3.1.1");
    assert_eq!(output.code, 0, "{}", output.stderr);
    for folder in ["hl7.fhir.us.core#3.1.1", "hl7.fhir.r4.core#4.0.1"] {
        assert!(
            cache
                .path()
                .join(folder)
                .join("package/package.json")
                .is_file(),
            "{folder} not installed"
        );
    }
    assert!(
        cache
            .path()
            .join("hl7.fhir.us.core#3.1.1/package/example/Patient-example.json")
            .is_file()
    );
    // No staging folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The cache is now enough on its own, offline.
    let empty = tempfile::tempdir().unwrap();
    let mut command = fhirgen(cache.path());
    command
        .args(["inspect", "--offline", "--packages"])
        .arg(empty.path())
        .args([
            "--package",
            "hl7.fhir.us.core@3.1.1",
            "--profile",
            "us-core-patient",
            "--json",
        ]);
    let patient = json(&run(&mut command));
    assert_eq!(patient["version"], "3.1.1");
}

#[test]
fn other_commands_install_what_is_missing_unless_offline() {
    let registry = TestRegistry::start(false);
    let cache = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut offline = fhirgen(cache.path());
    offline
        .args(["inspect", "--offline", "--packages"])
        .arg(empty.path())
        .args([
            "--package",
            "hl7.fhir.us.core@3.1.1",
            "--profile",
            "us-core-patient",
        ]);
    let output = run(&mut offline);
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("package hl7.fhir.us.core@3.1.1 was not found"),
        "{}",
        output.stderr
    );

    let mut online = fhirgen(cache.path());
    online
        .args(["inspect", "--registry", &registry.url, "--packages"])
        .arg(empty.path())
        .args([
            "--package",
            "hl7.fhir.us.core@3.1.1",
            "--profile",
            "us-core-patient",
            "--json",
        ]);
    let patient = json(&run(&mut online));
    assert_eq!(patient["name"], "USCorePatientProfile");
    assert!(
        cache
            .path()
            .join("hl7.fhir.r4.core#4.0.1/package/package.json")
            .is_file()
    );
}

#[test]
fn dependencies_the_registry_lacks_are_warnings() {
    let registry = TestRegistry::start(false);
    let cache = tempfile::tempdir().unwrap();
    let output = install(&registry, cache.path(), "hl7.fhir.us.core@6.1.0");
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "warning: dependency hl7.terminology.r4@5.0.0 of hl7.fhir.us.core@6.1.0 is missing"
        ),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("not found (HTTP 404)"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_checksum_mismatch_installs_nothing() {
    let registry = TestRegistry::start(true);
    let cache = tempfile::tempdir().unwrap();
    let output = install(&registry, cache.path(), "hl7.fhir.us.core@3.1.1");
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("checksum mismatch"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("hl7.fhir.us.core-3.1.1.tgz"),
        "{}",
        output.stderr
    );
    assert!(!cache.path().join("hl7.fhir.us.core#3.1.1").exists());
}

#[test]
fn an_unknown_package_is_an_error() {
    let registry = TestRegistry::start(false);
    let cache = tempfile::tempdir().unwrap();
    let output = install(&registry, cache.path(), "no.such.package@1.0.0");
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("package no.such.package@1.0.0 was not found"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("/no.such.package: not found (HTTP 404)"),
        "{}",
        output.stderr
    );
}
