use serde::Deserialize;

use crate::package::ConformanceResource;

/// A ValueSet: its definition (`compose`) and any expansion shipped with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueSet {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub compose: Option<ValueSetCompose>,
    #[serde(default)]
    pub expansion: Option<ValueSetExpansion>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueSetCompose {
    /// Whether inactive codes are in the value set (R4 default: allowed).
    #[serde(default)]
    pub inactive: Option<bool>,
    #[serde(default)]
    pub include: Vec<ConceptSet>,
    #[serde(default)]
    pub exclude: Vec<ConceptSet>,
}

/// One `include` or `exclude`: codes of one system (all, listed or filtered),
/// intersected with the value sets it imports.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConceptSet {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub concept: Vec<ConceptReference>,
    #[serde(default)]
    pub filter: Vec<Filter>,
    #[serde(default)]
    pub value_set: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConceptReference {
    pub code: String,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Filter {
    pub property: String,
    pub op: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueSetExpansion {
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub contains: Vec<ExpansionContains>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExpansionContains {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default, rename = "abstract")]
    pub is_abstract: Option<bool>,
    #[serde(default)]
    pub inactive: Option<bool>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub contains: Vec<ExpansionContains>,
}

impl ConformanceResource for ValueSet {
    const RESOURCE_TYPE: &'static str = "ValueSet";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}
