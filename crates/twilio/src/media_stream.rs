//! Twilio Media Streams: the JSON text messages of the WebSocket that `<Connect><Stream>` opens,
//! both ways, as Twilio's "Media Streams — WebSocket Messages" documentation defines them.
//!
//! From Twilio ([`InboundMessage`]): `connected`, `start` (stream and call ids, tracks,
//! `customParameters` from the TwiML `<Parameter>`s, `mediaFormat`), `media` (base64 G.711
//! μ-law at 8 kHz, mono, usually 20 ms per message), `dtmf`, `mark` (a mark the server sent
//! has been played, or was cleared) and `stop`. To Twilio ([`OutboundMessage`]): `media`
//! (audio to play), `mark` (tell me when playback gets here) and `clear` (drop the audio not yet
//! played, for barge-in). Messages are tagged by `event`; field names are Twilio's
//! (`streamSid`, `sequenceNumber`, …). `sequenceNumber`, `chunk` and `timestamp` travel as
//! decimal strings and are numbers here. Fields this version does not know are ignored, and an
//! unknown `event` reads as [`InboundMessage::Unknown`].

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A message from Twilio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum InboundMessage {
    /// The socket is open; the first message.
    Connected {
        /// `Call`.
        protocol: String,
        /// The protocol's version, e.g. `1.0.0`.
        version: String,
    },
    /// The stream's metadata; the second message.
    #[serde(rename_all = "camelCase")]
    Start {
        /// The message's place in the stream, from 1 (`start`).
        #[serde(with = "decimal_string")]
        sequence_number: u64,
        /// The stream's metadata.
        start: Start,
        /// The stream's id (`MZ…`).
        stream_sid: String,
    },
    /// A chunk of the call's audio.
    #[serde(rename_all = "camelCase")]
    Media {
        /// The message's place in the stream, from 1 (`start`).
        #[serde(with = "decimal_string")]
        sequence_number: u64,
        /// The audio.
        media: Media,
        /// The stream's id (`MZ…`).
        stream_sid: String,
    },
    /// A key the caller pressed.
    #[serde(rename_all = "camelCase")]
    Dtmf {
        /// The stream's id (`MZ…`).
        stream_sid: String,
        /// The message's place in the stream, from 1 (`start`).
        #[serde(with = "decimal_string")]
        sequence_number: u64,
        /// The key.
        dtmf: Dtmf,
    },
    /// Playback reached a mark the server sent (or the mark was cleared).
    #[serde(rename_all = "camelCase")]
    Mark {
        /// The message's place in the stream, from 1 (`start`).
        #[serde(with = "decimal_string")]
        sequence_number: u64,
        /// The stream's id (`MZ…`).
        stream_sid: String,
        /// The mark.
        mark: Mark,
    },
    /// The stream has ended; the last message.
    #[serde(rename_all = "camelCase")]
    Stop {
        /// The message's place in the stream, from 1 (`start`).
        #[serde(with = "decimal_string")]
        sequence_number: u64,
        /// Whose stream ended.
        stop: Stop,
        /// The stream's id (`MZ…`).
        stream_sid: String,
    },
    /// An event this version does not know.
    #[serde(other)]
    Unknown,
}

impl InboundMessage {
    /// Parses one WebSocket text frame.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The stream's id (`MZ…`), on every message but `connected`.
    pub fn stream_sid(&self) -> Option<&str> {
        match self {
            InboundMessage::Start { stream_sid, .. }
            | InboundMessage::Media { stream_sid, .. }
            | InboundMessage::Dtmf { stream_sid, .. }
            | InboundMessage::Mark { stream_sid, .. }
            | InboundMessage::Stop { stream_sid, .. } => Some(stream_sid),
            InboundMessage::Connected { .. } | InboundMessage::Unknown => None,
        }
    }

