//! The command line, with PocketBase 0.40.6's commands and flags:
//! `serve`, `superuser …`, `migrate …`, `--dir`, `--hooksDir`, … (Go-style camelCase
//! long flags; booleans accept `--flag=false`).

pub mod migrate;
pub mod serve;
pub mod superuser;

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// Flags shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalFlags {
    /// the data directory
    #[arg(long = "dir", global = true, default_value = "./pb_data")]
    pub dir: PathBuf,
    /// enable dev mode, aka. printing logs and sql statements to the console
    #[arg(long = "dev", global = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub dev: bool,
    /// the env variable whose value of 32 characters will be used as encryption key for the app settings (default none)
    #[arg(long = "encryptionEnv", global = true)]
    pub encryption_env: Option<String>,
    /// the directory with the JS app hooks (default "<dir>/../pb_hooks")
    #[arg(long = "hooksDir", global = true)]
    pub hooks_dir: Option<PathBuf>,
    /// the total prewarm JS runtimes for the hooks execution
    #[arg(long = "hooksPool", global = true, default_value_t = 15)]
    pub hooks_pool: usize,
    /// auto reload the hooks on pb_hooks file change
    #[arg(long = "hooksWatch", global = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    pub hooks_watch: bool,
    /// fallback the request to index.html on missing static path, e.g. when pretty urls are used with SPA
    #[arg(long = "indexFallback", global = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    pub index_fallback: bool,
    /// the directory with the user defined migrations (default "<dir>/../pb_migrations")
    #[arg(long = "migrationsDir", global = true)]
    pub migrations_dir: Option<PathBuf>,
    /// the directory to serve static files
    #[arg(long = "publicDir", global = true, default_value = "./pb_public")]
    pub public_dir: PathBuf,
    /// the default SELECT queries timeout in seconds
    #[arg(long = "queryTimeout", global = true, default_value_t = 30)]
    pub query_timeout: u64,
    /// enable/disable auto migrations
    #[arg(long = "automigrate", global = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    pub automigrate: bool,
}

/// Ferrobase: a PocketBase-compatible backend in one binary. `-v` prints
/// "ferrobase version X.Y.Z (commit <git hash>[+dirty])" (see build.rs).
#[derive(Debug, Parser)]
#[command(
    name = "ferrobase",
    version = concat!("version ", env!("CARGO_PKG_VERSION"), " (commit ", env!("FERROBASE_GIT_COMMIT"), ")"),
    disable_version_flag = true,
    about = "Ferrobase CLI (PocketBase 0.40 compatible)"
)]
pub struct Cli {
    /// version for ferrobase
    #[arg(short = 'v', short_alias = 'V', long = "version", action = ArgAction::Version)]
    pub version: (),
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Starts the web server (default to 127.0.0.1:8090 if no domain is specified)
    Serve(serve::ServeArgs),
    /// Manage superusers
    #[command(subcommand)]
    Superuser(superuser::SuperuserCommand),
    /// Executes app DB migration scripts
    #[command(long_about = migrate::ABOUT)]
    Migrate(migrate::MigrateArgs),
    /// A command added by the hooks (`$app.rootCmd.addCommand`)
    #[command(external_subcommand)]
    Hooks(Vec<String>),
}

/// Parses the command line and runs it; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    init_tracing(cli.global.dev);
    let result = match cli.command {
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Superuser(cmd) => superuser::run(&cli.global, cmd),
        Command::Migrate(args) => migrate::run(&cli.global, args),
        Command::Hooks(args) => run_hooks_command(&cli.global, args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            // the whole cause chain: "failed to open the data dir: cannot read …"
            eprintln!("Error: {e:#}");
            1
        }
    }
}

/// `ferrobase <name> [args…]` for a command a hook file added.
fn run_hooks_command(flags: &GlobalFlags, args: Vec<String>) -> anyhow::Result<()> {
    let Some((name, rest)) = args.split_first() else {
        anyhow::bail!("missing command");
    };
    let app = flags.open_app()?;
    let dir = flags.hooks_dir();
    let mut config = crate::jsvm::JsConfig::new(&dir);
    config.pool_size = 1;
    config.watch = false;
    let engine = crate::jsvm::JsEngine::start(&app, config)?;
    if !engine.run_command(name, rest.to_vec())? {
        anyhow::bail!("unknown command \"{name}\" for \"ferrobase\"");
    }
    Ok(())
}

fn init_tracing(dev: bool) {
    let default = if dev { "ferrobase=debug,info" } else { "ferrobase=info,warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

impl GlobalFlags {
    /// The core config for these flags.
    pub fn app_config(&self) -> crate::core::AppConfig {
        let mut c = crate::core::AppConfig::new(&self.dir);
        c.dev = self.dev;
        c.query_timeout = self.query_timeout;
        c.encryption_env = self.encryption_env.clone();
        c
    }

    /// The hooks dir (`--hooksDir`, default `<dir>/../pb_hooks`, cleaned
    /// like Go's `filepath.Join`: `./pb_data/../pb_hooks` is `pb_hooks`).
    pub fn hooks_dir(&self) -> PathBuf {
        self.hooks_dir
            .clone()
            .unwrap_or_else(|| crate::migrations::files::clean_path(&self.dir.join("..").join("pb_hooks")))
    }

    /// Starts the JS engine when the hooks dir exists; a hook file that
    /// fails to load is an error.
    pub fn start_hooks(&self, app: &crate::core::App) -> anyhow::Result<Option<crate::jsvm::JsEngine>> {
        if let Err(e) = crate::jsvm::typings::write(&self.dir) {
            tracing::warn!("cannot write {}/types.d.ts: {e}", self.dir.display());
        }
        self.start_hooks_with(app, self.hooks_watch)
    }

    /// [`GlobalFlags::start_hooks`] without watching (one-shot commands).
    pub fn start_hooks_unwatched(&self, app: &crate::core::App) -> anyhow::Result<Option<crate::jsvm::JsEngine>> {
        self.start_hooks_with(app, false)
    }

    fn start_hooks_with(&self, app: &crate::core::App, watch: bool) -> anyhow::Result<Option<crate::jsvm::JsEngine>> {
        let dir = self.hooks_dir();
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut config = crate::jsvm::JsConfig::new(dir);
        config.pool_size = self.hooks_pool;
        config.watch = watch;
        // PocketBase stops on a broken hook file only without --hooksWatch
        config.strict = !self.hooks_watch;
        Ok(Some(crate::jsvm::JsEngine::start(app, config)?))
    }

    /// The migrations dir (`--migrationsDir`, default `<dir>/../pb_migrations`).
    pub fn migrations_dir(&self) -> PathBuf {
        self.migrations_dir.clone().unwrap_or_else(|| self.dir.join("..").join("pb_migrations"))
    }

    /// Where the JS migrations live (and what they `require()` from).
    pub fn migrations_config(&self) -> crate::migrations::MigrationsConfig {
        crate::migrations::MigrationsConfig { dir: self.migrations_dir(), hooks_dir: self.hooks_dir() }
    }

    /// Opens the app.
    pub fn open_app(&self) -> anyhow::Result<crate::core::App> {
        Ok(crate::core::App::open(self.app_config())?)
    }
}
