//! The call-analytics dashboard under `/dashboard`: pages rendered on the server (askama), for
//! the editor's signed-in users, in Chinese or English. Handlers only translate: they read the
//! visitor and the filters, call `analytics::report` or the store, and render; what the pages
//! show is shaped in `overview`, `calls`, `transcript`, `tables` and `results`.

mod calls;
mod campaigns;
pub mod chart;
mod console;
mod csv;
mod overview;
mod queue_settings;
mod results;
mod tables;
mod teach;
mod transcript;
pub mod words;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use crate::analytics::filter::{self, local_day, FilterError};
use crate::auth::{Permission, Principal};
use crate::conversation::local_time;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{now_ms, AnalyticsFilter, Tenant};
use words::{Words, LANGUAGE_COOKIE};

/// The dashboard's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(overview::page))
        .route("/dashboard/calls", get(calls::list))
        .route("/dashboard/calls/{id}", get(calls::transcript))
        .route("/dashboard/unheard", get(tables::unheard))
        .route("/dashboard/unheard/teach", post(teach::teach))
        .route("/dashboard/unheard/dismiss", post(teach::dismiss))
        .route("/dashboard/knowledge", get(tables::knowledge))
        .route("/dashboard/results", get(results::page))
        .route("/dashboard/campaigns", get(campaigns::page))
        .route("/dashboard/language", get(switch_language))
        .route("/dashboard/style.css", get(style))
        .layer(axum::middleware::map_response(protect))
        .merge(console::router())
}

/// The pages load only their own style sheet: no scripts at all, and no framing.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The signed-in visitor of a page: who, of which tenant, in which language. A visitor who is
/// not signed in is sent to the editor's sign-in, which sends them back here.
pub struct Viewer {
    pub principal: Principal,
    pub tenant: Tenant,
    pub words: Words,
    /// The page's path and query, to come back to after switching the language.
    pub here: String,
}

impl Viewer {
    pub fn zone(&self) -> Tz {
        local_time::time_zone(&self.tenant)
    }

    /// The tenant's name in the visitor's language.
    pub fn tenant_name(&self) -> String {
        crate::conversation::tenant_name(&self.tenant, self.words.tag()).to_owned()
    }

    /// The navigation bar of a page in `section`, its links keeping the filters in `query`.
    pub fn nav(&self, section: &'static str, query: String) -> Nav {
        Nav {
            section,
            tenant: self.tenant_name(),
            switch_href: format!(
                "/dashboard/language?to={}&back={}",
                self.words.other_tag(),
                encode(&self.here)
            ),
            query,
        }
    }

    /// Reads the filters of a report from the query; `others` are the page's own parameters.
    pub fn filter(
        &self,
        pairs: &[(String, String)],
        others: &[&str],
    ) -> Result<AnalyticsFilter, String> {
        filter::parse(
            &self.principal.tenant_id,
            pairs,
            self.zone(),
            now_ms(),
            others,
        )
        .map_err(|error| self.explain(&error))
    }

    fn explain(&self, error: &FilterError) -> String {
        let field = match error.parameter.as_str() {
            "from" => self.words.w("from"),
            "to" => self.words.w("to"),
            "flow_id" => self.words.w("flow"),
            "version" => self.words.w("version"),
            "channel" => self.words.w("channel"),
            "outcome" => self.words.w("outcome"),
            "include_simulated" => self.words.w("include_simulated"),
            other => other,
        };
        let message = self.words.pick(&error.zh, &error.en);
        format!("{field}{}{message}", self.words.pick("：", ": "))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let principal = Principal::from_request_parts(parts, state).await;
        Viewer::of(parts, state, principal).await
    }
}

