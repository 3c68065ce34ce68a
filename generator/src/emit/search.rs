//! `src/search.rs` of an IG crate: a typed search per resource type (a
//! builder with one method per parameter, the value type its
//! SearchParameter's type calls for; the IG's combinations as named
//! constructors), parsed back from query strings (a server's side) and
//! matched against the crate's typed values, over `fhirgen_search`.

use std::collections::HashSet;

use fhirgen_search::{ParamType, SearchParameter};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs::doc_attrs;
use super::ident;
use crate::ir::{ParameterUse, ResourceSearch, SearchSpace};

/// Method names a typed search has whatever its parameters.
const FIXED_METHODS: &[&str] = &[
    "new",
    "not",
    "text",
    "in_value_set",
    "not_in_value_set",
    "above",
    "below",
    "of_type",
    "exact",
    "contains",
    "reference_identifier",
    "chain",
    "uri_above",
    "uri_below",
    "parse",
    "parse_lenient",
    "matches",
    "search",
    "into_search",
    "missing",
    "sort",
    "count",
    "include",
    "revinclude",
    "to_string",
    "clone",
    "default",
];

/// The method name of a parameter (`clinical-status` -> `clinical_status`,
/// `_lastUpdated` -> `last_updated`, `type` -> `type_`).
fn method_name(code: &str) -> String {
    let name = crate::naming::field_name(code.trim_start_matches('_'));
    if FIXED_METHODS.contains(&name.as_str()) || name.is_empty() {
        format!("{name}_param")
    } else {
        name
    }
}

