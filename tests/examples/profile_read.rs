//! Reads the R4 examples many times, for a profiler.
use fhir_r4::Resource;
use fhirgen::package::{Package, packages_folder};
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let package =
        Package::from_archive(&packages_folder(root).join("hl7.fhir.r4.examples-4.0.1.tgz"))
            .unwrap();
    let examples: Vec<Vec<u8>> = package
        .resources()
        .iter()
        .map(|e| package.read(&e.filename).unwrap().into_owned())
        .filter(|b| Resource::from_json(b).is_ok())
        .collect();
    let mut count = 0;
    for _ in 0..30 {
        for bytes in &examples {
            count += Resource::from_json(bytes).map(|_| 1).unwrap_or(0);
        }
    }
    println!("{count}");
}
