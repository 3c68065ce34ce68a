//! Checks a resource's FHIR JSON against a [`ProfileModel`]: cardinality,
//! fixed and pattern values, the types of choice elements, slices (routing by
//! discriminator, each slice's cardinality, closed slicing) and membership of
//! sliced items in the value sets that define them. Each problem comes with the
//! FHIRPath of the element (`Observation.component:diastolic`).
//!
//! This is the meaning of the profile rules at run time, on JSON; the profile
//! types (and their `validate()`) will enforce the same rules.

use serde_json::{Map, Value};

use crate::ir::{DiscriminatorValue, ProfileModel, ProfileNode};
use crate::terminology::{Expander, Expansion};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// FHIRPath-like location: `Patient.identifier[0].system`.
    pub path: String,
    /// The FHIR issue type: `required`, `value`, `structure`, `invalid`...
    pub code: &'static str,
    pub message: String,
}

/// Validates `resource` against `model`. With an expander, items of slices
/// defined by a value set are routed by their codes.
pub fn validate(
    model: &ProfileModel,
    resource: &Value,
    expander: Option<&Expander<'_>>,
) -> Vec<Issue> {
    let mut checker = Checker {
        expander,
        issues: Vec::new(),
    };
    match resource.as_object() {
        Some(object) => {
            if object.get("resourceType").and_then(Value::as_str) != Some(model.type_.as_str()) {
                checker.error(
                    &model.type_,
                    STRUCTURE,
                    format!("expected a {} resource", model.type_),
                );
            } else {
                checker.object(&model.root, object, &model.type_);
            }
        }
        None => checker.error(&model.type_, STRUCTURE, "expected a JSON object".to_owned()),
    }
    checker.issues
}

/// One occurrence of an element in the JSON: its value, its `_name` part,
/// and for a choice the type its property names.
#[derive(Clone, Copy)]
struct Item<'a> {
    value: Option<&'a Value>,
    element: Option<&'a Value>,
    type_code: Option<&'a str>,
}

struct Checker<'a, 'e> {
    expander: Option<&'a Expander<'e>>,
    issues: Vec<Issue>,
}

impl Checker<'_, '_> {
    /// An error of FHIR issue type `code` (`REQUIRED`, `VALUE`, ...).
    fn error(&mut self, path: &str, code: &'static str, message: String) {
        self.issues.push(Issue {
            severity: "error",
            path: path.to_owned(),
            code,
            message,
        });
    }

    fn warning(&mut self, path: &str, message: String) {
        self.issues.push(Issue {
            severity: "warning",
            path: path.to_owned(),
            code: "informational",
            message,
        });
    }

    fn object(&mut self, node: &ProfileNode, object: &Map<String, Value>, path: &str) {
        for child in &node.children {
            let items = items_of(object, child);
            self.items(child, &items, &format!("{path}.{}", child.name));
        }
    }