/// The first line of a definition's description, without Markdown emphasis.
fn summary(text: &str) -> String {
    text.lines()
        .map(|l| l.trim().trim_matches('*').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned()
}

pub fn search_rs(space: &SearchSpace, package: &str) -> TokenStream {
    // R4's resource types are the runtime's list; a parameter that may
    // refer to any of them (Provenance's `target`) names the list too.
    let resource_types = &space.resource_types;
    let is_r4 = resource_types
        .iter()
        .map(String::as_str)
        .eq(fhirgen_runtime::R4_RESOURCE_TYPES.iter().copied());
    let (all_types, types_item) = if is_r4 {
        (quote!(::fhirgen_runtime::R4_RESOURCE_TYPES), None)
    } else {
        (
            quote!(RESOURCE_TYPES),
            Some(quote! {
                /// The resource types a search may name.
                const RESOURCE_TYPES: &[&str] = &[#(#resource_types),*];
            }),
        )
    };
    let parameters = space
        .parameters
        .iter()
        .map(|p| static_parameter(p, resource_types, &all_types));
    let searches = space.resources.iter().map(resource_search);
    let index = space.resources.iter().map(index_entry);
    let source = match &space.source {
        Some(url) => format!(" and what its server CapabilityStatement (`{url}`) lists"),
        None => String::new(),
    };
    // The value types the methods take, imported only when some does.
    let kinds: HashSet<ParamType> = space
        .resources
        .iter()
        .flat_map(|r| &r.parameters)
        .flat_map(|p| std::iter::once(p.definition.kind).chain(p.components.iter().copied()))
        .collect();
    let mut value_types = Vec::new();
    if kinds.contains(&ParamType::Date) {
        value_types.push(ident("Date"));
    }
    if kinds.contains(&ParamType::Number) {
        value_types.push(ident("Number"));
    }
    if kinds.contains(&ParamType::Date) || kinds.contains(&ParamType::Number) {
        value_types.push(ident("Prefix"));
    }
    if kinds.contains(&ParamType::Quantity) {
        value_types.push(ident("QuantityValue"));
    }
    let doc = format!(
        " Typed FHIR searches from the SearchParameters of {package}{source}: a \
         search per resource type, with a method per parameter taking the value \
         type its SearchParameter's type calls for, and the combinations the IG \
         names as constructors. `to_string()` writes the query; `parse` reads one \
         (an unknown parameter, a bad value or a modifier its type does not allow \
         is an error naming it, with the OperationOutcome to answer); `matches` \
         evaluates the search on a resource in memory."
    );
    quote! {
        #![doc = #doc]

        use ::fhirgen_search::{
            #(#value_types,)* Handling, ParamCode, ParamType, Registry, Search,
            SearchError, SearchIndex, SearchValue, StaticParameter, Token, TypedSearch,
        };

        #types_item

        /// The definitions of the parameters these searches use.
        static PARAMETERS: &[StaticParameter] = &[#(#parameters),*];

        /// The search parameters of this crate's searches, as the runtime reads them.
        pub fn registry() -> &'static Registry {
            static REGISTRY: ::std::sync::OnceLock<Registry> = ::std::sync::OnceLock::new();
            REGISTRY.get_or_init(|| Registry::from_static(#all_types, PARAMETERS))
        }

        /// Each typed search: its resource type, each parameter's code and
        /// method, each combination's constructor and codes.
        pub static SEARCHES: &[SearchIndex] = &[#(#index),*];

        /// Whether the typed resource matches `search`.
        fn matches(
            search: &Search,
            resource: &dyn ::fhirgen_runtime::Object,
        ) -> Result<bool, SearchError> {
            let root = ::fhirgen_runtime::typed::Node::Resource(resource);
            let model = ::fhirgen_runtime::typed::Typed::new(crate::constraints::CATALOG.bases(), root);
            ::fhirgen_search::Matcher::new(registry()).matches(search, &model, &root)
        }

        #(#searches)*
    }
}

fn static_parameter(p: &SearchParameter, all: &[String], all_types: &TokenStream) -> TokenStream {
    let url = &p.url;
    let code = &p.code;
    let base = &p.base;
    let kind = param_type(p.kind);
    let expression = match &p.expression {
        Some(e) => quote!(Some(#e)),
        None => quote!(None),
    };
    let mut sorted = p.targets.clone();
    sorted.sort();
    let targets = if sorted == all {
        all_types.clone()
    } else {
        let targets = &p.targets;
        quote!(&[#(#targets),*])
    };
    let components = p.components.iter().map(|c| {
        let (definition, expression) = (&c.definition, &c.expression);
        quote!((#definition, #expression))
    });
    quote! {
        StaticParameter {
            url: #url,
            code: #code,
            base: &[#(#base),*],
            kind: #kind,
            expression: #expression,
            targets: #targets,
            components: &[#(#components),*],
        }
    }
}

fn param_type(kind: ParamType) -> TokenStream {
    let variant = ident(&kind.code().to_upper_camel_case());
    quote!(ParamType::#variant)
}

fn struct_name(search: &ResourceSearch) -> Ident {
    format_ident!("{}Search", search.resource_type)
}

fn index_entry(search: &ResourceSearch) -> TokenStream {
    let resource_type = &search.resource_type;
    let parameters = search.parameters.iter().map(|p| {
        let code = &p.definition.code;
        let method = method_name(code);
        quote!((#code, #method))
    });
    let combinations = search.combinations.iter().map(|c| {
        let constructor = combination_name(&c.codes);
        let codes = &c.codes;
        quote!((#constructor, &[#(#codes),*]))
    });
    let includes = &search.includes;
    let revincludes = &search.revincludes;
    quote! {
        SearchIndex {
            resource_type: #resource_type,
            parameters: &[#(#parameters),*],
            combinations: &[#(#combinations),*],
            includes: &[#(#includes),*],
            revincludes: &[#(#revincludes),*],
        }
    }
}

fn combination_name(codes: &[String]) -> String {
    let parts: Vec<String> = codes
        .iter()
        .map(|c| c.trim_start_matches('_').to_snake_case())
        .collect();
    format!("by_{}", parts.join("_and_"))
}

/// The arguments a parameter's main method takes, and the value it makes
/// of them.
fn arguments(kind: ParamType, name: &str) -> (TokenStream, TokenStream) {
    let value = format_ident!("{}", name);
    let prefix = format_ident!("{}_prefix", name);
    match kind {
        ParamType::Token => (
            quote!(#value: impl Into<Token>),
            quote!(SearchValue::Token(#value.into())),
        ),
        ParamType::String => (
            quote!(#value: &str),
            quote!(SearchValue::String(#value.to_owned())),
        ),
        ParamType::Date => (
            quote!(#prefix: Prefix, #value: Date),
            quote!(SearchValue::Date(#prefix, #value)),
        ),
        ParamType::Number => (
            quote!(#prefix: Prefix, #value: Number),
            quote!(SearchValue::Number(#prefix, #value)),
        ),
        ParamType::Quantity => (
            quote!(#value: QuantityValue),
            quote!(SearchValue::Quantity(#value)),
        ),
        ParamType::Reference => (
            quote!(#value: &str),
            quote!(SearchValue::Reference(#value.to_owned())),
        ),
        ParamType::Uri => (
            quote!(#value: &str),
            quote!(SearchValue::Uri(#value.to_owned())),
        ),
        ParamType::Composite | ParamType::Special => (
            quote!(#value: &str),
            quote!(SearchValue::Special(#value.to_owned())),
        ),
    }
}

/// The argument name of a parameter in a constructor or composite.
fn argument_name(code: &str) -> String {
    let name = code.trim_start_matches('_').to_snake_case();
    if crate::naming::field_name(&name) != name {
        format!("{name}_value")
    } else {
        name
    }
}

fn parameter_doc(search: &ResourceSearch, used: &ParameterUse) -> Vec<String> {
    let p = &used.definition;
    let mut lines = vec![format!(
        "`{}` ({}): {}",
        p.code,
        p.kind,
        summary(&p.description)
    )];
    if !p.targets.is_empty() && p.kind == ParamType::Reference {
        lines.push(String::new());
        lines.push(format!(
            "A reference (`Type/id`, an id, or an absolute URL) to {}.",
            p.targets.join(", ")
        ));
    }
    if let Some(expectation) = &used.expectation {
        lines.push(String::new());
        lines.push(format!(
            "Servers: {expectation} support it on {}.",
            search.resource_type
        ));
    }
    if let Some(documentation) = &used.documentation {
        for paragraph in documentation.split("\n\n").filter(|p| !p.trim().is_empty()) {
            lines.push(String::new());
            lines.push(paragraph.trim().to_owned());
        }
    }
    lines
}

fn resource_search(search: &ResourceSearch) -> TokenStream {
    let name = struct_name(search);
    let resource_type = &search.resource_type;
    let mut taken: HashSet<String> = HashSet::new();
    let mut methods = Vec::new();
    let mut variants = Vec::new();
    let mut variant_codes = Vec::new();
    let mut groups = Groups::default();
    for used in &search.parameters {
        let p = &used.definition;
        let code = p.code.as_str();
        let method = method_name(code);
        if !taken.insert(method.clone()) {
            continue;
        }
        variants.push(ident(&code.trim_start_matches('_').to_upper_camel_case()));
        variant_codes.push(code.to_owned());
        let doc = doc_attrs(&parameter_doc(search, used));
        let m = ident(&method);
        let value = argument_name(code);
        if p.kind == ParamType::Composite {
            let mut args = Vec::new();
            let mut parts = Vec::new();
            for (i, kind) in used.components.iter().enumerate() {
                let (arg, part) = arguments(*kind, &format!("part{}", i + 1));
                args.push(arg);
                parts.push(part);
            }
            methods.push(quote! {
                #doc
                #[doc = ""]
                #[doc = " One value per component, in order (joined by `$` in the query)."]
                pub fn #m(mut self, #(#args),*) -> Self {
                    self.0.push(#code, None, vec![SearchValue::Composite(vec![#(#parts),*])]);
                    self
                }
            });
            continue;
        }
        let (args, make) = arguments(p.kind, &value);
        methods.push(quote! {
            #doc
            pub fn #m(mut self, #args) -> Self {
                self.0.push(#code, None, vec![#make]);
                self
            }
        });
        let stem = method.trim_end_matches('_');
        let any = format_ident!("{}_any", stem);
        let any_doc = format!(" `{code}`: any of `values` (values separated by commas: OR).");
        let one = |item: TokenStream, make: TokenStream| {
            let lifetime = item.to_string().contains("'v").then(|| quote!(<'v>));
            quote! {
                #[doc = #any_doc]
                pub fn #any #lifetime(mut self, values: impl IntoIterator<Item = #item>) -> Self {
                    self.0.push(#code, None, values.into_iter().map(#make).collect());
                    self
                }
            }
        };
        let variant = variants.last().cloned().expect("pushed above");
        match p.kind {
            ParamType::Token => {
                methods.push(one(quote!(Token), quote!(SearchValue::Token)));
                groups.token.push((variant, code.to_owned()));
            }
            ParamType::String => {
                methods.push(one(
                    quote!(&'v str),
                    quote!(|s: &str| SearchValue::String(s.to_owned())),
                ));
                groups.string.push((variant, code.to_owned()));
            }
            ParamType::Reference => {
                methods.push(one(
                    quote!(&'v str),
                    quote!(|r: &str| SearchValue::Reference(r.to_owned())),
                ));
                groups.reference.push((variant, code.to_owned()));
            }
            ParamType::Uri => groups.uri.push((variant, code.to_owned())),
            _ => {}
        }
    }
    let all: Vec<(Ident, String)> = variants
        .iter()
        .cloned()
        .zip(variant_codes.iter().cloned())
        .collect();
    let typed_impl = typed_search_impl(&name, resource_type, &all, &groups);
    // Combinations as constructors.
    let mut constructors = Vec::new();
    for combination in &search.combinations {
        let constructor = ident(&combination_name(&combination.codes));
        if !taken.insert(constructor.to_string()) {
            continue;
        }
        let mut args = Vec::new();
        let mut calls = Vec::new();
        let mut complete = true;
        for code in &combination.codes {
            let Some(used) = search
                .parameters
                .iter()
                .find(|p| p.definition.code == *code)
            else {
                complete = false;
                break;
            };
            if used.definition.kind == ParamType::Composite {
                complete = false;
                break;
            }
            let value = argument_name(code);
            let (arg, _) = arguments(used.definition.kind, &value);
            args.push(arg);
            let m = ident(&method_name(code));
            let v = format_ident!("{}", value);
            let p = format_ident!("{}_prefix", value);
            calls.push(match used.definition.kind {
                ParamType::Date | ParamType::Number => quote!(.#m(#p, #v)),
                _ => quote!(.#m(#v)),
            });
        }
        if !complete {
            continue;
        }
        let codes = combination.codes.join(" + ");
        let mut doc = vec![format!("A search by {codes}")];
        if let Some(expectation) = &combination.expectation {
            doc[0].push_str(&format!(", a combination servers {expectation} support."));
        } else {
            doc[0].push('.');
        }
        let doc = doc_attrs(&doc);
        constructors.push(quote! {
            #doc
            pub fn #constructor(#(#args),*) -> Self {
                Self::new()#(#calls)*
            }
        });
    }
    let includes = include_enum(search, "Include", &search.includes);
    let revincludes = include_enum(search, "RevInclude", &search.revincludes);
    let include_method = (!search.includes.is_empty()).then(|| {
        let e = format_ident!("{}Include", resource_type);
        quote! {
            /// `_include`: also return the resources these references point to.
            pub fn include(mut self, include: #e) -> Self {
                self.0.results.include.push(include.to_include());
                self
            }
        }
    });
    let revinclude_method = (!search.revincludes.is_empty()).then(|| {
        let e = format_ident!("{}RevInclude", resource_type);
        quote! {
            /// `_revinclude`: also return the resources that refer to the matches.
            pub fn revinclude(mut self, include: #e) -> Self {
                self.0.results.revinclude.push(include.to_include());
                self
            }
        }
    });
    let struct_doc =
        format!(" A search for {resource_type} resources: `{resource_type}?...` once written.");
    let combination_list: Vec<String> = search
        .combinations
        .iter()
        .map(|c| {
            format!(
                " - `{}`: {}{}",
                combination_name(&c.codes),
                c.codes.join(" + "),
                c.expectation
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let combinations_doc = (!combination_list.is_empty()).then(|| {
        quote! {
            #[doc = ""]
            #[doc = " The combinations the IG names, as constructors:"]
            #(#[doc = #combination_list])*
        }
    });
    let display_doc = format!(" The query, URL-encoded: `{resource_type}?name=value&...`.");
    let new_doc = format!(" A search with no criteria (all {resource_type} resources).");
    let parse_doc =
        format!(" Reads a query (`name=value&...`, or `{resource_type}?name=value&...`): what a");
    let matches_doc =
        format!(" Whether `resource` (a typed {resource_type}, or a profile of it) matches.");
    quote! {
        #[doc = #struct_doc]
        #combinations_doc
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct #name(Search);

        impl From<#name> for Search {
            fn from(search: #name) -> Search {
                search.0
            }
        }

        impl Default for #name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for #name {
            #[doc = #display_doc]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        #includes
        #revincludes
        #typed_impl

        impl #name {
            #[doc = #new_doc]
            pub fn new() -> Self {
                Self(Search::new(#resource_type))
            }

            #(#constructors)*

            #(#methods)*

            #include_method
            #revinclude_method

            #[doc = #parse_doc]
            /// server receives. An unknown parameter, a bad value, or a modifier the
            /// parameter's type does not allow is an error naming the parameter;
            /// `SearchError::operation_outcome` is the answer to send.
            pub fn parse(query: &str) -> Result<Self, SearchError> {
                Search::parse_for(registry(), #resource_type, query, Handling::Strict).map(Self)
            }

            /// [`Self::parse`] with FHIR's `handling=lenient`: unknown parameters are
            /// passed over (listed in `search().ignored`).
            pub fn parse_lenient(query: &str) -> Result<Self, SearchError> {
                Search::parse_for(registry(), #resource_type, query, Handling::Lenient).map(Self)
            }

            #[doc = #matches_doc]
            pub fn matches(&self, resource: &dyn ::fhirgen_runtime::Object) -> Result<bool, SearchError> {
                matches(&self.0, resource)
            }

            /// The search, untyped.
            pub fn search(&self) -> &Search {
                &self.0
            }

            pub fn into_search(self) -> Search {
                self.0
            }
        }
    }
}

fn include_enum(search: &ResourceSearch, suffix: &str, values: &[String]) -> Option<TokenStream> {
    if values.is_empty() {
        return None;
    }
    let name = format_ident!("{}{}", search.resource_type, suffix);
    let variants: Vec<Ident> = values
        .iter()
        .map(|v| {
            let words: String = v
                .split([':', '*'])
                .filter(|w| !w.is_empty())
                .map(|w| w.to_upper_camel_case())
                .collect();
            ident(if words.is_empty() { "All" } else { &words })
        })
        .collect();
    let docs = values.iter().map(|v| format!(" `{v}`"));
    let texts = values.iter();
    let doc = format!(
        " The `_{}` values the CapabilityStatement lists for {}.",
        suffix.to_lowercase(),
        search.resource_type
    );
    Some(quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#[doc = #docs] #variants),*
        }

        impl #name {
            /// As the query writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(Self::#variants => #texts),*
                }
            }

            fn to_include(self) -> ::fhirgen_search::Include {
                let text = self.as_str();
                let mut parts = text.split(':');
                let source = parts.next().unwrap_or("").to_owned();
                let code = parts.next().unwrap_or("*").to_owned();
                let target = parts.next().map(str::to_owned);
                ::fhirgen_search::Include { source, code, target, iterate: false }
            }
        }
    })
}

/// A resource type's parameters by type, for the modifiers of each type.
#[derive(Default)]
struct Groups {
    token: Vec<(Ident, String)>,
    string: Vec<(Ident, String)>,
    reference: Vec<(Ident, String)>,
    uri: Vec<(Ident, String)>,
}

/// An enum of some parameters of a resource type, with their codes.
fn param_group(name: &Ident, what: &str, members: &[(Ident, String)]) -> TokenStream {
    let doc = if what.is_empty() {
        " The parameters of this search (for `missing` and `sort`).".to_owned()
    } else {
        format!(" The {what} parameters of this search, for their modifiers.")
    };
    let variants = members.iter().map(|(v, _)| v);
    let docs = members.iter().map(|(_, c)| format!(" `{c}`"));
    let arms = members.iter().map(|(v, c)| quote!(Self::#v => #c));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#[doc = #docs] #variants),*
        }

        impl ParamCode for #name {
            fn code(self) -> &'static str {
                match self {
                    #(#arms),*
                }
            }
        }
    }
}

/// The enums of a search's parameters (all, and by type), and its
/// `TypedSearch` impl, which gives each type of parameter its modifiers
/// (written once in `fhirgen_search::typed`).
fn typed_search_impl(
    name: &Ident,
    resource_type: &str,
    all: &[(Ident, String)],
    groups: &Groups,
) -> TokenStream {
    let mut enums = param_group(&format_ident!("{}SearchParam", resource_type), "", all);
    let mut group = |suffix: &str, what: &str, members: &[(Ident, String)]| {
        if members.is_empty() {
            return quote!(::fhirgen_search::NoParam);
        }
        let e = format_ident!("{}{}Param", resource_type, suffix);
        enums.extend(param_group(&e, what, members));
        quote!(#e)
    };
    let token = group("Token", "token", &groups.token);
    let string = group("String", "string", &groups.string);
    let reference = group("Reference", "reference", &groups.reference);
    let uri = group("Uri", "uri", &groups.uri);
    let param = format_ident!("{}SearchParam", resource_type);
    quote! {
        #enums

        impl TypedSearch for #name {
            type Param = #param;
            type Token = #token;
            type String = #string;
            type Reference = #reference;
            type Uri = #uri;

            fn search_mut(&mut self) -> &mut Search {
                &mut self.0
            }
        }
    }
}
