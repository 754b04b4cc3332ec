//! Speech out: a flow's prompt text made into 8 kHz μ-law audio for the phone line, from
//! the voice the flow asks for or, when that fails, from a fallback voice.
//!
//! Prompts repeat (greetings, menus, "sorry, I didn't catch that"), so every result is kept
//! in a cache shared by all calls, bounded by bytes and emptied least-recently-used first.
//! When many calls ask for the same new prompt at once, it is synthesized once and all of
//! them get that one result.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::{OnceCell, Semaphore};

use super::{aura, espeak};

/// Who speaks a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtsProvider {
    /// Twilio's own `<Say>`: spoken by the carrier, so no audio can be made here.
    Twilio,
    /// Deepgram Aura voices.
    Aura,
    /// eSpeak NG, the local synthesizer.
    Espeak,
}

impl fmt::Display for TtsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TtsProvider::Twilio => "twilio",
            TtsProvider::Aura => "aura",
            TtsProvider::Espeak => "espeak",
        })
    }
}

/// A voice: who speaks, with which voice (the provider's default for the language when
/// `None`), in which language (BCP-47, e.g. `zh-CN`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoiceSpec {
    /// Who speaks.
    pub provider: TtsProvider,
    /// The provider's voice name (`aura-2-thalia-en`, `cmn`, `en-us+f3`), if the flow
    /// names one.
    pub voice: Option<String>,
    /// The language of the text.
    pub language: String,
}

impl VoiceSpec {
    /// A voice of `provider` for `language`, with the provider's default voice.
    pub fn new(provider: TtsProvider, language: impl Into<String>) -> Self {
        Self {
            provider,
            voice: None,
            language: language.into(),
        }
    }

    /// The same voice with a named provider voice.
    pub fn with_voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }
}

/// How to reach Deepgram Aura for a tenant.
#[derive(Debug, Clone)]
pub struct AuraConfig {
    /// Where Deepgram answers, e.g. `https://api.deepgram.com`.
    pub base_url: String,
    /// The Deepgram API key.
    pub api_key: String,
}

/// Why no audio could be made for a prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtsError {
    /// The provider speaks on its own side of the call (Twilio's `<Say>`); there is no
    /// audio to make here.
    #[error("{0} voices are spoken by the carrier and cannot be synthesized here")]
    Unsupported(TtsProvider),
    /// The provider needs credentials that were not given (Aura without a Deepgram key).
    #[error("Deepgram Aura is not configured (no Deepgram address and key)")]
    NotConfigured,
    /// The provider has no default voice for the language.
    #[error("{provider} has no voice for language {language:?}; name one")]
    NoVoice {
        /// The provider.
        provider: TtsProvider,
        /// The language asked for.
        language: String,
    },
    /// The provider failed; the message names the provider and says what went wrong.
    #[error("speech synthesis failed: {0}")]
    Failed(String),
    /// Both the voice asked for and the fallback voice failed.
    #[error("{primary}; the fallback voice failed too: {fallback}")]
    FallbackFailed {
        /// Why the voice asked for failed.
        primary: Box<TtsError>,
        /// Why the fallback voice failed.
        fallback: Box<TtsError>,
    },
}

/// A prompt made into phone-line audio.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// 8 kHz μ-law audio, shared with the cache.
    pub audio: Arc<[u8]>,
    /// The voice that actually spoke: the one asked for, or the fallback.
    pub voice: VoiceSpec,
    /// The audio came from the cache.
    pub cached: bool,
}

/// Counters of a [`Tts`], for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TtsStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Requests that found nothing in the cache.
    pub misses: u64,
    /// Syntheses actually run (requests to Aura, eSpeak NG processes), failed ones included.
    pub syntheses: u64,
    /// Prompts in the cache.
    pub entries: usize,
    /// Bytes the cache holds (audio and text).
    pub bytes: usize,
}

type Flight = Arc<OnceCell<Result<Arc<[u8]>, TtsError>>>;

/// Speech synthesis with a cache and fallback, shared (through an `Arc`) by every call.
pub struct Tts {
    espeak_program: PathBuf,
    /// eSpeak NG processes allowed at once.
    espeak_slots: Semaphore,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// Syntheses under way, by voice and text, so concurrent requests share one.
    in_flight: Mutex<HashMap<(VoiceSpec, String), Flight>>,
    /// The LRU clock: each cache use takes the next tick.
    clock: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    syntheses: AtomicU64,
}

