//! Evaluating an [`Expression`] over a [`Model`], with FHIRPath's
//! collection semantics: every expression yields a collection, an empty
//! operand makes most operators empty, and an operator that needs one item
//! given several is an error.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use smallvec::SmallVec;

use crate::ast::{BinaryOp, Expression, Literal, Node, NodeId, TypeName, TypeOp};
use crate::model::{Identity, Model};
use crate::temporal::{DateTime, Precision, Time};
use crate::value::{Quantity, Value};
use crate::{functions, ucum};

/// Deepest nesting an evaluation may reach: that of the expression's tree,
/// which the parser bounds (a lambda is evaluated at its own depth).
pub(crate) const MAX_DEPTH: usize = crate::parser::MAX_DEPTH + 1;

/// Most items a collection built by `repeat()` or `descendants()` may hold.
pub const MAX_ITEMS: usize = 1_000_000;

/// One item of a collection: an element of the data, a System value, or
/// the type information `type()` returns.
#[derive(Clone, Debug)]
pub enum Item<N> {
    Node(N),
    Value(Value),
    Type {
        namespace: &'static str,
        name: String,
    },
}

/// Why an evaluation failed: an operator given the wrong kind or number of
/// items, an unknown element in strict mode, a function the program cannot
/// evaluate offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// The expression needs what this program does not have (a
    /// terminology service, a profile): it was not evaluated, rather than
    /// found false.
    pub unsupported: bool,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

pub(crate) fn error<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
        unsupported: false,
    })
}

/// An evaluation this program cannot do (a terminology service, a profile).
pub(crate) fn unsupported<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
        unsupported: true,
    })
}

pub type Collection<N> = Vec<Item<N>>;

/// A variable's value: one item (a node: `%resource`) held in place.
type Held<N> = SmallVec<[Item<N>; 1]>;

/// A `%name` variable and its value.
type Variable<N> = (Cow<'static, str>, Held<N>);

/// Items without repeats, gathered one by one (`repeat()`), each kept
/// with its content hash ([`Evaluator::signature`]): a new item is compared
/// in depth only with those whose hash is its own, and those without one.
pub(crate) struct Kept<N> {
    pub(crate) items: Collection<N>,
    /// The items with a content hash, by hash.
    signed: std::collections::HashMap<u64, SmallVec<[usize; 1]>>,
    /// The items without one (values).
    unsigned: Vec<usize>,
}

impl<N> Default for Kept<N> {
    fn default() -> Self {
        Kept {
            items: Vec::new(),
            signed: std::collections::HashMap::new(),
            unsigned: Vec::new(),
        }
    }
}

/// What an evaluation runs in: the model, the `%` variables, the clock.
pub struct Environment<'m, M: Model> {
    pub(crate) model: &'m M,
    /// Strict (the default): FHIRPath 2.0 as written, and an element name
    /// the type does not define is an error (with the model known,
    /// `Observation.valueQuantity` or a misspelt name is a mistake to report).
    ///
    /// Lenient: the reading of the HL7 reference engine, which FHIR R4's and
    /// the IGs' constraints were written and tested against: an unknown name
    /// is empty, `as` on several items filters them (as `ofType()`), `is` on
    /// nothing is `false`, several items where a Boolean is expected are
    /// `true` (pd-1's `telecom or endpoint`), and `startsWith()`, `endsWith()`, `contains()`,
    /// `matches()` on nothing are `false` (so R4's `ref-1`,
    /// `reference.startsWith('#').not() or ...`, holds for a Reference
    /// without `reference`).
    pub strict: bool,
    /// `%name` variables: the environment's own (`resource`), named without
    /// a copy, and the caller's; one node (what `%resource` holds) without
    /// an allocation.
    variables: SmallVec<[Variable<M::Node>; 2]>,
    /// The clock, read when `now()`, `today()` or `timeOfDay()` first
    /// asks (the same answer for every evaluation in this environment).
    now: std::cell::OnceCell<DateTime>,
    /// Emptied node buffers, kept for the next compiled evaluation (see
    /// [`crate::Predicate`]).
    pub(crate) buffers: std::cell::RefCell<Vec<Vec<M::Node>>>,
    /// `descendants()` of the elements asked for last, by their
    /// [`Model::identity`] (`dom-3` asks for `%resource.descendants()`
    /// four times for each contained resource).
    pub(crate) descendants: std::cell::RefCell<Vec<(Identity, Collection<M::Node>)>>,
}

