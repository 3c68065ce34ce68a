//! A profile's snapshot as a tree: each element with its children, and each
//! sliced element with its named slices and the discriminator values that
//! route an item to a slice. The first step towards profile types (the US
//! Core crates): the emitter will read this, not the flat snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use fhirgen_runtime::path::{Step, parse as parse_path};

use crate::conformance::{Binding, ElementDefinition, Max, Slicing, StructureDefinition, TypeRef};
use crate::package::PackageSet;

/// A profile (or extension definition) as a tree of elements.
#[derive(Debug, Clone)]
pub struct ProfileModel {
    pub url: String,
    pub version: Option<String>,
    pub name: String,
    /// The resource or datatype it constrains (`Patient`, `Extension`).
    pub type_: String,
    pub base_definition: Option<String>,
    pub root: ProfileNode,
    /// What in the snapshot did not fit FHIR's rules and how it was read.
    pub notes: Vec<String>,
}

/// One element of the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileNode {
    pub id: String,
    pub path: String,
    /// The JSON name, without `[x]` (`value`, `extension`).
    pub name: String,
    pub min: u32,
    pub max: Max,
    /// The maximum of the element in the base resource or datatype
    /// (`ElementDefinition.base`), when the snapshot gives it.
    pub base_max: Option<Max>,
    pub must_support: bool,
    pub is_modifier: bool,
    pub short: Option<String>,
    pub types: Vec<TypeRef>,
    pub fixed: Option<Value>,
    pub pattern: Option<Value>,
    pub binding: Option<Binding>,
    pub slicing: Option<Slicing>,
    pub children: Vec<ProfileNode>,
    pub slices: Vec<Slice>,
}

/// A named slice of a sliced element.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub name: String,
    /// What an item must carry to belong to this slice, one per discriminator
    /// of the sliced element.
    pub discriminators: Vec<DiscriminatorValue>,
    pub node: ProfileNode,
}

/// The value a slice requires at a discriminator's path.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscriminatorValue {
    /// The item's value at `path` equals `value` (`value` discriminator).
    Value { path: String, value: Value },
    /// The item's value at `path` contains `value` (`pattern` discriminator).
    Pattern { path: String, value: Value },
    /// The item at `path` has one of these types.
    Type { path: String, codes: Vec<String> },
    /// The item at `path` conforms to one of these profiles.
    Profile { path: String, profiles: Vec<String> },
    /// The item at `path` is present (or absent).
    Exists { path: String, present: bool },
    /// The item's code at `path` is in this value set: a slice defined by a
    /// required binding instead of a fixed value ("slicing by value set", as
    /// US Core does for `category`).
    InValueSet { path: String, value_set: String },
    /// The discriminator looks through `resolve()`: `kind` (`value`,
    /// `type`, ...) at `rest` in the resource a reference resolves to, which
    /// the reference's target `profiles` define.
    InTarget {
        path: String,
        kind: String,
        rest: String,
        profiles: Vec<String>,
    },
    /// The slice sets nothing this model can route on, and why.
    Unresolved { path: String, reason: String },
}

impl DiscriminatorValue {
    /// Its discriminator path, below the sliced element's item.
    pub fn path(&self) -> &str {
        match self {
            DiscriminatorValue::Value { path, .. }
            | DiscriminatorValue::Pattern { path, .. }
            | DiscriminatorValue::Type { path, .. }
            | DiscriminatorValue::Profile { path, .. }
            | DiscriminatorValue::Exists { path, .. }
            | DiscriminatorValue::InValueSet { path, .. }
            | DiscriminatorValue::InTarget { path, .. }
            | DiscriminatorValue::Unresolved { path, .. } => path,
        }
    }
}

impl ProfileNode {
    fn from_element(element: &ElementDefinition) -> Self {
        let last = element.path.rsplit('.').next().unwrap_or(&element.path);
        let raw = |v: &Option<(String, Box<serde_json::value::RawValue>)>| {
            v.as_ref()
                .and_then(|(_, raw)| serde_json::from_str(raw.get()).ok())
        };
        ProfileNode {
            id: element.key().to_owned(),
            path: element.path.clone(),
            name: last.trim_end_matches("[x]").to_owned(),
            min: element.min.unwrap_or(0),
            max: element.max().unwrap_or(Max::Unbounded),
            base_max: element.base.as_ref().and_then(|b| Max::parse(&b.max)),
            must_support: element.must_support(),
            is_modifier: element.is_modifier(),
            short: element.short.clone(),
            types: element.types.clone(),
            fixed: raw(&element.fixed),
            pattern: raw(&element.pattern),
            binding: element.binding.clone(),
            slicing: element.slicing.clone(),
            children: Vec::new(),
            slices: Vec::new(),
        }
    }

