//! US Core 6.1.0 Patient and Observation Lab, generated at build time by
//! `fhirgen::build` (see build.rs): the profile types, the extensions and
//! parent profiles they use, their code enums and a `ProfiledResource`
//! dispatcher over them.

include!(concat!(env!("OUT_DIR"), "/fhir_profiles.rs"));
