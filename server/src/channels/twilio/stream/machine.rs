//! The call on a media stream as a state machine without I/O: what the caller did (audio
//! recognised, keys, marks echoed, time passing) goes in through `handle_*`; what to do about it
//! (run a turn of the flow, say a prompt, clear the playback, save the call…) comes out of
//! [`Machine::poll_output`], and the next moment something is due of [`Machine::poll_timeout`].
//!
//! The task in `mod.rs` carries out each output in order and answers those that have a result
//! (a turn's plan, a prompt's audio, a failed save) before it polls the next one.
//!
//! - every prompt is followed by a mark; Twilio echoes it when the caller has heard the prompt,
//!   which starts the no-input timer;
//! - barge-in: when the caller speaks (a recognised word that is not a backchannel such as "嗯"
//!   or "mhm") over a prompt that allows it, or presses a key, the playback is cleared; Twilio
//!   drops the audio not yet played and echoes the pending marks;
//! - key presses collect until the listen's `finish_on_key`, `max_digits` or a pause;
//! - a transfer or the end of the flow waits for the last prompt to be heard, then the stream
//!   closes: Twilio asks the `<Connect>`'s action what to do next (`voice.rs` answers with the
//!   plan left pending here);
//! - recognition failing (at the start or mid-call) takes the tenant's fallback: Twilio's own
//!   recognition (back to webhook mode), keypad only (the caller is told so, once, when the flow
//!   next listens for speech), or a transfer; a synthesis failure hands the rest of the turn to
//!   Twilio's `<Say>`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use flow_engine::model::InputMode;
use flow_engine::runtime::{Event, Listen, Transfer, TransferTarget};
use serde_json::Map;

use super::journal::{self, Journal};
use crate::channels::phone::{Mode, Next, Plan, Prompt};
use crate::store::NewCallEvent;
use crate::telephony::AsrFallback;

/// How long a caller may pause between key presses before the keys count as entered.
const DIGIT_PAUSE: Duration = Duration::from_secs(3);
/// How long to wait for Twilio to echo a mark beyond the audio's own length.
const MARK_GRACE: Duration = Duration::from_secs(3);
/// How long the caller may speak before the no-input timer runs again.
const MAX_UTTERANCE: Duration = Duration::from_secs(15);
/// How long to wait for the answer to a `Finalize`.
const FINALIZE_WAIT: Duration = Duration::from_millis(800);

/// Sounds a listener makes that do not interrupt the speaker.
const BACKCHANNELS: [&str; 14] = [
    "嗯", "嗯嗯", "哦", "啊", "唔", "mhm", "mm", "hmm", "uh-huh", "uh", "um", "ah", "oh", "mm-hmm",
];

/// What the tenant's settings say about this call.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The flow's language (for the stream's own sentences).
    pub language: String,
    /// What to do when recognition fails.
    pub fallback: AsrFallback,
    /// What the `dtmf` fallback tells the caller (default: a sentence in the flow's language).
    pub dtmf_prompt: Option<String>,
    /// Where the `handoff` fallback sends the call (without one, the call goes on as it is).
    pub fallback_handoff: Option<TransferTarget>,
}

/// What the stored call says about how it continues; a save writes it as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct CallState {
    pub mode: Mode,
    /// What TwiML does once the stream has closed.
    pub pending: Option<Plan>,
    /// The fallback taken when recognition failed.
    pub asr_fallback: Option<AsrFallback>,
    /// This server's voices failed: Twilio speaks from then on.
    pub tts_failed: bool,
}

/// A save of the call: its state, and the events gathered since the last save that succeeded.
#[derive(Debug)]
pub struct Save {
    pub call: CallState,
    pub events: Vec<NewCallEvent>,
}

/// What recognition heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub confidence: f32,
    pub is_final: bool,
    pub speech_final: bool,
    pub from_finalize: bool,
}

#[derive(Debug)]
pub enum Output {
    /// Run a turn of the flow with this event; answer with [`Machine::handle_turn`].
    Turn(Event),
    /// Tell the flow something that asks nothing of the call (the caller cut a prompt short);
    /// hand the events it records to [`Machine::record`].
    Notify(Event),
    /// Synthesise the prompt and send its audio, then a mark with this name; answer with
    /// [`Machine::handle_said`] or [`Machine::handle_say_failed`].
    Say { prompt: Prompt, mark: String },
    /// Drop the audio Twilio has not played yet.
    Clear,
    /// Ask recognition for what it has heard so far; when that cannot be asked, answer with
    /// [`Machine::handle_finalize_failed`].
    Finalize,
    /// Recognition is given up: close it.
    StopRecognition,
    /// Save the call; when that fails, give the events back with [`Machine::handle_save_failed`].
    Save(Save),
    /// Make the transfer visible on the call record while the caller is with an agent.
    PublishHandoff,
}

/// A prompt sent and not yet heard to its end.
#[derive(Debug)]
struct Playing {
    mark: String,
    /// What the prompt says.
    text: String,
    barge_in: bool,
    /// When Twilio should have played it, at the latest.
    due: Instant,
}

