//! The command line: one module per subcommand.

mod admin;
mod chat;
mod flows;
mod http;
mod nlu_eval;
mod serve;
mod test;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use flow_engine::messages::Locale;

use clap::{Parser, Subcommand, ValueEnum};

use server::language::Language;

/// Callflow: low-code call flows for customer-service phone robots.
#[derive(Debug, Parser)]
#[command(name = "callflow", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The language of messages: zh-CN or en. Without it, the one `LANG` names, else zh-CN.
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The language the command line speaks, chosen once when it starts.
static LANGUAGE: OnceLock<Language> = OnceLock::new();

/// The language messages are printed in: `--lang`, else `LANG`, else Chinese.
pub fn language() -> Language {
    *LANGUAGE.get().unwrap_or(&Language::Chinese)
}

fn choose_language(lang: Option<&str>) -> Result<Language, String> {
    let of = |tag: &str| match Locale::of_tag(tag) {
        Some(Locale::Chinese) => Some(Language::Chinese),
        Some(Locale::English) => Some(Language::English),
        None => None,
    };
    match lang {
        Some(tag) => of(tag).ok_or_else(|| format!("--lang must be zh-CN or en, not \"{tag}\"")),
        None => Ok(std::env::var("LANG")
            .ok()
            .and_then(|tag| of(&tag))
            .unwrap_or(Language::Chinese)),
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check flow files and print every problem as `file: node: field: message`.
    ///
    /// Exits 1 when any file has an error; warnings are printed but do not fail.
    Validate {
        /// Flow documents (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Flows that `subflow` nodes may call (their `name` is the reference).
        #[arg(long = "subflow", value_name = "FILE")]
        subflows: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Talk to a flow in the terminal, as a caller would.
    ///
    /// Type what the caller says. Commands: `/digits 12#` presses keys, `/silence` stays silent
    /// until the timeout, `/hangup` hangs up, `/vars` shows the variables, `/help` lists these.
    /// HTTP nodes make real requests unless `--mock-http` answers them.
    Chat {
        /// The flow document (JSON).
        file: PathBuf,
        /// A call variable, `name=value` (value parsed as JSON when it can be, else text).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        vars: Vec<(String, serde_json::Value)>,
        /// A tenant setting visible as `tenant.NAME`, e.g. `--tenant api=https://shop.example/api`.
        #[arg(long = "tenant", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        tenant: Vec<(String, serde_json::Value)>,
        /// The caller's number (`call.from`), e.g. `--from +8613800000001`.
        #[arg(long, value_name = "PHONE")]
        from: Option<String>,
        /// What the customer lookup would have found, visible as `customer.NAME`, e.g.
        /// `--customer title=张先生 --customer vip_level=2` (the simulator asks no shop, as
        /// conversation tests give `customer`).
        #[arg(long = "customer", value_name = "NAME=VALUE", value_parser = parse_assignment)]
        customer: Vec<(String, serde_json::Value)>,
        /// HTTP mocks (YAML or JSON list, the `http` format of conversation tests).
        #[arg(long, value_name = "FILE")]
        mock_http: Option<PathBuf>,
        /// Flows that `subflow` nodes may call.
        #[arg(long = "subflow", value_name = "FILE")]
        subflows: Vec<PathBuf>,
        /// A knowledge base the flow's `answer` nodes and FAQ use, from a spreadsheet (CSV, the
        /// import's columns), e.g. `--knowledge shop-faq=flows/knowledge/shop-faq.zh-CN.csv`.
        #[arg(long = "knowledge", value_name = "KEY=FILE", value_parser = parse_sheet)]
        knowledge: Vec<(String, String)>,
        /// How transfers to a human end in the simulation.
        #[arg(long, value_enum, default_value_t = HandoffChoice::Connected)]
        handoff: HandoffChoice,
        /// Show every analytics record as it happens.
        #[arg(long)]
        trace: bool,
    },
    /// Run conversation tests (YAML or JSON) against a flow.
    ///
    /// Exits 1 when any conversation fails, printing what was expected and what happened.
    Test {
        /// The flow document (JSON).
        file: PathBuf,
        /// Conversation test files.
        #[arg(required = true)]
        conversations: Vec<PathBuf>,
        /// Flows that `subflow` nodes may call.
        #[arg(long = "subflow", value_name = "FILE")]
        subflows: Vec<PathBuf>,
        /// Print the transcript of passing conversations too.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Measure intent recognition on labelled sentences, beside a TF-IDF + LinearSVC peer.
    ///
    /// CSV files with `text` and `intent` columns; in the test and tuning files an empty
    /// intent or `out_of_scope` marks a sentence that should get no match. Prints accuracy,
    /// macro-F1, the no-match rate, out-of-scope rejection and the top confusions; with
    /// `--tune`, accuracy and rejection over a range of thresholds.
    NluEval {
        /// Training sentences (text,intent).
        #[arg(long, value_name = "CSV", conflicts_with = "bitext")]
        train: Option<PathBuf>,
        /// Test sentences (text,intent).
        #[arg(long, value_name = "CSV", requires = "train")]
        test: Option<PathBuf>,
        /// Tuning sentences (text,intent), for the threshold sweep.
        #[arg(long, value_name = "CSV")]
        tune: Option<PathBuf>,
        /// The Bitext customer-support CSV (utterance,intent,…), split by intent with a fixed
        /// seed; some intents are held out as out-of-scope.
        #[arg(long, value_name = "CSV")]
        bitext: Option<PathBuf>,
        /// Training sentences per intent with --bitext.
        #[arg(long, default_value_t = 10)]
        per_intent: usize,
        /// Confidence threshold (default: the one flows use).
        #[arg(long)]
        threshold: Option<f32>,
        /// The peer's decision-value threshold.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        peer_threshold: f64,
        /// Train ours without the built-in shop intents: what an intent the library does not
        /// know gets.
        #[arg(long)]
        without_library: bool,
    },
    /// Print the JSON Schema of the flow format.
    Schema,
    /// Run the Callflow server (HTTP API, demo shop API, health and metrics).
    ///
    /// Uses an SQLite database in the data directory unless DATABASE_URL names PostgreSQL.
    /// Migrations run at start. Ctrl-C or SIGTERM stops it after the requests in flight.
    Serve {
        #[command(flatten)]
        server: serve::ServerArgs,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        server: serve::ServerArgs,
    },
    /// Manage tenants, users and API keys in the server's database.
    ///
    /// Uses the same database as `callflow serve` (--data-dir, DATABASE_URL, --config). Every
    /// failure prints what is wrong and exits with status 1.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HandoffChoice {
    Connected,
    NoAnswer,
    Busy,
    Failed,
}

fn parse_assignment(text: &str) -> Result<(String, serde_json::Value), String> {
    let (name, value) = split_assignment(text)?;
    let value =
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

/// `KEY=FILE`: a knowledge base's key and its spreadsheet.
fn parse_sheet(text: &str) -> Result<(String, String), String> {
    let (key, path) = split_assignment(text)?;
    Ok((key.to_owned(), path.to_owned()))
}

fn split_assignment(text: &str) -> Result<(&str, &str), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got \"{text}\""))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("the name is empty in \"{text}\""));
    }
    Ok((name, value))
}