struct Cache {
    capacity: usize,
    used: usize,
    /// Audio by voice, then text: looked up without building a key.
    voices: HashMap<VoiceSpec, HashMap<String, Entry>>,
}

struct Entry {
    audio: Arc<[u8]>,
    last_used: AtomicU64,
}

/// What one cache entry counts for: its audio and its text.
fn entry_size(text: &str, audio: &[u8]) -> usize {
    audio.len() + text.len()
}

impl Tts {
    /// espeak_program: path or name of espeak-ng; cache_bytes: bound of the cache (LRU by bytes).
    pub fn new(espeak_program: impl Into<std::path::PathBuf>, cache_bytes: usize) -> Tts {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Tts {
            espeak_program: espeak_program.into(),
            espeak_slots: Semaphore::new(parallel * 2),
            http,
            cache: RwLock::new(Cache {
                capacity: cache_bytes,
                used: 0,
                voices: HashMap::new(),
            }),
            in_flight: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            syntheses: AtomicU64::new(0),
        }
    }

    /// Synthesizes `text` with `primary`, else `fallback` (when given), each through the cache keyed by
    /// (provider, voice, language, text). Concurrent misses for the same key make one synthesis (single flight).
    ///
    /// `aura` is the tenant's Deepgram access, needed by Aura voices. A result of the
    /// fallback voice is cached under the fallback voice only, so the voice asked for is
    /// tried again next time.
    pub async fn synthesize(
        &self,
        text: &str,
        primary: &VoiceSpec,
        fallback: Option<&VoiceSpec>,
        aura: Option<&AuraConfig>,
    ) -> Result<Synthesized, TtsError> {
        let primary_error = match self.synthesize_with(text, primary, aura).await {
            Ok((audio, cached)) => {
                return Ok(Synthesized {
                    audio,
                    voice: primary.clone(),
                    cached,
                })
            }
            Err(err) => err,
        };
        let Some(fallback) = fallback else {
            return Err(primary_error);
        };
        match self.synthesize_with(text, fallback, aura).await {
            Ok((audio, cached)) => {
                if !matches!(primary_error, TtsError::Unsupported(_)) {
                    tracing::warn!(
                        error = %primary_error,
                        fallback = %fallback.provider,
                        "speech synthesis fell back to the fallback voice"
                    );
                }
                Ok(Synthesized {
                    audio,
                    voice: fallback.clone(),
                    cached,
                })
            }
            Err(fallback_error) => Err(TtsError::FallbackFailed {
                primary: Box::new(primary_error),
                fallback: Box::new(fallback_error),
            }),
        }
    }

