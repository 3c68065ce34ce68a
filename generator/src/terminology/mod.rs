//! ValueSet expansion, for what can be enumerated offline from the loaded
//! packages.
//!
//! A value set expands when every part of its definition can be computed
//! exactly: concept lists, whole code systems that are loaded and complete,
//! `is-a` / `descendent-of` / `is-not-a` / `in` / `=` filters over loaded
//! code systems, and imports of value sets that expand themselves. Anything else
//! (LOINC, SNOMED CT, VSAC, other intensional definitions) is
//! [`Expansion::NotExpandable`] with the reason, never a partial guess.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::conformance::{CodeSystem, CodeSystemConcept, ConceptSet, ExpansionContains, ValueSet};
use crate::error::{Error, Result};
use crate::package::PackageSet;

/// The result of expanding a value set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expansion {
    /// Every code of the value set, in definition order, without duplicates.
    Enumerated(Vec<ExpandedCode>),
    /// The value set cannot be enumerated offline; the text says why.
    NotExpandable(String),
}

impl Expansion {
    pub fn codes(&self) -> Option<&[ExpandedCode]> {
        match self {
            Expansion::Enumerated(codes) => Some(codes),
            Expansion::NotExpandable(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpandedCode {
    pub system: String,
    pub version: Option<String>,
    pub code: String,
    pub display: Option<String>,
    /// Not to be used in data (a grouping concept).
    pub is_abstract: bool,
    pub inactive: bool,
}

/// Expands value sets of one [`PackageSet`], remembering every result.
pub struct Expander<'a> {
    set: &'a PackageSet,
    cache: RefCell<HashMap<String, Expansion>>,
}

/// The inner result: `Err` is "not expandable, because".
type Partial<T> = std::result::Result<T, String>;

impl<'a> Expander<'a> {
    pub fn new(set: &'a PackageSet) -> Self {
        Self {
            set,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// Expands the value set with this canonical URL (`url` or `url|version`).
    /// A value set that is not in the packages is an error; one that is there
    /// but cannot be enumerated is [`Expansion::NotExpandable`].
    pub fn expand(&self, canonical: &str) -> Result<Expansion> {
        self.expand_in(canonical, &mut Vec::new())
    }

    /// Like [`Self::expand`], but a value set missing from the packages is
    /// "not expandable" too (what a binding needs: the profile is still usable).
    pub fn expand_binding(&self, canonical: &str) -> Result<Expansion> {
        match self.expand(canonical) {
            Err(error @ Error::NotFound { .. }) => Ok(Expansion::NotExpandable(error.to_string())),
            other => other,
        }
    }

    fn expand_in(&self, canonical: &str, stack: &mut Vec<String>) -> Result<Expansion> {
        if let Some(done) = self.cache.borrow().get(canonical) {
            return Ok(done.clone());
        }
        if stack.iter().any(|url| url == canonical) {
            stack.push(canonical.to_owned());
            return Ok(Expansion::NotExpandable(format!(
                "value set import cycle: {}",
                stack.join(" -> ")
            )));
        }
        let value_set = self.set.resolve_as::<ValueSet>(canonical)?;
        stack.push(canonical.to_owned());
        let computed = self.compose(&value_set, stack);
        stack.pop();
        let expansion = match computed? {
            Ok(codes) => Expansion::Enumerated(codes),
            Err(reason) => match shipped_expansion(&value_set) {
                Some(codes) => Expansion::Enumerated(codes),
                None => Expansion::NotExpandable(reason),
            },
        };
        self.cache
            .borrow_mut()
            .insert(canonical.to_owned(), expansion.clone());
        Ok(expansion)
    }

    fn compose(
        &self,
        value_set: &ValueSet,
        stack: &mut Vec<String>,
    ) -> Result<Partial<Vec<ExpandedCode>>> {
        let Some(compose) = &value_set.compose else {
            return Ok(Err("the value set has no compose".to_owned()));
        };
        let mut codes = Vec::new();
        let mut seen = HashSet::new();
        for include in &compose.include {
            match self.concept_set(include, stack)? {
                Ok(found) => {
                    for code in found {
                        if seen.insert((code.system.clone(), code.code.clone())) {
                            codes.push(code);
                        }
                    }
                }
                Err(reason) => return Ok(Err(reason)),
            }
        }
        for exclude in &compose.exclude {
            match self.concept_set(exclude, stack)? {
                Ok(found) => {
                    let out: HashSet<(&str, &str)> = found
                        .iter()
                        .map(|c| (c.system.as_str(), c.code.as_str()))
                        .collect();
                    codes.retain(|c| !out.contains(&(c.system.as_str(), c.code.as_str())));
                }
                Err(reason) => return Ok(Err(format!("an exclude cannot be expanded: {reason}"))),
            }
        }
        if compose.inactive == Some(false) {
            codes.retain(|c| !c.inactive);
        }
        Ok(Ok(codes))
    }

    /// The codes of one include/exclude: its system part intersected with each
    /// imported value set.
    fn concept_set(
        &self,
        set: &ConceptSet,
        stack: &mut Vec<String>,
    ) -> Result<Partial<Vec<ExpandedCode>>> {
        let mut imports = Vec::new();
        for canonical in &set.value_set {
            let imported = match self.expand_in(canonical, stack) {
                Err(error @ Error::NotFound { .. }) => Expansion::NotExpandable(error.to_string()),
                other => other?,
            };
            match imported {
                Expansion::Enumerated(codes) => imports.push(codes),
                Expansion::NotExpandable(reason) => {
                    return Ok(Err(format!("imported value set {canonical}: {reason}")));
                }
            }
        }
        let mut codes = match &set.system {
            Some(system) => match self.system_codes(system, set)? {
                Ok(codes) => codes,
                Err(reason) => return Ok(Err(reason)),
            },
            None => match imports.first() {
                Some(first) => first.clone(),
                None => {
                    return Ok(Err(
                        "an include names neither a system nor a value set".to_owned()
                    ));
                }
            },
        };
        for import in &imports {
            let keep: HashSet<(&str, &str)> = import
                .iter()
                .map(|c| (c.system.as_str(), c.code.as_str()))
                .collect();
            codes.retain(|c| keep.contains(&(c.system.as_str(), c.code.as_str())));
        }
        Ok(Ok(codes))
    }

    fn system_codes(&self, system: &str, set: &ConceptSet) -> Result<Partial<Vec<ExpandedCode>>> {
        let canonical = match &set.version {
            Some(version) => format!("{system}|{version}"),
            None => system.to_owned(),
        };
        let code_system = match self.set.resolve_as::<CodeSystem>(&canonical) {
            Ok(found) => Some(found),
            Err(Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        let code_system = code_system.filter(|cs| cs.content != "not-present");
        // Listed concepts need no code system, but take its displays and must
        // exist in it when it is complete.
        if !set.concept.is_empty() {
            if !set.filter.is_empty() {
                return Ok(Err(format!(
                    "an include of {system} has both concepts and filters"
                )));
            }
            let mut codes = Vec::new();
            for listed in &set.concept {
                let defined = code_system
                    .as_ref()
                    .and_then(|cs| find_concept(&cs.concept, &listed.code));
                if defined.is_none()
                    && code_system
                        .as_ref()
                        .is_some_and(|cs| cs.content == "complete")
                {
                    return Ok(Err(format!(
                        "code `{}` is not in code system {system}",
                        listed.code
                    )));
                }
                codes.push(ExpandedCode {
                    system: system.to_owned(),
                    version: set.version.clone(),
                    code: listed.code.clone(),
                    display: listed
                        .display
                        .clone()
                        .or_else(|| defined.and_then(|c| c.display.clone())),
                    is_abstract: defined.is_some_and(CodeSystemConcept::is_abstract),
                    inactive: defined.is_some_and(CodeSystemConcept::is_inactive),
                });
            }
            return Ok(Ok(codes));
        }
        let Some(code_system) = code_system else {
            return Ok(Err(format!(
                "code system {system} is not in the loaded packages (an external terminology cannot be enumerated offline)"
            )));
        };
        if code_system.content != "complete" {
            return Ok(Err(format!(
                "code system {system} is in the packages only as `{}` content, not complete",
                code_system.content
            )));
        }
        let hierarchy = Hierarchy::new(&code_system);
        let mut selected: Option<Vec<&CodeSystemConcept>> = None;
        for filter in &set.filter {
            let matching = match hierarchy.filter(&filter.property, &filter.op, &filter.value) {
                Ok(matching) => matching,
                Err(reason) => return Ok(Err(format!("{system}: {reason}"))),
            };
            selected = Some(match selected {
                None => matching,
                Some(previous) => previous
                    .into_iter()
                    .filter(|c| matching.iter().any(|m| m.code == c.code))
                    .collect(),
            });
        }
        let chosen = selected.unwrap_or_else(|| hierarchy.order.clone());
        Ok(Ok(chosen
            .into_iter()
            .map(|concept| ExpandedCode {
                system: system.to_owned(),
                version: set
                    .version
                    .clone()
                    .or_else(|| code_system.version.clone())
                    .filter(|_| set.version.is_some()),
                code: concept.code.clone(),
                display: concept.display.clone(),
                is_abstract: concept.is_abstract(),
                inactive: concept.is_inactive(),
            })
            .collect()))
    }
}

fn find_concept<'c>(
    concepts: &'c [CodeSystemConcept],
    code: &str,
) -> Option<&'c CodeSystemConcept> {
    concepts.iter().find_map(|c| {
        if c.code == code {
            Some(c)
        } else {
            find_concept(&c.concept, code)
        }
    })
}

/// The expansion a value set carries, when it is complete (no paging, and as
/// many codes as its total says).
fn shipped_expansion(value_set: &ValueSet) -> Option<Vec<ExpandedCode>> {
    let expansion = value_set.expansion.as_ref()?;
    if expansion.offset.is_some_and(|o| o > 0) {
        return None;
    }
    fn flatten(items: &[ExpansionContains], out: &mut Vec<ExpandedCode>) -> Option<()> {
        for item in items {
            if let Some(code) = &item.code {
                out.push(ExpandedCode {
                    system: item.system.clone()?,
                    version: item.version.clone(),
                    code: code.clone(),
                    display: item.display.clone(),
                    is_abstract: item.is_abstract.unwrap_or(false),
                    inactive: item.inactive.unwrap_or(false),
                });
            }
            flatten(&item.contains, out)?;
        }
        Some(())
    }
    let mut codes = Vec::new();
    flatten(&expansion.contains, &mut codes)?;
    let complete = expansion
        .total
        .is_none_or(|total| total == codes.len() as i64);
    (complete && !codes.is_empty()).then_some(codes)
}

/// A code system's concepts in definition order, with parent/child links from
/// both nesting and `parent` / `subsumedBy` properties.
struct Hierarchy<'c> {
    order: Vec<&'c CodeSystemConcept>,
    children: HashMap<&'c str, Vec<&'c CodeSystemConcept>>,
    by_code: HashMap<&'c str, &'c CodeSystemConcept>,
}

impl<'c> Hierarchy<'c> {
    fn new(code_system: &'c Arc<CodeSystem>) -> Self {
        let mut hierarchy = Hierarchy {
            order: Vec::new(),
            children: HashMap::new(),
            by_code: HashMap::new(),
        };
        hierarchy.walk(&code_system.concept, None);
        let declared: Vec<(&'c str, &'c CodeSystemConcept)> = hierarchy
            .order
            .iter()
            .flat_map(|c| c.declared_parents().map(move |parent| (parent, *c)))
            .collect();
        for (parent, child) in declared {
            hierarchy.children.entry(parent).or_default().push(child);
        }
        hierarchy
    }

    fn walk(&mut self, concepts: &'c [CodeSystemConcept], parent: Option<&'c str>) {
        for concept in concepts {
            // A code nested under two parents (polyhierarchy) is listed once.
            if self.by_code.insert(&concept.code, concept).is_none() {
                self.order.push(concept);
            }
            if let Some(parent) = parent {
                self.children.entry(parent).or_default().push(concept);
            }
            self.walk(&concept.concept, Some(&concept.code));
        }
    }

    fn descendants(&self, code: &str) -> HashSet<&'c str> {
        let mut found = HashSet::new();
        let mut pending = vec![code];
        while let Some(next) = pending.pop() {
            for child in self.children.get(next).into_iter().flatten() {
                if found.insert(child.code.as_str()) {
                    pending.push(&child.code);
                }
            }
        }
        found
    }

    fn filter(&self, property: &str, op: &str, value: &str) -> Partial<Vec<&'c CodeSystemConcept>> {
        let known = |code: &str| {
            if self.by_code.contains_key(code) {
                Ok(())
            } else {
                Err(format!("filter value `{code}` is not a code of the system"))
            }
        };
        let keep: Box<dyn Fn(&CodeSystemConcept) -> bool + '_> = match (property, op) {
            ("concept", "is-a") => {
                known(value)?;
                let below = self.descendants(value);
                Box::new(move |c| c.code == value || below.contains(c.code.as_str()))
            }
            ("concept", "descendent-of") => {
                known(value)?;
                let below = self.descendants(value);
                Box::new(move |c| below.contains(c.code.as_str()))
            }
            ("concept", "is-not-a") => {
                known(value)?;
                let below = self.descendants(value);
                Box::new(move |c| c.code != value && !below.contains(c.code.as_str()))
            }
            ("concept" | "code", "in") => {
                let codes: HashSet<&str> = value.split(',').map(str::trim).collect();
                Box::new(move |c| codes.contains(c.code.as_str()))
            }
            ("concept" | "code", "=") => Box::new(move |c| c.code == value),
            _ => {
                return Err(format!(
                    "filter `{property} {op} {value}` is not one that can be computed offline"
                ));
            }
        };
        Ok(self.order.iter().copied().filter(|c| keep(c)).collect())
    }
}

/// A value set's codes as `(system, code)`.
type CodeSet = HashSet<(String, String)>;

/// The codes of the package set's value sets, expanded offline once each.
pub struct ValueSetCodes<'s> {
    expander: Expander<'s>,
    /// `None` for a value set that does not expand offline.
    codes: RefCell<HashMap<String, Option<CodeSet>>>,
}

