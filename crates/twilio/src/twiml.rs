//! TwiML replies: a typed builder for the `<Response>` documents Twilio runs on a call, rendered
//! as XML 1.0, following Twilio's TwiML for Programmable Voice reference (verbs `<Say>`,
//! `<Play>`, `<Gather>`, `<Dial>`, `<Enqueue>`, `<Redirect>`, `<Pause>`, `<Hangup>`,
//! `<Connect><Stream>`, `<Reject>`).
//!
//! Every text and attribute value is escaped, so caller-supplied or flow-supplied text (an
//! order note, a customer's name, Chinese prompts, `&<>"'`) can never change the document's
//! structure; SSML in `<Say>` text is spoken literally rather than interpreted. Characters XML
//! 1.0 cannot carry at all (control characters other than tab, line feed and carriage return;
//! U+FFFE and U+FFFF) are left out. Only attributes that are set are written, in a fixed order,
//! so the output is stable byte for byte.

use std::fmt;

/// The media type to answer a TwiML request with.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// A TwiML `<Response>`: the verbs Twilio carries out in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    verbs: Vec<Verb>,
}

impl Response {
    /// An empty response (Twilio hangs up after it).
    pub fn new() -> Self {
        Self::default()
    }

    /// This response with `verb` appended.
    #[must_use]
    pub fn with(mut self, verb: impl Into<Verb>) -> Self {
        self.verbs.push(verb.into());
        self
    }

    /// Appends `verb`.
    pub fn push(&mut self, verb: impl Into<Verb>) -> &mut Self {
        self.verbs.push(verb.into());
        self
    }

    /// The verbs, in order.
    pub fn verbs(&self) -> &[Verb] {
        &self.verbs
    }

    /// The XML document, with its declaration.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str(XML_DECLARATION);
        if self.verbs.is_empty() {
            out.push_str("<Response/>");
            return out;
        }
        out.push_str("<Response>");
        for verb in &self.verbs {
            verb.render(&mut out);
        }
        out.push_str("</Response>");
        out
    }
}

