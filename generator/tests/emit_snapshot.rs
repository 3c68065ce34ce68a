//! The Rust emitted for one small hand-made resource that has each construct
//! the generator handles: a keyword name, a required primitive, a choice, a
//! backbone element, a recursive contentReference (boxed), a repeating
//! primitive and contained resources. Reviewed as an insta snapshot.

use std::path::PathBuf;
use std::sync::Arc;

use fhirgen::emit::{CrateOptions, emit_crate};
use fhirgen::ir::build_base_types;
use fhirgen::package::{Catalog, FileMap, LoadOptions, Loader, Package, PackageSource};
use serde_json::{Value, json};

fn primitive(code: &str) -> Value {
    json!({"resourceType": "StructureDefinition", "id": code, "url": format!("http://example.org/StructureDefinition/{code}"),
           "version": "1.0.0", "name": code, "kind": "primitive-type", "abstract": false, "type": code,
           "derivation": "specialization", "description": format!("a {code}")})
}

fn element(path: &str, min: u32, max: &str, types: Value) -> Value {
    let mut element =
        json!({"id": path, "path": path, "short": format!("the {path}"), "min": min, "max": max});
    if !types.is_null() {
        element["type"] = types;
    }
    element
}

fn system_string() -> Value {
    json!([{"code": "http://hl7.org/fhirpath/System.String",
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type", "valueUrl": "string"}]}])
}

#[test]
fn emitted_code_for_each_construct() {
    let extension = json!({"resourceType": "StructureDefinition", "id": "Extension", "url": "http://example.org/StructureDefinition/Extension",
    "version": "1.0.0", "name": "Extension", "kind": "complex-type", "abstract": false, "type": "Extension", "derivation": "specialization",
    "snapshot": {"element": [
        element("Extension", 0, "*", json!(null)),
        element("Extension.id", 0, "1", system_string()),
        element("Extension.url", 1, "1", system_string()),
        element("Extension.value[x]", 0, "1", json!([{"code": "string"}, {"code": "boolean"}])),
    ]}});
    let mut thing_elements = vec![
        element("Thing", 0, "*", json!(null)),
        element("Thing.id", 0, "1", system_string()),
        element("Thing.contained", 0, "*", json!([{"code": "Resource"}])),
        element("Thing.type", 1, "1", json!([{"code": "code"}])),
        element("Thing.alias", 0, "*", json!([{"code": "string"}])),
        element(
            "Thing.value[x]",
            0,
            "1",
            json!([{"code": "string"}, {"code": "dateTime"}, {"code": "Extension"}]),
        ),
        element("Thing.part", 0, "*", json!([{"code": "BackboneElement"}])),
        element("Thing.part.name", 1, "1", json!([{"code": "string"}])),
        element("Thing.part.subpart", 0, "1", json!(null)),
    ];
    thing_elements[5]["binding"] =
        json!({"strength": "required", "valueSet": "http://example.org/ValueSet/things"});
    thing_elements[8]["contentReference"] = json!("#Thing.part");
    let thing = json!({"resourceType": "StructureDefinition", "id": "Thing", "url": "http://example.org/StructureDefinition/Thing",
        "version": "1.0.0", "name": "Thing", "kind": "resource", "abstract": false, "type": "Thing", "derivation": "specialization",
        "snapshot": {"element": thing_elements}});

    let mut files = FileMap::new();
    files.insert(
        "package.json".into(),
        br#"{"name": "example.types", "version": "1.0.0"}"#.to_vec(),
    );
    for resource in ["string", "boolean", "code", "dateTime"]
        .map(primitive)
        .iter()
        .chain([&extension, &thing])
    {
        let name = format!(
            "StructureDefinition-{}.json",
            resource["id"].as_str().unwrap()
        );
        files.insert(name, resource.to_string().into_bytes());
    }
    let origin = PathBuf::from("fixture");
    let mut catalog = Catalog::new();
    catalog.add_loaded(
        PackageSource::Folder(origin.clone()),
        Arc::new(Package::from_files(files, &origin).unwrap()),
    );
    let set = Loader::new(catalog, LoadOptions::default())
        .load(&"example.types@1.0.0".parse().unwrap())
        .unwrap();

    let space = build_base_types(&set).unwrap();
    let options = CrateOptions {
        name: "example-types".to_owned(),
        version: "0.1.0".to_owned(),
        description: "fixture".to_owned(),
        base_dependency: None,
        runtime_dependency: "{ version = \"0.1.0\" }".to_owned(),
        search_dependency: "{ version = \"0.1.0\" }".to_owned(),
        command: "fhirgen generate --package example.types@1.0.0".to_owned(),
        macros_dependency: None,
        repository: None,
        reuse: Vec::new(),
        publish: true,
    };
    let shapes = fhirgen::shapes::shapes_of(&space).unwrap();
    let constraints =
        fhirgen::constraints::base_crate_constraints(&set, &space.package, shapes).unwrap();
    let crate_files = emit_crate(&space, &constraints, &options).unwrap();
    let names: Vec<&String> = crate_files.keys().collect();
    insta::assert_debug_snapshot!("fixture_files", names);
    insta::assert_snapshot!("fixture_thing_rs", crate_files["src/resources/thing.rs"]);
}
