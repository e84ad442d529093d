//! The `parley` command: `serve` (the default), `migrate`, `schema`, `openapi`, `api-key`,
//! `import-card`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parley::{Config, metrics::Metrics};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "A GraphQL gateway, with REST compatibility, for character chat sessions"
)]
struct Cli {
    /// A parley.toml to read settings from (environment variables win over it).
    #[arg(long, global = true, env = "PARLEY_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL on PARLEY_BIND (default 127.0.0.1:8000). The default command.
    Serve,
    /// Apply pending database migrations (`up`, the default), roll the last one back (`down`), or
    /// list them (`status`). `serve` applies them too.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL), as checked in at schema.graphql.
    Schema,
    /// Print the OpenAPI document of the REST surfaces, as checked in at openapi.json.
    Openapi,
    /// Create, list or revoke API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Create accounts (multi-user mode: how accounts are made while registration is closed).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Import a character card (V1, V2 or V3; a JSON file or a PNG with the card embedded) as a
    /// new character, and print its id and label.
    ImportCard {
        /// The card file.
        file: std::path::PathBuf,
        /// The new character's label (default: the card's name as a slug, made unique).
        #[arg(long)]
        label: Option<String>,
        /// The account's username (default: the single-user account).
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MigrateAction {
    Up,
    Down,
    Status,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account with a password, read from the first line of standard input (so it
    /// stays out of the shell's history and the process list): `echo "$PW" | parley account
    /// create ada`.
    Create {
        /// The new account's username.
        username: String,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it (once: only its hash is stored).
    Create {
        /// What the key is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The account's username (default: the single-user account).
        #[arg(long)]
        account: Option<String>,
    },
    /// List an account's keys (never the keys themselves).
    List {
        #[arg(long)]
        account: Option<String>,
    },
    /// Revoke a key by its id (from `list`).
    Revoke {
        id: i32,
        #[arg(long)]
        account: Option<String>,
    },
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
        .block_on(run())
}

/// Asks Linux for no transparent huge pages in this process. With them, memory becomes resident
/// in 2 MiB steps however little of each step is in use: mimalloc asks for them on its arena
/// unless built with `no_thp` (as here), and a kernel set to `always` gives them unasked. Over
/// bench/run's queries the peak RSS went from 70.6 to 55.5 MiB and the idle RSS from 36.8 to
/// 28.2 MiB, with the same throughput (bench/RESULTS.md). With `MIMALLOC_ALLOW_THP` set (to
/// anything) the kernel's own setting decides. Called before the runtime starts its threads.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches none of our memory.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

async fn run() -> ExitCode {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // PARLEY_LOG_FORMAT=json: one JSON object a line, for log collectors; `text` (the default)
    // for people.
    match std::env::var("PARLEY_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().init(),
        Err(_) | Ok("text") => logs.init(),
        Ok(other) => {
            eprintln!(
                "error: invalid configuration value for PARLEY_LOG_FORMAT: `{other}` is not json or text"
            );
            return ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    match command {
        Command::Schema => {
            print!("{}", parley::graphql::sdl());
            return ExitCode::SUCCESS;
        }
        Command::Openapi => {
            println!("{}", parley::rest::openapi_json());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let config = match &cli.config {
        Some(path) => Config::from_env_and_file(path),
        None => Config::from_env(),
    };
    let config = match config {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Migrate { action } => migrate(&config, action).await,
        Command::ApiKey(command) => api_key(&config, command).await,
        Command::Account(AccountCommand::Create { username }) => {
            create_account(&config, &username).await
        }
        Command::ImportCard {
            file,
            label,
            account,
        } => import_card(&config, &file, label, account).await,
        _ => serve(&config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    use migration::{Migrator, MigratorTrait};
    let db = parley::db::open(&config.database_url, 1, &Metrics::new()).await?;
    match action {
        MigrateAction::Up => {
            Migrator::up(&db, None).await?;
            println!("migrations applied");
        }
        MigrateAction::Down => {
            Migrator::down(&db, Some(1)).await?;
            println!("rolled back the last migration");
        }
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(&db).await?;
            let pending = Migrator::get_pending_migrations(&db).await?;
            for migration in &applied {
                println!("applied  {}", migration.name());
            }
            for migration in &pending {
                println!("pending  {}", migration.name());
            }
        }
    }
    Ok(())
}

/// The account a command acts for: the one named, or the single-user account.
async fn account(
    db: &sea_orm::DatabaseConnection,
    username: Option<String>,
) -> anyhow::Result<parley::auth::Principal> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let account_id = match username {
        None => parley::auth::api_key::single_user_account(db).await?,
        Some(username) => {
            entity::account::Entity::find()
                .filter(entity::account::Column::Username.eq(&username))
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account named `{username}`"))?
                .id
        }
    };
    Ok(parley::auth::Principal { account_id })
}

async fn import_card(
    config: &Config,
    file: &std::path::Path,
    label: Option<String>,
    username: Option<String>,
) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let db = parley::db::connect(&config.database_url, 1, &Metrics::new()).await?;
    let principal = account(&db, username).await?;
    let character = parley::service::character::import(&db, principal, &bytes, label)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!(
        "imported character {} ({}, label `{}`)",
        character.id, character.name, character.label
    );
    Ok(())
}

async fn create_account(config: &Config, username: &str) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let db = parley::db::connect(&config.database_url, 1, &Metrics::new()).await?;
    let auth = parley::auth::Authenticator::new(db, config)?;
    let username = auth.create_account(username, password).await?;
    println!("created account {username}");
    Ok(())
}

async fn api_key(config: &Config, command: ApiKeyCommand) -> anyhow::Result<()> {
    use parley::auth::{self, Owned};
    use sea_orm::QueryOrder;

    let db = parley::db::connect(&config.database_url, 1, &Metrics::new()).await?;
    let username = match &command {
        ApiKeyCommand::Create { account, .. }
        | ApiKeyCommand::List { account }
        | ApiKeyCommand::Revoke { account, .. } => account.clone(),
    };
    let principal = account(&db, username).await?;
    let account_id = principal.account_id;
    match command {
        ApiKeyCommand::Create { name, .. } => {
            let (row, key) = auth::api_key::create_api_key(&db, account_id, &name).await?;
            println!("created API key {} ({})", row.id, row.name);
            println!("{key}");
            println!("Store it now: it is not shown again.");
        }
        ApiKeyCommand::List { .. } => {
            let keys = entity::api_key::Entity::scoped(principal)
                .order_by_asc(entity::api_key::Column::Id)
                .all(&db)
                .await?;
            println!(
                "{:>5}  {:<12}  {:<24}  {:<27}  {:<27}  revoked",
                "id", "prefix", "name", "created", "last used"
            );
            for key in keys {
                let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_else(|| "-".into())
                };
                println!(
                    "{:>5}  {:<12}  {:<24}  {:<27}  {:<27}  {}",
                    key.id,
                    key.prefix,
                    key.name,
                    time(Some(key.created_at)),
                    time(key.last_used_at),
                    time(key.revoked_at),
                );
            }
        }
        ApiKeyCommand::Revoke { id, .. } => {
            let keys = auth::ApiKeys::new(db.clone());
            let revoked = keys.revoke(principal, id).await?;
            println!("revoked API key {} ({})", revoked.id, revoked.name);
        }
    }
    Ok(())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = parley::build(config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (PARLEY_BIND): {e}", config.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Parley listening on http://{address}");
    println!("GraphiQL: http://{address}/graphql");
    match (&app.single_user.new_api_key, &config.api_key) {
        (Some(key), _) => {
            println!("API key (shown once, it is stored hashed): {key}");
        }
        (None, Some(_)) => println!("API key: the one in PARLEY_API_KEY"),
        (None, None) => println!("API key: the one printed at first start"),
    }
    println!("Send it as the X-API-KEY header.");
    // On SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish for up to the
    // grace period, then close the pool and exit.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let server = parley::serve::serve(
        listener,
        app.router,
        config.connection_limits(),
        async move {
            let mut stop = stop;
            let _ = stop.changed().await;
        },
    );
    let mut server = tokio::spawn(server);
    tokio::select! {
        finished = &mut server => finished?,
        () = shutdown_signal() => {
            tracing::info!(grace_seconds = config.shutdown_grace_seconds, "shutting down");
            let _ = stopping.send(true);
            let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
            match tokio::time::timeout(grace, &mut server).await {
                Ok(finished) => finished?,
                Err(_) => tracing::warn!("grace period over; dropping the requests still running"),
            }
        }
    }
    // The connection is a handle on the pool: closing this clone closes the pool.
    app.state.db.clone().close().await?;
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
