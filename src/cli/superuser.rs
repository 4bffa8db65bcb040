//! `superuser create|upsert|update|delete|otp EMAIL [PASS]`.

use anyhow::{Context, bail};
use clap::Subcommand;

use super::GlobalFlags;
use crate::core::Error;
use crate::core::records::validate::is_email;

/// Superuser management subcommands.
#[derive(Debug, Subcommand)]
pub enum SuperuserCommand {
    /// Creates a new superuser
    Create { email: Option<String>, password: Option<String> },
    /// Creates, or updates if email exists, a single superuser
    Upsert { email: Option<String>, password: Option<String> },
    /// Changes the password of a single superuser
    Update { email: Option<String>, password: Option<String> },
    /// Deletes an existing superuser
    Delete { email: Option<String> },
    /// Creates a new OTP for the specified superuser
    Otp { email: Option<String> },
}

fn describe(e: Error) -> String {
    match e {
        Error::Validation { errors, .. } => errors
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.get("message").and_then(|m| m.as_str()).unwrap_or("invalid value")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn email_and_password(email: Option<String>, password: Option<String>) -> anyhow::Result<(String, String)> {
    let (Some(email), Some(password)) = (email, password) else {
        bail!("missing email and password arguments");
    };
    if !is_email(&email) {
        bail!("missing or invalid email address");
    }
    if password.chars().count() < 8 {
        bail!("password: Must be at least 8 character(s).");
    }
    Ok((email, password))
}

/// Runs a superuser subcommand; the hooks are loaded, so record hooks
/// fire for the change like they do in PocketBase.
pub fn run(flags: &GlobalFlags, cmd: SuperuserCommand) -> anyhow::Result<()> {
    let app = flags.open_app().context("failed to open the data dir")?;
    let mut js = flags.start_hooks_unwatched(&app)?;
    let res = run_with(&app, cmd);
    js.take();
    res
}

fn run_with(app: &crate::core::App, cmd: SuperuserCommand) -> anyhow::Result<()> {
    match cmd {
        SuperuserCommand::Create { email, password } => {
            let (email, password) = email_and_password(email, password)?;
            app.upsert_superuser(&email, &password, Some(false))
                .map_err(|e| anyhow::anyhow!("failed to create new superuser account: {}", describe(e)))?;
            println!("Successfully created new superuser \"{email}\"!");
        }
        SuperuserCommand::Upsert { email, password } => {
            let (email, password) = email_and_password(email, password)?;
            app.upsert_superuser(&email, &password, None)
                .map_err(|e| anyhow::anyhow!("failed to save superuser account: {}", describe(e)))?;
            println!("Successfully saved superuser \"{email}\"!");
        }
        SuperuserCommand::Update { email, password } => {
            let (email, password) = email_and_password(email, password)?;
            app.upsert_superuser(&email, &password, Some(true)).map_err(|e| match e {
                Error::NotFound(_) => {
                    anyhow::anyhow!("superuser with email \"{email}\" doesn't exist")
                }
                other => anyhow::anyhow!("failed to change superuser \"{email}\" password: {}", describe(other)),
            })?;
            println!("Successfully changed superuser \"{email}\" password!");
        }
        SuperuserCommand::Delete { email } => {
            let Some(email) = email.filter(|e| is_email(e)) else { bail!("invalid or missing email address") };
            app.delete_superuser(&email)
                .map_err(|e| anyhow::anyhow!("failed to delete superuser \"{email}\": {}", describe(e)))?;
            println!("Successfully deleted superuser \"{email}\"!");
        }
        SuperuserCommand::Otp { email } => {
            let Some(email) = email.filter(|e| is_email(e)) else { bail!("invalid or missing email address") };
            let su = app.superusers().map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            let Some(record) =
                app.find_auth_record_by_email(&su, &email).map_err(|e| anyhow::anyhow!("{}", describe(e)))?
            else {
                bail!("superuser with email \"{email}\" doesn't exist");
            };
            let otp_opts = su.auth.as_ref().map(|a| a.otp.clone()).unwrap_or_default();
            if !otp_opts.enabled {
                bail!("OTP auth is not enabled for the _superusers collection");
            }
            let length = usize::try_from(otp_opts.length.max(4)).unwrap_or(8);
            let pass = crate::core::security::random_string_with_alphabet(length, b"1234567890");
            let otp =
                app.create_otp(&record, &pass).map_err(|e| anyhow::anyhow!("failed to create OTP: {}", describe(e)))?;
            println!("Successfully created OTP for superuser \"{}\":", record.email());
            println!("├─ Id:    {}", otp.id());
            println!("├─ Pass:  {pass}");
            println!("└─ Valid: {}s\n", otp_opts.duration);
        }
    }
    Ok(())
}
