//! Whether a resource matches a [`Search`]: each parameter's FHIRPath
//! expression gives the resource's values, compared with the search's by
//! FHIR's rules for the parameter's type (dates as ranges at their
//! precision, tokens by system and code, strings by prefix ignoring case
//! and accents...). Works over any FHIRPath [`Model`]: FHIR JSON, or the
//! generated types.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use fhirgen_fhirpath::model::UnknownElement;
use fhirgen_fhirpath::{Environment, Expression, Item, Model, Value};
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::definition::{ParamType, Registry, SearchParameter};
use crate::query::{Criterion, IssueType, Modifier, Search, SearchError};
use crate::value::{Number, Prefix, QuantityValue, SearchValue, Token};

/// Matches resources against searches; keeps each expression parsed.
pub struct Matcher<'r> {
    registry: &'r Registry,
    /// (parameter URL, resource type) -> the expression for that type.
    expressions: RefCell<HashMap<(String, String), Parsed>>,
    /// Milliseconds since 1970 UTC, for `ap` on dates.
    now: i64,
}

type Res<T> = Result<T, SearchError>;

/// A parameter's expression for one resource type, parsed (`None`: it has none).
type Parsed = Option<Rc<Expression<'static>>>;

fn unsupported<T>(criterion: &Criterion, message: impl Into<String>) -> Res<T> {
    Err(SearchError {
        parameter: Some(criterion.name()),
        issue: IssueType::NotSupported,
        message: message.into(),
    })
}