impl<'m, M: Model> Environment<'m, M> {
    /// An environment over `model`.
    pub fn new(model: &'m M) -> Self {
        Environment {
            model,
            strict: true,
            variables: SmallVec::new(),
            now: std::cell::OnceCell::new(),
            buffers: std::cell::RefCell::new(Vec::new()),
            descendants: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Sets `%name` (`%resource`, `%rootResource`, or the caller's own).
    pub fn set_variable(&mut self, name: impl Into<Cow<'static, str>>, value: Collection<M::Node>) {
        self.set(name.into(), SmallVec::from_vec(value));
    }

    /// Sets `%name` to one node (`%resource`), without an allocation.
    pub fn set_node(&mut self, name: impl Into<Cow<'static, str>>, node: M::Node) {
        self.set(name.into(), smallvec::smallvec![Item::Node(node)]);
    }

    fn set(&mut self, name: Cow<'static, str>, value: Held<M::Node>) {
        match self.variables.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => *slot = value,
            None => self.variables.push((name, value)),
        }
    }

    /// What `%name` was set to, if it was.
    pub(crate) fn variable(&self, name: &str) -> Option<&[Item<M::Node>]> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_slice())
    }

    /// Sets `%resource` and `%rootResource` to `resource`.
    pub fn with_resource(mut self, resource: M::Node) -> Self {
        self.set_node("resource", resource.clone());
        self.set_node("rootResource", resource);
        self
    }

    /// Evaluates `expression` with `input` as its context (`%context` and
    /// the focus of its first step).
    pub fn evaluate(
        &self,
        expression: &Expression<'_>,
        input: Collection<M::Node>,
    ) -> Result<Collection<M::Node>, EvalError> {
        let evaluator = Evaluator {
            env: self,
            expression,
            context: &input,
            depth: std::cell::Cell::new(0),
            repeating: std::cell::Cell::new(0),
        };
        let scope = Scope {
            this: &input,
            index: None,
            total: None,
        };
        evaluator.eval(expression.root(), &input, &scope)
    }

    /// Evaluates a constraint: `Ok(true)` only when the result is the single
    /// value `true` (an empty result fails, as FHIR's invariants do).
    pub fn check(
        &self,
        expression: &Expression<'_>,
        input: Collection<M::Node>,
    ) -> Result<bool, EvalError> {
        let result = self.evaluate(expression, input)?;
        Ok(matches!(
            result.as_slice(),
            [Item::Value(Value::Boolean(true))]
        ))
    }
}

fn now_utc() -> DateTime {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let epoch = DateTime {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millisecond: 0,
        precision: Precision::Millisecond,
        offset: Some(0),
    };
    epoch.add(millis, Precision::Millisecond).unwrap_or(epoch)
}

/// `$this`, `$index` and `$total` where an expression is evaluated.
pub(crate) struct Scope<'s, N> {
    pub this: &'s [Item<N>],
    pub index: Option<i64>,
    pub total: Option<&'s [Item<N>]>,
}

pub(crate) struct Evaluator<'e, 'x, M: Model> {
    pub env: &'e Environment<'e, M>,
    pub expression: &'e Expression<'x>,
    pub context: &'e [Item<M::Node>],
    pub depth: std::cell::Cell<usize>,
    /// How many `repeat()` projections are being evaluated: in one, a name
    /// an item's type lacks is empty even when strict (a round's items may
    /// not have it, the next round's do: `repeat(answer | item)` on a
    /// QuestionnaireResponse); the checker judges the names against every
    /// type the rounds reach.
    pub repeating: std::cell::Cell<usize>,
}

type Res<N> = Result<Collection<N>, EvalError>;

impl<M: Model> Evaluator<'_, '_, M> {
    pub(crate) fn model(&self) -> &M {
        self.env.model
    }

    /// See [`Environment::strict`].
    pub(crate) fn lenient(&self) -> bool {
        !self.env.strict
    }