impl From<Vec<Verb>> for Response {
    fn from(verbs: Vec<Verb>) -> Self {
        Self { verbs }
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq)]
pub enum Verb {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Gather>`.
    Gather(Gather),
    /// `<Dial>`.
    Dial(Dial),
    /// `<Enqueue>`.
    Enqueue(Enqueue),
    /// `<Redirect>`.
    Redirect(Redirect),
    /// `<Pause>`.
    Pause(Pause),
    /// `<Hangup>`.
    Hangup,
    /// `<Connect>`.
    Connect(Connect),
    /// `<Reject>`.
    Reject(Reject),
}

impl Verb {
    fn render(&self, out: &mut String) {
        match self {
            Verb::Say(say) => say.render(out),
            Verb::Play(play) => play.render(out),
            Verb::Gather(gather) => gather.render(out),
            Verb::Dial(dial) => dial.render(out),
            Verb::Enqueue(enqueue) => enqueue.render(out),
            Verb::Redirect(redirect) => redirect.render(out),
            Verb::Pause(pause) => pause.render(out),
            Verb::Hangup => out.push_str("<Hangup/>"),
            Verb::Connect(connect) => connect.render(out),
            Verb::Reject(reject) => reject.render(out),
        }
    }
}

macro_rules! verb_from {
    ($($name:ident),*) => {
        $(impl From<$name> for Verb {
            fn from(value: $name) -> Self {
                Verb::$name(value)
            }
        })*
    };
}
verb_from!(Say, Play, Gather, Dial, Enqueue, Redirect, Pause, Connect, Reject);

/// The HTTP method Twilio uses for an action or redirect URL (Twilio's default is POST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// `<Say>`: text spoken by text-to-speech.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Say {
    /// What to say, spoken as written (markup included).
    pub text: String,
    /// A voice name, e.g. `Polly.Zhiyu` or `Google.cmn-CN-Standard-A`.
    pub voice: Option<String>,
    /// A language tag, e.g. `zh-CN`, `en-US`.
    pub language: Option<String>,
    /// How many times to say it (0 = until the call ends).
    pub loop_count: Option<u32>,
}

impl Say {
    /// Says `text` in Twilio's default voice.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// This `<Say>` in `voice`.
    #[must_use]
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// This `<Say>` in `language`.
    #[must_use]
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Say");
        attr_opt(out, "voice", self.voice.as_deref());
        attr_opt(out, "language", self.language.as_deref());
        attr_num(out, "loop", self.loop_count);
        out.push('>');
        escape_text(out, &self.text);
        out.push_str("</Say>");
    }
}

/// `<Play>`: an audio file played to the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Play {
    /// Where Twilio fetches the audio (WAV or MP3).
    pub url: String,
    /// How many times to play it (0 = until the call ends).
    pub loop_count: Option<u32>,
}

impl Play {
    /// Plays the audio at `url` once.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            loop_count: None,
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Play");
        attr_num(out, "loop", self.loop_count);
        out.push('>');
        escape_text(out, &self.url);
        out.push_str("</Play>");
    }
}

/// `<Pause>`: silence, `length` seconds (Twilio's default is 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pause {
    /// Seconds of silence.
    pub length: Option<u32>,
}

impl Pause {
    /// `length` seconds of silence.
    pub fn seconds(length: u32) -> Self {
        Self {
            length: Some(length),
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Pause");
        attr_num(out, "length", self.length);
        out.push_str("/>");
    }
}

/// What a `<Gather>` listens for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GatherInput {
    /// Speech only.
    Speech,
    /// Key presses only (Twilio's default).
    #[default]
    Dtmf,
    /// Speech and key presses together.
    Both,
}

impl GatherInput {
    fn as_str(self) -> &'static str {
        match self {
            GatherInput::Speech => "speech",
            GatherInput::Dtmf => "dtmf",
            GatherInput::Both => "dtmf speech",
        }
    }
}

/// How long a `<Gather>` waits after speech ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechTimeout {
    /// Twilio decides when the speaker has finished.
    Auto,
    /// This many seconds of silence.
    Seconds(u32),
}

/// A prompt nested in a `<Gather>`; the caller's input interrupts it.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
}

impl From<Say> for Prompt {
    fn from(say: Say) -> Self {
        Prompt::Say(say)
    }
}

impl From<Play> for Prompt {
    fn from(play: Play) -> Self {
        Prompt::Play(play)
    }
}

impl From<Pause> for Prompt {
    fn from(pause: Pause) -> Self {
        Prompt::Pause(pause)
    }
}

/// `<Gather>`: collects speech and/or key presses and posts them (`SpeechResult`,
/// `Confidence`, `Digits`) to `action`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gather {
    /// What to listen for.
    pub input: GatherInput,
    /// Where Twilio posts what was collected (Twilio's default is the current URL).
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Option<Method>,
    /// Seconds to wait for input to start (Twilio's default is 5).
    pub timeout_s: Option<u32>,
    /// How long to wait after speech ends (Twilio's default: the `timeout`).
    pub speech_timeout: Option<SpeechTimeout>,
    /// Keys to collect before posting, without waiting for `finish_on_key`.
    pub num_digits: Option<u32>,
    /// The key that ends digit entry (Twilio's default is `#`; empty turns it off).
    pub finish_on_key: Option<String>,
    /// The speech recognition language, e.g. `zh-CN`, `en-US`.
    pub language: Option<String>,
    /// Words and phrases likely to be said. Joined with commas, so a comma inside one
    /// phrase becomes a space.
    pub hints: Vec<String>,
    /// Post to `action` even when nothing was heard (otherwise Twilio falls through to the
    /// next verb).
    pub action_on_empty_result: Option<bool>,
    /// Whether input interrupts the prompts (Twilio's default is true).
    pub barge_in: Option<bool>,
    /// What the caller hears while Twilio listens.
    pub prompts: Vec<Prompt>,
}

impl Gather {
    /// A gather for `input`, with Twilio's defaults otherwise and no prompt.
    pub fn new(input: GatherInput) -> Self {
        Self {
            input,
            ..Self::default()
        }
    }