impl Viewer {
    /// The visitor `principal` says signed in, or the page a visitor who may not see this gets.
    async fn of(
        parts: &Parts,
        state: &AppState,
        principal: Result<Principal, ApiError>,
    ) -> Result<Viewer, Response> {
        let words = Words::new(words::language(&parts.headers));
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/dashboard".to_owned(), |p| p.as_str().to_owned());
        let principal = match principal {
            Ok(principal) => principal,
            Err(error) if error.status == StatusCode::UNAUTHORIZED => {
                return Err(Redirect::to(&format!("/?next={}", encode(&here))).into_response());
            }
            Err(error) => {
                return Err(message(
                    words,
                    error.status,
                    "error_title",
                    "internal_error",
                ));
            }
        };
        if principal.require(Permission::ReadCalls).is_err() {
            return Err(message(
                words,
                StatusCode::FORBIDDEN,
                "error_title",
                "forbidden",
            ));
        }
        let tenant = match state.store.get_tenant(&principal.tenant_id).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => {
                return Err(message(
                    words,
                    StatusCode::NOT_FOUND,
                    "not_found_title",
                    "not_found",
                ))
            }
            Err(error) => return Err(internal(words, &error)),
        };
        Ok(Viewer {
            principal,
            tenant,
            words,
            here,
        })
    }
}

/// The navigation bar's state.
pub struct Nav {
    pub section: &'static str,
    pub tenant: String,
    pub switch_href: String,
    /// The filters, as `?…`, that the bar's links carry from page to page.
    pub query: String,
}

/// A page with a title and one sentence: not found, forbidden, an error.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/message.html")]
struct MessagePage {
    t: Words,
    title: &'static str,
    text: &'static str,
}

fn message(words: Words, status: StatusCode, title: &'static str, text: &'static str) -> Response {
    (
        status,
        MessagePage {
            t: words,
            title,
            text,
        },
    )
        .into_response()
}

/// An error of ours: logged with its cause; the visitor reads only that something went wrong.
fn internal(words: Words, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "a dashboard page failed");
    message(
        words,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error_title",
        "internal_error",
    )
}

/// The query's pairs, or the message a query that cannot be read gets.
fn pairs(
    words: Words,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, String> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|_| words.w("bad_filter").to_owned())
}

/// Percent-encodes all but unreserved characters, for a value inside a query string.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A query string (`?a=1&b=2`, or empty) of the filters that have a value.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let kept: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[derive(serde::Deserialize)]
struct Switch {
    to: String,
    back: Option<String>,
}

/// Remembers the language chosen (the same cookie the editor's switch sets) and goes back to
/// the page, so the switch works without JavaScript.
async fn switch_language(query: Result<Query<Switch>, QueryRejection>) -> Response {
    let Ok(Query(switch)) = query else {
        return Redirect::to("/dashboard").into_response();
    };
    let tag = match switch.to.as_str() {
        "en" => "en",
        _ => "zh-CN",
    };
    // Only back to a dashboard or console page: never a redirect to anywhere else.
    let back = switch
        .back
        .filter(|back| {
            (back.starts_with("/dashboard") || back.starts_with("/console"))
                && !back.starts_with("//")
        })
        .unwrap_or_else(|| "/dashboard".to_owned());
    let mut response = Redirect::to(&back).into_response();
    let cookie = format!("{LANGUAGE_COOKIE}={tag}; Path=/; Max-Age=31536000; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../templates/dashboard/style.css"),
    )
        .into_response()
}

/// The handle time as minutes and seconds.
pub fn duration(words: Words, ms: i64) -> String {
    let seconds = (ms + 500) / 1000;
    let (minutes, seconds) = (seconds / 60, seconds % 60);
    let (m, s) = (words.w("minutes_short"), words.w("seconds_short"));
    if minutes > 0 {
        format!("{minutes} {m} {seconds:02} {s}")
    } else {
        format!("{seconds} {s}")
    }
}

/// A fraction as a whole percentage, or a dash when there was nothing to divide.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

/// A choice of a `<select>`.
#[derive(Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The filter form both the overview and the calls list show.
#[derive(Clone)]
pub struct Form {
    pub action: &'static str,
    pub from: String,
    pub to: String,
    pub flows: Vec<Choice>,
    pub version: String,
    pub channels: Vec<Choice>,
    /// Only on the calls list.
    pub outcomes: Option<Vec<Choice>>,
    pub include_simulated: bool,
    /// What is wrong with the filters, in the visitor's language.
    pub error: Option<String>,
    pub periods: Vec<Period>,
}

