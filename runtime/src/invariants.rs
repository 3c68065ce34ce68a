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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use fhirgen_fhirpath::{Environment, Expression, Model, Predicate};
use smallvec::SmallVec;

use crate::error::{Error, Issue, IssueCode};
use crate::fhirpath::{Element, FhirJson, Terminology};
use crate::object::Object;
use crate::primitive::Kind;
use crate::shape::Shapes;
use crate::tree::Json;
use crate::typed::{Node, TypeBases, TypeIndex, Typed};

/// How a failed constraint is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// Which constraints a check evaluates: those whose failures its caller
/// keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// Those of severity error: a strict read fails on the first that
    /// fails and drops the rest ([`strict`]), so the others (warnings,
    /// best practices) are not evaluated.
    Errors,
    /// Every constraint, with a note for each that cannot be evaluated
    /// here.
    All,
}

/// A constraint: its key, severity, words and expression.
#[derive(Clone, Debug)]
pub struct Rule {
    pub key: Cow<'static, str>,
    pub severity: Severity,
    pub human: Cow<'static, str>,
    pub expression: Expression<'static>,
}

/// One constraint where it applies, parsed.
#[derive(Clone, Debug)]
pub struct Invariant {
    pub rule: Rule,
    /// The element it sits on, relative to the table's type (`""` for the
    /// root, `contact`, `value` for `value[x]`).
    pub path: Cow<'static, str>,
    /// It comes from DomainResource (`dom-2`..`dom-6`): about a resource's
    /// own contained resources, and its narrative, which a contained
    /// resource does not have (DomainResource.text); not checked on a
    /// contained resource itself.
    pub domain_resource: bool,
    /// For a slice's constraint: the condition an item meets to be in the
    /// slice; other items are not checked.
    pub slice: Option<Expression<'static>>,
}

/// What a check found at one element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The constraint's key; empty for a rule of the resource that is not
    /// a constraint (a Bundle entry's `fullUrl`, bundle.html) and for a
    /// note.
    pub key: String,
    /// `Error`/`Warning` for a constraint that failed; `None` for one that
    /// could not be evaluated here (information).
    pub severity: Option<Severity>,
    /// Where, as a FHIRPath (`Patient.contact[0]`).
    pub path: String,
    pub message: String,
}

/// Where the walk finds tables: by type name (`Period`) or profile URL.
pub trait Tables {
    fn table(&self, name: &str) -> Option<&Table>;

    /// Whether a primitive type (`string`, `code`...) has constraints: if
    /// not, the walk need not look at a primitive with no `id` or extension
    /// unless a table names the element it is.
    fn checks_primitives(&self) -> bool {
        has_primitive_tables(self)
    }

    /// Whether no table applies at or below an element of type `type_name`
    /// (`Coding`, `Meta`) when the document holds no extension: neither the
    /// type nor any type its elements hold, at any depth, has a table of its
    /// own (an extension's value could be of any type). The walk need not
    /// enter such an element unless a table names a path at or below it.
    /// False unless the tables know.
    fn quiet(&self, type_name: &str) -> bool {
        let _ = type_name;
        false
    }

    /// The table of the type `name` and whether the type is quiet: what the
    /// walk asks of each type it meets.
    fn type_entry(&self, name: &str) -> (Option<&Table>, bool) {
        (self.table(name), self.quiet(name))
    }
}

/// Whether any primitive type has a table with something to check.
fn has_primitive_tables<T: Tables + ?Sized>(tables: &T) -> bool {
    Kind::ALL.iter().any(|kind| {
        tables
            .table(kind.type_code())
            .is_some_and(|table| table.root().is_some())
    })
}

impl Finding {
    /// Whether it is about a constraint (it has a key).
    pub fn is_constraint(&self) -> bool {
        !self.key.is_empty()
    }

    /// The finding as an error or issue (`code`: invariant for a
    /// constraint, invalid for another rule of the resource (a Bundle
    /// entry's `fullUrl`), informational for a constraint that could not be
    /// evaluated).
    pub fn to_issue(&self) -> Issue {
        let code = match self.severity {
            Some(_) if self.is_constraint() => IssueCode::Invariant,
            Some(_) => IssueCode::Invalid,
            None => IssueCode::Informational,
        };
        Error::new(self.path.clone(), self.message.clone()).with_code(code)
    }
}

