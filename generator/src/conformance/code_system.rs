use serde::Deserialize;

use crate::package::ConformanceResource;

/// A CodeSystem: its concepts, possibly nested into a hierarchy.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSystem {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `complete`, `fragment`, `example`, `not-present` or `supplement`.
    pub content: String,
    #[serde(default)]
    pub case_sensitive: Option<bool>,
    #[serde(default)]
    pub hierarchy_meaning: Option<String>,
    #[serde(default)]
    pub concept: Vec<CodeSystemConcept>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CodeSystemConcept {
    pub code: String,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub property: Vec<ConceptProperty>,
    /// Child concepts: in R4, nesting means `is-a` unless `hierarchyMeaning` says otherwise.
    #[serde(default)]
    pub concept: Vec<CodeSystemConcept>,
}

/// A concept property; only code and string values are kept (what hierarchy
/// and status properties use).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConceptProperty {
    pub code: String,
    #[serde(default)]
    pub value_code: Option<String>,
    #[serde(default)]
    pub value_string: Option<String>,
    #[serde(default)]
    pub value_boolean: Option<bool>,
}

impl CodeSystemConcept {
    fn property(&self, code: &str) -> Option<&ConceptProperty> {
        self.property.iter().find(|p| p.code == code)
    }

    /// `notSelectable` (R4 `abstract`): the concept groups others and is not
    /// itself to be used in data.
    pub fn is_abstract(&self) -> bool {
        self.property("notSelectable")
            .or_else(|| self.property("abstract"))
            .and_then(|p| p.value_boolean)
            .unwrap_or(false)
    }

    /// Whether the concept is retired (`status` = `retired` or `inactive` = true).
    pub fn is_inactive(&self) -> bool {
        let retired = self
            .property("status")
            .and_then(|p| p.value_code.as_deref())
            .is_some_and(|s| s == "retired");
        let inactive = self
            .property("inactive")
            .and_then(|p| p.value_boolean)
            .unwrap_or(false);
        retired || inactive
    }

    /// The parents this concept names through `parent` / `subsumedBy` properties
    /// (the other way than nesting to express a hierarchy).
    pub fn declared_parents(&self) -> impl Iterator<Item = &str> {
        self.property
            .iter()
            .filter(|p| p.code == "parent" || p.code == "subsumedBy")
            .filter_map(|p| p.value_code.as_deref())
    }
}

impl ConformanceResource for CodeSystem {
    const RESOURCE_TYPE: &'static str = "CodeSystem";

    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}
