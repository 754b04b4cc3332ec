//! The answers every operation can give beyond those it lists itself, written into the OpenAPI
//! document by status (no catch-all `default`), so that a client generated from the document
//! knows every status it will meet and a contract test can tell an undeclared one. Every error
//! status is a problem document.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

const PROBLEM: &str = "application/problem+json";

/// What every operation, or every operation of a kind, can answer besides its own statuses.
struct Common {
    status: &'static str,
    /// Its name under `components/responses`, where it is written once and referred to.
    name: &'static str,
    description: &'static str,
    applies: fn(&Operation) -> bool,
}

const COMMON: &[Common] = &[
    Common {
        status: "400",
        name: "BadRequest",
        description: "`unreadable_request` (an address that is not UTF-8), `nul_character` (a \
            parameter holding U+0000), `invalid_query` or `invalid_parameter` (naming it), \
            `malformed_json` (a body that is not JSON)",
        applies: |_| true,
    },
    Common {
        status: "401",
        name: "Unauthorized",
        description: "`unauthorized`: no API key or session, or one that is unknown, revoked or \
            expired",
        applies: secured,
    },
    Common {
        status: "403",
        name: "Forbidden",
        description: "`forbidden`: the key's or person's role may not do this",
        applies: secured,
    },
    Common {
        status: "404",
        name: "NotFound",
        description: "`not_found`: nothing by that name or id in the tenant",
        applies: has_path_parameters,
    },
    Common {
        status: "408",
        name: "TimedOut",
        description: "`request_refused`: the request took longer than the server's limit",
        applies: |_| true,
    },
    Common {
        status: "413",
        name: "BodyTooLarge",
        description: "`body_too_large`: the body is over the server's limit (named in the detail)",
        applies: has_body,
    },
    Common {
        status: "415",
        name: "UnsupportedMediaType",
        description: "`unsupported_media_type`: the body is not of a type the operation reads",
        applies: has_body,
    },
    Common {
        status: "422",
        name: "InvalidBody",
        description: "`invalid_body` or a field's own code: the body does not say what it must \
            (`errors` names each field)",
        applies: has_body,
    },
    Common {
        status: "429",
        name: "KeysThrottled",
        description:
            "`api_key_throttled`: too many unknown or revoked API keys from this address; \
            `quota_exceeded`: the tenant is at a quota (API requests per minute; for new \
            conversations, calls or chats at once; for messages, turns per second), named in \
            the detail; `Retry-After` says when to try again where waiting helps",
        applies: secured,
    },
    Common {
        status: "500",
        name: "Internal",
        description: "`internal`: the server failed; the detail never holds the cause, the log \
            does, under the request's id",
        applies: |_| true,
    },
];

/// An operation that names no security of its own takes the document's: a key or a session.
fn secured(operation: &Operation) -> bool {
    match &operation.security {
        None => true,
        Some(requirements) => !requirements.iter().all(is_anonymous),
    }
}

fn is_anonymous(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    // `security(())` is serialized as an empty requirement object.
    serde_json::to_value(requirement)
        .is_ok_and(|value| value.as_object().is_some_and(|o| o.is_empty()))
}

fn has_path_parameters(operation: &Operation) -> bool {
    operation
        .parameters
        .iter()
        .flatten()
        .any(|parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Path))
}

fn has_body(operation: &Operation) -> bool {
    operation.request_body.is_some()
}

fn problem_content() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM, problem_content())
        .build()
}

/// Adds the common statuses an operation does not list, and makes each error status it lists
/// say that it answers with a problem document (beside any body of its own, such as an import's
/// row-by-row result).
fn describe(operation: &mut Operation) {
    operation.responses.responses.remove("default");
    for common in COMMON {
        if (common.applies)(operation) && !operation.responses.responses.contains_key(common.status)
        {
            operation.responses.responses.insert(
                common.status.to_owned(),
                Ref::from_response_name(common.name).into(),
            );
        }
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response) {
            response
                .content
                .entry(PROBLEM.to_owned())
                .or_insert_with(|| problem_content().into());
        }
    }
}

/// Documents, once the routes are in, every operation's error statuses.
pub fn describe_errors(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components.responses.remove("Problem");
    for common in COMMON {
        components.responses.insert(
            common.name.to_owned(),
            problem_response(common.description).into(),
        );
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            describe(operation);
        }
    }
}
