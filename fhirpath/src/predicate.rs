//! Constraints compiled for their common case: a Boolean over paths
//! (`contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()`,
//! `reference.startsWith('#').not() or ...`, `extension.exists() != value.exists()`)
//! evaluated on the model's nodes with no collection built and no value
//! copied.
//!
//! A [`Predicate`] mirrors the interpreter step by step, on the subset of
//! FHIRPath it knows (paths, `where()`, `trace()`, `exists()`, `empty()`,
//! `all()`, `hasValue()`, `not()`, the Boolean operators, `startsWith()`,
//! `endsWith()`, `contains()`, `matches()` with a literal pattern, `=`/`!=`
//! on a string or on Booleans, `<`/`<=`/`>`/`>=` between single values,
//! `count()` against an integer). A part it does not know, or a case where
//! the interpreter would report an error or compare values it does not
//! handle, makes the evaluation give up *when reached*; the interpreter
//! then evaluates the whole expression. So a constraint whose unusual
//! branch is rarely taken (`ref-1`'s right side, `dom-3`'s lambda when there
//! is no contained resource) is decided here in the usual case, and an
//! evaluation that finishes here has the interpreter's result (debug builds
//! check each one against it).

use std::borrow::Cow;

use crate::ast::{BinaryOp, Expression, Function, Literal, Node, NodeId, TypeName, TypeOp};
use crate::eval::{
    Environment, EvalError, Item, MAX_DEPTH, literal_value, node_is, ordered, resolve_type,
};
use crate::functions::{whole, with_regex};
use crate::model::Model;
use crate::value::Value;

/// A constraint compiled for evaluation without collections; see the
/// module's documentation.
#[derive(Clone, Debug)]
pub struct Predicate {
    root: Bool,
}

/// A path: what yields nodes.
#[derive(Clone, Debug)]
enum Nodes {
    /// Not compiled: evaluating it gives up.
    Interpreted,
    /// The focus (`$this`, or what a name without a target applies to).
    Focus,
    /// `%name`: a variable the environment holds, or `%resource`,
    /// `%rootResource`, `%context` (the input when not set).
    Variable(Box<str>),
    /// `name` on each node of `of`; `first_step` when it applies to the
    /// focus (`Patient.name` may start with the focus's type).
    Child {
        of: Box<Nodes>,
        name: Box<str>,
        first_step: bool,
    },
    /// `of.where(criteria)`
    Where(Box<Nodes>, Box<Bool>),
    /// `of.extension('url')`: the extensions with that url.
    Extension(Box<Nodes>, Box<str>),
    /// `of.ofType(T)`; or `as(T)`, `of as T` (`as_`: the same filter when
    /// lenient, one item at most when strict).
    OfType { of: Box<Nodes>, ty: Type, as_: bool },
}

/// A type named in the expression, resolved against the model when used.
#[derive(Clone, Debug)]
struct Type {
    namespace: Option<Box<str>>,
    name: Box<str>,
}

impl Type {
    fn new(type_name: &TypeName<'_>) -> Self {
        Type {
            namespace: type_name.namespace.as_deref().map(Into::into),
            name: type_name.name.as_ref().into(),
        }
    }

    /// Whether it is System's, and its name, as the interpreter resolves it.
    fn resolve<M: Model>(&self, model: &M) -> Step<(bool, &str)> {
        let type_name = TypeName {
            namespace: self.namespace.as_deref().map(Cow::Borrowed),
            name: Cow::Borrowed(&self.name),
        };
        let (system, _) = resolve_type(model, &type_name).map_err(|_| GiveUp)?;
        Ok((system, &self.name))
    }
}

