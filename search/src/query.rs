//! A search as a query string says it (`Observation?patient=Patient/1&date=ge2020`),
//! read against the parameters a [`Registry`] defines and written back.
//!
//! [`Search::parse`] is the server's side: every parameter, modifier and
//! value is checked against the parameter's definition, and what is wrong
//! is a [`SearchError`] naming the parameter, with the OperationOutcome to
//! answer. [`Search`]'s `Display` is the client's: the query string, URL
//! encoded, that parses back to the same search.

use std::fmt;

use fhirgen_fhirpath::write_json_string;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::definition::{ParamType, Registry, SearchParameter};
use crate::value::{SearchValue, ValueKind, split_escaped};

/// A modifier on a parameter name (`code:not`, `subject:Patient`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    Missing,
    Exact,
    Contains,
    Text,
    Not,
    Above,
    Below,
    In,
    NotIn,
    OfType,
    Identifier,
    /// A reference's target type (`subject:Patient`).
    Type(String),
}

impl Modifier {
    pub fn code(&self) -> &str {
        match self {
            Modifier::Missing => "missing",
            Modifier::Exact => "exact",
            Modifier::Contains => "contains",
            Modifier::Text => "text",
            Modifier::Not => "not",
            Modifier::Above => "above",
            Modifier::Below => "below",
            Modifier::In => "in",
            Modifier::NotIn => "not-in",
            Modifier::OfType => "of-type",
            Modifier::Identifier => "identifier",
            Modifier::Type(t) => t,
        }
    }

    /// The modifiers FHIR R4 allows on a type of parameter (besides a
    /// reference's target type).
    pub fn allowed(kind: ParamType) -> &'static [&'static str] {
        match kind {
            ParamType::String => &["missing", "exact", "contains"],
            ParamType::Token => &[
                "missing", "text", "not", "above", "below", "in", "not-in", "of-type",
            ],
            ParamType::Reference => &["missing", "identifier", "above", "below"],
            ParamType::Uri => &["missing", "above", "below"],
            ParamType::Number | ParamType::Date | ParamType::Quantity | ParamType::Composite => {
                &["missing"]
            }
            ParamType::Special => &[],
        }
    }

    fn parse(text: &str) -> Option<Modifier> {
        Some(match text {
            "missing" => Modifier::Missing,
            "exact" => Modifier::Exact,
            "contains" => Modifier::Contains,
            "text" => Modifier::Text,
            "not" => Modifier::Not,
            "above" => Modifier::Above,
            "below" => Modifier::Below,
            "in" => Modifier::In,
            "not-in" => Modifier::NotIn,
            "of-type" => Modifier::OfType,
            "identifier" => Modifier::Identifier,
            _ => return None,
        })
    }
}

/// A step of a chain: a reference parameter and the type it is followed
/// to (`subject:Patient` in `subject:Patient.name=peter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub code: String,
    pub target: Option<String>,
}

/// One parameter of a search with its values: a resource matches when one
/// of the values matches (OR); the criteria of a search all must (AND).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    /// The references followed before `code` (empty unless chained).
    pub chain: Vec<Link>,
    pub code: String,
    pub modifier: Option<Modifier>,
    pub values: Vec<SearchValue>,
}

impl Criterion {
    /// `code=value` with one value.
    pub fn new(code: impl Into<String>, value: SearchValue) -> Self {
        Criterion {
            chain: Vec::new(),
            code: code.into(),
            modifier: None,
            values: vec![value],
        }
    }

    /// The parameter name as the query writes it (`subject:Patient.name:exact`).
    pub fn name(&self) -> String {
        let mut name = String::new();
        for link in &self.chain {
            name.push_str(&link.code);
            if let Some(target) = &link.target {
                name.push(':');
                name.push_str(target);
            }
            name.push('.');
        }
        name.push_str(&self.code);
        if let Some(modifier) = &self.modifier {
            name.push(':');
            name.push_str(modifier.code());
        }
        name
    }
}