/// Runs a parsed command line; `Err` is a usage or I/O problem (exit 2).
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let _ = LANGUAGE.set(choose_language(cli.lang.as_deref())?);
    match cli.command {
        Command::Validate {
            files,
            subflows,
            format,
        } => validate::run(&files, &subflows, format),
        Command::NluEval {
            train,
            test,
            tune,
            bitext,
            per_intent,
            threshold,
            peer_threshold,
            without_library,
        } => nlu_eval::run(nlu_eval::Options {
            train,
            test,
            tune,
            bitext,
            per_intent,
            threshold,
            peer_threshold,
            library: !without_library,
        }),
        Command::Chat {
            file,
            vars,
            tenant,
            from,
            customer,
            mock_http,
            subflows,
            knowledge,
            handoff,
            trace,
        } => chat::run(chat::Options {
            file,
            vars: vars.into_iter().collect(),
            tenant: tenant.into_iter().collect(),
            from,
            customer: customer.into_iter().collect(),
            mock_http,
            subflows,
            knowledge: knowledge.into_iter().collect(),
            handoff: match handoff {
                HandoffChoice::Connected => flow_engine::runtime::HandoffStatus::Connected,
                HandoffChoice::NoAnswer => flow_engine::runtime::HandoffStatus::NoAnswer,
                HandoffChoice::Busy => flow_engine::runtime::HandoffStatus::Busy,
                HandoffChoice::Failed => flow_engine::runtime::HandoffStatus::Failed,
            },
            trace,
        }),
        Command::Test {
            file,
            conversations,
            subflows,
            verbose,
        } => test::run(&file, &conversations, &subflows, verbose),
        Command::Serve { server } => serve::serve(server),
        Command::Migrate { server } => serve::migrate(server),
        Command::Admin(command) => admin::run(command),
        Command::Schema => {
            print!("{}", flow_engine::schema::flow_schema_json());
            Ok(ExitCode::SUCCESS)
        }
    }
}