    /// A cached result only, without synthesizing (for the hot path / benchmarks).
    pub fn cached(&self, text: &str, voice: &VoiceSpec) -> Option<std::sync::Arc<[u8]>> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.voices.get(voice)?.get(text)?;
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        Some(entry.audio.clone())
    }

    /// The cache's and synthesizers' counters.
    pub fn stats(&self) -> TtsStats {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        TtsStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            syntheses: self.syntheses.load(Ordering::Relaxed),
            entries: cache.voices.values().map(HashMap::len).sum(),
            bytes: cache.used,
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// One voice, through the cache and single flight: the audio and whether it was cached.
    async fn synthesize_with(
        &self,
        text: &str,
        voice: &VoiceSpec,
        aura: Option<&AuraConfig>,
    ) -> Result<(Arc<[u8]>, bool), TtsError> {
        match voice.provider {
            TtsProvider::Twilio => return Err(TtsError::Unsupported(TtsProvider::Twilio)),
            TtsProvider::Aura if aura.is_none() => return Err(TtsError::NotConfigured),
            _ => {}
        }
        if let Some(audio) = self.cached(text, voice) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((audio, true));
        }
        let key = (voice.clone(), text.to_string());
        let flight = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // A synthesis that just finished put its audio in the cache before leaving
            // `in_flight`, so checking again here (under the lock) never misses both.
            if let Some(audio) = self.cached(text, voice) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok((audio, true));
            }
            self.misses.fetch_add(1, Ordering::Relaxed);
            in_flight.entry(key.clone()).or_default().clone()
        };
        let result = flight
            .get_or_init(|| async {
                let result = self.run(text, voice, aura).await;
                if let Ok(audio) = &result {
                    self.insert(voice, text, audio.clone());
                }
                result
            })
            .await
            .clone();
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if in_flight
                .get(&key)
                .is_some_and(|current| Arc::ptr_eq(current, &flight))
            {
                in_flight.remove(&key);
            }
        }
        result.map(|audio| (audio, false))
    }

    /// Runs the provider.
    async fn run(
        &self,
        text: &str,
        voice: &VoiceSpec,
        aura: Option<&AuraConfig>,
    ) -> Result<Arc<[u8]>, TtsError> {
        let provider = voice.provider;
        let failed = |message: String| TtsError::Failed(format!("{provider}: {message}"));
        let audio = match provider {
            TtsProvider::Twilio => return Err(TtsError::Unsupported(provider)),
            TtsProvider::Aura => {
                let config = aura.ok_or(TtsError::NotConfigured)?;
                let name = match &voice.voice {
                    Some(name) => name.as_str(),
                    None => {
                        aura::default_voice(&voice.language).ok_or_else(|| TtsError::NoVoice {
                            provider,
                            language: voice.language.clone(),
                        })?
                    }
                };
                self.syntheses.fetch_add(1, Ordering::Relaxed);
                aura::synthesize(&self.http, &config.base_url, &config.api_key, name, text)
                    .await
                    .map_err(|err| failed(err.to_string()))?
            }
            TtsProvider::Espeak => {
                let name = voice
                    .voice
                    .clone()
                    .unwrap_or_else(|| espeak::default_voice(&voice.language));
                let _slot = self
                    .espeak_slots
                    .acquire()
                    .await
                    .map_err(|err| failed(err.to_string()))?;
                self.syntheses.fetch_add(1, Ordering::Relaxed);
                espeak::synthesize(&self.espeak_program, &name, text, espeak::DEFAULT_TIMEOUT)
                    .await
                    .map_err(|err| failed(err.to_string()))?
            }
        };
        if audio.is_empty() && !text.trim().is_empty() {
            return Err(failed("no audio for the text".to_string()));
        }
        Ok(Arc::from(audio))
    }

    /// Keeps `audio` in the cache, making room by dropping the least recently used prompts.
    fn insert(&self, voice: &VoiceSpec, text: &str, audio: Arc<[u8]>) {
        let size = entry_size(text, &audio);
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if size > cache.capacity {
            return;
        }
        let previous = cache
            .voices
            .get_mut(voice)
            .and_then(|texts| texts.remove(text));
        if let Some(previous) = previous {
            cache.used -= entry_size(text, &previous.audio);
        }
        if cache.used + size > cache.capacity {
            cache.evict(size);
        }
        let entry = Entry {
            audio,
            last_used: AtomicU64::new(self.tick()),
        };
        cache
            .voices
            .entry(voice.clone())
            .or_default()
            .insert(text.to_string(), entry);
        cache.used += size;
    }
}

