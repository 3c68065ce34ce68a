//! A profile's rules as a table ([`ProfileRules`]), and the checker that runs
//! them over a resource's FHIR JSON: what `fhirgen validate` checks for any
//! package, with no generated crate. The generator builds the table from its
//! profile model (`fhirgen::rules`).
//!
//! Each rule means here what it means to the generated types: the checker
//! calls the same functions their reads call (pattern and fixed-value
//! matching, code membership, reference targets, slice counts) and gives the
//! same messages, issue types and FHIRPaths, so the two verdicts agree.

use std::sync::{Arc, OnceLock};

use jiter::JsonValue;

use crate::error::{IssueCode, REQUIRED_MISSING};
use crate::object::CODE_NEEDED;
use crate::path::{Node, Unresolvable, select};
use crate::profile::{
    code_not_in_message, contains, equal, get, has_code, no_code_message, pattern_message,
    reference_problem, slice_count_problem,
};

mod text;

/// The rules of one profile (or of a base resource type).
#[derive(Debug, Clone)]
pub struct ProfileRules {
    pub url: String,
    /// The resource type it constrains (`Patient`).
    pub resource_type: String,
    /// The root element (`Patient`), whose children are the resource's.
    pub root: ElementRule,
}

/// A rule table a generated crate embeds as text ([`ProfileRules::to_json`]),
/// read on first use.
pub struct EmbeddedRules {
    text: &'static str,
    /// The table of each profile a `profile` discriminator names.
    profiles: fn(&str) -> Option<Arc<ProfileRules>>,
    rules: OnceLock<Arc<ProfileRules>>,
}

impl EmbeddedRules {
    pub const fn new(text: &'static str, profiles: fn(&str) -> Option<Arc<ProfileRules>>) -> Self {
        Self {
            text,
            profiles,
            rules: OnceLock::new(),
        }
    }

    /// The table.
    pub fn get(&self) -> &Arc<ProfileRules> {
        self.rules.get_or_init(|| {
            let table = ProfileRules::from_json(self.text, &self.profiles)
                .unwrap_or_else(|e| panic!("a rule table the generator wrote does not read: {e}"));
            Arc::new(table)
        })
    }
}

/// The rules of one element.
#[derive(Debug, Clone, Default)]
pub struct ElementRule {
    /// The element id (`Observation.component:systolic.code`).
    pub id: String,
    /// The JSON name, without `[x]` (`value`).
    pub name: String,
    pub min: u32,
    /// A maximum tighter than the base's (`None`: the base's, which reading
    /// FHIR JSON as R4 checks).
    pub max: Option<u32>,
    /// Whether the element repeats (a JSON array) in the base.
    pub repeats: bool,
    /// For a choice element (`value[x]`): the type codes the profile allows.
    pub choice: Option<Vec<String>>,
    /// A fixed value (`exact`) or a pattern, as JSON.
    pub value: Option<ValueRule>,
    /// A required binding whose value set expands.
    pub codes: Option<CodeRule>,
    /// For a `Reference`: the resource types a literal reference may name
    /// (empty: any).
    pub targets: Vec<String>,
    pub children: Vec<ElementRule>,
    pub slicing: Option<SlicingRule>,
}

impl ElementRule {
    /// Whether it checks nothing: no count, type, value, code, target,
    /// slice or rule below it.
    pub fn is_empty(&self) -> bool {
        self.min == 0
            && self.max.is_none()
            && self.choice.is_none()
            && self.value.is_none()
            && self.codes.is_none()
            && self.targets.is_empty()
            && self.children.is_empty()
            && self.slicing.is_none()
    }
}

/// A fixed value or pattern.
#[derive(Debug, Clone)]
pub struct ValueRule {
    /// The JSON text, as messages show it.
    pub text: String,
    pub value: JsonValue<'static>,
    /// Fixed (equal) rather than a pattern (contains).
    pub exact: bool,
}

impl ValueRule {
    /// The rule of the JSON `text`; `None` when it is not JSON.
    pub fn new(text: String, exact: bool) -> Option<Self> {
        let value = JsonValue::parse(text.as_bytes(), false).ok()?.into_static();
        Some(Self { text, value, exact })
    }

    fn matches(&self, actual: &JsonValue<'_>) -> bool {
        if self.exact {
            equal(actual, &self.value)
        } else {
            contains(actual, &self.value)
        }
    }
}