/// What yields a Boolean, or nothing.
#[derive(Clone, Debug)]
enum Bool {
    /// Not compiled: evaluating it gives up.
    Interpreted,
    Constant(bool),
    Exists(Nodes),
    /// `exists(criteria)`: stops at the first node that meets it.
    ExistsWhere(Nodes, Box<Bool>),
    /// `all(criteria)`: stops at the first node that does not.
    All(Nodes, Box<Bool>),
    Empty(Nodes),
    HasValue(Nodes),
    /// `htmlChecks()`
    HtmlChecks(Nodes),
    /// `of is T`, `of.is(T)`
    Is(Nodes, Type),
    /// A path where a Boolean is expected: its single item's Boolean
    /// value, `true` for any other single item (FHIRPath's singleton
    /// evaluation). Not a Boolean *value*: `=` compares the item itself.
    Truthy(Nodes),
    Not(Box<Bool>),
    /// `and`, `or`, `xor`, `implies`.
    Logic(BinaryOp, Box<Bool>, Box<Bool>),
    /// `=` (`equal`) or `!=` on two Booleans.
    Same {
        equal: bool,
        left: Box<Bool>,
        right: Box<Bool>,
    },
    /// `startsWith()`, `endsWith()`, `contains()` or `matches()` with a
    /// string literal (`matchesFull()` is `matches()` of the anchored
    /// pattern).
    Text {
        function: Function,
        of: Nodes,
        argument: Box<str>,
    },
    /// `path = 'text'` (`equal`) or `!=`.
    TextEqual {
        equal: bool,
        of: Nodes,
        text: Box<str>,
    },
    /// `path = true` (`equal`) or `!=`.
    BooleanEqual {
        equal: bool,
        of: Nodes,
        value: bool,
    },
    /// `path in ('a' | 'b')`
    InTexts {
        of: Nodes,
        texts: Vec<Box<str>>,
    },
    /// `<`, `<=`, `>` or `>=` between two single values (`start <= end`,
    /// `period >= 0`).
    Compare {
        op: BinaryOp,
        left: Operand,
        right: Operand,
    },
    /// `path.count()` compared (`=`, `!=`, `<`...) with an integer.
    Count {
        of: Nodes,
        op: BinaryOp,
        value: i64,
    },
    /// `path.length()`, or `path.toString().length()` (`to_string`),
    /// compared with an integer.
    Length {
        of: Nodes,
        to_string: bool,
        op: BinaryOp,
        value: i64,
    },
}

/// A side of a comparison.
#[derive(Clone, Debug)]
enum Operand {
    /// A path's single value.
    Path(Nodes),
    Literal(Value),
}

impl Bool {
    /// Whether the interpreter's result is a Boolean value (or empty), not
    /// an element of the data.
    fn is_value(&self) -> bool {
        !matches!(self, Bool::Truthy(_) | Bool::Interpreted)
    }
}

impl Predicate {
    /// Compiles `expression`; a part it does not know is left to the
    /// interpreter.
    pub fn compile(expression: &Expression<'_>) -> Self {
        let compiler = Compiler { expression };
        let root = compiler.boolean(expression.root(), 0);
        // The interpreter's result must be the Boolean `true`: an element
        // (`active`) is not, whatever its value.
        Predicate {
            root: if root.is_value() {
                root
            } else {
                Bool::Interpreted
            },
        }
    }

    /// Whether the whole expression is left to the interpreter.
    pub fn is_interpreted(&self) -> bool {
        matches!(self.root, Bool::Interpreted)
    }
}

struct Compiler<'c, 'x> {
    expression: &'c Expression<'x>,
}

impl Compiler<'_, '_> {
    fn boolean(&self, id: NodeId, depth: usize) -> Bool {
        if depth > MAX_DEPTH {
            return Bool::Interpreted;
        }
        let depth = depth + 1;
        let nodes = |target: &Option<NodeId>| match target {
            Some(t) => self.nodes(*t, depth),
            None => Nodes::Focus,
        };
        match self.expression.node(id) {
            Node::Literal(Literal::Boolean(b)) => Bool::Constant(*b),
            Node::Call {
                target,
                function,
                args,
            } => match (function, args.as_ref()) {
                (Function::Exists, []) => Bool::Exists(nodes(target)),
                (Function::Exists, [criteria]) => {
                    Bool::ExistsWhere(nodes(target), Box::new(self.boolean(*criteria, depth)))
                }
                (Function::All, [criteria]) => {
                    Bool::All(nodes(target), Box::new(self.boolean(*criteria, depth)))
                }
                (Function::Empty, []) => Bool::Empty(nodes(target)),
                (Function::HasValue, []) => Bool::HasValue(nodes(target)),
                (Function::HtmlChecks, []) => Bool::HtmlChecks(nodes(target)),
                (Function::Is, [ty]) => match self.expression.type_argument(*ty) {
                    Some(ty) => Bool::Is(nodes(target), Type::new(&ty)),
                    None => Bool::Interpreted,
                },
                (Function::Not, []) => Bool::Not(Box::new(match target {
                    Some(t) => self.boolean(*t, depth),
                    None => Bool::Truthy(Nodes::Focus),
                })),
                (
                    Function::StartsWith
                    | Function::EndsWith
                    | Function::ContainsText
                    | Function::Matches
                    | Function::MatchesFull,
                    [argument],
                ) => match self.string(*argument) {
                    Some(argument) => Bool::Text {
                        function: match function {
                            Function::MatchesFull => Function::Matches,
                            f => *f,
                        },
                        of: nodes(target),
                        argument: match function {
                            Function::MatchesFull => whole(argument).into(),
                            _ => argument.into(),
                        },
                    },
                    None => Bool::Interpreted,
                },
                _ => self.truthy(id, depth),
            },
            Node::TypeTest {
                op: TypeOp::Is,
                operand,
                type_name,
            } => Bool::Is(self.nodes(*operand, depth), Type::new(type_name)),
            Node::Binary { op, left, right } => self.binary(*op, *left, *right, depth),
            _ => self.truthy(id, depth),
        }
    }

