//! `http`: calls the merchant's HTTP API, saves parts of the answer and goes on by its status.

use std::collections::BTreeMap;

use rhai::Dynamic;

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::json_fields;
use crate::messages::term;
use crate::model::{escape_pointer, node_common, HttpMethod};
use crate::msg;
use crate::runtime::{Action, Event, HttpRequest, Record, Step, Visit, Wait};
use crate::template::Template;
use crate::validate::{shorten, Checker, Diagnostic, HTTP_TIMEOUT_MS};

node_common! {
    /// Calls the merchant's HTTP API.
    pub struct HttpNode {
        /// HTTP method (default GET).
        #[serde(default)]
        pub method: HttpMethod,
        /// URL template, e.g. `{{tenant.api}}/orders/{{vars.order_id}}`.
        pub url: String,
        /// Request headers (values are templates).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub headers: BTreeMap<String, String>,
        /// Request body template (usually JSON).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub body: Option<String>,
        /// Timeout in milliseconds (default 5000, at most 10000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u32>,
        /// Response fields saved into variables: variable name → path such as `body.status`,
        /// `body.items.0.name`, `status` or `headers.content-type`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub save: BTreeMap<String, String>,
        /// Ports for particular status codes, checked first: `"404"` or a class like `"4xx"`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub on_status: BTreeMap<String, String>,
        /// Taken on a 2xx answer.
        pub next: String,
        /// Taken on a transport failure, a timeout or any other status.
        pub error: String,
    }
}

impl Kind for HttpNode {
    const TYPE: &'static str = "http";
    const WAITS: bool = true;

    fn sets_variable(&self, var: &str) -> bool {
        self.save.contains_key(var)
    }

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        for (status, target) in &self.on_status {
            ports.add(
                format!("/on_status/{}", escape_pointer(status)),
                status,
                target,
            );
        }
        ports.add("/next", "next", &self.next);
        ports.add("/error", "error", &self.error);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        let url = self.url.trim();
        if url.is_empty() {
            let message = term("invalid_url.empty");
            c.error("invalid_url", id, at("/url"), message);
        } else {
            c.template(id, at("/url"), &self.url);
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            if !(url.starts_with("{{")
                || lower.starts_with("http://")
                || lower.starts_with("https://"))
            {
                let message = msg!("invalid_url", url = shorten(url, 80));
                c.error("invalid_url", id, at("/url"), message);
            }
        }
        for (name, value) in &self.headers {
            let field = at(&format!("/headers/{}", escape_pointer(name)));
            if !is_header_name(name) {
                let message = msg!("invalid_header", name = shorten(name, 60));
                c.error("invalid_header", id, field.clone(), message);
            }
            c.template(id, field, value);
        }
        if let Some(body) = &self.body {
            c.template(id, at("/body"), body);
        }
        c.range_u32(
            id,
            at("/timeout_ms"),
            self.timeout_ms,
            HTTP_TIMEOUT_MS,
            "term.timeout_ms",
        );
        for (var, path) in &self.save {
            let field = at(&format!("/save/{}", escape_pointer(var)));
            c.variable(id, field.clone(), var);
            if !is_response_path(path) {
                let message = msg!("invalid_path", path = shorten(path, 80));
                c.error("invalid_path", id, field, message);
            }
        }
        for status in self.on_status.keys() {
            if !is_status_pattern(status) {
                let message = msg!("invalid_status", status = shorten(status, 20));
                c.error(
                    "invalid_status",
                    id,
                    at(&format!("/on_status/{}", escape_pointer(status))),
                    message,
                );
            }
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| Ok((name.clone(), c.template("/headers", value)?)))
            .collect::<Result<_, Diagnostic>>()?;
        let mut on_status = self
            .on_status
            .iter()
            .map(|(status, target)| {
                let pattern = StatusPattern::parse(status)
                    .ok_or_else(|| c.internal("/on_status", format!("bad status \"{status}\"")))?;
                Ok((pattern, c.port("/on_status", target)?))
            })
            .collect::<Result<Vec<_>, Diagnostic>>()?;
        // Exact codes win over classes.
        on_status.sort_by_key(|(pattern, _)| matches!(pattern, StatusPattern::Class(_)));
        Ok(Compiled::Http(Box::new(HttpCall {
            method: self.method,
            url: c.template("/url", &self.url)?,
            headers,
            body: c.optional_template("/body", self.body.as_deref())?,
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            save: self
                .save
                .iter()
                .map(|(var, path)| (var.clone(), path.split('.').map(str::to_owned).collect()))
                .collect(),
            on_status,
            next: c.port("/next", &self.next)?,
            error: c.port("/error", &self.error)?,
        })))
    }
}

