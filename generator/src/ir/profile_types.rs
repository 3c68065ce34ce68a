//! The types of a profile package (US Core): one struct per profile and per
//! extension definition, shaped by its snapshot, on top of the base types of
//! the core package it depends on.
//!
//! The profile tree ([`ProfileModel`]) is walked beside the base struct of
//! the same element. A field keeps the base type (`::fhir_r4::Identifier`)
//! when the profile changes nothing below it; where it does (cardinality, a
//! fixed value or pattern, slices, narrowed types), the element gets a struct
//! or choice enum of its own, named after the profile and the path.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use fhirgen_runtime::path::Step;
use heck::ToUpperCamelCase;

use super::{
    ChoiceDef, CodeEnum, Field, FieldType, MatcherDef, PatternDef, ProfileModel, ProfileNode,
    ReusedCrate, SliceField, SlicedDef, StructDef, StructKind, TypeSpace, Variant,
};
use crate::conformance::{Max, StructureDefinition};
use crate::error::{Error, Result};
use crate::ir::codes::{binding_codes, code_enum, same_codes};
use crate::ir::{DiscriminatorValue, with_snapshot};
use crate::naming;
use crate::package::{PackageId, PackageSet};
use crate::terminology::{ExpandedCode, Expander, Expansion};

/// What a profile constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Resource,
    Extension,
}

/// One profile or extension definition of the space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileType {
    pub url: String,
    pub version: Option<String>,
    /// The StructureDefinition's `name` and `title`.
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The Rust struct.
    pub rust_name: String,
    pub module: String,
    pub kind: ProfileKind,
    /// The resource or datatype constrained (`Patient`, `Extension`).
    pub type_: String,
    /// The Rust name of the parent profile, when it is in the same space.
    pub parent: Option<String>,
    /// How many ancestors in the same space (0 for a profile on a base type).
    pub depth: usize,
    /// Element ids of the Must Support elements.
    pub must_support: Vec<String>,
    /// Defined by the package itself (not a dependency's extension it uses).
    pub own: bool,
}

/// Every type to generate for one profile package.
#[derive(Debug, Clone)]
pub struct ProfileSpace {
    pub package: PackageId,
    /// The core package whose types are reused.
    pub base_package: PackageId,
    /// Profiles, sorted by Rust name.
    pub profiles: Vec<ProfileType>,
    /// Structs: each profile's own struct (with `profile` set) and its parts.
    pub structs: Vec<StructDef>,
    pub choices: Vec<ChoiceDef>,
    /// Choice enums of the base crate that fields use, under their path
    /// (`::fhir_r4::ObservationValue`).
    pub base_choices: Vec<ChoiceDef>,
    /// Enums of the codes of the value sets bound (required or
    /// extensible) that expand, sorted by name.
    pub code_enums: Vec<CodeEnum>,
    /// Base datatypes with no required element, by path
    /// (`::fhir_r4::CodeableConcept`): a builder can fill in a pattern of one.
    pub base_without_required: Vec<String>,
    /// What could not be expressed, once each.
    pub warnings: Vec<String>,
    /// The crates of dependency packages whose types the space refers to
    /// (`us-core-6-1-0`), sorted.
    pub reused: Vec<String>,
}

/// Whether the parent profile `parent` has the element `node` with the same
/// constraints below it and the same docs, so that its struct serves.
fn same_part(parent: &ProfileModel, node: &ProfileNode) -> bool {
    parent
        .root
        .find(&node.id)
        .is_some_and(|same| same.children == node.children && same.short == node.short)
}

/// The Rust path of the base crate's types.
const BASE_CRATE: &str = "::fhir_r4";

/// Builds the types of every profile and extension definition of the root
/// package of `set`, over the base types of `base_package`.
pub fn build_profile_types(set: &PackageSet, base: &TypeSpace) -> Result<ProfileSpace> {
    build_profile_types_selected(set, base, None, &[])
}

/// [`build_profile_types`] for only the `selected` profiles of the root
/// package (by id, name or canonical URL; all when `None`), with the parent
/// profiles and extension definitions they use: from the `reused` crates
/// when one has them, else generated too.
pub fn build_profile_types_selected(
    set: &PackageSet,
    base: &TypeSpace,
    selected: Option<&[String]>,
    reused: &[ReusedCrate],
) -> Result<ProfileSpace> {
    let root = set.root().id().clone();
    let mut builder = Builder::new(set, base, reused);
    let mut found: HashSet<&str> = HashSet::new();
    for r in set.resources_of_type("StructureDefinition") {
        if set.package_of(r).id() != &root {
            continue;
        }
        let definition = set.parse::<StructureDefinition>(r)?;
        let is_profile = definition.derivation.as_deref() == Some("constraint")
            && (definition.kind == "resource"
                || (definition.kind == "complex-type" && definition.type_ == "Extension"));
        let wanted = match selected {
            None => true,
            Some(selected) => match selected.iter().find(|s| {
                [
                    definition.id.as_deref(),
                    Some(definition.name.as_str()),
                    Some(definition.url.as_str()),
                ]
                .contains(&Some(s.as_str()))
            }) {
                Some(s) => found.insert(s.as_str()),
                None => false,
            },
        };
        if is_profile && wanted {
            builder.enqueue(definition, true);
        }
    }
    if let Some(missing) = selected
        .into_iter()
        .flatten()
        .find(|s| !found.contains(s.as_str()))
    {
        return Err(Error::Usage(format!(
            "profile `{missing}` is not in {root} (give its id, name or canonical URL)"
        )));
    }
    while let Some((definition, name)) = builder.queue.pop_front() {
        builder.build_queued(definition, &name)?;
    }
    builder.finish(root)
}