/// For a strict read: the first constraint of severity error that fails,
/// as the read's error (warnings and notes are not an error; see
/// [`lenient`]).
pub fn strict(findings: Vec<Finding>) -> Result<(), Error> {
    match findings
        .iter()
        .find(|f| f.severity == Some(Severity::Error))
    {
        Some(finding) => Err(finding.to_issue()),
        None => Ok(()),
    }
}

/// For a lenient read: a failed constraint of severity error is the read's
/// error, as in a strict read; warnings and notes become issues.
pub fn lenient(findings: Vec<Finding>, issues: &mut Vec<Issue>) -> Result<(), Error> {
    if let Some(finding) = findings
        .iter()
        .find(|f| f.severity == Some(Severity::Error))
    {
        return Err(finding.to_issue());
    }
    issues.extend(findings.iter().map(Finding::to_issue));
    Ok(())
}

/// Constraints by table: a type name or a profile URL, built at run time
/// (`fhirgen validate` reads them from the packages).
#[derive(Clone, Default)]
pub struct Invariants {
    tables: HashMap<String, Table>,
}

/// One table's constraints, indexed by the element they sit on.
#[derive(Clone)]
pub struct Table {
    invariants: Vec<Invariant>,
    /// By invariant: its expression and its slice's condition, compiled.
    compiled: Vec<Compiled>,
    /// The number of the root's path, if anything is checked.
    root: Option<u32>,
    /// By path number: the path, and the constraints on that element.
    at: Vec<(String, Vec<usize>)>,
    /// By path number: the elements below it that are paths too, by name
    /// (what a walk looks up at each child).
    below: Vec<Vec<(String, u32)>>,
}

impl Table {
    pub fn new(invariants: Vec<Invariant>) -> Self {
        // Every element path with a constraint on it or below it, numbered.
        let mut paths: HashMap<String, u32> = HashMap::new();
        let mut at: Vec<(String, Vec<usize>)> = Vec::new();
        for (index, invariant) in invariants.iter().enumerate() {
            let mut path = invariant.path.as_ref();
            let mut own = true;
            loop {
                let next = paths.len() as u32;
                let id = *paths.entry(path.to_owned()).or_insert(next);
                if id as usize == at.len() {
                    at.push((path.to_owned(), Vec::new()));
                }
                if own {
                    at[id as usize].1.push(index);
                    own = false;
                }
                match path.rsplit_once('.') {
                    Some((parent, _)) => path = parent,
                    None if !path.is_empty() => path = "",
                    None => break,
                }
            }
        }
        let mut below = vec![Vec::new(); at.len()];
        for (id, (path, _)) in at.iter().enumerate() {
            let (parent, name) = match path.rsplit_once('.') {
                Some((parent, name)) => (parent, name),
                None if !path.is_empty() => ("", path.as_str()),
                None => continue,
            };
            if let Some(&parent) = paths.get(parent) {
                below[parent as usize].push((name.to_owned(), id as u32));
            }
        }
        let compiled = invariants
            .iter()
            .map(|i| Compiled {
                rule: Predicate::compile(&i.rule.expression),
                slice: i.slice.as_ref().map(Predicate::compile),
            })
            .collect();
        Table {
            invariants,
            compiled,
            root: paths.get("").copied(),
            at,
            below,
        }
    }

    /// The number of the root's path, if anything is checked.
    fn root(&self) -> Option<u32> {
        self.root
    }

    /// The constraints on the element numbered `path`.
    fn on(&self, path: u32) -> impl Iterator<Item = (&Invariant, &Compiled)> {
        self.at[path as usize]
            .1
            .iter()
            .map(|&i| (&self.invariants[i], &self.compiled[i]))
    }
}

/// An invariant's expressions compiled (see [`Predicate`]).
#[derive(Clone)]
struct Compiled {
    rule: Predicate,
    slice: Option<Predicate>,
}

/// A table written out by the generator: built into its index on first use.
pub struct StaticTable {
    invariants: &'static [Invariant],
    table: OnceLock<Table>,
}

impl StaticTable {
    pub const fn new(invariants: &'static [Invariant]) -> Self {
        StaticTable {
            invariants,
            table: OnceLock::new(),
        }
    }

