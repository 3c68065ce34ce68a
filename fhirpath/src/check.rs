//! Checking an expression against the element model before it runs: every
//! path step must name an element one of its possible input types has
//! (`Observation.valueQuantity`, `(value as Period).unit` and misspellings
//! are errors), every type named must exist. What the checker cannot know
//! (a resource of any type, the result of `resolve()`) it lets through.

use std::fmt;

use crate::ast::{BinaryOp, Expression, Function, Literal, Node, NodeId, TypeName, TypeOp};

/// What a type's element `name` may hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The element's types: one, or one per choice variant (`Quantity`,
    /// `string`...); a resource of any type is `Resource`.
    Types(Vec<String>),
    /// The type has no such element.
    Missing,
    /// The type is not known in detail (an abstract type): anything goes.
    Opaque,
}

/// The element model, by type.
pub trait Types {
    /// What element `name` of type `type_name` holds.
    fn element(&self, type_name: &str, name: &str) -> Lookup;
    /// Whether type `name` is `base` or specializes it.
    fn is_a(&self, name: &str, base: &str) -> bool;
    /// Whether the model has a type called `name`.
    fn has_type(&self, name: &str) -> bool;
}

/// Why an expression cannot be right for its context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CheckError {}

/// The types a collection may hold, or any.
#[derive(Clone, Debug, PartialEq)]
enum Static {
    Any,
    /// `(System?, name)` pairs.
    Types(Vec<(bool, String)>),
}

#[derive(Clone, Debug)]
struct Inferred {
    types: Static,
    /// Made by `children()` / `descendants()`: its order means nothing.
    unordered: bool,
}

impl Inferred {
    fn any() -> Self {
        Inferred {
            types: Static::Any,
            unordered: false,
        }
    }

    fn system(name: &str) -> Self {
        Inferred {
            types: Static::Types(vec![(true, name.to_owned())]),
            unordered: false,
        }
    }

    fn union(mut self, other: Inferred) -> Self {
        self.types = match (self.types, other.types) {
            (Static::Types(mut a), Static::Types(b)) => {
                for t in b {
                    if !a.contains(&t) {
                        a.push(t);
                    }
                }
                Static::Types(a)
            }
            _ => Static::Any,
        };
        self.unordered |= other.unordered;
        self
    }
}

/// Options of a check.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckOptions {
    /// Functions that depend on order (`first()`, `skip()`, `[0]`...) on
    /// the result of `children()` / `descendants()` are errors.
    pub ordered_functions: bool,
}

/// Checks `expression` for a context of one of the types `context` (a
/// resource or datatype name of `types`; several for a choice element).
pub fn check(
    expression: &Expression<'_>,
    types: &dyn Types,
    context: &[&str],
    options: CheckOptions,
) -> Result<(), CheckError> {
    let checker = Checker {
        expression,
        types,
        context: Inferred {
            types: Static::Types(context.iter().map(|c| (false, (*c).to_owned())).collect()),
            unordered: false,
        },
        options,
        reaching: std::cell::Cell::new(0),
    };
    let context = checker.context.clone();
    checker
        .infer(expression.root(), &context, &context)
        .map(|_| ())
}

struct Checker<'c, 'x> {
    expression: &'c Expression<'x>,
    types: &'c dyn Types,
    context: Inferred,
    options: CheckOptions,
    /// Inside the search for the types a `repeat()` reaches: a name no
    /// input type has gives nothing rather than an error.
    reaching: std::cell::Cell<usize>,
}

fn fail<T>(message: String) -> Result<T, CheckError> {
    Err(CheckError { message })
}

impl Checker<'_, '_> {
    fn infer(&self, id: NodeId, focus: &Inferred, this: &Inferred) -> Result<Inferred, CheckError> {
        Ok(match self.expression.node(id) {
            Node::Empty => Inferred {
                types: Static::Types(Vec::new()),
                unordered: false,
            },
            Node::Literal(literal) => Inferred::system(match literal {
                Literal::Boolean(_) => "Boolean",
                Literal::String(_) => "String",
                Literal::Integer(_) => "Integer",
                Literal::Decimal(_) => "Decimal",
                Literal::Date(_) => "Date",
                Literal::DateTime(_) => "DateTime",
                Literal::Time(_) => "Time",
                Literal::Quantity { .. } => "Quantity",
            }),
            Node::This => this.clone(),
            Node::Index => Inferred::system("Integer"),
            Node::Total => Inferred::any(),
            Node::Variable(name) => match name.as_ref() {
                "context" => self.context.clone(),
                // The resource the context sits in: of any type unless known.
                "resource" | "rootResource" => Inferred::any(),
                "ucum" | "sct" | "loinc" => Inferred::system("String"),
                n if n.starts_with("vs-") || n.starts_with("ext-") => Inferred::system("String"),
                _ => Inferred::any(),
            },
            Node::Member { target, name } => {
                let input = match target {
                    Some(t) => self.infer(*t, focus, this)?,
                    None => focus.clone(),
                };
                self.member(&input, name, target.is_none())?
            }
            Node::Call {
                target,
                function,
                args,
            } => {
                let input = match target {
                    Some(t) => self.infer(*t, focus, this)?,
                    None => focus.clone(),
                };
                self.call(*function, &input, args, this)?
            }
            Node::Indexer { target, index } => {
                let input = self.infer(*target, focus, this)?;
                self.infer(*index, this, this)?;
                self.ordered(&input, "an indexer")?;
                input
            }
            Node::Negate(operand) => self.infer(*operand, focus, this)?,
            Node::Binary { op, left, right } => {
                let l = self.infer(*left, focus, this)?;
                let r = self.infer(*right, focus, this)?;
                match op {
                    BinaryOp::Union => l.union(r),
                    BinaryOp::Add
                    | BinaryOp::Subtract
                    | BinaryOp::Multiply
                    | BinaryOp::Divide
                    | BinaryOp::Div
                    | BinaryOp::Mod => Inferred::any(),
                    BinaryOp::Concatenate => Inferred::system("String"),
                    _ => Inferred::system("Boolean"),
                }
            }
            Node::TypeTest {
                op,
                operand,
                type_name,
            } => {
                self.infer(*operand, focus, this)?;
                let ty = self.type_named(type_name)?;
                match op {
                    TypeOp::Is => Inferred::system("Boolean"),
                    TypeOp::As => ty,
                }
            }
        })
    }