struct Builder<'a> {
    set: &'a PackageSet,
    base: &'a TypeSpace,
    reused: &'a [ReusedCrate],
    /// The names of the reused crates referred to.
    used_crates: BTreeSet<String>,
    expander: Expander<'a>,
    base_structs: HashMap<&'a str, &'a StructDef>,
    base_choices: HashMap<&'a str, &'a ChoiceDef>,
    used_base_choices: BTreeMap<String, ChoiceDef>,
    /// Profile URL -> Rust name, for every profile queued.
    names_by_url: HashMap<String, String>,
    queue: VecDeque<(Arc<StructureDefinition>, String)>,
    taken: HashSet<String>,
    profiles: Vec<ProfileType>,
    structs: Vec<StructDef>,
    choices: Vec<ChoiceDef>,
    /// Value set canonical -> its enum (`None`: not enumerable).
    code_enums: BTreeMap<String, Option<CodeEnum>>,
    warnings: Vec<String>,
    /// The profile being built: module (owner) and `url|version`.
    owner: String,
    source: String,
    /// The parent of the profile being built when a reused crate has its
    /// types: its URL and tree.
    reused_parent: Option<(String, ProfileModel)>,
    /// The parent of the profile being built when this crate builds it too:
    /// its URL and tree.
    local_parent: Option<(String, ProfileModel)>,
    /// The URL of the profile being built.
    building: String,
    /// (profile URL, element id) -> the part struct built for it.
    parts: HashMap<(String, String), String>,
    /// The Rust names of the profiles built.
    built: HashSet<String>,
}

impl<'a> Builder<'a> {
    fn new(set: &'a PackageSet, base: &'a TypeSpace, reused: &'a [ReusedCrate]) -> Self {
        Builder {
            set,
            base,
            reused,
            used_crates: BTreeSet::new(),
            expander: Expander::new(set),
            base_structs: base.structs.iter().map(|s| (s.name.as_str(), s)).collect(),
            base_choices: base.choices.iter().map(|c| (c.name.as_str(), c)).collect(),
            used_base_choices: BTreeMap::new(),
            names_by_url: HashMap::new(),
            queue: VecDeque::new(),
            // The dispatcher's name, in every profile crate.
            taken: HashSet::from(["ProfiledResource".to_owned()]),
            profiles: Vec::new(),
            structs: Vec::new(),
            choices: Vec::new(),
            code_enums: BTreeMap::new(),
            warnings: Vec::new(),
            owner: String::new(),
            source: String::new(),
            reused_parent: None,
            local_parent: None,
            building: String::new(),
            parts: HashMap::new(),
            built: HashSet::new(),
        }
    }

    fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// A Rust type name not used yet.
    fn fresh_name(&mut self, wanted: String) -> String {
        naming::unique_type_name(&mut self.taken, wanted)
    }

    /// Queues a profile for building and gives its Rust name; a dependency's
    /// profile that a reused crate has is not built: its path is given.
    fn enqueue(&mut self, definition: Arc<StructureDefinition>, own: bool) -> String {
        if let Some(name) = self.names_by_url.get(&definition.url) {
            return name.clone();
        }
        if !own && let Some(path) = self.reused_profile(&definition.url) {
            return path;
        }
        let mut wanted = definition.name.to_upper_camel_case();
        if definition.type_ == "Extension" && !wanted.ends_with("Extension") {
            wanted.push_str("Extension");
        }
        let name = self.fresh_name(wanted);
        self.names_by_url
            .insert(definition.url.clone(), name.clone());
        self.profiles.push(ProfileType {
            url: definition.url.clone(),
            version: definition.version.clone(),
            name: definition.name.clone(),
            title: definition.title.clone(),
            description: definition.description.clone(),
            rust_name: name.clone(),
            module: naming::module_name(&name),
            kind: if definition.type_ == "Extension" {
                ProfileKind::Extension
            } else {
                ProfileKind::Resource
            },
            type_: definition.type_.clone(),
            parent: None,
            depth: 0,
            must_support: Vec::new(),
            own,
        });
        self.queue.push_back((definition, name.clone()));
        name
    }

    /// The path of the profile at `url` in a reused crate.
    fn reused_profile(&mut self, url: &str) -> Option<String> {
        let (krate, path) = self
            .reused
            .iter()
            .find_map(|c| Some((c, c.profile(url)?.to_owned())))?;
        self.used_crates.insert(krate.crate_name.clone());
        Some(path)
    }

