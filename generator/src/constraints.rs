//! The constraints (invariants) of a StructureDefinition's snapshot: each
//! element's `constraint` with its FHIRPath, parsed and type-checked
//! against the element model here, at generation, so that a program never
//! parses one at run time. One that does not parse or names an element its
//! context lacks is a note naming the invariant, not a silent skip.

use std::collections::HashSet;

use fhirgen_fhirpath::{CheckOptions, Expression, check, parse};
use fhirgen_runtime::invariants::{self as runtime, Severity};
use fhirgen_runtime::shape::{ElementKind, Shapes};

use crate::conformance::StructureDefinition;
use crate::package::{PackageId, PackageSet};

/// One constraint, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Invariant {
    pub key: String,
    pub severity: Severity,
    /// What it requires, in words.
    pub human: String,
    /// The FHIRPath as written.
    pub source: String,
    /// The element it sits on (`Patient.contact`; the type's name for the root).
    pub path: String,
    /// The definition it comes from, when inherited (`constraint.source`).
    pub from: Option<String>,
    /// For a constraint of a slice: which items of the element are in the
    /// slice (`system = 'http://hl7.org/fhir/sid/us-npi'`), from its
    /// discriminators.
    pub slice: Option<Expression<'static>>,
    pub expression: Expression<'static>,
}

/// A constraint that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub key: String,
    pub path: String,
    pub message: String,
}

/// The types the element at `path` holds (`Observation.value[x]`: one per
/// variant), found through the shapes from the path's first segment.
pub fn context_types(shapes: &Shapes, path: &str) -> Option<Vec<String>> {
    let mut segments = path.split('.');
    let mut types = vec![segments.next()?.to_owned()];
    for segment in segments {
        let name = segment.strip_suffix("[x]").unwrap_or(segment);
        // A primitive's own parts.
        if types
            .iter()
            .all(|t| t.starts_with(|c: char| c.is_ascii_lowercase()))
        {
            types = match name {
                "id" => vec!["string".to_owned()],
                "extension" => vec!["Extension".to_owned()],
                _ => return None,
            };
            continue;
        }
        let element = types.iter().find_map(|t| {
            let mut current = Some(t.as_str());
            while let Some(c) = current {
                if let Some(shape) = shapes.type_named(c) {
                    return shape.element(name);
                }
                current = shapes.base_of(c);
            }
            None
        })?;
        types = match &element.kind {
            ElementKind::Choice(variants) => {
                variants.iter().map(|(code, _)| code.clone()).collect()
            }
            ElementKind::Object { type_name, .. } => vec![type_name.clone()],
            ElementKind::Plain(kind) | ElementKind::Primitive { kind, .. } => {
                vec![kind.type_code().to_owned()]
            }
            ElementKind::Resource => vec!["Resource".to_owned()],
        };
    }
    Some(types)
}

