//! FHIR search and SMART App Launch scopes, from an IG's own definitions.
//!
//! - [`definition`]: the SearchParameters of a package set, by resource
//!   type and code ([`Registry`]), and CompartmentDefinitions.
//! - [`query`]: a query string read into a typed [`Search`] (the server's
//!   side, refusing what the definitions do not allow with an
//!   OperationOutcome) and written back (the client's).
//! - [`value`]: the values of each type of parameter, with FHIR's escapes.
//! - [`matching`]: whether a resource matches a search, through each
//!   parameter's FHIRPath expression and FHIR's rules per type.
//! - [`smart`]: SMART v1 and v2 scopes and the decision whether a request
//!   is permitted.
//! - [`typed`]: what the generated crates' typed searches share (the
//!   modifiers of each type of parameter).

pub mod definition;
pub mod matching;
pub mod query;
pub mod smart;
pub mod typed;
pub mod value;

pub use definition::{
    Compartment, Component, ParamType, Registry, SearchIndex, SearchParameter, StaticParameter,
};
pub use matching::Matcher;
pub use query::{
    Criterion, Handling, Include, IssueType, Link, Modifier, ResultParameters, Search, SearchError,
    Sort,
};
pub use smart::{
    Authorizer, Context, Interaction, Permissions, Request, Scope, ScopeError, Scopes,
};
pub use typed::{NoParam, ParamCode, TypedSearch};
pub use value::{Date, Number, Prefix, QuantityValue, SearchValue, Token};