/// Prompts being synthesised one after the other, and what follows them.
#[derive(Debug)]
struct Speaking {
    prompts: VecDeque<Prompt>,
    /// The mark of the prompt asked for and not yet answered.
    mark: String,
    next: Next,
    /// The prompts are a turn's: `next` is carried out once they are sent. Otherwise (the
    /// keypad prompt) the call listens on as it did.
    turn: bool,
}

#[derive(Debug)]
pub struct Machine {
    settings: Settings,
    call: CallState,
    journal: Journal,
    outputs: VecDeque<Output>,
    /// Recognition is connected and has not failed.
    recognizing: bool,
    /// Recognition failed with the `dtmf` fallback and the caller has not yet been told to use
    /// the keypad: the next listen for speech says so.
    asr_failed_pending_prompt: bool,
    /// How the flow listens now.
    listen: Option<Listen>,
    /// The prompts of the current turn (said again when the call falls back to webhook mode).
    turn_prompts: Vec<Prompt>,
    speaking: Option<Speaking>,
    /// The caller hung up and the flow is told so: the turn's answer is only recorded.
    hanging_up: bool,
    playing: VecDeque<Playing>,
    marks: u64,
    /// Playback was cut by a barge-in: marks echoed now were not heard to their end.
    interrupted: bool,
    no_input_at: Option<Instant>,
    digits: String,
    digits_at: Option<Instant>,
    /// Final transcript pieces of the utterance in progress.
    heard: String,
    confidence: Option<f32>,
    /// Recognition has words the caller is still saying (interim results).
    caller_speaking: bool,
    /// A `Finalize` was asked for: the next final result completes the utterance.
    finalizing: bool,
    /// The stream closes once the prompts sent have been heard (or by this time at the latest);
    /// Twilio then continues with the call's pending TwiML.
    closing: Option<Instant>,
    done: bool,
}

impl Machine {
    pub fn new(settings: Settings, call: CallState) -> Machine {
        Machine {
            settings,
            call,
            journal: Journal::default(),
            outputs: VecDeque::new(),
            recognizing: false,
            asr_failed_pending_prompt: false,
            listen: None,
            turn_prompts: Vec::new(),
            speaking: None,
            hanging_up: false,
            playing: VecDeque::new(),
            marks: 0,
            interrupted: false,
            no_input_at: None,
            digits: String::new(),
            digits_at: None,
            heard: String::new(),
            confidence: None,
            caller_speaking: false,
            finalizing: false,
            closing: None,
            done: false,
        }
    }

    /// Whether recognition should be connected (no fallback was taken earlier in the call).
    pub fn wants_recognition(&self) -> bool {
        self.call.asr_fallback.is_none()
    }

    /// Recognition is connected: the caller's audio goes to it.
    pub fn handle_recognition_open(&mut self) {
        self.recognizing = true;
    }