    /// The child element named `name` (a JSON name; `value` for `value[x]`).
    pub fn child(&self, name: &str) -> Option<&ProfileNode> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The slice named `name`.
    pub fn slice(&self, name: &str) -> Option<&Slice> {
        self.slices.iter().find(|s| s.name == name)
    }

    /// The element with this id, this one or below it (slices included).
    pub fn find(&self, id: &str) -> Option<&ProfileNode> {
        if self.id == id {
            return Some(self);
        }
        if !id.starts_with(self.id.as_str()) {
            return None;
        }
        self.children
            .iter()
            .chain(self.slices.iter().map(|s| &s.node))
            .find_map(|node| node.find(id))
    }

    /// Every Must Support element below and including this one, by id.
    pub fn must_support_ids(&self) -> Vec<&str> {
        let mut ids = Vec::new();
        self.collect_must_support(&mut ids);
        ids
    }

    fn collect_must_support<'a>(&'a self, ids: &mut Vec<&'a str>) {
        if self.must_support {
            ids.push(&self.id);
        }
        for child in &self.children {
            child.collect_must_support(ids);
        }
        for slice in &self.slices {
            slice.node.collect_must_support(ids);
        }
    }

    /// The target profiles of its `Reference` types.
    pub fn target_profiles(&self) -> Vec<&str> {
        self.types
            .iter()
            .flat_map(|t| t.target_profile.iter().map(String::as_str))
            .collect()
    }

    /// The profiles its types name (`Extension(us-core-race)`, a profiled resource).
    pub fn type_profiles(&self) -> Vec<&str> {
        self.types
            .iter()
            .flat_map(|t| t.profile.iter().map(String::as_str))
            .collect()
    }

    /// The node the discriminator path `steps` names below this one, up to
    /// a `resolve()`: the node, and the steps after `resolve()` if any.
    fn descend<'s, 'p>(
        &'s self,
        steps: &'s [Step<'p>],
    ) -> Option<(&'s ProfileNode, Option<&'s [Step<'p>]>)> {
        let mut node = self;
        for (i, step) in steps.iter().enumerate() {
            node = match *step {
                Step::This => node,
                Step::Child(name) => node.child(name)?,
                // The extension slice of that URL (by its type's profile or
                // its fixed `url`).
                Step::Extension(url) => {
                    let extension = node.child("extension")?;
                    &extension
                        .slices
                        .iter()
                        .find(|s| {
                            s.node
                                .type_profiles()
                                .iter()
                                .any(|p| fhirgen_runtime::canonical_url(p) == url)
                                || s.node.child("url").and_then(|u| u.fixed.as_ref())
                                    == Some(&Value::String(url.to_owned()))
                        })?
                        .node
                }
                // The values of one type of a choice: the type's slice, if
                // the profile made one (`valueQuantity`), else the element.
                Step::OfType(type_) => node
                    .slices
                    .iter()
                    .find(|s| {
                        s.name
                            .eq_ignore_ascii_case(&format!("{}{type_}", node.name))
                    })
                    .map_or(node, |s| &s.node),
                Step::Resolve => return Some((node, Some(&steps[i + 1..]))),
            };
        }
        Some((node, None))
    }
}