    /// A path where a Boolean is expected; anything else is left to the
    /// interpreter.
    fn truthy(&self, id: NodeId, depth: usize) -> Bool {
        self.path(id, depth).map_or(Bool::Interpreted, Bool::Truthy)
    }

    fn binary(&self, op: BinaryOp, left: NodeId, right: NodeId, depth: usize) -> Bool {
        use BinaryOp::*;
        match op {
            And | Or | Xor | Implies => Bool::Logic(
                op,
                Box::new(self.boolean(left, depth)),
                Box::new(self.boolean(right, depth)),
            ),
            Equal | NotEqual | LessThan | LessOrEqual | GreaterThan | GreaterOrEqual => {
                let equal = op == Equal;
                // `path = 'text'`, either way round.
                if matches!(op, Equal | NotEqual) {
                    for (path, literal) in [(left, right), (right, left)] {
                        if let Some(text) = self.string(literal)
                            && let Some(of) = self.path(path, depth)
                        {
                            return Bool::TextEqual {
                                equal,
                                of,
                                text: text.into(),
                            };
                        }
                    }
                }
                // `path = true`, either way round.
                if matches!(op, Equal | NotEqual) {
                    for (path, literal) in [(left, right), (right, left)] {
                        if let Node::Literal(Literal::Boolean(value)) =
                            self.expression.node(literal)
                            && let Some(of) = self.path(path, depth)
                        {
                            return Bool::BooleanEqual {
                                equal,
                                of,
                                value: *value,
                            };
                        }
                    }
                }
                // `path.count() > 0`, `path.toString().length() >= 8`
                if let Node::Call {
                    target,
                    function: function @ (Function::Count | Function::Length),
                    args,
                } = self.expression.node(left)
                    && args.is_empty()
                    && let Node::Literal(Literal::Integer(value)) = self.expression.node(right)
                {
                    let value = *value;
                    let of = |id: &Option<NodeId>| match id {
                        Some(t) => self.nodes(*t, depth),
                        None => Nodes::Focus,
                    };
                    if *function == Function::Count {
                        return Bool::Count {
                            of: of(target),
                            op,
                            value,
                        };
                    }
                    return match target.map(|t| self.expression.node(t)) {
                        Some(Node::Call {
                            target: inner,
                            function: Function::ToString,
                            args,
                        }) if args.is_empty() => Bool::Length {
                            of: of(inner),
                            to_string: true,
                            op,
                            value,
                        },
                        _ => Bool::Length {
                            of: of(target),
                            to_string: false,
                            op,
                            value,
                        },
                    };
                }
                if !matches!(op, Equal | NotEqual)
                    && let (Some(l), Some(r)) =
                        (self.operand(left, depth), self.operand(right, depth))
                {
                    return Bool::Compare {
                        op,
                        left: l,
                        right: r,
                    };
                }
                if matches!(op, Equal | NotEqual) {
                    let (l, r) = (self.boolean(left, depth), self.boolean(right, depth));
                    if l.is_value() && r.is_value() {
                        return Bool::Same {
                            equal,
                            left: Box::new(l),
                            right: Box::new(r),
                        };
                    }
                }
                Bool::Interpreted
            }
            In => {
                let mut texts = Vec::new();
                match self.path(left, depth) {
                    Some(of) if self.texts(right, &mut texts) => Bool::InTexts { of, texts },
                    _ => Bool::Interpreted,
                }
            }
            _ => Bool::Interpreted,
        }
    }