impl<'r> Matcher<'r> {
    pub fn new(registry: &'r Registry) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Matcher {
            registry,
            expressions: RefCell::new(HashMap::new()),
            now,
        }
    }

    pub fn registry(&self) -> &'r Registry {
        self.registry
    }

    /// Whether `resource` (a node of `model`) matches every criterion of
    /// `search`. A resource of another type does not match. References are
    /// followed (for chains, and `resolve() is Patient` in expressions)
    /// within what the model resolves (contained resources, the Bundle);
    /// a reference it cannot follow counts as a resource of the type the
    /// reference names.
    pub fn matches<M: Model>(&self, search: &Search, model: &M, resource: &M::Node) -> Res<bool> {
        let model = Placeholders(model);
        if model.type_name(resource) != search.resource_type {
            return Ok(false);
        }
        for criterion in &search.criteria {
            if !self.criterion_matches(&model, &search.resource_type, resource, criterion, 0)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn expression(&self, parameter: &SearchParameter, resource_type: &str) -> Res<Parsed> {
        let key = (parameter.url.clone(), resource_type.to_owned());
        if let Some(found) = self.expressions.borrow().get(&key) {
            return Ok(found.clone());
        }
        let parsed = match parameter.expression_for(resource_type) {
            Some(text) => Some(parse(&parameter.code, &text)?),
            None => None,
        };
        self.expressions.borrow_mut().insert(key, parsed.clone());
        Ok(parsed)
    }

    /// A composite's component expression (relative to the composite's
    /// values), parsed once.
    fn component(&self, code: &str, url: &str, text: &str) -> Res<Rc<Expression<'static>>> {
        let key = (url.to_owned(), text.to_owned());
        if let Some(Some(found)) = self.expressions.borrow().get(&key) {
            return Ok(found.clone());
        }
        let parsed = parse(code, text)?;
        self.expressions
            .borrow_mut()
            .insert(key, Some(parsed.clone()));
        Ok(parsed)
    }

    fn evaluate<M: Model>(
        &self,
        model: &Placeholders<'_, M>,
        resource_type: &str,
        resource: &M::Node,
        parameter: &SearchParameter,
    ) -> Res<Vec<Item<M::Node>>> {
        let Some(expression) = self.expression(parameter, resource_type)? else {
            return Err(SearchError {
                parameter: Some(parameter.code.clone()),
                issue: IssueType::NotSupported,
                message: format!("no expression for {resource_type}"),
            });
        };
        run(model, &expression, resource, resource).map_err(|message| SearchError {
            parameter: Some(parameter.code.clone()),
            issue: IssueType::NotSupported,
            message,
        })
    }

    fn criterion_matches<M: Model>(
        &self,
        model: &Placeholders<'_, M>,
        resource_type: &str,
        resource: &M::Node,
        criterion: &Criterion,
        depth: usize,
    ) -> Res<bool> {
        if let Some(link) = criterion.chain.get(depth) {
            // Follow the reference, then match the rest of the chain there.
            let parameter = self.parameter(criterion, resource_type, &link.code)?;
            for item in self.evaluate(model, resource_type, resource, parameter)? {
                let Item::Node(node) = item else { continue };
                let Some(reference) = reference_text(model, &node) else {
                    continue;
                };
                let Some(target) = model.0.resolve(&node, &reference) else {
                    continue;
                };
                let target_type = model.type_name(&target).to_owned();
                if link.target.as_ref().is_some_and(|t| *t != target_type) {
                    continue;
                }
                if self.criterion_matches(model, &target_type, &target, criterion, depth + 1)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let parameter = self.parameter(criterion, resource_type, &criterion.code)?;
        let found = self.evaluate(model, resource_type, resource, parameter)?;
        if let Some(Modifier::Missing) = criterion.modifier {
            let missing = matches!(criterion.values.first(), Some(SearchValue::Missing(true)));
            return Ok(found.is_empty() == missing);
        }
        let negated = matches!(criterion.modifier, Some(Modifier::Not | Modifier::NotIn));
        let mut any = false;
        'values: for value in &criterion.values {
            for item in &found {
                if self.value_matches(model, parameter, criterion, value, item)? {
                    any = true;
                    break 'values;
                }
            }
        }
        Ok(any != negated)
    }

    fn parameter(
        &self,
        criterion: &Criterion,
        resource_type: &str,
        code: &str,
    ) -> Res<&'r SearchParameter> {
        match self.registry.get(resource_type, code) {
            Some(p) => Ok(p),
            None => unsupported(
                criterion,
                format!("`{code}` is not a search parameter of {resource_type}"),
            ),
        }
    }

    /// Whether one value the resource has matches one value of the search.
    fn value_matches<M: Model>(
        &self,
        model: &Placeholders<'_, M>,
        parameter: &SearchParameter,
        criterion: &Criterion,
        wanted: &SearchValue,
        item: &Item<M::Node>,
    ) -> Res<bool> {
        let modifier = criterion.modifier.as_ref();
        Ok(match wanted {
            SearchValue::Token(token) => match modifier {
                Some(Modifier::Identifier) => identifier_of(model, item)
                    .is_some_and(|(system, value)| token_fits(token, system.as_deref(), &value)),
                Some(Modifier::Above | Modifier::Below) => {
                    return unsupported(
                        criterion,
                        "subsumption (:above, :below) needs a terminology service",
                    );
                }
                _ => token_matches(model, item, token),
            },
            SearchValue::String(text) => match (parameter.kind, modifier) {
                (ParamType::Token, _) => token_text(model, item)
                    .iter()
                    .any(|t| normalized(t).starts_with(&normalized(text))),
                (_, Some(Modifier::Exact)) => strings_of(model, item).iter().any(|s| s == text),
                (_, Some(Modifier::Contains)) => {
                    let wanted = normalized(text);
                    strings_of(model, item)
                        .iter()
                        .any(|s| normalized(s).contains(&wanted))
                }
                _ => {
                    let wanted = normalized(text);
                    strings_of(model, item)
                        .iter()
                        .any(|s| normalized(s).starts_with(&wanted))
                }
            },
            SearchValue::OfType {
                system,
                code,
                value,
            } => of_type_matches(model, item, system, code, value),
            SearchValue::Date(prefix, date) => {
                let wanted = date.value.instant_range();
                date_ranges(model, item)
                    .iter()
                    .any(|&found| compare_ranges(*prefix, wanted, found, self.now))
            }
            SearchValue::Number(prefix, number) => numbers_of(model, item)
                .iter()
                .any(|n| compare_number(*prefix, number, *n)),
            SearchValue::Quantity(quantity) => quantity_matches(model, item, quantity),
            SearchValue::Reference(reference) => {
                let target = match modifier {
                    Some(Modifier::Type(t)) => Some(t.as_str()),
                    _ => None,
                };
                let found = match item {
                    Item::Node(node) => reference_text(model, node),
                    _ => item_string(model, item),
                };
                found.is_some_and(|found| reference_fits(reference, target, &found))
            }
            SearchValue::Uri(uri) => {
                match (parameter.kind, modifier) {
                    (ParamType::Token, Some(Modifier::In | Modifier::NotIn)) => {
                        let codes = codings(model, item);
                        match model.member_of(uri, &codes) {
                            Some(found) => found,
                            None => {
                                return unsupported(
                                    criterion,
                                    format!("the value set `{uri}` cannot be expanded here"),
                                );
                            }
                        }
                    }
                    (_, Some(Modifier::Below)) => item_string(model, item)
                        .is_some_and(|found| found.starts_with(uri.as_str())),
                    (_, Some(Modifier::Above)) => item_string(model, item)
                        .is_some_and(|found| uri.starts_with(found.as_str())),
                    _ => item_string(model, item).is_some_and(|found| found == *uri),
                }
            }
            SearchValue::Composite(parts) => {
                let Item::Node(node) = item else {
                    return Ok(false);
                };
                for (component, part) in parameter.components.iter().zip(parts) {
                    let Some(definition) = self.registry.by_url(&component.definition) else {
                        return unsupported(
                            criterion,
                            format!("`{}` is not defined", component.definition),
                        );
                    };
                    let expression = self.component(
                        &criterion.name(),
                        &component.definition,
                        &component.expression,
                    )?;
                    let values =
                        run(model, &expression, node, node).map_err(|message| SearchError {
                            parameter: Some(criterion.name()),
                            issue: IssueType::NotSupported,
                            message,
                        })?;
                    let part_criterion = Criterion {
                        chain: Vec::new(),
                        code: definition.code.clone(),
                        modifier: None,
                        values: Vec::new(),
                    };
                    let mut any = false;
                    for value in &values {
                        if self.value_matches(model, definition, &part_criterion, part, value)? {
                            any = true;
                            break;
                        }
                    }
                    if !any {
                        return Ok(false);
                    }
                }
                true
            }
            SearchValue::Missing(_) => false,
            SearchValue::Special(_) => {
                return unsupported(criterion, "special parameters are not matched");
            }
        })
    }
}

