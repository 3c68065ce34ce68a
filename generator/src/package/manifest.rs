//! `package.json` and `.index.json`, the two files that describe a FHIR package.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The parts of `package/package.json` the toolchain uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// `fhirVersions`; the R4 core package calls it `fhir-version-list`.
    #[serde(default, alias = "fhir-version-list")]
    pub fhir_versions: Vec<String>,
    /// Dependencies in the order the manifest lists them.
    #[serde(default, deserialize_with = "ordered_dependencies")]
    pub dependencies: Vec<(String, String)>,
    #[serde(default)]
    pub canonical: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, rename = "type")]
    pub package_type: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
}

fn ordered_dependencies<'de, D>(deserializer: D) -> Result<Vec<(String, String)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    // serde_json's `preserve_order` keeps the manifest's order, which is the
    // order in which canonical URLs are looked up across dependencies.
    let map: serde_json::Map<String, serde_json::Value> = Deserialize::deserialize(deserializer)?;
    map.into_iter()
        .map(|(name, version)| match version {
            serde_json::Value::String(version) => Ok((name, version)),
            other => Err(serde::de::Error::custom(format!(
                "dependency `{name}` has version {other}, expected a string"
            ))),
        })
        .collect()
}

/// `.index.json`: one entry per resource file of a folder of the package.
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    pub files: Vec<IndexEntry>,
}

/// What is known of a resource file without parsing it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    pub filename: String,
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
}

/// Counts of resources by type, sorted by type name.
pub type ResourceCounts = BTreeMap<String, usize>;