/// `_include` / `_revinclude`: `Source:param[:Target]`, `*`, `:iterate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub source: String,
    pub code: String,
    pub target: Option<String>,
    pub iterate: bool,
}

impl fmt::Display for Include {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == "*" && self.source == "*" {
            return f.write_str("*");
        }
        write!(f, "{}:{}", self.source, self.code)?;
        if let Some(target) = &self.target {
            write!(f, ":{target}")?;
        }
        Ok(())
    }
}

/// A `_sort` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    pub code: String,
    pub descending: bool,
}

/// The parameters that shape the result rather than select resources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultParameters {
    pub count: Option<u32>,
    pub sort: Vec<Sort>,
    pub include: Vec<Include>,
    pub revinclude: Vec<Include>,
    /// `_summary`: `true`, `text`, `data`, `count`, `false`.
    pub summary: Option<String>,
    pub elements: Vec<String>,
    /// `_total`: `none`, `estimate`, `accurate`.
    pub total: Option<String>,
    /// `_contained` and `_containedType`, as written.
    pub contained: Option<String>,
    pub contained_type: Option<String>,
}

/// A search on one resource type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub resource_type: String,
    pub criteria: Vec<Criterion>,
    pub results: ResultParameters,
    /// Parameters a lenient parse passed over (unknown or unsupported).
    pub ignored: Vec<String>,
}

/// How [`Search::parse`] treats parameters it does not know: FHIR's
/// `Prefer: handling=strict|lenient`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Handling {
    #[default]
    Strict,
    /// Unknown and unsupported parameters are passed over (and listed in
    /// [`Search::ignored`]); bad values are still errors.
    Lenient,
}

/// OperationOutcome issue types a search error has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueType {
    /// A parameter, modifier or feature the server does not support.
    NotSupported,
    /// A value that is not what the parameter takes.
    Value,
    /// Not a search at all.
    Invalid,
}

impl IssueType {
    pub fn code(self) -> &'static str {
        match self {
            IssueType::NotSupported => "not-supported",
            IssueType::Value => "value",
            IssueType::Invalid => "invalid",
        }
    }
}

/// Why a query is refused, naming the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchError {
    /// The parameter as written (`code:foo`), when one is at fault.
    pub parameter: Option<String>,
    pub issue: IssueType,
    pub message: String,
}

impl SearchError {
    fn new(parameter: Option<&str>, issue: IssueType, message: impl Into<String>) -> Self {
        SearchError {
            parameter: parameter.map(str::to_owned),
            issue,
            message: message.into(),
        }
    }