    fn type_named(&self, type_name: &TypeName<'_>) -> Result<Inferred, CheckError> {
        const SYSTEM: [&str; 8] = [
            "Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity",
        ];
        let name = type_name.name.as_ref();
        let fhir = || Inferred {
            types: Static::Types(vec![(false, name.to_owned())]),
            unordered: false,
        };
        match type_name.namespace.as_deref() {
            // A System type FHIRPath does not define matches nothing, as in the evaluator.
            Some("System") => Ok(Inferred::system(name)),
            Some("FHIR") | None if self.types.has_type(name) => Ok(fhir()),
            None if SYSTEM.contains(&name) => Ok(Inferred::system(name)),
            _ => fail(format!("unknown type `{name}`")),
        }
    }

    fn member(
        &self,
        input: &Inferred,
        name: &str,
        first_step: bool,
    ) -> Result<Inferred, CheckError> {
        let Static::Types(types) = &input.types else {
            return Ok(Inferred::any());
        };
        let mut out: Vec<(bool, String)> = Vec::new();
        let mut any = false;
        let mut missing_on = None;
        let type_step = first_step && name.starts_with(|c: char| c.is_ascii_uppercase());
        for (system, type_name) in types {
            if *system {
                missing_on = missing_on.or(Some(type_name.as_str()));
                continue;
            }
            if type_step && self.types.is_a(type_name, name) {
                out.push((false, type_name.clone()));
                continue;
            }
            match self.types.element(type_name, name) {
                Lookup::Types(found) => {
                    for t in found {
                        if !out.iter().any(|(s, n)| !s && *n == t) {
                            out.push((false, t));
                        }
                    }
                }
                Lookup::Missing => missing_on = missing_on.or(Some(type_name.as_str())),
                Lookup::Opaque => any = true,
            }
        }
        if any {
            return Ok(Inferred::any());
        }
        if out.is_empty()
            && let Some(type_name) = missing_on.filter(|_| self.reaching.get() == 0)
        {
            if type_step {
                return fail(format!("the context is a {type_name}, not a {name}"));
            }
            return fail(format!("{type_name} has no element `{name}`"));
        }
        Ok(Inferred {
            types: Static::Types(out),
            unordered: input.unordered,
        })
    }

