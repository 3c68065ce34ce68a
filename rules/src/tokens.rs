//! The `Empty` and `Object` impls of a FHIR type whose fields are plain
//! values, primitives, objects, resources and choices: the code the
//! generator writes into the generated crates, and the code
//! `#[derive(fhirgen_macros::FhirObject)]` expands to. One function, so the
//! two cannot drift apart.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::Shape;

/// How a field is held in FHIR JSON.
#[derive(Debug, Clone)]
pub enum FieldIo {
    /// A value with no `_name` part (`id`, `url` of an extension): `kind` is
    /// the `fhirgen_runtime::Kind` variant.
    Plain { kind: Ident },
    /// A primitive: `name` and `_name`.
    Primitive { kind: Ident },
    /// A datatype or backbone element.
    Object,
    /// Resources of any type (`contained`).
    Resource,
    /// A choice element (`value[x]`): its JSON properties (`valueString`,
    /// `_valueString`, `valueQuantity`...).
    Choice { keys: Vec<String> },
}

/// A field of the type.
#[derive(Debug, Clone)]
pub struct ObjectField {
    pub field: Ident,
    /// The JSON property (for a choice, the element's name: `value`).
    pub json: String,
    pub shape: Shape,
    pub io: FieldIo,
}

impl ObjectField {
    fn required(&self) -> bool {
        matches!(self.shape, Shape::One | Shape::NonEmptyList)
    }

    fn list(&self) -> bool {
        matches!(self.shape, Shape::List | Shape::NonEmptyList)
    }
}

/// The placeholder a parse starts from, for a field of this shape.
pub fn empty_value(shape: Shape) -> TokenStream {
    match shape {
        Shape::List => quote!(::std::vec::Vec::new()),
        Shape::One | Shape::NonEmptyList => quote!(::fhirgen_runtime::Empty::empty()),
        Shape::Optional => quote!(::std::option::Option::None),
    }
}

