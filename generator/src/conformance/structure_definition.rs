use serde::Deserialize;

use super::ElementDefinition;
use crate::package::ConformanceResource;

/// A StructureDefinition: a resource, datatype, profile or extension definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StructureDefinition {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    pub url: String,
    #[serde(default)]
    pub version: Option<String>,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub fhir_version: Option<String>,
    pub kind: String,
    #[serde(rename = "abstract", default)]
    pub is_abstract: bool,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub base_definition: Option<String>,
    #[serde(default)]
    pub derivation: Option<String>,
    #[serde(default)]
    pub snapshot: Option<ElementList>,
    #[serde(default)]
    pub differential: Option<ElementList>,
}

/// `snapshot` or `differential`.
#[derive(Debug, Clone, Deserialize)]
pub struct ElementList {
    #[serde(default)]
    pub element: Vec<ElementDefinition>,
}

impl StructureDefinition {
    /// The snapshot's elements, if it has a snapshot.
    pub fn snapshot_elements(&self) -> Option<&[ElementDefinition]> {
        self.snapshot.as_ref().map(|s| s.element.as_slice())
    }
}

impl ConformanceResource for StructureDefinition {
    const RESOURCE_TYPE: &'static str = "StructureDefinition";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }

    fn check(&self) -> Result<(), (String, String)> {
        let lists = [&self.snapshot, &self.differential];
        for element in lists.into_iter().flatten().flat_map(|l| &l.element) {
            element
                .check()
                .map_err(|message| (element.key().to_owned(), message))?;
        }
        Ok(())
    }
}