    pub fn get(&self) -> &Table {
        self.table
            .get_or_init(|| Table::new(self.invariants.to_vec()))
    }
}

/// The constraint tables and type hierarchy of a generated crate: its own
/// tables (by type name or profile URL) and those of the crate it builds on.
pub struct Catalog {
    tables: fn(&str) -> Option<&'static StaticTable>,
    bases: &'static TypeBases,
    /// The types [`Tables::quiet`] answers true for, sorted.
    quiet: &'static [&'static str],
    /// Each type's table and whether it is quiet, by name, gathered on
    /// first use: the walk asks for both for each type it meets.
    types: OnceLock<TypeEntries>,
    index: OnceLock<TypeIndex>,
    base: Option<&'static Catalog>,
    /// What [`Tables::checks_primitives`] answers, found on first use.
    checks_primitives: OnceLock<bool>,
}

impl Catalog {
    /// A crate of base types: its tables, its type hierarchy and the types
    /// no table applies below when there is no extension (see
    /// [`Tables::quiet`]; sorted).
    pub const fn new(
        tables: fn(&str) -> Option<&'static StaticTable>,
        bases: &'static TypeBases,
        quiet: &'static [&'static str],
    ) -> Self {
        Catalog {
            tables,
            bases,
            quiet,
            types: OnceLock::new(),
            index: OnceLock::new(),
            base: None,
            checks_primitives: OnceLock::new(),
        }
    }

    /// A crate of profiles over the crate `base` describes. Its tables are
    /// by profile URL only (a type's table is in the crate of the type):
    /// what is quiet in the base stays so.
    pub const fn over(
        tables: fn(&str) -> Option<&'static StaticTable>,
        base: &'static Catalog,
    ) -> Self {
        Catalog {
            tables,
            bases: base.bases,
            quiet: base.quiet,
            types: OnceLock::new(),
            index: OnceLock::new(),
            base: Some(base),
            checks_primitives: OnceLock::new(),
        }
    }

    /// Each type's table (as [`Catalog::table_of`] finds it) and whether
    /// it is quiet.
    fn types(&self) -> &TypeEntries {
        self.types.get_or_init(|| {
            self.bases
                .iter()
                .map(|&(name, _)| {
                    let quiet = self.quiet.binary_search(&name).is_ok();
                    (name, (self.table_of(name), quiet))
                })
                .collect()
        })
    }

    /// The table named `name` (a type or profile URL), this crate's or its
    /// base's, not yet built.
    fn table_of(&self, name: &str) -> Option<&'static StaticTable> {
        (self.tables)(name).or_else(|| self.base?.table_of(name))
    }

    /// The type hierarchy, by type name.
    pub fn bases(&self) -> &TypeIndex {
        match self.base {
            Some(base) => base.bases(),
            None => self
                .index
                .get_or_init(|| self.bases.iter().copied().collect()),
        }
    }
}

impl Tables for Catalog {
    fn table(&self, name: &str) -> Option<&Table> {
        self.table_of(name).map(StaticTable::get)
    }

    fn checks_primitives(&self) -> bool {
        *self
            .checks_primitives
            .get_or_init(|| has_primitive_tables(self))
    }

    fn quiet(&self, type_name: &str) -> bool {
        self.types().get(type_name).is_some_and(|&(_, quiet)| quiet)
    }

    fn type_entry(&self, name: &str) -> (Option<&Table>, bool) {
        match self.types().get(name) {
            Some(&(table, quiet)) => (table.map(StaticTable::get), quiet),
            None => (self.table(name), false),
        }
    }
}

impl Tables for Invariants {
    fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }
}

/// Each type's table and whether it is quiet, by type name.
type TypeEntries =
    HashMap<&'static str, (Option<&'static StaticTable>, bool), foldhash::fast::RandomState>;

/// One table applying at an element, and the element's path number in it.
#[derive(Clone, Copy)]
struct Context<'i> {
    table: &'i Table,
    path: u32,
}

impl<'i> Context<'i> {
    /// Whether the table has anything below this element.
    fn has_below(&self) -> bool {
        !self.table.below[self.path as usize].is_empty()
    }