const DEFAULT_TIMEOUT_MS: u32 = 5_000;

pub(crate) struct HttpCall {
    method: HttpMethod,
    url: Template,
    headers: Vec<(String, Template)>,
    body: Option<Template>,
    timeout_ms: u32,
    /// Variable, and the path of the response field it gets.
    save: Vec<(String, Vec<String>)>,
    on_status: Vec<(StatusPattern, NodeIx)>,
    next: NodeIx,
    error: NodeIx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    fn parse(text: &str) -> Option<StatusPattern> {
        let bytes = text.as_bytes();
        if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
            return None;
        }
        if text[1..].eq_ignore_ascii_case("xx") {
            return Some(StatusPattern::Class(u16::from(bytes[0] - b'0')));
        }
        text.parse().ok().map(StatusPattern::Exact)
    }

    fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }
}

impl Run for HttpCall {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        let url = visit.render("/url", &self.url);
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), visit.render("/headers", value)))
            .collect();
        let body = self.body.as_ref().map(|b| visit.render("/body", b));
        visit.record(Record::HttpRequested {
            node: visit.id(),
            method: self.method,
            url: url.clone(),
        });
        visit.act(Action::Http(HttpRequest {
            method: self.method,
            url,
            headers,
            body,
            timeout_ms: self.timeout_ms,
        }));
        Step::Wait(Wait::Http { node: visit.node() })
    }

    fn resume(&self, visit: &mut Visit<'_>, _: Wait, event: Event) -> Result<Step, Event> {
        match event {
            Event::HttpResponse {
                status,
                headers,
                body,
            } => Ok(self.on_response(visit, status, &headers, &body)),
            Event::HttpFailed { failure, error } => {
                visit.record(Record::HttpResult {
                    node: visit.id(),
                    status: None,
                    error: Some(error),
                    failure: Some(failure),
                    port: "error".into(),
                });
                Ok(Step::Goto(self.error))
            }
            other => Err(other),
        }
    }
}

impl HttpCall {
    /// Saves the fields asked for and takes the port of the status.
    fn on_response(
        &self,
        visit: &mut Visit<'_>,
        status: u16,
        headers: &BTreeMap<String, String>,
        body: &str,
    ) -> Step {
        let (port, target) = match self
            .on_status
            .iter()
            .find(|(pattern, _)| pattern.matches(status))
        {
            Some((_, target)) => (status.to_string(), *target),
            None if (200..300).contains(&status) => ("next".to_owned(), self.next),
            None => ("error".to_owned(), self.error),
        };
        // The body is read for the fields saved from it, once, building nothing else.
        let body_paths: Vec<&[String]> = self
            .save
            .iter()
            .filter(|(_, path)| path.first().is_some_and(|s| s == "body"))
            .map(|(_, path)| &path[1..])
            .collect();
        let mut from_body = if body_paths.is_empty() {
            None
        } else {
            json_fields::fields(body, &body_paths).map(Vec::into_iter)
        };
        for (var, path) in &self.save {
            let value = match path.first().map(String::as_str) {
                Some("body") => match from_body.as_mut().and_then(Iterator::next) {
                    Some(value) => value,
                    // Not JSON: the text itself, and nothing inside it.
                    None if path.len() == 1 => body.to_owned().into(),
                    None => Dynamic::UNIT,
                },
                _ => response_field(status, headers, path),
            };
            visit.vars().insert(var.as_str().into(), value);
        }
        visit.record(Record::HttpResult {
            node: visit.id(),
            status: Some(status),
            error: None,
            failure: None,
            port,
        });
        Step::Goto(target)
    }
}

