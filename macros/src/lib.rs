//! Proc-macros that make FHIR profile rules compile-time facts (cardinality,
//! Must Support, required bindings, fixed values).
//!
//! Nothing is exported yet: the macros arrive with the compile-time rules
//! (see the README's roadmap). The crate exists so that the workspace has its
//! final shape and its build is checked from the start.