/// Every constraint of `definition`'s snapshot with an expression, once per
/// element (a key repeated on an element, as inherited ones are, counts
/// once), parsed and checked; the ones that cannot be used as notes.
pub fn invariants_of(
    definition: &StructureDefinition,
    shapes: &Shapes,
) -> (Vec<Invariant>, Vec<Note>) {
    let mut invariants: Vec<Invariant> = Vec::new();
    let mut notes = Vec::new();
    let Some(elements) = definition.snapshot_elements() else {
        return (invariants, notes);
    };
    for element in elements {
        // Slices repeat their element's constraints, which the element has;
        // a slice's own apply to the items its discriminators pick out,
        // wherever they were written: on the slice, in a profile this one
        // derives from, or in the slice's type profile (an extension's
        // root constraints, `us-core-23` on a Patient's race extension).
        let inherited = |c: &crate::conformance::Constraint| {
            elements.iter().any(|e| {
                e.slice_name.is_none()
                    && e.path == element.path
                    && e.constraint.iter().any(|o| o.key == c.key)
            })
        };
        // A name given to an element no slicing divides (R4's
        // `familymemberhistory-genetic` names `FamilyMemberHistory.sex` `Sex`,
        // with no `FamilyMemberHistory.sex` beside it) makes no slice: its
        // constraints are the element's.
        let sliced = element.slice_name.as_ref().filter(|_| {
            let owner = element.id.as_deref().and_then(|id| id.rsplit_once(':'));
            owner.is_some_and(|(owner, _)| elements.iter().any(|e| e.id.as_deref() == Some(owner)))
        });
        let mut slice: Option<Expression<'static>> = None;
        if let Some(name) = sliced {
            let own: Vec<_> = element
                .constraint
                .iter()
                .filter(|c| c.expression.is_some() && !inherited(c))
                .collect();
            if own.is_empty() {
                continue;
            }
            let filter = slice_filter(elements, element).and_then(|text| {
                parse(&text).map_err(|e| format!("its condition `{text}` does not parse: {e}"))
            });
            match filter {
                Ok(filter) => slice = Some(filter),
                Err(why) => {
                    for c in own {
                        notes.push(Note {
                            key: c.key.clone(),
                            path: element.path.clone(),
                            message: format!(
                                "it holds for the slice `{name}` only, which cannot be picked out: {why}"
                            ),
                        });
                    }
                    continue;
                }
            }
        }
        for constraint in &element.constraint {
            let Some(source) = constraint.expression.as_deref() else {
                continue;
            };
            let path = element.path.clone();
            if invariants
                .iter()
                .any(|i| i.key == constraint.key && i.path == path)
            {
                continue;
            }
            if slice.is_some() && inherited(constraint) {
                continue;
            }
            let note = |message: String| Note {
                key: constraint.key.clone(),
                path: path.clone(),
                message,
            };
            let expression = match parse(source) {
                Ok(expression) => expression,
                Err(e) => {
                    notes.push(note(format!("`{source}` does not parse: {e}")));
                    continue;
                }
            };
            let Some(context) = context_types(shapes, &path) else {
                notes.push(note(format!("no element {path} in the base types")));
                continue;
            };
            let context: Vec<&str> = context.iter().map(String::as_str).collect();
            if let Err(e) = check(&expression, shapes, &context, CheckOptions::default()) {
                notes.push(note(format!("`{source}` does not fit {path}: {e}")));
                continue;
            }
            invariants.push(Invariant {
                key: constraint.key.clone(),
                severity: match constraint.severity.as_deref() {
                    Some("error") if !constraint.best_practice() => Severity::Error,
                    _ => Severity::Warning,
                },
                human: constraint.human.clone().unwrap_or_default(),
                source: source.to_owned(),
                path,
                from: constraint.source.clone(),
                slice: slice.clone(),
                expression,
            });
        }
    }
    (invariants, notes)
}

/// Which items of an element a slice holds, as a FHIRPath condition on an
/// item: each discriminator's fixed or pattern primitive (`system =
/// '...'`), or its type (`$this is date`). Complex patterns and `exists`
/// and `profile` discriminators are not written this way yet.
fn slice_filter(
    elements: &[crate::conformance::ElementDefinition],
    slice: &crate::conformance::ElementDefinition,
) -> Result<String, String> {
    let slice_id = slice.id.as_deref().ok_or("the slice has no id")?;
    let owner_id = slice_id
        .rsplit_once(':')
        .map(|(owner, _)| owner)
        .ok_or("the slice's id names no slice")?;
    let slicing = elements
        .iter()
        .find(|e| e.id.as_deref() == Some(owner_id))
        .and_then(|e| e.slicing.as_ref())
        .ok_or("its element has no slicing")?;
    let mut parts = Vec::new();
    for discriminator in &slicing.discriminator {
        let path = discriminator.path.as_str();
        match discriminator.type_.as_str() {
            "value" | "pattern" => {
                let target_id = if path == "$this" {
                    slice_id.to_owned()
                } else {
                    format!("{slice_id}.{path}")
                };
                let target = elements
                    .iter()
                    .find(|e| e.id.as_deref() == Some(target_id.as_str()));
                let fixed = target.and_then(|t| t.fixed.as_ref().or(t.pattern.as_ref()));
                let value = match (fixed, target) {
                    (Some((_, raw)), _) => serde_json::from_str::<serde_json::Value>(raw.get())
                        .map_err(|e| format!("the value at {target_id}: {e}"))?,
                    (None, found) => {
                        crate::conformance::extension_slice_url(&slice.path, &slice.types, path)
                            .map(serde_json::Value::String)
                            .ok_or_else(|| match found {
                                Some(_) => format!("no fixed or pattern value at {target_id}"),
                                None => format!("no element {target_id}"),
                            })?
                    }
                };
                parts.push(format!("({})", pattern_condition(path, &value)?));
            }
            "type" => {
                let code = slice
                    .types
                    .first()
                    .and_then(|t| t.code.as_deref())
                    .ok_or("a type slice without a type")?;
                parts.push(format!("({path} is {code})"));
            }
            other => return Err(format!("a `{other}` discriminator")),
        }
    }
    if parts.is_empty() {
        return Err("no discriminator".to_owned());
    }
    Ok(parts.join(" and "))
}

