//! `codes.rs` of a crate: a value set's codes as an enum. The enum gives
//! its tables and where each variant sits in them; the runtime's `CodeEnum`
//! trait does the rest (code, system, display, FHIR JSON), written once.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::doc_attrs;
use super::ident;
use crate::ir::CodeEnum;

/// The code enums of a crate whose `Extension` type is at `extension`
/// (`crate::Extension` in the base crate, `::fhir_r4::Extension` in others).
pub(super) fn code_enums(enums: &[CodeEnum], extension: &TokenStream) -> TokenStream {
    enums.iter().map(|e| code_enum(e, extension)).collect()
}

/// One value set's codes as an enum, the alias for `code` elements that
/// hold it, and its `CodeEnum` tables.
fn code_enum(e: &CodeEnum, extension: &TokenStream) -> TokenStream {
    let name = ident(&e.name);
    let alias = ident(&e.alias);
    let value_set = &e.value_set;
    let variants: Vec<Ident> = e.codes.iter().map(|c| ident(&c.variant)).collect();
    let positions = 0..e.codes.len();
    let codes: Vec<&str> = e.codes.iter().map(|c| c.code.as_str()).collect();
    let systems: Vec<&str> = e.codes.iter().map(|c| c.system.as_str()).collect();
    let displays: Vec<TokenStream> = e
        .codes
        .iter()
        .map(|c| match &c.display {
            Some(d) => quote!(::std::option::Option::Some(#d)),
            None => quote!(::std::option::Option::None),
        })
        .collect();
    let variant_docs = e.codes.iter().map(|c| {
        doc_attrs(&[format!(
            "`{}` ({}){}",
            c.code,
            c.system,
            c.display
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )])
    });
    let doc = doc_attrs(&[
        e.title.clone().unwrap_or_else(|| e.name.clone()),
        String::new(),
        format!("The codes of value set `{value_set}`."),
        "Its code, system and display: the `CodeEnum` trait, which the crate re-exports."
            .to_owned(),
    ]);
    let alias_doc = doc_attrs(&[format!(
        "A `code` element bound to `{value_set}` by a required binding."
    )]);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #( #variant_docs #variants, )*
            /// A code outside the value set, kept by a lenient read (which
            /// reports it as an issue); a strict read rejects it.
            NotInValueSet(::std::string::String),
        }

        #alias_doc
        pub type #alias = ::fhirgen_runtime::Primitive<#name, #extension>;

        impl ::fhirgen_runtime::CodeEnum for #name {
            const VALUE_SET: &'static str = #value_set;
            const CODES: &'static [(&'static str, &'static str)] = &[#((#systems, #codes)),*];
            const DISPLAYS: &'static [::std::option::Option<&'static str>] = &[#(#displays),*];
            const VARIANTS: &'static [Self] = &[#(Self::#variants),*];

            fn position(&self) -> ::std::result::Result<usize, &str> {
                match self {
                    #( Self::#variants => ::std::result::Result::Ok(#positions), )*
                    Self::NotInValueSet(code) => ::std::result::Result::Err(code),
                }
            }

            fn not_in_value_set(code: ::std::string::String) -> Self {
                Self::NotInValueSet(code)
            }
        }
    }
}

/// The base crate's constructors of `Coding` and `CodeableConcept` from any
/// code enum, and membership of a concept in one.
pub(super) fn coded_datatypes() -> TokenStream {
    quote! {
        impl crate::Coding {
            /// A `Coding` with the system, code and display of `code`.
            pub fn of<T: ::fhirgen_runtime::CodeEnum>(code: &T) -> Self {
                let mut coding: Self = ::fhirgen_runtime::Empty::empty();
                coding.system = code.system().map(|s| ::fhirgen_runtime::Primitive::new(s.to_owned()));
                coding.code = ::std::option::Option::Some(::fhirgen_runtime::Primitive::new(code.code().to_owned()));
                coding.display = code.display().map(|d| ::fhirgen_runtime::Primitive::new(d.to_owned()));
                coding
            }

            /// Whether the coding is one of `T`'s codes (the code matches, and
            /// the system when the coding has one), as the profile checks
            /// decide it.
            pub fn is_in<T: ::fhirgen_runtime::CodeEnum>(&self) -> bool {
                let system = self.system.as_ref().and_then(|s| s.value.as_deref());
                let code = self.code.as_ref().and_then(|c| c.value.as_deref());
                T::has_coding(system, code)
            }
        }

        impl crate::CodeableConcept {
            /// A `CodeableConcept` with the one coding of `code`.
            pub fn of<T: ::fhirgen_runtime::CodeEnum>(code: &T) -> Self {
                let mut concept: Self = ::fhirgen_runtime::Empty::empty();
                let coding = crate::Coding::of(code);
                concept.coding = ::std::vec![coding];
                concept
            }

            /// Whether a coding of the concept is one of `T`'s codes.
            pub fn has_code_in<T: ::fhirgen_runtime::CodeEnum>(&self) -> bool {
                self.coding.iter().any(crate::Coding::is_in::<T>)
            }
        }
    }
}