/// A link to a common period: its word, where it goes, whether the page shows it now.
#[derive(Clone)]
pub struct Period {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

impl Form {
    /// The form as the visitor filled it in (`pairs`), the range `filter` settled on.
    pub fn new(
        action: &'static str,
        viewer: &Viewer,
        pairs: &[(String, String)],
        filter: Option<&AnalyticsFilter>,
        flows: &[(String, String)],
        with_outcome: bool,
    ) -> Form {
        let words = viewer.words;
        let value = |name: &str| last_value(pairs, name);
        let (flow_id, channel, outcome) = (value("flow_id"), value("channel"), value("outcome"));
        let choice = |value: &str, label: &str, current: &str| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        };
        let mut flow_choices = vec![choice("", words.w("all_flows"), &flow_id)];
        flow_choices.extend(flows.iter().map(|(id, name)| choice(id, name, &flow_id)));
        let channels = ["", "chat", "phone"]
            .iter()
            .map(|c| {
                let label = if c.is_empty() { "any_channel" } else { c };
                choice(c, words.w(label), &channel)
            })
            .collect();
        let outcomes = with_outcome.then(|| {
            [
                "",
                "resolved",
                "handoff",
                "abandoned",
                "failed",
                "unreached",
            ]
            .iter()
            .map(|o| {
                let label = if o.is_empty() { "any_outcome" } else { o };
                choice(o, words.w(label), &outcome)
            })
            .collect()
        });
        let mut form = Form {
            action,
            from: filter.map_or_else(|| value("from"), |f| f.from_day.clone()),
            to: filter.map_or_else(|| value("to"), |f| f.to_day.clone()),
            flows: flow_choices,
            version: value("version"),
            channels,
            outcomes,
            include_simulated: value("include_simulated") == "true",
            error: None,
            periods: Vec::new(),
        };
        form.periods = form.periods_to(local_day(viewer.zone(), now_ms()));
        form
    }

    /// Links to the periods a manager asks about most (today, yesterday, the last 7 and 30
    /// days, ending `today` in the tenant's time zone), keeping the other filters: a question
    /// such as "how many calls yesterday" is one click, without a script or a date picker.
    fn periods_to(&self, today: NaiveDate) -> Vec<Period> {
        let back = |days: u64| today.checked_sub_days(Days::new(days)).unwrap_or(today);
        [
            ("period_today", today, today),
            ("period_yesterday", back(1), back(1)),
            ("period_7_days", back(6), today),
            ("period_30_days", back(29), today),
        ]
        .into_iter()
        .map(|(label, from, to)| {
            let (from, to) = (from.to_string(), to.to_string());
            let current = from == self.from && to == self.to;
            let mut period = Form {
                from,
                to,
                periods: Vec::new(),
                ..self.clone()
            };
            period.error = None;
            Period {
                label,
                href: format!("{}{}", self.action, period.query()),
                current,
            }
        })
        .collect()
    }

    /// The form's filters as a query string, for links that keep them.
    pub fn query(&self) -> String {
        let selected = |choices: &[Choice]| {
            choices
                .iter()
                .find(|c| c.selected)
                .map(|c| c.value.clone())
                .unwrap_or_default()
        };
        query_string(&[
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("flow_id", selected(&self.flows)),
            ("version", self.version.clone()),
            ("channel", selected(&self.channels)),
            (
                "include_simulated",
                if self.include_simulated {
                    "true".to_owned()
                } else {
                    String::new()
                },
            ),
        ])
    }
}

/// The last value given for `name` in a query string, or "" (what a blank field sends).
pub(crate) fn last_value(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;

    #[test]
    fn durations_and_rates_read_naturally() {
        let zh = Words::new(Language::Chinese);
        let en = Words::new(Language::English);
        assert_eq!(duration(zh, 65_400), "1 分 05 秒");
        assert_eq!(duration(en, 42_000), "42 s");
        assert_eq!(percent(Some(1.0 / 3.0)), "33%");
        assert_eq!(percent(None), "—");
        assert_eq!(
            encode("/dashboard?a=1&b=中"),
            "%2Fdashboard%3Fa%3D1%26b%3D%E4%B8%AD"
        );
        assert_eq!(
            query_string(&[("from", "2026-12-01".into()), ("flow_id", String::new())]),
            "?from=2026-12-01"
        );
    }
}
