//! `callflow serve` and `callflow migrate`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use server::config::{Config, Overrides};

/// Where the server keeps its data; shared by `serve`, `migrate` and `admin`.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Directory for the SQLite database and other data.
    #[arg(
        long,
        env = "CALLFLOW_DATA_DIR",
        value_name = "DIR",
        help = "Directory for the SQLite database and other data [default: ./data]"
    )]
    data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// A TOML file with any of: listen, data_dir, database_url, request_timeout_secs,
    /// body_limit_bytes, public_url, secret_key, twilio_api_url, deepgram_url, espeak_program,
    /// analytics_rollup.
    /// Flags and the environment take precedence.
    #[arg(long, env = "CALLFLOW_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

impl DatabaseArgs {
    pub(super) fn config(&self, listen: Option<SocketAddr>) -> Result<Config, String> {
        Config::resolve(self.overrides(listen))
    }

    fn overrides(&self, listen: Option<SocketAddr>) -> Overrides {
        Overrides {
            listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            config_file: self.config.clone(),
            ..Overrides::default()
        }
    }
}

/// Where the server listens and keeps its data.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "CALLFLOW_LISTEN",
        value_name = "ADDRESS",
        help = "Address to listen on [default: 127.0.0.1:8080]"
    )]
    listen: Option<SocketAddr>,
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    telephony: TelephonyArgs,
    /// Leave counting ended conversations into the dashboard's tables to the other servers
    /// sharing the database.
    #[arg(long, env = "CALLFLOW_WITHOUT_ANALYTICS_ROLLUP")]
    without_analytics_rollup: bool,
    /// On a first run, create the demo tenant without its two weeks of past calls.
    #[arg(long, env = "CALLFLOW_WITHOUT_DEMO_HISTORY")]
    without_demo_history: bool,
}

/// Phone calls: how the carrier reaches this server, and where the providers are.
#[derive(Debug, Args)]
pub struct TelephonyArgs {
    /// The server's address as Twilio reaches it, e.g. https://callflow.example.com (webhook
    /// signatures are checked against it).
    #[arg(long, env = "CALLFLOW_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Base64 of a 32-byte key sealing tenants' provider secrets [default: a key the server
    /// keeps in <data-dir>/secret.key].
    #[arg(
        long,
        env = "CALLFLOW_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    secret_key: Option<String>,
    /// Twilio's REST API [default: https://api.twilio.com].
    #[arg(long, env = "CALLFLOW_TWILIO_API_URL", value_name = "URL")]
    twilio_api_url: Option<String>,
    /// Deepgram's API [default: https://api.deepgram.com].
    #[arg(long, env = "CALLFLOW_DEEPGRAM_URL", value_name = "URL")]
    deepgram_url: Option<String>,
    /// The espeak-ng program for local speech [default: espeak-ng].
    #[arg(long, env = "CALLFLOW_ESPEAK", value_name = "PROGRAM")]
    espeak: Option<PathBuf>,
}

impl ServerArgs {
    fn config(self) -> Result<Config, String> {
        let mut overrides = self.database.overrides(self.listen);
        overrides.public_url = self.telephony.public_url;
        overrides.secret_key = self.telephony.secret_key;
        overrides.twilio_api_url = self.telephony.twilio_api_url;
        overrides.deepgram_url = self.telephony.deepgram_url;
        overrides.espeak_program = self.telephony.espeak;
        overrides.without_analytics_rollup = self.without_analytics_rollup;
        overrides.without_demo_history = self.without_demo_history;
        Config::resolve(overrides)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

pub fn serve(args: ServerArgs) -> Result<ExitCode, String> {
    let config = args.config()?;
    init_tracing();
    runtime()?.block_on(server::app::serve_until(
        &config,
        server::app::shutdown_signal(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub fn migrate(args: ServerArgs) -> Result<ExitCode, String> {
    let config = args.config()?;
    init_tracing();
    runtime()?.block_on(server::app::open_store(&config))?;
    println!("The database is up to date.");
    Ok(ExitCode::SUCCESS)
}
