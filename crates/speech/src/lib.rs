//! Speech in and out of phone calls: audio formats (G.711 μ-law at 8 kHz, and downsampling to
//! it), and the recognition and synthesis providers built on them. Nothing here knows about
//! tenants, flows or storage: callers pass in addresses, keys and voices.
//!
//! - [`mulaw`]: the phone line's codec, and bringing synthesized audio down to 8 kHz.
//! - [`deepgram`]: live recognition of the caller (Deepgram streaming).
//! - [`tts`]: prompts made into phone-line audio, cached, with a fallback voice; the
//!   synthesizers behind it are [`aura`] (Deepgram Aura) and [`espeak`] (eSpeak NG, local).
//! - [`key_check`]: whether a Deepgram key works.
//! - [`wav`]: audio as a WAV file that browsers play.

#![warn(missing_docs)]

pub mod aura;
pub mod deepgram;
pub mod espeak;
pub mod key_check;
pub mod mulaw;
pub mod tts;
pub mod wav;
