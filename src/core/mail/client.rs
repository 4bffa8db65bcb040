//! Delivering mail: SMTP through lettre (rustls; plain with opportunistic
//! STARTTLS, or implicit TLS; PLAIN or LOGIN auth) when SMTP is enabled in
//! the settings, otherwise the local `sendmail` like PocketBase, or, when
//! there is none, the app log (so a dev setup still sees its mails).
//! Every send goes through `onMailerSend`.

use std::path::PathBuf;
use std::time::Duration;

use lettre::Transport as _;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use serde_json::Value;

use super::message::Message;
use crate::core::app::App;
use crate::core::error::{Error, Result};
use crate::core::events::MailerEvent;
use crate::core::settings::SmtpConfig;

/// How long an SMTP exchange may take before it is abandoned.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Transport {
    Smtp(SmtpConfig),
    Sendmail(PathBuf),
    /// No SMTP and no sendmail: the message is written to the app log.
    Log,
}

/// A mail client bound to the app (`$app.newMailClient()`).
#[derive(Clone)]
pub struct MailClient {
    app: App,
    transport: Transport,
}

/// The `sendmail` PocketBase would use, if installed.
fn find_sendmail() -> Option<PathBuf> {
    for fixed in ["/usr/sbin/sendmail", "/usr/bin/sendmail"] {
        let p = PathBuf::from(fixed);
        if p.is_file() {
            return Some(p);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("sendmail")).find(|p| p.is_file())
}

fn is_localhost(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

impl App {
    /// A client for the current mail settings.
    pub fn new_mail_client(&self) -> MailClient {
        let smtp = &self.settings().smtp;
        let transport = if smtp.enabled {
            Transport::Smtp(smtp.clone())
        } else {
            find_sendmail().map_or(Transport::Log, Transport::Sendmail)
        };
        MailClient { app: self.clone(), transport }
    }
}

impl MailClient {
    /// Where this client delivers.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends through the `onMailerSend` chain (its handlers may change the
    /// message or skip the delivery by not calling `next()`).
    pub fn send(&self, message: Message) -> Result<()> {
        let mut ev = MailerEvent { app: self.app.clone(), client: self.clone(), message };
        self.app.hooks().on_mailer_send.trigger(&mut ev, &mut |e| e.client.deliver(&e.message))
    }

    /// Delivers without hooks.
    pub fn deliver(&self, message: &Message) -> Result<()> {
        match &self.transport {
            Transport::Smtp(cfg) => send_smtp(cfg, message),
            Transport::Sendmail(path) => send_sendmail(path, message),
            Transport::Log => {
                let data = Value::Object(message.summary());
                tracing::warn!("SMTP is disabled and no sendmail is installed; the mail was only logged: {data}");
                self.app.log(4, "Mail not sent (SMTP disabled, no sendmail); message logged", data);
                Ok(())
            }
        }
    }
}

fn send_smtp(cfg: &SmtpConfig, message: &Message) -> Result<()> {
    let mail_err = |e: String| Error::BadRequest(format!("Failed to send the mail: {e}"));
    let host = cfg.host.trim();
    let port = u16::try_from(cfg.port).map_err(|_| mail_err(format!("invalid SMTP port {}", cfg.port)))?;
    let params = TlsParameters::new(host.to_string()).map_err(|e| mail_err(e.to_string()))?;
    let has_credentials = !cfg.username.is_empty() || !cfg.password.is_empty();
    // like Go's net/smtp: credentials are never sent in the clear, except
    // to localhost
    let tls = if cfg.tls {
        Tls::Wrapper(params)
    } else if has_credentials && !is_localhost(host) {
        Tls::Required(params)
    } else {
        Tls::Opportunistic(params)
    };
    let mut builder = lettre::SmtpTransport::builder_dangerous(host).port(port).tls(tls).timeout(Some(SMTP_TIMEOUT));
    if !cfg.local_name.trim().is_empty() {
        builder = builder.hello_name(ClientId::Domain(cfg.local_name.trim().to_string()));
    }
    if has_credentials {
        let mechanism = if cfg.auth_method.eq_ignore_ascii_case("LOGIN") { Mechanism::Login } else { Mechanism::Plain };
        builder = builder
            .credentials(Credentials::new(cfg.username.clone(), cfg.password.clone()))
            .authentication(vec![mechanism]);
    }
    let mime = message.to_mime()?;
    builder.build().send(&mime).map(|_| ()).map_err(|e| mail_err(e.to_string()))
}

fn send_sendmail(path: &PathBuf, message: &Message) -> Result<()> {
    use std::io::Write;
    let mime = message.to_mime()?;
    let envelope = mime.envelope();
    let mut cmd = std::process::Command::new(path);
    cmd.arg("-i");
    if let Some(from) = envelope.from() {
        cmd.arg("-f").arg(from);
    }
    cmd.arg("--");
    for to in envelope.to() {
        cmd.arg(to);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::BadRequest(format!("Failed to run sendmail: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&mime.formatted()).map_err(|e| Error::BadRequest(format!("Failed to run sendmail: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| Error::BadRequest(format!("Failed to run sendmail: {e}")))?;
    if !out.status.success() {
        return Err(Error::BadRequest(format!(
            "sendmail failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}
