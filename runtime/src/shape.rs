//! The FHIR JSON rules of a core package's types as data: what the
//! generated base types check when they read (properties, arrays, primitive
//! formats, required elements, choice types, required bindings, resources
//! inside resources), for a program that has no generated types.
//!
//! [`Shapes`] holds one [`TypeShape`] per resource, datatype and backbone
//! element; [`Shapes::read`] reads a resource through the same [`Reader`]
//! the generated types use, with a `DynObject` standing in for each type:
//! the same checks, in the same order, with the same messages. `fhirgen
//! validate` builds the shapes of R4 from the package itself.

use std::collections::HashMap;

use crate::error::{Error, Issue, IssueCode, Problem};
use crate::json::Reader;
use crate::object::{Empty, Object, Seen, empty_primitive};
use crate::primitive::{Decimal, Kind, Primitive, PrimitiveValue};
use crate::temporal::{Date, DateTime, Instant, Time};

/// The types of one core package, by name.
#[derive(Debug)]
pub struct Shapes {
    types: Vec<TypeShape>,
    by_name: HashMap<String, usize>,
    resources: HashMap<String, usize>,
    /// Every type of the package (primitives and abstract types too) and
    /// the type it specializes.
    bases: HashMap<String, Option<String>>,
}

/// One resource, datatype or backbone element.
#[derive(Debug)]
pub struct TypeShape {
    pub name: String,
    pub elements: Vec<ElementShape>,
    /// Required elements with their property numbers, as `Object::required`
    /// gives them (made `'static` once the shapes are built).
    required: &'static [(&'static str, &'static [u16])],
    /// JSON property (without `_`) -> element index, and the variant for a
    /// choice's property.
    by_property: HashMap<String, (usize, Option<usize>)>,
    /// The first property number of each element.
    numbers: Vec<u16>,
    /// Element name (`value` for `value[x]`) -> element index.
    by_element: HashMap<String, usize>,
}

/// One element of a type.
#[derive(Debug)]
pub struct ElementShape {
    /// The JSON name (`birthDate`; `value` for `value[x]`).
    pub json: String,
    pub min: u32,
    /// Held as a JSON array.
    pub repeats: bool,
    pub kind: ElementKind,
}

/// What an element holds.
#[derive(Debug)]
pub enum ElementKind {
    /// A bare value with no `_name` part (`Element.id`, `Extension.url`).
    Plain(Kind),
    /// A primitive with its `_name` part; `codes` for a `code` with a
    /// required binding to an enumerable value set: `(system, code)` and the
    /// value set.
    Primitive {
        kind: Kind,
        codes: Option<BoundCodes>,
    },
    /// A datatype or backbone element (by type name); `codes` for a
    /// `Coding` / `CodeableConcept` with a required binding.
    Object {
        type_name: String,
        codes: Option<BoundCodes>,
    },
    /// A resource of any type (`contained`, `Bundle.entry.resource`).
    Resource,
    /// A choice element: one variant per type, as `(type code, kind)`.
    Choice(Vec<(String, ElementKind)>),
}

/// The codes of a required binding: `(system, code)` pairs and the value set.
#[derive(Debug)]
pub struct BoundCodes {
    pub codes: &'static [(&'static str, &'static str)],
    pub value_set: &'static str,
}

impl BoundCodes {
    /// Leaks `codes` and `value_set`: shapes live as long as the program.
    pub fn new(codes: Vec<(String, String)>, value_set: String) -> Self {
        let codes: Vec<(&'static str, &'static str)> = codes
            .into_iter()
            .map(|(s, c)| (&*s.leak(), &*c.leak()))
            .collect();
        BoundCodes {
            codes: codes.leak(),
            value_set: value_set.leak(),
        }
    }
}

impl TypeShape {
    /// The element called `name` (`value` for `value[x]`).
    pub fn element(&self, name: &str) -> Option<&ElementShape> {
        self.by_element.get(name).map(|&i| &self.elements[i])
    }