/// An expression of a parameter's definition, parsed.
fn parse(code: &str, text: &str) -> Res<Rc<Expression<'static>>> {
    fhirgen_fhirpath::parse(text)
        .map(Rc::new)
        .map_err(|e| SearchError {
            parameter: Some(code.to_owned()),
            issue: IssueType::NotSupported,
            message: format!("its expression `{text}` does not parse: {e}"),
        })
}

fn run<M: Model>(
    model: &M,
    expression: &Expression<'_>,
    focus: &M::Node,
    resource: &M::Node,
) -> Result<Vec<Item<M::Node>>, String> {
    let mut environment = Environment::new(model).with_resource(resource.clone());
    // The reading the HL7 engine has (and the definitions were tested with).
    environment.strict = false;
    environment
        .evaluate(expression, vec![Item::Node(focus.clone())])
        .map_err(|e| format!("its expression fails: {e}"))
}

/// A model whose unresolved references are placeholders of the type they
/// name (`resolve() is Patient` on `Patient/123` is true).
struct Placeholders<'m, M>(&'m M);

impl<M: Model> Model for Placeholders<'_, M> {
    type Node = M::Node;
    fn type_name<'a>(&'a self, node: &'a Self::Node) -> &'a str {
        self.0.type_name(node)
    }
    fn children(
        &self,
        node: &Self::Node,
        name: &str,
        out: &mut Vec<Self::Node>,
    ) -> Result<(), UnknownElement> {
        self.0.children(node, name, out)
    }
    fn all_children(&self, node: &Self::Node, out: &mut Vec<Self::Node>) {
        self.0.all_children(node, out)
    }
    fn value(&self, node: &Self::Node) -> Option<Value> {
        self.0.value(node)
    }
    fn has_value(&self, node: &Self::Node) -> bool {
        self.0.has_value(node)
    }
    fn is_a(&self, name: &str, base: &str) -> bool {
        self.0.is_a(name, base)
    }
    fn has_type(&self, name: &str) -> bool {
        self.0.has_type(name)
    }
    fn same(&self, a: &Self::Node, b: &Self::Node) -> bool {
        self.0.same(a, b)
    }
    fn resolve(&self, from: &Self::Node, reference: &str) -> Option<Self::Node> {
        self.0.resolve(from, reference).or_else(|| {
            let (_, type_name, _) = split_reference(reference)?;
            self.0.placeholder(type_name?)
        })
    }
    fn member_of(&self, value_set: &str, codes: &[(Option<String>, String)]) -> Option<bool> {
        self.0.member_of(value_set, codes)
    }
    fn html_checks(&self, div: &Self::Node) -> Option<bool> {
        self.0.html_checks(div)
    }
    fn placeholder(&self, type_name: &str) -> Option<Self::Node> {
        self.0.placeholder(type_name)
    }
}

