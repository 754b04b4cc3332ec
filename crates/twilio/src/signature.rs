//! Checking that a request comes from Twilio: the `X-Twilio-Signature` header, as Twilio's
//! security documentation ("Validating requests") and its official helper libraries define it.
//!
//! The signature is `Base64(HMAC-SHA1(auth_token, url + params))`, where
//! - `url` is the full URL Twilio requested (scheme, host, port, path and raw query string);
//! - `params` are the form-encoded POST parameters, sorted by name (code-point order), each
//!   name immediately followed by its value with no separators; a name sent several times
//!   contributes each distinct value, in sorted order;
//! - for a request without a form body (a GET, or the `x-twilio-signature` of a Media Streams
//!   WebSocket upgrade, signed over the `wss://` URL) there are no params;
//! - for a JSON body, Twilio adds `bodySHA256=<hex SHA-256 of the body>` to the URL's query,
//!   signs the URL alone, and the receiver also checks that hash against the body
//!   ([`validate_with_body`]).
//!
//! Twilio does not sign every URL the same way, so, like the helper libraries, the check
//! accepts the URL as given, with the scheme's default port added (`:443` for https/wss,
//! `:80` for http/ws) when it has none, and with its port removed when it has one. It also
//! accepts an apostrophe in the URL written either as `'` or as `%27`, which URL parsers
//! disagree on. Signatures are compared in constant time.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// The name of the header that carries the signature.
pub const HEADER: &str = "X-Twilio-Signature";

/// The query parameter that carries the SHA-256 of a JSON body.
pub const BODY_SHA256_PARAM: &str = "bodySHA256";