    /// `repeat(projection)` on `input`: each round's input is the previous
    /// round's output, so a name may fit only a later round's items
    /// (`repeat(answer | item)` on a QuestionnaireResponse). The projection
    /// is checked on every type the rounds reach, found by applying it
    /// until no new type comes; the result holds what it gives on them.
    fn repeat(&self, projection: NodeId, input: &Inferred) -> Result<Inferred, CheckError> {
        /// Types a chain of elements can reach are few; past this many
        /// rounds, any type.
        const MAX_ROUNDS: usize = 64;
        let mut reached = input.clone();
        let mut rounds = 0;
        while matches!(reached.types, Static::Types(_)) {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                reached = Inferred::any();
                break;
            }
            self.reaching.set(self.reaching.get() + 1);
            let found = self.infer(projection, &reached, &reached);
            self.reaching.set(self.reaching.get() - 1);
            // Another mistake in the projection is reported below.
            let Ok(found) = found else { break };
            let grown = reached.clone().union(found);
            if grown.types == reached.types {
                break;
            }
            reached = grown;
        }
        let found = self.infer(projection, &reached, &reached)?;
        Ok(Inferred {
            types: found.types,
            unordered: input.unordered,
        })
    }

    fn ordered(&self, input: &Inferred, what: &str) -> Result<(), CheckError> {
        if self.options.ordered_functions && input.unordered {
            return fail(format!(
                "{what} depends on order, but the order of children() and descendants() is undefined"
            ));
        }
        Ok(())
    }

    fn call(
        &self,
        function: Function,
        input: &Inferred,
        args: &[NodeId],
        this: &Inferred,
    ) -> Result<Inferred, CheckError> {
        use Function as F;
        // The type of each item of the input, for arguments evaluated per item.
        let item = Inferred {
            types: input.types.clone(),
            unordered: false,
        };
        let lambda = |i: usize| self.infer(args[i], &item, &item);
        let plain = |i: usize| self.infer(args[i], this, this);
        let type_arg = || -> Result<Inferred, CheckError> {
            match self.expression.type_argument(args[0]) {
                Some(name) => self.type_named(&name),
                None => fail(format!("{}() needs a type name", function.name())),
            }
        };
        Ok(match function {
            F::Where | F::Trace => {
                if !args.is_empty() {
                    lambda(0)?;
                }
                if args.len() > 1 {
                    lambda(1)?;
                }
                input.clone()
            }
            F::Exists | F::All => {
                if !args.is_empty() {
                    lambda(0)?;
                }
                Inferred::system("Boolean")
            }
            F::Select => lambda(0)?,
            F::Repeat => self.repeat(args[0], &item)?,
            F::Sort => {
                for i in 0..args.len() {
                    lambda(i)?;
                }
                input.clone()
            }
            F::Aggregate => {
                for &arg in args {
                    self.infer(arg, &item, &item)?;
                }
                Inferred::any()
            }
            F::Iif => {
                let mut result = Inferred {
                    types: Static::Types(Vec::new()),
                    unordered: false,
                };
                let scope = if matches!(&input.types, Static::Types(t) if t.is_empty()) {
                    this
                } else {
                    &item
                };
                for (i, &arg) in args.iter().enumerate() {
                    let t = self.infer(arg, scope, scope)?;
                    if i > 0 {
                        result = result.union(t);
                    }
                }
                result
            }
            F::OfType | F::As => type_arg()?,
            F::Is => {
                type_arg()?;
                Inferred::system("Boolean")
            }
            F::First | F::Last | F::Tail | F::Skip | F::Take | F::Single => {
                self.ordered(input, &format!("{}()", function.name()))?;
                for i in 0..args.len() {
                    plain(i)?;
                }
                input.clone()
            }
            F::Distinct | F::Intersect | F::Exclude => {
                for i in 0..args.len() {
                    plain(i)?;
                }
                input.clone()
            }
            F::Union | F::Combine => input.clone().union(plain(0)?),
            F::Children | F::Descendants => Inferred {
                types: Static::Any,
                unordered: true,
            },
            F::Extension => {
                plain(0)?;
                Inferred {
                    types: Static::Types(vec![(false, "Extension".to_owned())]),
                    unordered: false,
                }
            }
            other => {
                for i in 0..args.len() {
                    plain(i)?;
                }
                match other {
                    F::Count | F::Length | F::IndexOf | F::Precision => Inferred::system("Integer"),
                    F::ToString
                    | F::Substring
                    | F::Upper
                    | F::Lower
                    | F::Replace
                    | F::ReplaceMatches
                    | F::Trim
                    | F::Join
                    | F::Encode
                    | F::Decode
                    | F::Escape
                    | F::Unescape
                    | F::ToChars
                    | F::Split => Inferred::system("String"),
                    F::ToInteger => Inferred::system("Integer"),
                    F::ToDecimal => Inferred::system("Decimal"),
                    F::ToQuantity => Inferred::system("Quantity"),
                    F::ToDate | F::Today => Inferred::system("Date"),
                    F::ToDateTime | F::Now => Inferred::system("DateTime"),
                    F::ToTime | F::TimeOfDay => Inferred::system("Time"),
                    F::Empty
                    | F::Not
                    | F::AllTrue
                    | F::AnyTrue
                    | F::AllFalse
                    | F::AnyFalse
                    | F::SubsetOf
                    | F::SupersetOf
                    | F::IsDistinct
                    | F::StartsWith
                    | F::EndsWith
                    | F::ContainsText
                    | F::Matches
                    | F::MatchesFull
                    | F::HasValue
                    | F::ConformsTo
                    | F::MemberOf
                    | F::Subsumes
                    | F::SubsumedBy
                    | F::HtmlChecks
                    | F::Comparable
                    | F::ToBoolean
                    | F::ConvertsToBoolean
                    | F::ConvertsToInteger
                    | F::ConvertsToDecimal
                    | F::ConvertsToString
                    | F::ConvertsToDate
                    | F::ConvertsToDateTime
                    | F::ConvertsToTime
                    | F::ConvertsToQuantity => Inferred::system("Boolean"),
                    F::Abs
                    | F::Ceiling
                    | F::Floor
                    | F::Truncate
                    | F::Round
                    | F::Exp
                    | F::Ln
                    | F::Log
                    | F::Power
                    | F::Sqrt
                    | F::LowBoundary
                    | F::HighBoundary => input.clone(),
                    _ => Inferred::any(),
                }
            }
        })
    }
}
