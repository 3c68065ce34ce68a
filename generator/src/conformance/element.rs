//! ElementDefinition: one node of a snapshot or differential.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// One element of a StructureDefinition. Deserialised by hand because
/// `fixed[x]` and `pattern[x]` may have any of FHIR's types (`fixedUri`,
/// `patternCodeableConcept`...), and because the many properties the toolchain
/// does not use (`mapping`, `example`...) are skipped rather than kept.
#[derive(Debug, Clone, Default)]
pub struct ElementDefinition {
    pub id: Option<String>,
    pub path: String,
    pub slice_name: Option<String>,
    pub slice_is_constraining: Option<bool>,
    pub slicing: Option<Slicing>,
    pub short: Option<String>,
    pub definition: Option<String>,
    pub comment: Option<String>,
    pub min: Option<u32>,
    /// As written: `*` or a whole number; see [`Self::max`].
    pub max_text: Option<String>,
    pub base: Option<Base>,
    pub content_reference: Option<String>,
    pub types: Vec<TypeRef>,
    /// `fixed[x]`: the type suffix (`Uri`, `CodeableConcept`) and the value,
    /// as its exact JSON text (a decimal `1.50` stays `1.50`).
    pub fixed: Option<(String, Box<RawValue>)>,
    /// `pattern[x]`: the type suffix and the value, as exact JSON text.
    pub pattern: Option<(String, Box<RawValue>)>,
    pub max_length: Option<i64>,
    pub condition: Vec<String>,
    pub constraint: Vec<Constraint>,
    pub must_support: Option<bool>,
    pub is_modifier: Option<bool>,
    pub is_modifier_reason: Option<String>,
    pub is_summary: Option<bool>,
    pub binding: Option<Binding>,
}

