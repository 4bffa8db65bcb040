//! `migrate [up | down [n] | create <name> | collections | history-sync]`,
//! with PocketBase's messages.
//!
//! PocketBase asks "(y/N)" before `down`, `create` and `collections`. So
//! does Ferrobase on a terminal; when stdin is not a terminal an answer
//! piped in is honoured and an empty stdin (EOF, e.g. `</dev/null` in
//! scripts and CI) counts as yes, where PocketBase would cancel.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::Args;

use super::GlobalFlags;
use crate::migrations::{self, MigrationsConfig};

/// `migrate` arguments.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// up | down [number] | create name | collections | history-sync (default: up)
    pub args: Vec<String>,
}

/// The long help (PocketBase's list of arguments).
pub const ABOUT: &str = "Executes app DB migration scripts

Supported arguments are:
- up            - runs all available migrations
- down [number] - reverts the last [number] applied migrations
- create name   - creates new blank migration template file
- collections   - creates new migration file with snapshot of the local collections configuration
- history-sync  - ensures that the _migrations history table doesn't have references to deleted migration files";

/// Asks a yes/no question (see the module doc for non-terminals).
fn confirm(question: &str) -> bool {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        eprint!("{question} (y/N) ");
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    match stdin.lock().read_line(&mut answer) {
        Ok(0) => !interactive,
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Err(_) => false,
    }
}

fn cancelled() {
    println!("The command has been cancelled");
}

/// Runs a `migrate` invocation.
pub fn run(flags: &GlobalFlags, args: MigrateArgs) -> anyhow::Result<()> {
    let cfg = flags.migrations_config();
    let action = args.args.first().map_or("up", String::as_str);
    match action {
        "up" | "down" => {
            let app = flags.open_app().context("failed to open the data dir")?;
            let mut js = flags.start_hooks_unwatched(&app)?;
            let res = if action == "up" { up(&app, &cfg) } else { down(&app, &cfg, args.args.get(1)) };
            js.take();
            res
        }
        "create" => {
            let Some(name) = args.args.get(1) else { bail!("missing migration file name") };
            let path = migrations::new_migration_path(&cfg, name)?;
            create(&path, &migrations::templates::blank())
        }
        "collections" => {
            let app = flags.open_app().context("failed to open the data dir")?;
            create(&migrations::snapshot_path(&cfg), &migrations::snapshot_source(&app))
        }
        "history-sync" => {
            let app = flags.open_app().context("failed to open the data dir")?;
            migrations::history_sync(&app, &cfg)?;
            println!("The _migrations table was synced with the available migrations.");
            Ok(())
        }
        other => bail!("unsupported command: {other:?}"),
    }
}

fn up(app: &crate::core::App, cfg: &MigrationsConfig) -> anyhow::Result<()> {
    let applied = migrations::up(app, cfg)?;
    if applied.is_empty() {
        println!("No new migrations to apply.");
    }
    for f in applied {
        println!("Applied {f}");
    }
    Ok(())
}

fn down(app: &crate::core::App, cfg: &MigrationsConfig, n: Option<&String>) -> anyhow::Result<()> {
    let n: usize = match n {
        None => 1,
        Some(s) => s.trim().parse().with_context(|| format!("invalid number of migrations to revert: {s:?}"))?,
    };
    let targets = migrations::last_applied(app, n)?;
    if targets.is_empty() {
        println!("No migrations to revert.");
        return Ok(());
    }
    println!();
    for t in &targets {
        println!("{t}");
    }
    if !confirm(&format!("Do you really want to revert the last {} applied migration(s)?", targets.len())) {
        cancelled();
        return Ok(());
    }
    for f in migrations::down(app, cfg, n)? {
        println!("Reverted {f}");
    }
    Ok(())
}

fn create(path: &std::path::Path, source: &str) -> anyhow::Result<()> {
    if !confirm(&format!("Do you really want to create migration {:?}?", path.display().to_string())) {
        cancelled();
        return Ok(());
    }
    migrations::write_new(path, source)?;
    println!("Successfully created file {:?}", path.display().to_string());
    Ok(())
}
