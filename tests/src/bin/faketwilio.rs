//! The fake Twilio as a process of its own, for the editor's browser tests: its REST API on
//! `127.0.0.1`, placing outbound calls to the application's webhooks and answering them as a
//! script says. It prints `listening on http://127.0.0.1:PORT` first, then one JSON line per
//! outbound call that has ended (`{"to":…,"status":…,"answered_by":…,"heard":[…]}`), and exits
//! when its standard input closes, so that it never outlives the test that started it.
//!
//!   faketwilio --script answers.json
//!
//! The script names the account and what each number does when called:
//!
//! ```json
//! { "account_sid": "AC…", "auth_token": "…",
//!   "answers": { "+8613800138001": { "answer": "human", "steps": [{ "press": "9#" }, { "say": "很好" }] },
//!                "+8613800138002": { "answer": "busy" } } }
//! ```
//!
//! A number the script does not name does not answer.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use callflow_tests::fakes::twilio::{Answer, Caller, FakeTwilio, Heard, Step};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Parser)]
#[command(about = "A fake Twilio account that places scripted outbound calls")]
struct Args {
    /// The JSON script: the account and what each number does when called.
    #[arg(long)]
    script: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Script {
    account_sid: String,
    auth_token: String,
    #[serde(default)]
    answers: BTreeMap<String, ScriptAnswer>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
enum ScriptAnswer {
    Human {
        #[serde(default)]
        steps: Vec<ScriptStep>,
    },
    Machine {
        #[serde(default)]
        steps: Vec<ScriptStep>,
    },
    NoAnswer,
    Busy,
    Failed,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ScriptStep {
    Say(String),
    Press(String),
    Silence,
    HangUp,
}

impl From<ScriptStep> for Step {
    fn from(step: ScriptStep) -> Step {
        match step {
            ScriptStep::Say(text) => Step::Say(text),
            ScriptStep::Press(keys) => Step::Press(keys),
            ScriptStep::Silence => Step::Silence,
            ScriptStep::HangUp => Step::HangUp,
        }
    }
}

fn caller(steps: Vec<ScriptStep>) -> Caller {
    Caller::new(steps.into_iter().map(Step::from).collect())
}

impl From<ScriptAnswer> for Answer {
    fn from(answer: ScriptAnswer) -> Answer {
        match answer {
            ScriptAnswer::Human { steps } => Answer::Human(caller(steps)),
            ScriptAnswer::Machine { steps } => Answer::Machine(caller(steps)),
            ScriptAnswer::NoAnswer => Answer::NoAnswer,
            ScriptAnswer::Busy => Answer::Busy,
            ScriptAnswer::Failed => Answer::Failed,
        }
    }
}

fn heard_text(heard: &Heard) -> String {
    match heard {
        Heard::Say { text, .. } => text.clone(),
        Heard::Play { url, .. } => format!("<play {url}>"),
        Heard::Pause { seconds, .. } => format!("<pause {seconds}s>"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.script)
        .map_err(|error| format!("reading {}: {error}", args.script.display()))?;
    let script: Script = serde_json::from_str(&text)
        .map_err(|error| format!("reading {}: {error}", args.script.display()))?;
    let twilio = FakeTwilio::start(&script.account_sid, &script.auth_token).await;
    for (number, answer) in script.answers {
        twilio.on_outbound(&number, answer.into());
    }
    println!("listening on {}", twilio.api_base_url());

    // Standard input is read on a thread of its own: its end is the signal to stop.
    let (stdin_closed, mut closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = stdin_closed.send(());
    });
    let mut reported = HashSet::new();
    loop {
        tokio::select! {
            _ = &mut closed => return Ok(()),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        for call in twilio.outbound_calls().await {
            let Some(status) = &call.status else { continue };
            if !reported.insert(call.sid.clone()) {
                continue;
            }
            let heard: Vec<String> = call
                .log
                .as_ref()
                .map(|log| log.heard.iter().map(heard_text).collect())
                .unwrap_or_default();
            println!(
                "{}",
                json!({ "to": call.to, "from": call.from, "status": status,
                        "answered_by": call.answered_by, "heard": heard })
            );
        }
    }
}