    /// The string literals of a union of them (`'a' | 'b' | 'c'`): false
    /// when it is anything else.
    fn texts(&self, id: NodeId, out: &mut Vec<Box<str>>) -> bool {
        match self.expression.node(id) {
            Node::Literal(Literal::String(s)) => {
                out.push(s.as_ref().into());
                true
            }
            Node::Binary {
                op: BinaryOp::Union,
                left,
                right,
            } => self.texts(*left, out) && self.texts(*right, out),
            _ => false,
        }
    }

    fn nodes(&self, id: NodeId, depth: usize) -> Nodes {
        if depth > MAX_DEPTH {
            return Nodes::Interpreted;
        }
        let depth = depth + 1;
        match self.expression.node(id) {
            Node::This => Nodes::Focus,
            Node::Variable(name) => Nodes::Variable(name.as_ref().into()),
            Node::Member { target, name } => Nodes::Child {
                of: Box::new(match target {
                    Some(t) => self.nodes(*t, depth),
                    None => Nodes::Focus,
                }),
                name: name.as_ref().into(),
                first_step: target.is_none(),
            },
            Node::Call {
                target,
                function,
                args,
            } => {
                let of = match target {
                    Some(t) => self.nodes(*t, depth),
                    None => Nodes::Focus,
                };
                match (function, args.as_ref()) {
                    (Function::Where, [criteria]) => {
                        Nodes::Where(Box::new(of), Box::new(self.boolean(*criteria, depth)))
                    }
                    // trace() evaluates its first argument only, and a
                    // literal cannot fail.
                    (Function::Trace, [name, ..])
                        if matches!(self.expression.node(*name), Node::Literal(_)) =>
                    {
                        of
                    }
                    (Function::Extension, [url]) => match self.string(*url) {
                        Some(url) => Nodes::Extension(Box::new(of), url.into()),
                        None => Nodes::Interpreted,
                    },
                    (Function::OfType | Function::As, [ty]) => {
                        match self.expression.type_argument(*ty) {
                            Some(ty) => Nodes::OfType {
                                of: Box::new(of),
                                ty: Type::new(&ty),
                                as_: *function == Function::As,
                            },
                            None => Nodes::Interpreted,
                        }
                    }
                    _ => Nodes::Interpreted,
                }
            }
            Node::TypeTest {
                op: TypeOp::As,
                operand,
                type_name,
            } => Nodes::OfType {
                of: Box::new(self.nodes(*operand, depth)),
                ty: Type::new(type_name),
                as_: true,
            },
            _ => Nodes::Interpreted,
        }
    }

    /// A side of a comparison: a literal, or a path the compiled form knows.
    fn operand(&self, id: NodeId, depth: usize) -> Option<Operand> {
        match self.expression.node(id) {
            Node::Literal(literal) => Some(Operand::Literal(literal_value(literal))),
            _ => self.path(id, depth).map(Operand::Path),
        }
    }

    /// The expression as a path, if it is one the compiled form knows.
    fn path(&self, id: NodeId, depth: usize) -> Option<Nodes> {
        match self.nodes(id, depth) {
            Nodes::Interpreted => None,
            nodes => Some(nodes),
        }
    }

