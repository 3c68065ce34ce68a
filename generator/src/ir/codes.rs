//! Code enums: the codes of a value set that a required or extensible
//! binding names, as a Rust enum. The base crate has one for each value set
//! its own elements bind; a profile crate makes the others, once each.

use std::collections::HashSet;

use heck::ToUpperCamelCase;

use super::{CodeEnum, EnumCode};
use crate::error::Result;
use crate::package::PackageSet;
use crate::terminology::{ExpandedCode, Expander, Expansion};

/// Value sets with more codes than this stay open types (a warning says so).
pub(crate) const MAX_ENUM_CODES: usize = 300;

/// The codes a required binding to `value_set` is checked against: its
/// expansion's codes (not the abstract ones), or why it is not checked (it
/// does not expand offline, or is larger than [`MAX_ENUM_CODES`]). The code
/// enums of the types and the rule tables of `fhirgen validate` both use it.
pub(crate) fn binding_codes(
    expander: &Expander<'_>,
    value_set: &str,
) -> Result<std::result::Result<Vec<ExpandedCode>, String>> {
    Ok(match expander.expand_binding(value_set)? {
        Expansion::NotExpandable(why) => {
            // The list of missing dependencies is in the loader's warnings.
            let why = why.split("; these dependencies").next().unwrap_or(&why);
            Err(format!("does not expand offline ({why})"))
        }
        Expansion::Enumerated(codes) if codes.len() > MAX_ENUM_CODES => Err(format!(
            "has {} codes, more than {MAX_ENUM_CODES}",
            codes.len()
        )),
        Expansion::Enumerated(codes) => Ok(codes.into_iter().filter(|c| !c.is_abstract).collect()),
    })
}

/// The enum of `codes`, the expansion of `value_set` (no version), named
/// after the value set's `name` through `fresh` (which makes a name unique
/// in its crate).
pub(crate) fn code_enum(
    set: &PackageSet,
    value_set: &str,
    codes: Vec<ExpandedCode>,
    fresh: &mut dyn FnMut(String) -> String,
) -> CodeEnum {
    let definition = set
        .resolve_as::<crate::conformance::ValueSet>(value_set)
        .ok();
    let label = definition
        .as_ref()
        .and_then(|v| v.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| value_set.rsplit('/').next().unwrap_or(value_set).to_owned());
    let mut base = label.to_upper_camel_case();
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base = format!("Codes{base}");
    }
    let name = fresh(base);
    let alias = fresh(format!("{name}Code"));
    let mut variants: HashSet<String> = HashSet::new();
    let codes = codes
        .into_iter()
        .map(|c| {
            let mut variant = c.code.to_upper_camel_case();
            if variant.is_empty() || variant.starts_with(|ch: char| ch.is_ascii_digit()) {
                variant = format!("C{variant}");
            }
            if variant == "NotInValueSet" || variant == "Self" {
                variant.push('_');
            }
            let wanted = variant.clone();
            let mut n = 2;
            while !variants.insert(variant.clone()) {
                variant = format!("{wanted}{n}");
                n += 1;
            }
            EnumCode {
                variant,
                system: c.system,
                code: c.code,
                display: c.display,
            }
        })
        .collect();
    CodeEnum {
        name,
        alias,
        value_set: value_set.to_owned(),
        title: definition.and_then(|v| v.title.clone()),
        codes,
    }
}

/// Whether `made` (an enum of another crate) has exactly `codes`: the same
/// systems and codes in the same order, so that it serves for a binding
/// whose value set expands to `codes` here.
pub(crate) fn same_codes(made: &CodeEnum, codes: &[ExpandedCode]) -> bool {
    made.codes.len() == codes.len()
        && made
            .codes
            .iter()
            .zip(codes)
            .all(|(a, b)| a.system == b.system && a.code == b.code)
}