    /// The element a JSON property (without `_`) holds, and for a choice
    /// the variant (`valueQuantity` -> `value`, its `Quantity` variant).
    pub fn property(
        &self,
        property: &str,
    ) -> Option<(&ElementShape, Option<&(String, ElementKind)>)> {
        let &(index, variant) = self.by_property.get(property)?;
        let element = &self.elements[index];
        let variant = match (&element.kind, variant) {
            (ElementKind::Choice(variants), Some(v)) => Some(&variants[v]),
            _ => None,
        };
        Some((element, variant))
    }
}

impl ElementShape {
    /// The property numbers of an element: value and `_name` for a
    /// primitive, one per variant property for a choice.
    fn property_count(&self) -> usize {
        match &self.kind {
            ElementKind::Primitive { .. } => 2,
            ElementKind::Choice(variants) => 2 * variants.len(),
            _ => 1,
        }
    }
}

impl Shapes {
    /// The shapes of `types`, `resources` naming the resource types among
    /// them. Built once per program: what `Object::required` hands out is
    /// leaked to be `'static`. A type with more properties than a read can
    /// track ([`Seen::CAPACITY`]) is an error. `bases` names every type of
    /// the package with the type it specializes (`code` -> `string`).
    pub fn new(
        types: Vec<(String, Vec<ElementShape>)>,
        resources: &[String],
        bases: Vec<(String, Option<String>)>,
    ) -> Result<&'static Shapes, String> {
        let mut shapes = Shapes {
            types: Vec::new(),
            by_name: HashMap::new(),
            resources: HashMap::new(),
            bases: bases.into_iter().collect(),
        };
        for (name, elements) in types {
            let mut by_property = HashMap::new();
            let mut required = Vec::new();
            let mut numbers = Vec::with_capacity(elements.len());
            let mut number = 0u16;
            for (index, element) in elements.iter().enumerate() {
                let first = number;
                numbers.push(first);
                match &element.kind {
                    ElementKind::Choice(variants) => {
                        for (variant, (code, _)) in variants.iter().enumerate() {
                            by_property.insert(
                                choice_property(&element.json, code),
                                (index, Some(variant)),
                            );
                        }
                    }
                    _ => {
                        by_property.insert(element.json.clone(), (index, None));
                    }
                }
                number = u16::try_from(usize::from(number) + element.property_count())
                    .ok()
                    .filter(|&n| n <= Seen::CAPACITY)
                    .ok_or_else(|| {
                        format!(
                            "{name} has more properties than a read can track ({})",
                            Seen::CAPACITY
                        )
                    })?;
                if element.min > 0 {
                    let numbers: Vec<u16> = (first..number).collect();
                    required.push((&*element.json.clone().leak(), &*numbers.leak()));
                }
            }
            let by_element = elements
                .iter()
                .enumerate()
                .map(|(index, e)| (e.json.clone(), index))
                .collect();
            shapes.by_name.insert(name.clone(), shapes.types.len());
            shapes.types.push(TypeShape {
                name,
                elements,
                required: required.leak(),
                by_property,
                numbers,
                by_element,
            });
        }
        for resource in resources {
            if let Some(&index) = shapes.by_name.get(resource) {
                shapes.resources.insert(resource.clone(), index);
            }
        }
        Ok(Box::leak(Box::new(shapes)))
    }

    /// Every resource, datatype and backbone element.
    pub fn types(&self) -> impl Iterator<Item = &TypeShape> {
        self.types.iter()
    }

    /// The shape of the resource, datatype or backbone element `name`.
    pub fn type_named(&self, name: &str) -> Option<&TypeShape> {
        self.by_name.get(name).map(|&i| &self.types[i])
    }

    /// The shape of the resource type `name`.
    pub fn resource(&self, name: &str) -> Option<&TypeShape> {
        self.resources.get(name).map(|&i| &self.types[i])
    }

    /// Whether the package defines a type `name` (`string`, `Quantity`,
    /// `DomainResource`).
    pub fn has_type(&self, name: &str) -> bool {
        self.bases.contains_key(name)
    }

    /// Every type and the one it specializes, sorted by name.
    pub fn type_bases(&self) -> Vec<(&str, Option<&str>)> {
        let mut bases: Vec<(&str, Option<&str>)> = self
            .bases
            .iter()
            .map(|(name, base)| (name.as_str(), base.as_deref()))
            .collect();
        bases.sort_unstable();
        bases
    }

    /// The type `name` specializes (`string` for `code`).
    pub fn base_of(&self, name: &str) -> Option<&str> {
        self.bases.get(name)?.as_deref()
    }

    /// Whether type `name` is `base` or specializes it, directly or not.
    pub fn is_a(&self, name: &str, base: &str) -> bool {
        let mut current = Some(name);
        // Type hierarchies are a few levels deep; the bound guards a cycle.
        for _ in 0..32 {
            match current {
                Some(n) if n == base => return true,
                Some(n) => current = self.bases.get(n).and_then(|b| b.as_deref()),
                None => return false,
            }
        }
        false
    }

    /// Reads a resource of any type as the generated `Resource::from_json`
    /// (strict) or `from_json_lenient` does: the error, or the issues of a
    /// lenient read.
    pub fn read(&'static self, json: &[u8], lenient: bool) -> Result<Vec<Issue>, Error> {
        self.read_with(json, lenient, None)
    }

    /// Reads a Bundle as [`Shapes::read`] does, but its entries' resources
    /// (`Bundle.entry.resource`) only as JSON: for a caller that reads each
    /// of them on its own. The Bundle's own elements are all read: an error
    /// in an entry's resource does not end the read before them.
    pub fn read_bundle(&'static self, json: &[u8], lenient: bool) -> Result<Vec<Issue>, Error> {
        let entry = match self.resource("Bundle").and_then(|b| b.element("entry")) {
            Some(ElementShape {
                kind: ElementKind::Object { type_name, .. },
                ..
            }) => self.type_named(type_name),
            _ => None,
        };
        let Some(entry) = entry else {
            return Err(Reader::new(json).error("the shapes have no Bundle.entry"));
        };
        self.read_with(json, lenient, Some(entry))
    }

    /// [`Shapes::read`]; the `resource` of objects of shape `apart` skipped.
    fn read_with(
        &'static self,
        json: &[u8],
        lenient: bool,
        apart: Option<&'static TypeShape>,
    ) -> Result<Vec<Issue>, Error> {
        let mut reader = Reader::new(json);
        if lenient {
            reader = reader.lenient();
        }
        let Some(extension) = self.type_named("Extension") else {
            return Err(reader.error("the shapes have no Extension type"));
        };
        SHAPES.with(|shapes| shapes.set(Some(self)));
        EXTENSION.with(|cell| cell.set(Some(extension)));
        RESOURCE_APART.with(|cell| cell.set(apart));
        let read = self
            .read_resource(&mut reader)
            .and_then(|()| reader.finish());
        RESOURCE_APART.with(|cell| cell.set(None));
        read?;
        Ok(reader.take_issues())
    }

    /// One resource where any may stand, by its `resourceType`.
    fn read_resource(&'static self, r: &mut Reader<'_>) -> Result<(), Error> {
        let resource_type = r.peek_resource_type()?;
        let Some(&index) = self.resources.get(&resource_type) else {
            return Err(r.error(format!("unknown resourceType `{resource_type}`")));
        };
        let shape = &self.types[index];
        // As the generated types: the location starts at the type name at
        // the top of the input, a resource inside another keeps its place.
        if r.path().is_empty() {
            r.push_text(&shape.name);
        }
        r.read_object(&mut DynObject::new(self, shape), Some(&shape.name))
    }
}