/// `impl Empty` and `impl Object` for `name`, the FHIR type `type_code`
/// (`HumanName`; without it, FHIRPath cannot walk the type's elements).
pub fn object_impl(name: &Ident, fields: &[ObjectField], type_code: Option<&str>) -> TokenStream {
    let mut next: u16 = 0;
    let mut arms = Vec::new();
    let mut required = Vec::new();
    let mut writes = Vec::new();
    let mut elements = Vec::new();
    let mut finish = Vec::new();
    let mut uses_seen = false;
    let mut empty = Vec::new();
    for f in fields {
        let (field, json) = (&f.field, &f.json);
        let value = empty_value(f.shape);
        empty.push(quote!(#field: #value));
        let first = next;
        match &f.io {
            FieldIo::Plain { kind } => {
                arms.push((
                    json.clone(),
                    if f.required() {
                        quote!(r.required_plain_field(&mut self.#field, ::fhirgen_runtime::Kind::#kind)?)
                    } else {
                        quote!(r.plain_field(&mut self.#field, ::fhirgen_runtime::Kind::#kind)?)
                    },
                ));
                writes.push(if f.required() {
                    quote!(w.required_plain_field(#json, &self.#field);)
                } else {
                    quote!(w.plain_field(#json, &self.#field);)
                });
                elements.push(if f.required() {
                    quote!(e.required_plain(#json, &self.#field, ::fhirgen_runtime::Kind::#kind);)
                } else {
                    quote!(e.plain(#json, &self.#field, ::fhirgen_runtime::Kind::#kind);)
                });
            }
            FieldIo::Primitive { kind } => {
                arms.push((
                    json.clone(),
                    quote!(r.value_field(&mut self.#field, ::fhirgen_runtime::Kind::#kind)?),
                ));
                arms.push((
                    format!("_{json}"),
                    quote!(r.element_field(&mut self.#field)?),
                ));
                writes.push(quote!(w.primitive_field(#json, &self.#field);));
                elements.push(
                    quote!(e.primitive(#json, &self.#field, ::fhirgen_runtime::Kind::#kind);),
                );
                if f.list() {
                    finish.push(
                        quote!(::fhirgen_runtime::__private::empty_primitive(#json, &self.#field)?;),
                    );
                }
            }
            FieldIo::Object => {
                arms.push((json.clone(), quote!(r.object_field(&mut self.#field)?)));
                writes.push(quote!(w.object_field(#json, &self.#field);));
                elements.push(quote!(e.object(#json, &self.#field);));
            }
            FieldIo::Resource => {
                arms.push((json.clone(), quote!(r.resource_field(&mut self.#field)?)));
                writes.push(quote!(w.resource_field(#json, &self.#field);));
                elements.push(quote!(e.resource(#json, &self.#field);));
            }
            FieldIo::Choice { keys } => {
                let numbers: Vec<u16> = (next..next + keys.len() as u16).collect();
                for key in keys {
                    arms.push((
                        key.clone(),
                        if f.required() {
                            uses_seen = true;
                            quote!(r.required_choice_field(&mut self.#field, key, !seen.any(&[#(#numbers),*]))?)
                        } else {
                            quote!(r.choice_field(&mut self.#field, key)?)
                        },
                    ));
                }
                writes.push(if f.required() {
                    quote!(w.required_choice_field(&self.#field);)
                } else {
                    quote!(w.choice_field(&self.#field);)
                });
                elements.push(if f.required() {
                    quote!(e.required_choice(#json, &self.#field);)
                } else {
                    quote!(e.choice(#json, &self.#field);)
                });
            }
        }
        next = arms.len() as u16;
        if f.required() {
            let numbers: Vec<u16> = (first..next).collect();
            required.push(quote!((#json, &[#(#numbers),*])));
        }
    }
    impls(
        name,
        ObjectParts {
            empty,
            arms,
            required,
            writes,
            finish,
            uses_seen,
            type_code: type_code.map(str::to_owned),
            elements,
        },
    )
}

/// The pieces of a type's JSON code, each as the runtime calls it: field
/// placeholders (`field: value`), read arms (JSON property, read call; each
/// arm is numbered in order), required elements (`("name", &[numbers])`),
/// writes, and checks once read. Types with profile rules (slices, fixed
/// values, bindings) have arms [`object_impl`] does not make; the generator
/// builds their pieces and this puts them together the same way.
pub struct ObjectParts {
    pub empty: Vec<TokenStream>,
    pub arms: Vec<(String, TokenStream)>,
    pub required: Vec<TokenStream>,
    pub writes: Vec<TokenStream>,
    pub finish: Vec<TokenStream>,
    /// Whether some arm reads `seen` (a required choice).
    pub uses_seen: bool,
    /// The FHIR type, when known: then `elements` give each element to
    /// FHIRPath (`e.object("name", &self.name);`...).
    pub type_code: Option<String>,
    pub elements: Vec<TokenStream>,
}

/// `impl Empty` and `impl Object` for `name` from its pieces.
pub fn impls(name: &Ident, parts: ObjectParts) -> TokenStream {
    let ObjectParts {
        empty,
        arms,
        required,
        writes,
        finish,
        uses_seen,
        type_code,
        elements,
    } = parts;
    let arm_tokens = arms.iter().enumerate().map(|(i, (key, call))| {
        let n = i as u16;
        quote! { #key => { #call; #n } }
    });
    let seen = if uses_seen {
        quote!(seen)
    } else {
        quote!(_seen)
    };
    let element_access = match type_code {
        Some(type_code) => quote! {
            fn type_code(&self) -> &'static str {
                #type_code
            }

            fn elements<'a>(&'a self, e: &mut ::fhirgen_runtime::typed::Elements<'a, '_>) {
                #(#elements)*
            }
        },
        None => quote!(),
    };
    let finish = if finish.is_empty() {
        quote!()
    } else {
        quote! {
            fn finish(&self) -> ::std::result::Result<(), ::fhirgen_runtime::Problem> {
                #(#finish)*
                ::std::result::Result::Ok(())
            }
        }
    };
    quote! {
        impl ::fhirgen_runtime::Empty for #name {
            fn empty() -> Self {
                Self { #(#empty,)* }
            }
        }

        impl ::fhirgen_runtime::Object for #name {
            fn read_field(
                &mut self,
                key: &str,
                r: &mut ::fhirgen_runtime::Reader<'_>,
                #seen: &::fhirgen_runtime::Seen,
            ) -> ::std::result::Result<::std::option::Option<u16>, ::fhirgen_runtime::Error> {
                let number = match key {
                    #(#arm_tokens)*
                    _ => return ::std::result::Result::Ok(::std::option::Option::None),
                };
                ::std::result::Result::Ok(::std::option::Option::Some(number))
            }

            fn required(&self) -> &'static [(&'static str, &'static [u16])] {
                &[#(#required),*]
            }

            fn write_fields(&self, w: &mut ::fhirgen_runtime::Writer) {
                #(#writes)*
            }

            #finish

            #element_access
        }
    }
}
