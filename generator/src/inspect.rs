//! What a profile demands, element by element: the data behind
//! `fhirgen inspect`, in its stable JSON form and as a table for people.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::conformance::{ElementDefinition, StructureDefinition};
use crate::error::{Error, Result};
use crate::package::{PackageSet, ResourceRef};
use crate::terminology::{Expander, Expansion};

/// A profile's snapshot as the `inspect --json` interface gives it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub url: String,
    pub version: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub base_definition: Option<String>,
    pub elements: Vec<ElementView>,
    #[serde(skip)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementView {
    pub id: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slice_name: Option<String>,
    pub min: u32,
    pub max: String,
    pub must_support: bool,
    pub is_modifier: bool,
    pub types: Vec<TypeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<BindingView>,
    /// Exact JSON text of `fixed[x]`, so decimals keep their digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slicing: Option<SlicingView>,
    /// Where an element without types takes its definition from (text form only).
    #[serde(skip)]
    pub content_reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeView {
    /// `null` only for the few R4 elements whose type has no code.
    pub code: Option<String>,
    pub profiles: Vec<String>,
    pub target_profiles: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingView {
    pub strength: String,
    pub value_set: Option<String>,
    /// `enumerated` or `not-expandable`.
    pub expansion: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<CodeView>>,
    /// Why the value set is not expandable (text form only).
    #[serde(skip)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeView {
    pub system: String,
    pub code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlicingView {
    pub discriminators: Vec<DiscriminatorView>,
    pub rules: String,
    pub ordered: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscriminatorView {
    #[serde(rename = "type")]
    pub type_: String,
    pub path: String,
}

/// Finds a profile by id, name or canonical URL (`url|version` too): in the
/// root package first, then in its dependencies.
pub fn find_profile(set: &PackageSet, wanted: &str) -> Result<ResourceRef> {
    if let Some(found) = set.resolve(wanted)
        && set.entry(found).resource_type == "StructureDefinition"
    {
        return Ok(found);
    }
    let definitions: Vec<ResourceRef> = set.resources_of_type("StructureDefinition").collect();
    if let Some(&found) = definitions
        .iter()
        .find(|&&r| set.entry(r).id.as_deref() == Some(wanted))
    {
        return Ok(found);
    }
    for &r in &definitions {
        // Names are not in `.index.json`: parse, but only the root's and
        // dependencies' definitions in order, stopping at the first match.
        let definition = set.parse::<StructureDefinition>(r)?;
        if definition.name == wanted {
            return Ok(r);
        }
    }
    Err(set.not_found("profile", wanted))
}

impl ProfileView {
    /// Builds the view of the StructureDefinition `profile`, expanding each
    /// binding's value set.
    pub fn build(set: &PackageSet, expander: &Expander<'_>, profile: ResourceRef) -> Result<Self> {
        let definition = set.parse::<StructureDefinition>(profile)?;
        let package = set.package_of(profile);
        let file = format!("package/{}", set.entry(profile).filename);
        let elements = definition
            .snapshot_elements()
            .ok_or_else(|| Error::NoSnapshot {
                package: package.id().clone(),
                file: file.clone(),
                profile: definition
                    .id
                    .clone()
                    .unwrap_or_else(|| definition.url.clone()),
            })?;
        let elements = elements
            .iter()
            .map(|element| ElementView::build(element, expander))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            url: definition.url.clone(),
            version: definition.version.clone(),
            name: definition.name.clone(),
            type_: definition.type_.clone(),
            base_definition: definition.base_definition.clone(),
            title: definition.title.clone(),
            elements,
        })
    }

    /// The element table for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let title = self.title.as_deref().unwrap_or(&self.name);
        let version = self
            .version
            .as_deref()
            .map(|v| format!("|{v}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{title} ({})", self.name);
        let _ = writeln!(out, "  url:  {}{version}", self.url);
        let _ = writeln!(out, "  type: {}", self.type_);
        if let Some(base) = &self.base_definition {
            let _ = writeln!(out, "  base: {base}");
        }
        let _ = writeln!(out);
        let header = [
            "element",
            "card.",
            "type",
            "MS",
            "binding",
            "fixed / pattern",
            "slicing",
        ];
        let rows: Vec<[String; 7]> = self.elements.iter().map(ElementView::cells).collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut line = |cells: &[&str]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    text.push_str(cell);
                } else {
                    let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        };
        line(&header);
        for row in &rows {
            line(&row.each_ref().map(String::as_str));
        }
        let unexpandable: Vec<(&str, &str)> = self
            .elements
            .iter()
            .filter_map(|e| {
                let binding = e.binding.as_ref()?;
                Some((binding.value_set.as_deref()?, binding.reason.as_deref()?))
            })
            .collect();
        if !unexpandable.is_empty() {
            let _ = writeln!(out, "\nvalue sets that cannot be enumerated offline:");
            let mut seen = std::collections::BTreeMap::new();
            for (value_set, reason) in unexpandable {
                seen.entry(value_set).or_insert(reason);
            }
            for (value_set, reason) in seen {
                let _ = writeln!(out, "  {value_set}: {reason}");
            }
        }
        out
    }
}

