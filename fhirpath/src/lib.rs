//! A FHIRPath 2.0 engine, as FHIR R4 uses it: [`parse`] an expression
//! once, then evaluate it with an [`Environment`] over any data that
//! implements [`Model`] (the engine itself knows no FHIR type).
//!
//! ```
//! use fhirgen_fhirpath::{parse, Environment, Item, Value, model::NoData};
//!
//! let expression = parse("(1 | 2 | 3).where($this > 1).count()").unwrap();
//! let result = Environment::new(&NoData).evaluate(&expression, Vec::new()).unwrap();
//! assert!(matches!(result.as_slice(), [Item::Value(Value::Integer(2))]));
//! ```

pub mod ast;
pub mod check;
mod eval;
mod functions;
pub mod model;
mod parser;
mod predicate;
pub mod temporal;
mod ucum;
mod value;

pub use ast::Expression;
pub use check::{CheckError, CheckOptions, Lookup, Types, check};
pub use eval::{Collection, Environment, EvalError, Item, MAX_ITEMS};
pub use model::{Identity, Model};
pub use parser::{MAX_DEPTH, ParseError, parse};
pub use predicate::Predicate;
pub use value::{Quantity, Value, write_json_string};