/// A field of an HTTP response other than its body's: `status`, `headers.<name>`.
fn response_field(status: u16, headers: &BTreeMap<String, String>, path: &[String]) -> Dynamic {
    match path.first().map(String::as_str) {
        Some("status") => Dynamic::from_int(i64::from(status)),
        Some("headers") => path
            .get(1)
            .and_then(|name| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map_or(Dynamic::UNIT, |(_, v)| v.clone().into()),
        _ => Dynamic::UNIT,
    }
}

/// RFC 9110 token characters.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The paths the runtime can read from a response: `status`, `headers.<name>`, `body[.a.b…]`.
fn is_response_path(path: &str) -> bool {
    let mut segments = path.split('.');
    match segments.next() {
        Some("status") => segments.next().is_none(),
        Some("headers") => {
            matches!((segments.next(), segments.next()), (Some(name), None) if !name.is_empty())
        }
        Some("body") => segments.all(|s| !s.is_empty()),
        _ => false,
    }
}

/// `404`, or a class like `4xx` (the runtime accepts `4XX` too).
fn is_status_pattern(status: &str) -> bool {
    match status.as_bytes() {
        [b'1'..=b'5', rest @ ..] if rest.len() == 2 => {
            rest.iter().all(u8::is_ascii_digit) || rest.eq_ignore_ascii_case(b"xx")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde_json::json;
    use serde_json::Value;

    use crate::compile::CompiledFlow;
    use crate::model::HttpMethod;
    use crate::runtime::{Action, CallInfo, Event, HttpFailure, HttpRequest, Record, Session};
    use crate::testing::{clean, compile, find, one, only, records, said, summary, with};

    #[test]
    fn http_nodes() {
        let http = |extra: Value| {
            with(
                json!({ "type": "http", "id": "h", "url": "https://api.example.com", "next": "done", "error": "done" }),
                extra,
            )
        };
        clean(&one(http(json!({ "url": "{{ tenant.api }}/x" }))));
        clean(&one(http(
            json!({ "url": "HTTP://example.com", "on_status": { "4XX": "done", "201": "done" } }),
        )));
        only(
            &one(http(json!({ "url": "" }))),
            "invalid_url",
            "/nodes/0/url",
        );
        let d = only(
            &one(http(json!({ "url": "api.example.com/{{ call.id }}" }))),
            "invalid_url",
            "/nodes/0/url",
        );
        assert!(d.message.contains("https://"), "{}", d.message);
        only(
            &one(http(json!({ "timeout_ms": 0 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        let d = only(
            &one(http(json!({ "timeout_ms": 10_001 }))),
            "out_of_range",
            "/nodes/0/timeout_ms",
        );
        assert!(d.message.contains("between 1 and 10000"), "{}", d.message);
        only(
            &one(http(json!({ "on_status": { "40": "done" } }))),
            "invalid_status",
            "/nodes/0/on_status/40",
        );
        only(
            &one(http(json!({ "on_status": { "6xx": "done" } }))),
            "invalid_status",
            "/nodes/0/on_status/6xx",
        );
        let validated = one(http(json!({ "save": {
            "ok": "body.a.0.b", "s": "status", "h": "headers.content-type",
            "bad1": "response.x", "bad2": "status.code", "bad3": "body..x", "bad4": "headers",
            "2x": "body"
        } })));
        for field in ["bad1", "bad2", "bad3", "bad4"] {
            find(
                &validated,
                "invalid_path",
                &format!("/nodes/0/save/{field}"),
            );
        }
        find(&validated, "invalid_variable", "/nodes/0/save/2x");
        assert_eq!(
            validated.diagnostics.len(),
            5,
            "{}",
            summary(&validated.diagnostics)
        );
        only(
            &one(http(json!({ "headers": { "X Token": "a" } }))),
            "invalid_header",
            "/nodes/0/headers/X Token",
        );
        let d = only(
            &one(http(json!({ "body": "{\"id\": {{ vars.id }" }))),
            "template_syntax",
            "/nodes/0/body",
        );
        assert_eq!((d.line, d.column), (Some(1), Some(8)));
    }

    fn http_flow() -> Arc<CompiledFlow> {
        compile(json!({
            "schema": 1, "name": "http", "language": "zh-CN", "start": "lookup",
            "variables": { "order_id": "A1" },
            "nodes": [
                { "id": "lookup", "type": "http", "method": "POST",
                  "url": "{{tenant.api}}/orders/{{vars.order_id}}",
                  "headers": { "x-shop": "{{tenant.name}}" }, "body": "{\"id\": \"{{vars.order_id}}\"}",
                  "timeout_ms": 3000,
                  "save": { "status": "body.status", "first": "body.items.0.name", "code": "status",
                            "kind": "headers.Content-Type", "missing": "body.nope" },
                  "on_status": { "404": "not_found", "4xx": "client_error" },
                  "next": "found", "error": "failed" },
                { "id": "found", "type": "say", "text": "{{vars.status}} {{vars.first}} {{vars.code}} {{vars.kind}}", "next": "bye" },
                { "id": "not_found", "type": "say", "text": "没有这个订单", "next": "bye" },
                { "id": "client_error", "type": "say", "text": "请求有误 {{vars.code}}", "next": "bye" },
                { "id": "failed", "type": "say", "text": "系统忙", "next": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }))
    }

    fn start_http() -> (Session, HttpRequest) {
        let mut tenant = serde_json::Map::new();
        tenant.insert("api".into(), json!("https://shop.test/api"));
        tenant.insert("name".into(), json!("演示商城"));
        let mut session = Session::new(
            http_flow(),
            CallInfo {
                tenant,
                ..CallInfo::default()
            },
        );
        let actions = session.handle(Event::Started);
        let request = actions
            .into_iter()
            .find_map(|a| match a {
                Action::Http(request) => Some(request),
                _ => None,
            })
            .expect("an HTTP request");
        (session, request)
    }

    #[test]
    fn http_requests_are_rendered_and_responses_saved() {
        let (mut session, request) = start_http();
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.url, "https://shop.test/api/orders/A1");
        assert_eq!(
            request.headers,
            vec![("x-shop".to_owned(), "演示商城".to_owned())]
        );
        assert_eq!(request.body.as_deref(), Some("{\"id\": \"A1\"}"));
        assert_eq!(request.timeout_ms, 3000);
        assert_eq!(session.current_node(), Some("lookup"));
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), "application/json".to_owned());
        let actions = session.handle(Event::HttpResponse {
            status: 200,
            headers,
            body: r#"{"status":"shipped","items":[{"name":"T恤"}]}"#.into(),
        });
        assert_eq!(said(&actions), vec!["shipped T恤 200 application/json"]);
        assert_eq!(
            session.vars_json().get("missing"),
            Some(&serde_json::Value::Null)
        );
    }

    #[test]
    fn http_status_ports_exact_before_class_then_error() {
        for (status, expected) in [
            (404, "没有这个订单"),
            (409, "请求有误 409"),
            (500, "系统忙"),
            (302, "系统忙"),
        ] {
            let (mut session, _) = start_http();
            let actions = session.handle(Event::HttpResponse {
                status,
                headers: BTreeMap::new(),
                body: "not json".into(),
            });
            assert_eq!(said(&actions), vec![expected], "{status}");
        }
        let (mut session, _) = start_http();
        let actions = session.handle(Event::HttpFailed {
            failure: HttpFailure::Timeout,
            error: "timeout".into(),
        });
        assert_eq!(said(&actions), vec!["系统忙"]);
        assert!(records(&actions)
            .iter()
            .any(|r| matches!(r, Record::HttpResult { status: None, error: Some(e), .. } if e == "timeout")));
        assert!(records(&actions).iter().any(|r| matches!(
            r,
            Record::HttpResult {
                failure: Some(HttpFailure::Timeout),
                ..
            }
        )));
    }

    #[test]
    fn a_stored_snapshot_resumes_and_a_failure_without_a_kind_is_taken() {
        let flow = http_flow();
        // A snapshot and an event as drivers stored them before failures had kinds.
        let snapshot = json!({
            "flow": flow.fingerprint(),
            "wait": { "for": "http", "node": "lookup" },
            "vars": { "order_id": "A1" },
            "call": {
                "call_id": "c1", "channel": "phone", "direction": "inbound",
                "from": "+8613800000000", "to": "+8610086", "started_at_ms": 1_700_000_000_000_i64,
                "tenant": { "api": "https://shop.test/api", "name": "演示商城" }
            },
            "steps": 1
        });
        let event: Event =
            serde_json::from_value(json!({ "type": "http_failed", "error": "timeout" }))
                .expect("an event without a kind");
        assert_eq!(
            event,
            Event::HttpFailed {
                failure: HttpFailure::Failed,
                error: "timeout".into()
            }
        );
        let snapshot = serde_json::from_value(snapshot).expect("the stored snapshot");
        let mut session = Session::resume(flow, snapshot).expect("resumes");
        assert_eq!(session.current_node(), Some("lookup"));
        let actions = session.handle(event);
        assert_eq!(said(&actions), vec!["系统忙"]);
        let record: Record = serde_json::from_value(json!({
            "kind": "http_result", "node": "lookup", "error": "timeout", "port": "error"
        }))
        .expect("a record without a kind of failure");
        assert!(matches!(record, Record::HttpResult { failure: None, .. }));
        let stored = serde_json::to_value(Event::HttpFailed {
            failure: HttpFailure::TooLarge,
            error: "response larger than 1 MB".into(),
        })
        .expect("serializes");
        assert_eq!(stored["failure"], "too_large");
    }
}
