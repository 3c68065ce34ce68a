//! FHIRPath over FHIR JSON: a [`Model`] of a resource read as a
//! [`Json`] tree, typed by the core package's [`Shapes`].

use fhirgen_fhirpath::Lookup;
use fhirgen_fhirpath::model::UnknownElement;
use fhirgen_fhirpath::{Model, Value};

use crate::Kind;
use crate::shape::{ElementKind, ElementShape, Shapes, TypeShape};
use crate::tree::Json;
use crate::typed::text_value;

/// The codes of value sets, for `memberOf()`: whether `(system, code)`
/// is in the value set, `None` when it cannot be told (no offline expansion).
pub trait Terminology {
    fn contains(&self, value_set: &str, system: Option<&str>, code: &str) -> Option<bool>;
}

/// One resource (and what it contains) as FHIRPath sees it.
pub struct FhirJson<'a> {
    shapes: &'a Shapes,
    root: &'a Json,
    terminology: Option<&'a dyn Terminology>,
    /// The last narrative checked (by address) and the verdict.
    narrative: std::cell::RefCell<Option<(usize, bool)>>,
}

/// An element of the resource: its JSON, the `_name` part of a primitive,
/// and its FHIR type.
#[derive(Clone, Debug)]
pub struct Element<'a> {
    value: Option<&'a Json>,
    extra: Option<&'a Json>,
    type_name: &'a str,
    shape: Option<&'a TypeShape>,
    kind: Option<Kind>,
}

impl<'a> Element<'a> {
    /// The element's JSON: an object, or a primitive's value.
    pub fn json(&self) -> Option<&'a Json> {
        self.value
    }

    /// A primitive's `_name` part (its `id` and extensions).
    pub fn extension_part(&self) -> Option<&'a Json> {
        self.extra
    }
}

impl<'a> FhirJson<'a> {
    /// The model of `resource`, or why it is not a resource the shapes know.
    pub fn new(shapes: &'a Shapes, resource: &'a Json) -> Result<(Self, Element<'a>), String> {
        let model = FhirJson::within(shapes, resource);
        let element = model.resource_element(resource).ok_or_else(|| {
            match resource.get("resourceType").and_then(Json::as_str) {
                Some(t) => format!("`{t}` is not a resource type of the package"),
                None => "not a resource: no resourceType".to_owned(),
            }
        })?;
        Ok((model, element))
    }

    /// The model of a document (a resource, or a Bundle) whose resources are
    /// looked at one by one ([`FhirJson::element`]); references resolve in it.
    pub fn within(shapes: &'a Shapes, root: &'a Json) -> Self {
        FhirJson {
            shapes,
            root,
            terminology: None,
            narrative: std::cell::RefCell::new(None),
        }
    }

    /// With the value sets `memberOf()` looks codes up in.
    pub fn with_terminology(mut self, terminology: &'a dyn Terminology) -> Self {
        self.terminology = Some(terminology);
        self
    }

    /// A resource of the document (the root, an entry's, a contained one) as an element.
    pub fn element(&self, resource: &'a Json) -> Option<Element<'a>> {
        self.resource_element(resource)
    }

    /// The document's root resource.
    pub fn root_element(&self) -> Option<Element<'a>> {
        self.resource_element(self.root)
    }

    /// Whether an element is a resource (the root, `contained`, an entry's).
    pub fn is_resource(&self, element: &Element<'a>) -> bool {
        element
            .shape
            .is_some_and(|s| self.shapes.resource(&s.name).is_some())
            && element.value.and_then(|v| v.get("resourceType")).is_some()
    }

    /// Whether an element has no children: a primitive's value with no
    /// `_name` part.
    pub fn is_leaf(&self, element: &Element<'a>) -> bool {
        element.shape.is_none() && element.extra.is_none()
    }

    /// The children of an element by name, in definition order: the name,
    /// whether it repeats, and the elements (empty names left out).
    pub fn named_children(&self, node: &Element<'a>) -> Vec<(&'a str, bool, Vec<Element<'a>>)> {
        let mut out = Vec::new();
        match node.shape {
            Some(shape) => {
                for element in &shape.elements {
                    let mut children = Vec::new();
                    self.element_children(node, element, &mut children);
                    if !children.is_empty() {
                        out.push((element.json.as_str(), element.repeats, children));
                    }
                }
            }
            None => {
                for (name, repeats) in [("id", false), ("extension", true)] {
                    let mut children = Vec::new();
                    self.primitive_children(node, name, &mut children);
                    if !children.is_empty() {
                        out.push((name, repeats, children));
                    }
                }
            }
        }
        out
    }