    pub(crate) fn eval(
        &self,
        id: NodeId,
        focus: &[Item<M::Node>],
        scope: &Scope<'_, M::Node>,
    ) -> Res<M::Node> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return error(format!("evaluation nested deeper than {MAX_DEPTH}"));
        }
        self.depth.set(depth);
        let result = self.eval_node(id, focus, scope);
        self.depth.set(depth - 1);
        result
    }

    fn eval_node(
        &self,
        id: NodeId,
        focus: &[Item<M::Node>],
        scope: &Scope<'_, M::Node>,
    ) -> Res<M::Node> {
        Ok(match self.expression.node(id) {
            Node::Empty => Vec::new(),
            Node::Literal(literal) => vec![Item::Value(literal_value(literal))],
            Node::This => scope.this.to_vec(),
            Node::Index => match scope.index {
                Some(i) => vec![Item::Value(Value::Integer(i))],
                None => return error("$index outside a function that iterates"),
            },
            Node::Total => match scope.total {
                Some(total) => total.to_vec(),
                None => return error("$total outside aggregate()"),
            },
            Node::Variable(name) => self.variable(name)?,
            Node::Member { target, name } => {
                let input;
                let (items, first_step) = match target {
                    Some(t) => {
                        input = self.eval(*t, focus, scope)?;
                        (input.as_slice(), false)
                    }
                    None => (focus, true),
                };
                self.member(items, name, first_step)?
            }
            Node::Call {
                target,
                function,
                args,
            } => {
                let input = match target {
                    Some(t) => Cow::Owned(self.eval(*t, focus, scope)?),
                    None => Cow::Borrowed(focus),
                };
                functions::call(self, *function, &input, args, scope)?
            }
            Node::Indexer { target, index } => {
                let items = self.eval(*target, focus, scope)?;
                let index = self.eval(*index, scope.this, scope)?;
                match self.single_integer(&index, &"an index")? {
                    Some(i) if i >= 0 => items.into_iter().nth(i as usize).into_iter().collect(),
                    _ => Vec::new(),
                }
            }
            Node::Negate(operand) => {
                let items = self.eval(*operand, focus, scope)?;
                match self.single_value(&items, &"the operand of unary -")? {
                    None => Vec::new(),
                    Some(Value::Integer(i)) => vec![Item::Value(Value::Integer(-i))],
                    Some(Value::Decimal(d)) => {
                        let mut negated = -d;
                        if negated.is_zero() {
                            negated.set_sign_positive(true);
                        }
                        vec![Item::Value(Value::Decimal(negated))]
                    }
                    Some(Value::Quantity(q)) => vec![Item::Value(Value::Quantity(Quantity {
                        value: -q.value,
                        unit: q.unit,
                    }))],
                    Some(other) => return error(format!("cannot negate a {}", other.type_name())),
                }
            }
            Node::Binary { op, left, right } => self.binary(*op, *left, *right, focus, scope)?,
            Node::TypeTest {
                op,
                operand,
                type_name,
            } => {
                let items = self.eval(*operand, focus, scope)?;
                self.type_test(*op, &items, type_name)?
            }
        })
    }

    fn variable(&self, name: &str) -> Res<M::Node> {
        if let Some(value) = self.env.variable(name) {
            return Ok(value.to_vec());
        }
        let text = match name {
            "context" => return Ok(self.context.to_vec()),
            "resource" | "rootResource" => return Ok(self.context.to_vec()),
            "ucum" => "http://unitsofmeasure.org".to_owned(),
            "sct" => "http://snomed.info/sct".to_owned(),
            "loinc" => "http://loinc.org".to_owned(),
            _ => {
                if let Some(vs) = name.strip_prefix("vs-") {
                    format!("http://hl7.org/fhir/ValueSet/{vs}")
                } else if let Some(ext) = name.strip_prefix("ext-") {
                    format!("http://hl7.org/fhir/StructureDefinition/{ext}")
                } else {
                    return error(format!("unknown variable %{name}"));
                }
            }
        };
        Ok(vec![Item::Value(Value::String(text))])
    }

    fn member(&self, items: &[Item<M::Node>], name: &str, first_step: bool) -> Res<M::Node> {
        let model = self.model();
        let mut out = Vec::new();
        let mut nodes = self.env.take_buffer();
        // In a collection of several types (`descendants()`), a name needs
        // to be known on one of them only.
        let mut unknown_on: Option<&str> = None;
        let mut known = false;
        for item in items {
            match item {
                Item::Node(node) => {
                    // A path may start with the type of its context (`Patient.name`).
                    if first_step
                        && name.starts_with(|c: char| c.is_ascii_uppercase())
                        && model.is_a(model.type_name(node), name)
                    {
                        out.push(item.clone());
                        continue;
                    }
                    nodes.clear();
                    match model.children(node, name, &mut nodes) {
                        Ok(()) => known = true,
                        Err(_) => unknown_on = unknown_on.or(Some(model.type_name(node))),
                    }
                    out.extend(nodes.drain(..).map(Item::Node));
                }
                Item::Type {
                    namespace,
                    name: type_name,
                } => match name {
                    "namespace" => out.push(Item::Value(Value::String((*namespace).to_owned()))),
                    "name" => out.push(Item::Value(Value::String(type_name.clone()))),
                    _ => {}
                },
                Item::Value(_) => {}
            }
        }
        if let Some(type_name) =
            unknown_on.filter(|_| self.env.strict && !known && self.repeating.get() == 0)
        {
            if first_step && name.starts_with(|c: char| c.is_ascii_uppercase()) {
                return error(format!("the context is a {type_name}, not a {name}"));
            }
            return error(format!("{type_name} has no element `{name}`"));
        }
        self.env.give_back(nodes);
        Ok(out)
    }

    /// The System value of an item: a primitive's value, a FHIR Quantity as
    /// a System.Quantity.
    pub(crate) fn value_of(&self, item: &Item<M::Node>) -> Option<Value> {
        match item {
            Item::Value(v) => Some(v.clone()),
            Item::Node(node) => {
                let model = self.model();
                if let Some(v) = model.value(node) {
                    return Some(v);
                }
                if model.is_a(model.type_name(node), "Quantity") {
                    let mut parts = Vec::new();
                    let _ = model.children(node, "value", &mut parts);
                    let value = parts.first().and_then(|p| model.value(p))?.decimal()?;
                    let unit = ["code", "unit"].iter().find_map(|name| {
                        parts.clear();
                        let _ = model.children(node, name, &mut parts);
                        match parts.first().and_then(|p| model.value(p)) {
                            Some(Value::String(s)) => Some(s),
                            _ => None,
                        }
                    });
                    return Some(Value::Quantity(Quantity {
                        value,
                        unit: unit.unwrap_or_else(|| "1".to_owned()),
                    }));
                }
                None
            }
            Item::Type { .. } => None,
        }
    }

    /// Whether an item is a FHIR primitive (FHIR names its primitive types
    /// in lower case: `string`, `dateTime`).
    fn is_primitive(&self, item: &Item<M::Node>) -> bool {
        match item {
            Item::Node(node) => self
                .model()
                .type_name(node)
                .starts_with(|c: char| c.is_ascii_lowercase()),
            _ => false,
        }
    }

    fn describe(&self, item: &Item<M::Node>) -> String {
        match item {
            Item::Node(node) => self.model().type_name(node).to_owned(),
            Item::Value(v) => v.type_name().to_owned(),
            Item::Type { .. } => "TypeInfo".to_owned(),
        }
    }

    pub(crate) fn single<'c>(
        &self,
        items: &'c [Item<M::Node>],
        what: &dyn std::fmt::Display,
    ) -> Result<Option<&'c Item<M::Node>>, EvalError> {
        match items {
            [] => Ok(None),
            [item] => Ok(Some(item)),
            _ => error(format!("{what} must be a single item, not {}", items.len())),
        }
    }

    pub(crate) fn single_value(
        &self,
        items: &[Item<M::Node>],
        what: &dyn std::fmt::Display,
    ) -> Result<Option<Value>, EvalError> {
        match self.single(items, what)? {
            None => Ok(None),
            Some(item) => match self.value_of(item) {
                Some(v) => Ok(Some(v)),
                // A primitive with extensions only: no value, not an error.
                None if self.is_primitive(item) => Ok(None),
                None => error(format!(
                    "{what} must be a value, not a {}",
                    self.describe(item)
                )),
            },
        }
    }

    /// FHIRPath's singleton evaluation as a Boolean: one Boolean is itself,
    /// any other single item is `true`.
    pub(crate) fn single_bool(
        &self,
        items: &[Item<M::Node>],
        what: &dyn std::fmt::Display,
    ) -> Result<Option<bool>, EvalError> {
        if self.lenient() && items.len() > 1 {
            return Ok(Some(true));
        }
        match self.single(items, what)? {
            None => Ok(None),
            Some(item) => Ok(Some(match self.value_of(item) {
                Some(Value::Boolean(b)) => b,
                _ => true,
            })),
        }
    }

    pub(crate) fn single_integer(
        &self,
        items: &[Item<M::Node>],
        what: &dyn std::fmt::Display,
    ) -> Result<Option<i64>, EvalError> {
        match self.single_value(items, what)? {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(i)),
            Some(other) => error(format!(
                "{what} must be an Integer, not {}",
                other.type_name()
            )),
        }
    }

    pub(crate) fn single_string(
        &self,
        items: &[Item<M::Node>],
        what: &dyn std::fmt::Display,
    ) -> Result<Option<String>, EvalError> {
        match self.single_value(items, what)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => error(format!(
                "{what} must be a String, not {}",
                other.type_name()
            )),
        }
    }

    /// `=` on two items: `None` when unknown.
    pub(crate) fn items_equal(&self, a: &Item<M::Node>, b: &Item<M::Node>) -> Option<bool> {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => x.equals(&y),
            (None, None) => Some(match (a, b) {
                (Item::Node(x), Item::Node(y)) => self.model().same(x, y),
                (
                    Item::Type {
                        namespace: n1,
                        name: a,
                    },
                    Item::Type {
                        namespace: n2,
                        name: b,
                    },
                ) => n1 == n2 && a == b,
                _ => false,
            }),
            _ => Some(false),
        }
    }

    pub(crate) fn items_equivalent(&self, a: &Item<M::Node>, b: &Item<M::Node>) -> bool {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => x.equivalent(&y),
            _ => self.items_equal(a, b).unwrap_or(false),
        }
    }

    /// What tells items apart before [`Evaluator::items_equal`] is asked:
    /// the content hash of an element without a value; `None` for the rest.
    pub(crate) fn signature(&self, item: &Item<M::Node>) -> Option<u64> {
        match item {
            Item::Node(node) if !self.model().has_value(node) => self.model().content_hash(node),
            _ => None,
        }
    }

    /// Adds `item` to `kept` unless it equals (`=`) an item kept already;
    /// whether it was added.
    pub(crate) fn keep(&self, kept: &mut Kept<M::Node>, item: &Item<M::Node>) -> bool {
        let signature = self.signature(item);
        let equal = |&index: &usize| self.items_equal(&kept.items[index], item) == Some(true);
        let repeated = match signature {
            // Items whose hashes differ differ: only those with the same
            // hash, and those without one, are compared in depth.
            Some(hash) => {
                kept.signed
                    .get(&hash)
                    .is_some_and(|same| same.iter().any(equal))
                    || kept.unsigned.iter().any(equal)
            }
            None => (0..kept.items.len()).any(|index| equal(&index)),
        };
        if repeated {
            return false;
        }
        let index = kept.items.len();
        kept.items.push(item.clone());
        match signature {
            Some(hash) => kept.signed.entry(hash).or_default().push(index),
            None => kept.unsigned.push(index),
        }
        true
    }

    pub(crate) fn contains(&self, items: &[Item<M::Node>], item: &Item<M::Node>) -> bool {
        items
            .iter()
            .any(|i| self.items_equal(i, item) == Some(true))
    }

    /// The items without repeats (by `=`), in order. Each item's value is
    /// taken once; strings, which equal only strings, are looked up in a
    /// set (lent by the model where it can), so a long list of codes or ids
    /// is not compared pairwise.
    pub(crate) fn distinct(&self, items: Collection<M::Node>) -> Collection<M::Node> {
        // Nothing to compare (`answer | item` on a leaf, in a `repeat()`).
        if items.len() < 2 {
            return items;
        }
        let model = self.model();
        let mut keep = vec![false; items.len()];
        {
            let mut kept: Vec<(usize, Option<Value>, Option<u64>)> = Vec::new();
            let mut strings = Strings::default();
            for (index, item) in items.iter().enumerate() {
                let lent = match item {
                    Item::Node(node) => model.text(node),
                    _ => None,
                };
                if let Some(text) = lent {
                    keep[index] = strings.insert(Cow::Borrowed(text));
                    continue;
                }
                let value = self.value_of(item);
                if let Some(Value::String(text)) = value {
                    keep[index] = strings.insert(Cow::Owned(text));
                    continue;
                }
                let signature = match value {
                    None => self.signature(item),
                    Some(_) => None,
                };
                let repeated = kept.iter().any(|(other, other_value, other_signature)| {
                    match (&value, other_value) {
                        (Some(a), Some(b)) => a.equals(b) == Some(true),
                        (None, None) => {
                            let apart = matches!((signature, other_signature),
                                (Some(a), Some(b)) if a != *b);
                            !apart && self.items_equal(item, &items[*other]) == Some(true)
                        }
                        _ => false,
                    }
                });
                if !repeated {
                    keep[index] = true;
                    kept.push((index, value, signature));
                }
            }
        }
        items
            .into_iter()
            .zip(keep)
            .filter_map(|(item, keep)| keep.then_some(item))
            .collect()
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: NodeId,
        right: NodeId,
        focus: &[Item<M::Node>],
        scope: &Scope<'_, M::Node>,
    ) -> Res<M::Node> {
        use BinaryOp::*;
        // The Boolean operators decide on the left where they can (`iif`-free
        // guards such as `a.exists() implies a.b`). Strict evaluation still
        // requires the right side to be valid; otherwise (as the HL7 engine
        // does) it is not evaluated when the left side decides.
        let l = self.eval(left, focus, scope)?;
        if !self.env.strict && matches!(op, And | Or | Implies) {
            let decided = match (op, l.as_slice()) {
                (And, [Item::Value(Value::Boolean(false))]) => Some(false),
                (Or, [Item::Value(Value::Boolean(true))]) => Some(true),
                (Implies, [Item::Value(Value::Boolean(false))]) => Some(true),
                _ => None,
            };
            if let Some(result) = decided {
                return Ok(vec![Item::Value(Value::Boolean(result))]);
            }
        }
        let r = self.eval(right, focus, scope)?;
        let boolean = |b: bool| vec![Item::Value(Value::Boolean(b))];
        Ok(match op {
            Union => {
                let mut all = l;
                all.extend(r);
                self.distinct(all)
            }
            Equal | NotEqual => {
                if l.is_empty() || r.is_empty() {
                    return Ok(Vec::new());
                }
                let equal = if l.len() != r.len() {
                    Some(false)
                } else {
                    let mut result = Some(true);
                    for (a, b) in l.iter().zip(&r) {
                        match self.items_equal(a, b) {
                            Some(true) => {}
                            Some(false) => {
                                result = Some(false);
                                break;
                            }
                            None => result = None,
                        }
                    }
                    result
                };
                match equal {
                    Some(e) => boolean(e == (op == Equal)),
                    None => Vec::new(),
                }
            }
            Equivalent | NotEquivalent => {
                let equivalent = l.len() == r.len()
                    && l.iter()
                        .all(|a| r.iter().any(|b| self.items_equivalent(a, b)))
                    && r.iter()
                        .all(|b| l.iter().any(|a| self.items_equivalent(a, b)));
                boolean(equivalent == (op == Equivalent))
            }
            LessThan | LessOrEqual | GreaterThan | GreaterOrEqual => {
                let (Some(a), Some(b)) = (
                    self.single_value(&l, &"a comparison's left side")?,
                    self.single_value(&r, &"a comparison's right side")?,
                ) else {
                    return Ok(Vec::new());
                };
                match a.compare(&b).or_else(error)? {
                    None => Vec::new(),
                    Some(ordering) => boolean(ordered(op, ordering)),
                }
            }
            In | Contains => {
                let (element, collection) = if op == In { (&l, &r) } else { (&r, &l) };
                match self.single(element, &"the item of `in`/`contains`")? {
                    None => Vec::new(),
                    Some(item) => boolean(self.contains(collection, item)),
                }
            }
            And | Or | Xor | Implies => {
                let a = self.single_bool(&l, &"a Boolean operand")?;
                let b = self.single_bool(&r, &"a Boolean operand")?;
                let result = match op {
                    And => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    Or => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                    Xor => a.zip(b).map(|(a, b)| a != b),
                    _ => match (a, b) {
                        (Some(false), _) | (_, Some(true)) => Some(true),
                        (Some(true), Some(false)) => Some(false),
                        _ => None,
                    },
                };
                result.map(boolean).unwrap_or_default()
            }
            Concatenate => {
                let a = self
                    .single_string(&l, &"an operand of &")?
                    .unwrap_or_default();
                let b = self
                    .single_string(&r, &"an operand of &")?
                    .unwrap_or_default();
                vec![Item::Value(Value::String(a + &b))]
            }
            Add | Subtract | Multiply | Divide | Div | Mod => {
                let (Some(a), Some(b)) = (
                    self.single_value(&l, &"an arithmetic operand")?,
                    self.single_value(&r, &"an arithmetic operand")?,
                ) else {
                    return Ok(Vec::new());
                };
                arithmetic(op, a, b)?.map(Item::Value).into_iter().collect()
            }
        })
    }

    /// Resolves a type name: `System.X`, `FHIR.X`, or unqualified (the
    /// model's type if it has one, else System's).
    pub(crate) fn resolve_type<'t>(
        &self,
        type_name: &'t TypeName<'_>,
    ) -> Result<(bool, &'t str), EvalError> {
        resolve_type(self.model(), type_name)
    }

    /// Whether `item` is of the type (`exact` for `as`/`ofType` on
    /// primitives: a `code` is a `string` for `is`, not for `as`).
    pub(crate) fn item_is(
        &self,
        item: &Item<M::Node>,
        (system, name): (bool, &str),
        exact: bool,
    ) -> bool {
        match item {
            Item::Value(v) => system && v.type_name() == name,
            Item::Node(node) => node_is(self.model(), node, (system, name), exact),
            Item::Type { .. } => false,
        }
    }

    fn type_test(
        &self,
        op: TypeOp,
        items: &[Item<M::Node>],
        type_name: &TypeName<'_>,
    ) -> Res<M::Node> {
        let ty = self.resolve_type(type_name)?;
        if self.lenient() {
            match op {
                TypeOp::As => {
                    return Ok(items
                        .iter()
                        .filter(|i| self.item_is(i, ty, true))
                        .cloned()
                        .collect());
                }
                TypeOp::Is if items.is_empty() => {
                    return Ok(vec![Item::Value(Value::Boolean(false))]);
                }
                TypeOp::Is => {}
            }
        }
        let Some(item) = self.single(items, &"the operand of is/as")? else {
            return Ok(Vec::new());
        };
        Ok(match op {
            TypeOp::Is => vec![Item::Value(Value::Boolean(self.item_is(item, ty, false)))],
            TypeOp::As => {
                if self.item_is(item, ty, true) {
                    vec![item.clone()]
                } else {
                    Vec::new()
                }
            }
        })
    }
}