/// The signature Twilio would send for a request to `url` with form `params`
/// (pass no params for a GET, a WebSocket upgrade, or a JSON body's URL).
pub fn compute_signature<K, V>(auth_token: &str, url: &str, params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut mac = new_mac(auth_token);
    mac.update(url.as_bytes());
    mac.update(sorted_params(params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (the `X-Twilio-Signature` header) is Twilio's for a request to `url`
/// with the form-encoded `params` (none for a GET or a WebSocket upgrade), keyed by the
/// account's `auth_token`. An empty auth token never validates.
pub fn validate<K, V>(auth_token: &str, url: &str, params: &[(K, V)], signature: &str) -> bool
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    if auth_token.is_empty() {
        return false;
    }
    let Some(expected) = decode_signature(signature) else {
        return false;
    };
    let suffix = sorted_params(params);
    url_variants(url).iter().fold(false, |valid, candidate| {
        let mut mac = new_mac(auth_token);
        mac.update(candidate.as_bytes());
        mac.update(suffix.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected).is_ok() | valid
    })
}

/// Whether a request with a non-form body (JSON) is Twilio's: `url` must carry
/// `bodySHA256` equal to the hex SHA-256 of `body`, and `signature` must sign `url` alone.
pub fn validate_with_body(auth_token: &str, url: &str, body: &[u8], signature: &str) -> bool {
    let Some(claimed) = query_param(url, BODY_SHA256_PARAM) else {
        return false;
    };
    let actual = body_sha256_hex(body);
    let body_matches: bool = claimed
        .to_ascii_lowercase()
        .as_bytes()
        .ct_eq(actual.as_bytes())
        .into();
    let signature_matches = validate::<&str, &str>(auth_token, url, &[], signature);
    body_matches & signature_matches
}

/// The lower-case hex SHA-256 of a request body, as Twilio puts it in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn new_mac(auth_token: &str) -> HmacSha1 {
    // HMAC takes keys of any length.
    <HmacSha1 as Mac>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// The 20 bytes of a Base64 signature, or `None` when it is not one.
fn decode_signature(signature: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(signature.trim().as_bytes())
        .ok()?;
    (bytes.len() == 20).then_some(bytes)
}

/// The params as signed: sorted by name then value, duplicates dropped, `name + value` each.
fn sorted_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len()).sum());
    for (name, value) in pairs {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

/// The raw value of the first query parameter called `name` (`None` when absent).
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let query = without_fragment.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// The spellings of `url` Twilio may have signed, the given one first, without repeats.
fn url_variants(url: &str) -> Vec<String> {
    let mut spellings = vec![url.to_owned()];
    if url.contains("%27") {
        spellings.push(url.replace("%27", "'"));
    }
    if url.contains('\'') {
        spellings.push(url.replace('\'', "%27"));
    }
    let mut out: Vec<String> = Vec::with_capacity(spellings.len() * 2);
    for spelling in spellings {
        let parts = UrlParts::parse(&spelling);
        let extra = parts.and_then(|p| match p.port {
            Some(_) => Some(p.without_port()),
            None => p.with_default_port(),
        });
        for candidate in std::iter::once(spelling.clone()).chain(extra) {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

/// A URL cut round its port: `head` is everything up to the end of the host,
/// `port` what follows the `:` after the host, and `tail` the path, query and fragment.
struct UrlParts<'a> {
    scheme: &'a str,
    head: &'a str,
    port: Option<&'a str>,
    tail: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Option<Self> {
        let scheme_end = url.find("://")?;
        let scheme = &url[..scheme_end];
        let authority_start = scheme_end + 3;
        let authority_len = url[authority_start..]
            .find(['/', '?', '#'])
            .unwrap_or(url.len() - authority_start);
        let authority_end = authority_start + authority_len;
        let authority = &url[authority_start..authority_end];
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_port = &authority[host_start..];
        // An IPv6 literal's colons are inside its brackets.
        let search_from = if host_port.starts_with('[') {
            host_port.find(']')? + 1
        } else {
            0
        };
        let port_colon = host_port[search_from..]
            .rfind(':')
            .map(|i| authority_start + host_start + search_from + i);
        let tail = &url[authority_end..];
        match port_colon {
            Some(colon) => {
                let port = &url[colon + 1..authority_end];
                if !port.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(Self {
                    scheme,
                    head: &url[..colon],
                    port: Some(port),
                    tail,
                })
            }
            None => Some(Self {
                scheme,
                head: &url[..authority_end],
                port: None,
                tail,
            }),
        }
    }

    fn without_port(&self) -> String {
        format!("{}{}", self.head, self.tail)
    }

    fn with_default_port(&self) -> Option<String> {
        let port = match self.scheme.to_ascii_lowercase().as_str() {
            "https" | "wss" => 443,
            "http" | "ws" => 80,
            _ => return None,
        };
        Some(format!("{}:{port}{}", self.head, self.tail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Vec<Value> {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/twilio-webhooks/signature_test_vectors.json"
        ));
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["vectors"].as_array().unwrap().clone()
    }

    fn vector(id: &str) -> Value {
        vectors().into_iter().find(|v| v["id"] == id).unwrap()
    }

    /// A vector's params in order, from `params` (an object) or `params_multi` (pairs).
    fn params_of(v: &Value) -> Vec<(String, String)> {
        if let Some(multi) = v["params_multi"].as_array() {
            return multi
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_owned(),
                        pair[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
        }
        v["params"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn s<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key].as_str().unwrap()
    }

    const BASIC_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn basic_params() -> Vec<(String, String)> {
        params_of(&vector("basic_gather_digits"))
    }

    #[test]
    fn every_fixture_vector_validates_as_expected() {
        let all = vectors();
        assert_eq!(all.len(), 10);
        for v in &all {
            let id = s(v, "id");
            let token = s(v, "auth_token");
            let url = s(v, "url");
            let signature = s(v, "expected_signature");
            let valid = v["valid"].as_bool().unwrap();
            let verdict = match v["raw_body"].as_str() {
                Some(body) => validate_with_body(token, url, body.as_bytes(), signature),
                None => validate(token, url, &params_of(v), signature),
            };
            assert_eq!(verdict, valid, "vector {id}");
        }
    }

    #[test]
    fn computes_the_published_signatures_exactly() {
        for (id, signed_url) in [
            ("inbound_call_full", "http://www.postbin.org/1ed898x"),
            ("basic_gather_digits", BASIC_URL),
            (
                "http_url_with_port_1234",
                "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            ),
            (
                "https_default_port_443_added",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            ),
            (
                "http_default_port_80_added",
                "http://mycompany.com:80/myapp.php?foo=1&bar=2",
            ),
            ("duplicate_param_keys", BASIC_URL),
        ] {
            let v = vector(id);
            assert_eq!(
                compute_signature(s(&v, "auth_token"), signed_url, &params_of(&v)),
                s(&v, "expected_signature"),
                "vector {id}"
            );
        }
        let json = vector("json_body_bodySHA256");
        assert_eq!(
            compute_signature::<&str, &str>("12345", s(&json, "url"), &[]),
            s(&json, "expected_signature")
        );
        for id in ["url_mismatch_negative", "single_quote_escaping"] {
            let v = vector(id);
            assert_eq!(
                compute_signature::<&str, &str>(s(&v, "auth_token"), s(&v, "signed_url"), &[]),
                s(&v, "expected_signature"),
                "vector {id}"
            );
        }
    }

    #[test]
    fn matches_the_documented_examples() {
        // The example in Twilio's documentation and helper-library snippets.
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ];
        assert!(validate(
            "12345",
            BASIC_URL,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ];
        assert!(validate(
            "12345",
            BASIC_URL,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn url_mismatch_is_rejected_but_the_signed_url_passes() {
        let v = vector("url_mismatch_negative");
        let sig = s(&v, "expected_signature");
        assert!(!validate::<&str, &str>(
            s(&v, "auth_token"),
            s(&v, "url"),
            &[],
            sig
        ));
        assert!(validate::<&str, &str>(
            s(&v, "auth_token"),
            s(&v, "signed_url"),
            &[],
            sig
        ));
    }

    #[test]
    fn accepts_an_apostrophe_escaped_or_not() {
        let v = vector("single_quote_escaping");
        let sig = s(&v, "expected_signature");
        let token = s(&v, "auth_token");
        assert!(validate::<&str, &str>(token, s(&v, "url"), &[], sig));
        assert!(validate::<&str, &str>(token, s(&v, "signed_url"), &[], sig));
        // Signed over the escaped form, checked against the plain one.
        let escaped_sig = compute_signature::<&str, &str>(token, s(&v, "url"), &[]);
        assert!(validate::<&str, &str>(
            token,
            s(&v, "signed_url"),
            &[],
            &escaped_sig
        ));
        // Other escapes are not equivalent.
        assert!(!validate::<&str, &str>(
            token,
            "https://example.com/path?test=param%28WithQuote",
            &[],
            sig
        ));
    }

    #[test]
    fn tries_the_url_with_and_without_its_port() {
        let params = basic_params();
        let plain = compute_signature("12345", BASIC_URL, &params);
        let with_443 = compute_signature(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
        );
        // Signed without the port, received with it, and the other way round.
        assert!(validate(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            &plain
        ));
        assert!(validate("12345", BASIC_URL, &params, &with_443));
        // The default port of another scheme is not added.
        let with_80 = compute_signature(
            "12345",
            "https://mycompany.com:80/myapp.php?foo=1&bar=2",
            &params,
        );
        assert!(!validate("12345", BASIC_URL, &params, &with_80));
    }

    #[test]
    fn lists_the_url_spellings_to_try() {
        assert_eq!(
            url_variants("https://a.example/x?y=1"),
            ["https://a.example/x?y=1", "https://a.example:443/x?y=1"]
        );
        assert_eq!(
            url_variants("http://a.example:8080"),
            ["http://a.example:8080", "http://a.example"]
        );
        assert_eq!(
            url_variants("wss://a.example/media"),
            ["wss://a.example/media", "wss://a.example:443/media"]
        );
        assert_eq!(
            url_variants("ws://user:pw@a.example:80/m#f"),
            [
                "ws://user:pw@a.example:80/m#f",
                "ws://user:pw@a.example/m#f"
            ]
        );
        assert_eq!(
            url_variants("https://[2001:db8::1]:8443/v?a=b:c"),
            [
                "https://[2001:db8::1]:8443/v?a=b:c",
                "https://[2001:db8::1]/v?a=b:c"
            ]
        );
        assert_eq!(
            url_variants("https://[2001:db8::1]/v"),
            ["https://[2001:db8::1]/v", "https://[2001:db8::1]:443/v"]
        );
        // A colon in the query is not a port.
        assert_eq!(
            url_variants("http://h.example?t=12:30"),
            ["http://h.example?t=12:30", "http://h.example:80?t=12:30"]
        );
        // Unknown schemes and non-URLs are tried as given only.
        assert_eq!(
            url_variants("sip:alice@example.com"),
            ["sip:alice@example.com"]
        );
        assert_eq!(url_variants("ftp://f.example/x"), ["ftp://f.example/x"]);
        assert_eq!(
            url_variants("http://h.example:8o/"),
            ["http://h.example:8o/"]
        );
    }

    #[test]
    fn rejects_tampered_params() {
        let params = basic_params();
        let sig = compute_signature("12345", BASIC_URL, &params);
        assert!(validate("12345", BASIC_URL, &params, &sig));

        let mut changed = params.clone();
        changed[1].1 = "1235".into();
        assert!(
            !validate("12345", BASIC_URL, &changed, &sig),
            "changed value"
        );

        let mut added = params.clone();
        added.push(("SpeechResult".into(), "yes".into()));
        assert!(!validate("12345", BASIC_URL, &added, &sig), "added param");

        let removed = &params[1..];
        assert!(
            !validate("12345", BASIC_URL, removed, &sig),
            "removed param"
        );

        let mut renamed = params.clone();
        renamed[1].0 = "digits".into();
        assert!(
            !validate("12345", BASIC_URL, &renamed, &sig),
            "renamed param"
        );

        // Order of arrival does not matter: params are sorted before signing.
        let mut shuffled = params.clone();
        shuffled.reverse();
        assert!(validate("12345", BASIC_URL, &shuffled, &sig));
    }

    #[test]
    fn rejects_tampered_urls_tokens_and_signatures() {
        let params = basic_params();
        let sig = compute_signature("12345", BASIC_URL, &params);
        for url in [
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            "https://mycompany.com/myapp.php?bar=2&foo=1",
            "https://mycompany.com/other.php?foo=1&bar=2",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "https://evil.example/myapp.php?foo=1&bar=2",
            "https://mycompany.com/myapp.php",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2x",
        ] {
            assert!(!validate("12345", url, &params, &sig), "url {url}");
        }
        assert!(!validate("12346", BASIC_URL, &params, &sig), "other token");
        assert!(!validate("", BASIC_URL, &params, &sig), "empty token");
        let empty_token_sig = compute_signature("", BASIC_URL, &params);
        assert!(!validate("", BASIC_URL, &params, &empty_token_sig));

        // One character changed, cut short, padded, not Base64, empty.
        let mut flipped = sig.clone().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in [
            flipped.as_str(),
            &sig[..sig.len() - 2],
            &format!("{sig}AAAA"),
            "not base64!!",
            "",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(
                !validate("12345", BASIC_URL, &params, bad),
                "signature {bad:?}"
            );
        }
        // Surrounding whitespace from a header is ignored.
        assert!(validate("12345", BASIC_URL, &params, &format!(" {sig} ")));
    }

    #[test]
    fn signs_params_sorted_by_name_then_value() {
        let params = [("b", "2"), ("a", "9"), ("B", "1"), ("a", "1"), ("a", "1")];
        // Upper case sorts before lower case; repeated names by value; exact repeats once.
        assert_eq!(sorted_params(&params), "B1a1a9b2");
        let mut mac = new_mac("tok");
        mac.update(b"https://x.example/pB1a1a9b2");
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            compute_signature("tok", "https://x.example/p", &params),
            expected
        );
        // Non-ASCII text is signed as UTF-8.
        assert_eq!(
            sorted_params(&[("SpeechResult", "查询订单")]),
            "SpeechResult查询订单"
        );
    }

    #[test]
    fn duplicate_keys_sign_every_value() {
        let v = vector("duplicate_param_keys");
        let params = params_of(&v);
        assert!(validate(
            "12345",
            BASIC_URL,
            &params,
            s(&v, "expected_signature")
        ));
        // Dropping either Digits value breaks it.
        let first_only: Vec<_> = params
            .iter()
            .filter(|(_, v)| v != "1234")
            .cloned()
            .collect();
        assert!(!validate(
            "12345",
            BASIC_URL,
            &first_only,
            s(&v, "expected_signature")
        ));
    }

    #[test]
    fn json_bodies_are_checked_by_their_hash() {
        let v = vector("json_body_bodySHA256");
        let body = s(&v, "raw_body").as_bytes();
        let url = s(&v, "url");
        let sig = s(&v, "expected_signature");
        assert_eq!(body_sha256_hex(body), s(&v, "expected_body_sha256_hex"));
        assert!(validate_with_body("12345", url, body, sig));
        // A different body, however small the change, fails.
        assert!(!validate_with_body(
            "12345",
            url,
            b"{\"property\": \"value\", \"boolean\": false}",
            sig
        ));
        assert!(!validate_with_body("12345", url, b"", sig));
        // A wrong token or signature fails even with the right body.
        assert!(!validate_with_body("54321", url, body, sig));
        assert!(!validate_with_body(
            "12345",
            url,
            body,
            "a9nBmqA0ju/hNViExpshrM61xv5="
        ));
        // Upper-case hex in the URL is the same hash; the signature covers the URL, though,
        // so it must have been signed that way.
        let upper = url.replace(
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
            "0A1FF7634D9AB3B95DB5C9A2DFE9416E41502B283A80C7CF19632632F96E6620",
        );
        let upper_sig = compute_signature::<&str, &str>("12345", &upper, &[]);
        assert!(validate_with_body("12345", &upper, body, &upper_sig));
        // Without bodySHA256 in the URL a body cannot be checked.
        let bare = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let bare_sig = compute_signature::<&str, &str>("12345", bare, &[]);
        assert!(!validate_with_body("12345", bare, body, &bare_sig));
    }

    #[test]
    fn finds_query_params() {
        assert_eq!(
            query_param("https://h/p?a=1&bodySHA256=ab#x", "bodySHA256"),
            Some("ab")
        );
        assert_eq!(
            query_param("https://h/p?bodySHA256=1&bodySHA256=2", "bodySHA256"),
            Some("1")
        );
        assert_eq!(query_param("https://h/p?xbodySHA256=1", "bodySHA256"), None);
        assert_eq!(query_param("https://h/p#?bodySHA256=1", "bodySHA256"), None);
        assert_eq!(query_param("https://h/p", "bodySHA256"), None);
    }

    #[test]
    fn websocket_upgrades_sign_the_wss_url_alone() {
        let url = "wss://voice.example.com/media/ten_1/call";
        let sig = compute_signature::<&str, &str>("tok", url, &[]);
        assert!(validate::<&str, &str>("tok", url, &[], &sig));
        assert!(validate::<&str, &str>(
            "tok",
            "wss://voice.example.com:443/media/ten_1/call",
            &[],
            &sig
        ));
        assert!(!validate::<&str, &str>(
            "tok",
            "wss://voice.example.com/media/ten_2/call",
            &[],
            &sig
        ));
    }
}