/// A FHIRPath condition that an item at `path` matches a fixed or pattern
/// value: a primitive equal to it, an object with each of its properties,
/// an array with an item matching each of its items.
fn pattern_condition(path: &str, value: &serde_json::Value) -> Result<String, String> {
    use serde_json::Value;
    Ok(match value {
        Value::String(text) => {
            format!(
                "{path} = '{}'",
                text.replace('\\', "\\\\").replace('\'', "\\'")
            )
        }
        Value::Number(_) | Value::Bool(_) => format!("{path} = {value}"),
        Value::Object(properties) if !properties.is_empty() => properties
            .iter()
            .map(|(key, v)| pattern_condition(&format!("{path}.{key}"), v))
            .collect::<Result<Vec<_>, _>>()?
            .join(" and "),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| {
                Ok(format!(
                    "{path}.where({}).exists()",
                    pattern_condition("$this", item)?
                ))
            })
            .collect::<Result<Vec<_>, String>>()?
            .join(" and "),
        other => return Err(format!("cannot match `{other}`")),
    })
}

/// An element path relative to its type, as the runtime's tables hold it:
/// `Observation.component.value[x]` -> `component.value`, the type -> ``.
fn relative_path(path: &str) -> String {
    path.split('.')
        .skip(1)
        .map(|s| s.strip_suffix("[x]").unwrap_or(s))
        .collect::<Vec<_>>()
        .join(".")
}

/// A constraint as the runtime's tables hold it.
fn runtime_invariant(i: Invariant) -> runtime::Invariant {
    runtime::Invariant {
        domain_resource: i.path.split('.').count() == 1
            && i.from.as_deref() == Some("http://hl7.org/fhir/StructureDefinition/DomainResource"),
        path: relative_path(&i.path).into(),
        slice: i.slice,
        rule: runtime::Rule {
            key: i.key.into(),
            severity: i.severity,
            human: i.human.into(),
            expression: i.expression,
        },
    }
}

/// Whether a constraint belongs in a table: not one that an element below
/// the root inherits from its datatype's definition (`ext-1` on every
/// `extension`, `rat-1` on a `value[x]` that may be a Ratio). The
/// datatype's own table applies wherever a value of that type is, and only
/// there: on a `value[x]` holding a string, Ratio's constraint does not.
fn belongs_in_table(invariant: &Invariant, shapes: &Shapes) -> bool {
    let below_root = invariant.path.contains('.');
    let from_datatype = invariant.from.as_deref().is_some_and(|source| {
        source
            .strip_prefix("http://hl7.org/fhir/StructureDefinition/")
            .is_some_and(|name| {
                shapes.type_named(name).is_some() && shapes.resource(name).is_none()
            })
    });
    !(below_root && from_datatype)
}

/// A StructureDefinition's constraints as a runtime table, and its notes.
pub fn table_of(
    definition: &StructureDefinition,
    shapes: &Shapes,
) -> (Vec<runtime::Invariant>, Vec<Note>) {
    let (invariants, notes) = invariants_of(definition, shapes);
    (
        invariants
            .into_iter()
            .filter(|i| belongs_in_table(i, shapes))
            .map(runtime_invariant)
            .collect(),
        notes,
    )
}

