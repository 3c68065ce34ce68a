//! Comparing two JSON documents as FHIR tools do for a round trip: object key
//! order and white space do not matter, numbers are compared by their exact
//! text (`26.0` is not `26`), strings by their decoded value.

use std::collections::BTreeMap;

use jiter::{Jiter, Peek};

use crate::error::Error;

#[derive(Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(BTreeMap<String, Node>),
}

fn parse(json: &[u8]) -> Result<Node, Error> {
    let mut jiter = Jiter::new(crate::strip_bom(json));
    let node = node(&mut jiter).map_err(|e| Error::new("", format!("invalid JSON: {e}")))?;
    jiter
        .finish()
        .map_err(|e| Error::new("", format!("invalid JSON: {e}")))?;
    Ok(node)
}

fn node(jiter: &mut Jiter<'_>) -> Result<Node, jiter::JiterError> {
    let peek = jiter.peek()?;
    Ok(match peek {
        Peek::Null => {
            jiter.known_null()?;
            Node::Null
        }
        Peek::True | Peek::False => Node::Bool(jiter.known_bool(peek)?),
        Peek::String => Node::String(jiter.known_str()?.to_owned()),
        Peek::Array => {
            let mut items = Vec::new();
            let mut more = jiter.known_array()?.is_some();
            while more {
                items.push(node(jiter)?);
                more = jiter.array_step()?.is_some();
            }
            Node::Array(items)
        }
        Peek::Object => {
            let mut map = BTreeMap::new();
            let mut key = jiter.known_object()?.map(str::to_owned);
            while let Some(name) = key {
                let value = node(jiter)?;
                map.insert(name, value);
                key = jiter.next_key()?.map(str::to_owned);
            }
            Node::Object(map)
        }
        number => {
            Node::Number(String::from_utf8_lossy(jiter.known_number_bytes(number)?).into_owned())
        }
    })
}

/// The FHIRPath-like location of the first difference between two JSON
/// documents (`Patient.name[0].given`), or `None` when they are equal.
/// `root` names the top (the resource type).
pub fn first_difference(a: &[u8], b: &[u8], root: &str) -> Result<Option<String>, Error> {
    let (a, b) = (parse(a)?, parse(b)?);
    let mut path = root.to_owned();
    Ok(differ(&a, &b, &mut path).then_some(path))
}

fn differ(a: &Node, b: &Node, path: &mut String) -> bool {
    match (a, b) {
        (Node::Object(a), Node::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let mark = path.len();
                path.push('.');
                path.push_str(key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) if !differ(x, y, path) => path.truncate(mark),
                    _ => return true,
                }
            }
            false
        }
        (Node::Array(a), Node::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let mark = path.len();
                path.push_str(&format!("[{i}]"));
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) if !differ(x, y, path) => path.truncate(mark),
                    _ => return true,
                }
            }
            false
        }
        (a, b) => a != b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_aside_numbers_by_text() {
        let same = first_difference(
            br#"{"a":1,"b":[true,"x"]}"#,
            br#"{ "b": [true, "x"], "a": 1 }"#,
            "R",
        )
        .unwrap();
        assert_eq!(same, None);
        let number = first_difference(br#"{"a":{"v":26.0}}"#, br#"{"a":{"v":26}}"#, "R").unwrap();
        assert_eq!(number.as_deref(), Some("R.a.v"));
        let missing = first_difference(br#"{"a":[1,2]}"#, br#"{"a":[1]}"#, "R").unwrap();
        assert_eq!(missing.as_deref(), Some("R.a[1]"));
        let escaped =
            first_difference(br#"{"a":"\u00e9"}"#, "{\"a\":\"\u{e9}\"}".as_bytes(), "R").unwrap();
        assert_eq!(escaped, None);
    }
}