    /// The context of the child `name`, if the table has anything there
    /// or below it.
    fn below(&self, name: &str) -> Option<Context<'i>> {
        let below = &self.table.below[self.path as usize];
        // Most names differ in length or first letter: no call to compare the rest.
        let (_, path) = below.iter().find(|(n, _)| {
            n.len() == name.len() && n.as_bytes().first() == name.as_bytes().first() && n == name
        })?;
        Some(Context {
            table: self.table,
            path: *path,
        })
    }
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
        let mut findings = Vec::new();
        let path = model.type_name(&element).to_owned();
        check_in(
            self,
            &model,
            element,
            profiles,
            &path,
            Wanted::All,
            &mut findings,
        );
        findings
    }
}

/// Checks a typed resource (as read, or built in code) against its type's
/// constraints, those of the profiles at `profiles` and those of the
/// profiles its `meta.profile` claims that `catalog` holds (`|version`
/// dropped), the tables coming from `catalog`; a Bundle's entries are each
/// checked as a resource of their own (their references resolve in the
/// Bundle), against their types' constraints and those of the profiles
/// their `meta.profile` claims that `catalog` holds.
pub fn check_typed(catalog: &Catalog, resource: &dyn Object, profiles: &[&str]) -> Vec<Finding> {
    let model = Typed::new(catalog.bases(), Node::Resource(resource));
    check_with(catalog, model, resource, profiles, Wanted::All, true)
}

/// [`check_typed`] for a resource `read` has just made (its narratives
/// passed the reader's checks, which are `htmlChecks()`'s; where it held no
/// extension, the walk passes over the elements of the catalog's quiet
/// types, see [`Tables::quiet`]): what generated `from_json` runs, with
/// [`Wanted::Errors`] (`from_json_lenient`: [`Wanted::All`]).
pub fn check_read(
    catalog: &Catalog,
    resource: &dyn Object,
    profiles: &[&str],
    read: &crate::json::Reader<'_>,
    wanted: Wanted,
) -> Vec<Finding> {
    let model = Typed::new(catalog.bases(), Node::Resource(resource)).made_by(read);
    // The reader saw the claims: none, or just the one read as (the read
    // chose `profiles` among them), leave no other claim to look for.
    let other_claims = match read.top_claims() {
        Some(0) => false,
        Some(1) => profiles.is_empty(),
        _ => true,
    };
    check_with(catalog, model, resource, profiles, wanted, other_claims)
}

/// Checks `resource` against `profiles` and, when `other_claims`, the
/// other profiles it claims.
fn check_with<'a>(
    catalog: &Catalog,
    model: Typed<'a>,
    resource: &'a dyn Object,
    profiles: &[&str],
    wanted: Wanted,
    other_claims: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let check = TypedCheck {
        catalog,
        model: &model,
        wanted,
    };
    check.resource(
        Node::Resource(resource),
        profiles,
        other_claims,
        Cow::Borrowed(resource.type_code()),
        0,
        &mut findings,
    );
    findings
}

/// What a typed resource and the resources in it are checked with (not
/// to be confused with [`Document`], what the walk asks of a model).
struct TypedCheck<'c, 'a> {
    catalog: &'c Catalog,
    model: &'c Typed<'a>,
    wanted: Wanted,
}

