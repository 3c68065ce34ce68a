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

/// How much an archive may unpack to, checked while it streams, before
/// anything is allocated for an entry: a small `.tgz` can claim (or inflate
/// to) gigabytes. The defaults hold every official package with room to
/// spare (the largest, R4 core, has 4,584 entries, 31 MB in all, none over
/// 3 MB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Bytes one entry may hold.
    pub entry_bytes: u64,
    /// Bytes all entries may hold together.
    pub total_bytes: u64,
    /// Entries (files, folders and the rest) the archive may have.
    pub entries: usize,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            entry_bytes: 256 << 20,
            total_bytes: 2 << 30,
            entries: 100_000,
        }
    }
}

/// Reads a `.tgz` file, within the default [`ArchiveLimits`].
pub fn read_archive_file(path: &Path) -> Result<FileMap> {
    read_archive_file_within(path, &ArchiveLimits::default())
}

/// Reads a `.tgz` file, streaming it from disk, within `limits`.
pub fn read_archive_file_within(path: &Path, limits: &ArchiveLimits) -> Result<FileMap> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_archive_from(std::io::BufReader::new(file), path, limits)
}

/// Reads a gzip-compressed tar held in memory, within the default
/// [`ArchiveLimits`]; `label` names it in errors.
pub fn read_archive(bytes: &[u8], label: &Path) -> Result<FileMap> {
    read_archive_from(bytes, label, &ArchiveLimits::default())
}

/// Reads a gzip-compressed tar from `source` within `limits`; `label` names
/// it in errors.
pub fn read_archive_from(
    source: impl Read,
    label: &Path,
    limits: &ArchiveLimits,
) -> Result<FileMap> {
    let corrupt = |detail: String| Error::CorruptArchive {
        archive: label.to_owned(),
        detail,
    };
    let too_large = |detail: String| Error::ArchiveTooLarge {
        archive: label.to_owned(),
        detail,
    };
    let gzip = flate2::read::GzDecoder::new(source);
    let mut archive = tar::Archive::new(gzip);
    let mut files = FileMap::new();
    let mut total: u64 = 0;
    let entries = archive.entries().map_err(|e| corrupt(e.to_string()))?;
    for (count, entry) in entries.enumerate() {
        if count >= limits.entries {
            return Err(too_large(format!(
                "more than {} entries (the limit)",
                limits.entries
            )));
        }
        let entry = entry.map_err(|e| corrupt(e.to_string()))?;
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
        // The header's size is a claim: checked before anything is allocated,
        // and the read stops at it (and at the limit) whatever the stream holds.
        let claimed = entry.size();
        if claimed > limits.entry_bytes {
            return Err(too_large(format!(
                "entry `{raw_path}` claims {claimed} bytes, over the limit of {} for one entry",
                limits.entry_bytes
            )));
        }
        if total + claimed > limits.total_bytes {
            return Err(too_large(format!(
                "entry `{raw_path}` takes the archive over the limit of {} bytes in all",
                limits.total_bytes
            )));
        }
        total += claimed;
        let mut content = Vec::with_capacity(claimed.min(1 << 20) as usize);
        entry
            .take(claimed)
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
    use std::io::Write;

    /// A `.tgz` of `entries`: (path, size the header claims, bytes that follow).
    fn tgz(entries: &[(&str, u64, &[u8])]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (path, claimed, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_path(path).unwrap();
            header.set_size(*claimed);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            tar.extend_from_slice(header.as_bytes());
            tar.extend_from_slice(data);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.extend_from_slice(&[0; 1024]);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&tar).unwrap();
        gzip.finish().unwrap()
    }

    fn message(result: Result<FileMap>) -> String {
        match result {
            Ok(files) => panic!("read {} files", files.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_header_claiming_a_huge_entry_is_refused_before_anything_is_allocated() {
        let archive = tgz(&[
            ("package/package.json", 2, b"{}"),
            ("package/huge.json", 10 << 30, &[b' '; 512]),
        ]);
        let said = message(read_archive(&archive, Path::new("huge-1.0.0.tgz")));
        assert!(
            said.starts_with("huge-1.0.0.tgz: archive too large: entry `package/huge.json` claims 10737418240 bytes"),
            "{said}"
        );
    }

    #[test]
    fn limits_on_entries_and_total_size_are_kept_while_streaming() {
        let small = ArchiveLimits {
            entry_bytes: 1000,
            total_bytes: 2500,
            entries: 4,
        };
        let block = [b'x'; 900];
        let read = |entries: &[(&str, u64, &[u8])]| {
            message(read_archive_from(
                tgz(entries).as_slice(),
                Path::new("p.tgz"),
                &small,
            ))
        };
        let one_too_large = read(&[("package/a.json", 1001, &[b'x'; 1001])]);
        assert!(
            one_too_large.contains("claims 1001 bytes, over the limit of 1000"),
            "{one_too_large}"
        );
        let too_much = read(&[
            ("package/a.json", 900, &block),
            ("package/b.json", 900, &block),
            ("package/c.json", 900, &block),
        ]);
        assert!(
            too_much
                .contains("entry `package/c.json` takes the archive over the limit of 2500 bytes"),
            "{too_much}"
        );
        let too_many = read(&[
            ("package/a.json", 1, b"1"),
            ("package/b.json", 1, b"2"),
            ("package/c.json", 1, b"3"),
            ("package/d.json", 1, b"4"),
            ("package/e.json", 1, b"5"),
        ]);
        assert!(too_many.contains("more than 4 entries"), "{too_many}");
        // Within the limits, the same reader reads what is there.
        let files = read_archive_from(
            tgz(&[
                ("package/a.json", 900, &block),
                ("package/b.json", 900, &block),
            ])
            .as_slice(),
            Path::new("p.tgz"),
            &small,
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files["a.json"].len(), 900);
    }

    #[test]
    fn an_entry_cut_short_is_a_corrupt_archive() {
        let archive = tgz(&[("package/a.json", 5000, &[b'x'; 100])]);
        let said = message(read_archive(&archive, Path::new("short.tgz")));
        assert!(
            said.starts_with("short.tgz: not a valid FHIR package archive"),
            "{said}"
        );
    }

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
