//! Comparing two JSON documents as FHIR tools do for a round trip: object key
//! order and white space do not matter, numbers are compared by their exact
//! text (`26.0` is not `26`), strings by their decoded value.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::tree::Json;

fn parse(json: &[u8]) -> Result<Json, Error> {
    Json::parse(json).map_err(|e| Error::new("", format!("invalid JSON: {e}")))
}

/// The FHIRPath-like location of the first difference between two JSON
/// documents (`Patient.name[0].given`), or `None` when they are equal.
/// `root` names the top (the resource type). Both are read as
/// [`Json`] trees, under the same nesting limit as every read.
pub fn first_difference(a: &[u8], b: &[u8], root: &str) -> Result<Option<String>, Error> {
    let (a, b) = (parse(a)?, parse(b)?);
    let mut path = root.to_owned();
    Ok(differ(&a, &b, &mut path).then_some(path))
}

fn by_key(properties: &[(Box<str>, Json)]) -> BTreeMap<&str, &Json> {
    properties.iter().map(|(k, v)| (&**k, v)).collect()
}

fn differ(a: &Json, b: &Json, path: &mut String) -> bool {
    match (a, b) {
        (Json::Object(a), Json::Object(b)) => {
            let (a, b) = (by_key(a), by_key(b));
            let keys: std::collections::BTreeSet<&str> =
                a.keys().chain(b.keys()).copied().collect();
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
        (Json::Array(a), Json::Array(b)) => {
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