    /// The reused crate's struct for `node`, when the parent profile has the
    /// same element with the same constraints below it (a part struct is
    /// made of the element's children; its own cardinality and slices shape
    /// the field that holds it, not the struct).
    fn reused_part(&mut self, node: &ProfileNode) -> Option<String> {
        let (url, model) = self.reused_parent.as_ref()?;
        if !same_part(model, node) {
            return None;
        }
        let (krate, path) = self
            .reused
            .iter()
            .find_map(|c| Some((c, c.part(url, &node.id)?.to_owned())))?;
        self.used_crates.insert(krate.crate_name.clone());
        Some(path)
    }

    /// `definition` with a snapshot ([`with_snapshot`]); what could not be
    /// derived is a warning.
    fn with_snapshot(
        &mut self,
        definition: Arc<StructureDefinition>,
    ) -> Result<Arc<StructureDefinition>> {
        let (definition, notes) = with_snapshot(self.set, definition)?;
        for note in notes {
            self.warn(note);
        }
        Ok(definition)
    }

    /// The Rust name of the extension definition at `canonical`, queued if new.
    fn extension_type(&mut self, canonical: &str) -> Option<String> {
        let bare = fhirgen_runtime::canonical_url(canonical);
        if let Some(name) = self.names_by_url.get(bare) {
            return Some(name.clone());
        }
        match self.set.resolve_as::<StructureDefinition>(canonical) {
            Ok(definition) if definition.type_ == "Extension" => {
                Some(self.enqueue(definition, false))
            }
            _ => {
                self.warn(format!(
                    "extension definition {canonical} is not in the packages: its slices use `Extension`"
                ));
                None
            }
        }
    }

    fn error(&self, element: &str, message: impl Into<String>) -> Error {
        Error::InvalidElement {
            package: self.set.root().id().clone(),
            file: self.source.clone(),
            element: element.to_owned(),
            message: message.into(),
        }
    }

    /// Builds a queued profile, unless it was built already (as a parent).
    fn build_queued(&mut self, definition: Arc<StructureDefinition>, name: &str) -> Result<()> {
        if !self.built.insert(name.to_owned()) {
            return Ok(());
        }
        let definition = self.with_snapshot(definition)?;
        self.build_profile(&definition, name)
    }

    fn build_profile(&mut self, definition: &StructureDefinition, name: &str) -> Result<()> {
        // A parent this crate builds is built first: elements the profile
        // leaves as the parent has them use the parent's structs.
        let local_parent = match &definition.base_definition {
            Some(parent) => match self.set.resolve_as::<StructureDefinition>(parent) {
                Ok(parent) if parent.derivation.as_deref() == Some("constraint") => {
                    let parent_name = self.enqueue(parent.clone(), false);
                    if parent_name.starts_with("::") {
                        None
                    } else {
                        if let Some(at) = self.queue.iter().position(|(_, n)| *n == parent_name) {
                            let (queued, _) = self.queue.remove(at).expect("found above");
                            self.build_queued(queued, &parent_name)?;
                        }
                        let parent = self.with_snapshot(parent)?;
                        ProfileModel::from_definition(&parent)
                            .ok()
                            .map(|model| (parent.url.clone(), model))
                    }
                }
                _ => None,
            },
            None => None,
        };
        self.local_parent = local_parent;
        self.building = definition.url.clone();
        // Errors and notes name the definition being built.
        self.source = format!(
            "{}|{}",
            definition.url,
            definition.version.as_deref().unwrap_or("")
        );
        let model = ProfileModel::from_definition(definition)
            .map_err(|(element, message)| self.error(&element, message))?;
        for note in &model.notes {
            self.warn(format!("{}: {note}", definition.url));
        }
        // A parent profile from a dependency (FHIR's vitalsigns under US
        // Core's vital signs) is generated too: profiles convert up to it.
        self.reused_parent = None;
        let parent = match &definition.base_definition {
            Some(parent) => match self.set.resolve_as::<StructureDefinition>(parent) {
                Ok(parent) if parent.derivation.as_deref() == Some("constraint") => {
                    let name = self.enqueue(parent.clone(), false);
                    if name.starts_with("::") {
                        // Elements the profile leaves as the parent has them
                        // can use the reused crate's structs.
                        let parent = self.with_snapshot(parent)?;
                        if let Ok(model) = ProfileModel::from_definition(&parent) {
                            self.reused_parent = Some((parent.url.clone(), model));
                        }
                    }
                    Some(name)
                }
                _ => None,
            },
            None => None,
        };
        self.owner = naming::module_name(name);
        let base = *self.base_structs.get(model.type_.as_str()).ok_or_else(|| {
            self.error(
                &model.root.id,
                format!("`{}` is not a type of the base package", model.type_),
            )
        })?;
        let must_support: Vec<String> = model
            .root
            .must_support_ids()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let kind = if base.kind == StructKind::Resource {
            StructKind::Resource
        } else {
            StructKind::Datatype
        };
        let mut def = self.build_struct(name.to_owned(), &model.root, base, kind)?;
        let profile = self
            .profiles
            .iter_mut()
            .find(|p| p.rust_name == name)
            .expect("queued profiles are listed");
        profile.must_support = must_support;
        profile.parent = parent;
        def.short = definition.title.clone().or(def.short);
        def.profile = Some(Box::new(profile.clone()));
        // The profile's own struct goes first in its file.
        self.structs.push(def);
        Ok(())
    }

