//! The conformance resources of search: SearchParameter,
//! CompartmentDefinition, and the REST part of CapabilityStatement (what a
//! server lists for each resource type, with the conformance expectations
//! the IG puts on each).

use serde::Deserialize;

use crate::package::ConformanceResource;

/// A SearchParameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParameterDef {
    pub resource_type: String,
    pub url: String,
    pub code: String,
    #[serde(default)]
    pub base: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub target: Vec<String>,
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default)]
    pub component: Vec<SearchComponentDef>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchComponentDef {
    pub definition: String,
    pub expression: String,
}

impl ConformanceResource for SearchParameterDef {
    const RESOURCE_TYPE: &'static str = "SearchParameter";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

/// A CompartmentDefinition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompartmentDefinition {
    pub resource_type: String,
    pub url: String,
    /// `Patient`, `Encounter`...
    pub code: String,
    #[serde(default)]
    pub resource: Vec<CompartmentResource>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CompartmentResource {
    pub code: String,
    #[serde(default)]
    pub param: Vec<String>,
}

impl ConformanceResource for CompartmentDefinition {
    const RESOURCE_TYPE: &'static str = "CompartmentDefinition";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

/// A CapabilityStatement, its REST part.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityStatement {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub rest: Vec<CapabilityRest>,
}

impl ConformanceResource for CapabilityStatement {
    const RESOURCE_TYPE: &'static str = "CapabilityStatement";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityRest {
    /// `server` or `client`.
    pub mode: String,
    #[serde(default)]
    pub resource: Vec<CapabilityResource>,
}

/// What the statement says of one resource type.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityResource {
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(default)]
    pub extension: Vec<Extension>,
    #[serde(default)]
    pub search_param: Vec<CapabilitySearchParam>,
    #[serde(default)]
    pub search_include: Vec<String>,
    #[serde(default)]
    pub search_rev_include: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitySearchParam {
    pub name: String,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub extension: Vec<Extension>,
    #[serde(default)]
    pub documentation: Option<String>,
}

/// An extension, as far as the conformance expectation and the search
/// parameter combination extensions need.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    #[serde(default)]
    pub value_code: Option<String>,
    #[serde(default)]
    pub value_string: Option<String>,
    #[serde(default)]
    pub extension: Vec<Extension>,
}

/// `http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation`.
pub const EXPECTATION: &str =
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation";
/// `http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination`.
pub const COMBINATION: &str =
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination";

/// A combination of parameters a server is expected to support together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    pub required: Vec<String>,
    /// `SHALL`, `SHOULD`, `MAY`, `SHOULD-NOT`, when stated.
    pub expectation: Option<String>,
}

/// The expectation (`SHALL`...) among `extensions`.
pub fn expectation(extensions: &[Extension]) -> Option<String> {
    extensions
        .iter()
        .find(|e| e.url == EXPECTATION)
        .and_then(|e| e.value_code.clone())
}

impl CapabilityResource {
    /// The search parameter combinations listed for this type.
    pub fn combinations(&self) -> Vec<Combination> {
        self.extension
            .iter()
            .filter(|e| e.url == COMBINATION)
            .map(|e| Combination {
                required: e
                    .extension
                    .iter()
                    .filter(|part| part.url == "required")
                    .filter_map(|part| part.value_string.clone())
                    .collect(),
                expectation: expectation(&e.extension),
            })
            .collect()
    }
}
