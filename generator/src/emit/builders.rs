//! Typestate builders for base and profile types: `Reference::builder()`,
//! `UsCorePatientProfile::builder()` have a type parameter per element the
//! specification or profile requires, and `build()` exists only once each is
//! given; the compiler's error for a missing one names the element
//! (`#[diagnostic::on_unimplemented]`). Values a profile fixes have no
//! setter: fixed primitives have no field at all, patterns and required parts
//! with nothing left to choose are filled in. Setters name `Into`,
//! `IntoIterator` and `Some` unqualified, to stay one line each: no generated
//! type takes a prelude name (`naming::PRELUDE_NAMES`).

use std::collections::{HashMap, HashSet};

use heck::ToUpperCamelCase;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::doc_attrs;
use super::{element_type, ident, shaped, static_name};
use crate::conformance::Max;
use crate::ir::{FieldType, StructDef};

/// The builder's type parameters once parameter `i` is given.
fn given(params: &[Ident], i: usize) -> Vec<TokenStream> {
    params
        .iter()
        .enumerate()
        .map(|(j, p)| {
            if j == i {
                quote!(::fhirgen_runtime::Set)
            } else {
                quote!(#p)
            }
        })
        .collect()
}

/// One settable element of a struct, as the builder sees it.
struct Element<'a> {
    rust_name: &'a str,
    path: String,
    min: u32,
    max: Max,
    ty: &'a FieldType,
    short: Option<&'a str>,
    /// The static holding the profile's pattern for it.
    pattern: Option<Ident>,
    must_support: bool,
}

/// How the builder treats an element.
enum Role {
    /// Required: a type parameter, `Missing` until the setter is called.
    Required(usize),
    /// Optional: a setter that returns the same builder.
    Optional,
    /// Required and filled in: from the pattern (no setter), or with the
    /// part's own builder when nothing is left to choose in it (a setter
    /// replaces it with one built with more).
    Filled(TokenStream, bool),
    /// Optional with a pattern: `with_name()` puts the pattern in.
    OptionalPattern(Ident),
    /// Optional and Must Support, in the builder that makes a server address
    /// every Must Support element: a type parameter, `Set` once the element
    /// is given or declared absent (`no_name()`).
    MustSupport(usize, Option<Ident>),
}

/// Which builder to make.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `builder()`: the required elements must be set.
    Required,
    /// `must_support_builder()`: and every Must Support element must be
    /// given or declared absent.
    MustSupport,
}

fn elements<'a>(s: &'a StructDef) -> Vec<Element<'a>> {
    let mut out = Vec::new();
    for f in &s.fields {
        match &f.ty {
            FieldType::Constant(..) => {}
            FieldType::Sliced(sliced) => {
                for slice in &sliced.slices {
                    out.push(Element {
                        rust_name: &slice.rust_name,
                        path: format!("{}:{}", f.path, slice.name),
                        min: slice.min,
                        max: slice.max,
                        ty: &slice.ty,
                        short: slice.short.as_deref(),
                        pattern: None,
                        must_support: slice.must_support,
                    });
                }
                if let Some(rest) = &sliced.rest {
                    out.push(Element {
                        rust_name: &sliced.rest_name,
                        path: f.path.clone(),
                        min: 0,
                        max: Max::Unbounded,
                        ty: rest,
                        short: f.short.as_deref(),
                        pattern: None,
                        must_support: false,
                    });
                }
            }
            _ => out.push(Element {
                rust_name: &f.rust_name,
                path: f.path.clone(),
                min: f.min,
                max: f.max,
                ty: &f.ty,
                short: f.short.as_deref(),
                pattern: f
                    .pattern
                    .as_ref()
                    .map(|_| static_name(&s.name, &f.rust_name, "_VALUE")),
                must_support: f.must_support,
            }),
        }
    }
    out
}

/// What the builders of a crate need to know across structs.
pub(super) struct Builders<'a> {
    /// Structs of the crate whose builders have nothing required to set.
    complete: HashSet<&'a str>,
    /// Types (by path) a pattern can be made into: no required element.
    fillable: HashSet<&'a str>,
    /// What the rules come from, as the docs say it: "the profile" or "the
    /// specification".
    source: &'static str,
}

