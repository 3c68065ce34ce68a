//! The constraints (invariants) of a StructureDefinition's snapshot: each
//! element's `constraint` with its FHIRPath, parsed and type-checked
//! against the element model here, at generation, so that a program never
//! parses one at run time. One that does not parse or names an element its
//! context lacks is a note naming the invariant, not a silent skip.

use fhirgen_fhirpath::{CheckOptions, Expression, check, parse};
use fhirgen_runtime::invariants as runtime;
use fhirgen_runtime::shape::{ElementKind, Shapes};

use crate::conformance::StructureDefinition;
use crate::package::{PackageId, PackageSet};

/// How a broken constraint is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

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
                    return shape.elements.iter().find(|e| e.json == name);
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
                vec![fhirgen_runtime::fhirpath::type_code(*kind).to_owned()]
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
        // Slices repeat their element's constraints; the element has them.
        if element.slice_name.is_some() {
            continue;
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
                    Some("error") => Severity::Error,
                    _ => Severity::Warning,
                },
                human: constraint.human.clone().unwrap_or_default(),
                source: source.to_owned(),
                path,
                from: constraint.source.clone(),
                expression,
            });
        }
    }
    (invariants, notes)
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

/// A StructureDefinition's constraints as a runtime table, and its notes.
pub fn table_of(
    definition: &StructureDefinition,
    shapes: &Shapes,
) -> (Vec<runtime::Invariant>, Vec<Note>) {
    let (invariants, notes) = invariants_of(definition, shapes);
    let table = invariants
        .into_iter()
        .map(|i| runtime::Invariant {
            domain_resource: i.path.split('.').count() == 1
                && i.from.as_deref()
                    == Some("http://hl7.org/fhir/StructureDefinition/DomainResource"),
            path: relative_path(&i.path),
            key: i.key,
            severity: match i.severity {
                Severity::Error => runtime::Severity::Error,
                Severity::Warning => runtime::Severity::Warning,
            },
            human: i.human,
            expression: i.expression,
        })
        .collect();
    (table, notes)
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
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != core {
            continue;
        }
        let definition = set.parse::<StructureDefinition>(r)?;
        let is_type = definition.derivation.as_deref() == Some("specialization")
            && matches!(definition.kind.as_str(), "complex-type" | "resource")
            && !definition.is_abstract;
        if !is_type {
            continue;
        }
        let (table, notes) = table_of(&definition, shapes);
        invariants.insert(&definition.type_, table);
        all_notes.extend(notes);
    }
    Ok((invariants, all_notes))
}