/// Whether two values in this order meet a comparison (`=`, `!=`, `<`,
/// `<=`, `>`, `>=`).
pub(crate) fn ordered(op: BinaryOp, ordering: Ordering) -> bool {
    match op {
        BinaryOp::Equal => ordering == Ordering::Equal,
        BinaryOp::NotEqual => ordering != Ordering::Equal,
        BinaryOp::LessThan => ordering == Ordering::Less,
        BinaryOp::LessOrEqual => ordering != Ordering::Greater,
        BinaryOp::GreaterThan => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }
}

pub(crate) fn literal_value(literal: &Literal<'_>) -> Value {
    match literal {
        Literal::Boolean(b) => Value::Boolean(*b),
        Literal::String(s) => Value::String(s.to_string()),
        Literal::Integer(i) => Value::Integer(*i),
        Literal::Decimal(d) => Value::Decimal(*d),
        Literal::Date(d) => Value::Date(*d),
        Literal::DateTime(d) => Value::DateTime(*d),
        Literal::Time(t) => Value::Time(*t),
        Literal::Quantity { value, unit } => Value::Quantity(Quantity {
            value: *value,
            unit: unit.to_string(),
        }),
    }
}

/// A time-valued quantity's unit as a calendar precision; `None` for
/// UCUM's `a` and `mo` (not calendar durations) and non-time units.
fn time_unit(unit: &str) -> Option<Precision> {
    Some(match unit {
        "year" | "years" => Precision::Year,
        "month" | "months" => Precision::Month,
        "week" | "weeks" | "wk" => Precision::Day,
        "day" | "days" | "d" => Precision::Day,
        "hour" | "hours" | "h" => Precision::Hour,
        "minute" | "minutes" | "min" => Precision::Minute,
        "second" | "seconds" | "s" => Precision::Second,
        "millisecond" | "milliseconds" | "ms" => Precision::Millisecond,
        _ => return None,
    })
}