impl<'a> Builders<'a> {
    /// The builders of the profile structs `structs`, over base types of
    /// which `fillable` have no required element.
    pub(super) fn for_profiles(structs: &'a [StructDef], fillable: &'a [String]) -> Self {
        Self::new(
            structs,
            fillable.iter().map(String::as_str).collect(),
            "the profile",
        )
    }

    /// The builders of the base types `structs`.
    pub(super) fn for_base(structs: &'a [StructDef]) -> Self {
        Self::new(structs, HashSet::new(), "the specification")
    }

    fn new(structs: &'a [StructDef], fillable: HashSet<&'a str>, source: &'static str) -> Self {
        let by_name: HashMap<&str, &StructDef> =
            structs.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut builders = Builders {
            complete: HashSet::new(),
            fillable,
            source,
        };
        // A struct is complete when each required element is filled in;
        // that can depend on other structs being complete: iterate.
        loop {
            let before = builders.complete.len();
            for s in by_name.values() {
                let elements = elements(s);
                if elements
                    .iter()
                    .all(|e| e.min == 0 || builders.filled(e).is_some())
                {
                    builders.complete.insert(s.name.as_str());
                }
            }
            if builders.complete.len() == before {
                break;
            }
        }
        builders
    }

    /// The code that fills in a required element, if nothing is left to
    /// choose in it.
    fn filled(&self, e: &Element<'_>) -> Option<(TokenStream, bool)> {
        let FieldType::Object { type_name, boxed } = e.ty else {
            return None;
        };
        let (value, settable) = if let Some(pattern) = &e.pattern
            && e.max == Max::Count(1)
            && self.fillable.contains(type_name.as_str())
        {
            (quote!(::fhirgen_runtime::from_pattern(&#pattern)), false)
        } else if e.pattern.is_none() && self.complete.contains(type_name.as_str()) {
            let name = ident(type_name);
            (quote!(crate::#name::builder().build()), true)
        } else {
            return None;
        };
        let value = if *boxed {
            quote!(::std::boxed::Box::new(#value))
        } else {
            value
        };
        let value = if e.max == Max::Count(1) {
            value
        } else {
            quote!(::fhirgen_runtime::NonEmpty::new(#value))
        };
        Some((value, settable))
    }

    fn role(&self, e: &Element<'_>, next_param: &mut usize, mode: Mode) -> Role {
        if e.min == 0 && e.must_support && mode == Mode::MustSupport {
            *next_param += 1;
            let pattern = match (&e.pattern, e.ty) {
                (
                    Some(pattern),
                    FieldType::Object {
                        type_name,
                        boxed: false,
                    },
                ) if e.max == Max::Count(1) && self.fillable.contains(type_name.as_str()) => {
                    Some(pattern.clone())
                }
                _ => None,
            };
            return Role::MustSupport(*next_param - 1, pattern);
        }
        if e.min > 0 {
            if let Some((value, settable)) = self.filled(e) {
                return Role::Filled(value, settable);
            }
            *next_param += 1;
            return Role::Required(*next_param - 1);
        }
        match (&e.pattern, e.ty) {
            (
                Some(pattern),
                FieldType::Object {
                    type_name,
                    boxed: false,
                },
            ) if e.max == Max::Count(1) && self.fillable.contains(type_name.as_str()) => {
                Role::OptionalPattern(pattern.clone())
            }
            _ => Role::Optional,
        }
    }

    /// The builder of one struct; `profile` names what sets its rules in
    /// compile errors (`US Core Patient Profile`, `FHIR 4.0.1`).
    pub(super) fn tokens(&self, s: &StructDef, profile: &str, mode: Mode) -> TokenStream {
        let name = ident(&s.name);
        let (builder, entry) = match mode {
            Mode::Required => (ident(&format!("{}Builder", s.name)), ident("builder")),
            Mode::MustSupport => (
                ident(&format!("{}MustSupportBuilder", s.name)),
                ident("must_support_builder"),
            ),
        };
        let elements = elements(s);
        let mut next = 0;
        let roles: Vec<Role> = elements
            .iter()
            .map(|e| self.role(e, &mut next, mode))
            .collect();
        let params: Vec<Ident> = (0..next).map(|i| ident(&format!("P{i}"))).collect();
        let missing = params.iter().map(|_| quote!(::fhirgen_runtime::Missing));
        let mut traits = Vec::new();
        let mut bounds = Vec::new();
        let mut setters = Vec::new();
        let mut fills = Vec::new();
        for (e, role) in elements.iter().zip(&roles) {
            let field = ident(e.rust_name);
            let inner = element_type(e.ty);
            let full = shaped(inner.clone(), e.min, e.max);
            let max = match e.max {
                Max::Count(n) => n.to_string(),
                Max::Unbounded => "*".to_owned(),
            };
            // One line: where, how many, and the element's short text.
            let mut head = format!("`{}` {}..{}", e.path, e.min, max);
            if matches!(role, Role::MustSupport(..)) {
                head.push_str(", Must Support");
            }
            if let Some(short) = e.short {
                head.push_str(": ");
                head.push_str(short);
            }
            let mut doc = vec![head];
            match role {
                Role::Required(i) => {
                    let trait_name = ident(&format!(
                        "{}{}Given",
                        s.name,
                        e.rust_name.to_upper_camel_case()
                    ));
                    let message = format!(
                        "`{}` is required ({}..{}) by {profile}: set it with `.{}(...)` before `.build()`",
                        e.path, e.min, max, e.rust_name
                    );
                    let label = format!("`{}` is not set", e.path);
                    if mode == Mode::Required {
                        traits.push(quote! {
                            #[doc(hidden)]
                            #[diagnostic::on_unimplemented(message = #message, label = #label)]
                            pub trait #trait_name {}
                            impl #trait_name for ::fhirgen_runtime::Set {}
                        });
                    }
                    let param = &params[*i];
                    bounds.push(quote!(#param: #trait_name));
                    let after = given(&params, *i);
                    let doc = doc_attrs(&doc);
                    setters.push(quote! {
                        #doc
                        pub fn #field(mut self, value: impl Into<#full>) -> #builder<#(#after),*> {
                            self.inner.#field = value.into();
                            #builder { inner: self.inner, state: ::std::marker::PhantomData }
                        }
                    });
                }
                Role::Optional => {
                    let doc = doc_attrs(&doc);
                    setters.push(if e.max == Max::Count(1) {
                        quote! {
                            #doc
                            pub fn #field(mut self, value: impl Into<#inner>) -> Self {
                                self.inner.#field = Some(value.into());
                                self
                            }
                        }
                    } else {
                        quote! {
                            #doc
                            pub fn #field(mut self, items: impl IntoIterator<Item = #inner>) -> Self {
                                self.inner.#field = items.into_iter().collect();
                                self
                            }
                        }
                    });
                }
                Role::Filled(value, settable) => {
                    fills.push(quote!(inner.#field = #value;));
                    if *settable {
                        doc.push(String::new());
                        doc.push(format!(
                            "Filled in with what {} fixes; this replaces it.",
                            self.source
                        ));
                        let doc = doc_attrs(&doc);
                        setters.push(quote! {
                            #doc
                            pub fn #field(mut self, value: impl Into<#full>) -> Self {
                                self.inner.#field = value.into();
                                self
                            }
                        });
                    }
                }
                Role::MustSupport(i, pattern) => {
                    let trait_name = ident(&format!(
                        "{}{}Addressed",
                        s.name,
                        e.rust_name.to_upper_camel_case()
                    ));
                    let bare = e.rust_name.trim_end_matches('_');
                    let absent = ident(&format!("no_{bare}"));
                    let message = format!(
                        "`{}` is Must Support in {profile}: give it with `.{}(...)` or declare it absent with `.{absent}()` before `.build()`",
                        e.path,
                        if pattern.is_some() {
                            format!("with_{bare}")
                        } else {
                            e.rust_name.to_owned()
                        },
                    );
                    let label = format!("`{}` is not addressed", e.path);
                    traits.push(quote! {
                        #[doc(hidden)]
                        #[diagnostic::on_unimplemented(message = #message, label = #label)]
                        pub trait #trait_name {}
                        impl #trait_name for ::fhirgen_runtime::Set {}
                    });
                    let param = &params[*i];
                    bounds.push(quote!(#param: #trait_name));
                    let after = given(&params, *i);
                    let give = match (pattern, e.max) {
                        (Some(pattern), _) => {
                            let with = ident(&format!("with_{bare}"));
                            quote! {
                                pub fn #with(mut self) -> #builder<#(#after),*> {
                                    self.inner.#field = Some(::fhirgen_runtime::from_pattern(&#pattern));
                                    #builder { inner: self.inner, state: ::std::marker::PhantomData }
                                }
                            }
                        }
                        (None, Max::Count(1)) => quote! {
                            pub fn #field(mut self, value: impl Into<#inner>) -> #builder<#(#after),*> {
                                self.inner.#field = Some(value.into());
                                #builder { inner: self.inner, state: ::std::marker::PhantomData }
                            }
                        },
                        (None, _) => quote! {
                            pub fn #field(mut self, items: impl IntoIterator<Item = #inner>) -> #builder<#(#after),*> {
                                self.inner.#field = items.into_iter().collect();
                                #builder { inner: self.inner, state: ::std::marker::PhantomData }
                            }
                        },
                    };
                    let doc = doc_attrs(&doc);
                    let absent_doc = doc_attrs(&[format!(
                        "Declares `{}` absent: this server has no value for it here.",
                        e.path
                    )]);
                    setters.push(quote! {
                        #doc
                        #give

                        #absent_doc
                        pub fn #absent(self) -> #builder<#(#after),*> {
                            #builder { inner: self.inner, state: ::std::marker::PhantomData }
                        }
                    });
                }
                Role::OptionalPattern(pattern) => {
                    let with = ident(&format!("with_{}", e.rust_name.trim_end_matches('_')));
                    doc.push(String::new());
                    doc.push("Puts in the value the profile's pattern gives.".to_owned());
                    let doc = doc_attrs(&doc);
                    setters.push(quote! {
                        #doc
                        pub fn #with(mut self) -> Self {
                            self.inner.#field = Some(::fhirgen_runtime::from_pattern(&#pattern));
                            self
                        }
                    });
                }
            }
        }
        let mut struct_doc = vec![format!(
            "Builds a `{}`: `build()` exists once every element {} requires is set.",
            s.name, self.source
        )];
        let mut builder_fn_doc = vec![format!("A builder of `{}`", s.path)];
        if s.profile.is_some() || s.kind == crate::ir::StructKind::ProfilePart {
            struct_doc
                .push("Values the profile fixes are filled in and have no setter.".to_owned());
            builder_fn_doc[0].push_str(" with what the profile fixes filled in");
        }
        builder_fn_doc[0].push('.');
        let struct_doc = doc_attrs(&struct_doc);
        let builder_fn_doc = doc_attrs(&builder_fn_doc);
        let rules = if self.source == "the profile" {
            "the profile's cardinality and fixed values"
        } else {
            "the specification's cardinality"
        };
        let build_doc = doc_attrs(&[
            format!("The value, conformant to {rules}; a required element not given"),
            "is a compile error that names it.".to_owned(),
        ]);
        let inner_mut = if fills.is_empty() {
            quote!()
        } else {
            quote!(mut)
        };
        quote! {
            #(#traits)*

            #struct_doc
            #[must_use]
            pub struct #builder<#(#params),*> {
                inner: #name,
                state: ::std::marker::PhantomData<(#(#params,)*)>,
            }

            impl #name {
                #builder_fn_doc
                pub fn #entry() -> #builder<#(#missing),*> {
                    let #inner_mut inner = <#name as ::fhirgen_runtime::Empty>::empty();
                    #(#fills)*
                    #builder { inner, state: ::std::marker::PhantomData }
                }
            }

            impl<#(#params),*> #builder<#(#params),*> {
                #(#setters)*

                #build_doc
                pub fn build(self) -> #name
                where
                    #(#bounds,)*
                {
                    self.inner
                }
            }
        }
    }
}