    fn resource_element(&self, json: &'a Json) -> Option<Element<'a>> {
        let name = json.get("resourceType")?.as_str()?;
        let shape = self.shapes.resource(name)?;
        Some(Element {
            value: Some(json),
            extra: None,
            type_name: &shape.name,
            shape: Some(shape),
            kind: None,
        })
    }

    /// The elements one JSON property (and its `_` part) holds, typed by `kind`.
    fn push(
        &self,
        object: &'a Json,
        property: &str,
        repeats: bool,
        kind: &'a ElementKind,
        type_code: Option<&'a str>,
        out: &mut Vec<Element<'a>>,
    ) {
        // The property and its `_` part, in one pass and without building names.
        let (mut value, mut extra) = (None, None);
        if let Json::Object(properties) = object {
            for (key, v) in properties {
                if **key == *property {
                    value = Some(v);
                } else if key.strip_prefix('_') == Some(property) {
                    extra = Some(v);
                }
            }
        }
        if value.is_none() && extra.is_none() {
            return;
        }
        let make = |value: Option<&'a Json>, extra: Option<&'a Json>| -> Option<Element<'a>> {
            let value = value.filter(|v| **v != Json::Null);
            let extra = extra.filter(|v| **v != Json::Null);
            if value.is_none() && extra.is_none() {
                return None;
            }
            Some(match kind {
                ElementKind::Plain(k) | ElementKind::Primitive { kind: k, .. } => Element {
                    value,
                    extra,
                    type_name: type_code.unwrap_or(k.type_code()),
                    shape: None,
                    kind: Some(*k),
                },
                ElementKind::Object { type_name, .. } => Element {
                    value,
                    extra: None,
                    type_name: type_code.unwrap_or(type_name),
                    shape: self.shapes.type_named(type_name),
                    kind: None,
                },
                ElementKind::Resource => return self.resource_element(value?),
                ElementKind::Choice(_) => return None,
            })
        };
        if repeats {
            let values = match value {
                Some(Json::Array(items)) => items.as_slice(),
                _ => &[],
            };
            let extras = match extra {
                Some(Json::Array(items)) => items.as_slice(),
                _ => &[],
            };
            for i in 0..values.len().max(extras.len()) {
                out.extend(make(values.get(i), extras.get(i)));
            }
        } else {
            out.extend(make(value, extra));
        }
    }

    fn element_children(
        &self,
        node: &Element<'a>,
        element: &'a ElementShape,
        out: &mut Vec<Element<'a>>,
    ) {
        let Some(object) = node.value else { return };
        match &element.kind {
            ElementKind::Choice(_) => {
                // The variant the object holds, by its properties (a choice
                // has one; `valueQuantity` or `_valueString`).
                let (Json::Object(properties), Some(shape)) = (object, node.shape) else {
                    return;
                };
                for (key, _) in properties {
                    let name = key.strip_prefix('_').unwrap_or(key);
                    if !name.starts_with(element.json.as_str()) {
                        continue;
                    }
                    if let Some((found, Some((code, kind)))) = shape.property(name)
                        && std::ptr::eq(found, element)
                        && !(key.starts_with('_') && properties.iter().any(|(k, _)| **k == *name))
                    {
                        self.push(object, name, element.repeats, kind, Some(code), out);
                    }
                }
            }
            kind => self.push(object, &element.json, element.repeats, kind, None, out),
        }
    }

    /// The `id` and `extension` of a primitive, from its `_name` part.
    fn primitive_children(
        &self,
        node: &Element<'a>,
        name: &str,
        out: &mut Vec<Element<'a>>,
    ) -> bool {
        let Some(extension) = self.shapes.type_named("Extension") else {
            return false;
        };
        let Some(extra) = node.extra else {
            return matches!(name, "id" | "extension");
        };
        match name {
            "id" => {
                if let Some(id) = extra.get("id") {
                    out.push(Element {
                        value: Some(id),
                        extra: None,
                        type_name: "string",
                        shape: None,
                        kind: Some(Kind::String),
                    });
                }
                true
            }
            "extension" => {
                if let Some(Json::Array(items)) = extra.get("extension") {
                    out.extend(items.iter().map(|item| Element {
                        value: Some(item),
                        extra: None,
                        type_name: "Extension",
                        shape: Some(extension),
                        kind: None,
                    }));
                }
                true
            }
            _ => false,
        }
    }
}

impl<'a> Model for FhirJson<'a> {
    type Node = Element<'a>;

