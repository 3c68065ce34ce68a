//! SMART App Launch scopes (v1 and v2): parsed from a token's `scope`
//! string, and the decision whether a request on a resource is permitted by
//! them and the launch context.
//!
//! A `patient/` scope permits only resources in the Patient compartment of
//! the patient in context (R4's CompartmentDefinition says which parameters
//! link each resource type to a patient); a `user/` or `system/` scope
//! permits the type, within whatever else the server enforces for that user
//! or client. A granular v2 scope (`patient/Observation.rs?category=...`)
//! permits only resources its query matches.

use std::fmt;

use fhirgen_fhirpath::Model;

use crate::definition::Compartment;
use crate::matching::Matcher;
use crate::query::{Criterion, Handling, Search};
use crate::value::SearchValue;

/// Whose data a scope is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Patient,
    User,
    System,
}

/// The interactions a scope permits: v2's `c r u d s`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    pub create: bool,
    pub read: bool,
    pub update: bool,
    pub delete: bool,
    pub search: bool,
}

impl Permissions {
    /// v2's letters, in the order `cruds` (`rs`, `cud`); `None` if out of order,
    /// repeated or unknown.
    fn parse_v2(text: &str) -> Option<Permissions> {
        let mut p = Permissions::default();
        let mut last = None;
        for c in text.chars() {
            let rank = "cruds".find(c)?;
            if last.is_some_and(|l| rank <= l) {
                return None;
            }
            last = Some(rank);
            match c {
                'c' => p.create = true,
                'r' => p.read = true,
                'u' => p.update = true,
                'd' => p.delete = true,
                _ => p.search = true,
            }
        }
        last.map(|_| p)
    }

    /// v1's `read`, `write`, `*` (as SMART v2 maps them: `rs`, `cud`, `cruds`).
    fn parse_v1(text: &str) -> Option<Permissions> {
        let all = Permissions {
            create: true,
            read: true,
            update: true,
            delete: true,
            search: true,
        };
        Some(match text {
            "read" => Permissions {
                read: true,
                search: true,
                ..Permissions::default()
            },
            "write" => Permissions {
                create: true,
                update: true,
                delete: true,
                ..Permissions::default()
            },
            "*" => all,
            _ => return None,
        })
    }

    fn allows(self, interaction: Interaction) -> bool {
        use Interaction::*;
        match interaction {
            Create => self.create,
            Read | Vread | HistoryInstance => self.read,
            Update | Patch => self.update,
            Delete => self.delete,
            SearchType | HistoryType | SearchSystem | HistorySystem => self.search,
        }
    }
}

/// One scope a token grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `patient/Observation.rs`, `user/*.cruds`, `system/Patient.read`,
    /// `patient/Observation.rs?category=...`.
    Resource {
        context: Context,
        /// `None` for `*`.
        resource_type: Option<String>,
        permissions: Permissions,
        /// A granular scope's query, parsed (on `resource_type`).
        query: Option<Box<Search>>,
        /// The scope as written.
        text: String,
    },
    /// `launch`, or `launch/patient`, `launch/encounter`...
    Launch(Option<String>),
    OpenId,
    FhirUser,
    Profile,
    OfflineAccess,
    OnlineAccess,
}

/// A malformed scope: one that claims SMART's syntax and breaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeError {
    pub scope: String,
    pub message: String,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scope `{}`: {}", self.scope, self.message)
    }
}

impl std::error::Error for ScopeError {}

/// The scopes a token grants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    pub granted: Vec<Scope>,
    /// Scopes not SMART's (ignored, as SMART says).
    pub ignored: Vec<String>,
}

/// A FHIR RESTful interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    Create,
    Read,
    Vread,
    HistoryInstance,
    Update,
    Patch,
    Delete,
    SearchType,
    HistoryType,
    SearchSystem,
    HistorySystem,
}

impl Interaction {
    /// The CapabilityStatement code (`read`, `search-type`...).
    pub fn parse(code: &str) -> Option<Interaction> {
        use Interaction::*;
        Some(match code {
            "create" => Create,
            "read" => Read,
            "vread" => Vread,
            "history-instance" => HistoryInstance,
            "update" => Update,
            "patch" => Patch,
            "delete" => Delete,
            "search-type" => SearchType,
            "history-type" => HistoryType,
            "search-system" => SearchSystem,
            "history-system" => HistorySystem,
            _ => return None,
        })
    }
}

impl Scopes {
    /// Reads a space-separated scope string. The query of a granular scope is
    /// read as a search on its type, against `matcher`'s parameters.
    pub fn parse(text: &str, matcher: &Matcher<'_>) -> Result<Scopes, ScopeError> {
        let mut scopes = Scopes::default();
        for scope in text.split_ascii_whitespace() {
            match parse_scope(scope, matcher)? {
                Some(s) => scopes.granted.push(s),
                None => scopes.ignored.push(scope.to_owned()),
            }
        }
        Ok(scopes)
    }
}

