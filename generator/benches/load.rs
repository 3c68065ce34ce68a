//! How long it takes to load R4 core + US Core 6.1.0 from their archives and
//! resolve every US Core profile's snapshot (target: under 1 s in release).
//!
//! Run with `cargo bench -p fhirgen --bench load`; the packages come from
//! `FHIR_PACKAGES` (default `../shared/fhir-packages`).

use std::path::{Path, PathBuf};

use fhirgen::conformance::StructureDefinition;
use fhirgen::inspect::ProfileView;
use fhirgen::package::{Catalog, LoadOptions, Loader, PackageSet};
use fhirgen::terminology::Expander;

fn main() {
    divan::main();
}

fn packages() -> PathBuf {
    fhirgen::package::packages_folder(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
}

fn load_us_core_6() -> PackageSet {
    let mut catalog = Catalog::new();
    catalog.add_path(&packages()).unwrap();
    Loader::new(catalog, LoadOptions::default())
        .load(&"hl7.fhir.us.core@6.1.0".parse().unwrap())
        .unwrap()
}

/// Inflating and indexing both archives, nothing parsed.
#[divan::bench(sample_count = 10)]
fn load_packages() -> PackageSet {
    load_us_core_6()
}

/// Load, then parse every US Core StructureDefinition and its chain of base
/// definitions down to the R4 resource, reading each snapshot. (One chain,
/// us-core-questionnaireresponse's, ends early: its base lives in the SDC
/// package, which is not among the shared packages.)
#[divan::bench(sample_count = 10)]
fn load_and_resolve_every_us_core_snapshot() -> usize {
    let set = load_us_core_6();
    let mut elements = 0;
    let profiles: Vec<_> = set
        .resources_of_type("StructureDefinition")
        .filter(|&r| set.package_of(r).id() == set.root().id())
        .collect();
    for profile in profiles {
        let mut definition = set.parse::<StructureDefinition>(profile).unwrap();
        loop {
            elements += definition.snapshot_elements().unwrap().len();
            let Some(base) = definition.base_definition.clone() else {
                break;
            };
            match set.resolve_as::<StructureDefinition>(&base) {
                Ok(parent) => definition = parent,
                Err(fhirgen::Error::NotFound { .. }) => break,
                Err(other) => panic!("{other}"),
            }
        }
    }
    elements
}

/// Load, then build the `inspect` view of every US Core profile, which
/// expands every bound value set as well.
#[divan::bench(sample_count = 10)]
fn load_and_inspect_every_us_core_profile() -> usize {
    let set = load_us_core_6();
    let expander = Expander::new(&set);
    let profiles: Vec<_> = set
        .resources_of_type("StructureDefinition")
        .filter(|&r| set.package_of(r).id() == set.root().id())
        .collect();
    profiles
        .into_iter()
        .map(|p| {
            ProfileView::build(&set, &expander, p)
                .unwrap()
                .elements
                .len()
        })
        .sum()
}
