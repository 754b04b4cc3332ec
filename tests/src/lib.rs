//! Helpers for the end-to-end tests: the real `callflow` binary, the real server, and the
//! repository's files.

pub mod app;
pub mod catalogue;
pub mod fakes;
pub mod phone_shop;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A command running the `callflow` binary, built once per test run, in the repository root.
pub fn callflow() -> Command {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    let path = BINARY.get_or_init(|| {
        let built = escargot::CargoBuild::new()
            .package("server")
            .bin("callflow")
            .manifest_path(root().join("Cargo.toml"))
            .run()
            .unwrap_or_else(|e| panic!("building callflow failed: {e}"));
        built.path().to_path_buf()
    });
    let mut command = Command::new(path);
    command.current_dir(root());
    command
}

/// The example flow files, sorted.
pub fn example_flows() -> Vec<PathBuf> {
    let mut flows: Vec<PathBuf> = std::fs::read_dir(root().join("flows"))
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    flows.retain(|p| p.extension().is_some_and(|e| e == "json"));
    flows.sort();
    flows
}

/// Whether `espeak-ng` can run here, for tests that speak prompts with it. Without it a test
/// prints a notice and passes, except under `CI=true`, where its absence is a failure.
pub fn espeak_available() -> bool {
    let found = Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI: espeak-ng is required (apt-get install espeak-ng)"
        );
        eprintln!(
            "NOTICE: espeak-ng is not installed; skipping this test (apt-get install espeak-ng)"
        );
    }
    found
}