    /// The struct for `node`, whose base is `base`: the base's fields, each
    /// shaped by the profile's element of the same name.
    fn build_struct(
        &mut self,
        name: String,
        node: &ProfileNode,
        base: &StructDef,
        kind: StructKind,
    ) -> Result<StructDef> {
        let mut fields = Vec::new();
        let taken: Vec<String> = base.fields.iter().map(|f| f.rust_name.clone()).collect();
        for base_field in &base.fields {
            match node.child(&base_field.json_name) {
                None => fields.push(self.external(base_field)),
                Some(child) => {
                    if let Some(field) = self.profile_field(&name, child, base_field, &taken)? {
                        fields.push(field);
                    }
                }
            }
        }
        let def = StructDef {
            name,
            type_code: base.type_code.clone(),
            kind,
            path: node.path.clone(),
            element_id: node.id.clone(),
            source: self.source.clone(),
            owner: self.owner.clone(),
            short: node.short.clone(),
            fields,
            profile: None,
        };
        Ok(def)
    }

    /// Builds a part struct and keeps it; when the profile leaves the
    /// element as its parent has it and a reused crate has the parent's
    /// struct for it, that struct's path.
    fn part_struct(
        &mut self,
        wanted: String,
        node: &ProfileNode,
        base_type: &str,
    ) -> Result<String> {
        if let Some(path) = self.reused_part(node) {
            return Ok(path);
        }
        if let Some(name) = self.parent_part(node) {
            self.parts
                .insert((self.building.clone(), node.id.clone()), name.clone());
            return Ok(name);
        }
        let base = *self
            .base_structs
            .get(base_type)
            .ok_or_else(|| self.error(&node.id, format!("no base type `{base_type}`")))?;
        let name = self.fresh_name(wanted);
        let building = self.building.clone();
        let def = self.build_struct(name.clone(), node, base, StructKind::ProfilePart)?;
        self.structs.push(def);
        self.parts.insert((building, node.id.clone()), name.clone());
        Ok(name)
    }

    /// The struct this crate built for `node` in the parent profile, when
    /// the parent has the same element with the same constraints below it
    /// (as [`Self::reused_part`] for a parent in another crate).
    fn parent_part(&self, node: &ProfileNode) -> Option<String> {
        let (url, model) = self.local_parent.as_ref()?;
        if !same_part(model, node) {
            return None;
        }
        self.parts.get(&(url.clone(), node.id.clone())).cloned()
    }

    /// A base field as it is, its types taken from the base crate. Its code
    /// enum note is left out: [`Self::bind_codes`] gives the one of the
    /// profile's binding, with a link that resolves in this crate.
    fn external(&mut self, field: &Field) -> Field {
        let mut field = field.clone();
        field.ty = self.external_type(&field.ty);
        field.notes.retain(|note| !note.starts_with("Codes: "));
        field
    }

    fn external_type(&mut self, ty: &FieldType) -> FieldType {
        match ty {
            FieldType::Primitive { alias, kind } => FieldType::Primitive {
                alias: format!("{BASE_CRATE}::{alias}"),
                kind,
            },
            FieldType::Object { type_name, boxed } => FieldType::Object {
                type_name: format!("{BASE_CRATE}::{type_name}"),
                boxed: *boxed,
            },
            FieldType::Choice { enum_name } => {
                let path = format!("{BASE_CRATE}::{enum_name}");
                if !self.used_base_choices.contains_key(&path)
                    && let Some(choice) = self.base_choices.get(enum_name.as_str())
                {
                    let mut choice = (*choice).clone();
                    choice.variants = choice
                        .variants
                        .iter()
                        .map(|v| Variant {
                            ty: self.external_type(&v.ty),
                            ..v.clone()
                        })
                        .collect();
                    choice.name = path.clone();
                    self.used_base_choices.insert(path.clone(), choice);
                }
                FieldType::Choice { enum_name: path }
            }
            other => other.clone(),
        }
    }

    /// The field for the profile element `node` over the base field; `None`
    /// when the profile removes it (`max = 0`).
    fn profile_field(
        &mut self,
        parent: &str,
        node: &ProfileNode,
        base: &Field,
        taken: &[String],
    ) -> Result<Option<Field>> {
        if node.max == Max::Count(0) {
            return Ok(None);
        }
        let mut field = self.external(base);
        field.min = node.min;
        field.max = node.max;
        field.short = node.short.clone().or(field.short);
        field.must_support = node.must_support;
        field.binding = node
            .binding
            .as_ref()
            .and_then(|b| Some((b.strength.clone(), b.value_set.clone()?)));
        field.pattern = pattern_of(node);
        let targets = node.target_profiles();
        field.reference_targets = self.reference_targets(&targets);
        if !targets.is_empty() {
            field
                .notes
                .push(format!("References: {}", code_spans(&targets)));
        }
        let camel = base.json_name.to_upper_camel_case();
        if !node.slices.is_empty()
            && base.is_list()
            && let Some(sliced) = self.sliced(parent, node, base, taken)?
        {
            // A required binding of the sliced element holds for every item,
            // in a slice or not (checked as items are routed).
            if matches!(field.ty, FieldType::Object { .. }) {
                self.bind_codes(node, &mut field)?;
            }
            field.ty = FieldType::Sliced(Box::new(sliced));
            field.pattern = None;
            return Ok(Some(field));
        }
        match &base.ty {
            FieldType::Primitive { kind, .. } | FieldType::Plain { kind } => {
                if let Some(pattern) = &field.pattern
                    && node.min >= 1
                    && node.max == Max::Count(1)
                {
                    field.ty = FieldType::Constant(pattern.clone(), kind);
                    field.pattern = None;
                }
            }
            FieldType::Object { type_name, .. } => {
                field.ty = self.object_type(node, type_name, format!("{parent}{camel}"))?;
            }
            FieldType::Choice { enum_name } => {
                if field.pattern.take().is_some() {
                    self.warn(format!(
                        "{}: a fixed value or pattern on a choice element is not checked",
                        node.id
                    ));
                }
                field.ty = self.choice_type(parent, node, enum_name, &camel)?;
            }
            FieldType::Resource { .. } => self.resource_field(node, &mut field)?,
            FieldType::Constant(..) | FieldType::Sliced(_) => {
                unreachable!("base types have no constants or slices")
            }
        }
        self.bind_codes(node, &mut field)?;
        Ok(Some(field))
    }