    /// The message's place in the stream, on every message but `connected`.
    pub fn sequence_number(&self) -> Option<u64> {
        match self {
            InboundMessage::Start {
                sequence_number, ..
            }
            | InboundMessage::Media {
                sequence_number, ..
            }
            | InboundMessage::Dtmf {
                sequence_number, ..
            }
            | InboundMessage::Mark {
                sequence_number, ..
            }
            | InboundMessage::Stop {
                sequence_number, ..
            } => Some(*sequence_number),
            InboundMessage::Connected { .. } | InboundMessage::Unknown => None,
        }
    }
}

/// The `start` message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    /// The account's SID (`AC…`).
    pub account_sid: String,
    /// The stream's id (`MZ…`).
    pub stream_sid: String,
    /// The call's SID (`CA…`).
    pub call_sid: String,
    /// The tracks the stream carries.
    #[serde(default)]
    pub tracks: Vec<Track>,
    /// The audio's encoding.
    pub media_format: MediaFormat,
    /// The TwiML `<Parameter>`s of the `<Stream>`.
    #[serde(default)]
    pub custom_parameters: BTreeMap<String, String>,
}

/// A stream's audio encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    /// `audio/x-mulaw`.
    pub encoding: String,
    /// Samples a second.
    pub sample_rate: u32,
    /// 1: mono.
    pub channels: u16,
}

impl MediaFormat {
    /// The encoding of a Twilio media stream.
    pub const MULAW: &'static str = "audio/x-mulaw";

    /// The sample rate of a Twilio media stream (G.711's), in hertz.
    pub const SAMPLE_RATE: u32 = 8000;

    /// Whether this is G.711 μ-law, 8 kHz, mono: the only format Twilio streams today.
    pub fn is_mulaw_8k_mono(&self) -> bool {
        self.encoding.eq_ignore_ascii_case(Self::MULAW)
            && self.sample_rate == Self::SAMPLE_RATE
            && self.channels == 1
    }
}

/// Whose audio a media message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    /// The caller.
    Inbound,
    /// What Twilio plays to the caller.
    Outbound,
    /// A track this version does not know.
    #[serde(other)]
    Unknown,
}

/// The `media` message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Whose audio it is.
    pub track: Track,
    /// The chunk's number in its track, from 1.
    #[serde(with = "decimal_string")]
    pub chunk: u64,
    /// Milliseconds from the start of the stream.
    #[serde(with = "decimal_string")]
    pub timestamp: u64,
    /// Base64 of the raw μ-law bytes.
    pub payload: String,
}

impl Media {
    /// The chunk's μ-law bytes.
    pub fn decode_payload(&self) -> Result<Vec<u8>, PayloadError> {
        decode_payload(&self.payload)
    }
}

/// A media payload that is not Base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("media payload is not valid Base64: {0}")]
pub struct PayloadError(String);

fn decode_payload(payload: &str) -> Result<Vec<u8>, PayloadError> {
    base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|e| PayloadError(e.to_string()))
}

/// The `dtmf` message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    /// `inbound_track`.
    pub track: String,
    /// `0`–`9`, `*` or `#`.
    pub digit: String,
}

/// A mark's name, both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The name the server gave it.
    pub name: String,
}

/// The `stop` message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    /// The account's SID (`AC…`).
    pub account_sid: String,
    /// The call's SID (`CA…`).
    pub call_sid: String,
}

/// A message to Twilio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum OutboundMessage {
    /// Audio to play to the caller, queued after audio already sent.
    #[serde(rename_all = "camelCase")]
    Media {
        /// The stream's id (`MZ…`).
        stream_sid: String,
        /// The audio.
        media: OutboundMedia,
    },
    /// Ask Twilio to echo this mark when playback reaches it.
    #[serde(rename_all = "camelCase")]
    Mark {
        /// The stream's id (`MZ…`).
        stream_sid: String,
        /// The mark to echo.
        mark: Mark,
    },
    /// Drop all audio not yet played; pending marks are echoed at once.
    #[serde(rename_all = "camelCase")]
    Clear {
        /// The stream's id (`MZ…`).
        stream_sid: String,
    },
}