/// The constraint tables a generated crate embeds, parsed and checked.
#[derive(Debug, Default)]
pub struct CrateConstraints {
    /// By type name (a crate of base types) or profile URL (a crate of
    /// profiles), sorted by name; each constraint with its FHIRPath text.
    pub tables: Vec<(String, Vec<(runtime::Invariant, String)>)>,
    /// A crate of base types: every type and the one it specializes
    /// (`""` for none), sorted by name.
    pub bases: Vec<(String, String)>,
    /// Constraints that need what an offline program lacks, once per key:
    /// the key, where (a type or profile), the FHIRPath, and why.
    pub offline: Vec<(String, String, String, &'static str)>,
    /// A crate of base types: the types no table applies at or below when
    /// a document holds no extension, sorted (see [`quiet_types`]).
    pub quiet: Vec<String>,
}

/// The constraint every read enforces itself: an element has a value or
/// children (an empty object, or a primitive with neither value nor
/// extension, is a read error), so generated tables leave it out.
const READ_ENFORCED: &str = "ele-1";

/// The functions that need more than the resource to answer, and why.
fn offline_limit(expression: &Expression<'_>) -> Option<&'static str> {
    use fhirgen_fhirpath::ast::{Function, Node};
    expression.nodes().iter().find_map(|node| match node {
        Node::Call { function, .. } => match function {
            Function::MemberOf | Function::Subsumes | Function::SubsumedBy => {
                Some("it asks a terminology service (value set membership or subsumption)")
            }
            Function::ConformsTo => Some("it checks conformance to another profile"),
            Function::Resolve => Some(
                "it follows references: those to a contained resource or a Bundle entry resolve, others are empty",
            ),
            Function::ElementDefinition | Function::Slice | Function::CheckModifiers => {
                Some("it needs the profile's element definitions at run time")
            }
            _ => None,
        },
        _ => None,
    })
}

impl CrateConstraints {
    fn add(
        &mut self,
        table: String,
        invariants: Vec<Invariant>,
        skip: &[runtime::Invariant],
        shapes: &Shapes,
    ) {
        let mut entries = Vec::new();
        for invariant in invariants {
            if invariant.key == READ_ENFORCED || !belongs_in_table(&invariant, shapes) {
                continue;
            }
            if let Some(why) = offline_limit(&invariant.expression)
                && !self
                    .offline
                    .iter()
                    .any(|(k, t, _, _)| *k == invariant.key && *t == table)
            {
                self.offline.push((
                    invariant.key.clone(),
                    table.clone(),
                    invariant.source.clone(),
                    why,
                ));
            }
            let source = invariant.source.clone();
            let runtime = runtime_invariant(invariant);
            // A profile repeats its base type's constraints; the type's table has them.
            let inherited = skip.iter().any(|b| {
                b.rule.key == runtime.rule.key
                    && b.path == runtime.path
                    && b.rule.expression == runtime.rule.expression
                    && b.slice == runtime.slice
            });
            if !inherited {
                entries.push((runtime, source));
            }
        }
        if !entries.is_empty() {
            self.tables.push((table, entries));
        }
    }
}

/// The constraint tables of the crate of base types of package `package`
/// (R4 core): one per resource and datatype, and the type hierarchy.
pub fn base_crate_constraints(
    set: &PackageSet,
    package: &PackageId,
    shapes: &Shapes,
) -> crate::Result<CrateConstraints> {
    let mut constraints = CrateConstraints::default();
    for definition in base_definitions(set, package)? {
        let (invariants, _) = invariants_of(&definition, shapes);
        constraints.add(definition.type_.clone(), invariants, &[], shapes);
    }
    constraints.tables.sort_by(|a, b| a.0.cmp(&b.0));
    let with_tables: HashSet<&str> = constraints.tables.iter().map(|(t, _)| t.as_str()).collect();
    constraints.quiet = quiet_types(shapes, &with_tables);
    constraints.bases = shapes
        .type_bases()
        .into_iter()
        .map(|(name, base)| (name.to_owned(), base.unwrap_or_default().to_owned()))
        .collect();
    Ok(constraints)
}

/// The types (resources, datatypes, backbone elements) such that neither
/// they nor any type their elements hold, at any depth, is in
/// `with_tables` once extensions are left out: an extension's value may be
/// of any type, so what an element holds through one is not followed, and
/// `Extension`'s own table does not count. Where a document holds no
/// extension, no type's table applies at or below an element of such a
/// type (a profile's table names its paths; the walk follows those). Sorted.
pub fn quiet_types(shapes: &Shapes, with_tables: &HashSet<&str>) -> Vec<String> {
    const EXTENSION: &str = "Extension";
    // Whether an element holds, directly, a type already known to lead to
    // a table (every resource has one: `dom-2`...).
    fn leads(kind: &ElementKind, reaching: &HashSet<&str>) -> bool {
        match kind {
            ElementKind::Plain(_) | ElementKind::Primitive { .. } => false,
            ElementKind::Object { type_name, .. } => {
                type_name != EXTENSION && reaching.contains(type_name.as_str())
            }
            ElementKind::Resource => true,
            ElementKind::Choice(variants) => variants.iter().any(|(_, kind)| leads(kind, reaching)),
        }
    }
    let mut reaching: HashSet<&str> = with_tables
        .iter()
        .copied()
        .filter(|name| *name != EXTENSION)
        .collect();
    // Until nothing changes: a type leads to a table if an element does.
    loop {
        let before = reaching.len();
        for shape in shapes.types() {
            if !reaching.contains(shape.name.as_str())
                && shape.elements.iter().any(|e| leads(&e.kind, &reaching))
            {
                reaching.insert(&shape.name);
            }
        }
        if reaching.len() == before {
            break;
        }
    }
    let mut quiet: Vec<String> = shapes
        .types()
        .filter(|shape| shape.name != EXTENSION && !reaching.contains(shape.name.as_str()))
        .map(|shape| shape.name.clone())
        .collect();
    quiet.sort();
    quiet
}

/// The constraint tables of a crate of profiles: one per resource profile
/// at `urls`, without what the profiled type's own table checks.
pub fn profile_crate_constraints(
    set: &PackageSet,
    shapes: &Shapes,
    urls: &[&str],
) -> crate::Result<CrateConstraints> {
    let mut constraints = CrateConstraints::default();
    let mut type_tables: std::collections::HashMap<String, Vec<runtime::Invariant>> =
        std::collections::HashMap::new();
    for url in urls {
        let definition = set.resolve_as::<StructureDefinition>(url)?;
        let base = match type_tables.entry(definition.type_.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let type_url = format!(
                    "http://hl7.org/fhir/StructureDefinition/{}",
                    definition.type_
                );
                let base = set.resolve_as::<StructureDefinition>(&type_url)?;
                e.insert(table_of(&base, shapes).0)
            }
        };
        let (invariants, _) = invariants_of(&definition, shapes);
        constraints.add((*url).to_owned(), invariants, base, shapes);
    }
    constraints.tables.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(constraints)
}

/// The resource and datatype definitions of the core package `core`.
fn base_definitions(
    set: &PackageSet,
    core: &PackageId,
) -> crate::Result<Vec<std::sync::Arc<StructureDefinition>>> {
    let mut definitions = Vec::new();
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != core {
            continue;
        }
        let definition = set.parse::<StructureDefinition>(r)?;
        let is_type = definition.derivation.as_deref() == Some("specialization")
            && matches!(definition.kind.as_str(), "complex-type" | "resource")
            && !definition.is_abstract;
        if is_type {
            definitions.push(definition);
        }
    }
    Ok(definitions)
}

/// The constraints of every resource and datatype of the core package
/// `core`, one table per type, and the notes on those that cannot be used.
pub fn base_invariants(
    set: &PackageSet,
    core: &PackageId,
    shapes: &Shapes,
) -> crate::Result<(runtime::Invariants, Vec<Note>)> {
    let mut invariants = runtime::Invariants::new();
    let mut all_notes = Vec::new();
    for definition in base_definitions(set, core)? {
        let (table, notes) = table_of(&definition, shapes);
        invariants.insert(&definition.type_, table);
        all_notes.extend(notes);
    }
    Ok((invariants, all_notes))
}