    fn type_name<'n>(&'n self, node: &'n Element<'a>) -> &'n str {
        node.type_name
    }

    fn children(
        &self,
        node: &Element<'a>,
        name: &str,
        out: &mut Vec<Element<'a>>,
    ) -> Result<(), UnknownElement> {
        match node.shape {
            Some(shape) => {
                let element = shape.element(name).ok_or(UnknownElement)?;
                self.element_children(node, element, out);
                Ok(())
            }
            None if self.primitive_children(node, name, out) => Ok(()),
            None => Err(UnknownElement),
        }
    }

    fn all_children(&self, node: &Element<'a>, out: &mut Vec<Element<'a>>) {
        match node.shape {
            Some(shape) => {
                for element in &shape.elements {
                    self.element_children(node, element, out);
                }
            }
            None => {
                self.primitive_children(node, "id", out);
                self.primitive_children(node, "extension", out);
            }
        }
    }

    fn value(&self, node: &Element<'a>) -> Option<Value> {
        let kind = node.kind?;
        let json = node.value?;
        match json {
            Json::Bool(b) if kind == Kind::Boolean => Some(Value::Boolean(*b)),
            Json::Number(n) if kind.is_number() => text_value(kind, n),
            Json::String(s) if !kind.is_number() && kind != Kind::Boolean => text_value(kind, s),
            _ => None,
        }
    }

    fn text<'n>(&'n self, node: &'n Element<'a>) -> Option<&'n str> {
        match node.value? {
            Json::String(s) if node.kind?.is_string() => Some(s),
            _ => None,
        }
    }

    fn has_value(&self, node: &Element<'a>) -> bool {
        node.kind.is_some() && node.value.is_some_and(|v| *v != Json::Null)
    }

    fn is_a(&self, name: &str, base: &str) -> bool {
        self.shapes.is_a(name, base)
    }

    fn has_type(&self, name: &str) -> bool {
        self.shapes.has_type(name)
    }

    fn same(&self, a: &Element<'a>, b: &Element<'a>) -> bool {
        a.value == b.value && a.extra == b.extra
    }

    fn member_of(&self, value_set: &str, codes: &[(Option<String>, String)]) -> Option<bool> {
        let terminology = self.terminology?;
        let mut unknown = false;
        for (system, code) in codes {
            match terminology.contains(value_set, system.as_deref(), code) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        (!unknown).then_some(false)
    }

    fn html_checks(&self, div: &Element<'a>) -> Option<bool> {
        let Some(Json::String(text)) = div.value else {
            return None;
        };
        // txt-1 and txt-2 both ask; the narrative is checked once.
        let key = text.as_ptr() as usize;
        if let Some(&(k, ok)) = self.narrative.borrow().as_ref()
            && k == key
        {
            return Some(ok);
        }
        let ok = crate::narrative::check(text).is_ok();
        *self.narrative.borrow_mut() = Some((key, ok));
        Some(ok)
    }

    fn placeholder(&self, type_name: &str) -> Option<Element<'a>> {
        let shape = self.shapes.resource(type_name)?;
        Some(Element {
            value: None,
            extra: None,
            type_name: &shape.name,
            shape: Some(shape),
            kind: None,
        })
    }

    fn resolve(&self, _from: &Element<'a>, reference: &str) -> Option<Element<'a>> {
        let root = self.root;
        if let Some(id) = reference.strip_prefix('#') {
            let Some(Json::Array(contained)) = root.get("contained") else {
                return None;
            };
            return contained
                .iter()
                .find(|r| r.get("id").and_then(Json::as_str) == Some(id))
                .and_then(|r| self.resource_element(r));
        }
        // Inside a Bundle: the entry with that fullUrl, or with that type and id.
        let Some(Json::Array(entries)) = root.get("entry") else {
            return None;
        };
        entries.iter().find_map(|entry| {
            let resource = entry.get("resource")?;
            let full_url = entry.get("fullUrl").and_then(Json::as_str);
            let relative = format!(
                "{}/{}",
                resource.get("resourceType")?.as_str()?,
                resource.get("id").and_then(Json::as_str).unwrap_or("")
            );
            (full_url == Some(reference)
                || reference == relative
                || reference.ends_with(&format!("/{relative}")))
            .then(|| self.resource_element(resource))
            .flatten()
        })
    }
}

impl fhirgen_fhirpath::Types for Shapes {
    fn element(&self, type_name: &str, name: &str) -> Lookup {
        // A type without a shape of its own (`Age`) has its base's elements.
        let mut current = Some(type_name);
        let mut shape = None;
        while let Some(t) = current {
            if let Some(s) = self.type_named(t) {
                shape = Some(s);
                break;
            }
            current = self.base_of(t);
        }
        let Some(shape) = shape else {
            if type_name.starts_with(|c: char| c.is_ascii_lowercase()) && self.has_type(type_name) {
                // A primitive: its id and extensions.
                return match name {
                    "id" => Lookup::Types(vec!["string".to_owned()]),
                    "extension" => Lookup::Types(vec!["Extension".to_owned()]),
                    _ => Lookup::Missing,
                };
            }
            return Lookup::Opaque;
        };
        let Some(element) = shape.element(name) else {
            return Lookup::Missing;
        };
        let of_kind = |kind: &ElementKind| match kind {
            ElementKind::Plain(k) | ElementKind::Primitive { kind: k, .. } => {
                k.type_code().to_owned()
            }
            ElementKind::Object { type_name, .. } => type_name.clone(),
            ElementKind::Resource | ElementKind::Choice(_) => "Resource".to_owned(),
        };
        Lookup::Types(match &element.kind {
            ElementKind::Choice(variants) => {
                variants.iter().map(|(code, _)| code.clone()).collect()
            }
            kind => vec![of_kind(kind)],
        })
    }

    fn is_a(&self, name: &str, base: &str) -> bool {
        Shapes::is_a(self, name, base)
    }

    fn has_type(&self, name: &str) -> bool {
        Shapes::has_type(self, name)
    }
}
