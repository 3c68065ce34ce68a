//! Hostile input: nesting as deep as an attacker likes, in every entry point
//! of every crate, on a thread of 2 MB of stack (the default of spawned
//! threads). Just under the limit everything works; beyond it every entry
//! point gives the same clean error at the element's path, never a crash.

mod common;

use std::sync::OnceLock;

use fhirgen_fhirpath::{Collection, Environment, Item};
use fhirgen_runtime::fhirpath::FhirJson;
use fhirgen_runtime::invariants::Invariants;
use fhirgen_runtime::limits::{DEFAULT_MAX_DEPTH, max_depth};
use fhirgen_runtime::shape::Shapes;
use fhirgen_runtime::tree::Json;

/// The stack of the threads these tests run on: 2 MB, the default of spawned
/// threads, in an optimised build (CI runs this test with `--release` too).
/// Unoptimised code keeps every local of a function in its own stack slot,
/// which makes frames several times larger: 8 MB there.
const STACK: usize = if cfg!(debug_assertions) {
    8 << 20
} else {
    2 << 20
};

/// Runs `f` on a thread with [`STACK`] bytes of stack; a stack overflow
/// would abort the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// A Patient (US Core 6.1.0's, with what it requires) holding `levels`
/// extensions nested in one another: 1 + 2 x levels JSON levels.
fn nested_extensions(levels: usize) -> String {
    let mut extension = r#"{"url":"http://example.org/leaf","valueString":"leaf"}"#.to_owned();
    for _ in 0..levels {
        extension = format!(r#"{{"url":"http://example.org/outer","extension":[{extension}]}}"#);
    }
    format!(
        r#"{{"resourceType":"Patient","meta":{{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]}},"extension":[{extension}],"identifier":[{{"system":"http://example.org/mrn","value":"1"}}],"name":[{{"family":"Deep","given":["Nest"]}}],"gender":"unknown"}}"#
    )
}

/// A Questionnaire with `levels` items in items: 1 + 2 x levels JSON levels.
fn nested_items(levels: usize) -> String {
    let mut item = r#"{"linkId":"leaf","type":"string"}"#.to_owned();
    for level in 0..levels {
        item = format!(r#"{{"linkId":"g{level}","type":"group","item":[{item}]}}"#);
    }
    format!(r#"{{"resourceType":"Questionnaire","status":"active","item":[{item}]}}"#)
}

/// `levels` Bundles in Bundles around a Patient: 1 + 3 x levels JSON levels.
fn nested_bundles(levels: usize) -> String {
    let mut resource = r#"{"resourceType":"Patient","id":"p"}"#.to_owned();
    for level in 0..levels {
        resource = format!(
            r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"fullUrl":"urn:uuid:{level:08x}-0000-4000-8000-000000000000","resource":{resource}}}]}}"#
        );
    }
    resource
}

/// The deepest nestings of each kind that stay within the default limit,
/// and their resource types.
fn just_within() -> Vec<(&'static str, String)> {
    assert_eq!(max_depth(), DEFAULT_MAX_DEPTH);
    // The innermost object of n extensions (items) nested is at level
    // 2n + 3; that of n Bundles at level 3n + 1.
    let (in_pairs, in_bundles) = ((DEFAULT_MAX_DEPTH - 3) / 2, (DEFAULT_MAX_DEPTH - 1) / 3);
    vec![
        ("Patient", nested_extensions(in_pairs)),
        ("Questionnaire", nested_items(in_pairs)),
        ("Bundle", nested_bundles(in_bundles)),
    ]
}

/// Nestings an attacker would send: far beyond the limit.
fn far_beyond() -> Vec<(&'static str, String)> {
    vec![
        ("Patient", nested_extensions(5_000)),
        ("Questionnaire", nested_items(5_000)),
        ("Bundle", nested_bundles(5_000)),
    ]
}

