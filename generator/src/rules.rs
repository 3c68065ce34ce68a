//! A profile's rules as the table the runtime's checker runs
//! ([`fhirgen_runtime::check::ProfileRules`]), built from the profile model
//! of any package at run time: what `fhirgen validate` checks.
//!
//! The rules are decided as for the generated types: the same expansion of
//! required bindings ([`binding_codes`]), the same reference targets
//! ([`reference_target_types`]), the same discriminator values.

use std::collections::HashMap;
use std::sync::Arc;

use fhirgen_runtime::check::{
    CodeRule, Discriminator, ElementRule, ProfileRules, SliceRule, SlicingRule, ValueRule,
};

use crate::conformance::{Max, StructureDefinition};
use crate::error::Result;
use crate::ir::{
    DiscriminatorValue, ProfileModel, ProfileNode, binding_codes, reference_target_types,
};
use crate::package::PackageSet;
use crate::terminology::{Expander, Expansion};

/// Builds rule tables, keeping each value set's codes and each profile's
/// table once.
pub struct RulesBuilder<'a> {
    set: &'a PackageSet,
    expander: Expander<'a>,
    codes: HashMap<String, Option<Vec<(String, String)>>>,
    /// The table of each profile built, by the canonical asked for.
    profiles: HashMap<String, Arc<ProfileRules>>,
    /// Extension definitions being unfolded (an extension used inside its
    /// own definition is not unfolded again).
    unfolding: Vec<String>,
    /// Profiles being built (a profile discriminator that leads back to one
    /// of them cannot be decided).
    building: Vec<String>,
}

impl<'a> RulesBuilder<'a> {
    pub fn new(set: &'a PackageSet) -> Self {
        Self {
            set,
            expander: Expander::new(set),
            codes: HashMap::new(),
            profiles: HashMap::new(),
            unfolding: Vec::new(),
            building: Vec::new(),
        }
    }

    /// The rules of the profile (or base type) at the canonical `url`
    /// (`|version` allowed), built once.
    pub fn rules_for(&mut self, url: &str) -> Result<Arc<ProfileRules>> {
        if let Some(rules) = self.profiles.get(url) {
            return Ok(rules.clone());
        }
        let definition = self.set.resolve_as::<StructureDefinition>(url)?;
        let (definition, _) = crate::ir::with_snapshot(self.set, definition)?;
        let model = self.model_of(&definition)?;
        self.building.push(url.to_owned());
        let rules = self.build(&model);
        self.building.pop();
        let rules = Arc::new(rules?);
        self.profiles.insert(url.to_owned(), rules.clone());
        Ok(rules)
    }

    fn model_of(&self, definition: &StructureDefinition) -> Result<ProfileModel> {
        ProfileModel::from_definition(definition).map_err(|(element, message)| {
            crate::Error::InvalidElement {
                package: self.set.root().id().clone(),
                file: definition.url.clone(),
                element,
                message,
            }
        })
    }

    /// The rules of `model`.
    pub fn build(&mut self, model: &ProfileModel) -> Result<ProfileRules> {
        Ok(ProfileRules {
            url: model.url.clone(),
            resource_type: model.type_.clone(),
            root: self.element(&model.root)?,
        })
    }

    fn element(&mut self, node: &ProfileNode) -> Result<ElementRule> {
        let mut children = Vec::new();
        for child in &node.children {
            let rule = self.element(child)?;
            // An element with nothing to check beyond its base's shape (which
            // reading FHIR JSON as R4 checks) is left out of the table.
            if !rule.is_empty() {
                children.push(rule);
            }
        }
        // An extension typed by its definition: the definition's rules
        // (its url, value type, sub-extensions) apply to the item.
        if let Some(definition) = self.extension_definition(node) {
            let (definition, _) = crate::ir::with_snapshot(self.set, definition)?;
            let model = self.model_of(&definition)?;
            self.unfolding.push(definition.url.clone());
            let root = self.element(&model.root);
            self.unfolding.pop();
            for child in root?.children {
                if !children.iter().any(|c: &ElementRule| c.name == child.name) {
                    children.push(child);
                }
            }
        }
        let slicing = match &node.slicing {
            Some(slicing) if !node.slices.is_empty() => {
                let mut slices = Vec::new();
                for slice in &node.slices {
                    let mut discriminators = Vec::new();
                    for d in &slice.discriminators {
                        discriminators.push(self.discriminator(d)?);
                    }
                    slices.push(SliceRule {
                        name: slice.name.clone(),
                        discriminators,
                        element: self.element(&slice.node)?,
                    });
                }
                Some(SlicingRule {
                    closed: slicing.rules == "closed",
                    open_at_end: slicing.rules == "openAtEnd",
                    ordered: slicing.ordered == Some(true),
                    slices,
                })
            }
            _ => None,
        };
        let value = match (&node.fixed, &node.pattern) {
            (Some(fixed), _) => ValueRule::new(fixed.to_string(), true),
            (None, Some(pattern)) => ValueRule::new(pattern.to_string(), false),
            (None, None) => None,
        };
        let targets = node.target_profiles();
        Ok(ElementRule {
            id: node.id.clone(),
            name: node.name.clone(),
            min: node.min,
            // A maximum the base has already is the base's rule.
            max: match node.max {
                Max::Count(n) if Some(node.max) != node.base_max => Some(n),
                _ => None,
            },
            repeats: !matches!(node.base_max.unwrap_or(node.max), Max::Count(0 | 1)),
            choice: node
                .path
                .ends_with("[x]")
                .then(|| node.types.iter().filter_map(|t| t.code.clone()).collect()),
            value,
            codes: self.code_rule(node)?,
            targets: reference_target_types(self.set, &targets),
            children,
            slicing,
        })
    }