impl<'a> TypedCheck<'_, 'a> {
    /// Checks `resource` against `profiles` and, when `other_claims`, the
    /// other profiles it claims; for a Bundle, each entry's resource against
    /// those it claims. `depth` is how deep Bundles nest here.
    fn resource(
        &self,
        resource: Node<'a>,
        profiles: &[&str],
        other_claims: bool,
        path: Cow<'static, str>,
        depth: usize,
        findings: &mut Vec<Finding>,
    ) {
        let model = self.model;
        let claimed = if other_claims {
            self.claimed(&resource, profiles)
        } else {
            SmallVec::new()
        };
        let all: SmallVec<[&str; 2]> = profiles
            .iter()
            .copied()
            .chain(claimed.iter().map(String::as_str))
            .collect();
        check_in(
            self.catalog,
            model,
            resource,
            &all,
            &path,
            self.wanted,
            findings,
        );
        if model.type_name(&resource) != "Bundle" {
            return;
        }
        if depth >= crate::limits::max_depth() {
            findings.push(Finding {
                key: String::new(),
                severity: None,
                path: path.into_owned(),
                message: format!(
                    "Bundles nested more than {} deep: the constraints of the inner ones are not checked",
                    crate::limits::max_depth()
                ),
            });
            return;
        }
        let mut entries = Vec::new();
        let _ = model.children(&resource, "entry", &mut entries);
        for (index, entry) in entries.iter().enumerate() {
            let mut inner = Vec::new();
            let _ = model.children(entry, "resource", &mut inner);
            for resource in inner {
                let at = format!("{path}.entry[{index}].resource");
                self.resource(resource, &[], true, at.into(), depth + 1, findings);
            }
        }
    }

    /// The profiles a resource claims (`meta.profile`, a `|version`
    /// dropped, as the profile read does) that the catalog has constraints
    /// for, each once and not one of `given`: the resource (a Bundle
    /// entry's too) is checked against them as `fhirgen validate` checks
    /// it. A claim the catalog does not hold is not checked here (the
    /// crate's `rules::check_claimed` says which).
    fn claimed(&self, resource: &Node<'a>, given: &[&str]) -> SmallVec<[String; 2]> {
        let model = self.model;
        let (mut metas, mut urls) = (Vec::new(), Vec::new());
        let _ = model.children(resource, "meta", &mut metas);
        for meta in &metas {
            let _ = model.children(meta, "profile", &mut urls);
        }
        let mut claimed = SmallVec::new();
        for url in &urls {
            let Some(text) = model.text(url) else {
                continue;
            };
            let bare = crate::canonical_url(text);
            // A canonical URL: never a type's name, whose table the
            // resource's type brings anyway.
            if bare.contains(':')
                && !given.contains(&bare)
                && !claimed.iter().any(|c: &String| c == bare)
                && self.catalog.table(bare).is_some()
            {
                claimed.push(bare.to_owned());
            }
        }
        claimed
    }
}

/// What the walk needs of a model beyond FHIRPath's.
pub trait Document: Model {
    /// Whether a node is a resource (the root, `contained`, an entry's).
    fn is_resource(&self, node: &Self::Node) -> bool;

    /// Gives each child of `node` to `out` in document order, with its
    /// name and its index when the element repeats; the leaves (see
    /// [`Document::is_leaf`]) only when `leaves`. False when the node cannot
    /// tell its children (a hand-written type without element access).
    fn branches<'s>(
        &'s self,
        node: &Self::Node,
        leaves: bool,
        out: &mut dyn FnMut(&'s str, Option<usize>, Self::Node),
    ) -> bool;

    /// Whether two nodes are the same resource (`%resource` is set again
    /// only when it changes).
    fn same_resource(&self, a: &Self::Node, b: &Self::Node) -> bool;

    /// Whether a node has no children at all (a primitive's value with no
    /// `id` or extension): the walk need not enter it when no constraint
    /// sits on it.
    fn is_leaf(&self, node: &Self::Node) -> bool;

    /// Whether the document may hold an extension anywhere; where not, the
    /// walk passes over the elements of quiet types ([`Tables::quiet`]).
    fn may_hold_extensions(&self) -> bool {
        true
    }
}

impl<'a> Document for FhirJson<'a> {
    fn is_resource(&self, node: &Element<'a>) -> bool {
        FhirJson::is_resource(self, node)
    }

    fn branches<'s>(
        &'s self,
        node: &Element<'a>,
        leaves: bool,
        out: &mut dyn FnMut(&'s str, Option<usize>, Element<'a>),
    ) -> bool {
        for (name, repeats, children) in FhirJson::named_children(self, node) {
            for (index, child) in children.into_iter().enumerate() {
                if leaves || !FhirJson::is_leaf(self, &child) {
                    out(name, repeats.then_some(index), child);
                }
            }
        }
        true
    }

    fn same_resource(&self, a: &Element<'a>, b: &Element<'a>) -> bool {
        match (a.json(), b.json()) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }

    fn is_leaf(&self, node: &Element<'a>) -> bool {
        FhirJson::is_leaf(self, node)
    }
}

impl<'a> Document for Typed<'a> {
    fn is_resource(&self, node: &Node<'a>) -> bool {
        Typed::is_resource(self, node)
    }