    fn string(&self, id: NodeId) -> Option<&str> {
        match self.expression.node(id) {
            Node::Literal(Literal::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// The compiled evaluation gave up: the interpreter decides.
struct GiveUp;

type Step<T> = Result<T, GiveUp>;

/// One evaluation: the environment and the input (`%context`).
struct Run<'r, 'm, M: Model> {
    env: &'r Environment<'m, M>,
    context: &'r M::Node,
}

impl<'m, M: Model> Environment<'m, M> {
    /// Evaluates a constraint as [`Environment::check`] does (`Ok(true)`
    /// only for the single value `true`), compiled where `predicate` can,
    /// by the interpreter on `expression` (which `predicate` was compiled
    /// from) otherwise.
    pub fn check_predicate(
        &self,
        predicate: &Predicate,
        expression: &Expression<'_>,
        input: &M::Node,
    ) -> Result<bool, EvalError> {
        match self.decide(predicate, input) {
            Some(passed) => {
                debug_assert_eq!(
                    Ok(passed),
                    self.check(expression, vec![Item::Node(input.clone())]),
                    "the compiled form of `{expression:?}` disagrees with the interpreter"
                );
                Ok(passed)
            }
            None => self.check(expression, vec![Item::Node(input.clone())]),
        }
    }

    /// The compiled evaluation alone: whether the constraint passes, or
    /// `None` when the compiled form gives up (the interpreter decides).
    pub fn decide(&self, predicate: &Predicate, input: &M::Node) -> Option<bool> {
        if predicate.is_interpreted() {
            return None;
        }
        let run = Run {
            env: self,
            context: input,
        };
        run.boolean(&predicate.root, input)
            .ok()
            .map(|result| result == Some(true))
    }

    /// An empty node buffer, one kept from an earlier step if any (give
    /// it back with [`Environment::give_back`]).
    pub(crate) fn take_buffer(&self) -> Vec<M::Node> {
        self.buffers.borrow_mut().pop().unwrap_or_default()
    }

    pub(crate) fn give_back(&self, mut buffer: Vec<M::Node>) {
        buffer.clear();
        self.buffers.borrow_mut().push(buffer);
    }
}

impl<M: Model> Run<'_, '_, M> {
    fn model(&self) -> &M {
        self.env.model
    }

    /// Calls `f` on each node of `nodes`, in order.
    fn each(
        &self,
        nodes: &Nodes,
        focus: &M::Node,
        f: &mut dyn FnMut(&M::Node) -> Step<()>,
    ) -> Step<()> {
        match nodes {
            Nodes::Interpreted => Err(GiveUp),
            Nodes::Focus => f(focus),
            Nodes::Variable(name) => match self.env.variable(name) {
                Some(items) => {
                    for item in items {
                        match item {
                            Item::Node(node) => f(node)?,
                            _ => return Err(GiveUp),
                        }
                    }
                    Ok(())
                }
                None if matches!(&**name, "context" | "resource" | "rootResource") => {
                    f(self.context)
                }
                None => Err(GiveUp),
            },
            Nodes::Child {
                of,
                name,
                first_step,
            } => self.each(of, focus, &mut |node| {
                let model = self.model();
                if *first_step
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                    && model.is_a(model.type_name(node), name)
                {
                    return f(node);
                }
                let mut children = self.env.take_buffer();
                let known = model.children(node, name, &mut children).is_ok();
                // Strict evaluation reports an unknown name; lenient has it empty.
                let result = if known || !self.env.strict {
                    children.iter().try_for_each(&mut *f)
                } else {
                    Err(GiveUp)
                };
                self.env.give_back(children);
                result
            }),
            Nodes::Where(of, criteria) => self.each(of, focus, &mut |node| {
                if self.boolean(criteria, node)? == Some(true) {
                    f(node)?;
                }
                Ok(())
            }),
            Nodes::Extension(of, url) => self.each(of, focus, &mut |node| {
                let model = self.model();
                // As the interpreter: a node without extensions has none.
                let mut extensions = self.env.take_buffer();
                let _ = model.children(node, "extension", &mut extensions);
                let mut result = Ok(());
                for extension in &extensions {
                    let mut urls = self.env.take_buffer();
                    let _ = model.children(extension, "url", &mut urls);
                    let found = urls.iter().any(|u| self.text_is(u, url));
                    self.env.give_back(urls);
                    if found && let Err(e) = f(extension) {
                        result = Err(e);
                        break;
                    }
                }
                self.env.give_back(extensions);
                result
            }),
            Nodes::OfType { of, ty, as_ } => {
                // Strict `as` takes one item at most: left to the interpreter.
                if *as_ && self.env.strict {
                    return Err(GiveUp);
                }
                let model = self.model();
                let (system, name) = ty.resolve(model)?;
                self.each(of, focus, &mut |node| {
                    if node_is(model, node, (system, name), true) {
                        f(node)?;
                    }
                    Ok(())
                })
            }
        }
    }

    fn count(&self, nodes: &Nodes, focus: &M::Node) -> Step<usize> {
        let mut count = 0;
        self.each(nodes, focus, &mut |_| {
            count += 1;
            Ok(())
        })?;
        Ok(count)
    }

    /// The only node of `nodes`, if it has exactly one; and how many it has.
    fn single(&self, nodes: &Nodes, focus: &M::Node) -> Step<(usize, Option<M::Node>)> {
        let mut count = 0;
        let mut first = None;
        self.each(nodes, focus, &mut |node| {
            count += 1;
            if count == 1 {
                first = Some(node.clone());
            }
            Ok(())
        })?;
        Ok((count, first.filter(|_| count == 1)))
    }

    /// A node's string value, as the interpreter's `value_of` gives it;
    /// gives up on any other value.
    fn with_text<T>(&self, node: &M::Node, f: impl FnOnce(&str) -> T) -> Step<T> {
        let model = self.model();
        if let Some(text) = model.text(node) {
            return Ok(f(text));
        }
        match model.value(node) {
            Some(Value::String(text)) => Ok(f(&text)),
            _ => Err(GiveUp),
        }
    }

    /// Whether some node of `of` meets `criteria` (`meets`), or fails it
    /// (not `meets`): `exists(criteria)` and `all(criteria)`, which stop at
    /// the first. The nodes are all found first, as the interpreter's input
    /// is.
    fn any(&self, of: &Nodes, focus: &M::Node, criteria: &Bool, meets: bool) -> Step<bool> {
        let mut nodes = self.env.take_buffer();
        let found = self.each(of, focus, &mut |node| {
            nodes.push(node.clone());
            Ok(())
        });
        let result = found.and_then(|()| {
            for node in &nodes {
                if (self.boolean(criteria, node)? == Some(true)) == meets {
                    return Ok(true);
                }
            }
            Ok(false)
        });
        self.env.give_back(nodes);
        result
    }

    /// The value of a side of a comparison; nothing for an empty path.
    /// Gives up where the interpreter would report an error, and on a node
    /// that is not a primitive with a value (a Quantity, a primitive with
    /// extensions only).
    fn operand<'o>(&self, operand: &'o Operand, focus: &M::Node) -> Step<Option<Cow<'o, Value>>> {
        match operand {
            Operand::Literal(value) => Ok(Some(Cow::Borrowed(value))),
            Operand::Path(of) => match self.single(of, focus)? {
                (0, _) => Ok(None),
                (_, Some(node)) => match self.model().value(&node) {
                    Some(value) => Ok(Some(Cow::Owned(value))),
                    None => Err(GiveUp),
                },
                _ => Err(GiveUp),
            },
        }
    }

    /// Whether a node's value is the String `text`.
    fn text_is(&self, node: &M::Node, text: &str) -> bool {
        let model = self.model();
        match model.text(node) {
            Some(t) => t == text,
            None => model.value(node) == Some(Value::String(text.to_owned())),
        }
    }

    /// The Boolean, or nothing; as the interpreter's `single_bool` of its
    /// result.
    fn boolean(&self, expression: &Bool, focus: &M::Node) -> Step<Option<bool>> {
        let lenient = !self.env.strict;
        Ok(match expression {
            Bool::Interpreted => return Err(GiveUp),
            Bool::Constant(b) => Some(*b),
            Bool::Exists(of) => Some(self.count(of, focus)? > 0),
            Bool::Empty(of) => Some(self.count(of, focus)? == 0),
            Bool::ExistsWhere(of, criteria) => Some(self.any(of, focus, criteria, true)?),
            Bool::All(of, criteria) => Some(!self.any(of, focus, criteria, false)?),
            Bool::HasValue(of) => Some(match self.single(of, focus)? {
                (_, Some(node)) => self.model().has_value(&node),
                _ => false,
            }),
            Bool::HtmlChecks(of) => match self.single(of, focus)? {
                (0, _) => None,
                (_, Some(node)) => Some(self.model().html_checks(&node).ok_or(GiveUp)?),
                _ => return Err(GiveUp),
            },
            Bool::Is(of, ty) => {
                let (system, name) = ty.resolve(self.model())?;
                match self.single(of, focus)? {
                    (0, _) if lenient => Some(false),
                    (0, _) => None,
                    (_, Some(node)) => Some(node_is(self.model(), &node, (system, name), false)),
                    _ => return Err(GiveUp),
                }
            }
            Bool::Truthy(of) => match self.single(of, focus)? {
                (0, _) => None,
                (_, Some(node)) => Some(match self.model().value(&node) {
                    Some(Value::Boolean(b)) => b,
                    _ => true,
                }),
                _ if lenient => Some(true),
                _ => return Err(GiveUp),
            },
            Bool::Not(operand) => self.boolean(operand, focus)?.map(|b| !b),
            Bool::Logic(op, left, right) => {
                let a = self.boolean(left, focus)?;
                // The interpreter decides on the left only when it is a
                // Boolean value, and only when lenient.
                if lenient && left.is_value() {
                    match (op, a) {
                        (BinaryOp::And, Some(false)) => return Ok(Some(false)),
                        (BinaryOp::Or, Some(true)) | (BinaryOp::Implies, Some(false)) => {
                            return Ok(Some(true));
                        }
                        _ => {}
                    }
                }
                let b = self.boolean(right, focus)?;
                match op {
                    BinaryOp::And => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    BinaryOp::Or => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                    BinaryOp::Xor => a.zip(b).map(|(a, b)| a != b),
                    _ => match (a, b) {
                        (Some(false), _) | (_, Some(true)) => Some(true),
                        (Some(true), Some(false)) => Some(false),
                        _ => None,
                    },
                }
            }
            Bool::Same { equal, left, right } => {
                let a = self.boolean(left, focus)?;
                let b = self.boolean(right, focus)?;
                a.zip(b).map(|(a, b)| (a == b) == *equal)
            }
            Bool::Text {
                function,
                of,
                argument,
            } => match self.single(of, focus)? {
                (0, _) if lenient => Some(false),
                (0, _) => None,
                (_, Some(node)) => match function {
                    Function::Matches => self
                        .with_text(&node, |text| with_regex(argument, |r| r.is_match(text)))?
                        .map_err(|_| GiveUp)?,
                    _ => self.with_text(&node, |text| match function {
                        Function::StartsWith => text.starts_with(&**argument),
                        Function::EndsWith => text.ends_with(&**argument),
                        _ => text.contains(&**argument),
                    })?,
                }
                .into(),
                _ => return Err(GiveUp),
            },
            Bool::TextEqual { equal, of, text } => match self.single(of, focus)? {
                (0, _) => None,
                (_, Some(node)) => Some(self.with_text(&node, |t| t == &**text)? == *equal),
                // Collections of different sizes are not equal.
                _ => Some(!*equal),
            },
            Bool::BooleanEqual { equal, of, value } => match self.single(of, focus)? {
                (0, _) => None,
                // Anything but the same Boolean is unequal to it.
                (_, Some(node)) => {
                    Some((self.model().value(&node) == Some(Value::Boolean(*value))) == *equal)
                }
                _ => Some(!*equal),
            },
            Bool::InTexts { of, texts } => match self.single(of, focus)? {
                (0, _) => None,
                (_, Some(node)) => {
                    Some(self.with_text(&node, |t| texts.iter().any(|s| **s == *t))?)
                }
                _ => return Err(GiveUp),
            },
            Bool::Compare { op, left, right } => {
                // Both sides first: either can be an error (more than one
                // item), as in the interpreter.
                let (a, b) = (self.operand(left, focus)?, self.operand(right, focus)?);
                match (a, b) {
                    (Some(a), Some(b)) => match a.compare(&b) {
                        Ok(Some(ordering)) => Some(ordered(*op, ordering)),
                        Ok(None) => None,
                        Err(_) => return Err(GiveUp),
                    },
                    _ => None,
                }
            }
            Bool::Count { of, op, value } => {
                Some(compare(*op, self.count(of, focus)? as i64, *value))
            }
            Bool::Length {
                of,
                to_string,
                op,
                value,
            } => match self.single(of, focus)? {
                (0, _) => None,
                (_, Some(node)) => {
                    let length = if *to_string {
                        match self.model().value(&node) {
                            Some(v) => v.to_string().chars().count(),
                            None => return Err(GiveUp),
                        }
                    } else {
                        self.with_text(&node, |t| t.chars().count())?
                    };
                    Some(compare(*op, length as i64, *value))
                }
                _ => return Err(GiveUp),
            },
        })
    }
}

/// An integer comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`).
fn compare(op: BinaryOp, a: i64, b: i64) -> bool {
    ordered(op, a.cmp(&b))
}