impl Cache {
    /// Drops the least recently used entries until `incoming` more bytes fit.
    fn evict(&mut self, incoming: usize) {
        let mut by_age: Vec<(u64, &VoiceSpec, &str, usize)> = self
            .voices
            .iter()
            .flat_map(|(voice, texts)| {
                texts.iter().map(move |(text, entry)| {
                    (
                        entry.last_used.load(Ordering::Relaxed),
                        voice,
                        text.as_str(),
                        entry_size(text, &entry.audio),
                    )
                })
            })
            .collect();
        by_age.sort_unstable_by_key(|&(last_used, ..)| last_used);
        let mut used = self.used;
        let victims: Vec<(VoiceSpec, String)> = by_age
            .into_iter()
            .take_while(|&(_, _, _, size)| {
                let more = used + incoming > self.capacity;
                if more {
                    used -= size;
                }
                more
            })
            .map(|(_, voice, text, _)| (voice.clone(), text.to_string()))
            .collect();
        for (voice, text) in victims {
            if let Some(texts) = self.voices.get_mut(&voice) {
                if let Some(entry) = texts.remove(&text) {
                    self.used -= entry_size(&text, &entry.audio);
                }
                if texts.is_empty() {
                    self.voices.remove(&voice);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn espeak(language: &str) -> VoiceSpec {
        VoiceSpec::new(TtsProvider::Espeak, language)
    }

    #[test]
    fn the_cache_drops_the_least_recently_used_prompts() {
        let tts = Tts::new("espeak-ng", 300);
        let voice = espeak("en-US");
        for text in ["a", "b", "c"] {
            tts.insert(&voice, text, Arc::from(vec![0u8; 99]));
        }
        assert_eq!(tts.stats().bytes, 300);
        // Using "a" makes "b" the oldest.
        assert!(tts.cached("a", &voice).is_some());
        tts.insert(&voice, "d", Arc::from(vec![1u8; 99]));
        assert!(tts.cached("b", &voice).is_none());
        for text in ["a", "c", "d"] {
            assert!(tts.cached(text, &voice).is_some(), "{text}");
        }
        assert_eq!(tts.stats().entries, 3);
        assert_eq!(tts.stats().bytes, 300);
        // Replacing an entry frees its old size first.
        tts.insert(&voice, "d", Arc::from(vec![2u8; 49]));
        assert_eq!(tts.stats().bytes, 250);
        assert_eq!(&tts.cached("d", &voice).unwrap()[..], &[2u8; 49][..]);
        // Too big for the whole cache: not kept, nothing evicted.
        tts.insert(&voice, "huge", Arc::from(vec![0u8; 400]));
        assert!(tts.cached("huge", &voice).is_none());
        assert_eq!(tts.stats().entries, 3);
    }

    #[test]
    fn the_cache_key_is_the_whole_voice_and_the_text() {
        let tts = Tts::new("espeak-ng", 10_000);
        let voice = espeak("en-US");
        tts.insert(&voice, "hello", Arc::from(vec![1u8; 10]));
        assert!(tts.cached("hello", &voice).is_some());
        assert!(tts.cached("Hello", &voice).is_none());
        assert!(tts.cached("hello", &espeak("en-GB")).is_none());
        assert!(tts
            .cached("hello", &voice.clone().with_voice("en-us+f3"))
            .is_none());
        assert!(tts
            .cached("hello", &VoiceSpec::new(TtsProvider::Aura, "en-US"))
            .is_none());
    }

    #[tokio::test]
    async fn twilio_and_unconfigured_aura_fail_clearly_and_fall_back() {
        let tts = Tts::new("/nonexistent/espeak-ng", 10_000);
        let twilio = VoiceSpec::new(TtsProvider::Twilio, "en-US");
        let err = tts.synthesize("Hi", &twilio, None, None).await.unwrap_err();
        assert_eq!(err, TtsError::Unsupported(TtsProvider::Twilio));
        let aura = VoiceSpec::new(TtsProvider::Aura, "en-US");
        let err = tts.synthesize("Hi", &aura, None, None).await.unwrap_err();
        assert_eq!(err, TtsError::NotConfigured);
        // With a fallback that fails too, both reasons are reported.
        let err = tts
            .synthesize("Hi", &aura, Some(&espeak("en-US")), None)
            .await
            .unwrap_err();
        let TtsError::FallbackFailed { primary, fallback } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(**primary, TtsError::NotConfigured);
        assert!(
            matches!(&**fallback, TtsError::Failed(message) if message.starts_with("espeak: ") && message.contains("not installed")),
            "{fallback:?}"
        );
        assert_eq!(
            serde_json::to_string(&TtsProvider::Espeak).unwrap(),
            "\"espeak\""
        );
    }

    #[tokio::test]
    async fn aura_without_a_voice_for_the_language_says_so() {
        let tts = Tts::new("espeak-ng", 10_000);
        let config = AuraConfig {
            base_url: "http://127.0.0.1:9".into(),
            api_key: "k".into(),
        };
        let err = tts
            .synthesize(
                "您好",
                &VoiceSpec::new(TtsProvider::Aura, "zh-CN"),
                None,
                Some(&config),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err,
            TtsError::NoVoice {
                provider: TtsProvider::Aura,
                language: "zh-CN".into()
            }
        );
        assert_eq!(tts.stats().syntheses, 0);
    }
}