/// The JSON property of one type of a choice element: `value` + `Quantity`
/// -> `valueQuantity` (the generator names the generated types' properties
/// with it too).
pub fn choice_property(base: &str, code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(first) => format!("{base}{}{}", first.to_ascii_uppercase(), chars.as_str()),
        None => base.to_owned(),
    }
}

thread_local! {
    /// The `Extension` shape of the shapes being read, for the extensions of
    /// `_name` parts (which the reader makes with `Empty::empty`).
    static EXTENSION: std::cell::Cell<Option<&'static TypeShape>> = const { std::cell::Cell::new(None) };
    static SHAPES: std::cell::Cell<Option<&'static Shapes>> = const { std::cell::Cell::new(None) };
    /// The shape whose `resource` element [`Shapes::read_bundle`] leaves
    /// out (`Bundle.entry`'s), while it reads.
    static RESOURCE_APART: std::cell::Cell<Option<&'static TypeShape>> = const { std::cell::Cell::new(None) };
}

/// A value of any primitive, read and checked by its kind and dropped.
#[derive(Debug, Clone, PartialEq)]
struct AnyValue;

impl PrimitiveValue for AnyValue {
    fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Self, Problem> {
        if let Some(codes) = r.bound_codes {
            return r
                .code_index(kind, codes.value_set, codes.codes)
                .map(|_| AnyValue);
        }
        match kind {
            Kind::Boolean => bool::read(r, kind).map(|_| AnyValue),
            Kind::Integer | Kind::UnsignedInt | Kind::PositiveInt => {
                i32::read(r, kind).map(|_| AnyValue)
            }
            Kind::Decimal => Decimal::read(r, kind).map(|_| AnyValue),
            Kind::Date => Date::read(r, kind).map(|_| AnyValue),
            Kind::DateTime => DateTime::read(r, kind).map(|_| AnyValue),
            Kind::Instant => Instant::read(r, kind).map(|_| AnyValue),
            Kind::Time => Time::read(r, kind).map(|_| AnyValue),
            _ => String::read(r, kind).map(|_| AnyValue),
        }
    }