    /// This gather with `prompt` appended.
    #[must_use]
    pub fn prompt(mut self, prompt: impl Into<Prompt>) -> Self {
        self.prompts.push(prompt.into());
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Gather");
        attr(out, "input", self.input.as_str());
        attr_opt(out, "action", self.action.as_deref());
        attr_opt(out, "method", self.method.map(Method::as_str));
        attr_num(out, "timeout", self.timeout_s);
        match self.speech_timeout {
            Some(SpeechTimeout::Auto) => attr(out, "speechTimeout", "auto"),
            Some(SpeechTimeout::Seconds(s)) => attr_num(out, "speechTimeout", Some(s)),
            None => {}
        }
        attr_num(out, "numDigits", self.num_digits);
        attr_opt(out, "finishOnKey", self.finish_on_key.as_deref());
        attr_opt(out, "language", self.language.as_deref());
        let hints: Vec<String> = self
            .hints
            .iter()
            .map(|hint| hint.replace(',', " ").trim().to_owned())
            .filter(|hint| !hint.is_empty())
            .collect();
        if !hints.is_empty() {
            attr(out, "hints", &hints.join(","));
        }
        attr_bool(out, "actionOnEmptyResult", self.action_on_empty_result);
        attr_bool(out, "bargeIn", self.barge_in);
        if self.prompts.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for prompt in &self.prompts {
            match prompt {
                Prompt::Say(say) => say.render(out),
                Prompt::Play(play) => play.render(out),
                Prompt::Pause(pause) => pause.render(out),
            }
        }
        out.push_str("</Gather>");
    }
}

/// Whom a `<Dial>` calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A phone number, E.164 (`+8613800138000`).
    Number(String),
    /// A SIP URI (`sip:agent@pbx.example.com`).
    Sip(String),
    /// A Twilio Client identity.
    Client(String),
}

/// `<Dial>`: connects the caller to another party; `action` gets `DialCallStatus`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dial {
    /// Whom to call.
    pub target: DialTarget,
    /// The number the other party sees (one of the account's).
    pub caller_id: Option<String>,
    /// Where Twilio posts how the dial ended (otherwise the call goes on to the next verb).
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Option<Method>,
    /// Seconds to let the other party ring (Twilio's default is 30).
    pub timeout_s: Option<u32>,
    /// Longest the bridged call may last, in seconds.
    pub time_limit: Option<u32>,
    /// Keep the caller hearing ringing until the other party answers.
    pub answer_on_bridge: Option<bool>,
}

impl Dial {
    /// Calls `target`, with Twilio's defaults otherwise.
    pub fn new(target: DialTarget) -> Self {
        Self {
            target,
            caller_id: None,
            action: None,
            method: None,
            timeout_s: None,
            time_limit: None,
            answer_on_bridge: None,
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Dial");
        attr_opt(out, "callerId", self.caller_id.as_deref());
        attr_opt(out, "action", self.action.as_deref());
        attr_opt(out, "method", self.method.map(Method::as_str));
        attr_num(out, "timeout", self.timeout_s);
        attr_num(out, "timeLimit", self.time_limit);
        attr_bool(out, "answerOnBridge", self.answer_on_bridge);
        out.push('>');
        let (tag, value) = match &self.target {
            DialTarget::Number(number) => ("Number", number),
            DialTarget::Sip(uri) => ("Sip", uri),
            DialTarget::Client(identity) => ("Client", identity),
        };
        element_text(out, tag, value);
        out.push_str("</Dial>");
    }
}

/// `<Enqueue>`: puts the caller in a named queue for an agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enqueue {
    /// The queue's name.
    pub queue: String,
    /// TwiML played while the caller waits.
    pub wait_url: Option<String>,
    /// Gets `QueueResult` and `QueueTime` when the caller leaves the queue.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Option<Method>,
}

impl Enqueue {
    /// Puts the caller in `queue`, with Twilio's hold music.
    pub fn new(queue: impl Into<String>) -> Self {
        Self {
            queue: queue.into(),
            ..Self::default()
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Enqueue");
        attr_opt(out, "action", self.action.as_deref());
        attr_opt(out, "method", self.method.map(Method::as_str));
        attr_opt(out, "waitUrl", self.wait_url.as_deref());
        out.push('>');
        escape_text(out, &self.queue);
        out.push_str("</Enqueue>");
    }
}

/// `<Redirect>`: continues the call with the TwiML at `url`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redirect {
    /// Where the call's next TwiML is.
    pub url: String,
    /// How `url` is requested.
    pub method: Option<Method>,
}

