//! FHIRPath's functions (FHIRPath 2.0 §5, and FHIR R4's additions).

use base64::Engine;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::ast::{Function, Node, NodeId};
use crate::eval::{
    Collection, EvalError, Evaluator, Item, Kept, MAX_ITEMS, Scope, compare_keys, error, time_now,
    unsupported,
};
use crate::model::Model;
use crate::parser::CALENDAR_UNITS;
use crate::temporal::{DateTime, Time};
use crate::value::{Quantity, Value};

type Res<N> = Result<Collection<N>, EvalError>;

fn boolean<N>(b: bool) -> Collection<N> {
    vec![Item::Value(Value::Boolean(b))]
}

fn value<N>(v: Value) -> Collection<N> {
    vec![Item::Value(v)]
}

fn maybe<N>(v: Option<Value>) -> Collection<N> {
    v.map(Item::Value).into_iter().collect()
}

/// The helpers every group of functions uses, bound to one call's
/// evaluator, input, arguments and scope.
macro_rules! helpers {
    ($ev:ident, $function:ident, $input:ident, $args:ident, $scope:ident =>
     $name:ident, $arg:ident, $lambda:ident, $string_input:ident, $string_arg:ident,
     $int_arg:ident, $number_input:ident) => {
        #[allow(unused_variables)]
        let $name = $function.name();
        // An argument evaluated once, on the context of the call.
        #[allow(unused_variables)]
        let $arg = |i: usize| -> Res<M::Node> { $ev.eval($args[i], $scope.this, $scope) };
        // An argument evaluated on each item of the input.
        #[allow(unused_variables)]
        let $lambda = |i: usize, item: &Item<M::Node>, index: usize| -> Res<M::Node> {
            let this = std::slice::from_ref(item);
            let inner = Scope {
                this,
                index: Some(index as i64),
                total: $scope.total,
            };
            $ev.eval($args[i], this, &inner)
        };
        #[allow(unused_variables)]
        let $string_input = || $ev.single_string($input, &format_args!("the input of {}()", $name));
        #[allow(unused_variables)]
        let $string_arg = |i: usize| -> Result<Option<String>, EvalError> {
            $ev.single_string(&$arg(i)?, &format_args!("the argument of {}()", $name))
        };
        #[allow(unused_variables)]
        let $int_arg = |i: usize| -> Result<Option<i64>, EvalError> {
            $ev.single_integer(&$arg(i)?, &format_args!("the argument of {}()", $name))
        };
        #[allow(unused_variables)]
        let $number_input = || $ev.single_value($input, &format_args!("the input of {}()", $name));
    };
}

/// Calls `function` on `input`. Each group of functions is a function of
/// its own, so that the stack frame a nested call adds (`where()` in
/// `where()`...) is one group's, not all of them.
pub(crate) fn call<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    match function {
        F::ToBoolean
        | F::ConvertsToBoolean
        | F::ToInteger
        | F::ConvertsToInteger
        | F::ToDecimal
        | F::ConvertsToDecimal
        | F::ToString
        | F::ConvertsToString
        | F::ToDate
        | F::ConvertsToDate
        | F::ToDateTime
        | F::ConvertsToDateTime
        | F::ToTime
        | F::ConvertsToTime
        | F::ToQuantity
        | F::ConvertsToQuantity => conversions(ev, function, input, args, scope),
        F::IndexOf
        | F::Substring
        | F::StartsWith
        | F::EndsWith
        | F::ContainsText
        | F::Matches
        | F::MatchesFull
        | F::Upper
        | F::Lower
        | F::Replace
        | F::ReplaceMatches
        | F::Length
        | F::ToChars
        | F::Trim
        | F::Split
        | F::Join
        | F::Encode
        | F::Decode
        | F::Escape
        | F::Unescape => strings(ev, function, input, args, scope),
        F::Abs
        | F::Ceiling
        | F::Floor
        | F::Truncate
        | F::Round
        | F::Exp
        | F::Ln
        | F::Sqrt
        | F::Log
        | F::Power => math(ev, function, input, args, scope),
        F::Empty
        | F::Exists
        | F::All
        | F::AllTrue
        | F::AnyTrue
        | F::AllFalse
        | F::AnyFalse
        | F::SubsetOf
        | F::SupersetOf
        | F::Count
        | F::Distinct
        | F::IsDistinct
        | F::Where
        | F::Select
        | F::Repeat
        | F::OfType
        | F::As
        | F::Is
        | F::Single
        | F::First
        | F::Last
        | F::Tail
        | F::Skip
        | F::Take
        | F::Intersect
        | F::Exclude
        | F::Union
        | F::Combine
        | F::Iif => collections(ev, function, input, args, scope),
        _ => others(ev, function, input, args, scope),
    }
}

/// How many elements' `descendants()` an environment keeps.
const KEPT_DESCENDANTS: usize = 8;

