//! FHIR JSON speed on the 718 R4 examples, in one run: parsing into
//! `serde_json::Value` (the yardstick), our typed read into `fhir_r4::Resource`,
//! and our write. Divan prints MB/s and resources/s for each.
//!
//! `cargo bench -p fhirgen-e2e --bench r4_json`

use std::path::Path;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use fhir_r4::Resource;
use fhirgen::package::{Package, packages_folder};

fn main() {
    divan::main();
}

/// The examples that are valid R4 (two are not; see tests/r4_roundtrip.rs).
static EXAMPLES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let archive = packages_folder(root).join("hl7.fhir.r4.examples-4.0.1.tgz");
    let package = Package::from_archive(&archive).unwrap();
    package
        .resources()
        .iter()
        .map(|entry| package.read(&entry.filename).unwrap().into_owned())
        .filter(|bytes| Resource::from_json(bytes).is_ok())
        .collect()
});

static PARSED: LazyLock<Vec<Resource>> = LazyLock::new(|| {
    EXAMPLES
        .iter()
        .map(|bytes| Resource::from_json(bytes).unwrap())
        .collect()
});

fn counters<'a, 'b>(bencher: Bencher<'a, 'b>) -> Bencher<'a, 'b> {
    let bytes: usize = EXAMPLES.iter().map(Vec::len).sum();
    bencher
        .counter(BytesCount::new(bytes))
        .counter(ItemsCount::new(EXAMPLES.len()))
}

#[divan::bench(sample_count = 40)]
fn serde_json_value(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(serde_json::from_slice::<serde_json::Value>(bytes).unwrap());
        }
    });
}

#[divan::bench(sample_count = 40)]
fn fhir_r4_read(bencher: Bencher<'_, '_>) {
    counters(bencher).bench(|| {
        for bytes in EXAMPLES.iter() {
            divan::black_box(Resource::from_json(bytes).unwrap());
        }
    });
}

#[divan::bench(sample_count = 40)]
fn fhir_r4_write(bencher: Bencher<'_, '_>) {
    LazyLock::force(&PARSED);
    counters(bencher).bench(|| {
        for resource in PARSED.iter() {
            divan::black_box(resource.to_json());
        }
    });
}
