//! `src/constraints.rs` of a generated crate: every constraint of its types
//! or profiles, parsed and checked at generation and written out as
//! `static` data (the FHIRPath syntax tree as `const` nodes), with the
//! table of each type or profile and the type hierarchy. A program never
//! parses an expression.

use std::collections::HashMap;

use fhirgen_fhirpath::Expression;
use fhirgen_fhirpath::ast::{Literal, Node};
use fhirgen_fhirpath::temporal::{DateTime, Time};
use fhirgen_runtime::invariants::{Invariant, Rule, Severity};
use heck::ToShoutySnakeCase;
use proc_macro2::{Ident, Literal as Lit, TokenStream};
use quote::{format_ident, quote};

use crate::constraints::CrateConstraints;

/// The file's tokens. `base` is the catalog of the crate of base types a
/// profile crate builds on (`::fhir_r4::constraints::CATALOG`), `None` for
/// that crate itself.
pub fn constraints_rs(constraints: &CrateConstraints, base: Option<TokenStream>) -> TokenStream {
    // Each distinct rule once, named after its key (`EXT_1`, `US_CORE_6_2`).
    let mut rules: Vec<(Ident, &Rule, &str)> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut table_items = Vec::new();
    let mut slices = Vec::new();
    let mut arms = Vec::new();
    for (index, (table, entries)) in constraints.tables.iter().enumerate() {
        let mut items = Vec::new();
        for (invariant, source) in entries {
            let rule = match rules.iter().find(|(_, r, _)| same_rule(r, &invariant.rule)) {
                Some((name, _, _)) => name.clone(),
                None => {
                    let base = invariant.rule.key.to_shouty_snake_case();
                    let base = if base.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        base
                    } else {
                        format!("C_{base}")
                    };
                    let count = names.entry(base.clone()).or_default();
                    *count += 1;
                    let name = if *count == 1 {
                        format_ident!("{base}")
                    } else {
                        format_ident!("{base}_{count}")
                    };
                    rules.push((name.clone(), &invariant.rule, source));
                    name
                }
            };
            items.push(invariant_tokens(&rule, invariant, &mut slices));
        }
        let name = format_ident!("TABLE_{index}");
        let entries = format_ident!("TABLE_{index}_ENTRIES");
        let doc = format!(" The constraints of `{table}`.");
        table_items.push(quote! {
            #[doc = #doc]
            static #name: StaticTable = StaticTable::new(#entries);
            static #entries: &[Invariant] = &[#(#items),*];
        });
        arms.push(quote!(#table => &#name,));
    }
    let rule_items = rules.iter().map(|(name, rule, source)| {
        let key = rule.key.as_ref();
        let human = rule.human.as_ref();
        let severity = match rule.severity {
            Severity::Error => quote!(Severity::Error),
            Severity::Warning => quote!(Severity::Warning),
        };
        let nodes = format_ident!("{name}_NODES");
        let node_list = nodes_tokens(&rule.expression);
        let doc = format!(" `{key}`: `{}`", source.replace('`', "'"));
        quote! {
            #[doc = #doc]
            const #name: Rule = Rule {
                key: Cow::Borrowed(#key),
                severity: #severity,
                human: Cow::Borrowed(#human),
                expression: expression(#nodes),
            };
            const #nodes: &[Node<'static>] = &[#node_list];
        }
    });
    let catalog = match &base {
        Some(base) => quote! {
            /// The constraint tables of this crate's profiles, over those of the
            /// base types.
            pub static CATALOG: Catalog = Catalog::over(table, &#base);
        },
        None => {
            let bases = constraints
                .bases
                .iter()
                .map(|(name, base)| quote!((#name, #base)));
            let quiet = &constraints.quiet;
            quote! {
                /// The constraint tables of this crate's types, and the type hierarchy.
                pub static CATALOG: Catalog = Catalog::new(table, BASES, QUIET);

                /// Each type and the one it specializes, sorted by name.
                static BASES: &[(&str, &str)] = &[#(#bases),*];

                /// The types no table applies at or below when a document holds
                /// no extension (`Tables::quiet`), sorted.
                static QUIET: &[&str] = &[#(#quiet),*];
            }
        }
    };
    let table_fn = if arms.is_empty() {
        quote! {
            /// The table of a type or profile: this crate has none.
            fn table(_: &str) -> ::std::option::Option<&'static StaticTable> {
                ::std::option::Option::None
            }
        }
    } else {
        quote! {
            /// The table of a type (`Period`) or profile (by canonical URL).
            fn table(name: &str) -> ::std::option::Option<&'static StaticTable> {
                ::std::option::Option::Some(match name {
                    #(#arms)*
                    _ => return ::std::option::Option::None,
                })
            }
        }
    };
    quote! {
        use ::fhirgen_runtime::__private::constraints::*;

        #catalog

        #table_fn

        #(#table_items)*

        #(#slices)*

        #(#rule_items)*
    }
}

/// The README's section on constraints: how many, when they run, and the
/// ones that need what an offline program lacks.
pub fn readme_section(constraints: &CrateConstraints) -> String {
    let count: usize = constraints.tables.iter().map(|(_, t)| t.len()).sum();
    let mut text = format!(
        "\n## Constraints\n\n\
This crate holds {count} constraints (invariants) of {tables} types and profiles,\n\
parsed and type-checked at generation and written out as data\n\
(`src/constraints.rs`): a program never parses FHIRPath. Every read evaluates\n\
them over the values read: `from_json` fails on the first one of severity\n\
error that does not hold, `from_json_lenient` also returns those of severity\n\
warning as issues, and `check_constraints()` gives every finding (key,\n\
severity, the element's path, the constraint's words) of a value read with\n\
`from_json_unchecked` or built in code. `ele-1` (a value or children) is the\n\
reader's own rule and is not in the tables.\n",
        tables = constraints.tables.len()
    );
    if constraints.offline.is_empty() {
        text.push_str("\nEvery one of them can be evaluated offline.\n");
    } else {
        text.push_str(
            "\nThese need what an offline program may lack. A function that cannot be\n\
answered here (`memberOf()` a value set that does not expand, `conformsTo()`\n\
a profile, `subsumes()`) makes its constraint reported once per read as\n\
information (`not checked`), never passed over in silence; `resolve()`\n\
answers for contained resources and Bundle entries and gives nothing for\n\
other references, as a validator without a server does.\n\n\
| key | on | expression | why |\n| --- | --- | --- | --- |\n",
        );
        for (key, table, source, why) in &constraints.offline {
            let source = source.replace('|', "\\|").replace('`', "'");
            text.push_str(&format!("| `{key}` | `{table}` | `{source}` | {why} |\n"));
        }
    }
    text
}

fn same_rule(a: &Rule, b: &Rule) -> bool {
    a.key == b.key && a.severity == b.severity && a.human == b.human && a.expression == b.expression
}

/// One entry of a table; a slice's condition goes to `slices` as a const
/// of its own.
fn invariant_tokens(
    rule: &Ident,
    invariant: &Invariant,
    slices: &mut Vec<TokenStream>,
) -> TokenStream {
    let path = invariant.path.as_ref();
    let domain_resource = invariant.domain_resource;
    let slice = match &invariant.slice {
        Some(slice) => {
            let name = format_ident!("SLICE_{}", slices.len());
            let nodes = nodes_tokens(slice);
            slices.push(quote!(const #name: &[Node<'static>] = &[#nodes];));
            quote!(::std::option::Option::Some(expression(#name)))
        }
        None => quote!(::std::option::Option::None),
    };
    quote! {
        Invariant { rule: #rule, path: Cow::Borrowed(#path), domain_resource: #domain_resource, slice: #slice }
    }
}

/// An expression's nodes, as `const` constructor calls.
fn nodes_tokens(expression: &Expression<'_>) -> TokenStream {
    let nodes = expression.nodes().iter().map(node_tokens);
    quote!(#(#nodes),*)
}

fn id(id: u32) -> Lit {
    Lit::u32_unsuffixed(id)
}

fn target(target: Option<u32>) -> TokenStream {
    match target {
        Some(t) => {
            let t = id(t);
            quote!(Some(#t))
        }
        None => quote!(None),
    }
}

fn variant<T: std::fmt::Debug>(value: T) -> Ident {
    format_ident!("{}", format!("{value:?}"))
}

fn node_tokens(node: &Node<'_>) -> TokenStream {
    match node {
        Node::Empty => quote!(empty()),
        Node::This => quote!(this()),
        Node::Index => quote!(index()),
        Node::Total => quote!(total()),
        Node::Variable(name) => {
            let name = name.as_ref();
            quote!(variable(#name))
        }
        Node::Member { target: t, name } => {
            let (t, name) = (target(*t), name.as_ref());
            quote!(member(#t, #name))
        }
        Node::Call {
            target: t,
            function,
            args,
        } => {
            let t = target(*t);
            let function = variant(function);
            let args = args.iter().map(|a| id(*a));
            quote!(call(#t, Function::#function, &[#(#args),*]))
        }
        Node::Indexer { target: t, index } => {
            let (t, i) = (id(*t), id(*index));
            quote!(indexer(#t, #i))
        }
        Node::Negate(operand) => {
            let operand = id(*operand);
            quote!(negate(#operand))
        }
        Node::Binary { op, left, right } => {
            let (op, l, r) = (variant(op), id(*left), id(*right));
            quote!(binary(BinaryOp::#op, #l, #r))
        }
        Node::TypeTest {
            op,
            operand,
            type_name,
        } => {
            let (op, operand) = (variant(op), id(*operand));
            let name = type_name.name.as_ref();
            let namespace = match &type_name.namespace {
                Some(n) => {
                    let n = n.as_ref();
                    quote!(Some(#n))
                }
                None => quote!(None),
            };
            quote!(type_test(TypeOp::#op, #operand, #namespace, #name))
        }
        Node::Literal(literal) => literal_tokens(literal),
    }
}

/// `Decimal::from_parts` arguments for a decimal's mantissa and scale.
fn decimal_parts(signed: i128, scale: u32) -> TokenStream {
    let mantissa = signed.unsigned_abs();
    let (lo, mid, hi) = (
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
    );
    let negative = signed < 0;
    let (lo, mid, hi, scale) = (id(lo), id(mid), id(hi), id(scale));
    quote!(#lo, #mid, #hi, #negative, #scale)
}

fn literal_tokens(literal: &Literal<'_>) -> TokenStream {
    match literal {
        Literal::Boolean(b) => quote!(boolean(#b)),
        Literal::String(s) => {
            let s = s.as_ref();
            quote!(string(#s))
        }
        Literal::Integer(i) => {
            let i = Lit::i64_unsuffixed(*i);
            quote!(integer(#i))
        }
        Literal::Decimal(d) => {
            let parts = decimal_parts(d.mantissa(), d.scale());
            quote!(decimal(#parts))
        }
        Literal::Date(d) => {
            let d = date_time_tokens(d);
            quote!(date(#d))
        }
        Literal::DateTime(d) => {
            let d = date_time_tokens(d);
            quote!(date_time(#d))
        }
        Literal::Time(t) => {
            let t = time_tokens(t);
            quote!(time(#t))
        }
        Literal::Quantity { value, unit } => {
            let parts = decimal_parts(value.mantissa(), value.scale());
            let unit = unit.as_ref();
            quote!(quantity(#parts, #unit))
        }
    }
}

fn date_time_tokens(d: &DateTime) -> TokenStream {
    let DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        millisecond,
        precision,
        offset,
    } = *d;
    let precision = variant(precision);
    let offset = match offset {
        Some(o) => {
            let o = Lit::i16_unsuffixed(o);
            quote!(Some(#o))
        }
        None => quote!(None),
    };
    quote! {
        DateTime { year: #year, month: #month, day: #day, hour: #hour, minute: #minute, second: #second, millisecond: #millisecond, precision: Precision::#precision, offset: #offset }
    }
}

fn time_tokens(t: &Time) -> TokenStream {
    let Time {
        hour,
        minute,
        second,
        millisecond,
        precision,
    } = *t;
    let precision = variant(precision);
    quote! {
        Time { hour: #hour, minute: #minute, second: #second, millisecond: #millisecond, precision: Precision::#precision }
    }
}