/// The body of an outbound `media` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMedia {
    /// Base64 of raw μ-law 8 kHz mono bytes, no file header.
    pub payload: String,
}

impl OutboundMessage {
    /// Audio for the caller: μ-law 8 kHz mono bytes.
    pub fn media(stream_sid: impl Into<String>, mulaw: &[u8]) -> Self {
        OutboundMessage::Media {
            stream_sid: stream_sid.into(),
            media: OutboundMedia {
                payload: base64::engine::general_purpose::STANDARD.encode(mulaw),
            },
        }
    }

    /// A mark named `name`, echoed when playback gets to it.
    pub fn mark(stream_sid: impl Into<String>, name: impl Into<String>) -> Self {
        OutboundMessage::Mark {
            stream_sid: stream_sid.into(),
            mark: Mark { name: name.into() },
        }
    }

    /// Drops the audio not yet played.
    pub fn clear(stream_sid: impl Into<String>) -> Self {
        OutboundMessage::Clear {
            stream_sid: stream_sid.into(),
        }
    }

    /// The WebSocket text frame.
    pub fn to_json(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Strings only: serialising cannot fail, but a failure would surface as fmt::Error.
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

/// Numbers Twilio sends as decimal strings (`"sequenceNumber":"42"`); a bare JSON number is
/// accepted too.
mod decimal_string {
    use std::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }

    struct DecimalVisitor;

    impl Visitor<'_> for DecimalVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-negative whole number as a decimal string")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<u64, E> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::invalid_value(de::Unexpected::Str(text), &self));
            }
            text.parse()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value).map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SID: &str = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

    /// μ-law bytes in 20 ms of audio: one byte per sample at 8 kHz.
    const FRAME_BYTES_20MS: usize = 160;

    fn docs() -> Value {
        serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/twilio-media-streams/docs_message_examples.json"
        )))
        .unwrap()
    }

    fn replay() -> Vec<&'static str> {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/twilio-media-streams/replay_testing-websocket_mulaw8k.jsonl"
        ))
        .lines()
        .collect()
    }

    fn inbound(value: &Value) -> InboundMessage {
        serde_json::from_value(value.clone()).unwrap()
    }

    #[test]
    fn parses_every_documented_message_from_twilio() {
        let docs = docs();
        let from = docs["from_twilio"].as_object().unwrap();
        assert_eq!(from.len(), 6);
        for (event, example) in from {
            let message = inbound(example);
            // Each example parses to its own event and serialises back to the same JSON.
            assert_eq!(serde_json::to_value(&message).unwrap(), *example, "{event}");
            let tag = serde_json::to_value(&message).unwrap()["event"].clone();
            assert_eq!(tag, *event.as_str());
        }

        assert_eq!(
            inbound(&from["connected"]),
            InboundMessage::Connected {
                protocol: "Call".into(),
                version: "1.0.0".into()
            }
        );

        let InboundMessage::Start {
            sequence_number,
            start,
            stream_sid,
        } = inbound(&from["start"])
        else {
            panic!("not a start message");
        };
        assert_eq!(sequence_number, 1);
        assert_eq!(stream_sid, SID);
        assert_eq!(start.stream_sid, SID);
        assert_eq!(start.account_sid, "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.call_sid, "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.tracks, [Track::Inbound]);
        assert!(start.media_format.is_mulaw_8k_mono());
        assert_eq!(
            start.custom_parameters,
            BTreeMap::from([
                ("FirstName".to_owned(), "Jane".to_owned()),
                ("LastName".to_owned(), "Doe".to_owned()),
                ("RemoteParty".to_owned(), "Bob".to_owned()),
            ])
        );

        let message = inbound(&from["media"]);
        assert_eq!(message.sequence_number(), Some(3));
        assert_eq!(message.stream_sid(), Some(SID));
        let InboundMessage::Media { media, .. } = message else {
            panic!("not a media message");
        };
        assert_eq!(media.track, Track::Outbound);
        assert_eq!(media.chunk, 1);
        assert_eq!(media.timestamp, 5);
        // The documentation cuts its payload short ("no+JhoaJjpz..."): not Base64.
        let err = media.decode_payload().unwrap_err();
        assert!(err.to_string().contains("Base64"), "{err}");

        assert_eq!(
            inbound(&from["dtmf"]),
            InboundMessage::Dtmf {
                stream_sid: SID.into(),
                sequence_number: 5,
                dtmf: Dtmf {
                    track: "inbound_track".into(),
                    digit: "1".into()
                }
            }
        );
        assert_eq!(
            inbound(&from["mark"]),
            InboundMessage::Mark {
                sequence_number: 4,
                stream_sid: SID.into(),
                mark: Mark {
                    name: "my label".into()
                }
            }
        );
        assert_eq!(
            inbound(&from["stop"]),
            InboundMessage::Stop {
                sequence_number: 5,
                stop: Stop {
                    account_sid: "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".into(),
                    call_sid: "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".into()
                },
                stream_sid: SID.into()
            }
        );
        assert_eq!(inbound(&from["connected"]).stream_sid(), None);
        assert_eq!(inbound(&from["connected"]).sequence_number(), None);
    }

    #[test]
    fn serialises_messages_to_twilio_exactly() {
        assert_eq!(
            OutboundMessage::Media {
                stream_sid: SID.into(),
                media: OutboundMedia {
                    payload: "a3242sa...".into()
                }
            }
            .to_json(),
            r#"{"event":"media","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","media":{"payload":"a3242sa..."}}"#
        );
        assert_eq!(
            OutboundMessage::mark(SID, "my label").to_json(),
            r#"{"event":"mark","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","mark":{"name":"my label"}}"#
        );
        assert_eq!(
            OutboundMessage::clear(SID).to_json(),
            r#"{"event":"clear","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#
        );
        // And each matches the documentation's example, field for field.
        let docs = docs();
        let to = docs["to_twilio"].as_object().unwrap();
        assert_eq!(to.len(), 3);
        for (event, example) in to {
            let message: OutboundMessage = serde_json::from_value(example.clone()).unwrap();
            let json: Value = serde_json::from_str(&message.to_json()).unwrap();
            assert_eq!(json, *example, "{event}");
        }
    }

    #[test]
    fn outbound_media_carries_mulaw_as_base64() {
        // The μ-law codes of the samples 0, 1000, -1000, 32767 and -32768.
        let audio = [0xFF, 0xCE, 0x4E, 0x80, 0x00];
        let message = OutboundMessage::media("MZ1", &audio);
        assert_eq!(
            message.to_json(),
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"/85OgAA="}}"#
        );
        let OutboundMessage::Media { media, .. } = &message else {
            panic!("not media");
        };
        assert_eq!(decode_payload(&media.payload).unwrap(), audio);
        assert_eq!(
            OutboundMessage::mark("MZ1", "提示音 \"1\"").to_json(),
            r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"提示音 \"1\""}}"#
        );
    }

    #[test]
    fn replays_a_whole_call() {
        let lines = replay();
        assert_eq!(lines.len(), 237);
        let messages: Vec<InboundMessage> = lines
            .iter()
            .map(|line| InboundMessage::parse(line).unwrap())
            .collect();
        // Every line serialises back to the same JSON.
        for (line, message) in lines.iter().zip(&messages) {
            let original: Value = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_value(message).unwrap(), original);
        }

        assert!(matches!(messages[0], InboundMessage::Connected { .. }));
        let InboundMessage::Start { start, .. } = &messages[1] else {
            panic!("second message is not start");
        };
        assert!(start.media_format.is_mulaw_8k_mono());
        assert_eq!(start.tracks, [Track::Inbound]);
        assert!(start.custom_parameters.is_empty());
        assert!(matches!(messages[236], InboundMessage::Stop { .. }));

        // Sequence numbers count up by one from the start message; one stream throughout.
        let numbered: Vec<u64> = messages
            .iter()
            .filter_map(|m| m.sequence_number())
            .collect();
        assert_eq!(numbered, (1..=236).collect::<Vec<u64>>());
        assert!(messages[1..]
            .iter()
            .all(|m| m.stream_sid() == Some(start.stream_sid.as_str())));

        let media: Vec<&Media> = messages
            .iter()
            .filter_map(|m| match m {
                InboundMessage::Media { media, .. } => Some(media),
                _ => None,
            })
            .collect();
        assert_eq!(media.len(), 234);
        let mut total_bytes = 0;
        for (i, chunk) in media.iter().enumerate() {
            assert_eq!(chunk.track, Track::Inbound);
            assert_eq!(chunk.chunk, i as u64 + 1);
            assert_eq!(chunk.timestamp, 20 * i as u64);
            let bytes = chunk.decode_payload().unwrap();
            // 20 ms of 8 kHz μ-law: 160 bytes, one per sample.
            assert_eq!(bytes.len(), FRAME_BYTES_20MS);
            total_bytes += bytes.len();
        }
        // The audio's length matches the timestamps: the last chunk starts 20 ms before the end.
        let audio_ms = total_bytes as u64 * 1000 / u64::from(MediaFormat::SAMPLE_RATE);
        assert_eq!(audio_ms, 4680);
        assert_eq!(media[233].timestamp + 20, audio_ms);
    }

    #[test]
    fn accepts_numbers_as_numbers_and_ignores_new_fields() {
        let message = InboundMessage::parse(
            r#"{"event":"mark","sequenceNumber":7,"streamSid":"MZ1","mark":{"name":"a"},"extra":true}"#,
        )
        .unwrap();
        assert_eq!(message.sequence_number(), Some(7));
        let message = InboundMessage::parse(
            r#"{"event":"media","sequenceNumber":"9","streamSid":"MZ1",
                "media":{"track":"both","chunk":"3","timestamp":"40","payload":""}}"#,
        )
        .unwrap();
        let InboundMessage::Media { media, .. } = message else {
            panic!("not media");
        };
        assert_eq!(media.track, Track::Unknown);
        assert_eq!(media.decode_payload().unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn unknown_events_are_kept_apart() {
        assert_eq!(
            InboundMessage::parse(r#"{"event":"transcription","streamSid":"MZ1"}"#).unwrap(),
            InboundMessage::Unknown
        );
    }

    #[test]
    fn rejects_malformed_messages() {
        for text in [
            "",
            "not json",
            r#"{"streamSid":"MZ1"}"#,
            r#"{"event":"mark","sequenceNumber":"x1","streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"mark","sequenceNumber":"-1","streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"mark","sequenceNumber":-1,"streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"mark","sequenceNumber":"","streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"mark","sequenceNumber":"99999999999999999999999","streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"mark","sequenceNumber":"1","streamSid":"MZ1"}"#,
            r#"{"event":"media","sequenceNumber":"1","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","payload":"//8="}}"#,
            r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"streamSid":"MZ1"}}"#,
            r#"{"event":"stop","sequenceNumber":"1","streamSid":"MZ1","stop":{}}"#,
        ] {
            assert!(InboundMessage::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn media_format_check_is_strict() {
        let format = |encoding: &str, rate, channels| MediaFormat {
            encoding: encoding.into(),
            sample_rate: rate,
            channels,
        };
        assert!(format("audio/x-mulaw", 8000, 1).is_mulaw_8k_mono());
        assert!(format("AUDIO/X-MULAW", 8000, 1).is_mulaw_8k_mono());
        assert!(!format("audio/x-mulaw", 16000, 1).is_mulaw_8k_mono());
        assert!(!format("audio/x-mulaw", 8000, 2).is_mulaw_8k_mono());
        assert!(!format("audio/x-alaw", 8000, 1).is_mulaw_8k_mono());
    }
}
