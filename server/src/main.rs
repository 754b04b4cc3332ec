//! `callflow`: the Callflow server and command-line tool.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let command = cli::Cli::parse();
    match cli::run(command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("callflow: {error}");
            ExitCode::from(2)
        }
    }
}
