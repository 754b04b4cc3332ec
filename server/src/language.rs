//! The language of messages meant for people (row errors of an import, revision summaries):
//! Chinese or English, as the request's `Accept-Language` prefers. Codes stay the same in both.

use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use flow_engine::messages::Locale;

tokio::task_local! {
    /// The language of the request being answered, for what is worded far from its headers:
    /// error answers, and the flow problems any handler may return.
    static CURRENT_LANGUAGE: Language;
}

/// Middleware: makes the request's `Accept-Language` known to what its handler answers.
pub async fn with_language(request: Request, next: Next) -> Response {
    let language = Language::from_headers(request.headers());
    CURRENT_LANGUAGE.scope(language, next.run(request)).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Chinese,
    English,
}

impl Language {
    /// The first language of `Accept-Language` (by quality) that the server speaks; Chinese
    /// when the header names neither, since most users are.
    pub fn from_headers(headers: &HeaderMap) -> Language {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
        else {
            return Language::default();
        };
        let mut best: Option<(f32, Language)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|piece| piece.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let language = if tag == "zh" || tag.starts_with("zh-") {
                Language::Chinese
            } else if tag == "en" || tag.starts_with("en-") {
                Language::English
            } else {
                continue;
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or_else(Language::default, |(_, language)| language)
    }

    /// The language of the request being answered; the default outside one (a CLI, a job).
    pub fn current() -> Language {
        CURRENT_LANGUAGE
            .try_with(|language| *language)
            .unwrap_or_default()
    }

    /// The engine's catalogue in this language.
    pub fn locale(self) -> Locale {
        match self {
            Language::Chinese => Locale::Chinese,
            Language::English => Locale::English,
        }
    }

    /// The language of a BCP 47 tag such as a knowledge base's `zh-CN` or `en`.
    pub fn of_tag(tag: &str) -> Language {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Language::Chinese
        } else {
            Language::English
        }
    }

    /// `zh` or `en`, whichever is this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Chinese => zh,
            Language::English => en,
        }
    }
}

/// A message in both languages, rendered when the request's language is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, language: Language) -> &str {
        language.pick(&self.zh, &self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(value: &str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, value.parse().expect("header"));
        Language::from_headers(&headers)
    }

    #[test]
    fn accept_language_picks_the_preferred_known_language() {
        assert_eq!(of("zh-CN"), Language::Chinese);
        assert_eq!(of("en-US,en;q=0.9"), Language::English);
        assert_eq!(of("fr-FR, en;q=0.8, zh;q=0.5"), Language::English);
        assert_eq!(of("en;q=0.3, zh-TW;q=0.7"), Language::Chinese);
        assert_eq!(of("de"), Language::Chinese);
        assert_eq!(Language::from_headers(&HeaderMap::new()), Language::Chinese);
    }
}
