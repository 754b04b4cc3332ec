//! Speech in and out against a local Deepgram and the real eSpeak NG: live recognition of a
//! recorded call through the `deepgram` crate, its failure modes, Aura speech, and the speech
//! cache with its single flight and fallback.
//!
//! The eSpeak NG tests need the `espeak-ng` program; without it they print a notice and pass,
//! except under `CI=true`, where its absence fails them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use base64::Engine;
use callflow_tests::fakes::deepgram::FakeDeepgram;
use speech::deepgram::{connect, AsrError, AsrEvent, DeepgramConfig, LiveReceiver};
use speech::mulaw;
use speech::tts::{AuraConfig, Tts, TtsError, TtsProvider, VoiceSpec};
use speech::{aura, espeak};

const TESTING: &str = "Testing. 123. Testing. 123.";

/// The 20 ms μ-law frames of a recorded call ("Testing. 123. Testing. 123.", 4.68 s).
fn recorded_call() -> Vec<Bytes> {
    let path = callflow_tests::root().join(
        "crates/twilio/tests/fixtures/twilio-media-streams/replay_testing-websocket_mulaw8k.jsonl",
    );
    let replay = std::fs::read_to_string(&path).expect("the recorded media stream");
    replay
        .lines()
        .filter_map(|line| {
            let message: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            let payload = message["media"]["payload"].as_str()?;
            let audio = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64 audio");
            Some(Bytes::from(audio))
        })
        .collect()
}

/// `ms` of digital silence in 20 ms frames, alternating positive and negative zero.
fn silence(ms: usize) -> Vec<Bytes> {
    (0..ms / 20)
        .map(|i| Bytes::from(vec![if i % 2 == 0 { 0xFF } else { 0x7F }; 160]))
        .collect()
}

fn config(fake: &FakeDeepgram, language: &str) -> DeepgramConfig {
    DeepgramConfig::new(fake.base_url(), fake.api_key(), language)
}

/// Events until the stream ends (`None`), with a time limit.
async fn drain(receiver: &mut LiveReceiver) -> Vec<AsrEvent> {
    let mut events = Vec::new();
    let collect = async {
        while let Some(event) = receiver.next().await {
            events.push(event);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("the stream to end in time");
    events
}

fn finals(events: &[AsrEvent]) -> Vec<(String, bool, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            AsrEvent::Transcript {
                text,
                is_final: true,
                speech_final,
                from_finalize,
                ..
            } => Some((text.clone(), *speech_final, *from_finalize)),
            _ => None,
        })
        .collect()
}