/// A required binding: the codes of its value set.
#[derive(Debug, Clone)]
pub struct CodeRule {
    pub value_set: String,
    /// `(system, code)` pairs.
    pub codes: Vec<(String, String)>,
    /// Whether the element is a `code` (a string), not a `Coding` or
    /// `CodeableConcept`.
    pub is_code: bool,
}

/// The slices of a sliced element.
#[derive(Debug, Clone, Default)]
pub struct SlicingRule {
    /// Items in no slice are errors.
    pub closed: bool,
    /// Items in no slice may only follow the sliced ones (`openAtEnd`).
    pub open_at_end: bool,
    /// The items of each slice come before those of the slices after it.
    pub ordered: bool,
    pub slices: Vec<SliceRule>,
}

/// One slice: what routes an item to it, and the rules of its items.
#[derive(Debug, Clone)]
pub struct SliceRule {
    pub name: String,
    pub discriminators: Vec<Discriminator>,
    /// Its cardinality and the rules below it.
    pub element: ElementRule,
}

/// What one discriminator asks of an item, at a path below it (`$this`,
/// `url`, `coding.code`, `extension('url').value as boolean`,
/// `resolve()`: see [`crate::path`]).
#[derive(Debug, Clone)]
pub enum Discriminator {
    /// The value there equals (fixed) or contains (pattern) this one.
    Value { path: String, rule: ValueRule },
    /// The value there has one of these types: a choice's type, or a
    /// resource's type.
    Type { path: String, codes: Vec<String> },
    /// The value there conforms to one of these profiles (it meets their
    /// rules with no error).
    Profile {
        path: String,
        profiles: Vec<Arc<ProfileRules>>,
    },
    /// Something is (or is not) there.
    Exists { path: String, present: bool },
    /// A code there is one of these `(system, code)` pairs (slicing by a
    /// required binding).
    Codes {
        path: String,
        codes: Vec<(String, String)>,
    },
    /// What cannot be decided offline, and why: the slice's items are
    /// reported as not checkable, never guessed.
    Undecidable { path: String, reason: String },
}

impl Discriminator {
    /// Its path below the item.
    pub fn path(&self) -> &str {
        match self {
            Discriminator::Value { path, .. }
            | Discriminator::Type { path, .. }
            | Discriminator::Profile { path, .. }
            | Discriminator::Exists { path, .. }
            | Discriminator::Codes { path, .. }
            | Discriminator::Undecidable { path, .. } => path,
        }
    }