/// The first value of child `name`, as text.
fn child_text<M: Model>(model: &M, node: &M::Node, name: &str) -> Option<String> {
    child_texts(model, node, name).into_iter().next()
}

fn child_texts<M: Model>(model: &M, node: &M::Node, name: &str) -> Vec<String> {
    let mut children = Vec::new();
    let _ = model.children(node, name, &mut children);
    children
        .iter()
        .filter_map(|c| model.value(c).map(|v| text(&v)))
        .collect()
}

fn children<M: Model>(model: &M, node: &M::Node, name: &str) -> Vec<M::Node> {
    let mut out = Vec::new();
    let _ = model.children(node, name, &mut out);
    out
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A primitive's value (or a System value) as text.
fn item_string<M: Model>(model: &M, item: &Item<M::Node>) -> Option<String> {
    match item {
        Item::Node(node) => model.value(node).map(|v| text(&v)),
        Item::Value(value) => Some(text(value)),
        Item::Type { .. } => None,
    }
}

fn is<M: Model>(model: &M, node: &M::Node, base: &str) -> bool {
    model.is_a(model.type_name(node), base)
}

/// `(system, code)` of each coding an element holds (a Coding, a
/// CodeableConcept's codings, a code).
fn codings<M: Model>(model: &M, item: &Item<M::Node>) -> Vec<(Option<String>, String)> {
    let Item::Node(node) = item else {
        return item_string(model, item)
            .map(|c| vec![(None, c)])
            .unwrap_or_default();
    };
    let pair = |coding: &M::Node| {
        child_text(model, coding, "code").map(|code| (child_text(model, coding, "system"), code))
    };
    if is(model, node, "CodeableConcept") {
        children(model, node, "coding")
            .iter()
            .filter_map(pair)
            .collect()
    } else if is(model, node, "Coding") {
        pair(node).into_iter().collect()
    } else {
        model
            .value(node)
            .map(|v| vec![(None, text(&v))])
            .unwrap_or_default()
    }
}

/// Whether a found `system` and `code` fit a token.
fn token_fits(token: &Token, system: Option<&str>, code: &str) -> bool {
    let system_fits = match token.system.as_deref() {
        None => true,
        Some("") => system.is_none_or(str::is_empty),
        Some(wanted) => system == Some(wanted),
    };
    system_fits && token.code.as_deref().is_none_or(|c| c == code)
}

fn token_matches<M: Model>(model: &M, item: &Item<M::Node>, token: &Token) -> bool {
    let Item::Node(node) = item else {
        return item_string(model, item)
            .is_some_and(|code| token.code.as_deref() == Some(code.as_str()));
    };
    if is(model, node, "Identifier") {
        return child_text(model, node, "value").is_some_and(|value| {
            token_fits(token, child_text(model, node, "system").as_deref(), &value)
        });
    }
    if is(model, node, "ContactPoint") {
        // Its value is the code; it has no system to match.
        return token.system.as_deref().is_none_or(str::is_empty)
            && child_text(model, node, "value").as_deref() == token.code.as_deref();
    }
    if is(model, node, "CodeableConcept") || is(model, node, "Coding") {
        return codings(model, item)
            .iter()
            .any(|(system, code)| token_fits(token, system.as_deref(), code));
    }
    // A code, boolean, string, uri or id: the code alone (a code's system
    // is its binding's).
    match model.value(node) {
        Some(value) => token.code.as_deref() == Some(text(&value).as_str()),
        None => false,
    }
}

/// The texts `:text` searches: a CodeableConcept's text and its codings'
/// displays, a Coding's display, an Identifier's type text.
fn token_text<M: Model>(model: &M, item: &Item<M::Node>) -> Vec<String> {
    let Item::Node(node) = item else {
        return Vec::new();
    };
    let mut out = child_texts(model, node, "text");
    if is(model, node, "CodeableConcept") {
        for coding in children(model, node, "coding") {
            out.extend(child_texts(model, &coding, "display"));
        }
    } else if is(model, node, "Coding") {
        out.extend(child_texts(model, node, "display"));
    } else if is(model, node, "Identifier") {
        for t in children(model, node, "type") {
            out.extend(child_texts(model, &t, "text"));
        }
    }
    out
}

fn identifier_of<M: Model>(model: &M, item: &Item<M::Node>) -> Option<(Option<String>, String)> {
    let Item::Node(node) = item else { return None };
    let identifier = children(model, node, "identifier").into_iter().next()?;
    Some((
        child_text(model, &identifier, "system"),
        child_text(model, &identifier, "value")?,
    ))
}

fn of_type_matches<M: Model>(
    model: &M,
    item: &Item<M::Node>,
    system: &str,
    code: &str,
    value: &str,
) -> bool {
    let Item::Node(node) = item else { return false };
    if !is(model, node, "Identifier") || child_text(model, node, "value").as_deref() != Some(value)
    {
        return false;
    }
    children(model, node, "type").iter().any(|t| {
        codings(model, &Item::Node(t.clone()))
            .iter()
            .any(|(s, c)| c == code && (system.is_empty() || s.as_deref() == Some(system)))
    })
}

/// The strings a string parameter searches in an element: a string, or a
/// HumanName's or Address's parts.
fn strings_of<M: Model>(model: &M, item: &Item<M::Node>) -> Vec<String> {
    let Item::Node(node) = item else {
        return item_string(model, item).into_iter().collect();
    };
    let parts: &[&str] = if is(model, node, "HumanName") {
        &["family", "given", "prefix", "suffix", "text"]
    } else if is(model, node, "Address") {
        &[
            "line",
            "city",
            "district",
            "state",
            "postalCode",
            "country",
            "text",
        ]
    } else {
        return model.value(node).map(|v| text(&v)).into_iter().collect();
    };
    parts
        .iter()
        .flat_map(|p| child_texts(model, node, p))
        .collect()
}

/// Lower case, accents dropped (decomposed, combining marks removed).
fn normalized(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The instants a date element covers: a date, dateTime or instant at its
/// precision, a Period (open ends unbounded), each event of a Timing.
fn date_ranges<M: Model>(model: &M, item: &Item<M::Node>) -> Vec<(i64, i64)> {
    let range_of = |value: &Value| match value {
        Value::Date(d) | Value::DateTime(d) => Some(d.instant_range()),
        _ => None,
    };
    let Item::Node(node) = item else {
        return match item {
            Item::Value(v) => range_of(v).into_iter().collect(),
            _ => Vec::new(),
        };
    };
    let first = |name: &str| {
        children(model, node, name)
            .first()
            .and_then(|c| model.value(c))
            .as_ref()
            .and_then(range_of)
    };
    if is(model, node, "Period") {
        let (start, end) = (first("start"), first("end"));
        if start.is_none() && end.is_none() {
            return Vec::new();
        }
        return vec![(
            start.map_or(i64::MIN, |s| s.0),
            end.map_or(i64::MAX, |e| e.1),
        )];
    }
    if is(model, node, "Timing") {
        return children(model, node, "event")
            .iter()
            .filter_map(|e| model.value(e).as_ref().and_then(range_of))
            .collect();
    }
    model
        .value(node)
        .as_ref()
        .and_then(range_of)
        .into_iter()
        .collect()
}

/// FHIR's date comparisons between the search value's range and the
/// resource's (both half-open, in milliseconds).
fn compare_ranges(prefix: Prefix, wanted: (i64, i64), found: (i64, i64), now: i64) -> bool {
    let (p_lo, p_hi) = wanted;
    let (t_lo, t_hi) = found;
    let contains = p_lo <= t_lo && t_hi <= p_hi;
    match prefix {
        Prefix::Eq => contains,
        Prefix::Ne => !contains,
        Prefix::Gt => t_hi > p_hi,
        Prefix::Lt => t_lo < p_lo,
        Prefix::Ge => t_hi > p_hi || contains,
        Prefix::Le => t_lo < p_lo || contains,
        Prefix::Sa => t_lo >= p_hi,
        Prefix::Eb => t_hi <= p_lo,
        Prefix::Ap => {
            // Within 10% of the time between the value and now.
            let slack = (p_lo.saturating_sub(now)).unsigned_abs() / 10;
            let slack = i64::try_from(slack).unwrap_or(i64::MAX);
            t_lo < p_hi.saturating_add(slack) && p_lo.saturating_sub(slack) < t_hi
        }
    }
}

fn numbers_of<M: Model>(model: &M, item: &Item<M::Node>) -> Vec<Decimal> {
    let value = match item {
        Item::Node(node) => model.value(node),
        Item::Value(v) => Some(v.clone()),
        Item::Type { .. } => None,
    };
    match value {
        Some(Value::Integer(i)) => vec![Decimal::from(i)],
        Some(Value::Decimal(d)) => vec![d],
        _ => Vec::new(),
    }
}

/// FHIR's number comparisons: `eq` and `ne` against the range the value's
/// precision implies, the others against the value.
fn compare_number(prefix: Prefix, wanted: &Number, found: Decimal) -> bool {
    let half = wanted.half_unit();
    let v = wanted.value;
    // At Decimal's ends the range is cut there (no overflow).
    let low = v.checked_sub(half).unwrap_or(Decimal::MIN);
    let within = low <= found && v.checked_add(half).is_none_or(|high| found < high);
    match prefix {
        Prefix::Eq => within,
        Prefix::Ne => !within,
        Prefix::Gt | Prefix::Sa => found > v,
        Prefix::Lt | Prefix::Eb => found < v,
        Prefix::Ge => found >= v,
        Prefix::Le => found <= v,
        Prefix::Ap => found
            .checked_sub(v)
            .is_some_and(|d| d.abs() <= (v.abs() / Decimal::from(10)).max(half)),
    }
}

fn quantity_matches<M: Model>(model: &M, item: &Item<M::Node>, wanted: &QuantityValue) -> bool {
    let Item::Node(node) = item else { return false };
    if !is(model, node, "Quantity") {
        return false;
    }
    let Some(value) = children(model, node, "value")
        .first()
        .and_then(|v| numbers_of(model, &Item::Node(v.clone())).into_iter().next())
    else {
        return false;
    };
    let system = child_text(model, node, "system");
    let code = child_text(model, node, "code");
    let unit = child_text(model, node, "unit");
    let units_fit = match (&wanted.system, &wanted.code) {
        (Some(s), Some(c)) => system.as_ref() == Some(s) && code.as_ref() == Some(c),
        (None, Some(c)) => code.as_ref() == Some(c) || unit.as_ref() == Some(c),
        (Some(s), None) => system.as_ref() == Some(s),
        (None, None) => true,
    };
    units_fit && compare_number(wanted.prefix, &wanted.number, value)
}

/// A Reference's `reference`, or a canonical's or uri's value.
fn reference_text<M: Model>(model: &M, node: &M::Node) -> Option<String> {
    if is(model, node, "Reference") {
        child_text(model, node, "reference")
    } else {
        model.value(node).map(|v| text(&v))
    }
}

/// A reference split into its base URL, resource type and id (a version
/// `/_history/n` dropped); `None` for a local (`#id`) reference.
pub fn split_reference(reference: &str) -> Option<(Option<&str>, Option<&str>, &str)> {
    if reference.starts_with('#') {
        return None;
    }
    if reference.starts_with("urn:") {
        return Some((None, None, reference));
    }
    let reference = match reference.find("/_history/") {
        Some(i) => &reference[..i],
        None => reference,
    };
    let reference = reference.trim_end_matches('/');
    let mut parts = reference.rsplitn(3, '/');
    let id = parts.next()?;
    let type_name = parts
        .next()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_uppercase()));
    let base = if type_name.is_some() {
        parts.next()
    } else {
        None
    };
    Some((base, type_name, id))
}