fn position(events: &[AsrEvent], wanted: impl Fn(&AsrEvent) -> bool) -> usize {
    events
        .iter()
        .position(wanted)
        .unwrap_or_else(|| panic!("no such event in {events:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recognises_a_recorded_call() {
    let fake = FakeDeepgram::start().await;
    fake.script([TESTING]);
    let (mut sender, mut receiver) = connect(&config(&fake, "en-US")).await.expect("connect");
    let frames = recorded_call();
    assert_eq!(frames.len(), 234);
    let sent: usize = frames.iter().chain(&silence(1200)).map(Bytes::len).sum();
    for frame in frames.into_iter().chain(silence(1200)) {
        sender.send_audio(frame).await.expect("send audio");
    }
    sender.close_stream().await.expect("close");
    let events = drain(&mut receiver).await;

    let started = position(&events, |e| *e == AsrEvent::SpeechStarted);
    let interim = position(
        &events,
        |e| matches!(e, AsrEvent::Transcript { is_final: false, text, .. } if TESTING.starts_with(text.as_str()) && !text.is_empty()),
    );
    let last = position(&events, |e| {
        matches!(e, AsrEvent::Transcript { is_final: true, .. })
    });
    let utterance_end = position(&events, |e| *e == AsrEvent::UtteranceEnd);
    assert!(
        started < interim && interim < last && last < utterance_end,
        "{events:#?}"
    );
    assert_eq!(
        finals(&events),
        [(TESTING.to_string(), true, false)],
        "one phrase, ended by the pause after it"
    );
    let AsrEvent::Transcript { confidence, .. } = &events[last] else {
        unreachable!()
    };
    assert!(*confidence > 0.5);
    assert_eq!(events.last(), Some(&AsrEvent::Closed));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == AsrEvent::SpeechStarted)
            .count(),
        1
    );
    assert_eq!(receiver.next().await, None);

    let stats = fake.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.audio_bytes, sent as u64);
    assert_eq!(stats.close_streams, 1);
    assert_eq!(stats.finals, 1);
    assert_eq!(stats.open_connections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_gives_no_transcript() {
    let fake = FakeDeepgram::start().await;
    fake.set_default_transcript(Some("should never be heard".into()));
    let (mut sender, mut receiver) = connect(&config(&fake, "en-US")).await.expect("connect");
    for frame in silence(3000) {
        sender.send_audio(frame).await.expect("send audio");
    }
    // Line noise well below speech: the recording's opening 0.7 s.
    for frame in recorded_call().into_iter().take(35) {
        sender.send_audio(frame).await.expect("send audio");
    }
    sender.close_stream().await.expect("close");
    assert_eq!(drain(&mut receiver).await, [AsrEvent::Closed]);
    assert_eq!(fake.stats().audio_bytes, 150 * 160 + 35 * 160);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalize_flushes_the_phrase_in_progress() {
    let fake = FakeDeepgram::start().await;
    fake.script(["I want to check my order"]);
    let (mut sender, mut receiver) = connect(&config(&fake, "en-US")).await.expect("connect");
    // Up to the middle of the first word: speech under way, not yet ended by a pause.
    for frame in recorded_call().into_iter().take(50) {
        sender.send_audio(frame).await.expect("send audio");
    }
    sender.finalize().await.expect("finalize");
    let flushed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match receiver.next().await {
                Some(AsrEvent::Transcript {
                    text,
                    is_final: true,
                    from_finalize,
                    speech_final,
                    ..
                }) => break (text, from_finalize, speech_final),
                Some(_) => continue,
                None => panic!("the stream ended before the flushed transcript"),
            }
        }
    })
    .await
    .expect("the flushed transcript");
    assert_eq!(
        flushed,
        ("I want to check my order".to_string(), true, false)
    );
    sender.close_stream().await.expect("close");
    let rest = drain(&mut receiver).await;
    assert_eq!(rest.last(), Some(&AsrEvent::Closed));
    assert!(finals(&rest).is_empty(), "flushed twice: {rest:#?}");
    assert_eq!(fake.stats().finalizes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_asks_for_telephone_audio_and_live_features() {
    let fake = FakeDeepgram::start().await;
    let mut english = config(&fake, "en-US");
    english.keywords = vec!["order number".into(), " ".into()];
    let (mut sender, mut receiver) = connect(&english).await.expect("connect en");
    sender.close_stream().await.expect("close");
    assert_eq!(drain(&mut receiver).await, [AsrEvent::Closed]);

    let mut chinese = config(&fake, "zh-CN");
    chinese.keywords = vec!["退货".into()];
    chinese.endpointing_ms = 500;
    let (sender, mut receiver) = connect(&chinese).await.expect("connect zh");
    // Dropping the sending half closes the stream too.
    drop(sender);
    assert_eq!(drain(&mut receiver).await, [AsrEvent::Closed]);
    assert_eq!(fake.stats().close_streams, 2);

    let queries = fake.stats().queries;
    assert_eq!(queries.len(), 2);
    let params = |query: &str| -> Vec<String> { query.split('&').map(str::to_owned).collect() };
    let en = params(&queries[0]);
    for wanted in [
        "encoding=mulaw",
        "sample_rate=8000",
        "channels=1",
        "interim_results=true",
        "endpointing=300",
        "utterance_end_ms=1000",
        "vad_events=true",
        "smart_format=true",
        "model=nova-3",
        "language=en-US",
        "keyterm=order+number",
    ] {
        assert!(
            en.iter().any(|p| p == wanted),
            "{wanted} missing from {en:?}"
        );
    }
    assert_eq!(
        en.iter().filter(|p| p.starts_with("keyterm=")).count(),
        1,
        "blank hints are left out: {en:?}"
    );
    let zh = params(&queries[1]);
    for wanted in [
        "model=nova-2",
        "language=zh-CN",
        "endpointing=500",
        "keywords=%E9%80%80%E8%B4%A7",
        "encoding=mulaw",
    ] {
        assert!(
            zh.iter().any(|p| p == wanted),
            "{wanted} missing from {zh:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_fail_clearly() {
    let fake = FakeDeepgram::start().await;
    let wrong = DeepgramConfig::new(fake.base_url(), "not-the-key", "en-US");
    let err = connect(&wrong).await.err().expect("a wrong key must fail");
    assert!(
        matches!(err, AsrError::Unauthorized { status: 401 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("API key"), "{err}");

    fake.refuse_connections(true);
    let err = connect(&config(&fake, "en-US"))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&err, AsrError::Refused { status: 503, body } if body.contains("unavailable")),
        "{err:?}"
    );
    fake.refuse_connections(false);
    assert!(connect(&config(&fake, "en-US")).await.is_ok());
    let stats = fake.stats();
    assert_eq!((stats.rejected, stats.connections), (2, 1));

    // Nothing listening at all.
    let address = fake.base_url();
    drop(fake);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = connect(&DeepgramConfig::new(address.clone(), "k", "en-US"))
        .await
        .err()
        .expect("nothing listens");
    assert!(matches!(err, AsrError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&address), "{err}");

    let err = connect(&DeepgramConfig::new("not a url", "k", "en-US"))
        .await
        .err()
        .expect("bad address");
    assert!(matches!(err, AsrError::InvalidUrl(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_reported_as_failed() {
    let fake = FakeDeepgram::start().await;
    fake.drop_after_audio_ms(Some(500));
    let (mut sender, mut receiver) = connect(&config(&fake, "en-US")).await.expect("connect");
    let feeding = tokio::spawn(async move {
        let mut refused = false;
        for frame in recorded_call() {
            if sender.send_audio(frame).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        (sender, refused)
    });
    let events = drain(&mut receiver).await;
    let Some(AsrEvent::Failed(reason)) = events.last() else {
        panic!("expected a failure, got {events:#?}");
    };
    assert!(!reason.is_empty());
    assert!(!events.contains(&AsrEvent::Closed));
    let (mut sender, refused) = feeding.await.expect("feeding task");
    // Once the stream is gone, sending fails instead of queueing audio forever.
    assert!(
        refused
            || sender
                .send_audio(Bytes::from_static(&[0xFF; 160]))
                .await
                .is_err()
    );
    sender
        .close_stream()
        .await
        .expect("closing a failed stream is harmless");
    assert_eq!(fake.stats().audio_bytes, 500 * 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_goes_out_while_audio_pauses() {
    let fake = FakeDeepgram::start().await;
    fake.script(["hello"]);
    let (mut sender, mut receiver) = connect(&config(&fake, "en-US")).await.expect("connect");
    for frame in silence(200) {
        sender.send_audio(frame).await.expect("send audio");
    }
    // Nothing while the pause is short; a KeepAlive once nothing was sent for 3 s.
    let paused = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fake.stats().keep_alives, 0);
    while fake.stats().keep_alives == 0 {
        assert!(
            paused.elapsed() < Duration::from_secs(8),
            "no KeepAlive during a long pause"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(paused.elapsed() >= Duration::from_millis(2900));
    // The stream still works.
    for frame in recorded_call().into_iter().chain(silence(400)) {
        sender.send_audio(frame).await.expect("send audio");
    }
    sender.close_stream().await.expect("close");
    let events = drain(&mut receiver).await;
    assert_eq!(finals(&events), [("hello".to_string(), true, false)]);
    assert_eq!(events.last(), Some(&AsrEvent::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_streams_each_get_their_own_transcript() {
    const STREAMS: usize = 100;
    let fake = FakeDeepgram::start().await;
    fake.script((0..STREAMS).map(|i| format!("caller {i}")));
    let frames: Arc<Vec<Bytes>> =
        Arc::new(recorded_call().into_iter().chain(silence(400)).collect());
    let mut calls = Vec::new();
    for _ in 0..STREAMS {
        let config = config(&fake, "en-US");
        let frames = frames.clone();
        calls.push(tokio::spawn(async move {
            let (mut sender, mut receiver) = connect(&config).await.expect("connect");
            for frame in frames.iter() {
                sender.send_audio(frame.clone()).await.expect("send audio");
            }
            sender.close_stream().await.expect("close");
            finals(&drain(&mut receiver).await)
        }));
    }
    let mut heard = Vec::new();
    for call in calls {
        let finals = call.await.expect("call task");
        assert_eq!(finals.len(), 1, "{finals:?}");
        heard.push(finals[0].0.clone());
    }
    heard.sort();
    let mut expected: Vec<String> = (0..STREAMS).map(|i| format!("caller {i}")).collect();
    expected.sort();
    assert_eq!(heard, expected, "every scripted phrase heard exactly once");
    assert_eq!(fake.stats().connections, STREAMS as u64);
}

fn aura_config(fake: &FakeDeepgram) -> AuraConfig {
    AuraConfig {
        base_url: fake.base_url(),
        api_key: fake.api_key().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aura_speaks_through_deepgram() {
    let fake = FakeDeepgram::start().await;
    let http = reqwest::Client::new();
    let audio = aura::synthesize(
        &http,
        &fake.base_url(),
        fake.api_key(),
        aura::DEFAULT_VOICE,
        "Hello there",
    )
    .await
    .expect("aura");
    // 60 ms of tone per character at 8 kHz.
    assert_eq!(audio.len(), 11 * 480);
    assert!(rms(&mulaw::decode_slice(&audio)) > 1000.0);
    let stats = fake.stats();
    assert_eq!(stats.speak_texts, ["Hello there"]);
    let query = &stats.speak_queries[0];
    for wanted in [
        "model=aura-2-thalia-en",
        "encoding=mulaw",
        "sample_rate=8000",
        "container=none",
    ] {
        assert!(
            query.split('&').any(|p| p == wanted),
            "{wanted} missing from {query}"
        );
    }

    let err = aura::synthesize(&http, &fake.base_url(), "wrong", "aura-2-thalia-en", "Hi")
        .await
        .unwrap_err();
    assert_eq!(err, aura::AuraError::Unauthorized(401));
    fake.fail_speak(true);
    let err = aura::synthesize(
        &http,
        &fake.base_url(),
        fake.api_key(),
        "aura-2-thalia-en",
        "Hi",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, aura::AuraError::Http { status: 500, body } if body.contains("failed")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_speech_cache_answers_a_repeated_prompt() {
    let fake = FakeDeepgram::start().await;
    let tts = Tts::new("espeak-ng", 1 << 20);
    let voice = VoiceSpec::new(TtsProvider::Aura, "en-US").with_voice("aura-2-orion-en");
    let aura = aura_config(&fake);
    assert!(tts.cached("Welcome", &voice).is_none());
    let first = tts
        .synthesize("Welcome", &voice, None, Some(&aura))
        .await
        .expect("first");
    assert!(!first.cached);
    assert_eq!(first.voice, voice);
    assert_eq!(first.audio.len(), 7 * 480);
    let second = tts
        .synthesize("Welcome", &voice, None, Some(&aura))
        .await
        .expect("second");
    assert!(second.cached);
    assert!(Arc::ptr_eq(&first.audio, &second.audio));
    let hot = tts.cached("Welcome", &voice).expect("cached");
    assert!(Arc::ptr_eq(&first.audio, &hot));
    // Another voice or text is another prompt.
    let other = VoiceSpec::new(TtsProvider::Aura, "en-US");
    assert!(
        !tts.synthesize("Welcome", &other, None, Some(&aura))
            .await
            .expect("other voice")
            .cached
    );
    assert!(
        !tts.synthesize("Welcome!", &voice, None, Some(&aura))
            .await
            .expect("other text")
            .cached
    );
    let stats = fake.stats();
    assert_eq!(stats.speak_texts, ["Welcome", "Welcome", "Welcome!"]);
    assert!(stats.speak_queries[0].contains("model=aura-2-orion-en"));
    assert!(stats.speak_queries[1].contains("model=aura-2-thalia-en"));
    let tts_stats = tts.stats();
    assert_eq!(
        (tts_stats.syntheses, tts_stats.hits, tts_stats.entries),
        (3, 1, 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_a_new_prompt_make_one_synthesis() {
    let fake = FakeDeepgram::start().await;
    fake.set_speak_delay(Duration::from_millis(300));
    let tts = Arc::new(Tts::new("espeak-ng", 1 << 20));
    let voice = VoiceSpec::new(TtsProvider::Aura, "en-US");
    let aura = aura_config(&fake);
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let (tts, voice, aura) = (tts.clone(), voice.clone(), aura.clone());
            tokio::spawn(async move {
                tts.synthesize("Please hold", &voice, None, Some(&aura))
                    .await
                    .expect("synthesize")
            })
        })
        .collect();
    let mut results = Vec::new();
    for request in requests {
        results.push(request.await.expect("task"));
    }
    assert_eq!(fake.stats().speak_texts, ["Please hold"]);
    assert_eq!(tts.stats().syntheses, 1);
    for result in &results {
        assert!(Arc::ptr_eq(&result.audio, &results[0].audio));
    }
    // A failure is shared by the waiting requests but not remembered.
    fake.fail_speak(true);
    let failing: Vec<_> = (0..5)
        .map(|_| {
            let (tts, voice, aura) = (tts.clone(), voice.clone(), aura.clone());
            tokio::spawn(async move { tts.synthesize("Goodbye", &voice, None, Some(&aura)).await })
        })
        .collect();
    for request in failing {
        let err = request.await.expect("task").unwrap_err();
        assert!(
            matches!(&err, TtsError::Failed(message) if message.starts_with("aura: ") && message.contains("HTTP 500")),
            "{err:?}"
        );
    }
    assert_eq!(fake.stats().speak_texts.len(), 2);
    fake.fail_speak(false);
    let retried = tts
        .synthesize("Goodbye", &voice, None, Some(&aura))
        .await
        .expect("retry");
    assert!(!retried.cached);
    assert_eq!(fake.stats().speak_texts.len(), 3);
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aura_failing_falls_back_to_espeak() {
    if !callflow_tests::espeak_available() {
        return;
    }
    let fake = FakeDeepgram::start().await;
    fake.fail_speak(true);
    let tts = Tts::new("espeak-ng", 1 << 20);
    let aura = VoiceSpec::new(TtsProvider::Aura, "en-US");
    let local = VoiceSpec::new(TtsProvider::Espeak, "en-US");
    let spoken = tts
        .synthesize(
            "Thank you for calling",
            &aura,
            Some(&local),
            Some(&aura_config(&fake)),
        )
        .await
        .expect("the fallback speaks");
    assert_eq!(spoken.voice, local);
    assert!(!spoken.cached);
    assert!(rms(&mulaw::decode_slice(&spoken.audio)) > 300.0);
    assert_eq!(fake.stats().speak_texts, ["Thank you for calling"]);
    // The fallback's audio is cached under the fallback voice only.
    assert!(tts.cached("Thank you for calling", &local).is_some());
    assert!(tts.cached("Thank you for calling", &aura).is_none());
    // Twilio voices cannot be synthesized: the fallback speaks without complaint.
    let twilio = VoiceSpec::new(TtsProvider::Twilio, "en-US");
    let spoken = tts
        .synthesize("Thank you for calling", &twilio, Some(&local), None)
        .await
        .expect("the fallback speaks");
    assert!(spoken.cached);
    assert_eq!(spoken.voice, local);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn espeak_speaks_chinese_and_english() {
    if !callflow_tests::espeak_available() {
        return;
    }
    let tts = Tts::new("espeak-ng", 1 << 20);
    for (text, language, min_s, max_s) in [
        ("您好，欢迎致电演示商城", "zh-CN", 1.0, 8.0),
        ("Hello", "en-US", 0.2, 2.0),
    ] {
        let voice = VoiceSpec::new(TtsProvider::Espeak, language);
        let spoken = tts
            .synthesize(text, &voice, None, None)
            .await
            .unwrap_or_else(|err| panic!("{text}: {err}"));
        let seconds = spoken.audio.len() as f64 / 8000.0;
        assert!(
            (min_s..max_s).contains(&seconds),
            "{text}: {seconds:.2} s of audio"
        );
        let samples = mulaw::decode_slice(&spoken.audio);
        let level = rms(&samples);
        assert!(level > 500.0, "{text}: RMS {level:.0}, nearly silent");
        // Speech, not a constant tone: loud and quiet stretches alternate.
        let blocks: Vec<f64> = samples.chunks(160).map(rms).collect();
        let loud = blocks.iter().filter(|&&r| r > 500.0).count();
        assert!(
            loud >= 5 && loud < blocks.len(),
            "{text}: {loud} of {} blocks loud",
            blocks.len()
        );
    }
}

#[tokio::test]
async fn espeak_reports_an_unknown_voice() {
    if !callflow_tests::espeak_available() {
        return;
    }
    // (eSpeak NG itself maps a name that starts with a known language, like "no-such", to
    // that language's voice.)
    let result = espeak::synthesize(
        std::path::Path::new("espeak-ng"),
        "nosuchvoice",
        "Hello",
        espeak::DEFAULT_TIMEOUT,
    )
    .await;
    let Err(err) = result else {
        panic!("an unknown voice must fail");
    };
    assert!(
        matches!(&err, espeak::EspeakError::UnknownVoice { voice, message } if voice == "nosuchvoice" && message.contains("does not exist")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("no voice \"nosuchvoice\""),
        "{err}"
    );
    // Through the speech service, the voice is part of the reported failure.
    let tts = Tts::new("espeak-ng", 1 << 20);
    let voice = VoiceSpec::new(TtsProvider::Espeak, "en-US").with_voice("nosuchvoice");
    let Err(err) = tts.synthesize("Hello", &voice, None, None).await else {
        panic!("an unknown voice must fail");
    };
    assert!(
        matches!(&err, TtsError::Failed(message) if message.starts_with("espeak: ") && message.contains("nosuchvoice")),
        "{err:?}"
    );
}