    fn write(&self, _: &mut crate::Writer) {}

    /// Checked and dropped: no value to give.
    fn fhirpath(&self, _: Kind) -> Option<fhirgen_fhirpath::Value> {
        None
    }
}

/// An extension of a `_name` part.
struct DynExtension(DynObject);

impl Empty for DynExtension {
    fn empty() -> Self {
        // `Shapes::read` sets both before anything is read.
        let shapes = SHAPES
            .with(std::cell::Cell::get)
            .expect("set by Shapes::read");
        let shape = EXTENSION
            .with(std::cell::Cell::get)
            .expect("set by Shapes::read");
        DynExtension(DynObject::new(shapes, shape))
    }
}

impl Object for DynExtension {
    fn read_field(
        &mut self,
        key: &str,
        r: &mut Reader<'_>,
        seen: &Seen,
    ) -> Result<Option<u16>, Error> {
        self.0.read_field(key, r, seen)
    }

    fn required(&self) -> &'static [(&'static str, &'static [u16])] {
        self.0.required()
    }

    fn write_fields(&self, _: &mut crate::Writer) {}

    fn finish(&self) -> Result<(), Problem> {
        self.0.finish()
    }
}

type AnyPrimitive = Primitive<AnyValue, DynExtension>;

/// What was read of one primitive element (value and `_name` arrive apart).
enum Slot {
    Empty,
    One(Option<AnyPrimitive>),
    Many(Vec<AnyPrimitive>),
    /// The variant of a choice read so far, and its primitive if it is one.
    Choice(usize, Option<AnyPrimitive>),
}

/// An object of a type known only from its shape.
struct DynObject {
    shapes: &'static Shapes,
    shape: &'static TypeShape,
    slots: Vec<Slot>,
}

impl DynObject {
    fn new(shapes: &'static Shapes, shape: &'static TypeShape) -> Self {
        DynObject {
            shapes,
            shape,
            slots: shape.elements.iter().map(|_| Slot::Empty).collect(),
        }
    }