impl Redirect {
    /// Continues the call with the TwiML at `url`, asked for with `POST`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: None,
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Redirect");
        attr_opt(out, "method", self.method.map(Method::as_str));
        out.push('>');
        escape_text(out, &self.url);
        out.push_str("</Redirect>");
    }
}

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The caller hears that the call was not accepted (Twilio's default).
    Rejected,
    /// The caller hears a busy signal.
    Busy,
}

/// `<Reject>`: refuses an incoming call without answering it (no charge).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reject {
    /// What the caller hears.
    pub reason: Option<RejectReason>,
}

impl Reject {
    fn render(&self, out: &mut String) {
        out.push_str("<Reject");
        attr_opt(
            out,
            "reason",
            self.reason.map(|reason| match reason {
                RejectReason::Rejected => "rejected",
                RejectReason::Busy => "busy",
            }),
        );
        out.push_str("/>");
    }
}

/// `<Connect>` with a bidirectional `<Stream>`: the call's audio goes to a WebSocket, which
/// may send audio back. Twilio runs no further TwiML until the socket closes; then it
/// requests `action`, if set.
#[derive(Debug, Clone, PartialEq)]
pub struct Connect {
    /// Where the audio goes.
    pub stream: Stream,
    /// Where Twilio asks for the call's next TwiML once the socket closes.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Option<Method>,
}

impl Connect {
    /// Connects the call to `stream`; the call ends when the socket closes.
    pub fn stream(stream: Stream) -> Self {
        Self {
            stream,
            action: None,
            method: None,
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Connect");
        attr_opt(out, "action", self.action.as_deref());
        attr_opt(out, "method", self.method.map(Method::as_str));
        out.push('>');
        self.stream.render(out);
        out.push_str("</Connect>");
    }
}

/// Which audio a `<Stream>` carries (a bidirectional stream takes `inbound_track` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTrack {
    /// The caller's audio.
    Inbound,
    /// The audio Twilio plays to the caller.
    Outbound,
    /// Both.
    Both,
}

impl StreamTrack {
    fn as_str(self) -> &'static str {
        match self {
            StreamTrack::Inbound => "inbound_track",
            StreamTrack::Outbound => "outbound_track",
            StreamTrack::Both => "both_tracks",
        }
    }
}

/// A media `<Stream>`. Its URL must be `wss://` with no query string or fragment: data for
/// the socket goes in `parameters` and arrives in the `start` message's `customParameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    url: String,
    /// A name for the stream, unique on the call.
    pub name: Option<String>,
    /// Which audio the stream carries (Twilio's default is the caller's).
    pub track: Option<StreamTrack>,
    /// `<Parameter name value/>` pairs, in order.
    pub parameters: Vec<(String, String)>,
}

/// Why TwiML cannot be built as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwimlError {
    /// A `<Stream>` URL Twilio would not connect to.
    #[error("stream url {url:?} {reason}")]
    StreamUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Stream {
    /// A stream to `url`, which must be `wss://host/path` without `?query` or `#fragment`.
    pub fn new(url: impl Into<String>) -> Result<Self, TwimlError> {
        let url = url.into();
        let reject = |reason| {
            Err(TwimlError::StreamUrl {
                url: url.clone(),
                reason,
            })
        };
        let secure = url
            .get(..6)
            .filter(|scheme| scheme.eq_ignore_ascii_case("wss://"))
            .map(|_| &url[6..]);
        // Plain ws:// only to this machine: a local carrier (a test double, a development
        // tunnel's far end) on the loopback interface.
        let local = url
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("ws://"))
            .map(|_| &url[5..])
            .filter(|rest| {
                ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
                    rest.strip_prefix(host)
                        .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
                })
            });
        let Some(rest) = secure.or(local) else {
            return reject("must start with wss://");
        };
        if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
            return reject("has no host");
        }
        if url.contains('?') {
            return reject("must not carry a query string (use parameters)");
        }
        if url.contains('#') {
            return reject("must not carry a fragment");
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return reject("must not contain spaces or control characters");
        }
        Ok(Self {
            url,
            name: None,
            track: None,
            parameters: Vec::new(),
        })
    }

    /// Where the stream connects.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// This stream with a `<Parameter>` appended.
    #[must_use]
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }

    fn render(&self, out: &mut String) {
        out.push_str("<Stream");
        attr(out, "url", &self.url);
        attr_opt(out, "name", self.name.as_deref());
        attr_opt(out, "track", self.track.map(StreamTrack::as_str));
        if self.parameters.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for (name, value) in &self.parameters {
            out.push_str("<Parameter");
            attr(out, "name", name);
            attr(out, "value", value);
            out.push_str("/>");
        }
        out.push_str("</Stream>");
    }
}