    /// A field of resources (`Bundle.entry.resource`): a required single one
    /// is held as an `Option` that a read requires. Typed by the one profile
    /// its type names (read into that profile's type); a base type or
    /// several profiles leave it any resource (said once).
    fn resource_field(&mut self, node: &ProfileNode, field: &mut Field) -> Result<()> {
        if node.min >= 1 && node.max == Max::Count(1) {
            field.min = 0;
            field.present_on_read = true;
            field.notes.push(format!(
                "Required ({}..1) by the profile: a read requires it; the type holds it as an `Option`.",
                node.min
            ));
        }
        let profiles = node.type_profiles();
        if profiles.is_empty() {
            return Ok(());
        }
        field
            .notes
            .push(format!("Profiles: {}", code_spans(&profiles)));
        let profile = match profiles.as_slice() {
            [only] => self.resource_profile(only)?,
            _ => None,
        };
        match profile {
            Some(name) => field.ty = FieldType::Resource { profile: Some(name) },
            None => self.warn(format!(
                "{}: a resource typed by {} is held as the base `Resource` (one profile of a resource can be typed); the rule tables check it",
                node.id,
                profiles.join(", ")
            )),
        }
        Ok(())
    }

    /// The Rust type of the resource profile at `canonical`, queued if new;
    /// `None` for a base resource type or a definition not found.
    fn resource_profile(&mut self, canonical: &str) -> Result<Option<String>> {
        let Ok(definition) = self.set.resolve_as::<StructureDefinition>(canonical) else {
            return Ok(None);
        };
        if definition.kind != "resource" || definition.derivation.as_deref() != Some("constraint") {
            return Ok(None);
        }
        Ok(Some(self.enqueue(definition, false)))
    }

    /// The resource types the target profiles of a reference constrain; empty
    /// when any resource is allowed or a target is not in the packages.
    fn reference_targets(&self, targets: &[&str]) -> Vec<String> {
        reference_target_types(self.set, targets)
    }

    /// Required bindings to value sets that expand: a `code` element holds
    /// the value set's enum; a `Coding` or `CodeableConcept` keeps its type
    /// and must carry one of the codes. Extensible bindings point to the enum
    /// in the docs.
    fn bind_codes(&mut self, node: &ProfileNode, field: &mut Field) -> Result<()> {
        let Some(binding) = &node.binding else {
            return Ok(());
        };
        let Some(value_set) = &binding.value_set else {
            return Ok(());
        };
        let strength = binding.strength.as_str();
        if !matches!(strength, "required" | "extensible") {
            return Ok(());
        }
        let coded = match &field.ty {
            FieldType::Primitive { kind, .. } => *kind == "Code",
            FieldType::Object { type_name, .. } => {
                type_name.ends_with("::Coding") || type_name.ends_with("::CodeableConcept")
            }
            _ => false,
        };
        if !coded || node.types.len() != 1 {
            return Ok(());
        }
        let Some(code_enum) = self.code_enum(&node.id, value_set)? else {
            return Ok(());
        };
        // Through the crate's re-exports (`r4`, reused crates), which
        // resolve wherever the crate's files are included.
        let short = code_enum.name.rsplit("::").next().unwrap_or_default();
        let link = match code_enum.name.strip_prefix(BASE_CRATE) {
            Some(rest) => format!("[`{short}`](crate::r4{rest})"),
            None if code_enum.name.starts_with("::") => {
                format!("[`{short}`](crate{})", code_enum.name)
            }
            None => format!("[`{short}`](crate::{short})"),
        };
        field.notes.push(format!("Codes: {link}"));
        if strength == "required" {
            if let FieldType::Primitive { alias, .. } = &mut field.ty {
                *alias = code_enum.alias.clone();
                // The rule the macros hold hand-written types to, checked on
                // what the generator makes too.
                fhirgen_rules::check_binding(
                    &field.path,
                    fhirgen_rules::Strength::Required,
                    value_set,
                    true,
                    fhirgen_rules::CodeType::Enum,
                )
                .map_err(|v| Error::InvalidFile {
                    package: "(generator)".to_owned(),
                    file: "(profile types)".to_owned(),
                    message: v.to_string(),
                })?;
            }
            field.required_codes = Some(code_enum.name.clone());
        }
        Ok(())
    }

