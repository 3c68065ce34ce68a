//! One verdict on any bytes: the R4 types (`fhir_r4::Resource`, what the
//! crates and `fhirgen roundtrip` read with) and the R4 rules as data
//! (`fhirgen::shapes`, what `fhirgen validate` reads with) accept the same
//! inputs and refuse the others with the same error at the same path,
//! strict and lenient.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use fhirgen::package::{Catalog, LoadOptions, Loader, packages_folder};
use fhirgen_runtime::shape::Shapes;
use libfuzzer_sys::fuzz_target;

/// The shapes of R4's types, from `$FHIR_PACKAGES` (else the shared folder
/// beside the repository), loaded once.
fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<&'static Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut catalog = Catalog::new();
        catalog.add_path(&packages_folder(root)).unwrap();
        let core = "hl7.fhir.r4.core@4.0.1".parse().unwrap();
        let set = Loader::new(catalog, LoadOptions::default())
            .load(&core)
            .unwrap();
        fhirgen::shapes::base_shapes(&set, &core).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let shapes = shapes();
    let typed = fhir_r4::Resource::from_json_unchecked(data).map(|_| ());
    let as_data = shapes.read(data, false).map(|_| ());
    match (&typed, &as_data) {
        (Ok(()), Ok(())) => {}
        (Err(a), Err(b)) => assert_eq!(
            (&a.path, &a.message),
            (&b.path, &b.message),
            "the two readers refuse for different reasons"
        ),
        _ => panic!("one reader accepts, the other does not: {typed:?} / {as_data:?}"),
    }
    let typed = fhir_r4::Resource::from_json_lenient(data).map(|_| ());
    let as_data = shapes.read(data, true).map(|_| ());
    // A lenient typed read also walks the constraints (an error-severity one
    // fails it, as does a Bundle entry's fullUrl that bundle.html forbids,
    // issue type invalid); the shapes read is structure only: compare
    // structure.
    if let (Err(a), Ok(_)) = (&typed, &as_data) {
        let walked = a.code == fhirgen_runtime::IssueCode::Invariant
            || (a.code == fhirgen_runtime::IssueCode::Invalid && a.path.ends_with(".fullUrl"));
        assert!(
            walked,
            "a lenient typed read refused what the lenient shapes read took: {a:?}"
        );
    }
    if let (Ok(()), Err(b)) = (&typed, &as_data) {
        panic!("a lenient shapes read refused what the lenient typed read took: {b:?}");
    }
});