/// Adds a time-valued quantity to a date, date-time or time.
fn add_duration(value: &Value, q: &Quantity, sign: i64) -> Result<Option<Value>, EvalError> {
    let Some(unit) = time_unit(&q.unit) else {
        return error(format!(
            "cannot add {} '{}' to a {}: not a calendar duration",
            q.value,
            q.unit,
            value.type_name()
        ));
    };
    let weeks = matches!(q.unit.as_str(), "week" | "weeks" | "wk");
    let mut amount = q
        .value
        .trunc()
        .try_into()
        .unwrap_or(i64::MAX)
        .saturating_mul(sign);
    if weeks {
        amount = amount.saturating_mul(7);
    }
    let precision = match value {
        Value::Date(d) | Value::DateTime(d) => d.precision,
        Value::Time(t) => t.precision,
        _ => return Ok(None),
    };
    // A unit finer than the value's precision counts in the value's unit.
    let (amount, unit) = if unit > precision && precision <= Precision::Day {
        let per = |u: Precision| -> i64 {
            match u {
                Precision::Millisecond => 1,
                Precision::Second => 1000,
                Precision::Minute => 60_000,
                Precision::Hour => 3_600_000,
                _ => 86_400_000,
            }
        };
        match precision {
            Precision::Day => (amount * per(unit) / per(Precision::Day), Precision::Day),
            Precision::Month if unit == Precision::Day => (0, Precision::Month),
            _ => (0, precision),
        }
    } else {
        (amount, unit)
    };
    Ok(match value {
        Value::Date(d) => d.add(amount, unit).map(Value::Date),
        Value::DateTime(d) => d.add(amount, unit).map(Value::DateTime),
        Value::Time(t) => t.add(amount, unit).map(Value::Time),
        _ => None,
    })
}

