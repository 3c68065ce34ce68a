//! Checking FHIR constraints (invariants) on a resource read as JSON.
//!
//! [`Invariants`] holds parsed constraints by the table they come from: a
//! type's own StructureDefinition (`Patient`, `Period`, applying wherever an
//! element has that type) or a profile (by URL, applying to the resources
//! that claim it). [`Invariants::check`] walks the resource once and
//! evaluates at each element the constraints whose path is that element's:
//! those of the resource's type and profiles at their paths, those of the
//! element's datatype at its root. A constraint holds only when it
//! evaluates to `true`; one that needs what the program lacks (a
//! terminology service) is reported once as information.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use fhirgen_fhirpath::{Environment, Expression, Item};

use crate::fhirpath::{Element, FhirJson, Terminology};
use crate::shape::Shapes;
use crate::tree::Json;

/// How a failed constraint is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One constraint, parsed.
#[derive(Clone, Debug)]
pub struct Invariant {
    pub key: String,
    pub severity: Severity,
    pub human: String,
    /// The element it sits on, relative to the table's type (`""` for the
    /// root, `contact`, `value` for `value[x]`).
    pub path: String,
    /// It comes from DomainResource (`dom-2`..`dom-6`): about a resource's
    /// own contained resources, and its narrative, which a contained
    /// resource does not have (DomainResource.text); not checked on a
    /// contained resource itself.
    pub domain_resource: bool,
    /// For a slice's constraint: the condition an item meets to be in the
    /// slice; other items are not checked.
    pub slice: Option<Expression<'static>>,
    pub expression: Expression<'static>,
}

/// What a check found at one element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub key: String,
    /// `Error`/`Warning` for a constraint that failed; `None` for one that
    /// could not be evaluated here (information).
    pub severity: Option<Severity>,
    /// Where, as a FHIRPath (`Patient.contact[0]`).
    pub path: String,
    pub message: String,
}

/// Constraints by table: a type name or a profile URL.
#[derive(Default)]
pub struct Invariants {
    tables: HashMap<String, Table>,
}

/// One table's constraints, indexed by the element they sit on.
struct Table {
    invariants: Vec<Invariant>,
    /// Element path -> the constraints on it.
    at: HashMap<String, Vec<usize>>,
    /// Every element path with a constraint on it or below it.
    reaches: HashSet<String>,
}

impl Table {
    fn new(invariants: Vec<Invariant>) -> Self {
        let mut at: HashMap<String, Vec<usize>> = HashMap::new();
        let mut reaches = HashSet::new();
        for (index, invariant) in invariants.iter().enumerate() {
            at.entry(invariant.path.clone()).or_default().push(index);
            let mut path = invariant.path.as_str();
            loop {
                reaches.insert(path.to_owned());
                match path.rsplit_once('.') {
                    Some((parent, _)) => path = parent,
                    None if !path.is_empty() => path = "",
                    None => break,
                }
            }
        }
        Table {
            invariants,
            at,
            reaches,
        }
    }

    /// The constraints on the element at `path`.
    fn on(&self, path: &str) -> impl Iterator<Item = &Invariant> {
        self.at
            .get(path)
            .into_iter()
            .flatten()
            .map(|&i| &self.invariants[i])
    }
}

/// One table applying at an element, and the element's path within it.
#[derive(Clone)]
struct Context<'i> {
    table: &'i Table,
    path: String,
}

impl Invariants {
    pub fn new() -> Self {
        Invariants::default()
    }

    /// Adds the constraints of a type (`Patient`, `Period`) or a profile URL.
    pub fn insert(&mut self, table: &str, invariants: Vec<Invariant>) {
        self.tables.insert(table.to_owned(), Table::new(invariants));
    }