    /// Starts the call's flow; a call that already started (the stream reconnected) continues
    /// by TwiML instead.
    pub fn start(&mut self, already_started: bool, now: Instant) {
        if already_started {
            self.call.mode = Mode::Webhook;
            self.closing = Some(now);
            self.save();
        } else {
            self.turn(Event::Started);
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Machine::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mark = self.playing.back().map(|playing| playing.due + MARK_GRACE);
        [self.no_input_at, self.digits_at, self.closing, mark]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the stream is over: the caller hung up, or the call continues by TwiML and the
    /// prompts sent have been heard (or should have been by now).
    pub fn is_over(&self, now: Instant) -> bool {
        self.done
            || self
                .closing
                .is_some_and(|deadline| self.playing.is_empty() || now >= deadline)
    }

    /// The answer to [`Output::Turn`]: what the flow asked, and the events it recorded.
    pub fn handle_turn(&mut self, plan: Plan, events: Vec<NewCallEvent>, now: Instant) {
        self.journal.extend(events);
        if self.hanging_up {
            self.save();
            return;
        }
        self.turn_prompts = plan.prompts.clone();
        self.speaking = Some(Speaking {
            prompts: plan.prompts.into(),
            mark: String::new(),
            next: plan.next,
            turn: true,
        });
        self.say_next(now);
    }

    /// Events to save with the next save.
    pub fn record(&mut self, events: Vec<NewCallEvent>) {
        self.journal.extend(events);
    }

    /// The answer to [`Output::Say`]: the prompt's audio (this long) and its mark were sent;
    /// `voice_fallback` names the voice asked for and the one that spoke when they differ.
    pub fn handle_said(
        &mut self,
        audio: Duration,
        voice_fallback: Option<(&str, &str)>,
        now: Instant,
    ) {
        let Some((prompt, mark)) = self.speaking.as_mut().and_then(|speaking| {
            let prompt = speaking.prompts.pop_front()?;
            Some((prompt, std::mem::take(&mut speaking.mark)))
        }) else {
            return;
        };
        if let Some((voice, used)) = voice_fallback {
            self.journal.record(journal::tts_fallback(voice, used));
        }
        let starts = self
            .playing
            .back()
            .map_or(now, |playing| playing.due.max(now));
        self.playing.push_back(Playing {
            mark,
            text: prompt.text,
            barge_in: prompt.barge_in,
            due: starts + audio,
        });
        self.say_next(now);
    }

    /// The answer to [`Output::Say`] when no voice could speak the prompt: Twilio says the rest.
    pub fn handle_say_failed(&mut self, error: &str, now: Instant) {
        self.call.tts_failed = true;
        self.journal.record(journal::tts_failed(error));
        self.hand_rest_to_twiml(now);
    }

    /// A save failed: its events are saved with the next one.
    pub fn handle_save_failed(&mut self, events: Vec<NewCallEvent>) {
        self.journal.restore(events);
    }

    /// Twilio echoed a mark: the prompts up to it were heard (or cut short).
    pub fn handle_mark(&mut self, name: &str, now: Instant) {
        while let Some(playing) = self.playing.pop_front() {
            if playing.mark == name {
                break;
            }
        }
        if self.playing.is_empty() {
            self.interrupted = false;
            if self.listen.is_some() && self.no_input_at.is_none() && self.heard.is_empty() {
                self.start_no_input_timer(now);
            }
        }
    }

    /// The caller pressed a key.
    pub fn handle_dtmf(&mut self, digit: &str, now: Instant) {
        let Some(listen) = &self.listen else {
            return;
        };
        if !listen.modes.contains(&InputMode::Dtmf)
            && self.call.asr_fallback != Some(AsrFallback::Dtmf)
        {
            return;
        }
        let finishes = listen.finish_on_key.as_deref() == Some(digit);
        let max_digits = listen.max_digits;
        // A key interrupts any prompt at once.
        self.clear();
        self.no_input_at = None;
        if finishes {
            return self.submit_digits();
        }
        self.digits.push_str(digit);
        let complete = max_digits.is_some_and(|max| self.digits.chars().count() >= max as usize);
        match complete {
            true => self.submit_digits(),
            false => self.digits_at = Some(now + DIGIT_PAUSE),
        }
    }

    /// Recognition heard the caller start to speak.
    pub fn handle_speech_started(&mut self, now: Instant) {
        if self.listen.is_some() {
            self.no_input_at = Some(now + MAX_UTTERANCE);
        }
    }

    pub fn handle_transcript(&mut self, transcript: Transcript, now: Instant) {
        if self.listen.is_none() {
            return;
        }
        let words = !is_backchannel(&transcript.text);
        if words && !self.playing.is_empty() {
            if !self.may_interrupt() {
                // The caller may not interrupt this prompt: what they said is not an answer.
                return;
            }
            self.barge_in();
        }
        if words && !self.finalizing {
            self.no_input_at = Some(now + MAX_UTTERANCE);
        }
        self.caller_speaking = words && !transcript.is_final;
        let text = transcript.text.trim();
        if transcript.is_final && !text.is_empty() {
            if !self.heard.is_empty() {
                self.heard.push(' ');
            }
            self.heard.push_str(text);
            self.confidence = Some(transcript.confidence);
        }
        let complete = transcript.speech_final || (transcript.from_finalize && self.finalizing);
        if complete && !self.heard.is_empty() {
            self.submit_speech();
        }
    }

    /// Recognition found the end of the caller's utterance.
    pub fn handle_utterance_end(&mut self) {
        if self.listen.is_some() && !self.heard.is_empty() {
            self.submit_speech();
        }
    }

    /// Recognition closed without an error (it is not used again).
    pub fn handle_recognition_closed(&mut self) {
        self.recognizing = false;
    }

    /// Recognition could not be had or failed: the tenant's fallback is taken.
    pub fn handle_recognition_failed(&mut self, error: &str, now: Instant) {
        self.recognizing = false;
        self.outputs.push_back(Output::StopRecognition);
        let fallback = self.settings.fallback;
        self.call.asr_fallback = Some(fallback);
        self.asr_failed_pending_prompt = fallback == AsrFallback::Dtmf;
        let node = self.listen.as_ref().map(|listen| &*listen.node);
        self.journal
            .record(journal::asr_failed(node, error, fallback));
        self.apply_fallback(now);
    }

    /// The answer to [`Output::Finalize`] when recognition could not be asked.
    pub fn handle_finalize_failed(&mut self) {
        self.finalizing = false;
        self.no_input_at = None;
        self.answer_silence();
    }

    /// The caller hung up (or the socket went away); `ended` tells whether the call had ended
    /// already.
    pub fn handle_hang_up(&mut self, ended: bool) {
        if self.done {
            return;
        }
        self.done = true;
        if ended || self.closing.is_some() {
            self.save();
        } else {
            self.hanging_up = true;
            self.outputs.push_back(Output::Turn(Event::HungUp));
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.digits_at.is_some_and(|at| at <= now) {
            return self.submit_digits();
        }
        if self.no_input_at.is_some_and(|at| at <= now) {
            self.no_input_at = None;
            if self.caller_speaking && !self.finalizing && self.recognizing {
                // The caller has been talking for long: ask for what was heard so far.
                self.outputs.push_back(Output::Finalize);
                self.finalizing = true;
                self.no_input_at = Some(now + FINALIZE_WAIT);
                return;
            }
            return self.answer_silence();
        }
        // A mark Twilio never echoed: count its prompt as heard.
        while self
            .playing
            .front()
            .is_some_and(|playing| playing.due + MARK_GRACE <= now)
        {
            self.playing.pop_front();
        }
        if self.playing.is_empty() && self.listen.is_some() && self.no_input_at.is_none() {
            self.start_no_input_timer(now);
        }
    }

    /// The caller stopped answering: what was heard so far is the answer, else nothing was.
    fn answer_silence(&mut self) {
        match self.heard.is_empty() {
            true => self.turn(Event::NoInput),
            false => self.submit_speech(),
        }
    }

    fn turn(&mut self, event: Event) {
        self.listen = None;
        self.no_input_at = None;
        self.digits.clear();
        self.digits_at = None;
        self.heard.clear();
        self.confidence = None;
        self.caller_speaking = false;
        self.finalizing = false;
        self.outputs.push_back(Output::Turn(event));
    }

    fn submit_digits(&mut self) {
        let digits = std::mem::take(&mut self.digits);
        self.digits_at = None;
        self.turn(match digits.is_empty() {
            true => Event::NoInput,
            false => Event::Digits { digits },
        });
    }

    fn submit_speech(&mut self) {
        let text = std::mem::take(&mut self.heard);
        let confidence = self.confidence.take();
        self.turn(Event::Heard { text, confidence });
    }

    fn save(&mut self) {
        self.outputs.push_back(Output::Save(Save {
            call: self.call.clone(),
            events: self.journal.take(),
        }));
    }

    /// Asks for the next prompt of those being said, or carries out what follows them.
    fn say_next(&mut self, now: Instant) {
        let Some(speaking) = &mut self.speaking else {
            return;
        };
        match speaking.prompts.front() {
            // Audio files are played by Twilio: hand the rest to TwiML.
            Some(prompt) if prompt.url.is_some() => self.hand_rest_to_twiml(now),
            Some(prompt) => {
                let prompt = prompt.clone();
                self.marks += 1;
                let mark = format!("p{}", self.marks);
                speaking.mark.clone_from(&mark);
                self.outputs.push_back(Output::Say { prompt, mark });
            }
            None => {
                let Some(speaking) = self.speaking.take() else {
                    return;
                };
                if speaking.turn {
                    self.finish_turn(speaking.next, now);
                }
            }
        }
    }

    /// This server cannot say the rest of the prompts: Twilio says them and goes on by TwiML.
    fn hand_rest_to_twiml(&mut self, now: Instant) {
        let Some(speaking) = self.speaking.take() else {
            return;
        };
        self.call.mode = Mode::Webhook;
        self.call.pending = Some(Plan {
            prompts: speaking.prompts.into(),
            next: speaking.next,
        });
        self.closing = Some(self.drain_deadline(now));
        self.save();
    }

    /// The turn's prompts are sent: what the flow waits for next.
    fn finish_turn(&mut self, next: Next, now: Instant) {
        match next {
            Next::Listen(listen) => {
                self.listen = Some(listen);
                if self.playing.is_empty() {
                    self.start_no_input_timer(now);
                }
                self.save();
                self.apply_fallback(now);
            }
            Next::Transfer(transfer) => {
                self.call.pending = Some(Plan {
                    prompts: Vec::new(),
                    next: Next::Transfer(transfer),
                });
                self.closing = Some(self.drain_deadline(now));
                self.save();
                self.outputs.push_back(Output::PublishHandoff);
            }
            next @ (Next::HangUp { .. } | Next::Nothing) => {
                self.call.pending = Some(Plan {
                    prompts: Vec::new(),
                    next,
                });
                self.closing = Some(self.drain_deadline(now));
                self.save();
            }
        }
    }

    /// Carries out the fallback for the current listen when recognition has failed.
    fn apply_fallback(&mut self, now: Instant) {
        let Some(fallback) = self.call.asr_fallback else {
            return;
        };
        let Some(listen) = self.listen.clone() else {
            return;
        };
        if !listen.modes.contains(&InputMode::Speech) {
            return;
        }
        match fallback {
            AsrFallback::Dtmf => {
                // Speech cannot be heard: ask for keys, once, and listen on; the no-input
                // timer starts when the caller has heard that.
                if std::mem::take(&mut self.asr_failed_pending_prompt) {
                    let text = self
                        .settings
                        .dtmf_prompt
                        .clone()
                        .unwrap_or_else(|| dtmf_prompt(&self.settings.language).to_owned());
                    self.no_input_at = None;
                    self.speaking = Some(Speaking {
                        prompts: VecDeque::from([own_prompt(text, true)]),
                        mark: String::new(),
                        next: Next::Listen(listen),
                        turn: false,
                    });
                    self.say_next(now);
                }
            }
            AsrFallback::Twilio => {
                // Twilio listens instead: the prompts of this turn are said again in a Gather.
                self.clear();
                self.call.mode = Mode::Webhook;
                self.call.pending = Some(Plan {
                    prompts: self.turn_prompts.clone(),
                    next: Next::Listen(listen),
                });
                self.closing = Some(now);
                self.save();
            }
            AsrFallback::Handoff => {
                let Some(target) = self.settings.fallback_handoff.clone() else {
                    return;
                };
                self.clear();
                let language = &self.settings.language;
                self.call.pending = Some(Plan {
                    prompts: vec![own_prompt(transferring(language).to_owned(), false)],
                    // The task fills in the call's variables.
                    next: Next::Transfer(Transfer {
                        target,
                        summary: handoff_summary(language).to_owned(),
                        vars: Map::new(),
                    }),
                });
                self.call.mode = Mode::Webhook;
                self.listen = None;
                self.closing = Some(now);
                self.save();
            }
        }
    }

    /// Drops the audio Twilio has not played yet.
    fn clear(&mut self) {
        if !self.playing.is_empty() {
            self.interrupted = true;
            self.outputs.push_back(Output::Clear);
        }
    }

    fn start_no_input_timer(&mut self, now: Instant) {
        if let Some(listen) = &self.listen {
            self.no_input_at =
                Some(now + Duration::from_millis(u64::from(listen.timeout_ms.max(1000))));
        }
    }

    /// Whether the caller may cut the prompt playing now short.
    fn may_interrupt(&self) -> bool {
        self.listen.is_some() && self.playing.front().is_some_and(|playing| playing.barge_in)
    }

    fn barge_in(&mut self) {
        if self.interrupted || self.playing.is_empty() {
            return;
        }
        // The marks Twilio echoed tell which prompts were heard to their end; the first one
        // still playing is where the caller cut in.
        let cut: Vec<String> = self.playing.iter().map(|p| p.text.clone()).collect();
        let heard = self.turn_prompts.len().saturating_sub(cut.len());
        let node = self.listen.as_ref().map(|listen| &*listen.node);
        self.journal
            .record(journal::prompt_interrupted(node, &cut, heard));
        self.clear();
        self.outputs
            .push_back(Output::Notify(Event::PlaybackInterrupted));
    }

    /// When the stream may close, at the latest, for the prompts sent to be heard.
    fn drain_deadline(&self, now: Instant) -> Instant {
        self.playing
            .back()
            .map_or(now, |playing| playing.due + MARK_GRACE)
    }
}

pub fn is_backchannel(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || ",.!?，。！？、".contains(c))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.is_empty()
        || words
            .iter()
            .all(|word| BACKCHANNELS.contains(&word.as_str()))
}

/// A prompt of the channel's own (not the flow's), spoken in the tenant's voice.
pub fn own_prompt(text: String, barge_in: bool) -> Prompt {
    Prompt {
        text,
        voice: None,
        url: None,
        barge_in,
    }
}

fn is_chinese(language: &str) -> bool {
    language.to_ascii_lowercase().starts_with("zh")
}

fn dtmf_prompt(language: &str) -> &'static str {
    match is_chinese(language) {
        true => "抱歉，语音识别暂时无法使用，请使用电话按键输入。",
        false => "Sorry, speech recognition is not available right now. Please use your keypad.",
    }
}

fn transferring(language: &str) -> &'static str {
    match is_chinese(language) {
        true => "抱歉，语音识别暂时无法使用，正在为您转接人工客服。",
        false => {
            "Sorry, speech recognition is not available right now. Connecting you to an agent."
        }
    }
}

