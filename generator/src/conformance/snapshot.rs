//! Snapshots derived from differentials: what SUSHI-authored profiles need,
//! since they ship with only their differential.
//!
//! The base's snapshot is the start; each element of the differential is
//! merged into the element with its id, or, for a new slice, into a copy of
//! the element it slices (with that element's children, unless the slice's
//! type names a profile). Elements below one whose children the snapshot
//! does not list (`Patient.identifier.system` under `Patient.identifier`)
//! are found by unfolding the children of its datatype. Supported: the
//! cardinality, Must Support, fixed and pattern values, bindings, type
//! narrowing (with profiles and target profiles), slicing, texts and
//! constraints; what cannot be placed is returned as a note.

use super::{ElementDefinition, StructureDefinition};

/// The elements of `profile`'s snapshot, derived from its differential over
/// `base`'s snapshot; `datatype` gives a datatype's StructureDefinition by
/// name, to unfold elements the base does not list. Also returns a note for
/// each differential element that could not be placed.
pub fn derive_snapshot(
    profile: &StructureDefinition,
    base: &StructureDefinition,
    datatype: &dyn Fn(&str) -> Option<std::sync::Arc<StructureDefinition>>,
) -> Result<(Vec<ElementDefinition>, Vec<String>), String> {
    let mut elements: Vec<ElementDefinition> = base
        .snapshot_elements()
        .ok_or_else(|| format!("base {} has no snapshot", base.url))?
        .to_vec();
    let mut notes = Vec::new();
    let differential = profile
        .differential
        .as_ref()
        .map(|d| d.element.as_slice())
        .unwrap_or_default();
    // The slices this differential adds: inside them a type-specific name
    // renames the choice instead of slicing it.
    let mut added: Vec<String> = Vec::new();
    for change in differential {
        let id = choice_id(&mut elements, change.key(), &added);
        if let Some(at) = position(&elements, &id) {
            merge(&mut elements[at], change);
            continue;
        }
        match place(&mut elements, &id, change, datatype) {
            Ok(()) => {
                if change.slice_name.is_some()
                    || id.rsplit('.').next().is_some_and(|s| s.contains(':'))
                {
                    added.push(id);
                }
            }
            Err(why) => notes.push(format!("{id}: {why}")),
        }
    }
    Ok((elements, notes))
}

fn position(elements: &[ElementDefinition], id: &str) -> Option<usize> {
    elements.iter().position(|e| e.key() == id)
}

/// The index just after `at` and all its descendants.
fn end_of_subtree(elements: &[ElementDefinition], at: usize) -> usize {
    let prefix = elements[at].key().to_owned();
    let mut end = at + 1;
    while end < elements.len() {
        let key = elements[end].key();
        let below = key.len() > prefix.len()
            && key.starts_with(&prefix)
            && matches!(key.as_bytes()[prefix.len()], b'.' | b':');
        if !below {
            break;
        }
        end += 1;
    }
    end
}

/// Places an element the snapshot does not have yet: a new slice, or an
/// element below one whose children are not listed.
fn place(
    elements: &mut Vec<ElementDefinition>,
    id: &str,
    change: &ElementDefinition,
    datatype: &dyn Fn(&str) -> Option<std::sync::Arc<StructureDefinition>>,
) -> Result<(), String> {
    // The last step of the id: `component:systolic` or `system`.
    let (parent, step) = split_last_step(id).ok_or("not below any element")?;
    if let Some((element, slice)) = step.split_once(':') {
        // A new slice of `parent.element`.
        let sliced_id = format!("{parent}.{element}");
        let sliced = position(elements, &sliced_id)
            .or_else(|| {
                unfold(elements, parent, datatype).and_then(|_| position(elements, &sliced_id))
            })
            .ok_or_else(|| format!("no element {sliced_id} to slice"))?;
        let end = end_of_subtree(elements, sliced);
        let mut new = vec![elements[sliced].clone()];
        new[0].id = Some(id.to_owned());
        new[0].slice_name = Some(slice.to_owned());
        new[0].slicing = None;
        let profiled = change.types.iter().any(|t| !t.profile.is_empty());
        if !profiled {
            // The slice's children, as the sliced element has them (not its
            // other slices).
            for child in &elements[sliced + 1..end] {
                let rest = &child.key()[sliced_id.len()..];
                if rest.starts_with(':') {
                    continue;
                }
                let mut copy = child.clone();
                copy.id = Some(format!("{id}{rest}"));
                new.push(copy);
            }
        }
        if change.types.is_empty()
            && let Some(type_name) = step_type(element, slice)
        {
            // A type slice (`value[x]:valueQuantity`) has that type only.
            new[0]
                .types
                .retain(|t| t.code.as_deref().is_some_and(|c| same_type(c, type_name)));
        }
        merge(&mut new[0], change);
        elements.splice(end..end, new);
        return Ok(());
    }
    // An element below `parent` that is not listed: unfold the parent's type.
    unfold(elements, parent, datatype).ok_or_else(|| format!("cannot unfold {parent}"))?;
    let at = position(elements, id).ok_or_else(|| format!("{parent} has no element {step}"))?;
    merge(&mut elements[at], change);
    Ok(())
}