    /// Whether the table is there.
    pub fn has(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// Checks `resource` (inside `root`, the document references resolve
    /// in: a Bundle, or the resource itself) against its type's constraints
    /// and `profiles`' (URLs of tables); `terminology` answers `memberOf()`.
    /// Resources inside it
    /// (`contained`) are checked against their own types'; the entries of a
    /// Bundle are not entered (each is checked on its own).
    pub fn check(
        &self,
        shapes: &Shapes,
        root: &Json,
        resource: &Json,
        profiles: &[&str],
        terminology: Option<&dyn Terminology>,
    ) -> Vec<Finding> {
        let mut model = FhirJson::within(shapes, root);
        if let Some(terminology) = terminology {
            model = model.with_terminology(terminology);
        }
        let Some(element) = model.element(resource) else {
            return Vec::new();
        };
        let mut contexts = Vec::new();
        if let Some(table) = self.tables.get(model_type(&model, &element)) {
            contexts.push(Context {
                table,
                path: String::new(),
            });
        }
        for profile in profiles {
            if let Some(table) = self.tables.get(*profile) {
                contexts.push(Context {
                    table,
                    path: String::new(),
                });
            }
        }
        // One environment for the walk: the checker has judged every name
        // against the element model; at run time a name a resource's actual
        // type lacks (`contained` of a Binary `%rootResource`) is empty, not an
        // error.
        let mut environment = Environment::new(&model);
        environment.strict = false;
        environment.set_variable("rootResource", vec![Item::Node(element.clone())]);
        let mut walk = Walk {
            invariants: self,
            model: &model,
            environment,
            resource: None,
            path: String::new(),
            findings: Vec::new(),
            unsupported: HashSet::new(),
        };
        walk.path.push_str(model_type(&model, &element));
        walk.element(&element, &element, contexts, true, None);
        walk.findings
    }
}

fn model_type<'m>(model: &'m FhirJson<'_>, element: &'m Element<'_>) -> &'m str {
    use fhirgen_fhirpath::Model;
    model.type_name(element)
}

struct Walk<'w, 'a> {
    invariants: &'w Invariants,
    model: &'w FhirJson<'a>,
    /// `%rootResource` is the resource checked (a Bundle entry's resource is
    /// its own root), `%resource` the one an element is in (itself or
    /// contained).
    environment: Environment<'w, FhirJson<'a>>,
    /// The JSON of the resource `%resource` is now set to.
    resource: Option<&'a Json>,
    /// Where the walk is, as a FHIRPath (`Patient.name[0]`): written out
    /// only for a finding.
    path: String,
    findings: Vec<Finding>,
    /// Constraints already reported as not evaluable.
    unsupported: HashSet<String>,
}

impl<'w, 'a> Walk<'w, 'a> {
    /// Checks `node` and walks its children; `skip` names a child not to
    /// enter (a Bundle entry's `resource`, checked on its own).
    fn element(
        &mut self,
        node: &Element<'a>,
        resource: &Element<'a>,
        contexts: Vec<Context<'w>>,
        top: bool,
        skip: Option<&str>,
    ) {
        let mut done: Vec<&str> = Vec::new();
        let contained = self.model.is_resource(node) && !top;
        for context in &contexts {
            for invariant in context
                .table
                .on(&context.path)
                .filter(|i| !(contained && i.domain_resource))
            {
                if !done.contains(&invariant.key.as_str()) {
                    done.push(&invariant.key);
                    self.evaluate(invariant, node, resource);
                }
            }
        }
        let bundle = top && model_type(self.model, node) == "Bundle";
        for (name, repeats, children) in self.model.named_children(node) {
            if skip == Some(name) {
                continue;
            }
            for (index, child) in children.iter().enumerate() {
                let mark = self.path.len();
                self.path.push('.');
                self.path.push_str(name);
                if repeats {
                    let _ = write!(self.path, "[{index}]");
                }
                if bundle && name == "entry" {
                    let inner = self.child_contexts(child, name, &contexts);
                    self.element(child, resource, inner, false, Some("resource"));
                } else {
                    self.child(child, name, resource, &contexts);
                }
                self.path.truncate(mark);
            }
        }
    }

    fn child_contexts(
        &self,
        child: &Element<'a>,
        name: &str,
        contexts: &[Context<'w>],
    ) -> Vec<Context<'w>> {
        let mut inner: Vec<Context<'w>> = contexts
            .iter()
            .map(|c| Context {
                table: c.table,
                path: if c.path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{}.{name}", c.path)
                },
            })
            .filter(|c| c.table.reaches.contains(&c.path))
            .collect();
        // The element's datatype brings its own constraints (`Period`'s per-1).
        if let Some(table) = self.invariants.tables.get(model_type(self.model, child)) {
            inner.push(Context {
                table,
                path: String::new(),
            });
        }
        inner
    }

    fn child(
        &mut self,
        child: &Element<'a>,
        name: &str,
        resource: &Element<'a>,
        contexts: &[Context<'w>],
    ) {
        if self.model.is_resource(child) {
            // A contained resource: its own type's constraints, with itself as %resource.
            let contexts: Vec<Context<'w>> = self
                .invariants
                .tables
                .get(model_type(self.model, child))
                .map(|table| Context {
                    table,
                    path: String::new(),
                })
                .into_iter()
                .collect();
            self.element(child, child, contexts, false, None);
            return;
        }
        let inner = self.child_contexts(child, name, contexts);
        self.element(child, resource, inner, false, None);
    }

    fn evaluate(&mut self, invariant: &Invariant, node: &Element<'a>, resource: &Element<'a>) {
        let json = resource.json();
        let same = match (self.resource, json) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        if !same {
            self.resource = json;
            self.environment
                .set_variable("resource", vec![Item::Node(resource.clone())]);
        }
        let environment = &self.environment;
        if let Some(slice) = &invariant.slice
            && !matches!(
                environment.check(slice, vec![Item::Node(node.clone())]),
                Ok(true)
            )
        {
            return;
        }
        match environment.check(&invariant.expression, vec![Item::Node(node.clone())]) {
            Ok(true) => {}
            Ok(false) => self.findings.push(Finding {
                key: invariant.key.clone(),
                severity: Some(invariant.severity),
                path: self.path.clone(),
                message: format!("{}: {}", invariant.key, invariant.human),
            }),
            Err(e) if e.unsupported => {
                if self.unsupported.insert(invariant.key.clone()) {
                    self.findings.push(Finding {
                        key: invariant.key.clone(),
                        severity: None,
                        path: self.path.clone(),
                        message: format!("{}: not checked: {}", invariant.key, e.message),
                    });
                }
            }
            Err(e) => self.findings.push(Finding {
                key: invariant.key.clone(),
                severity: Some(invariant.severity),
                path: self.path.clone(),
                message: format!(
                    "{}: {} (the constraint fails to evaluate: {})",
                    invariant.key, invariant.human, e.message
                ),
            }),
        }
    }
}
