//! `callflow`: the Callflow server and command-line tool.

mod cli;

use std::process::ExitCode;

use clap::Parser;

// glibc's allocator serialises threads on its arena locks under load: with it, allocation was a
// fifth of the server's CPU in scripts/loadtest.
#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

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
