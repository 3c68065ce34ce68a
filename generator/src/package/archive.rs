//! Reading FHIR NPM package archives (`.tgz`) into memory, safely.
//!
//! Every entry is checked before its content is kept: absolute paths, `..`
//! components and links are refused, so nothing is ever read or written outside
//! the package when an archive is extracted into the package cache.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use crate::error::{Error, Result};

/// The files of a package, keyed by their path below `package/`
/// (`package.json`, `StructureDefinition-us-core-patient.json`, `example/Patient-x.json`).
pub type FileMap = BTreeMap<String, Vec<u8>>;

/// Reads a `.tgz` file.
pub fn read_archive_file(path: &Path) -> Result<FileMap> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_archive(&bytes, path)
}

/// Reads a gzip-compressed tar held in memory; `label` names it in errors.
pub fn read_archive(bytes: &[u8], label: &Path) -> Result<FileMap> {
    let corrupt = |detail: String| Error::CorruptArchive {
        archive: label.to_owned(),
        detail,
    };
    let gzip = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gzip);
    let mut files = FileMap::new();
    let entries = archive.entries().map_err(|e| corrupt(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let unsafe_entry = |reason| Error::UnsafeArchiveEntry {
            archive: label.to_owned(),
            entry: raw_path.clone(),
            reason,
        };
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(unsafe_entry("links are not allowed in a package"));
        }
        let relative = checked_relative_path(&raw_path).map_err(unsafe_entry)?;
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() && !kind.is_contiguous() {
            // Character devices, FIFOs and the like have no place in a package.
            if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
                continue;
            }
            return Err(unsafe_entry(
                "only files and folders are allowed in a package",
            ));
        }
        // Entries outside `package/` are not part of a FHIR package (the spec puts
        // everything there); they are neither kept nor extracted.
        let Some(inside) = relative.strip_prefix("package/") else {
            continue;
        };
        if inside.is_empty() {
            continue;
        }
        let mut content = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        entry
            .read_to_end(&mut content)
            .map_err(|e| corrupt(format!("entry `{raw_path}`: {e}")))?;
        files.insert(inside.to_owned(), content);
    }
    Ok(files)
}

/// Normalises an entry path to `a/b/c` form, refusing anything that could
/// escape the folder it is extracted into.
pub(crate) fn checked_relative_path(raw: &str) -> Result<String, &'static str> {
    if raw.starts_with('/') || raw.starts_with('\\') {
        return Err("absolute paths are not allowed in a package");
    }
    let mut parts = Vec::new();
    for component in Path::new(raw).components() {
        match component {
            Component::Normal(part) => {
                let part = part.to_str().ok_or("entry path is not UTF-8")?;
                if part.contains('\\') || part.contains(':') {
                    return Err("entry path has a drive or backslash in it");
                }
                parts.push(part);
            }
            Component::CurDir => {}
            Component::ParentDir => return Err("`..` is not allowed in a package path"),
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed in a package");
            }
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_checks() {
        assert_eq!(
            checked_relative_path("package/a.json").unwrap(),
            "package/a.json"
        );
        assert_eq!(
            checked_relative_path("./package/a.json").unwrap(),
            "package/a.json"
        );
        assert!(checked_relative_path("/etc/passwd").is_err());
        assert!(checked_relative_path("package/../../x").is_err());
        assert!(checked_relative_path("C:\\x").is_err());
    }
}
