//! The HTTP API under `/api/v1`, one module per area, documented with OpenAPI.

pub mod auth;
pub mod calls;
pub mod flows;
pub mod sessions;
pub mod telephony;
pub mod tools;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use serde_json::Value;

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::store::NewAuditEntry;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Callflow API",
        version = "1",
        description = "Everything the Callflow editor does, as an API: flows, versions, \
                       publishing, imports, web-chat sessions and call records. Authenticate \
                       with an API key (`Authorization: Bearer cf_…`) or a session cookie from \
                       `POST /api/v1/auth/login` plus its `X-CSRF-Token` on writes. Errors are \
                       RFC 9457 problem+json documents with a stable `code`."
    ),
    modifiers(&Security),
    security(("api_key" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Records who did what in the tenant's audit log.
pub(crate) async fn audit(
    state: &AppState,
    principal: &Principal,
    action: &str,
    object: &str,
    detail: Value,
    now: i64,
) -> ApiResult<()> {
    state
        .store
        .record_audit(
            &principal.tenant_id,
            &NewAuditEntry {
                actor: &principal.actor(),
                action,
                object,
                detail: &detail,
            },
            now,
        )
        .await?;
    Ok(())
}

/// Every API route, with its OpenAPI description, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(flows::router())
        .merge(sessions::router())
        .merge(calls::router())
        .merge(tools::router())
        .merge(telephony::router())
}