fn arithmetic(op: BinaryOp, a: Value, b: Value) -> Result<Option<Value>, EvalError> {
    use BinaryOp::*;
    use Value::*;
    let overflow = || error::<Option<Value>>("arithmetic overflow");
    Ok(match (op, &a, &b) {
        (Add, Integer(x), Integer(y)) => match x.checked_add(*y) {
            Some(v) if i32::try_from(v).is_ok() => Some(Integer(v)),
            _ => return overflow(),
        },
        (Subtract, Integer(x), Integer(y)) => match x.checked_sub(*y) {
            Some(v) if i32::try_from(v).is_ok() => Some(Integer(v)),
            _ => return overflow(),
        },
        (Multiply, Integer(x), Integer(y)) => match x.checked_mul(*y) {
            Some(v) if i32::try_from(v).is_ok() => Some(Integer(v)),
            _ => return overflow(),
        },
        (Div, Integer(x), Integer(y)) => x.checked_div(*y).map(Integer),
        (Mod, Integer(x), Integer(y)) => x.checked_rem(*y).map(Integer),
        (
            Add | Subtract | Multiply | Divide | Div | Mod,
            Integer(_) | Decimal(_),
            Integer(_) | Decimal(_),
        ) => {
            let (x, y) = (
                a.decimal().unwrap_or_default(),
                b.decimal().unwrap_or_default(),
            );
            match op {
                Add => Some(Decimal(x.checked_add(y).ok_or_else(|| EvalError {
                    message: "arithmetic overflow".into(),
                    unsupported: false,
                })?)),
                Subtract => x.checked_sub(y).map(Decimal),
                Multiply => x.checked_mul(y).map(Decimal),
                Divide => x.checked_div(y).map(|d| Decimal(d.normalize())),
                Div => x
                    .checked_div(y)
                    .and_then(|d| i64::try_from(d.trunc()).ok())
                    .map(Integer),
                _ => x.checked_rem(y).map(Decimal),
            }
        }
        (Add, String(x), String(y)) => Some(String(format!("{x}{y}"))),
        (Add | Subtract, Date(_) | DateTime(_) | Time(_), Quantity(q)) => {
            add_duration(&a, q, if op == Add { 1 } else { -1 })?
        }
        (Add | Subtract, Quantity(x), Quantity(y)) => {
            let converted = if x.unit == y.unit {
                Some(y.value)
            } else {
                ucum::Unit::parse(ucum::calendar_to_ucum(&x.unit).unwrap_or(""))
                    .zip(ucum::Unit::parse(
                        ucum::calendar_to_ucum(&y.unit).unwrap_or(""),
                    ))
                    .filter(|(ux, uy)| ux.dimensions == uy.dimensions)
                    .and_then(|(ux, uy)| y.value.checked_mul(uy.factor)?.checked_div(ux.factor))
            };
            let Some(yv) = converted else {
                return error(format!("cannot add '{}' and '{}'", x.unit, y.unit));
            };
            let value = if op == Add {
                x.value.checked_add(yv)
            } else {
                x.value.checked_sub(yv)
            };
            value.map(|value| {
                Quantity(crate::value::Quantity {
                    value,
                    unit: x.unit.clone(),
                })
            })
        }
        (Multiply | Divide, Quantity(x), Quantity(y)) => {
            let divide = op == Divide;
            let Some((factor, unit)) = ucum::product(&x.unit, &y.unit, divide) else {
                return error(format!(
                    "cannot combine units '{}' and '{}'",
                    x.unit, y.unit
                ));
            };
            let value = if divide {
                x.value.checked_div(y.value)
            } else {
                x.value.checked_mul(y.value)
            };
            value
                .and_then(|v| v.checked_mul(factor))
                .map(|value| Quantity(crate::value::Quantity { value, unit }))
        }
        (Multiply | Divide, Quantity(x), Integer(_) | Decimal(_)) => {
            let n = b.decimal().unwrap_or_default();
            let value = if op == Divide {
                x.value.checked_div(n)
            } else {
                x.value.checked_mul(n)
            };
            value.map(|value| {
                Quantity(crate::value::Quantity {
                    value,
                    unit: x.unit.clone(),
                })
            })
        }
        (Multiply, Integer(_) | Decimal(_), Quantity(y)) => {
            let n = a.decimal().unwrap_or_default();
            y.value.checked_mul(n).map(|value| {
                Quantity(crate::value::Quantity {
                    value,
                    unit: y.unit.clone(),
                })
            })
        }
        _ => {
            return error(format!(
                "`{}` is not defined on {} and {}",
                op.symbol(),
                a.type_name(),
                b.type_name()
            ));
        }
    })
}