    fn items(&mut self, node: &ProfileNode, items: &[Item<'_>], path: &str) {
        let count = items.len();
        if (count as u64) < u64::from(node.min) {
            self.error(
                path,
                REQUIRED,
                format!(
                    "{} is required ({}..{}) but absent",
                    node.id, node.min, node.max
                ),
            );
        }
        if let crate::conformance::Max::Count(max) = node.max
            && count as u64 > u64::from(max)
        {
            self.error(
                path,
                INVALID,
                format!("{count} items, at most {max} allowed"),
            );
        }
        let is_list = node.max != crate::conformance::Max::Count(1);
        let mut in_slice = vec![None; count];
        if !node.slices.is_empty() {
            self.slices(node, items, path, &mut in_slice);
        }
        for (index, item) in items.iter().enumerate() {
            let item_path = if is_list {
                format!("{path}[{index}]")
            } else {
                path.to_owned()
            };
            if let Some(types) = allowed_types(node)
                && let Some(code) = item.type_code
                && !types.iter().any(|t| t.eq_ignore_ascii_case(code))
            {
                self.error(
                    &item_path,
                    STRUCTURE,
                    format!(
                        "type {code} is not allowed here (allowed: {})",
                        types.join(", ")
                    ),
                );
            }
            if item.value.is_none() && item.element.is_none() {
                self.error(
                    &item_path,
                    STRUCTURE,
                    "an element needs a value or an extension".to_owned(),
                );
            }
            self.element(node, item, &item_path);
            if let Some(slice) = in_slice[index] {
                let slice = &node.slices[slice];
                self.element(&slice.node, item, &item_path);
            }
        }
    }

    /// Routes each item to its slice, then checks each slice's cardinality and
    /// closed slicing. `in_slice` gets the slice of each item.
    fn slices(
        &mut self,
        node: &ProfileNode,
        items: &[Item<'_>],
        path: &str,
        in_slice: &mut [Option<usize>],
    ) {
        let mut undecidable = vec![false; node.slices.len()];
        for (index, item) in items.iter().enumerate() {
            for (s, slice) in node.slices.iter().enumerate() {
                match self.matches(item, &slice.discriminators) {
                    Some(true) => {
                        in_slice[index] = Some(s);
                        break;
                    }
                    Some(false) => {}
                    None => undecidable[s] = true,
                }
            }
        }
        for (s, slice) in node.slices.iter().enumerate() {
            let slice_path = format!("{path}:{}", slice.name);
            let count = in_slice.iter().filter(|&&x| x == Some(s)).count();
            if undecidable[s] {
                if count < slice.node.min as usize {
                    self.warning(&slice_path, "cannot tell which items belong to this slice (its value set is not expandable)".to_owned());
                }
                continue;
            }
            if count < slice.node.min as usize {
                self.error(
                    &slice_path,
                    REQUIRED,
                    format!(
                        "slice {} is required ({}..{}) but absent",
                        slice.name, slice.node.min, slice.node.max
                    ),
                );
            }
            if let crate::conformance::Max::Count(max) = slice.node.max
                && count > max as usize
            {
                self.error(
                    &slice_path,
                    INVALID,
                    format!(
                        "{count} items in slice {}, at most {max} allowed",
                        slice.name
                    ),
                );
            }
        }
        if node.slicing.as_ref().is_some_and(|s| s.rules == "closed") {
            for (index, slot) in in_slice.iter().enumerate() {
                if slot.is_none() {
                    self.error(
                        &format!("{path}[{index}]"),
                        INVALID,
                        "matches no slice, and the slicing is closed".to_owned(),
                    );
                }
            }
        }
    }

    /// Whether an item satisfies every discriminator; `None` when that cannot
    /// be decided offline.
    fn matches(&self, item: &Item<'_>, discriminators: &[DiscriminatorValue]) -> Option<bool> {
        let mut undecided = false;
        for discriminator in discriminators {
            let outcome = match discriminator {
                DiscriminatorValue::Value { path, value } => {
                    Some(at_path(item, path).contains(&value))
                }
                DiscriminatorValue::Pattern { path, value } => {
                    Some(at_path(item, path).iter().any(|v| contains(v, value)))
                }
                DiscriminatorValue::Type { path, codes } => Some(
                    path == "$this"
                        && item
                            .type_code
                            .is_some_and(|c| codes.iter().any(|t| t.eq_ignore_ascii_case(c))),
                ),
                DiscriminatorValue::Exists { path, present } => {
                    Some(at_path(item, path).is_empty() != *present)
                }
                DiscriminatorValue::InValueSet { path, value_set } => {
                    self.in_value_set(&at_path(item, path), value_set)
                }
                DiscriminatorValue::Profile { .. } | DiscriminatorValue::Unresolved { .. } => None,
            };
            match outcome {
                // One discriminator that surely fails settles it.
                Some(false) => return Some(false),
                Some(true) => {}
                None => undecided = true,
            }
        }
        (!undecided).then_some(true)
    }

    /// Whether any coding among `values` (CodeableConcept, Coding or code) is
    /// in the value set; `None` when it cannot be expanded.
    fn in_value_set(&self, values: &[&Value], value_set: &str) -> Option<bool> {
        let expansion = self.expander?.expand_binding(value_set).ok()?;
        let Expansion::Enumerated(codes) = expansion else {
            return None;
        };
        let codings = values.iter().flat_map(|v| codings(v));
        Some(codings.into_iter().any(|(system, code)| {
            codes
                .iter()
                .any(|c| c.code == code && system.is_none_or(|s| s == c.system))
        }))
    }

    fn element(&mut self, node: &ProfileNode, item: &Item<'_>, path: &str) {
        let Some(value) = item.value else {
            return;
        };
        if let Some(fixed) = &node.fixed
            && value != fixed
        {
            self.error(
                path,
                VALUE,
                format!("must be exactly {fixed}, found {value}"),
            );
        }
        if let Some(pattern) = &node.pattern
            && !contains(value, pattern)
        {
            self.error(path, VALUE, format!("must match the pattern {pattern}"));
        }
        if let Some(object) = value.as_object() {
            self.object(node, object, path);
        }
    }
}

/// The allowed type codes of a choice element.
fn allowed_types(node: &ProfileNode) -> Option<Vec<String>> {
    node.path
        .ends_with("[x]")
        .then(|| node.types.iter().filter_map(|t| t.code.clone()).collect())
}

/// The occurrences of `child` in `object`.
fn items_of<'a>(object: &'a Map<String, Value>, child: &'a ProfileNode) -> Vec<Item<'a>> {
    if child.path.ends_with("[x]") {
        let mut items = Vec::new();
        for (key, value) in object {
            let Some(suffix) = key.strip_prefix(child.name.as_str()) else {
                continue;
            };
            if suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
                items.push(Item {
                    value: Some(value),
                    element: object.get(&format!("_{key}")),
                    type_code: Some(suffix),
                });
            }
        }
        if items.is_empty() {
            // A choice given only by its `_name` part (extensions, no value).
            for (key, value) in object {
                if let Some(suffix) = key
                    .strip_prefix('_')
                    .and_then(|k| k.strip_prefix(child.name.as_str()))
                    && suffix.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    items.push(Item {
                        value: None,
                        element: Some(value),
                        type_code: Some(suffix),
                    });
                }
            }
        }
        return items;
    }
    let value = object.get(&child.name);
    let element = object.get(&format!("_{}", child.name));
    let is_array = |v: Option<&Value>| v.is_some_and(Value::is_array);
    if value.is_none() && element.is_none() {
        return Vec::new();
    }
    if !is_array(value) && !is_array(element) {
        return vec![Item {
            value,
            element,
            type_code: None,
        }];
    }
    // A repeating element; a primitive's values and `_name` parts are aligned
    // arrays with nulls.
    let values = value.and_then(Value::as_array);
    let elements = element.and_then(Value::as_array);
    let length = values.map_or(0, Vec::len).max(elements.map_or(0, Vec::len));
    (0..length)
        .map(|i| Item {
            value: values.and_then(|v| v.get(i)).filter(|v| !v.is_null()),
            element: elements.and_then(|e| e.get(i)).filter(|v| !v.is_null()),
            type_code: None,
        })
        .collect()
}

