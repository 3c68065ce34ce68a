//! Proc-macros that make FHIR profile rules compile-time facts.
//!
//! `#[derive(Profile)]` turns a hand-written struct into a profile that
//! refines a generated one (a clinic's patient on top of US Core Patient):
//! each field names the element it constrains and the rules it holds to,
//! and the derive checks the field's Rust type against them with the rules
//! of `fhirgen-rules`, the same code and messages the generator uses. A
//! field of the wrong shape fails to compile, with a span on its type:
//!
//! ```text
//! error: `Patient.telecom` is 1..* (at least one): its Rust type must be
//!        `NonEmpty<T>`, found `Vec<T>` (any number)
//! ```
//!
//! `#[derive(FhirObject)]` writes a type's FHIR JSON code (`Empty` and
//! `Object` impls) from `#[fhir(...)]` field attributes, with the very
//! function (`fhirgen_rules::tokens::object_impl`) the generator writes that
//! code with. The generated crates do not carry it: the generator writes the
//! code out, which the README's compile-time figures show to be cheaper for
//! every user; `fhirgen generate --derive-objects` makes the derive variant
//! for that comparison.

use fhirgen_rules::{Cardinality, CodeType, Shape, Strength, check_binding, check_shape};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, LitStr, PathArguments, Type};