impl ProfileModel {
    /// Builds the tree of a StructureDefinition's snapshot. The error names the
    /// element that does not fit.
    pub fn from_definition(definition: &StructureDefinition) -> Result<Self, (String, String)> {
        let elements = definition
            .snapshot_elements()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| (definition.url.clone(), "no snapshot".to_owned()))?;
        // Children come after their parent in a snapshot: attach from the end,
        // so each node is complete when it is moved into its parent.
        let mut nodes: HashMap<String, ProfileNode> = HashMap::new();
        let mut notes = Vec::new();
        let ids: Vec<String> = elements.iter().map(|e| e.key().to_owned()).collect();
        for element in elements {
            nodes.insert(element.key().to_owned(), ProfileNode::from_element(element));
        }
        for id in ids.iter().skip(1).rev() {
            let node = nodes.remove(id).expect("every id has a node");
            let (parent_id, last) = id
                .rsplit_once('.')
                .ok_or_else(|| (id.clone(), "element id has no parent".to_owned()))?;
            match last.split_once(':') {
                // A reslice (`category:VSCat/lab`): a slice of its slice.
                Some((sliced, slice_name))
                    if slice_name.rsplit_once('/').is_some_and(|(owner, _)| {
                        nodes.contains_key(&format!("{parent_id}.{sliced}:{owner}"))
                    }) =>
                {
                    let (owner, _) = slice_name.rsplit_once('/').expect("checked above");
                    let owner = nodes
                        .get_mut(&format!("{parent_id}.{sliced}:{owner}"))
                        .expect("looked up above");
                    owner.slices.insert(
                        0,
                        Slice {
                            name: slice_name.to_owned(),
                            discriminators: Vec::new(),
                            node,
                        },
                    );
                }
                Some((sliced, slice_name))
                    if nodes.contains_key(&format!("{parent_id}.{sliced}")) =>
                {
                    let sliced_id = format!("{parent_id}.{sliced}");
                    let owner = nodes.get_mut(&sliced_id).expect("looked up above");
                    owner.slices.insert(
                        0,
                        Slice {
                            name: slice_name.to_owned(),
                            discriminators: Vec::new(),
                            node,
                        },
                    );
                }
                Some((sliced, _)) => {
                    // A slice whose sliced element the snapshot lacks (HRex's
                    // `Consent.policy:hrex.uri:hrex`): with nothing to slice,
                    // its rules are those of the element itself.
                    let parent = nodes.get_mut(parent_id).ok_or_else(|| {
                        (
                            id.clone(),
                            format!("parent `{parent_id}` is not in the snapshot"),
                        )
                    })?;
                    notes.push(format!(
                        "`{id}` is a slice of `{parent_id}.{sliced}`, which is not in the snapshot; its rules are read as those of the element"
                    ));
                    let mut node = node;
                    node.id = format!("{parent_id}.{sliced}");
                    parent.children.insert(0, node);
                }
                None => {
                    let parent = nodes.get_mut(parent_id).ok_or_else(|| {
                        (
                            id.clone(),
                            format!("parent `{parent_id}` is not in the snapshot"),
                        )
                    })?;
                    parent.children.insert(0, node);
                }
            }
        }
        let mut root = nodes
            .remove(&ids[0])
            .ok_or_else(|| (ids[0].clone(), "root element missing".to_owned()))?;
        resolve_discriminators(&mut root);
        Ok(ProfileModel {
            url: definition.url.clone(),
            version: definition.version.clone(),
            name: definition.name.clone(),
            type_: definition.type_.clone(),
            base_definition: definition.base_definition.clone(),
            root,
            notes,
        })
    }
}

fn resolve_discriminators(node: &mut ProfileNode) {
    if let Some(slicing) = &node.slicing {
        for slice in &mut node.slices {
            slice.discriminators = slicing
                .discriminator
                .iter()
                .map(|d| discriminator_value(&slice.node, &d.type_, &d.path))
                .collect();
        }
    }
    for child in &mut node.children {
        resolve_discriminators(child);
    }
    for slice in &mut node.slices {
        resolve_discriminators(&mut slice.node);
    }
}

/// `definition` with a snapshot: its own, or one derived from its
/// differential over its base's (SUSHI's differential-only profiles), with
/// a note of each thing that could not be derived.
pub fn with_snapshot(
    set: &PackageSet,
    definition: Arc<StructureDefinition>,
) -> crate::error::Result<(Arc<StructureDefinition>, Vec<String>)> {
    if definition.snapshot.is_some() {
        return Ok((definition, Vec::new()));
    }
    let error = |message: String| crate::Error::InvalidElement {
        package: set.root().id().clone(),
        file: definition.url.clone(),
        element: definition.type_.clone(),
        message,
    };
    let base_url = definition
        .base_definition
        .as_deref()
        .ok_or_else(|| error("has neither a snapshot nor a base definition".to_owned()))?;
    let base = set.resolve_as::<StructureDefinition>(base_url)?;
    let (base, mut notes) = with_snapshot(set, base)?;
    let datatype = |name: &str| {
        set.resolve_as::<StructureDefinition>(&format!(
            "http://hl7.org/fhir/StructureDefinition/{name}"
        ))
        .ok()
    };
    let (elements, derived_notes) =
        crate::conformance::derive_snapshot(&definition, &base, &datatype).map_err(error)?;
    notes.extend(derived_notes.into_iter().map(|note| {
        format!(
            "{}: snapshot derived from the differential, except {note}",
            definition.url
        )
    }));
    let mut derived = (*definition).clone();
    derived.snapshot = Some(crate::conformance::ElementList { element: elements });
    Ok((Arc::new(derived), notes))
}

