//! FHIR XML to FHIR JSON: the two forms map one to one given the element
//! definitions, which [`Shapes`] hold (which elements repeat, which are
//! numbers or booleans, which hold a resource). Values and `id`s sit in
//! attributes, extensions of a primitive go to its `_name` part, and the
//! narrative `div` stays XHTML text.

use quick_xml::events::{BytesStart, Event};

use crate::Kind;
use crate::shape::{ElementKind, Shapes, TypeShape};
use crate::tree::Json;

struct XmlElement {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<XmlElement>,
    /// The element as written, for XHTML.
    raw: Option<String>,
}

/// Reads a resource in FHIR XML as its FHIR JSON. An element or attribute
/// the definitions do not have is an error naming its path.
pub fn xml_to_json(xml: &str, shapes: &Shapes) -> Result<Json, String> {
    let root = parse(xml)?;
    resource(&root, shapes, "")
}

fn parse(xml: &str) -> Result<XmlElement, String> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<XmlElement> = Vec::new();
    let mut root = None;
    let at = |reader: &quick_xml::Reader<&[u8]>| {
        // Bytes, not a `str` slice: the offset may fall inside a character.
        let offset = (reader.buffer_position() as usize).min(xml.len());
        let before = &xml.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        format!("line {line} column {column}")
    };
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| format!("not XML: {e} at {}", at(&reader)))?;
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() >= crate::limits::max_depth() => {
                let _ = e;
                return Err(format!(
                    "XML nested deeper than {} levels",
                    crate::limits::max_depth()
                ));
            }
            Event::Start(e) => {
                let mut element = element(&e)?;
                if element.name == "div" {
                    reader
                        .read_to_end(e.name())
                        .map_err(|err| format!("not XML: {err} at {}", at(&reader)))?;
                    let end = reader.buffer_position() as usize;
                    element.raw = Some(xml[start..end].trim_start().to_owned());
                    attach(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::Empty(e) => {
                let mut element = element(&e)?;
                if element.name == "div" {
                    element.raw = Some(
                        xml[start..reader.buffer_position() as usize]
                            .trim_start()
                            .to_owned(),
                    );
                }
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(format!(
                        "not XML: an end tag without a start at {}",
                        at(&reader)
                    ));
                };
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) if !String::from_utf8_lossy(text.as_ref()).trim().is_empty() => {
                return Err(format!(
                    "FHIR XML has no text content outside the narrative; found some at {}",
                    at(&reader)
                ));
            }
            Event::DocType(_) => return Err("FHIR XML must not have a DOCTYPE".to_owned()),
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("not XML: an element is not closed".to_owned());
    }
    root.ok_or_else(|| "not XML: no element".to_owned())
}

fn attach(stack: &mut [XmlElement], root: &mut Option<XmlElement>, element: XmlElement) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn element(e: &BytesStart<'_>) -> Result<XmlElement, String> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| format!("not XML: {err} in <{name}>"))?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        if key == "xmlns" || key.starts_with("xmlns:") || key.contains(':') {
            continue;
        }
        let value = attribute
            .unescape_value()
            .map_err(|err| format!("not XML: {err} in <{name} {key}>"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(XmlElement {
        name,
        attributes,
        children: Vec::new(),
        raw: None,
    })
}

fn resource(element: &XmlElement, shapes: &Shapes, path: &str) -> Result<Json, String> {
    let shape = shapes.resource(&element.name).ok_or_else(|| {
        format!(
            "{}: `{}` is not a resource type",
            if path.is_empty() { "the root" } else { path },
            element.name
        )
    })?;
    let path = if path.is_empty() {
        element.name.clone()
    } else {
        path.to_owned()
    };
    let mut properties = vec![(
        "resourceType".into(),
        Json::String(element.name.as_str().into()),
    )];
    fields(element, shape, shapes, &path, &mut properties)?;
    Ok(Json::Object(properties))
}

/// A primitive value as JSON: booleans and numbers bare, the rest strings.
fn scalar(kind: Kind, text: &str) -> Json {
    let number = || {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (int, rest) = digits.split_at(digits.bytes().take_while(u8::is_ascii_digit).count());
        !int.is_empty()
            && (int == "0" || !int.starts_with('0'))
            && (rest.is_empty()
                || rest
                    .strip_prefix('.')
                    .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())))
    };
    match kind {
        Kind::Boolean if text == "true" || text == "false" => Json::Bool(text == "true"),
        Kind::Integer | Kind::UnsignedInt | Kind::PositiveInt | Kind::Decimal if number() => {
            Json::Number(text.into())
        }
        _ => Json::String(text.into()),
    }
}

