//! Property tests: values of the generated types, made up by proptest
//! (any text in strings, decimals of any size and exponent, dates at every
//! precision, extensions in extensions), write to FHIR JSON that reads back
//! to the same value; and for every R4 and US Core example, read-write-read
//! gives the same bytes as read-write.

mod common;

use fhir_r4::{AdministrativeGender, Extension, ExtensionValue, HumanName, Patient, Resource};
use fhirgen_runtime::{Date, Decimal};
use proptest::prelude::*;

/// A FHIR string: any characters but the control characters R4 forbids,
/// with something other than white space (R4: `[ \r\n\t\S]+`).
fn fhir_string() -> impl Strategy<Value = String> {
    "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}]{1,24}"
        .prop_filter("not only white space", |s| !s.trim().is_empty())
}

/// A decimal as R4's grammar allows it, far beyond what `f64` holds.
fn decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<bool>(),
        "(0|[1-9][0-9]{0,30})",
        proptest::option::of("[0-9]{1,20}"),
        proptest::option::of((any::<bool>(), 0u32..999_999)),
    )
        .prop_map(|(negative, whole, fraction, exponent)| {
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            text.push_str(&whole);
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            if let Some((down, power)) = exponent {
                text.push_str(if down { "e-" } else { "e" });
                text.push_str(&power.to_string());
            }
            text.parse().unwrap_or_else(|e| panic!("{text}: {e:?}"))
        })
}

/// A date at year, month or day precision.
fn date() -> impl Strategy<Value = Date> {
    (1u32..=9999, 1u32..=12, 1u32..=28, 0..3).prop_map(|(year, month, day, precision)| {
        let text = match precision {
            0 => format!("{year:04}"),
            1 => format!("{year:04}-{month:02}"),
            _ => format!("{year:04}-{month:02}-{day:02}"),
        };
        text.parse().unwrap()
    })
}

/// Extensions with string, decimal or date values, or extensions of their
/// own, up to four levels.
fn extension() -> impl Strategy<Value = Extension> {
    let leaf = prop_oneof![
        fhir_string().prop_map(|s| ExtensionValue::String(s.into())),
        decimal().prop_map(|d| ExtensionValue::Decimal(d.into())),
        date().prop_map(|d| ExtensionValue::Date(d.into())),
    ]
    .prop_map(|value| {
        Extension::builder()
            .url("http://example.org/fhir/StructureDefinition/leaf")
            .value(value)
            .build()
    });
    leaf.prop_recursive(4, 24, 3, |inner| {
        proptest::collection::vec(inner, 1..3).prop_map(|children| {
            Extension::builder()
                .url("http://example.org/fhir/StructureDefinition/outer")
                .extension(children)
                .build()
        })
    })
}

fn gender() -> impl Strategy<Value = AdministrativeGender> {
    prop_oneof![
        Just(AdministrativeGender::Male),
        Just(AdministrativeGender::Female),
        Just(AdministrativeGender::Other),
        Just(AdministrativeGender::Unknown),
    ]
}

fn patient() -> impl Strategy<Value = Patient> {
    (
        proptest::collection::vec(
            (
                proptest::option::of(fhir_string()),
                proptest::collection::vec(fhir_string(), 0..3),
            ),
            0..3,
        ),
        proptest::option::of(gender()),
        proptest::option::of(date()),
        proptest::collection::vec(extension(), 0..3),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(names, gender, birth_date, extensions, active)| {
            let names = names
                .into_iter()
                .filter(|(family, given)| family.is_some() || !given.is_empty())
                .map(|(family, given)| {
                    let mut name = HumanName::builder()
                        .given(given.into_iter().map(Into::into))
                        .build();
                    name.family = family.map(Into::into);
                    name
                });
            let mut patient = Patient::builder().name(names).extension(extensions).build();
            patient.gender = gender.map(Into::into);
            patient.birth_date = birth_date.map(Into::into);
            patient.active = active.map(Into::into);
            patient
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_patient_written_reads_back_the_same(patient in patient()) {
        let json = Resource::from(patient.clone()).to_json();
        let read = Patient::from_json(&json)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)));
        prop_assert_eq!(&read, &patient);
        prop_assert_eq!(Resource::from(read).to_json(), json);
    }

    #[test]
    fn a_decimal_keeps_its_text(value in decimal()) {
        let text = value.to_string();
        let json = format!(r#"{{"resourceType":"Observation","status":"final","code":{{"text":"x"}},"valueQuantity":{{"value":{text}}}}}"#);
        let read = Resource::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(String::from_utf8(read.to_json()).unwrap(), json);
    }
}

/// Every example of R4 and of the US Core versions: written once, read
/// again and written again, the bytes are the same.
#[test]
fn read_write_read_is_stable_for_every_example() {
    let mut checked = 0;
    for id in [
        "hl7.fhir.r4.examples@4.0.1",
        "hl7.fhir.us.core@3.1.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.core@7.0.0",
    ] {
        let set = common::load(id);
        let package = set.root();
        let entries: Vec<_> = if id.contains("r4.examples") {
            package.resources().iter().collect()
        } else {
            package.examples().iter().collect()
        };
        for entry in entries {
            let bytes = package.read(&entry.filename).unwrap();
            let Ok(resource) = Resource::from_json_unchecked(&bytes) else {
                continue;
            };
            let written = resource.to_json();
            let again = Resource::from_json_unchecked(&written)
                .unwrap_or_else(|e| panic!("{id} {}: {e}", entry.filename));
            assert_eq!(again.to_json(), written, "{id} {}", entry.filename);
            assert_eq!(again, resource, "{id} {}", entry.filename);
            checked += 1;
        }
    }
    assert!(checked > 1_000, "{checked}");
    println!("read-write-read: {checked} examples stable");
}
