//! `distinct()`, `isDistinct()` and unions over string lists short and long
//! (the evaluator keeps short lists in a list and long ones in a set).

use fhirgen_fhirpath::model::NoData;
use fhirgen_fhirpath::{Environment, Item, Value, parse};

fn evaluate(text: &str) -> Vec<Value> {
    let expression = parse(text).unwrap();
    Environment::new(&NoData)
        .evaluate(&expression, Vec::new())
        .unwrap()
        .into_iter()
        .map(|item| match item {
            Item::Value(value) => value,
            _ => panic!("a value expected"),
        })
        .collect()
}

/// `('s0' | 's1' | ... )` over `0..count`, then `again` repeated.
fn strings(count: usize, again: &[usize]) -> String {
    let list: Vec<String> = (0..count)
        .chain(again.iter().copied())
        .map(|i| format!("'s{i}'"))
        .collect();
    format!("({})", list.join(" | "))
}

#[test]
fn repeated_strings_are_found_in_short_and_long_lists() {
    for count in [1, 5, 15, 16, 17, 40] {
        let union = strings(count, &[0, count - 1]);
        assert_eq!(
            evaluate(&format!("{union}.count()")),
            vec![Value::Integer(count as i64)],
            "{count} strings"
        );
        let list: Vec<String> = (0..count)
            .chain([count - 1])
            .map(|i| format!("'s{i}'"))
            .collect();
        let combined = format!("({}).combine('s0')", list.join(" | "));
        assert_eq!(
            evaluate(&format!("{combined}.isDistinct()")),
            vec![Value::Boolean(false)]
        );
        assert_eq!(
            evaluate(&format!("{combined}.distinct().count()")),
            vec![Value::Integer(count as i64)]
        );
        assert_eq!(
            evaluate(&format!("{union}.isDistinct()")),
            vec![Value::Boolean(true)]
        );
    }
}

#[test]
fn strings_and_other_values_are_kept_apart() {
    assert_eq!(
        evaluate("('1' | 1 | '1' | 1.0 | true | 'true').count()"),
        vec![Value::Integer(4)]
    );
}

/// `repeat()` keeps what it finds once: values (no content hash) are each
/// compared with every one kept.
#[test]
fn repeat_keeps_each_value_found_once() {
    assert_eq!(
        evaluate("1.repeat(iif($this < 4, $this + 1, {}) | 1)"),
        vec![
            Value::Integer(2),
            Value::Integer(1),
            Value::Integer(3),
            Value::Integer(4)
        ]
    );
    assert_eq!(
        evaluate("'a'.repeat('a' | 'b').count()"),
        vec![Value::Integer(2)]
    );
}