impl ElementView {
    fn build(element: &ElementDefinition, expander: &Expander<'_>) -> Result<Self> {
        let binding = match &element.binding {
            None => None,
            Some(binding) => {
                let expansion = match &binding.value_set {
                    Some(value_set) => expander.expand_binding(value_set)?,
                    None => Expansion::NotExpandable("the binding names no value set".to_owned()),
                };
                Some(match expansion {
                    Expansion::Enumerated(codes) => BindingView {
                        strength: binding.strength.clone(),
                        value_set: binding.value_set.clone(),
                        expansion: "enumerated",
                        codes: Some(
                            codes
                                .into_iter()
                                .map(|c| CodeView {
                                    system: c.system,
                                    code: c.code,
                                })
                                .collect(),
                        ),
                        reason: None,
                    },
                    Expansion::NotExpandable(reason) => BindingView {
                        strength: binding.strength.clone(),
                        value_set: binding.value_set.clone(),
                        expansion: "not-expandable",
                        codes: None,
                        reason: Some(reason),
                    },
                })
            }
        };
        Ok(Self {
            id: element.key().to_owned(),
            path: element.path.clone(),
            slice_name: element.slice_name.clone(),
            min: element.min.unwrap_or(0),
            max: element.max_text.clone().unwrap_or_else(|| "*".to_owned()),
            must_support: element.must_support(),
            is_modifier: element.is_modifier(),
            types: element
                .types
                .iter()
                .map(|t| TypeView {
                    code: t.code.clone(),
                    profiles: t.profile.clone(),
                    target_profiles: t.target_profile.clone(),
                })
                .collect(),
            binding,
            fixed: element.fixed.as_ref().map(|(_, value)| value.clone()),
            pattern: element.pattern.as_ref().map(|(_, value)| value.clone()),
            slicing: element.slicing.as_ref().map(|s| SlicingView {
                discriminators: s
                    .discriminator
                    .iter()
                    .map(|d| DiscriminatorView {
                        type_: d.type_.clone(),
                        path: d.path.clone(),
                    })
                    .collect(),
                rules: s.rules.clone(),
                ordered: s.ordered.unwrap_or(false),
            }),
            content_reference: element.content_reference.clone(),
        })
    }

    fn cells(&self) -> [String; 7] {
        let types = self
            .types
            .iter()
            .map(|t| {
                let named: Vec<&str> = t
                    .profiles
                    .iter()
                    .chain(&t.target_profiles)
                    .map(|url| last_segment(url))
                    .collect();
                let code = t.code.as_deref().map(last_segment).unwrap_or("(no code)");
                if named.is_empty() {
                    code.to_owned()
                } else {
                    format!("{code}({})", named.join(" | "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let types = match &self.content_reference {
            Some(reference) if types.is_empty() => format!("see {reference}"),
            _ => types,
        };
        let binding = self
            .binding
            .as_ref()
            .map(|b| {
                let value_set = b.value_set.as_deref().map(last_segment).unwrap_or("(none)");
                let extent = match &b.codes {
                    Some(codes) => format!("{} codes", codes.len()),
                    None => "not expandable".to_owned(),
                };
                format!("{} {value_set} ({extent})", b.strength)
            })
            .unwrap_or_default();
        let fixed = match (&self.fixed, &self.pattern) {
            (Some(value), _) => format!("= {}", summarise(value)),
            (None, Some(value)) => format!("~ {}", summarise(value)),
            (None, None) => String::new(),
        };
        let slicing = self
            .slicing
            .as_ref()
            .map(|s| {
                let by: Vec<String> = s
                    .discriminators
                    .iter()
                    .map(|d| format!("{}:{}", d.type_, d.path))
                    .collect();
                let ordered = if s.ordered { ", ordered" } else { "" };
                format!("by {} ({}{ordered})", by.join(", "), s.rules)
            })
            .unwrap_or_default();
        [
            self.id.clone(),
            format!("{}..{}", self.min, self.max),
            types,
            if self.must_support { "MS" } else { "" }.to_owned(),
            binding,
            fixed,
            slicing,
        ]
    }
}

/// `http://hl7.org/fhir/StructureDefinition/us-core-patient` -> `us-core-patient`.
fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// A fixed or pattern value in a few words: codings as `system|code`.
fn summarise(raw: &RawValue) -> String {
    let Ok(value) = serde_json::from_str::<Value>(raw.get()) else {
        return raw.get().to_owned();
    };
    let value = &value;
    let coding = |c: &Value| match (
        c.get("system").and_then(Value::as_str),
        c.get("code").and_then(Value::as_str),
    ) {
        (Some(system), Some(code)) => Some(format!("{system}|{code}")),
        (None, Some(code)) => Some(code.to_owned()),
        _ => None,
    };
    if let Some(codings) = value.get("coding").and_then(Value::as_array) {
        let all: Option<Vec<String>> = codings.iter().map(coding).collect();
        if let Some(all) = all {
            return all.join(", ");
        }
    }
    if let Some(text) = coding(value) {
        return text;
    }
    let text = match value {
        Value::String(s) => s.clone(),
        _ => raw.get().to_owned(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}