fn fields(
    element: &XmlElement,
    shape: &TypeShape,
    shapes: &Shapes,
    path: &str,
    out: &mut Vec<(Box<str>, Json)>,
) -> Result<(), String> {
    for (key, value) in &element.attributes {
        match shape.property(key).map(|(e, _)| &e.kind) {
            Some(ElementKind::Plain(kind) | ElementKind::Primitive { kind, .. }) => {
                out.push((key.as_str().into(), scalar(*kind, value)));
            }
            _ => {
                return Err(format!(
                    "{path}: `{key}` is not an attribute of {}",
                    shape.name
                ));
            }
        }
    }
    let mut groups: Vec<(&str, Vec<&XmlElement>)> = Vec::new();
    for child in &element.children {
        match groups.iter_mut().find(|(n, _)| *n == child.name) {
            Some((_, items)) => items.push(child),
            None => groups.push((&child.name, vec![child])),
        }
    }
    for (name, items) in groups {
        let child_path = format!("{path}.{name}");
        let Some((shape_element, variant)) = shape.property(name) else {
            return Err(format!("{child_path}: not an element of {}", shape.name));
        };
        if !shape_element.repeats && items.len() > 1 {
            return Err(format!(
                "{child_path}: {} occurrences of an element that does not repeat",
                items.len()
            ));
        }
        let kind = variant.map_or(&shape_element.kind, |(_, kind)| kind);
        let mut values = Vec::with_capacity(items.len());
        let mut extras = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = if shape_element.repeats {
                format!("{child_path}[{i}]")
            } else {
                child_path.clone()
            };
            match kind {
                ElementKind::Plain(kind) | ElementKind::Primitive { kind, .. } => {
                    if *kind == Kind::Xhtml {
                        values.push(Json::String(item.raw.clone().unwrap_or_default().into()));
                        extras.push(Json::Null);
                        continue;
                    }
                    let mut value = Json::Null;
                    let mut extra = Vec::new();
                    for (key, text) in &item.attributes {
                        match key.as_str() {
                            "value" => value = scalar(*kind, text),
                            "id" => extra.push(("id".into(), Json::String(text.as_str().into()))),
                            other => {
                                return Err(format!(
                                    "{item_path}: a primitive has no attribute `{other}`"
                                ));
                            }
                        }
                    }
                    let extensions = item
                        .children
                        .iter()
                        .enumerate()
                        .map(|(j, e)| {
                            if e.name != "extension" {
                                return Err(format!(
                                    "{item_path}.{}: a primitive holds only extensions",
                                    e.name
                                ));
                            }
                            object(
                                e,
                                "Extension",
                                shapes,
                                &format!("{item_path}.extension[{j}]"),
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if !extensions.is_empty() {
                        extra.push(("extension".into(), Json::Array(extensions)));
                    }
                    values.push(value);
                    extras.push(if extra.is_empty() {
                        Json::Null
                    } else {
                        Json::Object(extra)
                    });
                }
                ElementKind::Object { type_name, .. } => {
                    values.push(object(item, type_name, shapes, &item_path)?);
                }
                ElementKind::Resource => {
                    let [inner] = item.children.as_slice() else {
                        return Err(format!("{item_path}: must hold exactly one resource"));
                    };
                    values.push(resource(inner, shapes, &item_path)?);
                }
                ElementKind::Choice(_) => {
                    return Err(format!(
                        "{item_path}: a choice element needs its type in the name"
                    ));
                }
            }
        }
        let has_values = values.iter().any(|v| *v != Json::Null);
        let has_extras = extras.iter().any(|v| *v != Json::Null);
        if has_values || !has_extras {
            out.push((
                name.into(),
                if shape_element.repeats {
                    Json::Array(values)
                } else {
                    values.remove(0)
                },
            ));
        }
        if has_extras {
            out.push((
                format!("_{name}").into(),
                if shape_element.repeats {
                    Json::Array(extras)
                } else {
                    extras.remove(0)
                },
            ));
        }
    }
    Ok(())
}

fn object(
    element: &XmlElement,
    type_name: &str,
    shapes: &Shapes,
    path: &str,
) -> Result<Json, String> {
    let shape = shapes
        .type_named(type_name)
        .ok_or_else(|| format!("{path}: no definition of the type {type_name}"))?;
    let mut properties = Vec::new();
    fields(element, shape, shapes, path, &mut properties)?;
    Ok(Json::Object(properties))
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_in_text_with_multibyte_characters_are_errors_not_panics() {
        // No shapes are needed to reject these: they fail before any element is typed.
        for xml in [
            "<Patient>é<",
            "<Patient xmlns=\"http://hl7.org/fhir\">ééé</Patient>",
            "<a>\u{1F525}</b>",
            "é",
        ] {
            assert!(super::parse(xml).is_err(), "{xml}");
        }
    }
}