impl<'s> ValueSetCodes<'s> {
    pub fn new(set: &'s PackageSet) -> Self {
        ValueSetCodes {
            expander: Expander::new(set),
            codes: RefCell::new(HashMap::new()),
        }
    }
}

/// `memberOf()` in constraints, answered from offline expansions.
impl fhirgen_runtime::fhirpath::Terminology for ValueSetCodes<'_> {
    fn contains(&self, value_set: &str, system: Option<&str>, code: &str) -> Option<bool> {
        let mut cache = self.codes.borrow_mut();
        let codes = cache.entry(value_set.to_owned()).or_insert_with(|| {
            self.expander
                .expand_binding(value_set)
                .ok()?
                .codes()
                .map(|codes| {
                    codes
                        .iter()
                        .map(|c| (c.system.clone(), c.code.clone()))
                        .collect()
                })
        });
        let codes = codes.as_ref()?;
        Some(match system {
            Some(system) => codes.contains(&(system.to_owned(), code.to_owned())),
            None => codes.iter().any(|(_, c)| c == code),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::package::fixtures;

    const SYSTEM: &str = "http://example.org/cs/animals";

    fn animals(content: &str) -> Value {
        json!({
            "resourceType": "CodeSystem", "id": "animals", "url": SYSTEM, "content": content,
            "concept": [
                {"code": "animal", "display": "Animal", "concept": [
                    {"code": "mammal", "display": "Mammal", "concept": [
                        {"code": "dog", "display": "Dog"},
                        {"code": "cat", "display": "Cat"}
                    ]},
                    {"code": "bird", "display": "Bird"}
                ]},
                {"code": "stone", "display": "Stone"},
                {"code": "puppy", "display": "Puppy", "property": [{"code": "parent", "valueCode": "dog"}]}
            ]
        })
    }

    fn value_set(id: &str, compose: Value) -> Value {
        json!({"resourceType": "ValueSet", "id": id, "url": format!("http://example.org/vs/{id}"), "compose": compose})
    }

    fn expand(resources: &[Value], id: &str) -> Expansion {
        let set = fixtures::set(
            "test.pkg@1.0.0",
            vec![fixtures::files("test.pkg", "1.0.0", &[], resources)],
        )
        .unwrap();
        Expander::new(&set)
            .expand(&format!("http://example.org/vs/{id}"))
            .unwrap()
    }

    fn codes(expansion: &Expansion) -> Vec<&str> {
        match expansion {
            Expansion::Enumerated(codes) => codes.iter().map(|c| c.code.as_str()).collect(),
            Expansion::NotExpandable(reason) => panic!("not expandable: {reason}"),
        }
    }

    fn reason(expansion: &Expansion) -> &str {
        match expansion {
            Expansion::NotExpandable(reason) => reason,
            Expansion::Enumerated(codes) => panic!("expanded to {codes:?}"),
        }
    }

    #[test]
    fn whole_system_and_listed_concepts() {
        let all = value_set("all", json!({"include": [{"system": SYSTEM}]}));
        let listed = value_set(
            "listed",
            json!({"include": [{"system": SYSTEM, "concept": [{"code": "cat"}, {"code": "bird", "display": "Birdie"}]}]}),
        );
        let expansion = expand(&[animals("complete"), all.clone(), listed.clone()], "all");
        assert_eq!(
            codes(&expansion),
            ["animal", "mammal", "dog", "cat", "bird", "stone", "puppy"]
        );
        let expansion = expand(&[animals("complete"), listed], "listed");
        let Expansion::Enumerated(found) = expansion else {
            panic!()
        };
        assert_eq!(
            found[0].display.as_deref(),
            Some("Cat"),
            "display taken from the code system"
        );
        assert_eq!(
            found[1].display.as_deref(),
            Some("Birdie"),
            "display of the value set wins"
        );
    }

    #[test]
    fn hierarchy_filters() {
        let filter = |id: &str, op: &str, value: &str| {
            value_set(
                id,
                json!({"include": [{"system": SYSTEM, "filter": [{"property": "concept", "op": op, "value": value}]}]}),
            )
        };
        let resources = [
            animals("complete"),
            filter("is-a", "is-a", "mammal"),
            filter("descendent", "descendent-of", "mammal"),
            filter("not", "is-not-a", "animal"),
            filter("regex", "regex", "d.*"),
            filter("unknown", "is-a", "unicorn"),
        ];
        assert_eq!(
            codes(&expand(&resources, "is-a")),
            ["mammal", "dog", "cat", "puppy"]
        );
        assert_eq!(
            codes(&expand(&resources, "descendent")),
            ["dog", "cat", "puppy"]
        );
        assert_eq!(codes(&expand(&resources, "not")), ["stone"]);
        assert!(reason(&expand(&resources, "regex")).contains("`concept regex d.*`"));
        assert!(reason(&expand(&resources, "unknown")).contains("`unicorn` is not a code"));
    }

    #[test]
    fn excludes_and_imports() {
        let resources = [
            animals("complete"),
            value_set(
                "mammals",
                json!({"include": [{"system": SYSTEM, "filter": [{"property": "concept", "op": "is-a", "value": "mammal"}]}],
                                        "exclude": [{"system": SYSTEM, "concept": [{"code": "cat"}]}]}),
            ),
            value_set(
                "pets",
                json!({"include": [{"system": SYSTEM, "concept": [{"code": "dog"}, {"code": "cat"}, {"code": "bird"}]}]}),
            ),
            value_set(
                "both",
                json!({"include": [{"valueSet": ["http://example.org/vs/mammals", "http://example.org/vs/pets"]}]}),
            ),
            value_set(
                "either",
                json!({"include": [{"valueSet": ["http://example.org/vs/mammals"]}, {"valueSet": ["http://example.org/vs/pets"]}]}),
            ),
            value_set(
                "loop-a",
                json!({"include": [{"valueSet": ["http://example.org/vs/loop-b"]}]}),
            ),
            value_set(
                "loop-b",
                json!({"include": [{"valueSet": ["http://example.org/vs/loop-a"]}]}),
            ),
        ];
        assert_eq!(
            codes(&expand(&resources, "mammals")),
            ["mammal", "dog", "puppy"]
        );
        assert_eq!(codes(&expand(&resources, "both")), ["dog"]);
        assert_eq!(
            codes(&expand(&resources, "either")),
            ["mammal", "dog", "puppy", "cat", "bird"]
        );
        assert!(reason(&expand(&resources, "loop-a")).contains("import cycle"));
    }

    #[test]
    fn what_cannot_be_enumerated_says_why() {
        let resources = [
            animals("fragment"),
            value_set("fragment", json!({"include": [{"system": SYSTEM}]})),
            value_set(
                "loinc",
                json!({"include": [{"system": "http://loinc.org"}]}),
            ),
            value_set(
                "vsac",
                json!({"include": [{"valueSet": ["http://cts.nlm.nih.gov/fhir/ValueSet/1.2.3"]}]}),
            ),
        ];
        assert!(reason(&expand(&resources, "fragment")).contains("`fragment` content"));
        assert!(
            reason(&expand(&resources, "loinc"))
                .contains("http://loinc.org is not in the loaded packages")
        );
        assert!(
            reason(&expand(&resources, "vsac"))
                .contains("http://cts.nlm.nih.gov/fhir/ValueSet/1.2.3")
        );
    }

    #[test]
    fn a_shipped_complete_expansion_is_used_when_compose_cannot_be() {
        let shipped = json!({"resourceType": "ValueSet", "id": "shipped", "url": "http://example.org/vs/shipped",
            "compose": {"include": [{"system": "http://loinc.org", "filter": [{"property": "CLASS", "op": "=", "value": "X"}]}]},
            "expansion": {"total": 1, "contains": [{"system": "http://loinc.org", "code": "1-8"}]}});
        assert_eq!(codes(&expand(&[shipped], "shipped")), ["1-8"]);
    }

    #[test]
    fn an_unknown_value_set_is_an_error_but_an_unknown_binding_is_not() {
        let set = fixtures::set(
            "test.pkg@1.0.0",
            vec![fixtures::files("test.pkg", "1.0.0", &[], &[])],
        )
        .unwrap();
        let expander = Expander::new(&set);
        assert!(matches!(
            expander.expand("http://example.org/vs/nope"),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            expander.expand_binding("http://example.org/vs/nope"),
            Ok(Expansion::NotExpandable(_))
        ));
    }
}
