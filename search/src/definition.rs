//! Search parameters as an IG defines them: each SearchParameter's code,
//! type, FHIRPath expression and what it allows, gathered per resource
//! type in a [`Registry`] (an IG's own parameters over its dependencies').

use std::collections::BTreeMap;
use std::fmt;

/// `SearchParameter.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamType {
    Number,
    Date,
    String,
    Token,
    Reference,
    Composite,
    Quantity,
    Uri,
    Special,
}

impl ParamType {
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "number" => Self::Number,
            "date" => Self::Date,
            "string" => Self::String,
            "token" => Self::Token,
            "reference" => Self::Reference,
            "composite" => Self::Composite,
            "quantity" => Self::Quantity,
            "uri" => Self::Uri,
            "special" => Self::Special,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Date => "date",
            Self::String => "string",
            Self::Token => "token",
            Self::Reference => "reference",
            Self::Composite => "composite",
            Self::Quantity => "quantity",
            Self::Uri => "uri",
            Self::Special => "special",
        }
    }

    /// Whether values take a prefix (`ge2020`, `lt5.4`).
    pub fn has_prefix(self) -> bool {
        matches!(self, Self::Number | Self::Date | Self::Quantity)
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One part of a composite parameter: the parameter that types it and the
/// expression, relative to the composite's, that gives its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// The canonical URL of the component's own SearchParameter.
    pub definition: String,
    pub expression: String,
}

/// A SearchParameter, as far as searching needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchParameter {
    pub url: String,
    /// The name in a query (`patient`, `clinical-status`, `_id`).
    pub code: String,
    /// The resource types it applies to (`Resource` for all).
    pub base: Vec<String>,
    pub kind: ParamType,
    /// FHIRPath giving the values searched; `None` for some `special` ones.
    pub expression: Option<String>,
    /// For a reference parameter, the resource types it may point to.
    pub targets: Vec<String>,
    /// For a composite parameter, its parts in order.
    pub components: Vec<Component>,
    /// `SearchParameter.chain`: the parameters of the target a chain may name
    /// (empty: any).
    pub chains: Vec<String>,
    /// The definition's description, for documentation.
    pub description: String,
}

impl SearchParameter {
    /// The expression restricted to one resource type: a parameter shared by
    /// many types (`clinical-date`) unions one branch per type, and the
    /// branches of other types are dropped (`Observation.effective`).
    pub fn expression_for(&self, resource_type: &str) -> Option<String> {
        let expression = self.expression.as_deref()?;
        let branches = split_top_level(expression, '|');
        if branches.len() < 2 {
            return Some(expression.trim().to_owned());
        }
        let kept: Vec<&str> = branches
            .into_iter()
            .map(str::trim)
            .filter(|branch| match leading_type(branch) {
                Some(t) => t == resource_type || !self.base.iter().any(|b| b == t),
                None => true,
            })
            .collect();
        (!kept.is_empty()).then(|| kept.join(" | "))
    }
}

/// The leading identifier of an expression branch (`Observation` in
/// `(Observation.value as Quantity)`), when it starts with a capital.
fn leading_type(branch: &str) -> Option<&str> {
    let branch = branch.trim_start_matches(['(', ' ']);
    let end = branch
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(branch.len());
    let name = &branch[..end];
    name.starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(name)
}

/// `text` split at `separator` where it is outside brackets and quotes.
pub(crate) fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, c) if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A [`SearchParameter`] as a generated crate embeds it: every part static.
#[derive(Clone, Copy, Debug)]
pub struct StaticParameter {
    pub url: &'static str,
    pub code: &'static str,
    pub base: &'static [&'static str],
    pub kind: ParamType,
    pub expression: Option<&'static str>,
    pub targets: &'static [&'static str],
    /// `(definition, expression)` of each component.
    pub components: &'static [(&'static str, &'static str)],
}

impl StaticParameter {
    pub fn to_parameter(&self) -> SearchParameter {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        SearchParameter {
            url: self.url.to_owned(),
            code: self.code.to_owned(),
            base: strings(self.base),
            kind: self.kind,
            expression: self.expression.map(str::to_owned),
            targets: strings(self.targets),
            components: self
                .components
                .iter()
                .map(|(definition, expression)| Component {
                    definition: (*definition).to_owned(),
                    expression: (*expression).to_owned(),
                })
                .collect(),
            chains: Vec::new(),
            description: String::new(),
        }
    }
}

/// What a generated crate's typed search for one resource type offers: each
/// parameter's code and the method that sets it, each combination's
/// constructor and codes, the `_include` and `_revinclude` values.
#[derive(Clone, Copy, Debug)]
pub struct SearchIndex {
    pub resource_type: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
    pub combinations: &'static [(&'static str, &'static [&'static str])],
    pub includes: &'static [&'static str],
    pub revincludes: &'static [&'static str],
}