    /// The OperationOutcome a server answers with (HTTP 400), as FHIR JSON.
    pub fn operation_outcome(&self) -> String {
        let mut out = String::from(
            r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":""#,
        );
        out.push_str(self.issue.code());
        out.push_str(r#"","diagnostics":"#);
        write_json_string(&self.to_string(), &mut out);
        if let Some(parameter) = &self.parameter {
            out.push_str(r#","location":["#);
            write_json_string(parameter, &mut out);
            out.push(']');
        }
        out.push_str("}]}");
        out
    }
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.parameter {
            Some(p) => write!(f, "search parameter `{p}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SearchError {}

/// Parameters FHIR defines for every search that shape results.
const RESULT_PARAMETERS: [&str; 9] = [
    "_count",
    "_sort",
    "_include",
    "_revinclude",
    "_summary",
    "_elements",
    "_total",
    "_contained",
    "_containedType",
];

/// Parameters about the response format, not the search.
const FORMAT_PARAMETERS: [&str; 2] = ["_format", "_pretty"];

/// The most criteria, values and characters one query may have: a query
/// comes from the network.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
pub const MAX_VALUES: usize = 1000;

impl Search {
    /// A search on `resource_type` with no criteria.
    pub fn new(resource_type: impl Into<String>) -> Self {
        Search {
            resource_type: resource_type.into(),
            criteria: Vec::new(),
            results: ResultParameters::default(),
            ignored: Vec::new(),
        }
    }

    /// Adds a criterion (AND).
    pub fn and(mut self, criterion: Criterion) -> Self {
        self.criteria.push(criterion);
        self
    }

    /// Adds the criterion `code[:modifier]=values` (the values are
    /// alternatives), as a typed builder does.
    pub fn push(&mut self, code: &str, modifier: Option<Modifier>, values: Vec<SearchValue>) {
        self.criteria.push(Criterion {
            chain: Vec::new(),
            code: code.to_owned(),
            modifier,
            values,
        });
    }

    /// Adds `target`'s criteria as a chain through the reference parameter
    /// `code` (`subject:Patient.name=peter`); its result parameters are
    /// left out.
    pub fn chain(&mut self, code: &str, target: Search) {
        for mut criterion in target.criteria {
            criterion.chain.insert(
                0,
                Link {
                    code: code.to_owned(),
                    target: Some(target.resource_type.clone()),
                },
            );
            self.criteria.push(criterion);
        }
    }

    /// Reads a search on `resource_type`: `Type?query`, or the query alone.
    pub fn parse_for(
        registry: &Registry,
        resource_type: &str,
        text: &str,
        handling: Handling,
    ) -> Result<Search, SearchError> {
        if !text.contains('?') && !text.contains('=') && !text.is_empty() {
            // A resource type alone.
            let search = Search::parse(registry, text, handling)?;
            return Search::expect_type(search, resource_type);
        }
        match text.split_once('?') {
            Some(_) => Search::expect_type(Search::parse(registry, text, handling)?, resource_type),
            None => Search::parse_query(registry, resource_type, text, handling),
        }
    }

    fn expect_type(search: Search, resource_type: &str) -> Result<Search, SearchError> {
        if search.resource_type == resource_type {
            Ok(search)
        } else {
            Err(SearchError::new(
                None,
                IssueType::Invalid,
                format!("a search on {}, not {resource_type}", search.resource_type),
            ))
        }
    }

    /// Reads `Type?query` (or `Type`, `Type/_search?query`, a full URL)
    /// against the parameters of `registry`.
    pub fn parse(
        registry: &Registry,
        text: &str,
        handling: Handling,
    ) -> Result<Search, SearchError> {
        if text.len() > MAX_QUERY_BYTES {
            return Err(SearchError::new(
                None,
                IssueType::Invalid,
                format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        let (path, query) = text.split_once('?').unwrap_or((text, ""));
        let path = path.trim_end_matches('/').trim_end_matches("/_search");
        let resource_type = path.rsplit('/').next().unwrap_or(path);
        if !registry.is_resource_type(resource_type) {
            return Err(SearchError::new(
                None,
                IssueType::Invalid,
                format!(
                    "`{resource_type}` is not a resource type (a search is `Type?name=value&...`)"
                ),
            ));
        }
        Search::parse_query(registry, resource_type, query, handling)
    }

    /// Reads the query string (`name=value&...`) of a search on `resource_type`.
    pub fn parse_query(
        registry: &Registry,
        resource_type: &str,
        query: &str,
        handling: Handling,
    ) -> Result<Search, SearchError> {
        let mut search = Search::new(resource_type);
        let mut values = 0usize;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name =
                decode(name).map_err(|e| SearchError::new(Some(name), IssueType::Invalid, e))?;
            let value =
                decode(value).map_err(|e| SearchError::new(Some(&name), IssueType::Value, e))?;
            let base = name.split([':', '.']).next().unwrap_or("");
            if RESULT_PARAMETERS.contains(&base) {
                search.result_parameter(registry, &name, &value)?;
                continue;
            }
            if FORMAT_PARAMETERS.contains(&base) {
                continue;
            }
            match criterion(registry, resource_type, &name, &value) {
                Ok(criterion) => {
                    values += criterion.values.len();
                    if values > MAX_VALUES {
                        return Err(SearchError::new(
                            Some(&name),
                            IssueType::Invalid,
                            format!("the query has more than {MAX_VALUES} values"),
                        ));
                    }
                    search.criteria.push(criterion);
                }
                Err(e) if handling == Handling::Lenient && e.issue == IssueType::NotSupported => {
                    search.ignored.push(name);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(search)
    }

    fn result_parameter(
        &mut self,
        registry: &Registry,
        name: &str,
        value: &str,
    ) -> Result<(), SearchError> {
        let error = |message: String| SearchError::new(Some(name), IssueType::Value, message);
        let results = &mut self.results;
        match name {
            "_count" => {
                results.count = Some(
                    value
                        .parse()
                        .map_err(|_| error(format!("`{value}` is not a count")))?,
                );
            }
            "_sort" => {
                for key in value.split(',').filter(|k| !k.is_empty()) {
                    let (descending, code) = match key.strip_prefix('-') {
                        Some(code) => (true, code),
                        None => (false, key),
                    };
                    if registry.get(&self.resource_type, code).is_none() {
                        return Err(SearchError::new(
                            Some(name),
                            IssueType::NotSupported,
                            format!(
                                "`{code}` is not a search parameter of {}",
                                self.resource_type
                            ),
                        ));
                    }
                    results.sort.push(Sort {
                        code: code.to_owned(),
                        descending,
                    });
                }
            }
            "_include"
            | "_include:iterate"
            | "_revinclude"
            | "_revinclude:iterate"
            | "_include:recurse"
            | "_revinclude:recurse" => {
                let include = include(registry, &self.resource_type, name, value)?;
                if name.starts_with("_include") {
                    results.include.push(include);
                } else {
                    results.revinclude.push(include);
                }
            }
            "_summary" => match value {
                "true" | "text" | "data" | "count" | "false" => {
                    results.summary = Some(value.to_owned())
                }
                _ => return Err(error(format!("`{value}` is not a _summary mode"))),
            },
            "_total" => match value {
                "none" | "estimate" | "accurate" => results.total = Some(value.to_owned()),
                _ => return Err(error(format!("`{value}` is not a _total mode"))),
            },
            "_elements" => {
                results.elements.extend(
                    value
                        .split(',')
                        .filter(|e| !e.is_empty())
                        .map(str::to_owned),
                );
            }
            "_contained" => results.contained = Some(value.to_owned()),
            "_containedType" => results.contained_type = Some(value.to_owned()),
            _ => {
                return Err(SearchError::new(
                    Some(name),
                    IssueType::NotSupported,
                    "this modifier does not apply here",
                ));
            }
        }
        Ok(())
    }
}

/// `_include` / `_revinclude` values: `Source:param[:Target]` or `*`.
fn include(
    registry: &Registry,
    resource_type: &str,
    name: &str,
    value: &str,
) -> Result<Include, SearchError> {
    let iterate = name.ends_with(":iterate") || name.ends_with(":recurse");
    if value == "*" {
        return Ok(Include {
            source: "*".into(),
            code: "*".into(),
            target: None,
            iterate,
        });
    }
    let error = |issue, message: String| SearchError::new(Some(name), issue, message);
    let parts: Vec<&str> = value.split(':').collect();
    let (source, code, target) = match parts.as_slice() {
        [source, code] => (*source, *code, None),
        [source, code, target] => (*source, *code, Some(*target)),
        _ => {
            return Err(error(
                IssueType::Value,
                format!("`{value}` is not `Type:parameter[:TargetType]`"),
            ));
        }
    };
    if name.starts_with("_include") && source != resource_type && !iterate {
        return Err(error(
            IssueType::Value,
            format!(
                "`{value}`: an _include of a {resource_type} search starts with `{resource_type}:`"
            ),
        ));
    }
    if code != "*" {
        match registry.get(source, code) {
            Some(p) if p.kind == ParamType::Reference => {}
            Some(_) => {
                return Err(error(
                    IssueType::Value,
                    format!("`{code}` of {source} is not a reference parameter"),
                ));
            }
            None => {
                return Err(error(
                    IssueType::NotSupported,
                    format!("`{code}` is not a search parameter of {source}"),
                ));
            }
        }
    }
    if let Some(target) = target
        && !registry.is_resource_type(target)
    {
        return Err(error(
            IssueType::Value,
            format!("`{target}` is not a resource type"),
        ));
    }
    Ok(Include {
        source: source.to_owned(),
        code: code.to_owned(),
        target: target.map(str::to_owned),
        iterate,
    })
}

/// One `name=value` of a query as a criterion of a search on `resource_type`.
fn criterion(
    registry: &Registry,
    resource_type: &str,
    name: &str,
    value: &str,
) -> Result<Criterion, SearchError> {
    let not_supported =
        |message: String| SearchError::new(Some(name), IssueType::NotSupported, message);
    if name.starts_with("_has") {
        return Err(not_supported(
            "reverse chaining (`_has`) is not supported".into(),
        ));
    }
    let steps: Vec<&str> = name.split('.').collect();
    let mut chain = Vec::new();
    let mut on_type = resource_type.to_owned();
    for step in &steps[..steps.len() - 1] {
        let (code, target) = match step.split_once(':') {
            Some((code, target)) => (code, Some(target)),
            None => (*step, None),
        };
        let parameter = registry.get(&on_type, code).ok_or_else(|| {
            not_supported(format!("`{code}` is not a search parameter of {on_type}"))
        })?;
        if parameter.kind != ParamType::Reference {
            return Err(SearchError::new(
                Some(name),
                IssueType::Invalid,
                format!(
                    "`{code}` of {on_type} is a {} parameter: only references chain",
                    parameter.kind
                ),
            ));
        }
        let next = steps[chain.len() + 1].split(':').next().unwrap_or("");
        let next_type = match target {
            Some(t) => {
                if !parameter.targets.is_empty() && !parameter.targets.iter().any(|x| x == t) {
                    return Err(SearchError::new(
                        Some(name),
                        IssueType::Value,
                        format!("`{code}` of {on_type} does not refer to {t}"),
                    ));
                }
                t.to_owned()
            }
            None => parameter
                .targets
                .iter()
                .find(|t| registry.get(t, next).is_some())
                .cloned()
                .ok_or_else(|| {
                    not_supported(format!(
                        "no resource type `{code}` of {on_type} refers to has a parameter `{next}`"
                    ))
                })?,
        };
        chain.push(Link {
            code: code.to_owned(),
            target: target.map(str::to_owned),
        });
        on_type = next_type;
    }
    let last = steps[steps.len() - 1];
    let (code, modifier) = match last.split_once(':') {
        Some((code, modifier)) => (code, Some(modifier)),
        None => (last, None),
    };
    let parameter = registry
        .get(&on_type, code)
        .ok_or_else(|| not_supported(format!("`{code}` is not a search parameter of {on_type}")))?;
    let modifier = modifier
        .map(|m| parse_modifier(registry, parameter, m))
        .transpose()
        .map_err(&not_supported)?;
    let kind = value_kind(registry, parameter, modifier.as_ref()).map_err(&not_supported)?;
    if value.is_empty() {
        return Err(SearchError::new(Some(name), IssueType::Value, "no value"));
    }
    let values = split_escaped(value, ',')
        .into_iter()
        .map(|v| {
            SearchValue::parse(v, &kind)
                .map_err(|message| SearchError::new(Some(name), IssueType::Value, message))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(modifier, Some(Modifier::Missing)) && values.len() > 1 {
        return Err(SearchError::new(
            Some(name),
            IssueType::Value,
            ":missing takes one value",
        ));
    }
    Ok(Criterion {
        chain,
        code: code.to_owned(),
        modifier,
        values,
    })
}

fn parse_modifier(
    registry: &Registry,
    parameter: &SearchParameter,
    text: &str,
) -> Result<Modifier, String> {
    if parameter.kind == ParamType::Reference && registry.is_resource_type(text) {
        if !parameter.targets.is_empty() && !parameter.targets.iter().any(|t| t == text) {
            return Err(format!("`{}` does not refer to {text}", parameter.code));
        }
        return Ok(Modifier::Type(text.to_owned()));
    }
    let allowed = Modifier::allowed(parameter.kind);
    match Modifier::parse(text) {
        Some(m) if allowed.contains(&m.code()) => Ok(m),
        _ => Err(format!(
            "`:{text}` is not a modifier of a {} parameter (allowed: {})",
            parameter.kind,
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed
                    .iter()
                    .map(|m| format!(":{m}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        )),
    }
}

/// What the values of `parameter` with `modifier` are read as.
pub(crate) fn value_kind(
    registry: &Registry,
    parameter: &SearchParameter,
    modifier: Option<&Modifier>,
) -> Result<ValueKind, String> {
    Ok(match (parameter.kind, modifier) {
        (_, Some(Modifier::Missing)) => ValueKind::Missing,
        (ParamType::Token, Some(Modifier::Text)) => ValueKind::Text,
        (ParamType::Token, Some(Modifier::OfType)) => ValueKind::OfType,
        (ParamType::Token, Some(Modifier::In | Modifier::NotIn)) => ValueKind::Uri,
        (ParamType::Uri | ParamType::Reference, Some(Modifier::Above | Modifier::Below)) => {
            ValueKind::Uri
        }
        (ParamType::Reference, Some(Modifier::Identifier)) => ValueKind::Token,
        (ParamType::Composite, _) => {
            let mut kinds = Vec::new();
            for component in &parameter.components {
                let part = registry.by_url(&component.definition).ok_or_else(|| {
                    format!(
                        "the component `{}` of `{}` is not defined in the packages",
                        component.definition, parameter.code
                    )
                })?;
                if part.kind == ParamType::Composite {
                    return Err(format!(
                        "`{}`: a composite inside a composite",
                        parameter.code
                    ));
                }
                kinds.push(value_kind(registry, part, None)?);
            }
            ValueKind::Composite(kinds)
        }
        (ParamType::Special, _) => {
            return Err(format!(
                "`{}` is a special parameter, whose search the definitions do not describe",
                parameter.code
            ));
        }
        (kind, _) => ValueKind::Param(kind),
    })
}

/// A query component URL-decoded (`+` is a space, as forms encode it).
fn decode(text: &str) -> Result<String, String> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("`{text}` is not UTF-8 once URL-decoded"))
}

/// What a query component encodes: all but letters, digits and the
/// punctuation FHIR's syntax uses (`-._~/:|,$@!*'();`); FHIR's escape `\` is encoded.
const COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn encode(text: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(text, COMPONENT)
}

impl fmt::Display for Search {
    /// `Type?name=value&...`, URL-encoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource_type)?;
        let mut separator = '?';
        let mut pair = |f: &mut fmt::Formatter<'_>, name: &str, value: &str| {
            let result = write!(f, "{separator}{}={}", encode(name), encode(value));
            separator = '&';
            result
        };
        for criterion in &self.criteria {
            let values: Vec<String> = criterion.values.iter().map(ToString::to_string).collect();
            pair(f, &criterion.name(), &values.join(","))?;
        }
        let r = &self.results;
        for include in &r.include {
            let name = if include.iterate {
                "_include:iterate"
            } else {
                "_include"
            };
            pair(f, name, &include.to_string())?;
        }
        for include in &r.revinclude {
            let name = if include.iterate {
                "_revinclude:iterate"
            } else {
                "_revinclude"
            };
            pair(f, name, &include.to_string())?;
        }
        if !r.sort.is_empty() {
            let keys: Vec<String> = r
                .sort
                .iter()
                .map(|s| format!("{}{}", if s.descending { "-" } else { "" }, s.code))
                .collect();
            pair(f, "_sort", &keys.join(","))?;
        }
        if let Some(count) = r.count {
            pair(f, "_count", &count.to_string())?;
        }
        for (name, value) in [
            ("_summary", &r.summary),
            ("_total", &r.total),
            ("_contained", &r.contained),
            ("_containedType", &r.contained_type),
        ] {
            if let Some(value) = value {
                pair(f, name, value)?;
            }
        }
        if !r.elements.is_empty() {
            pair(f, "_elements", &r.elements.join(","))?;
        }
        Ok(())
    }
}