/// The items of a sort, compared by their keys.
pub(crate) fn compare_keys(
    a: &[Option<Value>],
    b: &[Option<Value>],
    descending: &[bool],
) -> Ordering {
    for ((x, y), desc) in a.iter().zip(b).zip(descending) {
        // An item without the key sorts first, in either direction.
        let ordering = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => x.compare(y).ok().flatten().unwrap_or(Ordering::Equal),
        };
        let ordering = if *desc { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

pub(crate) fn time_now(env_now: &DateTime) -> Time {
    Time {
        hour: env_now.hour,
        minute: env_now.minute,
        second: env_now.second,
        millisecond: env_now.millisecond,
        precision: Precision::Millisecond,
    }
}

impl<M: Model> Evaluator<'_, '_, M> {
    pub(crate) fn now(&self) -> DateTime {
        *self.env.now.get_or_init(now_utc)
    }
}

/// Resolves a type name: `System.X`, `FHIR.X`, or unqualified (the
/// model's type if it has one, else System's): whether it is System's, and
/// the name.
pub(crate) fn resolve_type<'t, M: Model>(
    model: &M,
    type_name: &'t TypeName<'_>,
) -> Result<(bool, &'t str), EvalError> {
    let name = type_name.name.as_ref();
    let system = |name: &str| {
        matches!(
            name,
            "Boolean"
                | "Integer"
                | "Decimal"
                | "String"
                | "Date"
                | "DateTime"
                | "Time"
                | "Quantity"
        )
    };
    match type_name.namespace.as_deref() {
        Some("System") if system(name) => Ok((true, name)),
        Some("FHIR") if model.has_type(name) => Ok((false, name)),
        None if model.has_type(name) => Ok((false, name)),
        None if system(name) => Ok((true, name)),
        Some("System") => Ok((true, name)),
        _ => error(format!("unknown type `{name}`")),
    }
}

/// Whether an element is of a type (`ty` as [`resolve_type`] gives it):
/// its own, or (unless `exact` and the type a primitive) one it derives
/// from. An element is of no System type.
pub(crate) fn node_is<M: Model>(
    model: &M,
    node: &M::Node,
    (system, name): (bool, &str),
    exact: bool,
) -> bool {
    if system {
        return false;
    }
    let actual = model.type_name(node);
    if actual == name {
        return true;
    }
    let primitive = name.starts_with(|c: char| c.is_ascii_lowercase());
    (!exact || !primitive) && model.is_a(actual, name)
}

/// The strings met so far, for [`Evaluator::distinct`]: a list while it
/// is short (most are: the codes of one element), a set beyond.
#[derive(Default)]
struct Strings<'s> {
    few: Vec<Cow<'s, str>>,
    many: std::collections::HashSet<Cow<'s, str>>,
}

impl<'s> Strings<'s> {
    const FEW: usize = 16;

    /// Adds `text`; false if it was there.
    fn insert(&mut self, text: Cow<'s, str>) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&text) {
                return false;
            }
            if self.few.len() < Self::FEW {
                self.few.push(text);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(text)
    }
}
