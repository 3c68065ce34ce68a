//! A parsed FHIRPath expression: a flat list of nodes that refer to each
//! other by index, the root last. Strings are `Cow` so that a generator can
//! write an expression out as `static` data (`Cow::Borrowed`) and a program
//! evaluates it with no parsing at run time.

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::temporal::{DateTime, Time};

/// The index of a node in its [`Expression`].
pub type NodeId = u32;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression<'a> {
    nodes: Cow<'a, [Node<'a>]>,
}

impl<'a> Expression<'a> {
    /// An expression from its nodes, the root last (as [`crate::parse`]
    /// makes them; each node refers only to nodes before it).
    pub const fn from_nodes(nodes: Cow<'a, [Node<'a>]>) -> Self {
        Expression { nodes }
    }

    /// The nodes, the root last.
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// The root node's index.
    pub fn root(&self) -> NodeId {
        (self.nodes.len() - 1) as NodeId
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id as usize]
    }

    /// The type an argument of `is()`, `as()` or `ofType()` names: a name
    /// (`Quantity`), or a namespace and a name (`FHIR.string`).
    pub(crate) fn type_argument(&self, id: NodeId) -> Option<TypeName<'a>> {
        match self.node(id) {
            Node::Member { target: None, name } => Some(TypeName {
                namespace: None,
                name: name.clone(),
            }),
            Node::Member {
                target: Some(t),
                name,
            } => match self.node(*t) {
                Node::Member {
                    target: None,
                    name: namespace,
                } => Some(TypeName {
                    namespace: Some(namespace.clone()),
                    name: name.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One node of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Node<'a> {
    /// `{}`
    Empty,
    Literal(Literal<'a>),
    /// `$this`
    This,
    /// `$index`
    Index,
    /// `$total`
    Total,
    /// `%name` (`%resource`, `%ucum`, `%\`vs-name\``...)
    Variable(Cow<'a, str>),
    /// `name` on the focus, or `target.name`.
    Member {
        target: Option<NodeId>,
        name: Cow<'a, str>,
    },
    /// `function(args)` on the focus, or `target.function(args)`.
    Call {
        target: Option<NodeId>,
        function: Function,
        args: Cow<'a, [NodeId]>,
    },
    /// `target[index]`
    Indexer {
        target: NodeId,
        index: NodeId,
    },
    /// `-operand` (`+operand` is the operand itself).
    Negate(NodeId),
    Binary {
        op: BinaryOp,
        left: NodeId,
        right: NodeId,
    },
    /// `operand is Type` / `operand as Type`
    TypeTest {
        op: TypeOp,
        operand: NodeId,
        type_name: TypeName<'a>,
    },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal<'a> {
    Boolean(bool),
    String(Cow<'a, str>),
    Integer(i64),
    Decimal(Decimal),
    Date(DateTime),
    DateTime(DateTime),
    Time(Time),
    /// `4 'mg'`, `7 days` (a calendar unit keeps its keyword: `day`).
    Quantity {
        value: Decimal,
        unit: Cow<'a, str>,
    },
}

/// A type named in `is`, `as`, `ofType()`: `Quantity`, `FHIR.string`,
/// `System.Integer`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName<'a> {
    pub namespace: Option<Cow<'a, str>>,
    pub name: Cow<'a, str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeOp {
    Is,
    As,
}

/// The binary operators, in groups of equal precedence from the tightest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Multiply,
    Divide,
    Div,
    Mod,
    Add,
    Subtract,
    Concatenate,
    Union,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
    Equal,
    Equivalent,
    NotEqual,
    NotEquivalent,
    In,
    Contains,
    And,
    Or,
    Xor,
    Implies,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Multiply => "*",
            Divide => "/",
            Div => "div",
            Mod => "mod",
            Add => "+",
            Subtract => "-",
            Concatenate => "&",
            Union => "|",
            LessThan => "<",
            LessOrEqual => "<=",
            GreaterThan => ">",
            GreaterOrEqual => ">=",
            Equal => "=",
            Equivalent => "~",
            NotEqual => "!=",
            NotEquivalent => "!~",
            In => "in",
            Contains => "contains",
            And => "and",
            Or => "or",
            Xor => "xor",
            Implies => "implies",
        }
    }
}

macro_rules! functions {
    ($($variant:ident $name:literal $min:literal $max:literal,)*) => {
        /// The functions FHIRPath 2.0 and FHIR R4 define, with the number of
        /// arguments each takes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function { $($variant,)* }

        impl Function {
            /// The function called `name`.
            pub fn from_name(name: &str) -> Option<Function> {
                Some(match name { $($name => Function::$variant,)* _ => return None })
            }

            /// The name it is called by.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            /// The least and most arguments it takes.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Function::$variant => ($min, $max),)* }
            }
        }
    };
}

functions! {
    Empty "empty" 0 0,
    Exists "exists" 0 1,
    All "all" 1 1,
    AllTrue "allTrue" 0 0,
    AnyTrue "anyTrue" 0 0,
    AllFalse "allFalse" 0 0,
    AnyFalse "anyFalse" 0 0,
    SubsetOf "subsetOf" 1 1,
    SupersetOf "supersetOf" 1 1,
    Count "count" 0 0,
    Distinct "distinct" 0 0,
    IsDistinct "isDistinct" 0 0,
    Where "where" 1 1,
    Select "select" 1 1,
    Repeat "repeat" 1 1,
    OfType "ofType" 1 1,
    As "as" 1 1,
    Is "is" 1 1,
    Single "single" 0 0,
    First "first" 0 0,
    Last "last" 0 0,
    Tail "tail" 0 0,
    Skip "skip" 1 1,
    Take "take" 1 1,
    Intersect "intersect" 1 1,
    Exclude "exclude" 1 1,
    Union "union" 1 1,
    Combine "combine" 1 1,
    Iif "iif" 2 3,
    ToBoolean "toBoolean" 0 0,
    ConvertsToBoolean "convertsToBoolean" 0 0,
    ToInteger "toInteger" 0 0,
    ConvertsToInteger "convertsToInteger" 0 0,
    ToDecimal "toDecimal" 0 0,
    ConvertsToDecimal "convertsToDecimal" 0 0,
    ToString "toString" 0 0,
    ConvertsToString "convertsToString" 0 0,
    ToDate "toDate" 0 0,
    ConvertsToDate "convertsToDate" 0 0,
    ToDateTime "toDateTime" 0 0,
    ConvertsToDateTime "convertsToDateTime" 0 0,
    ToTime "toTime" 0 0,
    ConvertsToTime "convertsToTime" 0 0,
    ToQuantity "toQuantity" 0 1,
    ConvertsToQuantity "convertsToQuantity" 0 1,
    IndexOf "indexOf" 1 1,
    Substring "substring" 1 2,
    StartsWith "startsWith" 1 1,
    EndsWith "endsWith" 1 1,
    ContainsText "contains" 1 1,
    Upper "upper" 0 0,
    Lower "lower" 0 0,
    Replace "replace" 2 2,
    Matches "matches" 1 1,
    MatchesFull "matchesFull" 1 1,
    ReplaceMatches "replaceMatches" 2 2,
    Length "length" 0 0,
    ToChars "toChars" 0 0,
    Trim "trim" 0 0,
    Split "split" 1 1,
    Join "join" 0 1,
    Encode "encode" 1 1,
    Decode "decode" 1 1,
    Escape "escape" 1 1,
    Unescape "unescape" 1 1,
    Abs "abs" 0 0,
    Ceiling "ceiling" 0 0,
    Exp "exp" 0 0,
    Floor "floor" 0 0,
    Ln "ln" 0 0,
    Log "log" 1 1,
    Power "power" 1 1,
    Round "round" 0 1,
    Sqrt "sqrt" 0 0,
    Truncate "truncate" 0 0,
    Children "children" 0 0,
    Descendants "descendants" 0 0,
    Trace "trace" 1 2,
    Now "now" 0 0,
    TimeOfDay "timeOfDay" 0 0,
    Today "today" 0 0,
    Not "not" 0 0,
    Aggregate "aggregate" 1 2,
    Sort "sort" 0 8,
    Type "type" 0 0,
    LowBoundary "lowBoundary" 0 1,
    HighBoundary "highBoundary" 0 1,
    Precision "precision" 0 0,
    Comparable "comparable" 1 1,
    // FHIR's additions (FHIR R4, §2.1.9.1).
    Extension "extension" 1 1,
    HasValue "hasValue" 0 0,
    GetValue "getValue" 0 0,
    Resolve "resolve" 0 0,
    ConformsTo "conformsTo" 1 1,
    MemberOf "memberOf" 1 1,
    Subsumes "subsumes" 1 1,
    SubsumedBy "subsumedBy" 1 1,
    HtmlChecks "htmlChecks" 0 0,
    ElementDefinition "elementDefinition" 0 0,
    Slice "slice" 2 2,
    CheckModifiers "checkModifiers" 1 1,
}

impl Function {
    /// Whether an argument is an expression evaluated per item of the focus
    /// (`where(criteria)`), not once on the context.
    pub fn takes_lambda(self) -> bool {
        matches!(
            self,
            Function::Exists
                | Function::All
                | Function::Where
                | Function::Select
                | Function::Repeat
                | Function::Aggregate
                | Function::Sort
                | Function::Trace
                | Function::Iif
        )
    }
}

/// `const` constructors of nodes, for expressions a generator writes out
/// as `static` data (`member(Some(0), "name")`).
pub mod build {
    use std::borrow::Cow;

    use rust_decimal::Decimal;

    use super::{BinaryOp, Function, Literal, Node, NodeId, TypeName, TypeOp};
    use crate::temporal::{DateTime, Time};

    pub const fn expression(nodes: &'static [Node<'static>]) -> super::Expression<'static> {
        super::Expression::from_nodes(Cow::Borrowed(nodes))
    }
    pub const fn empty() -> Node<'static> {
        Node::Empty
    }
    pub const fn this() -> Node<'static> {
        Node::This
    }
    pub const fn index() -> Node<'static> {
        Node::Index
    }
    pub const fn total() -> Node<'static> {
        Node::Total
    }
    pub const fn variable(name: &'static str) -> Node<'static> {
        Node::Variable(Cow::Borrowed(name))
    }
    pub const fn member(target: Option<NodeId>, name: &'static str) -> Node<'static> {
        Node::Member {
            target,
            name: Cow::Borrowed(name),
        }
    }
    pub const fn call(
        target: Option<NodeId>,
        function: Function,
        args: &'static [NodeId],
    ) -> Node<'static> {
        Node::Call {
            target,
            function,
            args: Cow::Borrowed(args),
        }
    }
    pub const fn indexer(target: NodeId, index: NodeId) -> Node<'static> {
        Node::Indexer { target, index }
    }
    pub const fn negate(operand: NodeId) -> Node<'static> {
        Node::Negate(operand)
    }
    pub const fn binary(op: BinaryOp, left: NodeId, right: NodeId) -> Node<'static> {
        Node::Binary { op, left, right }
    }
    pub const fn type_test(
        op: TypeOp,
        operand: NodeId,
        namespace: Option<&'static str>,
        name: &'static str,
    ) -> Node<'static> {
        Node::TypeTest {
            op,
            operand,
            type_name: TypeName {
                namespace: match namespace {
                    Some(n) => Some(Cow::Borrowed(n)),
                    None => None,
                },
                name: Cow::Borrowed(name),
            },
        }
    }
    pub const fn boolean(value: bool) -> Node<'static> {
        Node::Literal(Literal::Boolean(value))
    }
    pub const fn string(value: &'static str) -> Node<'static> {
        Node::Literal(Literal::String(Cow::Borrowed(value)))
    }
    pub const fn integer(value: i64) -> Node<'static> {
        Node::Literal(Literal::Integer(value))
    }
    /// A decimal from `rust_decimal`'s parts (`Decimal::from_parts`).
    pub const fn decimal(lo: u32, mid: u32, hi: u32, negative: bool, scale: u32) -> Node<'static> {
        Node::Literal(Literal::Decimal(Decimal::from_parts(
            lo, mid, hi, negative, scale,
        )))
    }
    pub const fn date(value: DateTime) -> Node<'static> {
        Node::Literal(Literal::Date(value))
    }
    pub const fn date_time(value: DateTime) -> Node<'static> {
        Node::Literal(Literal::DateTime(value))
    }
    pub const fn time(value: Time) -> Node<'static> {
        Node::Literal(Literal::Time(value))
    }
    pub const fn quantity(
        lo: u32,
        mid: u32,
        hi: u32,
        negative: bool,
        scale: u32,
        unit: &'static str,
    ) -> Node<'static> {
        Node::Literal(Literal::Quantity {
            value: Decimal::from_parts(lo, mid, hi, negative, scale),
            unit: Cow::Borrowed(unit),
        })
    }
}
