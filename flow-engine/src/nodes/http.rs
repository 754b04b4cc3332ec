//! `http`: calls the merchant's HTTP API, saves parts of the answer and goes on by its status.

use std::collections::BTreeMap;

use super::{Kind, Ports};
use crate::model::{escape_pointer, node_common, HttpMethod};
use crate::validate::{shorten, Checker, HTTP_TIMEOUT_MS};

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
            let message = "The address (URL) is empty. Enter the address of the API, e.g. \
            https://api.example.com/orders."
                .to_owned();
            c.error("invalid_url", id, at("/url"), message);
        } else {
            c.template(id, at("/url"), &self.url);
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            if !(url.starts_with("{{")
                || lower.starts_with("http://")
                || lower.starts_with("https://"))
            {
                let message = format!(
                    "The address \"{}\" must start with https:// (or http://), or with a \
                    {{{{ … }}}} \
                 placeholder such as {{{{tenant.api}}}}.",
                    shorten(url, 80)
                );
                c.error("invalid_url", id, at("/url"), message);
            }
        }
        for (name, value) in &self.headers {
            let field = at(&format!("/headers/{}", escape_pointer(name)));
            if !is_header_name(name) {
                let message = format!(
                    "\"{}\" is not a valid header name. Use letters, digits and - only, \
                    e.g. Authorization.",
                    shorten(name, 60)
                );
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
            "timeout (milliseconds)",
        );
        for (var, path) in &self.save {
            let field = at(&format!("/save/{}", escape_pointer(var)));
            c.variable(id, field.clone(), var);
            if !is_response_path(path) {
                let message = format!(
                    "\"{}\" is not a part of the answer. Use status, headers.<name>, body, \
                    or a path \
                 into the body such as body.order.status or body.items.0.name.",
                    shorten(path, 80)
                );
                c.error("invalid_path", id, field, message);
            }
        }
        for status in self.on_status.keys() {
            if !is_status_pattern(status) {
                let message = format!(
                    "\"{}\" is not a status code. Use a three-digit code such as 404, or a \
                    class such as 4xx.",
                    shorten(status, 20)
                );
                c.error(
                    "invalid_status",
                    id,
                    at(&format!("/on_status/{}", escape_pointer(status))),
                    message,
                );
            }
        }
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
    use serde_json::json;

    use crate::testing::{clean, find, one, only, summary, with};
    use serde_json::Value;

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
            &one(http(json!({ "url": "api.example.com/{{ vars.id }}" }))),
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
}
