//! Rust names for FHIR names, in one place: types, fields, enum variants.
//!
//! Keyword policy: a field whose snake-case name is a Rust keyword gets a
//! trailing underscore (`type_`, `use_`, `for_`), which reads better in a public
//! API than a raw identifier; its FHIR JSON name is unchanged.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust's keywords, strict and reserved, through edition 2024 (`gen`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Names of Rust's prelude that generated code uses unqualified (the
/// builders' `impl Into<T>`, `Some(..)`): no generated type takes one.
pub const PRELUDE_NAMES: &[&str] = &[
    "Into",
    "IntoIterator",
    "Some",
    "None",
    "Option",
    "Ok",
    "Err",
    "Result",
    "Vec",
    "String",
    "Box",
];

/// `wanted`, or `wanted2`, `wanted3`... when a type of the crate has that
/// name already (`taken`, which gets the one given) or it is a prelude name.
pub fn unique_type_name(taken: &mut std::collections::HashSet<String>, wanted: String) -> String {
    let mut name = wanted.clone();
    let mut n = 2;
    while PRELUDE_NAMES.contains(&name.as_str()) || !taken.insert(name.clone()) {
        name = format!("{wanted}{n}");
        n += 1;
    }
    name
}

/// `birthDate` -> `birth_date`; `type` -> `type_`.
pub fn field_name(json_name: &str) -> String {
    let snake = json_name.to_snake_case();
    if KEYWORDS.contains(&snake.as_str()) || snake == "Self" {
        format!("{snake}_")
    } else {
        snake
    }
}

/// A type name from FHIR path segments: `Bundle.entry.request` -> `BundleEntryRequest`.
pub fn type_name(path: &str) -> String {
    path.split('.')
        .map(|segment| segment.trim_end_matches("[x]").to_upper_camel_case())
        .collect()
}

/// An enum variant for a FHIR type code: `dateTime` -> `DateTime`,
/// `CodeableConcept` -> `CodeableConcept`.
pub fn variant_name(type_code: &str) -> String {
    type_code.to_upper_camel_case()
}

/// The JSON property of one type of a choice element: `value` + `Quantity`
/// (the runtime's rule, which reads choices by shape with it).
pub fn choice_property(base: &str, type_code: &str) -> String {
    fhirgen_runtime::shape::choice_property(base, type_code)
}

/// The Rust alias of a FHIR primitive type: `string` -> `FhirString` (never
/// shadowing `String`), `dateTime` -> `DateTime`.
pub fn primitive_alias(type_code: &str) -> String {
    match type_code {
        "string" => "FhirString".to_owned(),
        other => other.to_upper_camel_case(),
    }
}

/// A module (file) name for a type: `HumanName` -> `human_name`.
pub fn module_name(type_name: &str) -> String {
    let snake = type_name.to_snake_case();
    if KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else {
        snake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_and_keywords() {
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("use"), "use_");
        assert_eq!(field_name("for"), "for_");
        assert_eq!(field_name("abstract"), "abstract_");
        assert_eq!(field_name("gen"), "gen_");
        assert_eq!(field_name("birthDate"), "birth_date");
        assert_eq!(field_name("_birthDate"), "birth_date");
        assert_eq!(type_name("Bundle.entry.request"), "BundleEntryRequest");
        assert_eq!(type_name("us-core-patient"), "UsCorePatient");
        assert_eq!(type_name("Observation.value[x]"), "ObservationValue");
        assert_eq!(variant_name("dateTime"), "DateTime");
        assert_eq!(choice_property("value", "dateTime"), "valueDateTime");
        assert_eq!(
            choice_property("value", "CodeableConcept"),
            "valueCodeableConcept"
        );
        assert_eq!(primitive_alias("string"), "FhirString");
        assert_eq!(primitive_alias("base64Binary"), "Base64Binary");
        assert_eq!(module_name("Match"), "match_");
    }
}