fn handoff_summary(language: &str) -> &'static str {
    match is_chinese(language) {
        true => "语音识别故障，自动转人工",
        false => "Speech recognition failed; transferred automatically",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::phone::phone_event;
    use flow_engine::model::Outcome;
    use serde_json::json;

    const SECOND: Duration = Duration::from_secs(1);

    fn settings(fallback: AsrFallback) -> Settings {
        Settings {
            language: "zh-CN".into(),
            fallback,
            dtmf_prompt: None,
            fallback_handoff: telephony_target("queue:support"),
        }
    }

    fn telephony_target(target: &str) -> Option<TransferTarget> {
        crate::telephony::parse_target(target)
    }

    fn machine(fallback: AsrFallback) -> Machine {
        let mut machine = Machine::new(
            settings(fallback),
            CallState {
                mode: Mode::Stream,
                pending: None,
                asr_fallback: None,
                tts_failed: false,
            },
        );
        machine.handle_recognition_open();
        machine
    }

    fn prompt(text: &str, barge_in: bool) -> Prompt {
        own_prompt(text.into(), barge_in)
    }

    fn listen(modes: &[InputMode]) -> Listen {
        Listen {
            node: "ask".into(),
            modes: modes.to_vec(),
            language: "zh-CN".into(),
            timeout_ms: 5000,
            hints: Vec::new(),
            max_digits: Some(4),
            finish_on_key: Some("#".into()),
            barge_in: true,
        }
    }

    fn asks(text: &str, barge_in: bool, modes: &[InputMode]) -> Plan {
        Plan {
            prompts: vec![prompt(text, barge_in)],
            next: Next::Listen(listen(modes)),
        }
    }

    fn said(text: &str) -> Vec<NewCallEvent> {
        vec![phone_event("said", None, json!({ "text": text }))]
    }

    /// Polls every output, answering each `Say` as if its audio (a second long) was sent.
    fn pump(machine: &mut Machine, now: Instant) -> Vec<Output> {
        let mut outputs = Vec::new();
        while let Some(output) = machine.poll_output() {
            if let Output::Say { .. } = output {
                machine.handle_said(SECOND, None, now);
            }
            outputs.push(output);
        }
        outputs
    }

    fn said_texts(outputs: &[Output]) -> Vec<&str> {
        outputs
            .iter()
            .filter_map(|output| match output {
                Output::Say { prompt, .. } => Some(prompt.text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn saves(outputs: &[Output]) -> Vec<&Save> {
        outputs
            .iter()
            .filter_map(|output| match output {
                Output::Save(save) => Some(save),
                _ => None,
            })
            .collect()
    }

    fn turn_event(outputs: &[Output]) -> Option<&Event> {
        outputs.iter().find_map(|output| match output {
            Output::Turn(event) => Some(event),
            _ => None,
        })
    }

    /// A started call whose flow asks a question (a second of audio) and listens.
    fn asking(fallback: AsrFallback, plan: Plan, now: Instant) -> Machine {
        let mut machine = machine(fallback);
        machine.start(false, now);
        let outputs = pump(&mut machine, now);
        assert!(matches!(turn_event(&outputs), Some(Event::Started)));
        machine.handle_turn(plan, said("请讲"), now);
        let outputs = pump(&mut machine, now);
        assert_eq!(saves(&outputs).len(), 1);
        machine
    }

    /// The outputs come to a turn with these keys.
    fn assert_digits(machine: &mut Machine, now: Instant, expected: &str) {
        let outputs = pump(machine, now);
        assert!(
            matches!(turn_event(&outputs), Some(Event::Digits { digits }) if digits == expected),
            "{outputs:?}"
        );
    }

    fn words(text: &str, is_final: bool) -> Transcript {
        Transcript {
            text: text.into(),
            confidence: 0.9,
            is_final,
            speech_final: false,
            from_finalize: false,
        }
    }

    #[test]
    fn backchannels_do_not_interrupt() {
        assert!(is_backchannel("嗯"));
        assert!(is_backchannel("Mhm."));
        assert!(is_backchannel("uh, um"));
        assert!(is_backchannel(""));
        assert!(!is_backchannel("查订单"));
        assert!(!is_backchannel("um I want a refund"));
    }

    #[test]
    fn speech_over_a_prompt_that_allows_it_clears_the_playback() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        // A backchannel does not interrupt.
        machine.handle_transcript(words("嗯", false), now);
        assert!(pump(&mut machine, now).is_empty());
        machine.handle_transcript(words("查订单", false), now);
        let outputs = pump(&mut machine, now);
        assert!(matches!(outputs[0], Output::Clear), "{outputs:?}");
        assert!(matches!(
            outputs[1],
            Output::Notify(Event::PlaybackInterrupted)
        ));
        assert_eq!(machine.journal.kinds(), ["prompt_interrupted"]);
        // Twilio echoes the cleared mark: the caller's answer completes the turn.
        machine.handle_mark("p1", now);
        machine.handle_transcript(
            Transcript {
                speech_final: true,
                ..words("查订单", true)
            },
            now,
        );
        let outputs = pump(&mut machine, now);
        assert!(
            matches!(turn_event(&outputs), Some(Event::Heard { text, .. }) if text == "查订单"),
            "{outputs:?}"
        );
    }

    #[test]
    fn speech_over_a_prompt_that_forbids_it_is_not_an_answer() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请听完", false, &[InputMode::Speech]),
            now,
        );
        machine.handle_transcript(
            Transcript {
                speech_final: true,
                ..words("查订单", true)
            },
            now,
        );
        assert!(pump(&mut machine, now).is_empty());
        assert!(machine.heard.is_empty());
    }

    #[test]
    fn the_no_input_timer_starts_when_the_prompt_was_heard() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        // While the prompt plays, only the wait for its mark is due.
        assert_eq!(machine.poll_timeout(), Some(now + SECOND + MARK_GRACE));
        let heard = now + SECOND;
        machine.handle_mark("p1", heard);
        let due = heard + Duration::from_secs(5);
        assert_eq!(machine.poll_timeout(), Some(due));
        machine.handle_timeout(due - Duration::from_millis(1));
        assert!(pump(&mut machine, due).is_empty());
        machine.handle_timeout(due);
        let outputs = pump(&mut machine, due);
        assert!(matches!(turn_event(&outputs), Some(Event::NoInput)));
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn a_mark_never_echoed_counts_as_heard() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        let late = now + SECOND + MARK_GRACE;
        machine.handle_timeout(late);
        assert_eq!(machine.poll_timeout(), Some(late + Duration::from_secs(5)));
    }

    #[test]
    fn a_long_utterance_is_finalized() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        machine.handle_mark("p1", now);
        machine.handle_transcript(words("我想查一下我的", false), now);
        let due = now + MAX_UTTERANCE;
        assert_eq!(machine.poll_timeout(), Some(due));
        machine.handle_timeout(due);
        assert!(matches!(pump(&mut machine, due)[..], [Output::Finalize]));
        // Recognition could not be asked: the caller said nothing recognisable in time.
        machine.handle_finalize_failed();
        let outputs = pump(&mut machine, due);
        assert!(matches!(turn_event(&outputs), Some(Event::NoInput)));
    }

    #[test]
    fn keys_collect_up_to_max_digits() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请输入", true, &[InputMode::Dtmf]),
            now,
        );
        machine.handle_dtmf("1", now);
        // A key cuts the prompt at once.
        assert!(matches!(pump(&mut machine, now)[..], [Output::Clear]));
        machine.handle_mark("p1", now);
        for digit in ["2", "3"] {
            machine.handle_dtmf(digit, now);
            assert!(pump(&mut machine, now).is_empty());
        }
        assert_eq!(machine.poll_timeout(), Some(now + DIGIT_PAUSE));
        machine.handle_dtmf("4", now);
        assert_digits(&mut machine, now, "1234");
    }

    #[test]
    fn keys_end_with_the_finish_key_or_a_pause() {
        let now = Instant::now();
        let plan = asks("请输入", true, &[InputMode::Dtmf]);
        let mut machine = asking(AsrFallback::Twilio, plan.clone(), now);
        machine.handle_dtmf("7", now);
        machine.handle_dtmf("#", now);
        assert_digits(&mut machine, now, "7");
        machine.handle_turn(plan, Vec::new(), now);
        pump(&mut machine, now);
        machine.handle_dtmf("8", now);
        pump(&mut machine, now);
        machine.handle_timeout(now + DIGIT_PAUSE);
        assert_digits(&mut machine, now, "8");
    }

    #[test]
    fn keys_count_only_where_the_flow_takes_them() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        machine.handle_dtmf("1", now);
        assert!(pump(&mut machine, now).is_empty());
        assert!(machine.digits.is_empty());
    }

    #[test]
    fn the_twilio_fallback_hands_the_listen_back_to_twiml() {
        let now = Instant::now();
        let plan = asks("请讲", true, &[InputMode::Speech]);
        let mut machine = asking(AsrFallback::Twilio, plan.clone(), now);
        machine.handle_recognition_failed("socket closed", now);
        let outputs = pump(&mut machine, now);
        assert!(matches!(outputs[0], Output::StopRecognition));
        assert!(matches!(outputs[1], Output::Clear));
        let save = saves(&outputs)[0];
        assert_eq!(save.call.mode, Mode::Webhook);
        assert_eq!(save.call.asr_fallback, Some(AsrFallback::Twilio));
        assert_eq!(save.call.pending.as_ref(), Some(&plan));
        assert_eq!(save.events[0].kind, "asr_failed");
        assert_eq!(save.events[0].node.as_deref(), Some("ask"));
        assert!(machine.is_over(now));
    }

    #[test]
    fn the_dtmf_fallback_asks_for_the_keypad_once() {
        let now = Instant::now();
        let plan = asks("请讲", true, &[InputMode::Speech]);
        let mut machine = asking(AsrFallback::Dtmf, plan.clone(), now);
        machine.handle_recognition_failed("socket closed", now);
        let outputs = pump(&mut machine, now);
        assert_eq!(said_texts(&outputs), [dtmf_prompt("zh-CN")]);
        assert!(!machine.is_over(now));
        // Keys count now, although the flow listens for speech only.
        machine.handle_dtmf("5", now);
        machine.handle_dtmf("#", now);
        let outputs = pump(&mut machine, now);
        assert!(matches!(turn_event(&outputs), Some(Event::Digits { digits }) if digits == "5"));
        machine.handle_turn(plan, Vec::new(), now);
        let outputs = pump(&mut machine, now);
        assert_eq!(said_texts(&outputs), ["请讲"]);
    }

    /// Recognition that fails before the flow starts: the caller is told to use the keypad when
    /// the flow first listens for speech, although that turn was saved before.
    #[test]
    fn the_dtmf_fallback_asks_for_the_keypad_when_recognition_failed_at_the_start() {
        let now = Instant::now();
        let mut machine = Machine::new(
            settings(AsrFallback::Dtmf),
            CallState {
                mode: Mode::Stream,
                pending: None,
                asr_fallback: None,
                tts_failed: false,
            },
        );
        machine.handle_recognition_failed("401 Unauthorized", now);
        machine.start(false, now);
        let outputs = pump(&mut machine, now);
        assert!(matches!(turn_event(&outputs), Some(Event::Started)));
        machine.handle_turn(asks("请讲", true, &[InputMode::Speech]), said("请讲"), now);
        let outputs = pump(&mut machine, now);
        assert_eq!(said_texts(&outputs), ["请讲", dtmf_prompt("zh-CN")]);
        // The turn is saved with the failure before the keypad prompt is said.
        let kinds: Vec<&str> = saves(&outputs)[0]
            .events
            .iter()
            .map(|event| event.kind.as_str())
            .collect();
        assert_eq!(kinds, ["asr_failed", "said"]);
    }

    #[test]
    fn the_handoff_fallback_transfers_to_the_tenants_target() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Handoff,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        machine.handle_recognition_failed("socket closed", now);
        let outputs = pump(&mut machine, now);
        let save = saves(&outputs)[0];
        assert_eq!(save.call.mode, Mode::Webhook);
        let pending = save.call.pending.as_ref().expect("a plan for TwiML");
        assert_eq!(pending.prompts[0].text, transferring("zh-CN"));
        assert!(matches!(
            &pending.next,
            Next::Transfer(transfer) if transfer.target == TransferTarget::Queue("support".into())
        ));
        assert!(machine.is_over(now));
        // Without a target the call goes on as it is.
        let mut machine = Machine::new(
            Settings {
                fallback_handoff: None,
                ..settings(AsrFallback::Handoff)
            },
            machine.call.clone(),
        );
        machine.listen = Some(listen(&[InputMode::Speech]));
        machine.handle_recognition_failed("socket closed", now);
        let outputs = pump(&mut machine, now);
        assert!(saves(&outputs).is_empty());
        assert!(!machine.is_over(now));
    }

    #[test]
    fn a_failed_save_keeps_its_events_for_the_next() {
        let now = Instant::now();
        let mut machine = machine(AsrFallback::Twilio);
        machine.start(false, now);
        pump(&mut machine, now);
        machine.handle_turn(asks("请讲", true, &[InputMode::Speech]), said("请讲"), now);
        let mut outputs = pump(&mut machine, now);
        let Some(Output::Save(save)) = outputs.pop() else {
            panic!("the turn is saved: {outputs:?}");
        };
        machine.handle_save_failed(save.events);
        machine.handle_mark("p1", now);
        machine.handle_timeout(now + Duration::from_secs(5));
        pump(&mut machine, now);
        machine.handle_turn(
            asks("请再说一遍", true, &[InputMode::Speech]),
            said("请再说一遍"),
            now,
        );
        let outputs = pump(&mut machine, now);
        let texts: Vec<&str> = saves(&outputs)[0]
            .events
            .iter()
            .filter_map(|event| event.data["text"].as_str())
            .collect();
        assert_eq!(texts, ["请讲", "请再说一遍"]);
    }

    #[test]
    fn a_voice_that_cannot_speak_hands_the_rest_to_twilio() {
        let now = Instant::now();
        let mut machine = machine(AsrFallback::Twilio);
        machine.start(false, now);
        pump(&mut machine, now);
        let plan = Plan {
            prompts: vec![prompt("您好", false), prompt("请讲", true)],
            next: Next::Listen(listen(&[InputMode::Speech])),
        };
        machine.handle_turn(plan, Vec::new(), now);
        assert!(matches!(machine.poll_output(), Some(Output::Say { .. })));
        machine.handle_said(SECOND, None, now);
        assert!(matches!(machine.poll_output(), Some(Output::Say { .. })));
        machine.handle_say_failed("espeak-ng is missing", now);
        let outputs = pump(&mut machine, now);
        let save = saves(&outputs)[0];
        assert!(save.call.tts_failed);
        assert_eq!(save.call.mode, Mode::Webhook);
        let pending = save.call.pending.as_ref().expect("a plan for TwiML");
        assert_eq!(pending.prompts, [prompt("请讲", true)]);
        assert_eq!(save.events[0].kind, "tts_failed");
        // The stream closes once the first prompt has been heard.
        assert!(!machine.is_over(now));
        machine.handle_mark("p1", now);
        assert!(machine.is_over(now));
    }

    #[test]
    fn the_end_of_the_flow_closes_the_stream_once_heard() {
        let now = Instant::now();
        let mut machine = machine(AsrFallback::Twilio);
        machine.start(false, now);
        pump(&mut machine, now);
        let plan = Plan {
            prompts: vec![prompt("再见", false)],
            next: Next::HangUp {
                outcome: Outcome::Resolved,
            },
        };
        machine.handle_turn(plan, Vec::new(), now);
        let outputs = pump(&mut machine, now);
        assert!(saves(&outputs)[0].call.pending.is_some());
        assert!(!machine.is_over(now));
        assert!(machine.is_over(now + SECOND + MARK_GRACE));
    }

    #[test]
    fn a_hang_up_is_told_to_the_flow_and_saved() {
        let now = Instant::now();
        let mut machine = asking(
            AsrFallback::Twilio,
            asks("请讲", true, &[InputMode::Speech]),
            now,
        );
        machine.handle_hang_up(false);
        let outputs = pump(&mut machine, now);
        assert!(matches!(turn_event(&outputs), Some(Event::HungUp)));
        assert!(machine.is_over(now));
        machine.handle_turn(Plan::default(), said("hung up"), now);
        let outputs = pump(&mut machine, now);
        assert_eq!(saves(&outputs)[0].events.len(), 1);
        assert!(said_texts(&outputs).is_empty());
    }
}
