//! `#[derive(fhirgen_macros::FhirObject)]`: a type's FHIR JSON code from
//! field attributes, the same code the generator writes out (both come from
//! `fhirgen_rules::tokens::object_impl`). Here a hand-written copy of R4
//! `Coding` and of `Extension` reads and writes what the generated types do.

use fhirgen_runtime::{Reader, Writer};

#[derive(Debug, Clone, PartialEq, fhirgen_macros::FhirObject)]
pub struct MyCoding {
    #[fhir(json = "id", plain = "String")]
    pub id: Option<String>,
    #[fhir(json = "extension", object)]
    pub extension: Vec<fhir_r4::Extension>,
    #[fhir(json = "system", primitive = "Uri")]
    pub system: Option<fhir_r4::Uri>,
    #[fhir(json = "version", primitive = "String")]
    pub version: Option<fhir_r4::FhirString>,
    #[fhir(json = "code", primitive = "Code")]
    pub code: Option<fhir_r4::Code>,
    #[fhir(json = "display", primitive = "String")]
    pub display: Option<fhir_r4::FhirString>,
    #[fhir(json = "userSelected", primitive = "Boolean")]
    pub user_selected: Option<fhir_r4::Boolean>,
}

#[derive(Debug, Clone, PartialEq, fhirgen_macros::FhirObject)]
pub struct MyExtension {
    #[fhir(json = "url", plain = "Uri")]
    pub url: String,
    #[fhir(json = "value", choice("valueString", "_valueString", "valueCoding"))]
    pub value: Option<fhir_r4::ExtensionValue>,
}

fn read<T: fhirgen_runtime::Object + fhirgen_runtime::Empty>(json: &str) -> Result<T, String> {
    let mut reader = Reader::new(json.as_bytes());
    let mut value = T::empty();
    reader.object_field(&mut value).map_err(|e| e.to_string())?;
    reader.finish().map_err(|e| e.to_string())?;
    Ok(value)
}

fn write<T: fhirgen_runtime::Object>(value: &T) -> String {
    let mut writer = Writer::new();
    writer.object(value, None);
    String::from_utf8(writer.into_bytes()).unwrap()
}

#[test]
fn a_derived_type_reads_and_writes_as_the_generated_one_does() {
    let json = r#"{"system":"http://loinc.org","_system":{"id":"s1"},"code":"85354-9","display":"Blood pressure panel","userSelected":false}"#;
    let mine: MyCoding = read(json).unwrap();
    let generated: fhir_r4::Coding = read(json).unwrap();
    assert_eq!(mine.code, generated.code);
    assert_eq!(mine.system, generated.system);
    assert_eq!(write(&mine), write(&generated));
    assert_eq!(write(&mine), json);
}

#[test]
fn a_derived_type_keeps_the_json_rules() {
    // Unknown property, duplicate, wrong type, empty object: as generated.
    for bad in [
        r#"{"cod":"x"}"#,
        r#"{"code":"x","code":"y"}"#,
        r#"{"code":1}"#,
        "{}",
    ] {
        let mine = read::<MyCoding>(bad).unwrap_err();
        let generated = read::<fhir_r4::Coding>(bad).unwrap_err();
        assert_eq!(mine, generated, "{bad}");
    }
    // A required plain value (`url`, 1..1) and a choice.
    let extension: MyExtension =
        read(r#"{"url":"http://example.org/x","valueString":"hello"}"#).unwrap();
    assert_eq!(
        write(&extension),
        r#"{"url":"http://example.org/x","valueString":"hello"}"#
    );
    assert_eq!(
        read::<MyExtension>(r#"{"valueString":"hello"}"#).unwrap_err(),
        "url: required element is missing"
    );
}