    /// The same test at another path (a test of a reference's target, at
    /// the path through `resolve()`).
    pub fn at(mut self, new_path: &str) -> Self {
        match &mut self {
            Discriminator::Value { path, .. }
            | Discriminator::Type { path, .. }
            | Discriminator::Profile { path, .. }
            | Discriminator::Exists { path, .. }
            | Discriminator::Codes { path, .. }
            | Discriminator::Undecidable { path, .. } => *path = new_path.to_owned(),
        }
        self
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// As `OperationOutcome.issue.severity` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One thing found: where (`Observation.component:diastolic`), its issue
/// type and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub path: String,
    pub code: IssueCode,
    pub message: String,
    /// What a lenient read of the generated types lets through as an issue
    /// (a code outside a required value set, a reference to another type).
    pub lenient: bool,
}

/// Checks `resource` (FHIR JSON, parsed) against `rules`: every finding, in
/// document order of the rules. `resolve()` in a discriminator finds the
/// resource's contained resources only.
pub fn check(rules: &ProfileRules, resource: &JsonValue<'_>) -> Vec<Finding> {
    check_resource(rules, resource, None)
}

/// [`check`] of a resource that is an entry of `bundle`: `resolve()` in a
/// discriminator also finds the Bundle's entries.
pub fn check_in_bundle<'a, 'j>(
    rules: &ProfileRules,
    resource: &'a JsonValue<'j>,
    bundle: &'a JsonValue<'j>,
) -> Vec<Finding> {
    check_resource(rules, resource, Some(bundle))
}

fn check_resource<'a, 'j>(
    rules: &ProfileRules,
    resource: &'a JsonValue<'j>,
    bundle: Option<&'a JsonValue<'j>>,
) -> Vec<Finding> {
    let mut checker = Checker {
        findings: Vec::new(),
        resource,
        bundle,
    };
    match get(resource, "resourceType") {
        Some(JsonValue::Str(t)) if *t == rules.resource_type => {
            checker.object(&rules.root, resource, &rules.resource_type);
        }
        _ => checker.error(
            rules.resource_type.clone(),
            IssueCode::Structure,
            format!("expected a resource of type {}", rules.resource_type),
        ),
    }
    checker.findings
}

/// Whether `value` (a resource, or a datatype for a datatype profile)
/// meets `rules` with no error: how a `profile` discriminator decides.
pub fn conforms(rules: &ProfileRules, value: &JsonValue<'_>) -> bool {
    let checker = Checker {
        findings: Vec::new(),
        resource: value,
        bundle: None,
    };
    checker.conforms(Node::new(value, None), rules)
}

/// [`check`] on FHIR JSON text.
pub fn check_json(rules: &ProfileRules, json: &[u8]) -> Vec<Finding> {
    match JsonValue::parse(crate::strip_bom(json), false) {
        Ok(resource) => check(rules, &resource),
        Err(error) => vec![Finding {
            severity: Severity::Error,
            path: rules.resource_type.clone(),
            code: IssueCode::Structure,
            message: format!("not JSON: {error}"),
            lenient: false,
        }],
    }
}

/// Checks FHIR JSON against each profile its `meta.profile` names that
/// `rules_for` has a table for (a generated crate's `rules::rules_for`):
/// the findings, and the profiles checked. Not JSON: one finding.
pub fn check_claimed(
    json: &[u8],
    rules_for: &dyn Fn(&str) -> Option<Arc<ProfileRules>>,
) -> (Vec<Finding>, Vec<String>) {
    // Read as every other entry point reads: any number R4 allows, the
    // same nesting limit.
    let tree = match crate::tree::Json::parse(json) {
        Ok(tree) => tree,
        Err(message) => {
            let finding = Finding {
                severity: Severity::Error,
                path: String::new(),
                code: IssueCode::Structure,
                message,
                lenient: false,
            };
            return (vec![finding], Vec::new());
        }
    };
    let resource = tree.to_value();
    let claimed = match get(&resource, "meta").and_then(|m| get(m, "profile")) {
        Some(JsonValue::Array(urls)) => urls.as_slice(),
        _ => &[],
    };
    let (mut findings, mut checked) = (Vec::new(), Vec::new());
    for url in claimed {
        if let JsonValue::Str(url) = url
            && let Some(rules) = rules_for(url)
        {
            findings.extend(check(&rules, &resource));
            checked.push(url.to_string());
        }
    }
    (findings, checked)
}

/// One occurrence of an element: its value and, for a choice, the type its
/// property names. A primitive given only by its `_name` part has no value.
#[derive(Clone, Copy)]
struct Item<'a, 'j> {
    value: Option<&'a JsonValue<'j>>,
    type_code: Option<&'a str>,
    /// For a choice, its JSON property (`valueQuantity`), which paths name.
    key: Option<&'a str>,
}

struct Checker<'a, 'j> {
    findings: Vec<Finding>,
    /// The resource checked, whose `contained` resources `#id` references
    /// name.
    resource: &'a JsonValue<'j>,
    /// The Bundle it is an entry of, if any.
    bundle: Option<&'a JsonValue<'j>>,
}

impl<'a, 'j> Checker<'a, 'j> {
    fn error(&mut self, path: String, code: IssueCode, message: String) {
        self.findings.push(Finding {
            severity: Severity::Error,
            path,
            code,
            message,
            lenient: false,
        });
    }

    /// An error a lenient read lets through as an issue.
    fn lenient_error(&mut self, path: String, code: IssueCode, message: String) {
        self.error(path, code, message);
        if let Some(last) = self.findings.last_mut() {
            last.lenient = true;
        }
    }

    fn object(&mut self, rule: &ElementRule, object: &'a JsonValue<'j>, path: &str) {
        for child in &rule.children {
            let items = items_of(object, child);
            self.items(child, &items, path);
        }
    }

