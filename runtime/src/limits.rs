//! How deep FHIR JSON may nest: one limit for reading (typed values and
//! [`crate::tree::Json`]), comparing ([`crate::first_difference`]), checking
//! constraints and walking Bundles in Bundles, so that every entry point gives
//! the same verdict on the same input and none can overflow its stack.
//!
//! Depth counts JSON levels, objects and arrays alike, as JSON parsers do: a
//! resource is level 1, `Patient.extension` level 2, `Patient.extension[0]`
//! level 3. FHIR's deepest real structures (Questionnaire items in items,
//! extensions in extensions, Bundles in Bundles) stay far below the default.
//! At the default, every read, write, comparison and check fits in a thread of
//! 2 MB of stack (the default of spawned threads; the tests prove it).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The default limit: 200 levels of objects and arrays.
pub const DEFAULT_MAX_DEPTH: usize = 200;

/// The highest limit [`set_max_depth`] accepts. Each level takes a few
/// kilobytes of stack; at this depth a thread needs about 16 MB.
pub const MAX_DEPTH_CEILING: usize = 1000;

static MAX_DEPTH: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_DEPTH);

/// The nesting limit in effect for the whole process.
pub fn max_depth() -> usize {
    MAX_DEPTH.load(Ordering::Relaxed)
}

/// Sets the nesting limit of the process (readers made from now on use it);
/// at least 2, at most [`MAX_DEPTH_CEILING`]. Returns the limit now in effect.
/// Raise it only for threads with the stack to match.
pub fn set_max_depth(depth: usize) -> usize {
    let depth = depth.clamp(2, MAX_DEPTH_CEILING);
    MAX_DEPTH.store(depth, Ordering::Relaxed);
    depth
}

/// The message of input nested beyond the limit.
pub fn too_deep_message(limit: usize) -> String {
    format!(
        "objects and arrays nested deeper than {limit} levels (no FHIR resource needs that many)"
    )
}
