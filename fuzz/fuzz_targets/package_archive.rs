//! The package archive reader on any bytes: no panic, memory bounded by
//! its limits (small ones here, so that the fuzzer's memory cap is never
//! the first to notice); what it reads becomes a package or a clean error.
#![no_main]

use std::path::Path;

use fhirgen::package::{ArchiveLimits, Package, read_archive_from};
use libfuzzer_sys::fuzz_target;

const LIMITS: ArchiveLimits = ArchiveLimits {
    entry_bytes: 8 << 20,
    total_bytes: 32 << 20,
    entries: 10_000,
};

fuzz_target!(|data: &[u8]| {
    let label = Path::new("fuzz.tgz");
    if let Ok(files) = read_archive_from(data, label, &LIMITS) {
        for name in files.keys() {
            assert!(!name.contains(".."), "escaping path kept: {name}");
        }
        if let Ok(package) = Package::from_files(files, label) {
            let _ = package.id();
        }
    }
});
