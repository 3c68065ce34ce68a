//! FHIRPath over typed values: the elements generated types hold, given by
//! name, and the [`Model`] the evaluator walks them with.
//!
//! Each generated type's [`Object::elements`] hands what it holds to an
//! [`Elements`] collector, element by element, as `write_fields` writes
//! them: a choice as its variant, a sliced list in document order, a value
//! the profile fixes as a constant. Constraints are then evaluated on the
//! values a read produced (or a program built), with no JSON in between.

use std::cell::RefCell;
use std::hash::{BuildHasher, Hash, Hasher};

use fhirgen_fhirpath::model::UnknownElement;
use fhirgen_fhirpath::temporal::{DateTime, Time};
use fhirgen_fhirpath::{Identity, Model, Value};
use jiter::JsonValue;

use crate::json::{ResourceSlot, WriteSlot};
use crate::object::{Choice, Object};
use crate::primitive::{Kind, Primitive, PrimitiveValue};
use crate::profile::{Pattern, SliceItems, SliceOrder, Slicing, slice_sequence, with_zeros};

/// One element of a typed value.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    /// A datatype or backbone element.
    Object(&'a dyn Object),
    /// A resource (the one checked, a contained one, a Bundle entry's).
    Resource(&'a dyn Object),
    /// A primitive, with its `id` and extensions.
    Primitive(&'a dyn PrimitiveNode, Kind),
    /// A bare value (`Resource.id`, `Element.id`, `Extension.url`).
    Plain(&'a dyn PlainNode, Kind),
    /// A value a profile fixes, which no field holds.
    Constant(&'static Pattern, Kind),
    /// A resource known only by a reference to it, of this type (what a
    /// search's `resolve() is Patient` sees of `Patient/123`).
    Placeholder(&'static str),
}

impl Node<'_> {
    /// Whether the node has no children at all and is not a resource: a
    /// bare or fixed value, a primitive without `id` or extensions.
    pub fn is_leaf(&self) -> bool {
        match self {
            Node::Primitive(primitive, _) => !primitive.has_parts(),
            Node::Plain(..) | Node::Constant(..) => true,
            Node::Object(_) | Node::Resource(_) | Node::Placeholder(_) => false,
        }
    }
}

/// An element and the name it has in its parent.
#[derive(Clone, Copy)]
pub struct Child<'a> {
    pub name: &'static str,
    pub node: Node<'a>,
    /// Whether the element repeats (its items are indexed in paths).
    pub repeats: bool,
}

/// A primitive as FHIRPath sees it.
pub trait PrimitiveNode {
    /// The value, typed by `kind`; `None` when there is none.
    fn value(&self, kind: Kind) -> Option<Value>;
    /// The value of a String kind, lent (see [`Model::text`]).
    fn text(&self, kind: Kind) -> Option<&str>;
    fn has_value(&self) -> bool;
    /// Whether it has an `id` or extensions.
    fn has_parts(&self) -> bool;
    /// Gives its `id` and extensions.
    fn parts<'a>(&'a self, e: &mut Elements<'a, '_>);
}

impl<V: PrimitiveValue, X: Object> PrimitiveNode for Primitive<V, X> {
    fn value(&self, kind: Kind) -> Option<Value> {
        self.value.as_ref()?.fhirpath(kind)
    }

    fn text(&self, kind: Kind) -> Option<&str> {
        self.value.as_ref()?.text(kind)
    }

    fn has_value(&self) -> bool {
        self.value.is_some()
    }

    fn has_parts(&self) -> bool {
        self.has_element_part()
    }

    fn parts<'a>(&'a self, e: &mut Elements<'a, '_>) {
        if let Some(element) = self.element() {
            e.plain("id", &element.id, Kind::String);
            e.object("extension", &element.extension);
        }
    }
}

/// A bare value as FHIRPath sees it.
pub trait PlainNode {
    fn value(&self, kind: Kind) -> Option<Value>;
    fn text(&self, kind: Kind) -> Option<&str>;
}

impl<V: PrimitiveValue> PlainNode for V {
    fn value(&self, kind: Kind) -> Option<Value> {
        self.fhirpath(kind)
    }

    fn text(&self, kind: Kind) -> Option<&str> {
        PrimitiveValue::text(self, kind)
    }
}

/// The FHIRPath value of a primitive given as text (a JSON string or
/// number) and typed by `kind`.
pub(crate) fn text_value(kind: Kind, text: &str) -> Option<Value> {
    if kind.is_string() {
        return Some(Value::String(text.to_owned()));
    }
    Some(match kind {
        Kind::Boolean => Value::Boolean(text.parse().ok()?),
        Kind::Integer | Kind::UnsignedInt | Kind::PositiveInt => Value::Integer(text.parse().ok()?),
        Kind::Decimal => Value::Decimal(
            text.parse()
                .or_else(|_| rust_decimal::Decimal::from_scientific(text))
                .ok()?,
        ),
        Kind::Date => Value::Date(DateTime::parse(text)?.0),
        Kind::DateTime | Kind::Instant => Value::DateTime(DateTime::parse(text)?.0),
        Kind::Time => Value::Time(Time::parse(text)?),
        _ => Value::String(text.to_owned()),
    })
}

/// Collects the elements of one value: all of them, or those of one name.
pub struct Elements<'a, 'o> {
    only: Option<&'o str>,
    out: Sink<'a, 'o>,
    opaque: bool,
}

/// Where [`Elements`] puts what it collects.
enum Sink<'a, 'o> {
    /// Each element with its name.
    Children(&'o mut Vec<Child<'a>>),
    /// The nodes alone (what a FHIRPath path step wants).
    Nodes(&'o mut Vec<Node<'a>>),
    /// What the constraint walk may enter: each element with its name and
    /// its index when it repeats, leaves (see [`Node::is_leaf`]) left out
    /// unless `leaves`.
    Branches {
        out: &'o mut dyn FnMut(&'static str, Option<usize>, Node<'a>),
        leaves: bool,
        /// The name given last, and how many items it had.
        previous: &'static str,
        count: usize,
    },
}

impl<'a, 'o> Elements<'a, 'o> {
    /// A collector of the elements called `only` (all when `None`).
    pub fn new(only: Option<&'o str>, out: &'o mut Vec<Child<'a>>) -> Self {
        Elements {
            only,
            out: Sink::Children(out),
            opaque: false,
        }
    }

    /// A collector of the nodes alone.
    fn nodes(only: Option<&'o str>, out: &'o mut Vec<Node<'a>>) -> Self {
        Elements {
            only,
            out: Sink::Nodes(out),
            opaque: false,
        }
    }

    /// A collector for the constraint walk: each element with its index
    /// when it repeats; leaves only when `leaves`.
    pub(crate) fn branches(
        leaves: bool,
        out: &'o mut dyn FnMut(&'static str, Option<usize>, Node<'a>),
    ) -> Self {
        Elements {
            only: None,
            out: Sink::Branches {
                out,
                leaves,
                previous: "",
                count: 0,
            },
            opaque: false,
        }
    }

    /// Whether the type said it cannot give its elements (a hand-written
    /// type without [`Object::elements`]).
    pub fn is_opaque(&self) -> bool {
        self.opaque
    }

    /// For a type that cannot give its elements: constraints below it are
    /// reported as not checked.
    pub fn opaque(&mut self) {
        self.opaque = true;
    }

    #[inline]
    pub fn wants(&self, name: &str) -> bool {
        // Most names differ in length or first letter: no call to compare
        // the rest (a type gives each of its fields to be asked).
        self.only.is_none_or(|only| {
            only.len() == name.len()
                && only.as_bytes().first() == name.as_bytes().first()
                && only == name
        })
    }

    pub fn push(&mut self, name: &'static str, node: Node<'a>, repeats: bool) {
        match &mut self.out {
            Sink::Children(out) => out.push(Child {
                name,
                node,
                repeats,
            }),
            Sink::Nodes(out) => out.push(node),
            Sink::Branches {
                out,
                leaves,
                previous,
                count,
            } => {
                // Items of one element come one after another.
                let index = if *previous == name { *count } else { 0 };
                *previous = name;
                *count = index + 1;
                if *leaves || !node.is_leaf() {
                    out(name, repeats.then_some(index), node);
                }
            }
        }
    }

    /// A field of datatypes, backbone elements (`T`, `Option<T>`, `Vec<T>`...).
    #[inline]
    pub fn object<S: WriteSlot + ?Sized>(&mut self, name: &'static str, slot: &'a S) {
        if self.wants(name) {
            slot.object_nodes(name, self);
        }
    }

    /// A field of primitives of kind `kind`.
    #[inline]
    pub fn primitive<S: WriteSlot + ?Sized>(
        &mut self,
        name: &'static str,
        slot: &'a S,
        kind: Kind,
    ) {
        if self.wants(name) {
            slot.primitive_nodes(name, kind, self);
        }
    }

    /// An optional bare value.
    #[inline]
    pub fn plain<V: PrimitiveValue>(
        &mut self,
        name: &'static str,
        slot: &'a Option<V>,
        kind: Kind,
    ) {
        if self.wants(name)
            && let Some(value) = slot
        {
            self.push(name, Node::Plain(value, kind), false);
        }
    }

    /// A required bare value.
    #[inline]
    pub fn required_plain<V: PrimitiveValue>(
        &mut self,
        name: &'static str,
        value: &'a V,
        kind: Kind,
    ) {
        if self.wants(name) {
            self.push(name, Node::Plain(value, kind), false);
        }
    }

    /// An optional choice (`value[x]`, named `value`).
    #[inline]
    pub fn choice<C: Choice>(&mut self, name: &'static str, slot: &'a Option<C>) {
        if self.wants(name)
            && let Some(choice) = slot
        {
            choice.elements(name, self);
        }
    }

    /// A required choice.
    #[inline]
    pub fn required_choice<C: Choice>(&mut self, name: &'static str, slot: &'a C) {
        if self.wants(name) {
            slot.elements(name, self);
        }
    }

    /// A field of resources (`contained`, `Bundle.entry.resource`).
    #[inline]
    pub fn resource<S: ResourceSlot>(&mut self, name: &'static str, slot: &'a S) {
        if self.wants(name) {
            slot.resource_nodes(name, self);
        }
    }

    /// A value the profile fixes.
    pub fn constant(&mut self, name: &'static str, pattern: &'static Pattern, kind: Kind) {
        if self.wants(name) {
            self.push(name, Node::Constant(pattern, kind), false);
        }
    }

    /// A sliced list: the fields of its slices and of the rest, in the order
    /// they were read (as `Writer::sliced_field` writes them).
    pub fn sliced(
        &mut self,
        name: &'static str,
        order: &'a SliceOrder,
        slicing: &Slicing,
        slots: &[&'a dyn SliceItems],
    ) {
        if !self.wants(name) {
            return;
        }
        with_zeros(slots.len(), |counts| {
            for (count, slot) in counts.iter_mut().zip(slots) {
                *count = slot.count();
            }
            slice_sequence(order, slicing, counts, |slot, index| {
                self.push(name, Node::Object(slots[slot].item(index)), true)
            });
        });
    }

    /// An element the base repeats and the profile allows once.
    pub fn object_in_array<T: Object>(&mut self, name: &'static str, item: Option<&'a T>) {
        if self.wants(name)
            && let Some(item) = item
        {
            self.push(name, Node::Object(item), true);
        }
    }

    /// Like [`Self::object_in_array`], for a primitive.
    pub fn primitive_in_array<V: PrimitiveValue, X: Object>(
        &mut self,
        name: &'static str,
        item: Option<&'a Primitive<V, X>>,
        kind: Kind,
    ) {
        if self.wants(name)
            && let Some(item) = item
        {
            self.push(name, Node::Primitive(item, kind), true);
        }
    }
}

/// A string's part in a content hash: its length and its ends. Strings
/// that differ only in the middle hash alike (equality tells them apart);
/// a long text (a question, a display) is not hashed whole.
fn hash_text(hasher: &mut impl Hasher, text: &str) {
    const ENDS: usize = 24;
    let bytes = text.as_bytes();
    hasher.write_usize(bytes.len());
    if bytes.len() <= 2 * ENDS {
        hasher.write(bytes);
    } else {
        hasher.write(&bytes[..ENDS]);
        hasher.write(&bytes[bytes.len() - ENDS..]);
    }
}

/// Type names and what each specializes (`code` -> `string`, `Age` ->
/// `Quantity`), sorted by name: the package's type hierarchy.
pub type TypeBases = [(&'static str, &'static str)];

/// The type hierarchy by name, for lookups.
pub type TypeIndex =
    std::collections::HashMap<&'static str, &'static str, foldhash::fast::RandomState>;

/// A resource (and what it holds) as FHIRPath sees it.
pub struct Typed<'a> {
    bases: &'a TypeIndex,
    /// The values were just read: their narratives passed the reader's
    /// XHTML checks, which are `htmlChecks()`'s.
    narratives_read: bool,
    /// The values may hold an extension: false only for values a read made
    /// from JSON with none (see [`crate::Reader::saw_extensions`]).
    extensions: bool,
    /// Where references resolve: the resource read, or its Bundle.
    root: Node<'a>,
    scratch: RefCell<Vec<Child<'a>>>,
    /// The last narrative checked (by address) and the verdict.
    narrative: RefCell<Option<(usize, bool)>>,
    /// The content hash of each object hashed so far, by its identity (see
    /// `Model::identity`; the values are borrowed for as long as the model
    /// lives, so they cannot change): `repeat()`, unions and `distinct()`
    /// ask for the same elements' hashes over and over.
    hashes: RefCell<std::collections::HashMap<Identity, u64, foldhash::fast::FixedState>>,
}

impl<'a> Typed<'a> {
    pub fn new(bases: &'a TypeIndex, root: Node<'a>) -> Self {
        Typed {
            bases,
            narratives_read: false,
            extensions: true,
            root,
            scratch: RefCell::new(Vec::new()),
            narrative: RefCell::new(None),
            hashes: RefCell::default(),
        }
    }

    /// The children of `node` called `only` (all when `None`); false when
    /// the node is a type that cannot give them.
    pub fn collect(&self, node: &Node<'a>, only: Option<&str>, out: &mut Vec<Child<'a>>) -> bool {
        self.give(node, Elements::new(only, out))
    }

    /// Hands the children of `node` to `e`; false when the node is a type
    /// that cannot give them.
    fn give(&self, node: &Node<'a>, mut e: Elements<'a, '_>) -> bool {
        match node {
            Node::Object(object) | Node::Resource(object) => object.elements(&mut e),
            Node::Primitive(primitive, _) => primitive.parts(&mut e),
            Node::Plain(..) | Node::Constant(..) | Node::Placeholder(_) => {}
        }
        !e.is_opaque()
    }

    /// Gives the children of `node` to `out` as the constraint walk wants
    /// them (see [`Elements::branches`]); false when the node is a type
    /// that cannot give them.
    pub(crate) fn branches(
        &self,
        node: &Node<'a>,
        leaves: bool,
        out: &mut dyn FnMut(&'static str, Option<usize>, Node<'a>),
    ) -> bool {
        self.give(node, Elements::branches(leaves, out))
    }

    /// Runs `f` with an empty buffer for children, kept for the next call
    /// (one allocation per walk, not one per element); `f` leaves it empty.
    pub(crate) fn with_scratch<R>(&self, f: impl FnOnce(&mut Vec<Child<'a>>) -> R) -> R {
        let mut scratch = self.scratch.take();
        let result = f(&mut scratch);
        scratch.clear();
        *self.scratch.borrow_mut() = scratch;
        result
    }

    pub fn is_resource(&self, node: &Node<'a>) -> bool {
        matches!(node, Node::Resource(_) | Node::Placeholder(_))
    }

    /// For values `read` has just made: `htmlChecks()` is true, the reader
    /// having applied the same checks to each narrative; they hold an
    /// extension only if the JSON had one.
    pub fn made_by(mut self, read: &crate::json::Reader<'_>) -> Self {
        self.narratives_read = true;
        self.extensions = read.saw_extensions();
        self
    }

    /// Whether the values may hold an extension.
    pub fn may_hold_extensions(&self) -> bool {
        self.extensions
    }

    fn base_of(&self, name: &str) -> Option<&'a str> {
        self.bases.get(name).copied().filter(|b| !b.is_empty())
    }

    /// Whether two nodes hold the same content: the same object, or the
    /// same values element by element.
    fn same_content(&self, a: &Node<'a>, b: &Node<'a>, depth: usize) -> bool {
        match (a, b) {
            (Node::Object(x) | Node::Resource(x), Node::Object(y) | Node::Resource(y)) => {
                if x.type_code() != y.type_code() {
                    return false;
                }
                // The same element (by identity: a struct and a field of
                // it can share an address and a type).
                if self.identity(a) == self.identity(b) {
                    return true;
                }
                if depth > crate::limits::max_depth() {
                    return false;
                }
                self.same_children(a, b, depth)
            }
            (
                Node::Plain(..) | Node::Constant(..) | Node::Primitive(..),
                Node::Plain(..) | Node::Constant(..) | Node::Primitive(..),
            ) => self.value(a) == self.value(b) && self.same_children(a, b, depth),
            _ => false,
        }
    }

    fn same_children(&self, a: &Node<'a>, b: &Node<'a>, depth: usize) -> bool {
        let (mut left, mut right) = (Vec::new(), Vec::new());
        self.collect(a, None, &mut left);
        self.collect(b, None, &mut right);
        left.len() == right.len()
            && left
                .iter()
                .zip(&right)
                .all(|(l, r)| l.name == r.name && self.same_content(&l.node, &r.node, depth + 1))
    }

    /// Feeds `node`'s content to `hasher` as [`Typed::same_content`] sees
    /// it: the type of an object, the value of a primitive (strings,
    /// booleans and integers by value, other values by kind: a decimal's
    /// `1.0` is `1.00`), and the children by name, in order, `levels` deep
    /// (below, what is equal is equal; the hash need only tell most
    /// different elements apart, cheaply: `repeat()` hashes each element of
    /// a tree). `stack` holds the children of the nodes being hashed (each
    /// level's above the last), so a hash allocates nothing once it has
    /// grown.
    fn hash_content(
        &self,
        node: &Node<'a>,
        levels: usize,
        hasher: &mut impl Hasher,
        stack: &mut Vec<Child<'a>>,
    ) {
        match node {
            Node::Object(x) | Node::Resource(x) => {
                hasher.write_u8(0);
                hasher.write(x.type_code().as_bytes());
            }
            Node::Plain(..) | Node::Constant(..) | Node::Primitive(..) => {
                hasher.write_u8(1);
                // A string is lent where it can be (the same bytes as its value's).
                if let Some(text) = Model::text(self, node) {
                    hash_text(hasher, text);
                } else {
                    match self.value(node) {
                        Some(Value::String(text)) => hash_text(hasher, &text),
                        Some(Value::Boolean(b)) => hasher.write_u8(2 + u8::from(b)),
                        Some(Value::Integer(i)) => hasher.write_i64(i),
                        Some(other) => std::mem::discriminant(&other).hash(hasher),
                        None => hasher.write_u8(4),
                    }
                }
            }
            Node::Placeholder(_) => return,
        }
        if levels == 0 {
            return;
        }
        let start = stack.len();
        self.collect(node, None, stack);
        hasher.write_usize(stack.len() - start);
        for at in start..stack.len() {
            let child = stack[at];
            hasher.write(child.name.as_bytes());
            self.hash_content(&child.node, levels - 1, hasher, stack);
        }
        stack.truncate(start);
    }

    /// A child of `node` by name, first one.
    fn first(&self, node: &Node<'a>, name: &str) -> Option<Node<'a>> {
        let mut out = Vec::new();
        self.collect(node, Some(name), &mut out);
        out.first().map(|c| c.node)
    }

    fn text(&self, node: &Node<'a>, name: &str) -> Option<String> {
        match self.value(&self.first(node, name)?)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'a> Model for Typed<'a> {
    type Node = Node<'a>;

    fn type_name<'n>(&'n self, node: &'n Node<'a>) -> &'n str {
        match node {
            Node::Object(object) | Node::Resource(object) => object.type_code(),
            Node::Primitive(_, kind) | Node::Plain(_, kind) | Node::Constant(_, kind) => {
                kind.type_code()
            }
            Node::Placeholder(type_name) => type_name,
        }
    }

    fn children(
        &self,
        node: &Node<'a>,
        name: &str,
        out: &mut Vec<Node<'a>>,
    ) -> Result<(), UnknownElement> {
        let known = self.give(node, Elements::nodes(Some(name), out));
        // A name the type does not have gives nothing; the checker has
        // judged every name against the element model at generation.
        if known { Ok(()) } else { Err(UnknownElement) }
    }

    fn all_children(&self, node: &Node<'a>, out: &mut Vec<Node<'a>>) {
        self.give(node, Elements::nodes(None, out));
    }

    fn value(&self, node: &Node<'a>) -> Option<Value> {
        match node {
            Node::Object(_) | Node::Resource(_) | Node::Placeholder(_) => None,
            Node::Primitive(primitive, kind) => primitive.value(*kind),
            Node::Plain(value, kind) => value.value(*kind),
            Node::Constant(pattern, kind) => match pattern.value() {
                JsonValue::Str(s) => text_value(*kind, s),
                JsonValue::Bool(b) => Some(Value::Boolean(*b)),
                JsonValue::Int(i) => Some(Value::Integer(*i)),
                _ => text_value(*kind, pattern.text()),
            },
        }
    }

    fn text<'n>(&'n self, node: &'n Node<'a>) -> Option<&'n str> {
        match node {
            Node::Primitive(primitive, kind) => primitive.text(*kind),
            Node::Plain(value, kind) => value.text(*kind),
            Node::Constant(pattern, kind) if kind.is_string() => match pattern.value() {
                JsonValue::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    fn has_value(&self, node: &Node<'a>) -> bool {
        match node {
            Node::Object(_) | Node::Resource(_) | Node::Placeholder(_) => false,
            Node::Primitive(primitive, _) => primitive.has_value(),
            Node::Plain(..) | Node::Constant(..) => true,
        }
    }

    fn is_a(&self, name: &str, base: &str) -> bool {
        let mut current = Some(name);
        // Type hierarchies are a few levels deep; the bound guards a cycle.
        for _ in 0..32 {
            match current {
                Some(n) if n == base => return true,
                Some(n) => current = self.base_of(n),
                None => return false,
            }
        }
        false
    }

    fn has_type(&self, name: &str) -> bool {
        self.bases.contains_key(name)
    }

    fn same(&self, a: &Node<'a>, b: &Node<'a>) -> bool {
        self.same_content(a, b, 0)
    }

    fn identity(&self, node: &Node<'a>) -> Option<Identity> {
        match node {
            // A struct and a field of it can share an address, and have the
            // same FHIR type (a profiled extension and one of its
            // extensions): the size tells them apart, as the struct holds
            // more than the field.
            Node::Object(x) | Node::Resource(x) => Some((
                *x as *const dyn Object as *const () as usize,
                x.type_code().as_ptr() as usize,
                std::mem::size_of_val(*x),
            )),
            _ => None,
        }
    }

    fn content_hash(&self, node: &Node<'a>) -> Option<u64> {
        let key = self.identity(node);
        if let Some(key) = key
            && let Some(&hash) = self.hashes.borrow().get(&key)
        {
            return Some(hash);
        }
        let mut hasher = foldhash::fast::FixedState::default().build_hasher();
        self.with_scratch(|stack| self.hash_content(node, 2, &mut hasher, stack));
        let hash = hasher.finish();
        if let Some(key) = key {
            self.hashes.borrow_mut().insert(key, hash);
        }
        Some(hash)
    }

    fn html_checks(&self, div: &Node<'a>) -> Option<bool> {
        if self.narratives_read {
            return Some(true);
        }
        let Some(Value::String(text)) = self.value(div) else {
            return None;
        };
        // txt-1 and txt-2 both ask; the narrative is checked once.
        let key = match div {
            Node::Primitive(p, _) => *p as *const dyn PrimitiveNode as *const () as usize,
            _ => 0,
        };
        if let Some(&(k, ok)) = self.narrative.borrow().as_ref()
            && k == key
            && key != 0
        {
            return Some(ok);
        }
        let ok = crate::narrative::check(&text).is_ok();
        *self.narrative.borrow_mut() = Some((key, ok));
        Some(ok)
    }

    fn placeholder(&self, type_name: &str) -> Option<Node<'a>> {
        let (name, _) = self.bases.get_key_value(type_name)?;
        Some(Node::Placeholder(name))
    }

    fn resolve(&self, _from: &Node<'a>, reference: &str) -> Option<Node<'a>> {
        let root = self.root;
        let mut items = Vec::new();
        if let Some(id) = reference.strip_prefix('#') {
            self.collect(&root, Some("contained"), &mut items);
            return items
                .into_iter()
                .map(|c| c.node)
                .find(|r| self.text(r, "id").as_deref() == Some(id));
        }
        // Inside a Bundle: the entry with that fullUrl, or with that type and id.
        self.collect(&root, Some("entry"), &mut items);
        items.into_iter().find_map(|entry| {
            let resource = self.first(&entry.node, "resource")?;
            let full_url = self.text(&entry.node, "fullUrl");
            let relative = format!(
                "{}/{}",
                self.type_name(&resource),
                self.text(&resource, "id").unwrap_or_default()
            );
            (full_url.as_deref() == Some(reference)
                || reference == relative
                || reference.ends_with(&format!("/{relative}")))
            .then_some(resource)
        })
    }
}