    fn branches<'s>(
        &'s self,
        node: &Node<'a>,
        leaves: bool,
        out: &mut dyn FnMut(&'s str, Option<usize>, Node<'a>),
    ) -> bool {
        Typed::branches(self, node, leaves, &mut |name, index, child| {
            out(name, index, child)
        })
    }

    fn same_resource(&self, a: &Node<'a>, b: &Node<'a>) -> bool {
        match (a, b) {
            (Node::Resource(_), Node::Resource(_)) => self.identity(a) == self.identity(b),
            _ => false,
        }
    }

    fn is_leaf(&self, node: &Node<'a>) -> bool {
        node.is_leaf()
    }

    fn may_hold_extensions(&self) -> bool {
        Typed::may_hold_extensions(self)
    }
}

/// Checks one resource of a document: its type's table and `profiles`'.
fn check_in<M: Document>(
    tables: &dyn Tables,
    model: &M,
    resource: M::Node,
    profiles: &[&str],
    path: &str,
    wanted: Wanted,
    findings: &mut Vec<Finding>,
) {
    // Quiet types are passed over only where no extension can bring a
    // table below them, nor a primitive type's table apply there.
    let pass_quiet = !model.may_hold_extensions() && !tables.checks_primitives();
    let found = walk(tables, model, &resource, profiles, path, wanted, pass_quiet);
    // What the walk passes over has nothing to check: entering it finds the
    // same (every test that reads a resource holds the walk to it).
    #[cfg(debug_assertions)]
    if pass_quiet {
        let all = walk(tables, model, &resource, profiles, path, wanted, false);
        assert!(
            found == all,
            "passing over quiet types changed the findings at {path}: {found:?} against {all:?}"
        );
    }
    findings.extend(found);
}

/// The findings of one walk of `resource`, passing over the elements of
/// quiet types (see [`Tables::quiet`]) when `pass_quiet`.
fn walk<M: Document>(
    tables: &dyn Tables,
    model: &M,
    resource: &M::Node,
    profiles: &[&str],
    path: &str,
    wanted: Wanted,
    pass_quiet: bool,
) -> Vec<Finding> {
    let mut contexts = SmallVec::new();
    let names = std::iter::once(model.type_name(resource)).chain(profiles.iter().copied());
    for name in names {
        if let Some(table) = tables.table(name)
            && let Some(root) = table.root()
        {
            contexts.push(Context { table, path: root });
        }
    }
    // One environment for the walk: the checker has judged every name
    // against the element model; at run time a name a resource's actual
    // type lacks (`contained` of a Binary `%rootResource`) is empty, not an
    // error.
    let mut environment = Environment::new(model);
    environment.strict = false;
    environment.set_node("rootResource", resource.clone());
    let mut walk = Walk {
        tables,
        model,
        environment,
        resource: None,
        path,
        steps: SmallVec::new(),
        findings: Vec::new(),
        unsupported: HashSet::new(),
        types: SmallVec::new(),
        contexts,
        done: SmallVec::new(),
        checks_primitives: tables.checks_primitives(),
        wanted,
        pass_quiet,
    };
    walk.element(resource, resource, 0, true, None);
    walk.findings
}