/// What `slice` requires for one discriminator of its sliced element (or,
/// through `resolve()`, what the target profile's root requires).
pub fn discriminator_value(slice: &ProfileNode, kind: &str, path: &str) -> DiscriminatorValue {
    let unresolved = |reason: &str| DiscriminatorValue::Unresolved {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let steps = match parse_path(path) {
        Ok(steps) => steps,
        Err(reason) => return unresolved(&reason),
    };
    let target = match slice.descend(&steps) {
        // Through `resolve()`: the reference's target profiles say what the
        // resolved resource holds.
        Some((reference, Some(rest))) => {
            let rest = if rest.is_empty() {
                String::new()
            } else {
                let after_resolve = path
                    .rsplit_once("resolve()")
                    .map_or("", |(_, after)| after.trim_start_matches('.'));
                after_resolve.to_owned()
            };
            return DiscriminatorValue::InTarget {
                path: path.to_owned(),
                kind: kind.to_owned(),
                rest,
                profiles: reference
                    .target_profiles()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            };
        }
        Some((node, None)) => Some(node),
        None => None,
    };
    discriminator_at(target, slice, kind, path)
}

/// What the element `target` (at `path` below `slice`) requires for a
/// discriminator of `kind`.
fn discriminator_at(
    target: Option<&ProfileNode>,
    slice: &ProfileNode,
    kind: &str,
    path: &str,
) -> DiscriminatorValue {
    let unresolved = |reason: &str| DiscriminatorValue::Unresolved {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    match kind {
        "value" | "pattern" => {
            // FHIR defines both by the element's fixed[x] (equal), its
            // pattern[x] (contains) or its required binding, whichever the
            // slice sets: the IG Publisher writes `value` where older IGs
            // wrote `pattern`, for the same pattern.
            let fixed = target.and_then(|t| t.fixed.clone());
            let pattern = target.and_then(|t| t.pattern.clone());
            let extension_url = || {
                crate::conformance::extension_slice_url(&slice.path, &slice.types, path)
                    .map(Value::String)
            };
            let required_value_set = target
                .and_then(|t| t.binding.as_ref())
                .filter(|b| b.strength == "required")
                .and_then(|b| b.value_set.clone());
            if let Some(value) = fixed.or_else(extension_url) {
                DiscriminatorValue::Value {
                    path: path.to_owned(),
                    value,
                }
            } else if let Some(value) = pattern {
                DiscriminatorValue::Pattern {
                    path: path.to_owned(),
                    value,
                }
            } else if let Some(value_set) = required_value_set {
                DiscriminatorValue::InValueSet {
                    path: path.to_owned(),
                    value_set,
                }
            } else {
                unresolved("the slice fixes no value and binds no required value set there")
            }
        }
        "type" => match target {
            Some(t) if !t.types.is_empty() => DiscriminatorValue::Type {
                path: path.to_owned(),
                codes: t.types.iter().filter_map(|t| t.code.clone()).collect(),
            },
            _ => unresolved("the slice names no type there"),
        },
        "profile" => match target {
            Some(t) => DiscriminatorValue::Profile {
                path: path.to_owned(),
                profiles: t.types.iter().flat_map(|t| t.profile.clone()).collect(),
            },
            None => unresolved("no element at the path"),
        },
        "exists" => match target {
            Some(t) => DiscriminatorValue::Exists {
                path: path.to_owned(),
                present: t.min > 0,
            },
            None => unresolved("no element at the path"),
        },
        other => unresolved(&format!("unknown discriminator type `{other}`")),
    }
}