    /// The enum of the codes of `value_set`, made on first use; `None` when it
    /// does not expand or is too large (reported once).
    fn code_enum(&mut self, element: &str, value_set: &str) -> Result<Option<CodeEnum>> {
        // One enum per value set, whichever version a binding names.
        let value_set = fhirgen_runtime::canonical_url(value_set);
        if let Some(known) = self.code_enums.get(value_set) {
            return Ok(known.clone());
        }
        let made = match binding_codes(&self.expander, value_set)? {
            Err(why) => {
                self.warn(format!(
                    "{element}: value set {value_set} {why}; the element stays an open type"
                ));
                None
            }
            Ok(codes) if codes.is_empty() => None,
            Ok(codes) => Some(match self.existing_code_enum(value_set, &codes) {
                Some(existing) => existing,
                None => code_enum(self.set, value_set, codes, &mut |wanted| {
                    self.fresh_name(wanted)
                }),
            }),
        };
        self.code_enums.insert(value_set.to_owned(), made.clone());
        Ok(made)
    }

    /// The enum the base crate or a reused crate has for `value_set`, when
    /// it has the codes the value set expands to here (a newer code system
    /// in this package set makes an enum of its own).
    fn existing_code_enum(&mut self, value_set: &str, codes: &[ExpandedCode]) -> Option<CodeEnum> {
        if let Some(base) = self
            .base
            .code_enums
            .iter()
            .find(|e| e.value_set == value_set)
            && same_codes(base, codes)
        {
            let mut base = base.clone();
            base.name = format!("{BASE_CRATE}::{}", base.name);
            base.alias = format!("{BASE_CRATE}::{}", base.alias);
            return Some(base);
        }
        let (krate, reused) = self
            .reused
            .iter()
            .find_map(|c| Some((c, c.code_enum(value_set)?)))
            .filter(|(_, reused)| same_codes(reused, codes))?;
        self.used_crates.insert(krate.crate_name.clone());
        Some(reused.clone())
    }

    /// The type of an object element: an extension definition's struct, a
    /// struct of its own when the profile changes something below it, or
    /// the base type.
    fn object_type(
        &mut self,
        node: &ProfileNode,
        base_type: &str,
        wanted: String,
    ) -> Result<FieldType> {
        if let Some(url) = extension_profile(node)
            && let Some(name) = self.extension_type(&url)
        {
            return Ok(FieldType::Object {
                type_name: name,
                boxed: false,
            });
        }
        if self.children_differ(node, base_type) {
            let name = self.part_struct(wanted, node, base_type)?;
            return Ok(FieldType::Object {
                type_name: name,
                boxed: false,
            });
        }
        Ok(self.external_type(&FieldType::Object {
            type_name: base_type.to_owned(),
            boxed: false,
        }))
    }

    /// Whether the profile changes anything below `node`, whose base type
    /// is the struct `base_type`.
    fn children_differ(&self, node: &ProfileNode, base_type: &str) -> bool {
        let Some(base) = self.base_structs.get(base_type) else {
            return false;
        };
        node.children.iter().any(|child| {
            base.fields
                .iter()
                .find(|f| f.json_name == child.name)
                .is_some_and(|f| self.differs(child, f))
        })
    }

    fn differs(&self, node: &ProfileNode, base: &Field) -> bool {
        node.min != base.min
            || node.max != base.max
            || node.fixed.is_some()
            || node.pattern.is_some()
            || !node.slices.is_empty()
            || extension_profile(node).is_some()
            || match &base.ty {
                FieldType::Object { type_name, .. } => self.children_differ(node, type_name),
                FieldType::Choice { enum_name } => self
                    .base_choices
                    .get(enum_name.as_str())
                    .is_some_and(|c| node.types.len() < c.variants.len()),
                // A resource of one profile is held as that profile's type.
                FieldType::Resource { .. } => node.type_profiles().len() == 1,
                _ => false,
            }
    }