    fn read_kind(
        &mut self,
        r: &mut Reader<'_>,
        kind: &'static ElementKind,
        repeats: bool,
    ) -> Result<(), Error> {
        let shapes = self.shapes;
        match kind {
            ElementKind::Object { type_name, codes } => {
                let Some(shape) = shapes.type_named(type_name) else {
                    return Err(r.error(format!("no type `{type_name}` in the shapes")));
                };
                if let Some(codes) = codes {
                    r.check_codes_ahead(codes.codes, codes.value_set)?;
                }
                if repeats {
                    r.read_array(|r| r.read_object(&mut DynObject::new(shapes, shape), None))
                } else {
                    r.read_object(&mut DynObject::new(shapes, shape), None)
                }
            }
            ElementKind::Resource
                if RESOURCE_APART
                    .with(std::cell::Cell::get)
                    .is_some_and(|apart| std::ptr::eq(apart, self.shape)) =>
            {
                r.skip_value()
            }
            ElementKind::Resource => {
                if repeats {
                    r.read_array(|r| shapes.read_resource(r))
                } else {
                    shapes.read_resource(r)
                }
            }
            ElementKind::Plain(kind) => {
                let mut value: Option<AnyValue> = None;
                r.plain_field(&mut value, *kind)
            }
            ElementKind::Primitive { .. } | ElementKind::Choice(_) => {
                unreachable!("primitives and choices keep their slots")
            }
        }
    }
}

impl Object for DynObject {
    fn read_field(
        &mut self,
        key: &str,
        r: &mut Reader<'_>,
        _: &Seen,
    ) -> Result<Option<u16>, Error> {
        let (element_part, name) = match key.strip_prefix('_') {
            Some(name) => (true, name),
            None => (false, key),
        };
        let Some(&(index, variant)) = self.shape.by_property.get(name) else {
            return Ok(None);
        };
        let shape = self.shape;
        let element = &shape.elements[index];
        let number = shape.numbers[index];
        match (&element.kind, variant) {
            (ElementKind::Primitive { kind, codes }, _) => {
                let slot = &mut self.slots[index];
                if matches!(slot, Slot::Empty) {
                    *slot = if element.repeats {
                        Slot::Many(Vec::new())
                    } else {
                        Slot::One(None)
                    };
                }
                r.bound_codes = codes.as_ref().filter(|_| !element_part);
                let read = match slot {
                    Slot::One(one) if element_part => r.element_field(one),
                    Slot::One(one) => r.value_field(one, *kind),
                    Slot::Many(many) if element_part => r.element_field(many),
                    Slot::Many(many) => r.value_field(many, *kind),
                    _ => unreachable!("a primitive's slot"),
                };
                r.bound_codes = None;
                read?;
                Ok(Some(number + u16::from(element_part)))
            }
            (ElementKind::Choice(variants), Some(variant)) => {
                let (_, kind) = &variants[variant];
                let property = number + 2 * variant as u16 + u16::from(element_part);
                let slot = &mut self.slots[index];
                match slot {
                    Slot::Choice(chosen, _) if *chosen != variant => {
                        return Err(
                            r.error(format!("more than one type given for {}[x]", element.json))
                        );
                    }
                    Slot::Choice(..) => {}
                    _ => *slot = Slot::Choice(variant, None),
                }
                match kind {
                    ElementKind::Primitive { kind, .. } => {
                        let Slot::Choice(_, primitive) = slot else {
                            unreachable!("set above")
                        };
                        if element_part {
                            r.element_field(primitive)?;
                        } else {
                            r.value_field(primitive, *kind)?;
                        }
                    }
                    _ if element_part => {
                        return Err(r
                            .error(format!("unknown property `{key}`"))
                            .with_code(IssueCode::Structure));
                    }
                    other => self.read_kind(r, other, false)?,
                }
                Ok(Some(property))
            }
            (_, _) if element_part => Ok(None),
            (kind, _) => {
                self.read_kind(r, kind, element.repeats)?;
                Ok(Some(number))
            }
        }
    }

    fn required(&self) -> &'static [(&'static str, &'static [u16])] {
        self.shape.required
    }

    fn write_fields(&self, _: &mut crate::Writer) {}

    fn finish(&self) -> Result<(), Problem> {
        for (element, slot) in self.shape.elements.iter().zip(&self.slots) {
            if let Slot::Many(list) = slot {
                empty_primitive(&element.json, list)?;
            }
        }
        Ok(())
    }
}
