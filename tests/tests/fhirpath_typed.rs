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

/// The compiled form of the constraints (`Predicate`) decides as the
/// interpreter does: every constraint of R4 and of the IGs' profiles, on
/// every element of every US Core example of its type (whether or not the
/// profile applies: what is compared is the two evaluations), lenient as
/// the walk evaluates them and strict. And it decides nearly all of the
/// walk's itself.
#[test]
fn compiled_constraints_agree_with_the_interpreter() {
    use fhirgen::constraints::invariants_of;
    use fhirgen_fhirpath::Predicate;
    use std::collections::HashMap;

    let core = common::load("hl7.fhir.r4.core@4.0.1");
    let shapes =
        fhirgen::shapes::base_shapes(&core, &"hl7.fhir.r4.core@4.0.1".parse().unwrap()).unwrap();
    // By type: each constraint's element path, key, expression and compiled form.
    type Entry = (
        String,
        String,
        fhirgen_fhirpath::Expression<'static>,
        Predicate,
    );
    let mut by_type: HashMap<String, Vec<Entry>> = HashMap::new();
    let mut distinct = std::collections::HashSet::new();
    for id in [
        "hl7.fhir.r4.core@4.0.1",
        "hl7.fhir.us.core@6.1.0",
        "hl7.fhir.us.qicore@6.0.0",
        "hl7.fhir.uv.ips@1.1.0",
    ] {
        for definition in common::own_definitions(id) {
            let (invariants, _) = invariants_of(&definition, shapes);
            for invariant in invariants {
                // Relative to the type: `contact`, `value` for `value[x]`.
                let path = match invariant.path.split_once('.') {
                    Some((_, path)) => path.replace("[x]", ""),
                    None => String::new(),
                };
                if !distinct.insert((definition.type_.clone(), path.clone(), invariant.source)) {
                    continue;
                }
                let predicate = Predicate::compile(&invariant.expression);
                by_type.entry(definition.type_.clone()).or_default().push((
                    path,
                    invariant.key,
                    invariant.expression,
                    predicate,
                ));
            }
        }
    }
    let bases = us_core_6_1_0::constraints::CATALOG.bases();
    let (mut evaluations, mut decided, mut compared) = (0, 0, 0);
    for (file, resource) in us_core_examples() {
        let root = Node::Resource(resource.as_object());
        let model = Typed::new(bases, root);
        let mut nodes = Vec::new();
        descendants(&model, root, &mut nodes);
        for strict in [false, true] {
            let mut environment = Environment::new(&model).with_resource(root);
            environment.strict = strict;
            for node in &nodes {
                let Some(entries) = by_type.get(model.type_name(node)) else {
                    continue;
                };
                for (path, key, expression, predicate) in entries {
                    // The elements the constraint sits on, below the node.
                    let mut targets = vec![*node];
                    for name in path.split('.').filter(|n| !n.is_empty()) {
                        let mut next = Vec::new();
                        for target in &targets {
                            let _ = model.children(target, name, &mut next);
                        }
                        targets = next;
                    }
                    for target in &targets {
                        // What the walk evaluates: lenient, and not ele-1 (the
                        // reader's rule).
                        let walked = !strict && key != "ele-1";
                        evaluations += usize::from(walked);
                        let Some(compiled) = environment.decide(predicate, target) else {
                            continue;
                        };
                        decided += usize::from(walked);
                        compared += 1;
                        let interpreted = environment.check(expression, vec![Item::Node(*target)]);
                        assert_eq!(
                            Ok(compiled),
                            interpreted,
                            "{file}: {key} on {} `{path}` (strict: {strict})",
                            model.type_name(node)
                        );
                    }
                }
            }
        }
    }
    println!(
        "{decided} of {evaluations} evaluations as the walk makes them decided compiled; \
         {compared} compared with the interpreter"
    );
    assert!(
        decided * 100 > evaluations * 95,
        "{decided} of {evaluations} evaluations decided compiled"
    );
}

