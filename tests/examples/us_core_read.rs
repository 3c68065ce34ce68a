//! Reads the US Core 6.1.0 examples (as the `us_core_json` benchmark does)
//! into the profile types, into `serde_json::Value` (`serde`) or into the
//! base R4 types (`base`), many times: a fixed workload for callgrind / perf.
//!
//! `valgrind --tool=callgrind --toggle-collect='*_pass*' target/release/examples/us_core_read [profile|unchecked|serde|base] [ROUNDS] [TEXT]`
//!
//! With `TEXT`, only the examples whose JSON contains it (`"resourceType":"Practitioner"`).
use us_core_6_1_0::ProfiledResource;

#[path = "../workloads/us_core_examples.rs"]
mod us_core_examples;

fn main() {
    let mut examples = us_core_examples::claimed_examples();
    if let Some(text) = std::env::args().nth(3) {
        examples.retain(|bytes| {
            bytes
                .windows(text.len())
                .any(|window| window == text.as_bytes())
        });
    }
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let mut count = 0;
    for _ in 0..rounds {
        count += match mode.as_str() {
            "serde" => serde_pass(&examples),
            "base" => base_pass(&examples),
            "unchecked" => unchecked_pass(&examples),
            _ => profile_pass(&examples),
        };
    }
    println!("{count}");
}

#[inline(never)]
fn profile_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(ProfiledResource::from_json(b)).is_ok())
        .count()
}

/// The profile read without evaluating the constraints.
#[inline(never)]
fn unchecked_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(ProfiledResource::from_json_unchecked(b)).is_ok())
        .count()
}

#[inline(never)]
fn serde_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(serde_json::from_slice::<serde_json::Value>(b)).is_ok())
        .count()
}

#[inline(never)]
fn base_pass(examples: &[Vec<u8>]) -> usize {
    examples
        .iter()
        .filter(|b| std::hint::black_box(fhir_r4::Resource::from_json(b)).is_ok())
        .count()
}