/// `children()` or `descendants()` of the nodes of `input`, in breadth-first
/// order.
fn children_or_descendants<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
) -> Res<M::Node> {
    use Function as F;
    let model = ev.model();
    let mut out = Vec::new();
    let mut pending: Vec<M::Node> = input
        .iter()
        .filter_map(|i| match i {
            Item::Node(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    loop {
        let mut next = Vec::new();
        for node in &pending {
            model.all_children(node, &mut next);
        }
        if next.is_empty() {
            break;
        }
        out.extend(next.iter().cloned().map(Item::Node));
        if function == F::Children {
            break;
        }
        if out.len() > MAX_ITEMS {
            return error(format!("descendants() made more than {MAX_ITEMS} items"));
        }
        pending = next;
    }
    Ok(out)
}

/// `repeat()`: the projection on the input, then on what it gave, until
/// nothing new comes (items compared with `=`), bounded by [`MAX_ITEMS`].
fn repeat<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    input: &[Item<M::Node>],
    mut projection: impl FnMut(&Item<M::Node>, usize) -> Res<M::Node>,
) -> Res<M::Node> {
    let mut kept = Kept::default();
    let mut pending = input.to_vec();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for (i, item) in pending.iter().enumerate() {
            for found in projection(item, i)? {
                if ev.keep(&mut kept, &found) {
                    next.push(found);
                }
            }
            if kept.items.len() > MAX_ITEMS {
                return error(format!("repeat() made more than {MAX_ITEMS} items"));
            }
        }
        pending = next;
    }
    Ok(kept.items)
}

/// Functions on collections and the ones that take a lambda.
#[inline(never)]
fn collections<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    let type_argument = || {
        ev.expression
            .type_argument(args[0])
            .ok_or_else(|| EvalError {
                message: format!("{}() needs a type name", function.name()),
                unsupported: false,
            })
    };
    helpers!(ev, function, input, args, scope =>
        name, arg, lambda, string_input, string_arg, int_arg, number_input);
    Ok(match function {
        F::Empty => boolean(input.is_empty()),
        F::Exists => {
            if args.is_empty() {
                boolean(!input.is_empty())
            } else {
                let mut any = false;
                for (i, item) in input.iter().enumerate() {
                    if ev.single_bool(&lambda(0, item, i)?, &"the criteria of exists()")?
                        == Some(true)
                    {
                        any = true;
                        break;
                    }
                }
                boolean(any)
            }
        }
        F::All => {
            let mut all = true;
            for (i, item) in input.iter().enumerate() {
                if ev.single_bool(&lambda(0, item, i)?, &"the criteria of all()")? != Some(true) {
                    all = false;
                    break;
                }
            }
            boolean(all)
        }
        F::AllTrue | F::AnyTrue | F::AllFalse | F::AnyFalse => {
            let mut values = Vec::with_capacity(input.len());
            for item in input {
                match ev.value_of(item) {
                    Some(Value::Boolean(b)) => values.push(b),
                    _ => return error(format!("{name}() needs Booleans")),
                }
            }
            boolean(match function {
                F::AllTrue => values.iter().all(|b| *b),
                F::AnyTrue => values.iter().any(|b| *b),
                F::AllFalse => values.iter().all(|b| !*b),
                _ => values.iter().any(|b| !*b),
            })
        }
        F::SubsetOf => {
            let other = arg(0)?;
            boolean(input.iter().all(|i| ev.contains(&other, i)))
        }
        F::SupersetOf => {
            let other = arg(0)?;
            boolean(other.iter().all(|i| ev.contains(input, i)))
        }
        F::Count => value(Value::Integer(input.len() as i64)),
        F::Distinct => ev.distinct(input.to_vec()),
        F::IsDistinct => boolean(ev.distinct(input.to_vec()).len() == input.len()),
        F::Where => {
            let mut out = Vec::new();
            for (i, item) in input.iter().enumerate() {
                if ev.single_bool(&lambda(0, item, i)?, &"the criteria of where()")? == Some(true) {
                    out.push(item.clone());
                }
            }
            out
        }
        F::Select => {
            let mut out = Vec::new();
            for (i, item) in input.iter().enumerate() {
                out.extend(lambda(0, item, i)?);
            }
            out
        }
        F::Repeat => {
            ev.repeating.set(ev.repeating.get() + 1);
            let result = repeat(ev, input, |item, i| lambda(0, item, i));
            ev.repeating.set(ev.repeating.get() - 1);
            result?
        }
        F::OfType => {
            let type_name = type_argument()?;
            let ty = ev.resolve_type(&type_name)?;
            input
                .iter()
                .filter(|i| ev.item_is(i, ty, true))
                .cloned()
                .collect()
        }
        // Lenient: on several items, a filter (as `ofType()`).
        F::As if ev.lenient() => {
            let type_name = type_argument()?;
            let ty = ev.resolve_type(&type_name)?;
            input
                .iter()
                .filter(|i| ev.item_is(i, ty, true))
                .cloned()
                .collect()
        }
        F::As => {
            let type_name = type_argument()?;
            let ty = ev.resolve_type(&type_name)?;
            match ev.single(input, &"the input of as()")? {
                Some(item) if ev.item_is(item, ty, true) => vec![item.clone()],
                _ => Vec::new(),
            }
        }
        F::Is => {
            let type_name = type_argument()?;
            let ty = ev.resolve_type(&type_name)?;
            match ev.single(input, &"the input of is()")? {
                Some(item) => boolean(ev.item_is(item, ty, false)),
                None if ev.lenient() => boolean(false),
                None => Vec::new(),
            }
        }
        F::Single => ev
            .single(input, &"the input of single()")?
            .cloned()
            .into_iter()
            .collect(),
        F::First => input.first().cloned().into_iter().collect(),
        F::Last => input.last().cloned().into_iter().collect(),
        F::Tail => input.iter().skip(1).cloned().collect(),
        F::Skip => {
            let n = int_arg(0)?.unwrap_or(0).max(0) as usize;
            input.iter().skip(n).cloned().collect()
        }
        F::Take => {
            let n = int_arg(0)?.unwrap_or(0).max(0) as usize;
            input.iter().take(n).cloned().collect()
        }
        F::Intersect => {
            let other = arg(0)?;
            let common = input
                .iter()
                .filter(|i| ev.contains(&other, i))
                .cloned()
                .collect();
            ev.distinct(common)
        }
        F::Exclude => {
            let other = arg(0)?;
            input
                .iter()
                .filter(|i| !ev.contains(&other, i))
                .cloned()
                .collect()
        }
        F::Union => {
            let mut all = input.to_vec();
            all.extend(arg(0)?);
            ev.distinct(all)
        }
        F::Combine => {
            let mut all = input.to_vec();
            all.extend(arg(0)?);
            all
        }
        F::Iif => {
            let item = ev.single(input, &"the input of iif()")?;
            let this: &[Item<M::Node>] = match item {
                Some(_) => input,
                None => scope.this,
            };
            let inner = Scope {
                this,
                index: scope.index,
                total: scope.total,
            };
            let criterion = ev.eval(args[0], this, &inner)?;
            let decided = match ev.single(&criterion, &"the criterion of iif()")? {
                None => false,
                Some(c) => match ev.value_of(c) {
                    Some(Value::Boolean(b)) => b,
                    _ => return error("the criterion of iif() must be a Boolean"),
                },
            };
            if decided {
                ev.eval(args[1], this, &inner)?
            } else if args.len() > 2 {
                ev.eval(args[2], this, &inner)?
            } else {
                Vec::new()
            }
        }
        other => return error(format!("internal: {}() is not in this group", other.name())),
    })
}
/// The `toX()` and `convertsToX()` functions.
#[inline(never)]
fn conversions<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    helpers!(ev, function, input, args, scope =>
        name, arg, lambda, string_input, string_arg, int_arg, number_input);
    Ok(match function {
        F::ToBoolean | F::ConvertsToBoolean => convert(
            function == F::ConvertsToBoolean,
            number_input()?,
            to_boolean,
        ),
        F::ToInteger | F::ConvertsToInteger => convert(
            function == F::ConvertsToInteger,
            number_input()?,
            to_integer,
        ),
        F::ToDecimal | F::ConvertsToDecimal => convert(
            function == F::ConvertsToDecimal,
            number_input()?,
            to_decimal,
        ),
        F::ToString | F::ConvertsToString => {
            convert(function == F::ConvertsToString, number_input()?, |v| {
                Some(Value::String(v.to_string()))
            })
        }
        F::ToDate | F::ConvertsToDate => convert(
            function == F::ConvertsToDate,
            number_input()?,
            |v| match v {
                Value::Date(d) => Some(Value::Date(*d)),
                Value::DateTime(d) => d.boundary(8.min(d.digits()), false, true).map(Value::Date),
                Value::String(s) => match DateTime::parse(s) {
                    Some((d, false)) => Some(Value::Date(d)),
                    _ => None,
                },
                _ => None,
            },
        ),
        F::ToDateTime | F::ConvertsToDateTime => convert(
            function == F::ConvertsToDateTime,
            number_input()?,
            |v| match v {
                Value::Date(d) | Value::DateTime(d) => Some(Value::DateTime(*d)),
                Value::String(s) => DateTime::parse(s).map(|(d, _)| Value::DateTime(d)),
                _ => None,
            },
        ),
        F::ToTime | F::ConvertsToTime => convert(
            function == F::ConvertsToTime,
            number_input()?,
            |v| match v {
                Value::Time(t) => Some(Value::Time(*t)),
                Value::String(s) => Time::parse(s).map(Value::Time),
                _ => None,
            },
        ),
        F::ToQuantity | F::ConvertsToQuantity => {
            let unit = if args.is_empty() {
                None
            } else {
                string_arg(0)?
            };
            let converts = function == F::ConvertsToQuantity;
            convert(converts, number_input()?, |v| {
                let q = to_quantity(v)?;
                match &unit {
                    None => Some(Value::Quantity(q)),
                    Some(u) if *u == q.unit => Some(Value::Quantity(q)),
                    Some(u) => {
                        let target = Quantity {
                            value: Decimal::ONE,
                            unit: u.clone(),
                        };
                        // value in the target unit: q / (1 target) in a common base.
                        let (a, b) = (q.clone(), target);
                        if !a.comparable(&b) {
                            return None;
                        }
                        let ua = crate::ucum::Unit::parse(crate::ucum::calendar_to_ucum(&a.unit)?)?;
                        let ub = crate::ucum::Unit::parse(crate::ucum::calendar_to_ucum(&b.unit)?)?;
                        Some(Value::Quantity(Quantity {
                            value: a.value.checked_mul(ua.factor)?.checked_div(ub.factor)?,
                            unit: u.clone(),
                        }))
                    }
                }
            })
        }
        other => return error(format!("internal: {}() is not in this group", other.name())),
    })
}
/// The string functions.
#[inline(never)]
fn strings<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    helpers!(ev, function, input, args, scope =>
        name, arg, lambda, string_input, string_arg, int_arg, number_input);
    Ok(match function {
        F::IndexOf => match (string_input()?, string_arg(0)?) {
            (Some(s), Some(sub)) => value(Value::Integer(match s.find(&sub) {
                Some(byte) => s[..byte].chars().count() as i64,
                None => -1,
            })),
            _ => Vec::new(),
        },
        F::Substring => {
            let Some(s) = string_input()? else {
                return Ok(Vec::new());
            };
            let Some(start) = int_arg(0)? else {
                return Ok(Vec::new());
            };
            let length = if args.len() > 1 { int_arg(1)? } else { None };
            let count = s.chars().count() as i64;
            if start < 0 || start >= count {
                Vec::new()
            } else {
                let take = length.unwrap_or(count).max(0) as usize;
                value(Value::String(
                    s.chars().skip(start as usize).take(take).collect(),
                ))
            }
        }
        // Lenient: no string is false, as the HL7 reference engine has it.
        F::StartsWith | F::EndsWith | F::ContainsText | F::Matches | F::MatchesFull
            if ev.lenient() && input.is_empty() =>
        {
            boolean(false)
        }
        F::StartsWith | F::EndsWith | F::ContainsText => match (string_input()?, string_arg(0)?) {
            (Some(s), Some(sub)) => boolean(match function {
                F::StartsWith => s.starts_with(&sub),
                F::EndsWith => s.ends_with(&sub),
                _ => s.contains(&sub),
            }),
            _ => Vec::new(),
        },
        F::Upper => maybe(string_input()?.map(|s| Value::String(s.to_uppercase()))),
        F::Lower => maybe(string_input()?.map(|s| Value::String(s.to_lowercase()))),
        F::Replace => match (string_input()?, string_arg(0)?, string_arg(1)?) {
            (Some(s), Some(pattern), Some(with)) => value(Value::String(if pattern.is_empty() {
                let mut out = with.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&with);
                }
                out
            } else {
                s.replace(&pattern, &with)
            })),
            _ => Vec::new(),
        },
        F::Matches | F::MatchesFull => match (string_input()?, string_arg(0)?) {
            (Some(s), Some(pattern)) => {
                let pattern = if function == F::MatchesFull {
                    whole(&pattern)
                } else {
                    pattern
                };
                boolean(with_regex(&pattern, |r| r.is_match(&s))?)
            }
            _ => Vec::new(),
        },
        F::ReplaceMatches => match (string_input()?, string_arg(0)?, string_arg(1)?) {
            (Some(s), Some(pattern), Some(with)) => {
                if pattern.is_empty() {
                    value(Value::String(s))
                } else {
                    value(Value::String(with_regex(&pattern, |r| {
                        r.replace_all(&s, with.as_str()).into_owned()
                    })?))
                }
            }
            _ => Vec::new(),
        },
        F::Length => maybe(string_input()?.map(|s| Value::Integer(s.chars().count() as i64))),
        F::ToChars => match string_input()? {
            Some(s) => s
                .chars()
                .map(|c| Item::Value(Value::String(c.to_string())))
                .collect(),
            None => Vec::new(),
        },
        F::Trim => maybe(string_input()?.map(|s| Value::String(s.trim().to_owned()))),
        F::Split => match (string_input()?, string_arg(0)?) {
            (Some(s), Some(sep)) => {
                if sep.is_empty() {
                    s.chars()
                        .map(|c| Item::Value(Value::String(c.to_string())))
                        .collect()
                } else {
                    s.split(sep.as_str())
                        .map(|p| Item::Value(Value::String(p.to_owned())))
                        .collect()
                }
            }
            _ => Vec::new(),
        },
        F::Join => {
            let sep = if args.is_empty() {
                Some(String::new())
            } else {
                string_arg(0)?
            };
            let mut parts = Vec::new();
            for item in input {
                match ev.value_of(item) {
                    Some(Value::String(s)) => parts.push(s),
                    _ => return error("join() needs Strings"),
                }
            }
            value(Value::String(parts.join(&sep.unwrap_or_default())))
        }
        F::Encode | F::Decode | F::Escape | F::Unescape => {
            match (string_input()?, string_arg(0)?) {
                (Some(s), Some(format)) => maybe(codec(function, &s, &format).map(Value::String)),
                _ => Vec::new(),
            }
        }
        other => return error(format!("internal: {}() is not in this group", other.name())),
    })
}
/// The math functions.
#[inline(never)]
fn math<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    helpers!(ev, function, input, args, scope =>
        name, arg, lambda, string_input, string_arg, int_arg, number_input);
    Ok(match function {
        F::Abs => match number_input()? {
            None => Vec::new(),
            Some(Value::Integer(i)) => value(Value::Integer(i.abs())),
            Some(Value::Decimal(d)) => value(Value::Decimal(d.abs())),
            Some(Value::Quantity(q)) => value(Value::Quantity(Quantity {
                value: q.value.abs(),
                unit: q.unit,
            })),
            Some(other) => return error(format!("abs() of a {}", other.type_name())),
        },
        F::Ceiling | F::Floor | F::Truncate => match number_input()? {
            None => Vec::new(),
            Some(Value::Integer(i)) => value(Value::Integer(i)),
            Some(Value::Decimal(d)) => {
                let r = match function {
                    F::Ceiling => d.ceil(),
                    F::Floor => d.floor(),
                    _ => d.trunc(),
                };
                maybe(r.to_i64().map(Value::Integer))
            }
            Some(other) => return error(format!("{name}() of a {}", other.type_name())),
        },
        F::Round => {
            let digits = if args.is_empty() {
                0
            } else {
                int_arg(0)?.unwrap_or(0)
            };
            if digits < 0 {
                return error("round() needs a precision of 0 or more");
            }
            match number_input()? {
                None => Vec::new(),
                Some(v @ (Value::Integer(_) | Value::Decimal(_))) => {
                    let d = v.decimal().unwrap_or_default();
                    value(Value::Decimal(d.round_dp_with_strategy(
                        digits.min(28) as u32,
                        RoundingStrategy::MidpointAwayFromZero,
                    )))
                }
                Some(other) => return error(format!("round() of a {}", other.type_name())),
            }
        }
        F::Exp | F::Ln | F::Sqrt | F::Log | F::Power => {
            let Some(x) = number_input()? else {
                return Ok(Vec::new());
            };
            let Some(xd) = x.decimal() else {
                return error(format!("{name}() of a {}", x.type_name()));
            };
            let other = if matches!(function, F::Log | F::Power) {
                match ev.single_value(&arg(0)?, &format_args!("the argument of {name}()"))? {
                    None => return Ok(Vec::new()),
                    Some(v) => match v.decimal() {
                        Some(d) => Some((v, d)),
                        None => return error(format!("{name}() of a {}", v.type_name())),
                    },
                }
            } else {
                None
            };
            // Integer powers of integers stay exact Integers.
            if let (F::Power, Value::Integer(base), Some((Value::Integer(e), _))) =
                (function, &x, &other)
            {
                return Ok(if *e >= 0 {
                    maybe(
                        u32::try_from(*e)
                            .ok()
                            .and_then(|e| base.checked_pow(e))
                            .filter(|v| i32::try_from(*v).is_ok())
                            .map(Value::Integer),
                    )
                } else {
                    Vec::new()
                });
            }
            let xf = xd.to_f64().unwrap_or(f64::NAN);
            let result = match function {
                F::Exp => xf.exp(),
                F::Ln => xf.ln(),
                F::Sqrt => xf.sqrt(),
                F::Log => xf.log(
                    other
                        .as_ref()
                        .and_then(|(_, d)| d.to_f64())
                        .unwrap_or(f64::NAN),
                ),
                _ => xf.powf(
                    other
                        .as_ref()
                        .and_then(|(_, d)| d.to_f64())
                        .unwrap_or(f64::NAN),
                ),
            };
            maybe(
                result
                    .is_finite()
                    .then(|| Decimal::from_f64(result))
                    .flatten()
                    .map(|d| Value::Decimal(d.round_dp(15).normalize())),
            )
        }
        other => return error(format!("internal: {}() is not in this group", other.name())),
    })
}
/// Tree navigation, utilities, types, boundaries and FHIR's additions.
#[inline(never)]
fn others<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    function: Function,
    input: &[Item<M::Node>],
    args: &[NodeId],
    scope: &Scope<'_, M::Node>,
) -> Res<M::Node> {
    use Function as F;
    helpers!(ev, function, input, args, scope =>
        name, arg, lambda, string_input, string_arg, int_arg, number_input);
    Ok(match function {
        F::Descendants
            if let [Item::Node(node)] = input
                && let Some(key) = ev.model().identity(node) =>
        {
            if let Some((_, found)) = ev.env.descendants.borrow().iter().find(|(k, _)| *k == key) {
                return Ok(found.clone());
            }
            let found = children_or_descendants(ev, function, input)?;
            let mut kept = ev.env.descendants.borrow_mut();
            if kept.len() == KEPT_DESCENDANTS {
                kept.remove(0);
            }
            kept.push((key, found.clone()));
            found
        }
        F::Children | F::Descendants => children_or_descendants(ev, function, input)?,
        F::Trace => {
            // The trace itself goes nowhere; its arguments must still be valid.
            arg(0)?;
            input.to_vec()
        }
        F::Now => value(Value::DateTime(ev.now())),
        F::Today => {
            let now = ev.now();
            value(Value::Date(now.boundary(8, false, true).unwrap_or(now)))
        }
        F::TimeOfDay => value(Value::Time(time_now(&ev.now()))),
        F::Not => match ev.single_bool(input, &"the input of not()")? {
            Some(b) => boolean(!b),
            None => Vec::new(),
        },
        F::Aggregate => {
            let mut total = if args.len() > 1 { arg(1)? } else { Vec::new() };
            for (i, item) in input.iter().enumerate() {
                let this = std::slice::from_ref(item);
                let inner = Scope {
                    this,
                    index: Some(i as i64),
                    total: Some(&total),
                };
                total = ev.eval(args[0], this, &inner)?;
            }
            total
        }
        F::Sort => {
            let mut keyed = Vec::with_capacity(input.len());
            let mut descending = Vec::with_capacity(args.len().max(1));
            let keys: Vec<(NodeId, bool)> = args
                .iter()
                .map(|&a| match ev.expression.nodes()[a as usize] {
                    Node::Negate(inner) => (inner, true),
                    _ => (a, false),
                })
                .collect();
            descending.extend(keys.iter().map(|k| k.1));
            if keys.is_empty() {
                descending.push(false);
            }
            for (i, item) in input.iter().enumerate() {
                let mut key = Vec::with_capacity(keys.len().max(1));
                if keys.is_empty() {
                    key.push(ev.value_of(item));
                }
                for &(k, _) in &keys {
                    let this = std::slice::from_ref(item);
                    let inner = Scope {
                        this,
                        index: Some(i as i64),
                        total: scope.total,
                    };
                    key.push(ev.single_value(&ev.eval(k, this, &inner)?, &"a sort key")?);
                }
                keyed.push((key, item.clone()));
            }
            keyed.sort_by(|a, b| compare_keys(&a.0, &b.0, &descending));
            keyed.into_iter().map(|(_, item)| item).collect()
        }
        F::Type => input
            .iter()
            .map(|item| match item {
                Item::Value(v) => Item::Type {
                    namespace: "System",
                    name: v.type_name().to_owned(),
                },
                Item::Node(n) => Item::Type {
                    namespace: "FHIR",
                    name: ev.model().type_name(n).to_owned(),
                },
                Item::Type { .. } => Item::Type {
                    namespace: "System",
                    name: "TypeInfo".to_owned(),
                },
            })
            .collect(),
        F::LowBoundary | F::HighBoundary => {
            let high = function == F::HighBoundary;
            let digits = if args.is_empty() { None } else { int_arg(0)? };
            maybe(match number_input()? {
                None => None,
                Some(v) => boundary(&v, digits, high),
            })
        }
        F::Precision => maybe(match number_input()? {
            Some(Value::Decimal(d)) => Some(Value::Integer(i64::from(d.scale()))),
            Some(Value::Integer(_)) => Some(Value::Integer(0)),
            Some(Value::Date(d) | Value::DateTime(d)) => Some(Value::Integer(d.digits())),
            Some(Value::Time(t)) => Some(Value::Integer(t.digits())),
            _ => None,
        }),
        F::Comparable => {
            let other = ev.single_value(&arg(0)?, &"the argument of comparable()")?;
            match (number_input()?, other) {
                (Some(Value::Quantity(a)), Some(Value::Quantity(b))) => boolean(a.comparable(&b)),
                (None, _) | (_, None) => Vec::new(),
                _ => return error("comparable() needs Quantities"),
            }
        }
        F::Extension => {
            let Some(url) = string_arg(0)? else {
                return Ok(Vec::new());
            };
            let model = ev.model();
            let mut out = Vec::new();
            let mut extensions = Vec::new();
            let mut urls = Vec::new();
            for item in input {
                if let Item::Node(node) = item {
                    extensions.clear();
                    let _ = model.children(node, "extension", &mut extensions);
                    for extension in &extensions {
                        urls.clear();
                        let _ = model.children(extension, "url", &mut urls);
                        if urls
                            .iter()
                            .any(|u| model.value(u) == Some(Value::String(url.clone())))
                        {
                            out.push(Item::Node(extension.clone()));
                        }
                    }
                }
            }
            out
        }
        F::HasValue => match input {
            [Item::Node(node)] => boolean(ev.model().has_value(node)),
            _ => boolean(false),
        },
        F::GetValue => match input {
            [Item::Node(node)] => maybe(ev.model().value(node)),
            _ => Vec::new(),
        },
        F::Resolve => {
            let model = ev.model();
            let mut out = Vec::new();
            let mut parts = Vec::new();
            for item in input {
                let (from, reference) = match item {
                    Item::Node(node) => {
                        parts.clear();
                        let _ = model.children(node, "reference", &mut parts);
                        match parts
                            .first()
                            .and_then(|p| model.value(p))
                            .or_else(|| model.value(node))
                        {
                            Some(Value::String(s)) => (node, s),
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                if let Some(found) = model.resolve(from, &reference) {
                    out.push(Item::Node(found));
                }
            }
            out
        }
        F::ConformsTo => {
            let Some(url) = string_arg(0)? else {
                return Ok(Vec::new());
            };
            let base = url.strip_prefix("http://hl7.org/fhir/StructureDefinition/");
            match (base, ev.single(input, &"the input of conformsTo()")?) {
                (_, None) => Vec::new(),
                (Some(type_name), Some(Item::Node(node))) if ev.model().has_type(type_name) => {
                    let model = ev.model();
                    boolean(model.is_a(model.type_name(node), type_name))
                }
                _ => {
                    return unsupported(format!(
                        "conformsTo('{url}') needs the profile, which is not known here"
                    ));
                }
            }
        }
        F::HtmlChecks => match input {
            [Item::Node(node)] => match ev.model().html_checks(node) {
                Some(ok) => boolean(ok),
                None => {
                    return unsupported(
                        "htmlChecks() needs the narrative rules, which this model lacks",
                    );
                }
            },
            [] => Vec::new(),
            _ => return error("htmlChecks() needs one narrative"),
        },
        F::MemberOf => {
            let Some(value_set) = string_arg(0)? else {
                return Ok(Vec::new());
            };
            let Some(item) = ev.single(input, &"the input of memberOf()")? else {
                return Ok(Vec::new());
            };
            let codes = coded(ev, item);
            if codes.is_empty() {
                return Ok(boolean(false));
            }
            match ev.model().member_of(&value_set, &codes) {
                Some(found) => boolean(found),
                None => {
                    return unsupported(format!(
                        "memberOf('{value_set}') needs the value set's codes, which are not available here"
                    ));
                }
            }
        }
        F::Subsumes | F::SubsumedBy | F::ElementDefinition | F::Slice | F::CheckModifiers => {
            return unsupported(format!(
                "{name}() needs a terminology service or the profiles, which are not available here"
            ));
        }
        other => return error(format!("internal: {}() is not in this group", other.name())),
    })
}

/// The `(system, code)` pairs an item holds: a code or string (no system),
/// a Coding, or each Coding of a CodeableConcept.
fn coded<M: Model>(
    ev: &Evaluator<'_, '_, M>,
    item: &Item<M::Node>,
) -> Vec<(Option<String>, String)> {
    let model = ev.model();
    let text = |node: &M::Node, name: &str| {
        let mut parts = Vec::new();
        let _ = model.children(node, name, &mut parts);
        match parts.first().and_then(|p| model.value(p)) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    };
    let coding = |node: &M::Node| text(node, "code").map(|code| (text(node, "system"), code));
    match item {
        Item::Value(Value::String(code)) => vec![(None, code.clone())],
        Item::Node(node) => {
            let type_name = model.type_name(node);
            if let Some(Value::String(code)) = model.value(node) {
                vec![(None, code)]
            } else if model.is_a(type_name, "Coding") {
                coding(node).into_iter().collect()
            } else if model.is_a(type_name, "CodeableConcept") {
                let mut codings = Vec::new();
                let _ = model.children(node, "coding", &mut codings);
                codings.iter().filter_map(coding).collect()
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// A `toX()` (the converted value or empty) or `convertsToX()` (whether it
/// converts) on one input value.
fn convert<N>(
    converts: bool,
    input: Option<Value>,
    f: impl FnOnce(&Value) -> Option<Value>,
) -> Collection<N> {
    match input {
        None => Vec::new(),
        Some(v) => {
            let converted = f(&v);
            if converts {
                boolean(converted.is_some())
            } else {
                maybe(converted)
            }
        }
    }
}

fn to_boolean(v: &Value) -> Option<Value> {
    Some(Value::Boolean(match v {
        Value::Boolean(b) => *b,
        Value::Integer(1) => true,
        Value::Integer(0) => false,
        Value::Decimal(d) if *d == Decimal::ONE => true,
        Value::Decimal(d) if d.is_zero() => false,
        Value::String(s) => match s.to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => true,
            "false" | "f" | "no" | "n" | "0" | "0.0" => false,
            _ => return None,
        },
        _ => return None,
    }))
}

fn to_integer(v: &Value) -> Option<Value> {
    Some(Value::Integer(match v {
        Value::Integer(i) => *i,
        Value::Boolean(b) => i64::from(*b),
        Value::String(s) => {
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            i64::from(s.parse::<i32>().ok()?)
        }
        _ => return None,
    }))
}

fn to_decimal(v: &Value) -> Option<Value> {
    Some(Value::Decimal(match v {
        Value::Integer(i) => Decimal::from(*i),
        Value::Decimal(d) => *d,
        Value::Boolean(b) => {
            if *b {
                Decimal::new(10, 1)
            } else {
                Decimal::new(0, 1)
            }
        }
        Value::String(s) => parse_decimal(s)?,
        _ => return None,
    }))
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    if int.is_empty()
        || frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

fn to_quantity(v: &Value) -> Option<Quantity> {
    Some(match v {
        Value::Quantity(q) => q.clone(),
        Value::Integer(_) | Value::Decimal(_) => Quantity {
            value: v.decimal()?,
            unit: "1".to_owned(),
        },
        Value::Boolean(b) => Quantity {
            value: if *b {
                Decimal::new(10, 1)
            } else {
                Decimal::new(0, 1)
            },
            unit: "1".to_owned(),
        },
        Value::String(s) => {
            let s = s.trim();
            let (number, unit) = match s.find(' ') {
                Some(i) => (&s[..i], s[i + 1..].trim()),
                None => (s, ""),
            };
            let value = parse_decimal(number)?;
            let unit = if unit.is_empty() {
                "1".to_owned()
            } else if let Some(quoted) = unit.strip_prefix('\'').and_then(|u| u.strip_suffix('\''))
            {
                quoted.to_owned()
            } else if CALENDAR_UNITS.contains(&unit) {
                unit.to_owned()
            } else {
                return None;
            };
            Quantity { value, unit }
        }
        _ => return None,
    })
}

/// How many compiled patterns each thread keeps: constraints use a few
/// patterns over and over (compiling one costs far more than a match).
const REGEX_CACHE: usize = 64;

thread_local! {
    static REGEXES: std::cell::RefCell<Vec<(String, regex::Regex)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `matchesFull()`'s pattern as `matches()` takes it: anchored at both ends.
pub(crate) fn whole(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

/// Runs `f` on the compiled `pattern`, compiled once per thread (and lent,
/// not cloned: a clone of a `Regex` starts a cache of its own).
pub(crate) fn with_regex<R>(
    pattern: &str,
    f: impl FnOnce(&regex::Regex) -> R,
) -> Result<R, EvalError> {
    REGEXES.with_borrow_mut(|cache| {
        if let Some((_, found)) = cache.iter().find(|(p, _)| p == pattern) {
            return Ok(f(found));
        }
        let compiled = regex::RegexBuilder::new(pattern)
            .dot_matches_new_line(true)
            .size_limit(1 << 20)
            .build()
            .or_else(|e| error(format!("bad regular expression `{pattern}`: {e}")))?;
        if cache.len() == REGEX_CACHE {
            cache.remove(0);
        }
        let result = f(&compiled);
        cache.push((pattern.to_owned(), compiled));
        Ok(result)
    })
}

fn codec(function: Function, s: &str, format: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    Some(match (function, format) {
        (Function::Encode, "base64") => STANDARD.encode(s),
        (Function::Encode, "urlbase64") => URL_SAFE.encode(s),
        (Function::Encode, "hex") => s.bytes().map(|b| format!("{b:02x}")).collect(),
        (Function::Decode, "base64") => String::from_utf8(STANDARD.decode(s).ok()?).ok()?,
        (Function::Decode, "urlbase64") => String::from_utf8(URL_SAFE.decode(s).ok()?).ok()?,
        (Function::Decode, "hex") => {
            if !s.len().is_multiple_of(2) {
                return None;
            }
            let bytes: Option<Vec<u8>> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect();
            String::from_utf8(bytes?).ok()?
        }
        (Function::Escape, "html") => s
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;"),
        (Function::Unescape, "html") => s
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
        (Function::Escape, "json") => s.replace('\\', "\\\\").replace('"', "\\\""),
        (Function::Unescape, "json") => s.replace("\\\"", "\"").replace("\\\\", "\\"),
        _ => return None,
    })
}

/// `lowBoundary()` / `highBoundary()`: the least or greatest value a
/// decimal, quantity, date or time may stand for at its precision.
fn boundary(v: &Value, digits: Option<i64>, high: bool) -> Option<Value> {
    match v {
        Value::Integer(_) | Value::Decimal(_) => {
            decimal_boundary(v.decimal()?, digits, high).map(Value::Decimal)
        }
        Value::Quantity(q) => decimal_boundary(q.value, digits, high).map(|value| {
            Value::Quantity(Quantity {
                value,
                unit: q.unit.clone(),
            })
        }),
        Value::Date(d) => d.boundary(digits.unwrap_or(8), high, true).map(Value::Date),
        Value::DateTime(d) => d
            .boundary(digits.unwrap_or(17), high, false)
            .map(Value::DateTime),
        Value::Time(t) => t.boundary(digits.unwrap_or(9), high).map(Value::Time),
        _ => None,
    }
}

fn decimal_boundary(d: Decimal, digits: Option<i64>, high: bool) -> Option<Decimal> {
    let digits = digits.unwrap_or(8);
    if !(0..=28).contains(&digits) {
        return None;
    }
    let digits = digits as u32;
    if d.is_sign_negative() && !d.is_zero() {
        // The low boundary of -x is minus the high boundary of x.
        return decimal_boundary(-d, Some(i64::from(digits)), !high).map(|b| -b);
    }
    // Half a unit of the last digit; a decimal already at the 28 digits a
    // decimal can hold has no finer boundary.
    if d.scale() >= 28 {
        return None;
    }
    let half = Decimal::new(5, d.scale() + 1);
    let mut b = if high {
        d.checked_add(half)?
            .round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
    } else {
        d.checked_sub(half)?
            .round_dp_with_strategy(digits, RoundingStrategy::ToZero)
    };
    b.rescale(digits);
    Some(b)
}
