//! FHIRPath over the generated types (the model constraints are checked
//! with): what `repeat()`, `distinct()` and `isDistinct()` compare, on the
//! US Core examples.

mod common;

use fhirgen_fhirpath::{Environment, Item, Model, Value};
use fhirgen_runtime::AnyResource;
use fhirgen_runtime::typed::{Node, Typed};

use common::shared_packages;

/// The US Core 6.1.0 examples (Bundles' entries one by one), as the base R4
/// types read them.
fn us_core_examples() -> Vec<(String, fhir_r4::Resource)> {
    let archive = shared_packages().join("hl7.fhir.us.core-6.1.0.tgz");
    let files = fhirgen::package::read_archive_file(&archive).unwrap();
    let mut resources = Vec::new();
    for (name, bytes) in &files {
        let Some(file) = name.strip_prefix("example/") else {
            continue;
        };
        if !file.ends_with(".json") {
            continue;
        }
        if let Ok(resource) = fhir_r4::Resource::from_json(bytes) {
            resources.push((file.to_owned(), resource));
        }
    }
    assert!(resources.len() > 100, "{} examples read", resources.len());
    resources
}

fn descendants<'a>(model: &Typed<'a>, node: Node<'a>, out: &mut Vec<Node<'a>>) {
    out.push(node);
    let mut children = Vec::new();
    model.all_children(&node, &mut children);
    for child in children {
        descendants(model, child, out);
    }
}

/// The content hash `repeat()` and `distinct()` compare first must agree
/// with equality: equal elements hash alike. Checked on every pair of
/// elements of every example (and there are equal pairs to check).
#[test]
fn equal_elements_hash_alike() {
    let bases = us_core_6_1_0::constraints::CATALOG.bases();
    let mut equal_pairs = 0;
    let mut pairs = 0;
    for (file, resource) in us_core_examples() {
        let root = Node::Resource(resource.as_object());
        let model = Typed::new(bases, root);
        let mut nodes = Vec::new();
        descendants(&model, root, &mut nodes);
        nodes.truncate(600);
        let hashes: Vec<Option<u64>> = nodes.iter().map(|n| model.content_hash(n)).collect();
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate().skip(i + 1) {
                pairs += 1;
                if model.same(a, b) {
                    equal_pairs += 1;
                    assert_eq!(
                        hashes[i],
                        hashes[j],
                        "{file}: two equal {} hash differently",
                        model.type_name(a)
                    );
                }
            }
        }
    }
    assert!(equal_pairs > 1000, "{equal_pairs} equal pairs of {pairs}");
}

/// `repeat()` keeps one of each content (by `=`), as FHIRPath says, and
/// `distinct()` agrees: on a QuestionnaireResponse whose items repeat.
#[test]
fn repeat_and_distinct_keep_one_of_each_content() {
    let json = r#"{"resourceType":"QuestionnaireResponse","status":"completed",
        "item":[{"linkId":"a"},{"linkId":"a"},{"linkId":"b","item":[{"linkId":"a"},{"linkId":"c"}]},
                {"linkId":"b","item":[{"linkId":"a"},{"linkId":"d"}]}]}"#;
    let resource = fhir_r4::Resource::from_json(json.as_bytes()).unwrap();
    let bases = us_core_6_1_0::constraints::CATALOG.bases();
    let root = Node::Resource(resource.as_object());
    let model = Typed::new(bases, root);
    let environment = Environment::new(&model);
    let evaluate = |expression: &str| {
        let expression = fhirgen_fhirpath::parse(expression).unwrap();
        match environment
            .evaluate(&expression, vec![Item::Node(root)])
            .unwrap()
            .as_slice()
        {
            [Item::Value(value)] => value.clone(),
            other => panic!("{} items", other.len()),
        }
    };
    // a, b(a, c), b(a, d), c, d: the second `a` and the nested ones are the first `a`.
    assert_eq!(evaluate("repeat(item).count()"), Value::Integer(5));
    assert_eq!(evaluate("item.distinct().count()"), Value::Integer(3));
    assert_eq!(evaluate("item.isDistinct()"), Value::Boolean(false));
    assert_eq!(evaluate("item.skip(1).isDistinct()"), Value::Boolean(true));
    assert_eq!(
        evaluate("repeat(item).linkId.distinct().count()"),
        Value::Integer(4)
    );
}