/// A profile written by hand on top of a generated one.
///
/// ```ignore
/// #[derive(Debug, Clone, fhirgen_macros::Profile)]
/// #[fhir(url = "https://clinic.example.org/fhir/StructureDefinition/clinic-patient")]
/// pub struct ClinicPatient {
///     /// The clinic calls its patients back: a phone number is mandatory.
///     #[fhir(element = "Patient.telecom", card = "1..*", must_support)]
///     pub telecom: NonEmpty<UsCorePatientProfileTelecom>,
///     /// Everything else, as US Core Patient has it.
///     #[fhir(base)]
///     pub base: UsCorePatientProfile,
/// }
/// ```
///
/// Each constrained field takes the element of the base's field of the same
/// name. The derive writes `URL`, `MUST_SUPPORT` and `ELEMENTS` constants,
/// `new` (every constrained element given), `TryFrom<Base>` (errors name the
/// element), `From<Self> for Base`, `from_json`, `to_json` and `validate`.
#[proc_macro_derive(Profile, attributes(fhir))]
pub fn derive_profile(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match profile(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

struct Constrained {
    ident: Ident,
    ty: Type,
    element: String,
    card: Cardinality,
    shape: Shape,
    must_support: bool,
}

fn profile(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let mut url = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("fhir")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("url") {
                url = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else {
                Err(meta.error("expected `url = \"...\"`"))
            }
        })?;
    }
    let url = url.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "a profile needs its canonical URL: #[fhir(url = \"...\")]",
        )
    })?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(Span::call_site(), "a profile is a struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            Span::call_site(),
            "a profile has named fields",
        ));
    };

    let mut base = None;
    let mut constrained = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut report = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    for field in &fields.named {
        match field_rules(field) {
            Ok(FieldRole::Base) => base = Some(field),
            Ok(FieldRole::Constrained(c)) => constrained.push(*c),
            Err(error) => report(error),
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    let base = base.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "a profile refines a base: mark the field that holds it with #[fhir(base)]",
        )
    })?;
    let base_field = base.ident.as_ref().expect("named field");
    let base_ty = &base.ty;

    let elements = constrained.iter().map(|c| {
        let (element, card) = (&c.element, c.card.to_string());
        quote!((#element, #card))
    });
    let must_support = constrained
        .iter()
        .filter(|c| c.must_support)
        .map(|c| &c.element);
    let params = constrained.iter().map(|c| {
        let (ident, ty) = (&c.ident, &c.ty);
        quote!(#ident: #ty)
    });
    let idents: Vec<&Ident> = constrained.iter().map(|c| &c.ident).collect();
    let narrow = constrained.iter().map(|c| {
        let (ident, element) = (&c.ident, &c.element);
        let max = match c.card.max {
            fhirgen_rules::Max::Count(n) => {
                let n = n as usize;
                quote!(::std::option::Option::Some(#n))
            }
            fhirgen_rules::Max::Unbounded => quote!(::std::option::Option::None),
        };
        let min = c.card.min as usize;
        let items = quote!(::fhirgen_runtime::refine::Slot::take_items(&mut base.#ident));
        let value = match c.shape {
            Shape::One => quote!(::fhirgen_runtime::refine::one(#items, #element)?),
            Shape::Optional => quote!(::fhirgen_runtime::refine::at_most_one(#items, #element)?),
            Shape::List => quote!(::fhirgen_runtime::refine::list(#items, #element, #min, #max)?),
            Shape::NonEmptyList => {
                quote!(::fhirgen_runtime::refine::non_empty(#items, #element, #max)?)
            }
        };
        quote_spanned!(c.ty.span()=> let #ident = #value;)
    });
    let widen = constrained.iter().map(|c| {
        let ident = &c.ident;
        let items = match c.shape {
            Shape::One => quote!(::std::vec![profile.#ident]),
            Shape::Optional => quote!(profile.#ident.into_iter().collect()),
            Shape::List => quote!(profile.#ident),
            Shape::NonEmptyList => quote!(profile.#ident.into_vec()),
        };
        quote_spanned!(c.ty.span()=>
            ::fhirgen_runtime::refine::Slot::put_items(&mut base.#ident, #items);
        )
    });

    Ok(quote! {
        impl #name {
            /// The profile's canonical URL.
            pub const URL: &'static str = #url;
            /// The elements this profile constrains beyond its base, with
            /// their cardinality.
            pub const ELEMENTS: &'static [(&'static str, &'static str)] = &[#(#elements),*];
            /// The elements this profile makes Must Support, beyond its base's.
            pub const MUST_SUPPORT: &'static [&'static str] = &[#(#must_support),*];

            /// The profile from its base and every element it constrains.
            pub fn new(#base_field: #base_ty, #(#params),*) -> Self {
                Self { #base_field, #(#idents),* }
            }

            /// Reads a resource that must conform to this profile (and so to
            /// its base).
            pub fn from_json(json: &[u8]) -> ::std::result::Result<Self, ::fhirgen_runtime::Error> {
                <Self as ::std::convert::TryFrom<#base_ty>>::try_from(<#base_ty>::from_json(json)?)
            }

            /// Writes the resource as FHIR JSON.
            pub fn to_json(&self) -> ::std::vec::Vec<u8> {
                <#base_ty as ::std::convert::From<Self>>::from(::std::clone::Clone::clone(self)).to_json()
            }

            /// Checks the resource against this profile and its base, as a
            /// strict read would.
            pub fn validate(&self) -> ::std::result::Result<(), ::fhirgen_runtime::Error> {
                Self::from_json(&self.to_json()).map(|_| ())
            }
        }

        impl ::std::convert::TryFrom<#base_ty> for #name {
            type Error = ::fhirgen_runtime::Error;
            fn try_from(mut base: #base_ty) -> ::std::result::Result<Self, Self::Error> {
                #(#narrow)*
                ::std::result::Result::Ok(Self { #base_field: base, #(#idents),* })
            }
        }

        impl ::std::convert::From<#name> for #base_ty {
            fn from(profile: #name) -> Self {
                let mut base = profile.#base_field;
                #(#widen)*
                base
            }
        }
    })
}

/// A type's FHIR JSON code (`fhirgen_runtime::Empty` and `Object`), from
/// attributes on each field:
///
/// ```ignore
/// #[derive(fhirgen_macros::FhirObject)]
/// #[fhir(type_code = "Coding")]
/// pub struct Coding {
///     #[fhir(json = "id", plain = "Id")]
///     pub id: Option<String>,
///     #[fhir(json = "system", primitive = "Uri")]
///     pub system: Option<Uri>,
///     #[fhir(json = "extension", object)]
///     pub extension: Vec<Extension>,
///     #[fhir(json = "value", choice("valueString", "_valueString", "valueQuantity"))]
///     pub value: Option<ExtensionValue>,
/// }
/// ```
///
/// The field's cardinality is its Rust shape (`T`, `Option`, `Vec`,
/// `NonEmpty`).
#[proc_macro_derive(FhirObject, attributes(fhir))]
pub fn derive_fhir_object(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match fhir_object(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn fhir_object(input: &DeriveInput) -> syn::Result<Tokens> {
    use fhirgen_rules::tokens::{FieldIo, ObjectField, object_impl};
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "a FHIR type is a struct",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            Span::call_site(),
            "a FHIR type has named fields",
        ));
    };
    let mut objects = Vec::new();
    for field in &fields.named {
        let ident = field.ident.clone().expect("named field");
        let (mut json, mut io) = (None, None);
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("fhir")) {
            attr.parse_nested_meta(|meta| {
                let kind = |meta: &syn::meta::ParseNestedMeta| -> syn::Result<Ident> {
                    let text: LitStr = meta.value()?.parse()?;
                    Ok(Ident::new(&text.value(), text.span()))
                };
                if meta.path.is_ident("json") {
                    json = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("plain") {
                    io = Some(FieldIo::Plain { kind: kind(&meta)? });
                } else if meta.path.is_ident("primitive") {
                    io = Some(FieldIo::Primitive { kind: kind(&meta)? });
                } else if meta.path.is_ident("object") {
                    io = Some(FieldIo::Object);
                } else if meta.path.is_ident("resource") {
                    io = Some(FieldIo::Resource);
                } else if meta.path.is_ident("choice") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let list = content.parse_terminated(
                        |input: syn::parse::ParseStream| input.parse::<LitStr>(),
                        syn::Token![,],
                    )?;
                    let keys = list.iter().map(LitStr::value).collect();
                    io = Some(FieldIo::Choice { keys });
                } else {
                    return Err(meta.error(
                        "expected `json`, `plain`, `primitive`, `object`, `resource` or `choice(...)`",
                    ));
                }
                Ok(())
            })?;
        }
        let (Some(json), Some(io)) = (json, io) else {
            return Err(syn::Error::new(
                ident.span(),
                format!("field `{ident}` needs #[fhir(json = \"...\", <how it is held>)]"),
            ));
        };
        let (shape, _) = shape_of(&field.ty);
        objects.push(ObjectField {
            field: ident,
            json,
            shape,
            io,
        });
    }
    // `#[fhir(type_code = "Coding")]` on the struct: the FHIR type, which
    // lets FHIRPath walk its elements (constraints).
    let mut type_code = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("fhir")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("type_code") {
                type_code = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("expected `type_code = \"...\"`"))
            }
        })?;
    }
    Ok(object_impl(&input.ident, &objects, type_code.as_deref()))
}

enum FieldRole {
    Base,
    Constrained(Box<Constrained>),
}

fn field_rules(field: &syn::Field) -> syn::Result<FieldRole> {
    let ident = field.ident.clone().expect("named field");
    let mut is_base = false;
    let (mut element, mut card, mut must_support) = (None, None, false);
    let mut binding: Option<(Strength, String, Span)> = None;
    let mut attrs = field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("fhir"))
        .peekable();
    if attrs.peek().is_none() {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "field `{ident}` needs #[fhir(element = \"...\", card = \"min..max\")], or #[fhir(base)]"
            ),
        ));
    }
    for attr in attrs {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("base") {
                is_base = true;
            } else if meta.path.is_ident("element") {
                element = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("card") {
                let text: LitStr = meta.value()?.parse()?;
                let parsed = Cardinality::parse(&text.value())
                    .map_err(|message| syn::Error::new(text.span(), message))?;
                card = Some(parsed);
            } else if meta.path.is_ident("must_support") {
                must_support = true;
            } else if meta.path.is_ident("required") || meta.path.is_ident("extensible") {
                let strength = if meta.path.is_ident("required") {
                    Strength::Required
                } else {
                    Strength::Extensible
                };
                let value_set: LitStr = meta.value()?.parse()?;
                binding = Some((strength, value_set.value(), value_set.span()));
            } else {
                return Err(meta.error(
                    "expected `base`, `element`, `card`, `must_support`, `required = \"value set\"` or `extensible = \"value set\"`",
                ));
            }
            Ok(())
        })?;
    }
    if is_base {
        return Ok(FieldRole::Base);
    }
    let element = element.ok_or_else(|| {
        syn::Error::new(
            ident.span(),
            format!("field `{ident}` needs element = \"Resource.path\""),
        )
    })?;
    let card = card.ok_or_else(|| {
        syn::Error::new(
            ident.span(),
            format!("field `{ident}` needs card = \"min..max\""),
        )
    })?;
    let (shape, inner) = shape_of(&field.ty);
    check_shape(&element, card, shape)
        .map_err(|violation| syn::Error::new(field.ty.span(), violation.to_string()))?;
    if let Some((strength, value_set, _)) = &binding {
        let found = if is_open_code(inner) {
            CodeType::Open
        } else {
            CodeType::Enum
        };
        // A required binding named on a field is to a value set whose codes
        // the author knows: enumerable.
        check_binding(&element, *strength, value_set, true, found)
            .map_err(|violation| syn::Error::new(field.ty.span(), violation.to_string()))?;
    }
    Ok(FieldRole::Constrained(Box::new(Constrained {
        ident,
        ty: field.ty.clone(),
        element,
        card,
        shape,
        must_support,
    })))
}

/// The shape of a field's type and the type it holds (`Vec<T>`: `T`).
fn shape_of(ty: &Type) -> (Shape, &Type) {
    if let Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
    {
        let shape = Shape::of_type_name(&last.ident.to_string());
        if shape != Shape::One
            && let PathArguments::AngleBracketed(args) = &last.arguments
            && let Some(GenericArgument::Type(inner)) = args.args.first()
        {
            return (shape, inner);
        }
    }
    (Shape::One, ty)
}

/// Whether a type takes any code: strings and FHIR's open code types.
fn is_open_code(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.path.segments.last().is_some_and(|last| {
        matches!(
            last.ident.to_string().as_str(),
            "String" | "str" | "Code" | "FhirString"
        )
    })
}