    /// The definition of an extension element typed by one, unless it is
    /// being unfolded already.
    fn extension_definition(
        &self,
        node: &ProfileNode,
    ) -> Option<std::sync::Arc<StructureDefinition>> {
        let [only] = node.types.as_slice() else {
            return None;
        };
        if only.code.as_deref() != Some("Extension") {
            return None;
        }
        let url = only.profile.first()?;
        let definition = self.set.resolve_as::<StructureDefinition>(url).ok()?;
        (definition.type_ == "Extension" && !self.unfolding.contains(&definition.url))
            .then_some(definition)
    }

    /// A required binding on a coded element of one type, when its value set
    /// gives the codes (as the generated types check it).
    fn code_rule(&mut self, node: &ProfileNode) -> Result<Option<CodeRule>> {
        let Some(binding) = &node.binding else {
            return Ok(None);
        };
        let (Some(value_set), "required") = (&binding.value_set, binding.strength.as_str()) else {
            return Ok(None);
        };
        let is_code = match node.types.as_slice() {
            [only] => match only.code.as_deref() {
                Some("code") => true,
                Some("Coding" | "CodeableConcept") => false,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let bare = fhirgen_runtime::canonical_url(value_set);
        Ok(self
            .codes_of(bare)?
            .filter(|codes| !codes.is_empty())
            .map(|codes| CodeRule {
                value_set: bare.to_owned(),
                codes,
                is_code,
            }))
    }

    fn codes_of(&mut self, value_set: &str) -> Result<Option<Vec<(String, String)>>> {
        if let Some(known) = self.codes.get(value_set) {
            return Ok(known.clone());
        }
        let codes = binding_codes(&self.expander, value_set)?
            .ok()
            .map(|codes| codes.into_iter().map(|c| (c.system, c.code)).collect());
        self.codes.insert(value_set.to_owned(), codes.clone());
        Ok(codes)
    }

    fn discriminator(&mut self, value: &DiscriminatorValue) -> Result<Discriminator> {
        let undecidable = |path: &str, reason: String| Discriminator::Undecidable {
            path: path.to_owned(),
            reason,
        };
        let value_rule = |path: &str, value: &serde_json::Value, exact: bool| match ValueRule::new(
            value.to_string(),
            exact,
        ) {
            Some(rule) => Discriminator::Value {
                path: path.to_owned(),
                rule,
            },
            None => undecidable(path, "the slice's value is not JSON".to_owned()),
        };
        Ok(match value {
            DiscriminatorValue::Value { path, value } => value_rule(path, value, true),
            DiscriminatorValue::Pattern { path, value } => value_rule(path, value, false),
            DiscriminatorValue::Type { path, codes } => Discriminator::Type {
                path: path.clone(),
                codes: codes.clone(),
            },
            DiscriminatorValue::Exists { path, present } => Discriminator::Exists {
                path: path.clone(),
                present: *present,
            },
            // Every code of the expansion, as the generated types route them.
            DiscriminatorValue::InValueSet { path, value_set } => {
                match self.expander.expand_binding(value_set)? {
                    Expansion::Enumerated(codes) => Discriminator::Codes {
                        path: path.clone(),
                        codes: codes.into_iter().map(|c| (c.system, c.code)).collect(),
                    },
                    Expansion::NotExpandable(why) => undecidable(
                        path,
                        format!("value set {value_set} does not expand offline: {why}"),
                    ),
                }
            }
            DiscriminatorValue::Profile { path, profiles } => {
                self.profile_discriminator(path, profiles)
            }
            DiscriminatorValue::InTarget {
                path,
                kind,
                rest,
                profiles,
            } => self.through_reference(path, kind, rest, profiles)?,
            DiscriminatorValue::Unresolved { path, reason } => undecidable(path, reason.clone()),
        })
    }

    /// A profile discriminator: the rules of each profile, or why they
    /// cannot be had.
    fn profile_discriminator(&mut self, path: &str, profiles: &[String]) -> Discriminator {
        let mut rules = Vec::new();
        for profile in profiles {
            if self.building.iter().any(|b| b == profile) {
                return Discriminator::Undecidable {
                    path: path.to_owned(),
                    reason: format!("profile {profile} slices by conformance to itself"),
                };
            }
            match self.rules_for(profile) {
                Ok(r) => rules.push(r),
                Err(e) => {
                    return Discriminator::Undecidable {
                        path: path.to_owned(),
                        reason: format!("profile {profile}: {e}"),
                    };
                }
            }
        }
        if rules.is_empty() {
            return Discriminator::Undecidable {
                path: path.to_owned(),
                reason: "the slice names no profile there".to_owned(),
            };
        }
        Discriminator::Profile {
            path: path.to_owned(),
            profiles: rules,
        }
    }

    /// A discriminator through `resolve()`: what the reference's target
    /// profile requires at `rest`, checked on the resolved resource.
    fn through_reference(
        &mut self,
        path: &str,
        kind: &str,
        rest: &str,
        profiles: &[String],
    ) -> Result<Discriminator> {
        let undecidable = |reason: String| Discriminator::Undecidable {
            path: path.to_owned(),
            reason,
        };
        if rest.is_empty() && kind == "profile" {
            return Ok(self.profile_discriminator(path, profiles));
        }
        if rest.is_empty() && kind == "type" {
            let mut codes = Vec::new();
            for profile in profiles {
                match self.set.resolve_as::<StructureDefinition>(profile) {
                    Ok(definition) => codes.push(definition.type_.clone()),
                    Err(e) => return Ok(undecidable(format!("target profile {profile}: {e}"))),
                }
            }
            return Ok(Discriminator::Type {
                path: path.to_owned(),
                codes,
            });
        }
        let [profile] = profiles else {
            return Ok(undecidable(format!(
                "a {kind} discriminator through resolve() needs one target profile, not {}",
                profiles.len()
            )));
        };
        let definition = match self
            .set
            .resolve_as::<StructureDefinition>(profile)
            .and_then(|d| crate::ir::with_snapshot(self.set, d))
        {
            Ok((definition, _)) => definition,
            Err(e) => return Ok(undecidable(format!("target profile {profile}: {e}"))),
        };
        let model = self.model_of(&definition)?;
        let inner = crate::ir::discriminator_value(&model.root, kind, rest);
        Ok(self.discriminator(&inner)?.at(path))
    }
}

/// The rule tables a profile crate embeds (`src/rules.rs`): those of its
/// resource profiles, and of the profiles their `profile` discriminators
/// name that no crate it builds on has.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedTables {
    /// Sorted by URL.
    pub tables: Vec<Arc<ProfileRules>>,
    /// The crates (`us-core-6-1-0`) asked for the tables of profiles they
    /// have, in order.
    pub delegates: Vec<String>,
}

/// The [`EmbeddedTables`] of the crate whose types are `space`, over the
/// `reused` crates.
pub fn embedded_tables(
    set: &PackageSet,
    space: &crate::ir::ProfileSpace,
    reused: &[crate::ir::ReusedCrate],
) -> Result<EmbeddedTables> {
    let delegates: Vec<&crate::ir::ReusedCrate> = reused
        .iter()
        .filter(|c| space.reused.contains(&c.crate_name))
        .collect();
    let elsewhere = |url: &str| delegates.iter().any(|c| c.profile(url).is_some());
    let mut builder = RulesBuilder::new(set);
    let mut tables: std::collections::BTreeMap<String, Arc<ProfileRules>> = Default::default();
    let mut pending: Vec<Arc<ProfileRules>> = Vec::new();
    for profile in &space.profiles {
        if profile.kind == crate::ir::ProfileKind::Resource {
            pending.push(builder.rules_for(&profile.url)?);
        }
    }
    while let Some(table) = pending.pop() {
        if tables.contains_key(&table.url) {
            continue;
        }
        let mut named = Vec::new();
        profiles_named(&table.root, &mut named);
        pending.extend(named.into_iter().filter(|t| !elsewhere(&t.url)));
        tables.insert(table.url.clone(), table);
    }
    Ok(EmbeddedTables {
        tables: tables.into_values().collect(),
        delegates: delegates.iter().map(|c| c.crate_name.clone()).collect(),
    })
}

/// The tables `profile` discriminators at or below `rule` name.
fn profiles_named(rule: &ElementRule, out: &mut Vec<Arc<ProfileRules>>) {
    for child in &rule.children {
        profiles_named(child, out);
    }
    for slice in rule.slicing.iter().flat_map(|s| &s.slices) {
        for d in &slice.discriminators {
            if let Discriminator::Profile { profiles, .. } = d {
                out.extend(profiles.iter().cloned());
            }
        }
        profiles_named(&slice.element, out);
    }
}
