//! What the evaluator needs to know of the data it walks: FHIR elements
//! and their types. The engine knows no FHIR type itself; a program gives
//! it a [`Model`] (fhirgen's runtime has one over FHIR JSON and the core
//! package's element definitions).

use crate::value::Value;

/// The element `name` is not defined on the type (in strict evaluation,
/// an error; otherwise an empty result).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownElement;

/// What tells one element apart from every other (see
/// [`Model::identity`]).
pub type Identity = (usize, usize, usize);

/// A tree of FHIR elements with their types.
pub trait Model {
    /// A handle to one element (a resource, a datatype, a primitive).
    type Node: Clone;

    /// The FHIR type of a node: `Patient`, `HumanName`, `string`, `code`;
    /// for the value of a choice, the variant's type (`Quantity`).
    fn type_name<'a>(&'a self, node: &'a Self::Node) -> &'a str;

    /// Appends the children `name` of `node` (`given` of a HumanName; `value`
    /// of an Observation gives whichever `value[x]` it has).
    fn children(
        &self,
        node: &Self::Node,
        name: &str,
        out: &mut Vec<Self::Node>,
    ) -> Result<(), UnknownElement>;

    /// Appends every child of `node`, in document order.
    fn all_children(&self, node: &Self::Node, out: &mut Vec<Self::Node>);

    /// The value of a primitive (`string` -> String, `date` -> Date,
    /// `integer` -> Integer...); `None` for a primitive with only
    /// extensions, and for other types.
    fn value(&self, node: &Self::Node) -> Option<Value>;

    /// A string primitive's value without copying it: what
    /// [`Model::value`] gives as a `Value::String`, when the model can lend
    /// it (`None` otherwise, and for other types).
    fn text<'s>(&'s self, node: &'s Self::Node) -> Option<&'s str> {
        let _ = node;
        None
    }

    /// Whether a primitive has a value (`hasValue()`), even one
    /// [`Model::value`] cannot represent (a decimal beyond 28 digits).
    fn has_value(&self, node: &Self::Node) -> bool {
        self.value(node).is_some()
    }

    /// Whether type `name` is `base` or derives from it (`code` is a
    /// `string`, `Age` a `Quantity`, `Patient` a `Resource`).
    fn is_a(&self, name: &str, base: &str) -> bool;

    /// Whether the model has a type called `name`.
    fn has_type(&self, name: &str) -> bool;

    /// Whether two nodes hold the same content.
    fn same(&self, a: &Self::Node, b: &Self::Node) -> bool;

    /// A hash of a node's content that agrees with [`Model::same`]: nodes
    /// with the same content have the same hash (others may too). What
    /// `repeat()`, `distinct()` and `isDistinct()` compare first, so that a
    /// long collection of elements is not compared pairwise in depth.
    /// `None` when the model gives none.
    fn content_hash(&self, node: &Self::Node) -> Option<u64> {
        let _ = node;
        None
    }

    /// A key that tells this element apart from every other for as long
    /// as the model lives (the same element always gives the same key):
    /// what lets an evaluation keep `descendants()` of an element it asks
    /// for again. `None` when the model cannot tell.
    fn identity(&self, node: &Self::Node) -> Option<Identity> {
        let _ = node;
        None
    }

    /// The resource a reference points to, when it can be found without
    /// going outside the data (a contained resource, a Bundle entry).
    fn resolve(&self, from: &Self::Node, reference: &str) -> Option<Self::Node> {
        let _ = (from, reference);
        None
    }

    /// A resource of type `type_name` known only by a reference to it, with
    /// no content: what a search's `resolve() is Patient` sees of
    /// `Patient/123` when that resource is not in the data. `None` when the
    /// model has no such resource type, or makes no placeholders.
    fn placeholder(&self, type_name: &str) -> Option<Self::Node> {
        let _ = type_name;
        None
    }

    /// FHIR's `memberOf()`: whether one of `codes` (`(system, code)`; no
    /// system for a bare `code`) is in the value set; `None` when the model
    /// cannot tell (the value set does not expand here).
    fn member_of(&self, value_set: &str, codes: &[(Option<String>, String)]) -> Option<bool> {
        let _ = (value_set, codes);
        None
    }

    /// FHIR's `htmlChecks()`: whether a narrative `div` follows FHIR's
    /// XHTML rules; `None` when the model cannot tell.
    fn html_checks(&self, div: &Self::Node) -> Option<bool> {
        let _ = div;
        None
    }
}

/// A model with no data and no types: for expressions on literals only.
pub struct NoData;

impl Model for NoData {
    type Node = std::convert::Infallible;

    fn type_name<'a>(&'a self, node: &'a Self::Node) -> &'a str {
        match *node {}
    }
    fn children(
        &self,
        node: &Self::Node,
        _: &str,
        _: &mut Vec<Self::Node>,
    ) -> Result<(), UnknownElement> {
        match *node {}
    }
    fn all_children(&self, node: &Self::Node, _: &mut Vec<Self::Node>) {
        match *node {}
    }
    fn value(&self, node: &Self::Node) -> Option<Value> {
        match *node {}
    }
    fn is_a(&self, name: &str, base: &str) -> bool {
        name == base
    }
    fn has_type(&self, _: &str) -> bool {
        false
    }
    fn same(&self, a: &Self::Node, _: &Self::Node) -> bool {
        match *a {}
    }
}