/// Whether the search's reference value fits a reference the resource has.
fn reference_fits(wanted: &str, target: Option<&str>, found: &str) -> bool {
    if wanted == found {
        return true;
    }
    // A canonical with a version: `url|1.0`.
    if let Some((url, version)) = found.split_once('|') {
        return wanted == url || wanted.split_once('|') == Some((url, version));
    }
    let (Some((w_base, w_type, w_id)), Some((f_base, f_type, f_id))) =
        (split_reference(wanted), split_reference(found))
    else {
        return false;
    };
    let w_type = target.or(w_type);
    if w_id != f_id {
        return false;
    }
    let types_fit = match (w_type, f_type) {
        (Some(w), Some(f)) => w == f,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let bases_fit = match (w_base, f_base) {
        (Some(w), Some(f)) => w.trim_end_matches('/') == f.trim_end_matches('/'),
        _ => true,
    };
    types_fit && bases_fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_their_forms() {
        assert!(reference_fits("Patient/123", None, "Patient/123"));
        assert!(reference_fits("123", Some("Patient"), "Patient/123"));
        assert!(reference_fits("123", None, "Patient/123"));
        assert!(!reference_fits("123", Some("Group"), "Patient/123"));
        assert!(reference_fits(
            "http://x.org/fhir/Patient/123",
            None,
            "Patient/123"
        ));
        assert!(!reference_fits(
            "http://x.org/fhir/Patient/123",
            None,
            "http://y.org/fhir/Patient/123"
        ));
        assert!(reference_fits(
            "Patient/123",
            None,
            "Patient/123/_history/2"
        ));
        assert!(!reference_fits("Patient/12", None, "Patient/123"));
        assert!(!reference_fits("Patient/123", None, "#123"));
    }

    #[test]
    fn dates_compare_as_ranges() {
        let day = |d: &str| {
            fhirgen_fhirpath::temporal::DateTime::parse(d)
                .unwrap()
                .0
                .instant_range()
        };
        let march = day("2020-03");
        assert!(compare_ranges(Prefix::Eq, march, day("2020-03-15"), 0));
        assert!(!compare_ranges(Prefix::Eq, day("2020-03-15"), march, 0));
        assert!(compare_ranges(Prefix::Ge, march, day("2020-04-01"), 0));
        assert!(!compare_ranges(Prefix::Gt, march, day("2020-03-31"), 0));
        assert!(compare_ranges(Prefix::Lt, march, day("2020-02-29"), 0));
        assert!(compare_ranges(
            Prefix::Sa,
            march,
            day("2020-04-01T00:00:00Z"),
            0
        ));
        assert!(compare_ranges(
            Prefix::Eb,
            march,
            day("2020-02-29T23:59:59Z"),
            0
        ));
        assert!(compare_ranges(Prefix::Ne, march, day("2020-04-01"), 0));
    }

    #[test]
    fn strings_ignore_case_and_accents() {
        assert_eq!(normalized("Ärztin Renée"), "arztin renee");
    }

    #[test]
    fn numbers_at_their_precision() {
        let n = Number::parse("100").unwrap();
        assert!(compare_number(Prefix::Eq, &n, Decimal::new(995, 1)));
        assert!(!compare_number(Prefix::Eq, &n, Decimal::new(1005, 1)));
        assert!(compare_number(Prefix::Gt, &n, Decimal::new(1001, 1)));
        // At Decimal's ends: no overflow.
        let max = Number::parse("79228162514264337593543950335").unwrap();
        for prefix in Prefix::ALL {
            compare_number(prefix, &max, Decimal::MIN);
            compare_number(prefix, &max, Decimal::MAX);
        }
    }
}