    /// A choice element: the base enum, or one of its own with the types
    /// the profile allows (and their constrained forms from type slices).
    fn choice_type(
        &mut self,
        parent: &str,
        node: &ProfileNode,
        enum_name: &str,
        camel: &str,
    ) -> Result<FieldType> {
        let base = *self
            .base_choices
            .get(enum_name)
            .ok_or_else(|| self.error(&node.id, format!("no base choice `{enum_name}`")))?;
        let allowed: Vec<&str> = node
            .types
            .iter()
            .filter_map(|t| t.code.as_deref())
            .collect();
        let mut variants = Vec::new();
        let mut own = false;
        for variant in &base.variants {
            if !allowed.is_empty() && !allowed.contains(&variant.type_code.as_str()) {
                own = true;
                continue;
            }
            // The constraints on one type: a type slice (`value[x]:valueQuantity`)
            // or, when the profile allows one type only, the element's own
            // children (`value[x].code`).
            let constrained = node
                .slices
                .iter()
                .find(|s| {
                    s.node.types.len() == 1
                        && s.node.types[0].code.as_deref() == Some(variant.type_code.as_str())
                })
                .map(|s| &s.node)
                .or_else(|| (allowed.len() == 1 && !node.children.is_empty()).then_some(node));
            let ty = match (&variant.ty, constrained) {
                (FieldType::Object { type_name, .. }, Some(constrained))
                    if self.children_differ(constrained, type_name) =>
                {
                    own = true;
                    let name = self.part_struct(
                        format!("{parent}{camel}{}", variant.name),
                        constrained,
                        type_name,
                    )?;
                    FieldType::Object {
                        type_name: name,
                        boxed: true,
                    }
                }
                (other, _) => self.external_type(other),
            };
            variants.push(Variant {
                ty,
                ..variant.clone()
            });
        }
        if variants.is_empty() {
            // Types of another FHIR version (an R5 `Availability` in the R4
            // extensions pack): no R4 JSON property can hold them.
            self.warn(format!(
                "{}: the profile allows only {}, none of them a type of the base package; the element keeps the base choice",
                node.id,
                allowed.join(", ")
            ));
            own = false;
        }
        if !own {
            return Ok(self.external_type(&FieldType::Choice {
                enum_name: enum_name.to_owned(),
            }));
        }
        let name = self.fresh_name(format!("{parent}{camel}"));
        self.choices.push(ChoiceDef {
            name: name.clone(),
            path: node.path.clone(),
            base: base.base.clone(),
            owner: self.owner.clone(),
            variants,
        });
        Ok(FieldType::Choice { enum_name: name })
    }

    /// A sliced list as a field per slice; `None` (with a warning) when an
    /// item cannot be routed to its slice by what the discriminators give.
    fn sliced(
        &mut self,
        parent: &str,
        node: &ProfileNode,
        base: &Field,
        taken: &[String],
    ) -> Result<Option<SlicedDef>> {
        let FieldType::Object {
            type_name: base_type,
            ..
        } = &base.ty
        else {
            self.warn(format!(
                "{}: slices of a primitive element are not typed",
                node.id
            ));
            return Ok(None);
        };
        let camel = base.json_name.to_upper_camel_case();
        let is_extension = matches!(base.json_name.as_str(), "extension" | "modifierExtension");
        let mut slices = Vec::new();
        let mut names: Vec<String> = taken.to_vec();
        for slice in &node.slices {
            let mut matchers = Vec::new();
            for discriminator in &slice.discriminators {
                match self.matcher(discriminator)? {
                    Ok(matcher) => matchers.push(matcher),
                    Err(reason) => {
                        self.warn(format!(
                            "{}:{}: not typed as a slice ({reason}); its items stay in `{}`",
                            node.id, slice.name, base.json_name
                        ));
                        return Ok(None);
                    }
                }
            }
            let slice_camel = slice.name.to_upper_camel_case();
            let ty = self.object_type(
                &slice.node,
                base_type,
                format!("{parent}{camel}{slice_camel}"),
            )?;
            let simple = naming::field_name(&slice.name);
            let mut rust_name = if is_extension && !names.contains(&simple) {
                simple
            } else {
                format!("{}_{}", base.rust_name, naming::field_name(&slice.name))
            };
            while names.contains(&rust_name) {
                rust_name.push('_');
            }
            names.push(rust_name.clone());
            slices.push(SliceField {
                name: slice.name.clone(),
                rust_name,
                min: slice.node.min,
                max: slice.node.max,
                ty,
                short: slice.node.short.clone(),
                must_support: slice.node.must_support,
                matchers,
            });
        }
        let closed = node.slicing.as_ref().is_some_and(|s| s.rules == "closed");
        let rest = if closed {
            None
        } else {
            Some(Box::new(self.object_type(
                node,
                base_type,
                format!("{parent}{camel}"),
            )?))
        };
        Ok(Some(SlicedDef {
            slices,
            rest,
            rest_name: base.rust_name.clone(),
            ordered: node
                .slicing
                .as_ref()
                .is_some_and(|s| s.ordered == Some(true)),
            open_at_end: node
                .slicing
                .as_ref()
                .is_some_and(|s| s.rules == "openAtEnd"),
        }))
    }

