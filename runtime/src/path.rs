//! Discriminator paths: the FHIRPath subset FHIR allows in
//! `ElementDefinition.slicing.discriminator.path` (element names, `$this`,
//! `extension('url')`, `ofType(T)`, `as T`, `resolve()`), evaluated over
//! FHIR JSON. The typed reads and the rule checker both find a slice's
//! discriminating values here.

use jiter::JsonValue;

use crate::profile::get;

/// One step of a discriminator path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    /// `$this`: the item itself.
    This,
    /// A child element by its JSON name (`code`; `value` for `value[x]`).
    Child(&'p str),
    /// `extension('url')`: the extensions with this URL.
    Extension(&'p str),
    /// `ofType(T)` or `as T`: the values of type `T`.
    OfType(&'p str),
    /// `resolve()`: the resource a reference points to.
    Resolve,
}

/// The steps of `path`, or why it is not a discriminator path.
pub fn parse(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    for token in split_top_level(path)? {
        let token = token.trim();
        // `value as boolean`: the element, then its type.
        let (token, as_type) = match token.split_once(" as ") {
            Some((element, type_)) => (element.trim(), Some(type_.trim())),
            None => (token, None),
        };
        steps.push(step(token).ok_or_else(|| {
            format!(
                "`{token}` is not an element name or a function FHIR allows in discriminator paths"
            )
        })?);
        if let Some(type_) = as_type {
            if !is_name(type_) {
                return Err(format!("`{type_}` is not a type name"));
            }
            steps.push(Step::OfType(type_));
        }
    }
    if steps.is_empty() {
        return Err("empty path".to_owned());
    }
    Ok(steps)
}

/// Whether `path` is only element names (`coding.code`, `$this`): the
/// common case, evaluated without parsing.
pub(crate) fn is_plain(path: &str) -> bool {
    path.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'$')
}

/// The property the first step of `path` reads (`coding` for `coding.code`,
/// `extension` for `extension('url')`); `None` when it reads the whole item
/// (`$this`, `resolve()`, `ofType(T)`). Without parsing or allocating.
pub(crate) fn first_property(path: &str) -> Option<&str> {
    let end = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let name = &path[..end];
    match path[end..].chars().next() {
        None | Some('.' | ' ') if !name.is_empty() => Some(name),
        Some('(') if name == "extension" => Some(name),
        _ => None,
    }
}

fn step(token: &str) -> Option<Step<'_>> {
    if token == "$this" {
        return Some(Step::This);
    }
    if is_name(token) {
        return Some(Step::Child(token));
    }
    let (function, argument) = token.strip_suffix(')')?.split_once('(')?;
    let argument = argument.trim();
    match function.trim() {
        "resolve" if argument.is_empty() => Some(Step::Resolve),
        "extension" => Some(Step::Extension(quoted(argument)?)),
        "ofType" | "as" if is_name(argument) => Some(Step::OfType(argument)),
        _ => None,
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn quoted(text: &str) -> Option<&str> {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
}

/// `path` split at the dots outside quotes and parentheses.
fn split_top_level(path: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0u32, None, 0);
    for (i, c) in path.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced `)` in `{path}`"))?
            }
            (None, '.') if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || quote.is_some() {
        return Err(format!("unbalanced parentheses or quotes in `{path}`"));
    }
    parts.push(&path[start..]);
    Ok(parts)
}

/// A value found at a path, with its type when the JSON tells it: the type
/// a choice property names (`valueQuantity`), or a resource's
/// `resourceType`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<'a, 'j> {
    pub value: &'a JsonValue<'j>,
    pub type_code: Option<&'a str>,
}

impl<'a, 'j> Node<'a, 'j> {
    pub fn new(value: &'a JsonValue<'j>, type_code: Option<&'a str>) -> Self {
        let type_code = type_code.or_else(|| match get(value, "resourceType") {
            Some(JsonValue::Str(t)) => Some(t.as_ref()),
            _ => None,
        });
        Self { value, type_code }
    }
}

/// A `resolve()` that found no target: the reference points outside what
/// the checker sees (no Bundle, or not in it, nor contained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unresolvable;

/// The values at `steps` below `start`, arrays flattened, in document order.
/// `resolve` finds the target of a literal reference.
pub(crate) fn select<'a, 'j>(
    start: Node<'a, 'j>,
    steps: &[Step<'_>],
    resolve: &dyn Fn(&str) -> Option<&'a JsonValue<'j>>,
) -> Result<Vec<Node<'a, 'j>>, Unresolvable> {
    let mut nodes = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for node in nodes {
            match *step {
                Step::This => next.push(node),
                Step::Child(name) => children(node.value, name, &mut next),
                Step::Extension(url) => {
                    if let Some(JsonValue::Array(extensions)) = get(node.value, "extension") {
                        next.extend(
                            extensions
                                .iter()
                                .filter(|e| {
                                    matches!(get(e, "url"), Some(JsonValue::Str(u)) if u == url)
                                })
                                .map(|e| Node::new(e, None)),
                        );
                    }
                }
                // A value whose JSON does not tell its type has the one type
                // its element declares, which the profile's path names.
                Step::OfType(type_code) => {
                    if node
                        .type_code
                        .is_none_or(|t| t.eq_ignore_ascii_case(type_code))
                    {
                        next.push(node);
                    }
                }
                Step::Resolve => match get(node.value, "reference") {
                    Some(JsonValue::Str(reference)) => {
                        let target = resolve(reference).ok_or(Unresolvable)?;
                        next.push(Node::new(target, None));
                    }
                    _ => return Err(Unresolvable),
                },
            }
        }
        nodes = next;
    }
    Ok(nodes)
}