/// The error every entry point gives beyond the limit: the limit, and the
/// path from the resource down to where it was crossed.
fn assert_too_deep(what: &str, resource_type: &str, message: &str) {
    let said = format!("objects and arrays nested deeper than {DEFAULT_MAX_DEPTH} levels");
    assert!(message.contains(&said), "{what}: {message}");
    let child = match resource_type {
        "Patient" => "Patient.extension[0].extension[0]",
        "Questionnaire" => "Questionnaire.item[0].item[0]",
        _ => "Bundle.entry[0].resource.entry[0].resource",
    };
    assert!(message.contains(child), "{what}: {message}");
}

#[test]
fn the_r4_types_read_write_check_and_compare_deep_input_on_a_small_stack() {
    for (resource_type, json) in just_within() {
        on_small_stack(move || {
            let resource = fhir_r4::Resource::from_json(json.as_bytes())
                .unwrap_or_else(|e| panic!("{resource_type}: {e}"));
            let (_, issues) = fhir_r4::Resource::from_json_lenient(json.as_bytes()).unwrap();
            // dom-6 (no narrative) at most, a warning.
            assert!(
                issues
                    .iter()
                    .all(|i| i.code == fhirgen_runtime::IssueCode::Invariant),
                "{issues:?}"
            );
            assert!(
                resource
                    .check_constraints()
                    .iter()
                    .all(|f| f.severity != Some(fhirgen_runtime::invariants::Severity::Error))
            );
            let written = resource.to_json();
            let difference =
                fhirgen_runtime::first_difference(json.as_bytes(), &written, resource_type)
                    .unwrap();
            assert_eq!(difference, None, "{resource_type}");
            drop(resource);
        });
    }
    for (resource_type, json) in far_beyond() {
        on_small_stack(move || {
            let bytes = json.as_bytes();
            let strict = fhir_r4::Resource::from_json(bytes).unwrap_err();
            assert_too_deep("from_json", resource_type, &strict.to_string());
            let lenient = fhir_r4::Resource::from_json_lenient(bytes).unwrap_err();
            assert_too_deep("from_json_lenient", resource_type, &lenient.to_string());
            let unchecked = fhir_r4::Resource::from_json_unchecked(bytes).unwrap_err();
            assert_too_deep("from_json_unchecked", resource_type, &unchecked.to_string());
            let compared =
                fhirgen_runtime::first_difference(bytes, bytes, resource_type).unwrap_err();
            assert_too_deep("first_difference", resource_type, &compared.to_string());
        });
    }
}

#[test]
fn a_lenient_read_counts_the_levels_of_what_it_skips() {
    // An unknown property is skipped by a lenient read; its nesting counts.
    let deep = format!(
        r#"{{"resourceType":"Patient","unknown":{}1{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    on_small_stack(move || {
        let error = fhir_r4::Resource::from_json_lenient(deep.as_bytes()).unwrap_err();
        assert!(
            error.to_string().contains("nested deeper than 200 levels"),
            "{error}"
        );
        assert!(error.to_string().starts_with("Patient.unknown"), "{error}");
    });
}

#[test]
fn the_us_core_profile_types_read_deep_input_on_a_small_stack() {
    let within = nested_extensions((DEFAULT_MAX_DEPTH - 3) / 2);
    let beyond = nested_extensions(5_000);
    on_small_stack(move || {
        let read = us_core_6_1_0::ProfiledResource::from_json(within.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            read,
            us_core_6_1_0::ProfiledResource::UsCorePatientProfile(_)
        ));
        let error = us_core_6_1_0::ProfiledResource::from_json(beyond.as_bytes()).unwrap_err();
        assert_too_deep("ProfiledResource", "Patient", &error.to_string());
        let error =
            us_core_7_0_0::ProfiledResource::from_json_lenient(beyond.as_bytes()).unwrap_err();
        assert_too_deep("ProfiledResource (7.0.0)", "Patient", &error.to_string());
        // The crate's rule tables, as `rules::check_claimed` runs them.
        let (findings, checked) = us_core_6_1_0::rules::check_claimed(within.as_bytes());
        assert_eq!(checked.len(), 1);
        assert!(findings.is_empty(), "{findings:?}");
        let (findings, _) = us_core_6_1_0::rules::check_claimed(beyond.as_bytes());
        assert_too_deep("rules::check_claimed", "Patient", &findings[0].message);
    });
}