    /// A discriminator as a matcher, or why it cannot be one.
    fn matcher(
        &mut self,
        discriminator: &DiscriminatorValue,
    ) -> Result<std::result::Result<MatcherDef, String>> {
        // A typed read sees one resource: nothing to resolve a reference in.
        let path = discriminator.path();
        if fhirgen_runtime::path::parse(path).is_ok_and(|steps| steps.contains(&Step::Resolve)) {
            return Ok(Err(format!("`{path}` looks through resolve()")));
        }
        Ok(Ok(match discriminator {
            DiscriminatorValue::Value { path, value } => MatcherDef::Value {
                path: path.clone(),
                pattern: PatternDef {
                    exact: true,
                    json: value.to_string(),
                },
            },
            DiscriminatorValue::Pattern { path, value } => MatcherDef::Value {
                path: path.clone(),
                pattern: PatternDef {
                    exact: false,
                    json: value.to_string(),
                },
            },
            DiscriminatorValue::Exists { path, present } => MatcherDef::Exists {
                path: path.clone(),
                present: *present,
            },
            DiscriminatorValue::InValueSet { path, value_set } => {
                match self.expander.expand_binding(value_set)? {
                    Expansion::Enumerated(codes) => MatcherDef::Codes {
                        path: path.clone(),
                        codes: codes.into_iter().map(|c| (c.system, c.code)).collect(),
                    },
                    Expansion::NotExpandable(why) => {
                        return Ok(Err(format!("value set {value_set} does not expand: {why}")));
                    }
                }
            }
            // A choice's type slices are its enum's variants; a type
            // elsewhere is a resource's (`Bundle.entry.resource`).
            DiscriminatorValue::Type { path, .. } if path == "$this" => {
                return Ok(Err(format!("type discriminator at `{path}`")));
            }
            DiscriminatorValue::Type { path, codes } => MatcherDef::Type {
                path: path.clone(),
                codes: codes.clone(),
            },
            DiscriminatorValue::Profile { path, profiles }
                if profiles.is_empty()
                    || profiles
                        .iter()
                        .any(|p| self.set.resolve_as::<StructureDefinition>(p).is_err()) =>
            {
                return Ok(Err(format!(
                    "profile discriminator at `{path}` naming a profile not in the packages"
                )));
            }
            // Routed by the profile's rule table, which the crate embeds.
            DiscriminatorValue::Profile { path, profiles } => MatcherDef::Profile {
                path: path.clone(),
                urls: profiles
                    .iter()
                    .map(|p| fhirgen_runtime::canonical_url(p).to_owned())
                    .collect(),
            },
            DiscriminatorValue::InTarget { path, .. } => {
                return Ok(Err(format!("`{path}` looks through resolve()")));
            }
            DiscriminatorValue::Unresolved { path, reason } => {
                return Ok(Err(format!("`{path}`: {reason}")));
            }
        }))
    }

    fn finish(mut self, package: PackageId) -> Result<ProfileSpace> {
        // Depth, now that every parent is known.
        let by_name: HashMap<String, Option<String>> = self
            .profiles
            .iter()
            .map(|p| (p.rust_name.clone(), p.parent.clone()))
            .collect();
        for profile in &mut self.profiles {
            let mut depth = 0;
            let mut current = profile.parent.clone();
            while let Some(parent) = current {
                depth += 1;
                current = by_name.get(&parent).cloned().flatten();
            }
            profile.depth = depth;
        }
        let profiles_by_name: HashMap<String, ProfileType> = self
            .profiles
            .iter()
            .map(|p| (p.rust_name.clone(), p.clone()))
            .collect();
        for s in &mut self.structs {
            if let Some(profile) = &mut s.profile {
                **profile = profiles_by_name[&profile.rust_name].clone();
            }
        }
        self.profiles.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
        self.choices.sort_by(|a, b| a.name.cmp(&b.name));
        let base_package = self.base.package.clone();
        Ok(ProfileSpace {
            package,
            base_package,
            profiles: self.profiles,
            structs: self.structs,
            choices: self.choices,
            base_choices: self.used_base_choices.into_values().collect(),
            code_enums: {
                // Enums of the base crate or a reused one have a path.
                let mut enums: Vec<CodeEnum> = self
                    .code_enums
                    .into_values()
                    .flatten()
                    .filter(|e| !e.name.starts_with("::"))
                    .collect();
                enums.sort_by(|a, b| a.name.cmp(&b.name));
                enums
            },
            base_without_required: self
                .base
                .structs
                .iter()
                .filter(|s| s.kind == StructKind::Datatype && s.fields.iter().all(|f| f.min == 0))
                .map(|s| format!("{BASE_CRATE}::{}", s.name))
                .collect(),
            warnings: self.warnings,
            reused: self.used_crates.into_iter().collect(),
        })
    }
}

/// The resource types the target profiles of a reference constrain, sorted;
/// empty when any resource is allowed or a target is not in the packages.
pub(crate) fn reference_target_types(set: &PackageSet, targets: &[&str]) -> Vec<String> {
    let mut types = Vec::new();
    for target in targets {
        match set.resolve_as::<StructureDefinition>(target) {
            Ok(definition) if definition.type_ != "Resource" => {
                if !types.contains(&definition.type_) {
                    types.push(definition.type_.clone());
                }
            }
            _ => return Vec::new(),
        }
    }
    types.sort();
    types
}

/// Canonical URLs as code spans, for docs: `` `a`, `b` ``.
fn code_spans(urls: &[&str]) -> String {
    urls.iter()
        .map(|u| format!("`{u}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The profile's fixed value or pattern on this element, as JSON.
fn pattern_of(node: &ProfileNode) -> Option<PatternDef> {
    if let Some(value) = &node.fixed {
        return Some(PatternDef {
            exact: true,
            json: value.to_string(),
        });
    }
    node.pattern.as_ref().map(|value| PatternDef {
        exact: false,
        json: value.to_string(),
    })
}

/// The extension definition an `Extension` element is typed with.
fn extension_profile(node: &ProfileNode) -> Option<String> {
    match node.types.as_slice() {
        [only] if only.code.as_deref() == Some("Extension") => only.profile.first().cloned(),
        _ => None,
    }
}