/// The id under which the snapshot has the element a differential names
/// by a choice's type-specific name, as the IG Publisher places it:
/// `Observation.valueQuantity` is the type slice
/// `Observation.value[x]:valueQuantity` (and `value[x]` is restricted to
/// Quantity on the way), except where `value[x]` allows Quantity only or
/// lies in a slice this differential adds (`component:systolic.valueQuantity`
/// is `component:systolic.value[x]`, restricted to Quantity).
fn choice_id(elements: &mut [ElementDefinition], id: &str, added: &[String]) -> String {
    let mut out = String::new();
    for step in id.split('.') {
        let candidate = if out.is_empty() {
            step.to_owned()
        } else {
            format!("{out}.{step}")
        };
        if out.is_empty() || position(elements, &candidate).is_some() || step.contains(':') {
            out = candidate;
            continue;
        }
        let choice = split_choice(step)
            .map(|(name, type_name)| (format!("{out}.{name}[x]"), type_name))
            .and_then(|(choice, type_name)| {
                Some((position(elements, &choice)?, choice, type_name))
            });
        out = match choice {
            Some((at, choice, _))
                if elements[at].slicing.is_some()
                    || position(elements, &format!("{choice}:{step}")).is_some() =>
            {
                format!("{choice}:{step}")
            }
            Some((at, choice, type_name))
                if matches!(elements[at].types.as_slice(),
                    [only] if only.code.as_deref().is_some_and(|c| same_type(c, type_name)))
                    || added.iter().any(|slice| out.starts_with(slice.as_str())) =>
            {
                elements[at]
                    .types
                    .retain(|t| t.code.as_deref().is_some_and(|c| same_type(c, type_name)));
                choice
            }
            Some((at, choice, type_name)) => {
                // As the IG Publisher does: the choice is restricted to the
                // type, and the type-specific element is a slice of it.
                elements[at]
                    .types
                    .retain(|t| t.code.as_deref().is_some_and(|c| same_type(c, type_name)));
                format!("{choice}:{step}")
            }
            None => candidate,
        };
    }
    out
}

/// `valueQuantity` -> (`value`, `Quantity`).
fn split_choice(step: &str) -> Option<(&str, &str)> {
    let at = step
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())?
        .0;
    Some((&step[..at], &step[at..]))
}

/// The type a type slice's name gives: `value[x]` sliced as `valueQuantity`.
fn step_type<'a>(element: &str, slice: &'a str) -> Option<&'a str> {
    let name = element.strip_suffix("[x]")?;
    slice
        .strip_prefix(name)
        .filter(|t| t.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// `Quantity` names type `Quantity`, `DateTime` type `dateTime`.
fn same_type(code: &str, suffix: &str) -> bool {
    let mut a = code.chars();
    let mut b = suffix.chars();
    match (a.next(), b.next()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y) && a.as_str() == b.as_str(),
        _ => false,
    }
}

/// `Observation.component:systolic.code` -> (`Observation.component:systolic`, `code`).
fn split_last_step(id: &str) -> Option<(&str, &str)> {
    // Slice names may hold dots only in theory; FHIR ids use `.` between
    // steps and `:` before a slice name.
    let dot = id.rfind('.')?;
    Some((&id[..dot], &id[dot + 1..]))
}

/// Lists the children of element `id` from its datatype's snapshot, right
/// after it; `None` when it has none to give (several types, or unknown).
fn unfold(
    elements: &mut Vec<ElementDefinition>,
    id: &str,
    datatype: &dyn Fn(&str) -> Option<std::sync::Arc<StructureDefinition>>,
) -> Option<()> {
    let at = position(elements, id)?;
    if end_of_subtree(elements, at) > at + 1 {
        return None;
    }
    let [single] = elements[at].types.as_slice() else {
        return None;
    };
    let type_name = single.code.as_deref()?;
    let definition = datatype(type_name)?;
    let children = definition.snapshot_elements()?;
    let path = elements[at].path.clone();
    let new: Vec<ElementDefinition> = children
        .iter()
        .skip(1)
        .map(|child| {
            let rest = &child.key()[type_name.len()..];
            let mut copy = child.clone();
            copy.id = Some(format!("{id}{rest}"));
            copy.path = format!("{path}{}", &child.path[type_name.len()..]);
            copy
        })
        .collect();
    elements.splice(at + 1..at + 1, new);
    Some(())
}

/// What a differential element says, over what the snapshot element had.
fn merge(element: &mut ElementDefinition, change: &ElementDefinition) {
    if change.min.is_some() {
        element.min = change.min;
    }
    if change.max_text.is_some() {
        element.max_text = change.max_text.clone();
    }
    if change.must_support.is_some() {
        element.must_support = change.must_support;
    }
    if change.fixed.is_some() {
        element.fixed = change.fixed.clone();
    }
    if change.pattern.is_some() {
        element.pattern = change.pattern.clone();
    }
    if change.binding.is_some() {
        element.binding = change.binding.clone();
    }
    if !change.types.is_empty() {
        element.types = change.types.clone();
    }
    if change.slicing.is_some() {
        element.slicing = change.slicing.clone();
    }
    if change.slice_name.is_some() {
        element.slice_name = change.slice_name.clone();
    }
    for (text, new) in [
        (&mut element.short, &change.short),
        (&mut element.definition, &change.definition),
        (&mut element.comment, &change.comment),
    ] {
        if new.is_some() {
            text.clone_from(new);
        }
    }
    if change.max_length.is_some() {
        element.max_length = change.max_length;
    }
    if change.is_modifier.is_some() {
        element.is_modifier = change.is_modifier;
    }
    for constraint in &change.constraint {
        if !element.constraint.iter().any(|c| c.key == constraint.key) {
            element.constraint.push(constraint.clone());
        }
    }
}
