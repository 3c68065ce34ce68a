//! Installing packages from a FHIR package registry into the package cache.
//!
//! FHIR registries serve the npm registry API: `GET {registry}/{name}` returns
//! the package document, whose `versions.{version}.dist` gives the `tarball`
//! address and its `shasum` (SHA-1, hex). Packages are unpacked into the FHIR
//! package cache layout the HL7 tools share: `{cache}/{name}#{version}/package/`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::{FileMap, PackageId, compare_versions, read_archive, version_matches};
use crate::error::{Error, Result};

/// The official FHIR package registry.
pub const DEFAULT_REGISTRY: &str = "https://packages.fhir.org";

/// The largest package download accepted (r4.core, the largest common one, is 4 MB).
const MAX_DOWNLOAD: u64 = 512 << 20;

/// `~/.fhir/packages`, the FHIR package cache of the HL7 tools.
pub fn default_cache_dir() -> Option<PathBuf> {
    home::home_dir().map(|home| home.join(".fhir").join("packages"))
}

/// A FHIR package registry.
pub struct Registry {
    base: String,
    agent: ureq::Agent,
}

#[derive(Deserialize)]
struct PackageDocument {
    #[serde(default)]
    versions: BTreeMap<String, VersionDocument>,
    #[serde(default, rename = "dist-tags")]
    dist_tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct VersionDocument {
    dist: Dist,
}

#[derive(Deserialize)]
struct Dist {
    tarball: String,
    #[serde(default)]
    shasum: Option<String>,
}

impl Registry {
    pub fn new(base: impl Into<String>) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(300)))
            .build();
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn get(&self, url: &str) -> Result<Vec<u8>> {
        let error = |detail: String| Error::Registry {
            url: url.to_owned(),
            detail,
        };
        let mut response = self.agent.get(url).call().map_err(|e| match e {
            ureq::Error::StatusCode(404) => error("not found (HTTP 404)".to_owned()),
            other => error(other.to_string()),
        })?;
        let mut bytes = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_DOWNLOAD + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| error(e.to_string()))?;
        if bytes.len() as u64 > MAX_DOWNLOAD {
            return Err(error(format!("download larger than {MAX_DOWNLOAD} bytes")));
        }
        Ok(bytes)
    }

    /// Picks the version of `name` that `wanted` asks for (highest of the
    /// matching ones; `latest` follows the registry's tag) and its download.
    fn find_version(&self, name: &str, wanted: &str) -> Result<(PackageId, Dist)> {
        let url = format!("{}/{}", self.base, name);
        let bytes = self.get(&url)?;
        let mut document: PackageDocument =
            serde_json::from_slice(&bytes).map_err(|e| Error::Registry {
                url: url.clone(),
                detail: format!("not a package document: {e}"),
            })?;
        let chosen = match (wanted, document.dist_tags.get("latest")) {
            ("latest", Some(latest)) => Some(latest.clone()),
            _ => document
                .versions
                .keys()
                .filter(|v| version_matches(wanted, v))
                .max_by(|a, b| compare_versions(a, b))
                .cloned(),
        };
        let version = chosen.ok_or_else(|| Error::Registry {
            url: url.clone(),
            detail: format!("no version of {name} matches `{wanted}`"),
        })?;
        let dist = document
            .versions
            .remove(&version)
            .ok_or_else(|| Error::Registry {
                url: url.clone(),
                detail: format!("version {version} is tagged but not listed"),
            })?
            .dist;
        Ok((PackageId::new(name, version), dist))
    }

    /// Downloads `name` at the version `wanted` asks for, checks it against the
    /// registry's checksum and unpacks it into `cache`, unless it is there
    /// already. Returns the package id and its folder in the cache.
    pub fn install(&self, name: &str, wanted: &str, cache: &Path) -> Result<(PackageId, PathBuf)> {
        let exact = PackageId::new(name, wanted);
        let folder = cache.join(exact.cache_folder_name());
        if folder.join("package").join("package.json").is_file() {
            return Ok((exact, folder));
        }
        let (id, dist) = self.find_version(name, wanted)?;
        let folder = cache.join(id.cache_folder_name());
        if folder.join("package").join("package.json").is_file() {
            return Ok((id, folder));
        }
        let tarball = if dist.tarball.starts_with('/') {
            format!("{}{}", self.base, dist.tarball)
        } else {
            dist.tarball
        };
        let bytes = self.get(&tarball)?;
        if let Some(expected) = dist.shasum {
            let actual = super::hex(&Sha1::digest(&bytes));
            if !actual.eq_ignore_ascii_case(expected.trim()) {
                return Err(Error::ChecksumMismatch {
                    url: tarball,
                    expected,
                    actual,
                });
            }
        }
        let files = read_archive(&bytes, Path::new(&tarball))?;
        let manifest_bytes = files
            .get("package.json")
            .ok_or_else(|| Error::MissingManifest {
                location: PathBuf::from(&tarball),
            })?;
        let manifest: super::Manifest =
            super::parse_json(manifest_bytes, &tarball, "package/package.json")?;
        let manifest_name = PackageId::new(manifest.name, manifest.version);
        if manifest_name != id {
            return Err(Error::Registry {
                url: tarball,
                detail: format!("asked for {id}, the archive holds {manifest_name}"),
            });
        }
        write_package(&files, cache, &folder)?;
        Ok((id, folder))
    }
}

/// Writes the files into `{folder}/package/` through a temporary folder, so a
/// half-written package is never seen in the cache.
fn write_package(files: &FileMap, cache: &Path, folder: &Path) -> Result<()> {
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let staging = tempfile_dir(cache)?;
    let result = (|| {
        for (name, content) in files {
            // Names were checked when the archive was read: relative, no `..`.
            let path = staging.join("package").join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::write(&path, content).map_err(|e| Error::io(&path, e))?;
        }
        match std::fs::rename(&staging, folder) {
            Ok(()) => Ok(()),
            // Another process installed it meanwhile: theirs is as good as ours.
            Err(_) if folder.join("package").join("package.json").is_file() => Ok(()),
            Err(e) => Err(Error::io(folder, e)),
        }
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn tempfile_dir(cache: &Path) -> Result<PathBuf> {
    for attempt in 0..100u32 {
        let path = cache.join(format!(".fhirgen-install-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Err(Error::io(
        cache,
        std::io::Error::other("could not create a staging folder"),
    ))
}
