//! What FHIR R4 asks of a Bundle entry's `fullUrl` beyond its invariants
//! (bundle.html, "fullUrl"): it is absolute (an absolute URL, or a
//! `urn:uuid:` / `urn:oid:`), and a RESTful URL agrees with the resource it
//! stands for: it names the resource's type and ends with its id.

/// The problem with one entry's `fullUrl` for its resource (its type and
/// id), if any.
pub fn full_url_problem(full_url: &str, resource_type: &str, id: Option<&str>) -> Option<String> {
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
    if type_segment.is_empty() {
        return None;
    }
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

#[cfg(test)]
mod tests {
    use super::full_url_problem;

    #[test]
    fn a_full_url_is_absolute_and_agrees_with_its_resource() {
        let ok = |url: &str| full_url_problem(url, "Patient", Some("a"));
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
            full_url_problem("http://x.org/Patient/a", "Patient", None)
                .unwrap()
                .contains("no id")
        );
    }
}
