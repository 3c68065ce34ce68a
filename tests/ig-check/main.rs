//! Reads every example of one implementation guide through the crate
//! `fhirgen generate` made of it: each must read strictly into the crate's
//! `ProfiledResource` (the type of the profile its `meta.profile` names) and
//! write back unchanged. `scripts/check-igs.sh` builds one such program per
//! IG, with the generated crate as the dependency `ig`.
//!
//! Arguments: the IG's name for the report, then the example files. Prints one
//! line per example that fails (`FILE<TAB>what`), then the counts (those read
//! into a profile's type claim one of the crate's profiles in `meta.profile`;
//! the others are read into the base R4 type).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(label) = args.next() else {
        eprintln!("usage: ig-check LABEL FILE...");
        return ExitCode::from(2);
    };
    let (mut total, mut read, mut profiled, mut unchanged) = (0, 0, 0, 0);
    for path in args {
        total += 1;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!("{name}\tcannot be read: {e}");
                continue;
            }
        };
        let resource = match ig::ProfiledResource::from_json(&bytes) {
            Ok(resource) => resource,
            Err(error) => {
                println!("{name}\tread: {error}");
                continue;
            }
        };
        read += 1;
        if resource.profile().is_some() {
            profiled += 1;
        }
        let written = resource.to_json();
        match fhirgen_runtime::first_difference(&bytes, &written, resource.resource_type()) {
            Ok(None) => unchanged += 1,
            Ok(Some(at)) => println!("{name}\twritten back differently at {at}"),
            Err(error) => println!("{name}\twritten back unreadable: {error}"),
        }
    }
    println!(
        "{label}: {total} examples, {read} read strictly ({profiled} into a profile's type), {unchanged} written back unchanged"
    );
    ExitCode::SUCCESS
}
