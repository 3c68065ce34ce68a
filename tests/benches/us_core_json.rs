//! Parse + validate of the US Core 6.1.0 examples (and Bundle entries, one by
//! one) into the profile types, in one run next to `serde_json::Value`
//! parsing of the same bytes. Divan prints MB/s and resources/s for each.
//! A profile read checks the profile while it reads: cardinality, fixed
//! values and patterns, slices, required bindings; then it evaluates every
//! constraint (invariant) of the resource's type and profile.
//!
//! `cargo bench -p fhirgen-e2e --bench us_core_json`

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use us_core_6_1_0::ProfiledResource;

fn main() {
    divan::main();
}

#[path = "../workloads/us_core_examples.rs"]
mod us_core_examples;

/// The examples that claim a US Core 6.1.0 profile.
static EXAMPLES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(us_core_examples::claimed_examples);

fn counters<'a, 'b>(bencher: Bencher<'a, 'b>) -> Bencher<'a, 'b> {
    let bytes: usize = EXAMPLES.iter().map(Vec::len).sum();
    bencher
        .counter(BytesCount::new(bytes))
        .counter(ItemsCount::new(EXAMPLES.len()))
}

#[divan::bench(sample_count = 100)]
fn serde_json_value(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(serde_json::from_slice::<serde_json::Value>(bytes).unwrap());
        }
    });
}

#[divan::bench(sample_count = 100)]
fn us_core_profile_read(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(ProfiledResource::from_json(bytes).unwrap());
        }
    });
}

/// The profile read without its constraints (`from_json_unchecked`): what
/// evaluating them costs is the difference.
#[divan::bench(sample_count = 100)]
fn us_core_profile_read_unchecked(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(ProfiledResource::from_json_unchecked(bytes).unwrap());
        }
    });
}

/// The same bytes into the base R4 types (no profile checks), for scale.
#[divan::bench(sample_count = 100)]
fn fhir_r4_read(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(fhir_r4::Resource::from_json(bytes).unwrap());
        }
    });
}