struct Walk<'w, M: Document> {
    tables: &'w dyn Tables,
    model: &'w M,
    /// `%rootResource` is the resource checked (a Bundle entry's resource is
    /// its own root), `%resource` the one an element is in (itself or
    /// contained).
    environment: Environment<'w, M>,
    /// The resource `%resource` is now set to.
    resource: Option<M::Node>,
    /// Where the walk began, as a FHIRPath (`Bundle.entry[0].resource`).
    path: &'w str,
    /// Where it is below that: each element's name, and its index when it
    /// repeats. Spelled out (`Patient.name[0]`) only for a finding.
    steps: SmallVec<[(&'w str, Option<usize>); 16]>,
    findings: Vec<Finding>,
    /// Constraints already reported as not evaluable.
    unsupported: HashSet<String>,
    /// What is known of each type met so far, by the address of its name.
    types: SmallVec<[((usize, usize), TypeFacts<'w>); 32]>,
    /// The tables applying at each element from the resource down to where
    /// the walk is: an element's are the last ones, from the index it was
    /// given; its children's are added after them and dropped when done.
    contexts: SmallVec<[Context<'w>; 32]>,
    /// The keys evaluated at the element (emptied after each).
    done: SmallVec<[&'w str; 16]>,
    /// Whether a primitive type has constraints (see
    /// [`Tables::checks_primitives`]).
    checks_primitives: bool,
    /// Which constraints are evaluated.
    wanted: Wanted,
    /// Whether elements of quiet types (see [`Tables::quiet`]) are passed
    /// over: the document holds no extension.
    pass_quiet: bool,
}

/// What the walk knows of a type.
#[derive(Clone, Copy)]
struct TypeFacts<'w> {
    /// Its table, at its root.
    context: Option<Context<'w>>,
    /// Nothing below its elements is checked (see [`Tables::quiet`]).
    quiet: bool,
}

/// What the walk knows of an element while it gives its children.
struct Parent<'p, N> {
    /// The resource it is in (`%resource`).
    resource: &'p N,
    /// Its contexts, in [`Walk::contexts`].
    contexts: std::ops::Range<usize>,
    /// It is the Bundle checked: its entries' resources are not entered.
    bundle: bool,
    /// A child not to enter.
    skip: Option<&'p str>,
}

impl<'w, M: Document> Walk<'w, M> {
    /// Checks `node` and walks its children; its contexts are those from
    /// `from` to the end of [`Walk::contexts`]; `skip` names a child not to
    /// enter (a Bundle entry's `resource`, checked on its own).
    fn element(
        &mut self,
        node: &M::Node,
        resource: &M::Node,
        from: usize,
        top: bool,
        skip: Option<&str>,
    ) {
        let to = self.contexts.len();
        let contained = !top && self.model.is_resource(node);
        let all = self.wanted == Wanted::All;
        // A constraint is evaluated once at an element, though two tables
        // (a type's and a profile's) have it; one of a slice only where the
        // element is in that slice (another slice's may have the same key).
        for at in from..to {
            let context = self.contexts[at];
            for (invariant, compiled) in context.table.on(context.path).filter(|(i, _)| {
                !(contained && i.domain_resource) && (all || i.rule.severity == Severity::Error)
            }) {
                if self.done.contains(&invariant.rule.key.as_ref()) {
                    continue;
                }
                if self.evaluate(invariant, compiled, node, resource) {
                    self.done.push(&invariant.rule.key);
                }
            }
        }
        self.done.clear();
        let bundle = top && self.model.type_name(node) == "Bundle";
        // A leaf is worth a look only where a table names a child or a
        // primitive type has constraints.
        let leaves =
            self.checks_primitives || self.contexts[from..to].iter().any(Context::has_below);
        // Each child is checked as it is given: no list of them is made.
        let model = self.model;
        let parent = Parent {
            resource,
            contexts: from..to,
            bundle,
            skip,
        };
        let given = model.branches(node, leaves, &mut |name, index, child| {
            self.child(name, index, child, &parent)
        });
        if !given {
            self.findings.push(Finding {
                key: String::new(),
                severity: None,
                path: self.path(),
                message: format!(
                    "the constraints below {} are not checked: its Rust type does not give its elements",
                    self.path()
                ),
            });
        }
    }

    /// Walks a child of the element `parent` tells of.
    fn child(
        &mut self,
        name: &'w str,
        index: Option<usize>,
        child: M::Node,
        parent: &Parent<'_, M::Node>,
    ) {
        if parent.skip == Some(name) {
            return;
        }
        self.steps.push((name, index));
        let from = self.contexts.len();
        if self.model.is_resource(&child) {
            // A contained resource: its own type's constraints, with itself as %resource.
            if let Some(context) = self.type_facts(&child).context {
                self.contexts.push(context);
            }
            self.element(&child, &child, from, false, None);
        } else {
            for at in parent.contexts.clone() {
                if let Some(context) = self.contexts[at].below(name) {
                    self.contexts.push(context);
                }
            }
            // The element's datatype brings its own constraints (`Period`'s per-1).
            let facts = self.type_facts(&child);
            if let Some(context) = facts.context {
                self.contexts.push(context);
            }
            if parent.bundle && name == "entry" {
                self.full_url(&child);
                self.element(&child, parent.resource, from, false, Some("resource"));
            } else if self.contexts.len() > from
                || !(self.model.is_leaf(&child) || self.pass_quiet && facts.quiet)
            {
                self.element(&child, parent.resource, from, false, None);
            }
            // Otherwise nothing to check on it, and nothing below it.
        }
        self.contexts.truncate(from);
        self.steps.pop();
    }

    /// What bundle.html asks of the `fullUrl` of the Bundle's entry `entry`
    /// (see [`crate::bundle`]): a finding at it when it is not absolute, or
    /// names another type or id than its resource's.
    fn full_url(&mut self, entry: &M::Node) {
        let model = self.model;
        let (mut urls, mut resources, mut ids) = (Vec::new(), Vec::new(), Vec::new());
        let _ = model.children(entry, "fullUrl", &mut urls);
        let _ = model.children(entry, "resource", &mut resources);
        let (Some(url), Some(resource)) = (urls.first(), resources.first()) else {
            return;
        };
        let Some(full_url) = model.text(url) else {
            return;
        };
        let _ = model.children(resource, "id", &mut ids);
        let id = ids.first().and_then(|id| model.text(id));
        let resource_type = model.type_name(resource);
        if let Some(message) = crate::bundle::full_url_problem(full_url, resource_type, id) {
            self.findings.push(Finding {
                key: String::new(),
                severity: Some(Severity::Error),
                path: format!("{}.fullUrl", self.path()),
                message,
            });
        }
    }

    /// Where the walk is, as a FHIRPath (`Patient.name[0]`).
    fn path(&self) -> String {
        let mut path = self.path.to_owned();
        for (name, index) in &self.steps {
            path.push('.');
            path.push_str(name);
            if let Some(index) = index {
                let _ = write!(path, "[{index}]");
            }
        }
        path
    }

    /// What is known of a node's own type: its table, whether it is quiet.
    fn type_facts(&mut self, node: &M::Node) -> TypeFacts<'w> {
        let name = self.model.type_name(node);
        // Type names are the model's own strings: known by address.
        let key = (name.as_ptr() as usize, name.len());
        if let Some((_, facts)) = self.types.iter().find(|(k, _)| *k == key) {
            return *facts;
        }
        let (table, quiet) = self.tables.type_entry(name);
        let facts = TypeFacts {
            context: table.and_then(|table| {
                Some(Context {
                    table,
                    path: table.root()?,
                })
            }),
            quiet,
        };
        self.types.push((key, facts));
        facts
    }

    /// Evaluates a constraint on `node`; false when it does not apply
    /// there (the node is not in its slice).
    fn evaluate(
        &mut self,
        invariant: &Invariant,
        compiled: &Compiled,
        node: &M::Node,
        resource: &M::Node,
    ) -> bool {
        let same = self
            .resource
            .as_ref()
            .is_some_and(|r| self.model.same_resource(r, resource));
        if !same {
            self.resource = Some(resource.clone());
            self.environment.set_node("resource", resource.clone());
        }
        let environment = &self.environment;
        if let (Some(slice), Some(compiled)) = (&invariant.slice, &compiled.slice)
            && !matches!(environment.check_predicate(compiled, slice, node), Ok(true))
        {
            return false;
        }
        let rule = &invariant.rule;
        match environment.check_predicate(&compiled.rule, &rule.expression, node) {
            Ok(true) => {}
            Ok(false) => self.findings.push(Finding {
                key: rule.key.to_string(),
                severity: Some(rule.severity),
                path: self.path(),
                message: format!("{}: {}", rule.key, rule.human),
            }),
            Err(e) if e.unsupported => {
                if self.unsupported.insert(rule.key.to_string()) {
                    self.findings.push(Finding {
                        key: rule.key.to_string(),
                        severity: None,
                        path: self.path(),
                        message: format!("{}: not checked: {}", rule.key, e.message),
                    });
                }
            }
            Err(e) => self.findings.push(Finding {
                key: rule.key.to_string(),
                severity: Some(rule.severity),
                path: self.path(),
                message: format!(
                    "{}: {} (the constraint fails to evaluate: {})",
                    rule.key, rule.human, e.message
                ),
            }),
        }
        true
    }
}