struct Validation {
    shapes: &'static Shapes,
    invariants: Invariants,
}

impl Validation {
    /// What `fhirgen validate` does with `json`: the tree (and the value the
    /// profile checker reads), the R4 read by shapes, the constraints; it
    /// must find no error. The tree, for more.
    fn valid(&self, json: &str, what: &str) -> Json {
        let tree = Json::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let _ = tree.to_value();
        self.shapes
            .read(json.as_bytes(), false)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let findings = self.invariants.check(self.shapes, &tree, &tree, &[], None);
        assert!(
            findings
                .iter()
                .all(|f| f.severity != Some(fhirgen_runtime::invariants::Severity::Error)),
            "{what}: {findings:?}"
        );
        tree
    }
}

fn validation() -> &'static Validation {
    static SETUP: OnceLock<Validation> = OnceLock::new();
    SETUP.get_or_init(|| {
        let set = common::load("hl7.fhir.r4.core@4.0.1");
        let core: fhirgen::package::PackageId = "hl7.fhir.r4.core@4.0.1".parse().unwrap();
        let shapes = fhirgen::shapes::base_shapes(&set, &core).unwrap();
        let (invariants, _) = fhirgen::constraints::base_invariants(&set, &core, shapes).unwrap();
        Validation { shapes, invariants }
    })
}

/// What `fhirgen validate` and `fhirgen fhirpath` do with a resource, from
/// the package's rules as data: the tree, the R4 read by shapes, the
/// constraints, a FHIRPath expression over every element.
#[test]
fn validation_from_the_packages_handles_deep_input_on_a_small_stack() {
    let validation = validation();
    for (resource_type, json) in just_within() {
        on_small_stack(move || {
            let tree = validation.valid(&json, resource_type);
            let expression = fhirgen_fhirpath::parse("descendants().count()").unwrap();
            let (model, root) = FhirJson::new(validation.shapes, &tree).unwrap();
            let environment = Environment::new(&model).with_resource(root.clone());
            let input: Collection<_> = vec![Item::Node(root)];
            let counted = environment.evaluate(&expression, input).unwrap();
            assert_eq!(counted.len(), 1);
        });
    }
    for (resource_type, json) in far_beyond() {
        on_small_stack(move || {
            let tree = Json::parse(json.as_bytes()).unwrap_err();
            assert_too_deep("Json::parse", resource_type, &tree);
            let read = validation.shapes.read(json.as_bytes(), false).unwrap_err();
            assert_too_deep("Shapes::read", resource_type, &read.to_string());
        });
    }
}

/// The library, `roundtrip` and `validate` agree: numbers the R4 grammar
/// allows but no machine number holds are read, written back and valid.
#[test]
fn numbers_beyond_any_machine_type_get_one_verdict() {
    let validation = validation();
    for value in [
        "1e999999",
        "99999999999999999999999",
        "-0.000000000000000000000000001",
    ] {
        let json = format!(
            r#"{{"resourceType":"Observation","status":"final","code":{{"text":"x"}},"valueQuantity":{{"value":{value}}}}}"#
        );
        let resource = fhir_r4::Resource::from_json(json.as_bytes()).unwrap();
        let written = resource.to_json();
        assert_eq!(
            fhirgen_runtime::first_difference(json.as_bytes(), &written, "Observation").unwrap(),
            None
        );
        validation.valid(&json, value);
        let claimed = json.replace(
            r#""resourceType":"Observation","#,
            r#""resourceType":"Observation","meta":{"profile":["http://hl7.org/fhir/StructureDefinition/vitalsigns"]},"#,
        );
        let (findings, checked) = us_core_6_1_0::rules::check_claimed(claimed.as_bytes());
        assert_eq!(checked.len(), 1, "{value}");
        assert!(
            findings
                .iter()
                .all(|f| f.code != fhirgen_runtime::IssueCode::Structure),
            "{value}: {findings:?}"
        );
    }
}