/// The upper bound of a cardinality: the shared rules crate's.
pub use fhirgen_rules::Max;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Slicing {
    #[serde(default)]
    pub discriminator: Vec<Discriminator>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub ordered: Option<bool>,
    /// `closed`, `open` or `openAtEnd`.
    pub rules: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Discriminator {
    /// `value`, `exists`, `pattern`, `type` or `profile`.
    #[serde(rename = "type")]
    pub type_: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Base {
    pub path: String,
    pub min: u32,
    pub max: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeRef {
    /// The type's code; absent in a few R4 core extension definitions, whose
    /// `id` and `url` elements carry their type only as `_code` extensions
    /// (see [`Self::json_type`]).
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, rename = "_code")]
    code_extensions: Option<PrimitiveExtensions>,
    #[serde(default)]
    extension: Vec<StringExtension>,
    #[serde(default)]
    pub profile: Vec<String>,
    #[serde(default)]
    pub target_profile: Vec<String>,
    #[serde(default)]
    pub aggregation: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct PrimitiveExtensions {
    #[serde(default)]
    extension: Vec<StringExtension>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StringExtension {
    url: String,
    #[serde(default)]
    value_string: Option<String>,
    #[serde(default)]
    value_url: Option<String>,
}

/// The `url` an extension slice's items have, for a discriminator on
/// `url` (`discriminator_path`) of the slice at `slice_path` of `types`: its
/// type's profile, without any `|version`. A snapshot often has no `url`
/// element below such a slice; FHIR takes the URL from its profile.
pub fn extension_slice_url(
    slice_path: &str,
    types: &[TypeRef],
    discriminator_path: &str,
) -> Option<String> {
    if discriminator_path != "url" || !slice_path.ends_with("xtension") {
        return None;
    }
    let profile = types.first()?.profile.first()?;
    Some(fhirgen_runtime::canonical_url(profile).to_owned())
}

impl TypeRef {
    /// The FHIR type the `structuredefinition-fhir-type` extension names, on
    /// the FHIRPath `System.*` types of ids and urls (`string`, `uri`, `id`).
    pub fn fhir_type(&self) -> Option<&str> {
        self.extension
            .iter()
            .find(|e| {
                e.url == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
            })
            .and_then(|e| e.value_url.as_deref())
    }

    /// The JSON type the `structuredefinition-json-type` extension on the code
    /// gives (`string` for the `id` of an element), where there is one.
    pub fn json_type(&self) -> Option<&str> {
        self.code_extensions
            .iter()
            .flat_map(|e| &e.extension)
            .find(|e| {
                e.url == "http://hl7.org/fhir/StructureDefinition/structuredefinition-json-type"
            })
            .and_then(|e| e.value_string.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Constraint {
    pub key: String,
    #[serde(default)]
    pub severity: Option<String>,
    /// The `elementdefinition-bestpractice` extension (among others).
    #[serde(default)]
    pub extension: Vec<BooleanExtension>,
    #[serde(default)]
    pub human: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// An extension read for its `valueBoolean` only.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BooleanExtension {
    pub url: String,
    #[serde(default)]
    pub value_boolean: Option<bool>,
}

impl Constraint {
    /// A best-practice constraint (`elementdefinition-bestpractice`): a
    /// recommendation, reported as a warning whatever its severity.
    pub fn best_practice(&self) -> bool {
        self.extension.iter().any(|e| {
            e.url == "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice"
                && e.value_boolean == Some(true)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// `required`, `extensible`, `preferred` or `example`.
    pub strength: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub value_set: Option<String>,
}

impl ElementDefinition {
    /// The element's id, or its path when it has none (older differentials).
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.path)
    }

    pub fn max(&self) -> Option<Max> {
        self.max_text.as_deref().and_then(Max::parse)
    }

    pub fn must_support(&self) -> bool {
        self.must_support.unwrap_or(false)
    }

    pub fn is_modifier(&self) -> bool {
        self.is_modifier.unwrap_or(false)
    }

    /// Checks what serde cannot: the cardinality is well formed.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(text) = &self.max_text {
            let max = Max::parse(text)
                .ok_or_else(|| format!("max `{text}` is neither `*` nor a whole number"))?;
            if let (Some(min), Max::Count(max)) = (self.min, max)
                && min > max
            {
                return Err(format!("min {min} is greater than max {max}"));
            }
        }
        if let Some(slicing) = &self.slicing
            && !matches!(slicing.rules.as_str(), "closed" | "open" | "openAtEnd")
        {
            return Err(format!(
                "slicing rules `{}` is not closed, open or openAtEnd",
                slicing.rules
            ));
        }
        Ok(())
    }
}

/// `fixedUri` -> `Uri` when `key` is a `prefix[x]` property.
fn choice_suffix<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    key.strip_prefix(prefix)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

impl<'de> Deserialize<'de> for ElementDefinition {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = ElementDefinition;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ElementDefinition object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ElementDefinition, A::Error> {
        let mut e = ElementDefinition::default();
        let mut path = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => e.id = map.next_value()?,
                "path" => path = Some(map.next_value::<String>()?),
                "sliceName" => e.slice_name = map.next_value()?,
                "sliceIsConstraining" => e.slice_is_constraining = map.next_value()?,
                "slicing" => e.slicing = map.next_value()?,
                "short" => e.short = map.next_value()?,
                "definition" => e.definition = map.next_value()?,
                "comment" => e.comment = map.next_value()?,
                "min" => e.min = map.next_value()?,
                "max" => e.max_text = map.next_value()?,
                "base" => e.base = map.next_value()?,
                "contentReference" => e.content_reference = map.next_value()?,
                "type" => e.types = map.next_value()?,
                "maxLength" => e.max_length = map.next_value()?,
                "condition" => e.condition = map.next_value()?,
                "constraint" => e.constraint = map.next_value()?,
                "mustSupport" => e.must_support = map.next_value()?,
                "isModifier" => e.is_modifier = map.next_value()?,
                "isModifierReason" => e.is_modifier_reason = map.next_value()?,
                "isSummary" => e.is_summary = map.next_value()?,
                "binding" => e.binding = map.next_value()?,
                other => {
                    if let Some(suffix) = choice_suffix(other, "fixed") {
                        if e.fixed.is_some() {
                            return Err(de::Error::custom("more than one fixed[x] value"));
                        }
                        e.fixed = Some((suffix.to_owned(), map.next_value()?));
                    } else if let Some(suffix) = choice_suffix(other, "pattern") {
                        if e.pattern.is_some() {
                            return Err(de::Error::custom("more than one pattern[x] value"));
                        }
                        e.pattern = Some((suffix.to_owned(), map.next_value()?));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        e.path = path.ok_or_else(|| de::Error::missing_field("path"))?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_choice_values_of_any_type() {
        let element: ElementDefinition = serde_json::from_str(
            r#"{"id":"Observation.code","path":"Observation.code","min":1,"max":"1",
                "patternCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
                "mapping":[{"identity":"rim","map":"code"}]}"#,
        )
        .unwrap();
        let (suffix, value) = element.pattern.clone().unwrap();
        assert_eq!(suffix, "CodeableConcept");
        assert!(value.get().contains(r#""code":"85354-9""#));
        assert_eq!(element.max(), Some(Max::Count(1)));
    }

    #[test]
    fn keeps_the_exact_text_of_fixed_decimals() {
        let element: ElementDefinition = serde_json::from_str(
            r#"{"path":"Observation.valueQuantity","fixedQuantity":{"value":1.50,"unit":"mg"}}"#,
        )
        .unwrap();
        assert_eq!(
            element.fixed.unwrap().1.get(),
            r#"{"value":1.50,"unit":"mg"}"#
        );
    }

    #[test]
    fn rejects_bad_cardinality() {
        let element: ElementDefinition =
            serde_json::from_str(r#"{"path":"Patient.name","min":2,"max":"1"}"#).unwrap();
        assert_eq!(element.check().unwrap_err(), "min 2 is greater than max 1");
        let element: ElementDefinition =
            serde_json::from_str(r#"{"path":"Patient.name","min":0,"max":"many"}"#).unwrap();
        assert!(element.check().unwrap_err().contains("`many`"));
    }
}
