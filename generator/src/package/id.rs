//! Package identity: `name@version`, as the FHIR package tools name packages.

use std::fmt;
use std::str::FromStr;

/// A FHIR package name and version, written `hl7.fhir.us.core@6.1.0`.
///
/// `hl7.fhir.us.core#6.1.0` (the form of the FHIR package cache folders and of the
/// HL7 tools) is accepted too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId {
    pub name: String,
    pub version: String,
}

impl PackageId {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// The folder name of this package in the FHIR package cache (`name#version`).
    pub fn cache_folder_name(&self) -> String {
        format!("{}#{}", self.name, self.version)
    }

    /// The file name this package usually has as an archive (`name-version.tgz`).
    pub fn archive_file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Why a text is not a package id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a package id: expected NAME@VERSION, e.g. hl7.fhir.us.core@6.1.0")]
pub struct ParsePackageIdError(pub String);

impl FromStr for PackageId {
    type Err = ParsePackageIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, version) = text
            .split_once('@')
            .or_else(|| text.split_once('#'))
            .ok_or_else(|| ParsePackageIdError(text.to_owned()))?;
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        let valid_version = !version.is_empty()
            && !version.contains(['@', '#', '/', '\\'])
            && !version.chars().any(char::is_whitespace);
        if valid_name && valid_version {
            Ok(Self::new(name, version))
        } else {
            Err(ParsePackageIdError(text.to_owned()))
        }
    }
}

/// Whether `available` satisfies the version a dependency asks for.
///
/// FHIR package manifests use exact versions, `x` wildcards (`1.0.x`), and the
/// tags `current`, `dev` and `latest`; a tag matches any version, and the caller
/// picks the highest.
pub fn version_matches(wanted: &str, available: &str) -> bool {
    if matches!(wanted, "current" | "dev" | "latest" | "*" | "") {
        return true;
    }
    let wanted_parts: Vec<&str> = wanted.split('.').collect();
    let available_parts: Vec<&str> = available.split('.').collect();
    if !wanted_parts.contains(&"x") {
        return wanted == available;
    }
    wanted_parts.len() <= available_parts.len()
        && wanted_parts
            .iter()
            .zip(&available_parts)
            .all(|(w, a)| *w == "x" || w == a)
}

/// Orders package versions: semantic versions by precedence, anything else after
/// them by text.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_separators() {
        let at: PackageId = "hl7.fhir.us.core@6.1.0".parse().unwrap();
        let hash: PackageId = "hl7.fhir.us.core#6.1.0".parse().unwrap();
        assert_eq!(at, hash);
        assert_eq!(at.to_string(), "hl7.fhir.us.core@6.1.0");
        assert_eq!(at.cache_folder_name(), "hl7.fhir.us.core#6.1.0");
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "hl7.fhir.us.core",
            "@6.1.0",
            "core@",
            "a b@1",
            "x@1/../2",
            "x@@1",
        ] {
            assert!(bad.parse::<PackageId>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn wildcards_and_tags() {
        assert!(version_matches("4.0.1", "4.0.1"));
        assert!(!version_matches("4.0.1", "4.0.2"));
        assert!(version_matches("1.0.x", "1.0.7"));
        assert!(!version_matches("1.0.x", "1.1.0"));
        assert!(version_matches("current", "0.3.0"));
    }

    #[test]
    fn orders_semver_before_text() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("6.1.0", "7.0.0"), Less);
        assert_eq!(compare_versions("7.0.0-ballot", "7.0.0"), Less);
        assert_eq!(compare_versions("10.0.0", "9.0.0"), Greater);
    }
}