    /// The items of `rule`'s element in the object at `parent`.
    fn items(&mut self, rule: &ElementRule, items: &[Item<'a, 'j>], parent: &str) {
        let path = &format!("{parent}.{}", rule.name);
        let count = items.len() as u32;
        if count < rule.min {
            self.error(
                path.to_owned(),
                IssueCode::Required,
                REQUIRED_MISSING.to_owned(),
            );
        }
        // A single element given as several (the base's maximum, where the
        // table keeps no tighter one).
        let max = rule.max.or((!rule.repeats).then_some(1));
        if let Some(max) = max.filter(|&max| count > max) {
            self.error(
                path.to_owned(),
                IssueCode::Invalid,
                format!("{count} items, at most {max} allowed"),
            );
        }
        let is_list = rule.repeats;
        let mut in_slice = vec![None; items.len()];
        if let Some(slicing) = &rule.slicing {
            let all: Vec<usize> = (0..items.len()).collect();
            self.slices(slicing, items, &all, path, &mut in_slice);
        }
        for (index, item) in items.iter().enumerate() {
            // As the generated types name them: an item of a slice by the
            // slice (`component:systolic`), a choice by its property.
            let item_path = match (&in_slice[index], item.key, is_list) {
                (Some(slices), _, _) => {
                    let last: &SliceRule = slices.last().expect("a slice path is never empty");
                    format!("{path}:{}", last.name)
                }
                (None, Some(key), _) => format!("{parent}.{key}"),
                (None, None, true) => format!("{path}[{index}]"),
                (None, None, false) => path.to_owned(),
            };
            self.item(rule, item, &item_path);
            // The rules of its slice, then of its reslice.
            for slice in in_slice[index].iter().flatten() {
                self.item(&slice.element, item, &item_path);
            }
        }
    }

    /// Routes the items at `members` (indexes into `items`) to the slices of
    /// `slicing`, recording in `in_slice` the slices each one is in (a
    /// reslice after its slice), then checks each slice's count and the
    /// slicing's rules (closed, open at end, ordered).
    fn slices<'r>(
        &mut self,
        slicing: &'r SlicingRule,
        items: &[Item<'a, 'j>],
        members: &[usize],
        path: &str,
        in_slice: &mut [Option<Vec<&'r SliceRule>>],
    ) {
        let mut slot: Vec<Option<usize>> = vec![None; members.len()];
        // Per slice: some item may be in it; per item: it may be in a slice.
        let mut undecidable = vec![false; slicing.slices.len()];
        let mut unplaced = vec![false; members.len()];
        for (position, &index) in members.iter().enumerate() {
            for (s, slice) in slicing.slices.iter().enumerate() {
                match self.matches(&items[index], &slice.discriminators) {
                    Some(true) => {
                        slot[position] = Some(s);
                        break;
                    }
                    Some(false) => {}
                    None => {
                        undecidable[s] = true;
                        unplaced[position] = true;
                    }
                }
            }
        }
        for (s, slice) in slicing.slices.iter().enumerate() {
            let count = slot.iter().filter(|&&x| x == Some(s)).count() as u32;
            let name = format!("{path}:{}", slice.name);
            if undecidable[s] {
                if count < slice.element.min {
                    let reason = slice
                        .discriminators
                        .iter()
                        .find_map(|d| match d {
                            Discriminator::Undecidable { reason, .. } => Some(reason.as_str()),
                            _ => None,
                        })
                        .unwrap_or(
                            "a reference that resolves to nothing in this resource or its Bundle",
                        );
                    self.findings.push(Finding {
                        severity: Severity::Warning,
                        path: name,
                        code: IssueCode::Informational,
                        message: format!(
                            "not checkable: which items belong to this slice cannot be told ({reason})"
                        ),
                        lenient: false,
                    });
                }
            } else {
                let (min, max) = (slice.element.min, slice.element.max);
                if let Some(problem) = slice_count_problem(String::new, min, max, count) {
                    self.error(name, problem.code, problem.message);
                }
            }
        }
        let element = path.rsplit('.').next().unwrap_or(path);
        let mut sliced_seen: Option<usize> = None;
        for (position, &index) in members.iter().enumerate() {
            match slot[position] {
                // An item whose slice cannot be told is not known to be in none.
                None if unplaced[position] => {}
                None if slicing.closed => self.error(
                    format!("{path}[{index}]"),
                    IssueCode::Invalid,
                    format!(
                        "item {index} matches none of the slices of `{element}`, and the slicing is closed"
                    ),
                ),
                None => {}
                Some(s) => {
                    if slicing.open_at_end
                        && (0..position).any(|p| slot[p].is_none() && !unplaced[p])
                    {
                        self.error(
                            format!("{path}[{index}]"),
                            IssueCode::Invalid,
                            format!(
                                "item {index} is in slice `{}` after an item in no slice; the slicing of `{element}` is open at the end only",
                                slicing.slices[s].name
                            ),
                        );
                    }
                    if let Some(before) = sliced_seen.filter(|&b| slicing.ordered && b > s) {
                        self.error(
                            format!("{path}[{index}]"),
                            IssueCode::Invalid,
                            format!(
                                "item {index} is in slice `{}` after an item in slice `{}`; the slicing of `{element}` is ordered",
                                slicing.slices[s].name, slicing.slices[before].name
                            ),
                        );
                    }
                    sliced_seen = sliced_seen.max(Some(s));
                    in_slice[index].get_or_insert_with(Vec::new).push(&slicing.slices[s]);
                }
            }
        }
        // Reslicing: a slice's own slices share out its items.
        for (s, slice) in slicing.slices.iter().enumerate() {
            if let Some(reslicing) = &slice.element.slicing {
                let inner: Vec<usize> = members
                    .iter()
                    .zip(&slot)
                    .filter(|(_, x)| **x == Some(s))
                    .map(|(&index, _)| index)
                    .collect();
                self.slices(reslicing, items, &inner, path, in_slice);
            }
        }
    }

