//! What FHIR R4 asks of a Bundle entry's `fullUrl` beyond its invariants
//! (bundle.html, "fullUrl"): it is absolute (an absolute URL, or a
//! `urn:uuid:` / `urn:oid:`), and a RESTful URL agrees with the resource it
//! stands for: it names the resource's type and ends with its id.

use crate::tree::Json;

/// The problem with one entry's `fullUrl` for `resource` (its type and id),
/// if any.
pub fn full_url_problem(
    full_url: &str,
    resource_type: Option<&str>,
    id: Option<&str>,
) -> Option<String> {
    if full_url.starts_with("urn:uuid:") || full_url.starts_with("urn:oid:") {
        return None;
    }
    let Some((scheme, rest)) = full_url.split_once("://") else {
        return Some(format!(
            "fullUrl `{full_url}` is not absolute: an absolute URL, a urn:uuid: or a urn:oid:"
        ));
    };
    if scheme.is_empty() || rest.is_empty() {
        return Some(format!("fullUrl `{full_url}` is not an absolute URL"));
    }
    // A RESTful URL: [base]/Type/id, or .../_history/vid (bdl-8 says that one).
    let segments: Vec<&str> = rest.split('/').collect();
    let (type_segment, id_segment) = match segments.as_slice() {
        [.., t, i, "_history", _] | [.., t, i] => (*t, *i),
        _ => return None,
    };
    let (Some(resource_type), false) = (resource_type, type_segment.is_empty()) else {
        return None;
    };
    let looks_restful = type_segment.starts_with(|c: char| c.is_ascii_uppercase())
        && type_segment.chars().all(|c| c.is_ascii_alphabetic())
        && crate::R4_RESOURCE_TYPES.contains(&type_segment);
    if !looks_restful {
        return None;
    }
    if type_segment != resource_type {
        return Some(format!(
            "fullUrl `{full_url}` names a {type_segment}, but the entry holds a {resource_type}"
        ));
    }
    match id {
        Some(id) if id == id_segment => None,
        Some(id) => Some(format!(
            "fullUrl `{full_url}` ends with the id `{id_segment}`, but the resource's id is `{id}`"
        )),
        None => Some(format!(
            "fullUrl `{full_url}` names the id `{id_segment}`, but the resource has no id"
        )),
    }
}

/// The `fullUrl` problems of a Bundle's entries, as `(FHIRPath, message)`.
pub fn full_url_problems(bundle: &Json) -> Vec<(String, String)> {
    let Some(Json::Array(entries)) = bundle.get("entry") else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let Some(full_url) = entry.get("fullUrl").and_then(Json::as_str) else {
            continue;
        };
        let resource = entry.get("resource");
        let resource_type = resource
            .and_then(|r| r.get("resourceType"))
            .and_then(Json::as_str);
        let id = resource.and_then(|r| r.get("id")).and_then(Json::as_str);
        if resource.is_none() {
            continue;
        }
        if let Some(message) = full_url_problem(full_url, resource_type, id) {
            problems.push((format!("Bundle.entry[{index}].fullUrl"), message));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::full_url_problem;

    #[test]
    fn a_full_url_is_absolute_and_agrees_with_its_resource() {
        let ok = |url: &str| full_url_problem(url, Some("Patient"), Some("a"));
        assert_eq!(ok("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"), None);
        assert_eq!(ok("http://example.org/fhir/Patient/a"), None);
        assert_eq!(ok("http://example.org/fhir/Patient/a/_history/2"), None);
        // Not a RESTful URL: nothing to agree with.
        assert_eq!(ok("http://example.org/patients/0001"), None);
        assert!(ok("Patient/a").unwrap().contains("not absolute"));
        assert!(ok("").unwrap().contains("not absolute"));
        assert!(
            ok("http://example.org/fhir/Patient/b")
                .unwrap()
                .contains("resource's id is `a`")
        );
        assert!(
            ok("http://example.org/fhir/Observation/a")
                .unwrap()
                .contains("holds a Patient")
        );
        assert!(
            full_url_problem("http://x.org/Patient/a", Some("Patient"), None)
                .unwrap()
                .contains("no id")
        );
    }
}
