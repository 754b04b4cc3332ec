//! Server configuration from flags, the environment and an optional TOML file, in that order
//! of precedence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Settings a file may give; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub request_timeout_secs: Option<u64>,
    pub body_limit_bytes: Option<usize>,
    pub public_url: Option<String>,
    pub secret_key: Option<String>,
    pub twilio_api_url: Option<String>,
    pub deepgram_url: Option<String>,
    pub espeak_program: Option<PathBuf>,
    pub analytics_rollup: Option<bool>,
    pub demo_history: Option<bool>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` (the default, a file in `data_dir`) or `postgres://…`.
    pub database_url: String,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    pub telephony: TelephonyConfig,
    /// Whether this server counts ended conversations into the analytics tables. Servers
    /// sharing a database may leave it to the others (the count never doubles either way);
    /// one server of the group must do it, or the dashboard stops at the last count.
    pub analytics_rollup: bool,
    /// Whether the first run gives the demo tenant two weeks of past calls (see
    /// [`crate::demo::history`]).
    pub demo_history: bool,
    /// The time the server works by: the system's; tests run campaigns on a manual one.
    pub clock: crate::clock::Clock,
}

/// What phone calls need from the server's configuration.
#[derive(Debug, Clone)]
pub struct TelephonyConfig {
    /// The server's address as the carrier reaches it, e.g. `https://callflow.example.com`:
    /// webhook signatures are checked against it, and it starts the URLs the server gives the
    /// carrier. Without it, each request's `Host` (and `X-Forwarded-Proto`) is used.
    pub public_url: Option<String>,
    /// Base64 of the 32-byte key that seals tenants' provider secrets; without it the server
    /// keeps its own key in `<data_dir>/secret.key`.
    pub secret_key: Option<String>,
    /// Twilio's REST API (outbound calls).
    pub twilio_api_url: String,
    /// Deepgram's API (live recognition and Aura speech).
    pub deepgram_url: String,
    /// The espeak-ng program for local speech.
    pub espeak_program: PathBuf,
}

pub const DEFAULT_TWILIO_API_URL: &str = "https://api.twilio.com";
pub const DEFAULT_DEEPGRAM_URL: &str = "https://api.deepgram.com";

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Large enough for an import of many 5,000-node flows, small enough to refuse abuse.
const DEFAULT_BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// What the command line and the environment said (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub config_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub secret_key: Option<String>,
    pub twilio_api_url: Option<String>,
    pub deepgram_url: Option<String>,
    pub espeak_program: Option<PathBuf>,
    pub without_analytics_rollup: bool,
    pub without_demo_history: bool,
}

impl Config {
    /// Resolves the configuration: overrides first, then the file, then defaults.
    pub fn resolve(overrides: Overrides) -> Result<Config, String> {
        let file = match &overrides.config_file {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let default_listen: SocketAddr = DEFAULT_LISTEN
            .parse()
            .map_err(|e| format!("default address: {e}"))?;
        let data_dir = overrides
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = overrides
            .database_url
            .or(file.database_url)
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| sqlite_url(&data_dir));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(format!(
                "DATABASE_URL must start with sqlite: or postgres://, not \"{}\"",
                database_url.split(':').next().unwrap_or_default()
            ));
        }
        Ok(Config {
            listen: overrides.listen.or(file.listen).unwrap_or(default_listen),
            data_dir,
            database_url,
            request_timeout: Duration::from_secs(
                file.request_timeout_secs
                    .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS),
            ),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(DEFAULT_BODY_LIMIT_BYTES),
            analytics_rollup: !overrides.without_analytics_rollup
                && file.analytics_rollup.unwrap_or(true),
            demo_history: !overrides.without_demo_history && file.demo_history.unwrap_or(true),
            clock: crate::clock::Clock::System,
            telephony: TelephonyConfig {
                public_url: overrides
                    .public_url
                    .or(file.public_url)
                    .filter(|url| !url.trim().is_empty())
                    .map(|url| url.trim().trim_end_matches('/').to_owned()),
                secret_key: overrides
                    .secret_key
                    .or(file.secret_key)
                    .filter(|key| !key.trim().is_empty()),
                twilio_api_url: overrides
                    .twilio_api_url
                    .or(file.twilio_api_url)
                    .unwrap_or_else(|| DEFAULT_TWILIO_API_URL.to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                deepgram_url: overrides
                    .deepgram_url
                    .or(file.deepgram_url)
                    .unwrap_or_else(|| DEFAULT_DEEPGRAM_URL.to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                espeak_program: overrides
                    .espeak_program
                    .or(file.espeak_program)
                    .unwrap_or_else(|| PathBuf::from("espeak-ng")),
            },
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The SQLite database file inside the data directory, created when missing.
fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("callflow.db").display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_sqlite_in_the_data_dir() {
        let config = Config::resolve(Overrides::default()).expect("resolves");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_url, "sqlite://./data/callflow.db?mode=rwc");
        assert!(config.is_sqlite());
        assert!(config.analytics_rollup);
    }

    #[test]
    fn a_server_may_leave_the_analytics_rollup_to_others() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("callflow.toml");
        std::fs::write(&path, "analytics_rollup = false\n").expect("write");
        let from_file = Config::resolve(Overrides {
            config_file: Some(path),
            ..Overrides::default()
        })
        .expect("resolves");
        assert!(!from_file.analytics_rollup);
        let from_flag = Config::resolve(Overrides {
            without_analytics_rollup: true,
            ..Overrides::default()
        })
        .expect("resolves");
        assert!(!from_flag.analytics_rollup);
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("callflow.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/callflow\"\nrequest_timeout_secs = 5\n",
        )
        .expect("write");
        let config = Config::resolve(Overrides {
            listen: Some("127.0.0.1:7000".parse().expect("address")),
            config_file: Some(path),
            ..Overrides::default()
        })
        .expect("resolves");
        assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(config.data_dir, PathBuf::from("/srv/callflow"));
        assert_eq!(config.request_timeout, Duration::from_secs(5));
        assert_eq!(
            config.database_url,
            "sqlite:///srv/callflow/callflow.db?mode=rwc"
        );
    }

    #[test]
    fn a_bad_file_or_url_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listen = 5\nlisen = \"x\"\n").expect("write");
        let error = Config::resolve(Overrides {
            config_file: Some(path),
            ..Overrides::default()
        })
        .expect_err("rejected");
        assert!(error.contains("bad.toml"), "{error}");
        let error = Config::resolve(Overrides {
            database_url: Some("mysql://x".into()),
            ..Overrides::default()
        })
        .expect_err("rejected");
        assert!(error.contains("sqlite: or postgres://"), "{error}");
    }
}