    /// The rules of one item: choice type, fixed value or pattern, required
    /// codes, reference targets, then its children.
    fn item(&mut self, rule: &ElementRule, item: &Item<'a, 'j>, path: &str) {
        if let (Some(allowed), Some(code)) = (&rule.choice, item.type_code)
            && !allowed.iter().any(|t| t.eq_ignore_ascii_case(code))
        {
            self.error(
                path.to_owned(),
                IssueCode::Structure,
                format!(
                    "type {code} is not allowed here (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
        let Some(value) = item.value else {
            if rule.codes.as_ref().is_some_and(|c| c.is_code) {
                self.error(path.to_owned(), IssueCode::Required, CODE_NEEDED.to_owned());
            }
            return;
        };
        if let Some(value_rule) = &rule.value
            && !value_rule.matches(value)
        {
            let message = pattern_message(&value_rule.text, value_rule.exact);
            self.error(path.to_owned(), IssueCode::Value, message);
        }
        if let Some(codes) = &rule.codes {
            let message = match value {
                JsonValue::Str(code)
                    if codes.is_code && !codes.codes.iter().any(|(_, c)| c == code.as_ref()) =>
                {
                    Some(code_not_in_message(code, &codes.value_set))
                }
                JsonValue::Object(_) if !codes.is_code && !has_code(value, &codes.codes) => {
                    Some(no_code_message(&codes.value_set))
                }
                _ => None,
            };
            if let Some(message) = message {
                self.lenient_error(path.to_owned(), IssueCode::CodeInvalid, message);
            }
        }
        if !rule.targets.is_empty()
            && let Some(JsonValue::Str(reference)) = get(value, "reference")
            && let Some(message) = reference_problem(reference, &rule.targets)
        {
            self.lenient_error(format!("{path}.reference"), IssueCode::Invalid, message);
        }
        if matches!(value, JsonValue::Object(_)) {
            self.object(rule, value, path);
        }
    }

    /// The resource a literal reference points to: a contained one (`#id`),
    /// or an entry of the Bundle by its `fullUrl` or its type and id.
    fn resolve(&self, reference: &str) -> Option<&'a JsonValue<'j>> {
        let id_of = |r: &JsonValue<'_>| match get(r, "id") {
            Some(JsonValue::Str(id)) => Some(id.to_string()),
            _ => None,
        };
        if let Some(id) = reference.strip_prefix('#') {
            return list(self.resource, "contained").find(|r| id_of(r).as_deref() == Some(id));
        }
        let reference = reference
            .split_once("/_history/")
            .map_or(reference, |(r, _)| r);
        let relative = reference
            .rsplit_once('/')
            .filter(|_| !reference.contains(':'));
        list(self.bundle?, "entry").find_map(|entry| {
            let resource = get(entry, "resource")?;
            let by_url = matches!(get(entry, "fullUrl"), Some(JsonValue::Str(u)) if u == reference);
            let by_type_and_id = relative.is_some_and(|(type_, id)| {
                matches!(get(resource, "resourceType"), Some(JsonValue::Str(t)) if t == type_)
                    && id_of(resource).as_deref() == Some(id)
            });
            (by_url || by_type_and_id).then_some(resource)
        })
    }

    /// Whether an item meets every discriminator; `None` when that cannot be
    /// told offline.
    fn matches(&self, item: &Item<'a, 'j>, discriminators: &[Discriminator]) -> Option<bool> {
        let Some(value) = item.value else {
            return Some(false);
        };
        let start = Node::new(value, item.type_code);
        let mut undecided = false;
        for discriminator in discriminators {
            match self.meets(start, discriminator) {
                Some(false) => return Some(false),
                Some(true) => {}
                None => undecided = true,
            }
        }
        (!undecided).then_some(true)
    }

    fn meets(&self, start: Node<'a, 'j>, discriminator: &Discriminator) -> Option<bool> {
        if matches!(discriminator, Discriminator::Undecidable { .. }) {
            return None;
        }
        let steps = crate::path::parse(discriminator.path()).ok()?;
        let nodes = match select(start, &steps, &|r| self.resolve(r)) {
            Ok(nodes) => nodes,
            Err(Unresolvable) => return None,
        };
        Some(match discriminator {
            Discriminator::Value { rule, .. } => nodes.iter().any(|n| rule.matches(n.value)),
            Discriminator::Exists { present, .. } => nodes.is_empty() != *present,
            Discriminator::Codes { codes, .. } => nodes.iter().any(|n| has_code(n.value, codes)),
            Discriminator::Type { codes, .. } => {
                let of_type = |t: &str| codes.iter().any(|c| c.eq_ignore_ascii_case(t));
                if nodes.iter().any(|n| n.type_code.is_some_and(of_type)) {
                    true
                } else if nodes.iter().any(|n| n.type_code.is_none()) {
                    // The JSON does not tell this value's type.
                    return None;
                } else {
                    false
                }
            }
            Discriminator::Profile { profiles, .. } => nodes
                .iter()
                .any(|&n| profiles.iter().any(|p| self.conforms(n, p))),
            Discriminator::Undecidable { .. } => unreachable!("returned above"),
        })
    }

    /// Whether `node` meets `rules` with no error: a resource checked as one
    /// (its contained resources its own), a datatype by the root's rules.
    fn conforms(&self, node: Node<'a, 'j>, rules: &ProfileRules) -> bool {
        let is_resource = get(node.value, "resourceType").is_some();
        let mut checker = Checker {
            findings: Vec::new(),
            resource: if is_resource {
                node.value
            } else {
                self.resource
            },
            bundle: self.bundle,
        };
        if is_resource {
            if node.type_code != Some(rules.resource_type.as_str()) {
                return false;
            }
            checker.object(&rules.root, node.value, &rules.resource_type);
        } else {
            let item = Item {
                value: Some(node.value),
                type_code: node.type_code,
                key: None,
            };
            checker.item(&rules.root, &item, &rules.resource_type);
        }
        !checker
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error)
    }
}

/// The items of the array property `key` of `value`.
fn list<'a, 'j>(value: &'a JsonValue<'j>, key: &str) -> impl Iterator<Item = &'a JsonValue<'j>> {
    let items = match get(value, key) {
        Some(JsonValue::Array(items)) => items.as_slice(),
        _ => &[],
    };
    items.iter()
}

/// The occurrences of `rule`'s element in `object`: one per array item; for
/// a choice, the property whose name adds the type (`valueQuantity`).
fn items_of<'a, 'j>(object: &'a JsonValue<'j>, rule: &ElementRule) -> Vec<Item<'a, 'j>> {
    let JsonValue::Object(properties) = object else {
        return Vec::new();
    };
    if rule.choice.is_some() {
        let mut items = Vec::new();
        for (key, value) in properties.iter() {
            let suffix = key
                .strip_prefix(rule.name.as_str())
                .or_else(|| {
                    key.strip_prefix('_')
                        .and_then(|k| k.strip_prefix(rule.name.as_str()))
                })
                .filter(|s| s.starts_with(|c: char| c.is_ascii_uppercase()));
            if let Some(suffix) = suffix {
                let is_element = key.starts_with('_');
                // A primitive's `_name` part counts only when its value is absent.
                if is_element && get(object, &key[1..]).is_some() {
                    continue;
                }
                items.push(Item {
                    value: (!is_element).then_some(value),
                    type_code: Some(suffix),
                    key: Some(key.trim_start_matches('_')),
                });
            }
        }
        return items;
    }
    let value = get(object, &rule.name);
    let element = properties
        .iter()
        .find(|(k, _)| k.strip_prefix('_') == Some(rule.name.as_str()))
        .map(|(_, v)| v);
    match (value, element) {
        (None, None) => Vec::new(),
        (Some(JsonValue::Array(values)), _) => {
            let elements = match element {
                Some(JsonValue::Array(e)) => e.len(),
                _ => 0,
            };
            let length = values.len().max(elements);
            (0..length)
                .map(|i| Item {
                    value: values.get(i).filter(|v| !matches!(v, JsonValue::Null)),
                    type_code: None,
                    key: None,
                })
                .collect()
        }
        (None, Some(JsonValue::Array(elements))) => (0..elements.len())
            .map(|_| Item {
                value: None,
                type_code: None,
                key: None,
            })
            .collect(),
        (value, _) => vec![Item {
            value,
            type_code: None,
            key: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(name: &str, min: u32, max: Option<u32>) -> ElementRule {
        ElementRule {
            id: format!("Observation.{name}"),
            name: name.to_owned(),
            min,
            max,
            repeats: max != Some(1),
            ..ElementRule::default()
        }
    }

    /// An Observation whose `component` has a required `systolic` slice told
    /// by its code, whose `value[x]` must be a Quantity, and whose `subject`
    /// must be a Patient.
    fn rules() -> ProfileRules {
        let code = ValueRule::new(r#"{"coding":[{"code":"8480-6"}]}"#.to_owned(), false).unwrap();
        let mut value = element("value", 1, Some(1));
        value.choice = Some(vec!["Quantity".to_owned()]);
        let mut systolic = element("component", 1, Some(1));
        systolic.children = vec![value];
        let mut component = element("component", 0, None);
        component.slicing = Some(SlicingRule {
            slices: vec![SliceRule {
                name: "systolic".to_owned(),
                discriminators: vec![Discriminator::Value {
                    path: "code".to_owned(),
                    rule: code,
                }],
                element: systolic,
            }],
            ..SlicingRule::default()
        });
        let mut subject = element("subject", 1, Some(1));
        subject.targets = vec!["Patient".to_owned()];
        let mut status = element("status", 1, Some(1));
        status.codes = Some(CodeRule {
            value_set: "vs".to_owned(),
            codes: vec![("s".to_owned(), "final".to_owned())],
            is_code: true,
        });
        let mut root = element("Observation", 0, Some(1));
        root.children = vec![status, subject, component];
        ProfileRules {
            url: "https://example.org/bp".to_owned(),
            resource_type: "Observation".to_owned(),
            root,
        }
    }

    fn found(json: &str) -> Vec<String> {
        check_json(&rules(), json.as_bytes())
            .into_iter()
            .map(|f| format!("{} [{}] {}", f.path, f.code.as_str(), f.message))
            .collect()
    }

    #[test]
    fn a_conformant_resource_has_no_findings() {
        let json = r#"{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/1"},
            "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":1}}]}"#;
        assert_eq!(found(json), Vec::<String>::new());
    }

    #[test]
    fn each_rule_is_reported_where_the_generated_types_report_it() {
        let json = r#"{"resourceType":"Observation","status":"amended","subject":{"reference":"Device/1"},
            "component":[{"code":{"coding":[{"code":"8480-6"}]},"valueString":"high"}]}"#;
        assert_eq!(
            found(json),
            [
                "Observation.status [code-invalid] code `amended` is not in the required value set vs",
                "Observation.subject.reference [invalid] `Device/1` refers to a Device; the profile allows Patient",
                "Observation.component:systolic.valueString [structure] type String is not allowed here (allowed: Quantity)",
            ]
        );
        let json = r#"{"resourceType":"Observation","subject":{"reference":"Patient/1"}}"#;
        assert_eq!(
            found(json),
            [
                "Observation.status [required] required element is missing",
                "Observation.component:systolic [required] required slice is missing (min 1)",
            ]
        );
        assert_eq!(
            found(r#"{"resourceType":"Patient"}"#),
            ["Observation [structure] expected a resource of type Observation"]
        );
    }
}
