//! What the typed searches of the generated crates share: the modifiers of
//! each type of parameter, `missing`, `sort` and `count`, written once here
//! rather than once per parameter in each crate.

use crate::query::{Modifier, Search, Sort};
use crate::value::{SearchValue, Token};

/// A parameter of a typed search, as a generated enum names it.
pub trait ParamCode: Copy {
    /// The parameter's code in a query.
    fn code(self) -> &'static str;
}

/// The parameters of a type a search does not have (no string parameter,
/// say): no value, so no modifier of that type can be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoParam {}

impl ParamCode for NoParam {
    fn code(self) -> &'static str {
        match self {}
    }
}

/// A generated typed search (`ObservationSearch`): its parameters by type,
/// and the methods every parameter of a type has.
pub trait TypedSearch: Sized {
    /// Every parameter (for `missing` and `sort`).
    type Param: ParamCode;
    type Token: ParamCode;
    type String: ParamCode;
    type Reference: ParamCode;
    type Uri: ParamCode;

    /// The search being built.
    fn search_mut(&mut self) -> &mut Search;

    /// Adds `param[:modifier]=value`.
    fn with(mut self, code: &str, modifier: Option<Modifier>, value: SearchValue) -> Self {
        self.search_mut().push(code, modifier, vec![value]);
        self
    }

    /// `param:missing`: whether the resource lacks (`true`) or has (`false`) the parameter's values.
    fn missing(self, param: Self::Param, missing: bool) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Missing),
            SearchValue::Missing(missing),
        )
    }

    /// `_sort`: order the results by a parameter (`descending`: `-param`).
    fn sort(mut self, param: Self::Param, descending: bool) -> Self {
        let code = param.code().to_owned();
        self.search_mut()
            .results
            .sort
            .push(Sort { code, descending });
        self
    }

    /// `_count`: at most `count` results per page.
    fn count(mut self, count: u32) -> Self {
        self.search_mut().results.count = Some(count);
        self
    }

    /// `param:not`: resources without this code (or without any).
    fn not(self, param: Self::Token, value: impl Into<Token>) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Not),
            SearchValue::Token(value.into()),
        )
    }

    /// `param:text`: the text or a display starts with `text` (case and accents ignored).
    fn text(self, param: Self::Token, text: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Text),
            SearchValue::String(text.to_owned()),
        )
    }

    /// `param:in`: the code is in the value set at `uri`.
    fn in_value_set(self, param: Self::Token, uri: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::In),
            SearchValue::Uri(uri.to_owned()),
        )
    }

    /// `param:not-in`: the code is not in the value set at `uri`.
    fn not_in_value_set(self, param: Self::Token, uri: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::NotIn),
            SearchValue::Uri(uri.to_owned()),
        )
    }

    /// `param:above`: the code is `value` or subsumes it (a terminology server's answer).
    fn above(self, param: Self::Token, value: impl Into<Token>) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Above),
            SearchValue::Token(value.into()),
        )
    }

    /// `param:below`: the code is `value` or is subsumed by it (a terminology server's answer).
    fn below(self, param: Self::Token, value: impl Into<Token>) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Below),
            SearchValue::Token(value.into()),
        )
    }

    /// `param:of-type`: an Identifier whose type is `system|code` and whose value is `value`.
    fn of_type(self, param: Self::Token, system: &str, code: &str, value: &str) -> Self {
        let value = SearchValue::OfType {
            system: system.to_owned(),
            code: code.to_owned(),
            value: value.to_owned(),
        };
        self.with(param.code(), Some(Modifier::OfType), value)
    }

    /// `param:exact`: equal, case and accents included.
    fn exact(self, param: Self::String, text: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Exact),
            SearchValue::String(text.to_owned()),
        )
    }

    /// `param:contains`: contains `text` anywhere (case and accents ignored).
    fn contains(self, param: Self::String, text: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Contains),
            SearchValue::String(text.to_owned()),
        )
    }

    /// `param:identifier`: the reference's `identifier` is this token.
    fn reference_identifier(self, param: Self::Reference, value: impl Into<Token>) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Identifier),
            SearchValue::Token(value.into()),
        )
    }

    /// `param:Type.name=...`: resources whose reference `param` points to a
    /// resource `target` matches (a chain: each of `target`'s criteria is chained).
    fn chain(mut self, param: Self::Reference, target: impl Into<Search>) -> Self {
        self.search_mut().chain(param.code(), target.into());
        self
    }

    /// `param:above`: the value is a prefix of `uri` (a parent path).
    fn uri_above(self, param: Self::Uri, uri: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Above),
            SearchValue::Uri(uri.to_owned()),
        )
    }

    /// `param:below`: the value starts with `uri`.
    fn uri_below(self, param: Self::Uri, uri: &str) -> Self {
        self.with(
            param.code(),
            Some(Modifier::Below),
            SearchValue::Uri(uri.to_owned()),
        )
    }
}