/// Comparisons and `matches()` compiled (`start <= end`, `period >= 0`,
/// `value.matches('^[0-9]{10}$')`) decide as the interpreter does on the
/// awkward cases too: dates of different precision (no answer), a
/// decimal against an integer, a missing side, a repeating side (an error
/// the interpreter reports: the compiled form gives up), a value that
/// does not match, a bad pattern.
#[test]
fn compiled_comparisons_agree_with_the_interpreter() {
    use fhirgen_fhirpath::Predicate;

    let patient = br#"{"resourceType": "Patient", "name": [
        {"family": "A", "period": {"start": "2020", "end": "2020-03-04T10:00:00Z"}},
        {"family": "B", "period": {"start": "2020-03-05", "end": "2020-03-04"}},
        {"family": "C", "period": {"start": "2020-03-01", "end": "2020-03-04"}},
        {"family": "D", "period": {"end": "2020-03-04"}}],
        "identifier": [{"value": "1234567890"}, {"value": "12345"}],
        "multipleBirthInteger": 2}"#;
    let resource = fhir_r4::Resource::from_json_unchecked(patient).unwrap();
    let bases = fhir_r4::constraints::CATALOG.bases();
    let root = Node::Resource(resource.as_object());
    let model = Typed::new(bases, root);
    let mut nodes = Vec::new();
    descendants(&model, root, &mut nodes);
    let expressions = [
        "start.hasValue().not() or end.hasValue().not() or (start <= end)",
        "start < end",
        "end > @2020-03-01",
        "start >= '2020'",
        "multipleBirth >= 1.5",
        "multipleBirth < 2",
        "name.period.start <= @2021-01-01",
        "value.matches('^[0-9]{10}$')",
        "value.matchesFull('[0-9]{5}')",
        "family.matches('[')",
        "value.matches('^1')",
    ];
    let (mut decided, mut gave_up) = (0, 0);
    for text in expressions {
        let expression = fhirgen_fhirpath::parse(text).unwrap();
        let predicate = Predicate::compile(&expression);
        assert!(!predicate.is_interpreted(), "{text} not compiled");
        for strict in [false, true] {
            let mut environment = Environment::new(&model).with_resource(root);
            environment.strict = strict;
            for node in &nodes {
                let interpreted = environment.check(&expression, vec![Item::Node(*node)]);
                match environment.decide(&predicate, node) {
                    Some(compiled) => {
                        decided += 1;
                        assert_eq!(
                            Ok(compiled),
                            interpreted,
                            "`{text}` on {} (strict: {strict})",
                            model.type_name(node)
                        );
                    }
                    None => gave_up += 1,
                }
            }
        }
    }
    // The repeating side and the bad pattern are left to the interpreter;
    // everything else is decided compiled.
    println!("{decided} decided compiled, {gave_up} left to the interpreter");
    assert!(
        gave_up > 0 && decided > 10 * gave_up,
        "{decided} decided, {gave_up} given up"
    );
}

/// Every element of a resource has an identity of its own (what the
/// content-hash memo and the `descendants()` memo are keyed by), though a
/// struct and a field of it can share an address and a FHIR type: US
/// Core's race extension holds its `text` extension inline.
#[test]
fn elements_have_identities_of_their_own() {
    let archive = shared_packages().join("hl7.fhir.us.core-6.1.0.tgz");
    let files = fhirgen::package::read_archive_file(&archive).unwrap();
    let (_, bytes) = files
        .iter()
        .find(|(name, _)| *name == "example/Patient-example.json")
        .unwrap();
    let patient = us_core_6_1_0::UsCorePatientProfile::from_json(bytes).unwrap();
    let bases = us_core_6_1_0::constraints::CATALOG.bases();
    let root = Node::Resource(&patient);
    let model = Typed::new(bases, root);
    let mut nodes = Vec::new();
    descendants(&model, root, &mut nodes);
    let mut seen = std::collections::HashMap::new();
    let mut objects = 0;
    for (index, node) in nodes.iter().enumerate() {
        if let Some(identity) = model.identity(node) {
            objects += 1;
            if let Some(other) = seen.insert(identity, index) {
                panic!(
                    "elements {other} and {index} ({}) share an identity",
                    model.type_name(node)
                );
            }
            // And it is the same each time it is asked for.
            assert_eq!(model.identity(node), Some(identity));
        }
    }
    let extensions = nodes
        .iter()
        .filter(|n| model.identity(n).is_some() && model.type_name(n) == "Extension")
        .count();
    assert!(
        objects > 20 && extensions > 4,
        "{objects} objects, {extensions} extensions"
    );
}