fn element_text(out: &mut String, tag: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    escape_text(out, text);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(out, value);
    out.push('"');
}

fn attr_opt(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        attr(out, name, value);
    }
}

fn attr_num(out: &mut String, name: &str, value: Option<u32>) {
    if let Some(value) = value {
        attr(out, name, &value.to_string());
    }
}

fn attr_bool(out: &mut String, name: &str, value: Option<bool>) {
    if let Some(value) = value {
        attr(out, name, if value { "true" } else { "false" });
    }
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes element text: markup characters become entities; a carriage return becomes a
/// character reference so that XML's line-end normalisation keeps it.
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Escapes a double-quoted attribute value: markup characters and both quotes become
/// entities; tab, line feed and carriage return become character references so that
/// attribute-value normalisation keeps them.
fn escape_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    fn one(verb: impl Into<Verb>) -> String {
        let xml = Response::new().with(verb).render();
        let body = xml.strip_prefix(HEAD).unwrap();
        body.strip_prefix("<Response>")
            .and_then(|b| b.strip_suffix("</Response>"))
            .unwrap()
            .to_owned()
    }

    #[test]
    fn renders_an_empty_response() {
        assert_eq!(
            Response::new().render(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
        );
    }

    #[test]
    fn renders_say() {
        assert_eq!(one(Say::new("Hello")), "<Say>Hello</Say>");
        assert_eq!(
            one(Say::new("您好，这里是智能客服。")
                .voice("Polly.Zhiyu")
                .language("cmn-CN")),
            r#"<Say voice="Polly.Zhiyu" language="cmn-CN">您好，这里是智能客服。</Say>"#
        );
        assert_eq!(
            one(Say {
                loop_count: Some(2),
                ..Say::new("Hi")
            }),
            r#"<Say loop="2">Hi</Say>"#
        );
    }

    #[test]
    fn renders_play() {
        assert_eq!(
            one(Play::new("https://cdn.example.com/hold.mp3?a=1&b=2")),
            "<Play>https://cdn.example.com/hold.mp3?a=1&amp;b=2</Play>"
        );
        assert_eq!(
            one(Play {
                loop_count: Some(0),
                ..Play::new("https://cdn.example.com/m.wav")
            }),
            r#"<Play loop="0">https://cdn.example.com/m.wav</Play>"#
        );
    }

    #[test]
    fn renders_gather_with_every_attribute() {
        let gather = Gather {
            input: GatherInput::Both,
            action: Some("/twilio/gather?call=1&turn=2".into()),
            method: Some(Method::Post),
            timeout_s: Some(6),
            speech_timeout: Some(SpeechTimeout::Seconds(2)),
            num_digits: Some(4),
            finish_on_key: Some("#".into()),
            language: Some("en-US".into()),
            hints: vec![
                "order status".into(),
                "refund".into(),
                "A, B".into(),
                " ".into(),
            ],
            action_on_empty_result: Some(true),
            barge_in: Some(false),
            prompts: vec![
                Prompt::Say(Say::new("Say or enter your order number.")),
                Prompt::Pause(Pause::seconds(1)),
                Prompt::Play(Play::new("https://cdn.example.com/beep.wav")),
            ],
        };
        assert_eq!(
            one(gather),
            concat!(
                r#"<Gather input="dtmf speech" action="/twilio/gather?call=1&amp;turn=2" "#,
                r##"method="POST" timeout="6" speechTimeout="2" numDigits="4" finishOnKey="#" "##,
                r#"language="en-US" hints="order status,refund,A  B" "#,
                r#"actionOnEmptyResult="true" bargeIn="false">"#,
                "<Say>Say or enter your order number.</Say>",
                r#"<Pause length="1"/>"#,
                "<Play>https://cdn.example.com/beep.wav</Play>",
                "</Gather>"
            )
        );
    }

    #[test]
    fn renders_a_bare_gather() {
        assert_eq!(one(Gather::default()), r#"<Gather input="dtmf"/>"#);
        assert_eq!(
            one(Gather {
                speech_timeout: Some(SpeechTimeout::Auto),
                finish_on_key: Some(String::new()),
                ..Gather::new(GatherInput::Speech)
            }),
            r#"<Gather input="speech" speechTimeout="auto" finishOnKey=""/>"#
        );
    }

    #[test]
    fn renders_a_typical_gather_turn() {
        let response = Response::new()
            .with(
                Gather {
                    action: Some("https://voice.example.com/twilio/gather/CA123".into()),
                    speech_timeout: Some(SpeechTimeout::Auto),
                    language: Some("zh-CN".into()),
                    hints: vec!["查订单".into(), "退货".into(), "人工客服".into()],
                    action_on_empty_result: Some(true),
                    ..Gather::new(GatherInput::Both)
                }
                .prompt(
                    Say::new("请问有什么可以帮您？您可以说“查订单”或按1。")
                        .voice("Polly.Zhiyu")
                        .language("cmn-CN"),
                ),
            )
            .with(Redirect {
                method: Some(Method::Post),
                ..Redirect::new("https://voice.example.com/twilio/no-input/CA123")
            });
        assert_eq!(
            response.render(),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
                r#"<Gather input="dtmf speech" action="https://voice.example.com/twilio/gather/CA123" "#,
                r#"speechTimeout="auto" language="zh-CN" hints="查订单,退货,人工客服" "#,
                r#"actionOnEmptyResult="true">"#,
                r#"<Say voice="Polly.Zhiyu" language="cmn-CN">请问有什么可以帮您？您可以说“查订单”或按1。</Say>"#,
                "</Gather>",
                r#"<Redirect method="POST">https://voice.example.com/twilio/no-input/CA123</Redirect>"#,
                "</Response>"
            )
        );
        assert_eq!(response.to_string(), response.render());
        assert_eq!(response.verbs().len(), 2);
    }

    #[test]
    fn renders_dial_to_each_target() {
        assert_eq!(
            one(Dial::new(DialTarget::Number("+8613800138000".into()))),
            "<Dial><Number>+8613800138000</Number></Dial>"
        );
        assert_eq!(
            one(Dial {
                caller_id: Some("+14155550100".into()),
                action: Some("/twilio/dial-result".into()),
                method: Some(Method::Get),
                timeout_s: Some(20),
                time_limit: Some(600),
                answer_on_bridge: Some(true),
                ..Dial::new(DialTarget::Sip(
                    "sip:agent@pbx.example.com;transport=tls".into()
                ))
            }),
            concat!(
                r#"<Dial callerId="+14155550100" action="/twilio/dial-result" method="GET" "#,
                r#"timeout="20" timeLimit="600" answerOnBridge="true">"#,
                "<Sip>sip:agent@pbx.example.com;transport=tls</Sip></Dial>"
            )
        );
        assert_eq!(
            one(Dial::new(DialTarget::Client("agent_7".into()))),
            "<Dial><Client>agent_7</Client></Dial>"
        );
    }

    #[test]
    fn renders_enqueue() {
        assert_eq!(
            one(Enqueue {
                wait_url: Some("/twilio/hold-music".into()),
                action: Some("/twilio/queue-result".into()),
                ..Enqueue::new("售后 support")
            }),
            r#"<Enqueue action="/twilio/queue-result" waitUrl="/twilio/hold-music">售后 support</Enqueue>"#
        );
        assert_eq!(one(Enqueue::new("sales")), "<Enqueue>sales</Enqueue>");
    }

    #[test]
    fn renders_redirect_pause_hangup_and_reject() {
        assert_eq!(one(Redirect::new("/next")), "<Redirect>/next</Redirect>");
        assert_eq!(
            one(Redirect {
                method: Some(Method::Get),
                ..Redirect::new("/next?a=1&b=2")
            }),
            r#"<Redirect method="GET">/next?a=1&amp;b=2</Redirect>"#
        );
        assert_eq!(one(Pause::default()), "<Pause/>");
        assert_eq!(one(Pause::seconds(3)), r#"<Pause length="3"/>"#);
        assert_eq!(one(Verb::Hangup), "<Hangup/>");
        assert_eq!(one(Reject::default()), "<Reject/>");
        assert_eq!(
            one(Reject {
                reason: Some(RejectReason::Busy)
            }),
            r#"<Reject reason="busy"/>"#
        );
        assert_eq!(
            one(Reject {
                reason: Some(RejectReason::Rejected)
            }),
            r#"<Reject reason="rejected"/>"#
        );
    }

    #[test]
    fn renders_connect_stream_with_parameters() {
        let mut stream = Stream::new("wss://voice.example.com/twilio/media")
            .unwrap()
            .parameter("tenant", "ten_1")
            .parameter("flow", "订单 & \"退货\"");
        stream.name = Some("bot".into());
        stream.track = Some(StreamTrack::Inbound);
        assert_eq!(
            one(Connect::stream(stream)),
            concat!(
                r#"<Connect><Stream url="wss://voice.example.com/twilio/media" name="bot" "#,
                r#"track="inbound_track"><Parameter name="tenant" value="ten_1"/>"#,
                r#"<Parameter name="flow" value="订单 &amp; &quot;退货&quot;"/></Stream></Connect>"#
            )
        );
        let bare = Connect {
            action: Some("/twilio/stream-ended".into()),
            method: Some(Method::Post),
            ..Connect::stream(Stream::new("wss://h.example/m").unwrap())
        };
        assert_eq!(
            one(bare),
            r#"<Connect action="/twilio/stream-ended" method="POST"><Stream url="wss://h.example/m"/></Connect>"#
        );
        let mut both = Stream::new("WSS://h.example/m").unwrap();
        both.track = Some(StreamTrack::Both);
        assert_eq!(both.url(), "WSS://h.example/m");
        assert!(one(Connect::stream(both)).contains(r#"track="both_tracks""#));
        let mut outbound = Stream::new("wss://h.example/m").unwrap();
        outbound.track = Some(StreamTrack::Outbound);
        assert!(one(Connect::stream(outbound)).contains(r#"track="outbound_track""#));
    }

    #[test]
    fn refuses_stream_urls_twilio_would_not_take() {
        for url in [
            "wss://h.example/m?tenant=1",
            "wss://h.example/m#x",
            "ws://h.example/m",
            "https://h.example/m",
            "wss://",
            "wss:///path",
            "wss://h.example/a b",
            "h.example/m",
            "",
            "wss:/",
        ] {
            let err = Stream::new(url).unwrap_err();
            let TwimlError::StreamUrl { url: got, .. } = &err;
            assert_eq!(got, url);
            assert!(err.to_string().contains("stream url"), "{err}");
        }
    }

    #[test]
    fn escapes_markup_in_text_and_attributes() {
        assert_eq!(
            one(Say::new(r#"Tom & Jerry <b>"hi"</b> it's"#).voice(r#"a"b'c<d>&"#)),
            concat!(
                r#"<Say voice="a&quot;b&apos;c&lt;d&gt;&amp;">"#,
                r#"Tom &amp; Jerry &lt;b&gt;"hi"&lt;/b&gt; it's</Say>"#
            )
        );
        // An attempt to close the verb and hang up stays text.
        assert_eq!(
            one(Say::new("</Say><Hangup/><Say>")),
            "<Say>&lt;/Say&gt;&lt;Hangup/&gt;&lt;Say&gt;</Say>"
        );
        // Line breaks survive in attributes; characters XML cannot carry are left out.
        assert_eq!(
            one(Say::new("a\u{0}b\u{1b}c\u{FFFF}d\r\ne\tf").language("x\ny\tz\r")),
            "<Say language=\"x&#10;y&#9;z&#13;\">abcd&#13;\ne\tf</Say>"
        );
    }

    /// An element's name, attributes and text.
    type Element = (String, Vec<(String, String)>, String);

    /// Every element of the document, in document order, and the root's name.
    fn parse(xml: &str) -> (Vec<Element>, String) {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let root = doc.root_element();
        let elements = root
            .descendants()
            .filter(|n| n.is_element())
            .map(|n| {
                let attrs = n
                    .attributes()
                    .map(|a| (a.name().to_owned(), a.value().to_owned()))
                    .collect();
                let text = n
                    .children()
                    .filter(|c| c.is_text())
                    .map(|c| c.text().unwrap_or_default())
                    .collect::<String>();
                (n.tag_name().name().to_owned(), attrs, text)
            })
            .collect();
        (elements, root.tag_name().name().to_owned())
    }

    const HOSTILE: [&str; 12] = [
        r#"&<>"'"#,
        "</Say><Hangup/>",
        "<![CDATA[x]]>",
        "]]>",
        "<!-- comment -->",
        "&amp; already escaped &#x41; &lt;",
        "<?php echo 1; ?>",
        "您好！订单号：#12345，金额 ¥99.00 <满减>",
        "emoji 📞☎️ and \u{202E}rtl",
        "line one\nline two\r\nline three\ttabbed",
        "\"quoted\" and 'single' = x",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]>&e;",
    ];

    #[test]
    fn hostile_text_round_trips_through_an_xml_parser() {
        for text in HOSTILE {
            let mut stream = Stream::new("wss://h.example/m")
                .unwrap()
                .parameter(text, text);
            stream.name = Some(text.to_owned());
            let response = Response::new()
                .with(Say::new(text).voice(text).language(text))
                .with(
                    Gather {
                        action: Some(text.to_owned()),
                        finish_on_key: Some(text.to_owned()),
                        ..Gather::new(GatherInput::Both)
                    }
                    .prompt(Say::new(text)),
                )
                .with(Dial {
                    caller_id: Some(text.to_owned()),
                    ..Dial::new(DialTarget::Client(text.to_owned()))
                })
                .with(Enqueue {
                    wait_url: Some(text.to_owned()),
                    ..Enqueue::new(text)
                })
                .with(Redirect::new(text))
                .with(Play::new(text))
                .with(Connect::stream(stream));
            let xml = response.render();
            let (elements, root) = parse(&xml);
            assert_eq!(root, "Response");
            let names: Vec<&str> = elements.iter().map(|(n, _, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "Response",
                    "Say",
                    "Gather",
                    "Say",
                    "Dial",
                    "Client",
                    "Enqueue",
                    "Redirect",
                    "Play",
                    "Connect",
                    "Stream",
                    "Parameter"
                ],
                "{text:?}"
            );
            let find = |name: &str| elements.iter().find(|(n, _, _)| n == name).unwrap();
            let attr = |name: &str, key: &str| {
                find(name)
                    .1
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            // Text nodes: XML turns a raw CR LF into LF, which is why CR is written as &#13;.
            for name in ["Say", "Client", "Enqueue", "Redirect", "Play"] {
                assert_eq!(find(name).2, text, "{name} text for {text:?}");
            }
            assert_eq!(attr("Say", "voice"), text);
            assert_eq!(attr("Say", "language"), text);
            assert_eq!(attr("Gather", "action"), text);
            assert_eq!(attr("Gather", "finishOnKey"), text);
            assert_eq!(attr("Dial", "callerId"), text);
            assert_eq!(attr("Enqueue", "waitUrl"), text);
            assert_eq!(attr("Stream", "name"), text);
            assert_eq!(attr("Parameter", "name"), text);
            assert_eq!(attr("Parameter", "value"), text);
        }
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped_and_the_rest_parses() {
        let text = "ok\u{0}\u{7}\u{8}\u{b}\u{c}\u{1f}\u{fffe}\u{ffff}ok";
        let xml = Response::new().with(Say::new(text).voice(text)).render();
        let (elements, _) = parse(&xml);
        assert_eq!(elements[1].2, "okok");
        assert_eq!(elements[1].1, [("voice".to_owned(), "okok".to_owned())]);
    }

    #[test]
    fn every_verb_output_is_well_formed() {
        let response = Response::from(vec![
            Say::new("a").into(),
            Play::new("b").into(),
            Gather::default().into(),
            Dial::new(DialTarget::Number("+1".into())).into(),
            Enqueue::new("q").into(),
            Redirect::new("r").into(),
            Pause::default().into(),
            Verb::Hangup,
            Connect::stream(Stream::new("wss://h/m").unwrap()).into(),
            Reject::default().into(),
        ]);
        let (elements, _) = parse(&response.render());
        let names: Vec<&str> = elements.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Response", "Say", "Play", "Gather", "Dial", "Number", "Enqueue", "Redirect",
                "Pause", "Hangup", "Connect", "Stream", "Reject"
            ]
        );
        let mut pushed = Response::new();
        pushed.push(Verb::Hangup).push(Pause::seconds(1));
        assert_eq!(
            pushed.render(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/><Pause length="1"/></Response>"#
        );
    }
}
