//! The HTTP application: the router with its layers, and serving with graceful shutdown (the
//! periodic jobs run alongside).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::{ApiError, REQUEST_ID};
use crate::metrics;
pub use crate::state::AppState;
use crate::store::Store;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI description and the API routes under `/api/v1`.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(crate::api::ApiDoc::openapi())
        .nest("/api/v1", crate::api::router())
        .nest("/widget/v1", crate::channels::widget::routes::router())
        .split_for_parts();
    crate::api::responses::describe_errors(&mut openapi);
    (router, openapi)
}

/// The whole application.
pub fn router(state: AppState, config: &Config) -> Router {
    let timeout = config.request_timeout;
    let body_limit = config.body_limit_bytes;
    let public_url: Option<std::sync::Arc<str>> = config
        .telephony
        .public_url
        .as_deref()
        .map(std::sync::Arc::from);
    let (api, openapi) = api();
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/widget.js", get(crate::channels::widget::script::widget_js))
        .merge(crate::dashboard::router())
        .nest_service("/demo-shop/api", state.demo_shop.public_router())
        .merge(
            crate::channels::twilio::voice::router()
                .route_layer(middleware::from_fn(crate::error::refuse_nul_in_parameters)),
        )
        .fallback(crate::editor::fallback)
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            with_timeout(timeout, request, next)
        }))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            crate::error::problem_for_bare_errors(body_limit, request, next)
        }))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let public_url = public_url.clone();
            async move { crate::security_headers::add(public_url.as_deref(), request, next).await }
        }))
        .layer(middleware::from_fn(crate::error::with_request_id))
        .layer(middleware::from_fn(crate::language::with_language))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database does not answer",
            )
            .in_chinese("数据库没有响应")
            .into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// Ends a request that takes longer than the configured timeout with a problem+json answer.
async fn with_timeout(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            format!("the request took longer than {} s", timeout.as_secs()),
        )
        .in_chinese(format!("请求超过了 {} 秒仍未完成", timeout.as_secs()))
        .into_response(),
    }
}

/// A running server.
pub struct Running {
    pub address: SocketAddr,
    pub state: AppState,
    /// What the first run created, when this start found no tenants; the caller shows it.
    pub first_run: Option<crate::demo::first_run::FirstRunCredentials>,
    /// Tells the other servers on the same PostgreSQL database what changed here, and this
    /// server's live views what changed there.
    _relay: Option<crate::queues::live::Relay>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, finishes the requests in flight, and waits.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// The data directory holds the database, the server's secret key and the first run's password:
/// only this user may list or open it, whatever the umask.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Opens the configured database (creating SQLite's data directory) and migrates it.
pub async fn open_store(config: &Config) -> Result<Store, String> {
    if config.is_sqlite() {
        create_private_dir(&config.data_dir).map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| format!("migrating the database failed: {e}"))?;
    Ok(store)
}

/// Opens the database, migrates it, and starts serving in the background.
pub async fn start(config: &Config) -> Result<Running, String> {
    let store = open_store(config).await?;
    if !config.is_sqlite() && config.telephony.secret_key.is_none() {
        tracing::warn!(
            "no CALLFLOW_SECRET_KEY: tenants' secrets are sealed with a key kept in this \
             server's data directory; servers sharing the database need the same key"
        );
    }
    let state = AppState::new(config, store)?;
    // The anger model trains once per process at first use (a few hundred milliseconds):
    // here, on a blocking thread, rather than in the first caller's turn.
    tokio::task::spawn_blocking(|| {
        flow_engine::emotion::learned::shipped();
    });
    let relay = state
        .live
        .relay(&state.store)
        .await
        .map_err(|e| format!("cannot listen for the other servers' changes: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let _ = state.listen_url.set(format!("http://{address}"));
    // After binding, so the credentials it returns name the real port.
    let first_run = crate::demo::first_run::run(
        &state.store,
        &state.secrets,
        address,
        &config.data_dir,
        config.demo_history,
    )
    .await
    .map_err(|e| format!("the first run (creating the demo tenant) failed: {e}"))?;
    let made_now = first_run.as_ref().map(|c| c.tenant_id.as_str());
    let history = match config.demo_history {
        true => crate::demo::history::play_if_due(&state, made_now, crate::store::now_ms())
            .await
            .map_err(|e| format!("the first run (the demo tenant's past calls) failed: {e}"))?,
        false => None,
    };
    if let Some(history) = history {
        tracing::info!(
            calls = history.calls,
            played_before = history.played_before,
            "the demo tenant's past calls recorded"
        );
    }
    let jobs = crate::jobs::start(&state, config);
    let app = router(state.clone(), config);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // The peer's address is what the widget's per-IP rate limit counts.
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await;
        jobs.stop().await;
        served
    });
    Ok(Running {
        address,
        state,
        first_run,
        _relay: relay,
        shutdown,
        task,
    })
}

/// Serves until `signal` completes, then shuts down gracefully.
pub async fn serve_until(config: &Config, signal: impl Future<Output = ()>) -> Result<(), String> {
    let running = start(config).await?;
    tracing::info!(address = %running.address, "listening");
    println!("Callflow is listening on http://{}", running.address);
    if let Some(credentials) = &running.first_run {
        println!("{credentials}");
    }
    signal.await;
    tracing::info!("shutting down; finishing requests in flight");
    running
        .stop()
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