/// The types a choice element may have in R4 (FHIR's open type list), as
/// they end a choice's property (`valueQuantity`); sorted. Another suffix
/// makes another element (`note` and `noteNumber`).
const CHOICE_TYPES: [&str; 50] = [
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "Base64Binary",
    "Boolean",
    "Canonical",
    "Code",
    "CodeableConcept",
    "Coding",
    "ContactDetail",
    "ContactPoint",
    "Contributor",
    "Count",
    "DataRequirement",
    "Date",
    "DateTime",
    "Decimal",
    "Distance",
    "Dosage",
    "Duration",
    "Expression",
    "HumanName",
    "Id",
    "Identifier",
    "Instant",
    "Integer",
    "Markdown",
    "Meta",
    "Money",
    "Oid",
    "ParameterDefinition",
    "Period",
    "PositiveInt",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "RelatedArtifact",
    "SampledData",
    "Signature",
    "String",
    "Time",
    "Timing",
    "TriggerDefinition",
    "UnsignedInt",
    "Uri",
    "Url",
    "UsageContext",
    "Uuid",
];

/// The values of the child `name` of `object`: its property, or for a
/// choice the property that adds a type (`valueQuantity`).
fn children<'a, 'j>(object: &'a JsonValue<'j>, name: &str, out: &mut Vec<Node<'a, 'j>>) {
    let JsonValue::Object(properties) = object else {
        return;
    };
    for (key, value) in properties.iter() {
        let type_code = if key == name {
            None
        } else {
            match key.strip_prefix(name) {
                Some(suffix) if CHOICE_TYPES.binary_search(&suffix).is_ok() => Some(suffix),
                _ => continue,
            }
        };
        match value {
            JsonValue::Array(items) => out.extend(items.iter().map(|v| Node::new(v, type_code))),
            JsonValue::Null => {}
            value => out.push(Node::new(value, type_code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_types_are_sorted() {
        assert!(CHOICE_TYPES.is_sorted());
    }

    #[test]
    fn parses_the_paths_fhir_allows() {
        assert_eq!(
            parse("coding.code").unwrap(),
            [Step::Child("coding"), Step::Child("code")]
        );
        assert_eq!(
            parse("extension('http://x.org/a.b').value as boolean").unwrap(),
            [
                Step::Extension("http://x.org/a.b"),
                Step::Child("value"),
                Step::OfType("boolean")
            ]
        );
        assert_eq!(
            parse("resolve().code").unwrap(),
            [Step::Resolve, Step::Child("code")]
        );
        assert_eq!(
            parse("value.ofType(Quantity)").unwrap(),
            [Step::Child("value"), Step::OfType("Quantity")]
        );
        assert_eq!(parse("$this").unwrap(), [Step::This]);
        assert!(parse("where(code = 'x')").is_err());
        assert!(parse("extension('x'").is_err());
        assert!(parse("").is_err());
        assert_eq!(first_property("coding.code"), Some("coding"));
        assert_eq!(first_property("url"), Some("url"));
        assert_eq!(first_property("extension('a.b').value"), Some("extension"));
        assert_eq!(first_property("value as Quantity"), Some("value"));
        assert_eq!(first_property("$this"), None);
        assert_eq!(first_property("resolve().code"), None);
    }

    #[test]
    fn selects_through_extensions_types_and_references() {
        let json = br##"{"resourceType":"Claim","contained":[{"resourceType":"Patient","id":"p"}],
            "extension":[{"url":"a","valueBoolean":true},{"url":"b","valueString":"x"}],
            "patient":{"reference":"#p"}}"##;
        let claim = JsonValue::parse(json, false).unwrap();
        let none = |_: &str| None;
        let at = |path: &str| {
            select(Node::new(&claim, None), &parse(path).unwrap(), &none)
                .map(|nodes| nodes.iter().map(|n| n.value.clone()).collect::<Vec<_>>())
        };
        assert_eq!(
            at("extension('a').value as boolean").unwrap(),
            [JsonValue::Bool(true)]
        );
        assert_eq!(at("extension('a').value.ofType(string)").unwrap(), []);
        assert_eq!(at("extension('b').value").unwrap().len(), 1);
        assert_eq!(at("patient.resolve()"), Err(Unresolvable));
        let contained = |r: &str| match get(&claim, "contained") {
            Some(JsonValue::Array(c)) if r == "#p" => c.first(),
            _ => None,
        };
        let nodes = select(
            Node::new(&claim, None),
            &parse("patient.resolve()").unwrap(),
            &contained,
        )
        .unwrap();
        assert_eq!(nodes[0].type_code, Some("Patient"));
    }
}