fn parse_scope(scope: &str, matcher: &Matcher<'_>) -> Result<Option<Scope>, ScopeError> {
    let error = |message: String| ScopeError {
        scope: scope.to_owned(),
        message,
    };
    Ok(Some(match scope {
        "openid" => Scope::OpenId,
        "fhirUser" => Scope::FhirUser,
        "profile" => Scope::Profile,
        "offline_access" => Scope::OfflineAccess,
        "online_access" => Scope::OnlineAccess,
        "launch" => Scope::Launch(None),
        _ => {
            if let Some(context) = scope.strip_prefix("launch/") {
                return Ok(Some(Scope::Launch(Some(context.to_owned()))));
            }
            let Some((context, rest)) = scope.split_once('/') else {
                return Ok(None);
            };
            let context = match context {
                "patient" => Context::Patient,
                "user" => Context::User,
                "system" => Context::System,
                _ => return Ok(None),
            };
            let (body, query) = match rest.split_once('?') {
                Some((body, query)) => (body, Some(query)),
                None => (rest, None),
            };
            let Some((resource_type, permissions)) = body.split_once('.') else {
                return Err(error("no permissions (`Type.rs`, `Type.read`)".into()));
            };
            let registry = matcher.registry();
            let resource_type = match resource_type {
                "*" => None,
                t if registry.is_resource_type(t) => Some(t.to_owned()),
                t => return Err(error(format!("`{t}` is not a resource type or `*`"))),
            };
            let permissions = Permissions::parse_v2(permissions)
                .or_else(|| Permissions::parse_v1(permissions))
                .ok_or_else(|| {
                    error(format!(
                        "`{permissions}` is not `read`, `write`, `*` or letters of `cruds` in that order"
                    ))
                })?;
            let query = match (query, &resource_type) {
                (None, _) => None,
                (Some(_), None) => {
                    return Err(error("a query needs a resource type, not `*`".into()));
                }
                (Some(query), Some(t)) => Some(Box::new(
                    Search::parse_query(registry, t, query, Handling::Strict)
                        .map_err(|e| error(e.to_string()))?,
                )),
            };
            Scope::Resource {
                context,
                resource_type,
                permissions,
                query,
                text: scope.to_owned(),
            }
        }
    }))
}

/// Decides requests against granted scopes.
pub struct Authorizer<'m, 'r> {
    matcher: &'m Matcher<'r>,
    /// R4's Patient compartment.
    patient_compartment: &'m Compartment,
}

/// A request to decide: the interaction, its resource type and, when known,
/// the resource (read, or a search's result, or a create's body).
pub struct Request<'a, M: Model> {
    pub interaction: Interaction,
    pub resource_type: &'a str,
    pub resource: Option<(&'a M, &'a M::Node)>,
}

impl<'m, 'r> Authorizer<'m, 'r> {
    pub fn new(matcher: &'m Matcher<'r>, patient_compartment: &'m Compartment) -> Self {
        Authorizer {
            matcher,
            patient_compartment,
        }
    }

    /// Whether some scope permits the request; `patient` is the launch
    /// context's patient id. Without the resource, only what the type and
    /// interaction tell is decided: a server then checks each resource it
    /// returns.
    pub fn permits<M: Model>(
        &self,
        scopes: &Scopes,
        patient: Option<&str>,
        request: &Request<'_, M>,
    ) -> Result<bool, crate::query::SearchError> {
        for scope in &scopes.granted {
            let Scope::Resource {
                context,
                resource_type,
                permissions,
                query,
                ..
            } = scope
            else {
                continue;
            };
            if resource_type
                .as_ref()
                .is_some_and(|t| t != request.resource_type)
                || !permissions.allows(request.interaction)
            {
                continue;
            }
            let Some((model, resource)) = request.resource else {
                if *context != Context::Patient || patient.is_some() {
                    return Ok(true);
                }
                continue;
            };
            if *context == Context::Patient {
                let Some(patient) = patient else { continue };
                if !self.in_patient_compartment(model, resource, patient)? {
                    continue;
                }
            }
            if let Some(query) = query
                && !self.matcher.matches(query, model, resource)?
            {
                continue;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether `resource` is in the compartment of `Patient/{patient}`.
    pub fn in_patient_compartment<M: Model>(
        &self,
        model: &M,
        resource: &M::Node,
        patient: &str,
    ) -> Result<bool, crate::query::SearchError> {
        let resource_type = model.type_name(resource).to_owned();
        // The compartment's owner is in its own compartment.
        if resource_type == self.patient_compartment.code {
            let mut ids = Vec::new();
            let _ = model.children(resource, "id", &mut ids);
            if ids
                .first()
                .and_then(|id| model.value(id))
                .is_some_and(|v| matches!(v, fhirgen_fhirpath::Value::String(s) if s == patient))
            {
                return Ok(true);
            }
        }
        let Some(parameters) = self.patient_compartment.parameters(&resource_type) else {
            return Ok(false);
        };
        for code in parameters.iter().filter(|c| *c != "{def}") {
            let search = Search::new(resource_type.clone()).and(Criterion::new(
                code.clone(),
                SearchValue::Reference(format!("Patient/{patient}")),
            ));
            if self.matcher.matches(&search, model, resource)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