/// The parameters that apply to every resource type: `Resource`'s own
/// (`_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source`) and
/// `DomainResource`'s (`_text`).
const UNIVERSAL_BASES: [&str; 2] = ["Resource", "DomainResource"];

/// Every search parameter of a package set, by resource type and code.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    parameters: Vec<SearchParameter>,
    /// Resource type (or `Resource`) -> code -> index in `parameters`.
    by_code: BTreeMap<String, BTreeMap<String, usize>>,
    by_url: BTreeMap<String, usize>,
    resource_types: Vec<String>,
}

impl Registry {
    /// An empty registry for these resource types (the core package's).
    pub fn new(resource_types: impl IntoIterator<Item = String>) -> Self {
        let mut resource_types: Vec<String> = resource_types.into_iter().collect();
        resource_types.sort();
        resource_types.dedup();
        Self {
            resource_types,
            ..Self::default()
        }
    }

    /// The registry of a generated crate's embedded parameters.
    pub fn from_static(resource_types: &[&str], parameters: &[StaticParameter]) -> Self {
        let mut registry = Registry::new(resource_types.iter().map(|t| (*t).to_owned()));
        for parameter in parameters {
            registry.add(parameter.to_parameter());
        }
        registry
    }

    /// Adds a parameter; a later one with the same code on the same base
    /// replaces the earlier for that base (add a dependency's parameters
    /// first, the IG's last: US Core's `code` on Observation replaces R4's).
    pub fn add(&mut self, parameter: SearchParameter) {
        let index = self.parameters.len();
        for base in &parameter.base {
            self.by_code
                .entry(base.clone())
                .or_default()
                .insert(parameter.code.clone(), index);
        }
        self.by_url.insert(parameter.url.clone(), index);
        self.parameters.push(parameter);
    }

    /// The parameter `code` searches on `resource_type`, its own or one every
    /// resource has.
    pub fn get(&self, resource_type: &str, code: &str) -> Option<&SearchParameter> {
        std::iter::once(resource_type)
            .chain(UNIVERSAL_BASES)
            .find_map(|base| self.by_code.get(base)?.get(code))
            .map(|&i| &self.parameters[i])
    }

    /// The parameter with this canonical URL.
    pub fn by_url(&self, url: &str) -> Option<&SearchParameter> {
        self.by_url.get(url).map(|&i| &self.parameters[i])
    }

    /// Whether `name` is a resource type of the package set.
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.resource_types
            .binary_search_by(|t| t.as_str().cmp(name))
            .is_ok()
    }

    pub fn resource_types(&self) -> &[String] {
        &self.resource_types
    }
}

/// A CompartmentDefinition: for each resource type, the parameters that
/// link a resource to the compartment's owner (`Observation`: `subject`,
/// `performer` for the Patient compartment). A type it does not list is
/// not in the compartment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compartment {
    /// `Patient`, `Encounter`, `Practitioner`...
    pub code: String,
    pub members: BTreeMap<String, Vec<String>>,
}

impl Compartment {
    /// The parameters linking `resource_type` to the owner; `None` when the
    /// type is not in the compartment. `{def}` stands for the owner itself.
    pub fn parameters(&self, resource_type: &str) -> Option<&[String]> {
        self.members
            .get(resource_type)
            .map(Vec::as_slice)
            .filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(expression: &str, base: &[&str]) -> SearchParameter {
        SearchParameter {
            url: "http://example.org/sp".into(),
            code: "date".into(),
            base: base.iter().map(|b| b.to_string()).collect(),
            kind: ParamType::Date,
            expression: Some(expression.into()),
            targets: vec![],
            components: vec![],
            chains: vec![],
            description: String::new(),
        }
    }

    #[test]
    fn a_shared_expression_keeps_the_branches_of_one_type() {
        let p = parameter(
            "AllergyIntolerance.recordedDate | (RiskAssessment.occurrence as dateTime) | Observation.effective",
            &["AllergyIntolerance", "RiskAssessment", "Observation"],
        );
        assert_eq!(
            p.expression_for("Observation").unwrap(),
            "Observation.effective"
        );
        assert_eq!(
            p.expression_for("RiskAssessment").unwrap(),
            "(RiskAssessment.occurrence as dateTime)"
        );
        let p = parameter("Patient.name.where(use = 'a|b')", &["Patient"]);
        assert_eq!(
            p.expression_for("Patient").unwrap(),
            "Patient.name.where(use = 'a|b')"
        );
    }
}