/// The values at a discriminator path inside an item (`$this`, `url`,
/// `coding.code`), through arrays.
fn at_path<'a>(item: &Item<'a>, path: &str) -> Vec<&'a Value> {
    let Some(start) = item.value else {
        return Vec::new();
    };
    if path == "$this" {
        return vec![start];
    }
    let mut current = vec![start];
    for segment in path.split('.') {
        let mut next = Vec::new();
        for value in current {
            match value.get(segment) {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(found) => next.push(found),
                None => {}
            }
        }
        current = next;
    }
    current
}

/// FHIR pattern matching: every property of `pattern` is in `value`, and
/// every item of a pattern array matches some item of the value's array.
pub fn contains(value: &Value, pattern: &Value) -> bool {
    match (value, pattern) {
        (Value::Object(value), Value::Object(pattern)) => pattern
            .iter()
            .all(|(key, p)| value.get(key).is_some_and(|v| contains(v, p))),
        (Value::Array(values), Value::Array(patterns)) => patterns
            .iter()
            .all(|p| values.iter().any(|v| contains(v, p))),
        (value, pattern) => value == pattern,
    }
}

/// The (system, code) pairs of a CodeableConcept, a Coding or a bare code.
fn codings(value: &Value) -> Vec<(Option<&str>, &str)> {
    if let Some(code) = value.as_str() {
        return vec![(None, code)];
    }
    fn one(c: &Value) -> Option<(Option<&str>, &str)> {
        Some((
            c.get("system").and_then(Value::as_str),
            c.get("code")?.as_str()?,
        ))
    }
    match value.get("coding").and_then(Value::as_array) {
        Some(list) => list.iter().filter_map(one).collect(),
        None => one(value).into_iter().collect(),
    }
}

// The FHIR issue types (`OperationOutcome.issue.code`) of this module's errors.
const REQUIRED: &str = "required";
const VALUE: &str = "value";
const STRUCTURE: &str = "structure";
const INVALID: &str = "invalid";
