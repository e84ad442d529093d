//! One `Config`, read by serde (through figment) from `parley.toml` and the `PARLEY_*` environment
//! variables (and `DATABASE_URL`), each value through a type that checks it: a value that cannot
//! be used stops Parley at start-up with a message naming the variable.
//!
//! Every setting, its variable and its default is listed in the README ("Configuration").

use std::{net::SocketAddr, str::FromStr};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://parley.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// The origins a browser may call Parley from when `PARLEY_CORS_ORIGINS` is not set: any port of
/// the loopback names. Credentials are headers, never cookies, so a page from these origins still
/// needs a key or token to read anything.
pub const DEFAULT_CORS_ORIGINS: &[&str] =
    &["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// The single-user key to accept; when unset, one is generated on first start.
    pub api_key: Option<String>,
    /// The pool size; by default 16 on PostgreSQL and two per core on SQLite (see
    /// [`default_db_connections`]).
    pub db_max_connections: u32,
    pub auth_mode: AuthMode,
    pub registration: Registration,
    pub jwt: JwtSettings,
    pub limits: Limits,
    /// Origins allowed to call Parley from a browser (an origin, `scheme://host:*` for any port
    /// of a host, or `*` alone for any origin); empty means CORS is off. By default the loopback
    /// origins ([`DEFAULT_CORS_ORIGINS`]), so a frontend served from another port of the same
    /// machine works out of the box, as it does with the origin projects.
    pub cors_origins: Vec<String>,
    /// OpenAI-compatible model servers; `default` comes from `PARLEY_OPENAI_*`.
    pub providers: Vec<crate::llm::ProviderSettings>,
    /// How long in-flight requests and streams may run on after SIGTERM.
    pub shutdown_grace_seconds: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// One account; requests authenticate with its API keys.
    Single,
    /// Many accounts: register/login with passwords, JWT bearer tokens, per-account API keys.
    Multi,
}

/// Whether anyone may create an account with `register` (multi-user mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Only the operator creates accounts (`parley account create`); `register` answers 403.
    Closed,
    /// Anyone who can reach Parley may register (and then spend its model providers).
    Open,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub enum JwtAlgorithm {
    #[serde(rename = "HS256")]
    Hs256,
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
}

#[derive(Clone, Debug)]
pub struct JwtSettings {
    /// The one algorithm tokens may use.
    pub algorithm: JwtAlgorithm,
    /// HS256 secret: signs the tokens login issues and verifies them.
    pub secret: Option<String>,
    /// RS256/ES256 public key (PEM) of an external identity provider.
    pub public_key_pem: Option<String>,
    /// Checked (and put in issued tokens) when set.
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub ttl_seconds: u64,
}

#[derive(Clone, Debug)]
pub struct Limits {
    /// Requests per second per principal (sustained), and the burst above it.
    pub rate_per_second: u32,
    pub rate_burst: u32,
    pub graphql_max_depth: usize,
    /// Every selected field counts one wherever fragments put it, aliases and `__typename`
    /// included.
    pub graphql_max_complexity: usize,
    /// The longest GraphQL document text, in bytes.
    pub graphql_max_document_bytes: usize,
    pub max_body_bytes: usize,
    /// The limit for `multipart/form-data` bodies (character-card uploads, GraphQL uploads):
    /// card PNGs are often larger than any JSON request.
    pub max_upload_bytes: usize,
    pub request_timeout_seconds: u64,
    /// Queries executing at once (any transport, REST included); more wait their turn. Mutations
    /// and subscriptions are not counted: a reply may wait seconds for a model.
    pub max_concurrent_queries: usize,
    /// How long a WebSocket may wait before its `connection_init` (then 4408).
    pub ws_init_timeout_seconds: u64,
    /// Open WebSockets per account.
    pub ws_max_per_principal: usize,
    /// Open connections (see `serve`).
    pub max_connections: usize,
    /// How long a client has to send a request's headers, from when its connection opened or
    /// its previous answer went out (so also how long a connection may idle).
    pub header_timeout_seconds: u64,
}

/// SQLite runs in the process: every connection is a thread with a page cache of its own, and
/// one writer at a time, so more connections than cores only cost memory (measured on 2 cores,
/// 64 clients of the 100-session list: 365 req/s and 72 MiB peak with 4, 351 req/s and 96 MiB
/// with 16). PostgreSQL connections are cheap on this side and serve other replicas' load too.
fn default_db_connections(database_url: &str) -> u32 {
    if database_url.starts_with("sqlite:") {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        (2 * cores).clamp(2, 16)
    } else {
        16
    }
}

/// Four queries per core: enough that the cores never wait for the database, few enough that a
/// burst of clients queues instead of holding all their half-built answers in memory at once.
/// Measured on 2 cores, 64 clients of the 100-session query: 421 req/s with 8, 423 without a
/// limit; p99 172 ms against 185 ms; peak RSS 73 MiB against 84 MiB.
fn default_concurrent_queries() -> usize {
    4 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// 10,000 connections, or fewer when the process may not open that many files: the open-file
/// limit less room for the database pool, the log and the connections past the cap.
fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the limit into the struct it is given, nothing else.
    let files = match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } {
        0 => limit.rlim_cur as usize,
        _ => 1024,
    };
    files.saturating_sub(256).clamp(64, 10_000)
}

/// A setting that could not be used; names the key so the operator knows what to fix.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration value for {key}: {message}")]
pub struct ConfigError {
    pub key: &'static str,
    pub message: String,
}

/// Every setting's variable (the README's table lists them with their defaults). The file's key
/// for each is [`file_key`] of it.
pub const SETTINGS: &[&str] = &[
    "DATABASE_URL",
    "PARLEY_BIND",
    "PARLEY_API_KEY",
    "PARLEY_DB_MAX_CONNECTIONS",
    "PARLEY_AUTH_MODE",
    "PARLEY_REGISTRATION",
    "PARLEY_JWT_ALGORITHM",
    "PARLEY_JWT_SECRET",
    "PARLEY_JWT_PUBLIC_KEY",
    "PARLEY_JWT_ISSUER",
    "PARLEY_JWT_AUDIENCE",
    "PARLEY_JWT_TTL_SECONDS",
    "PARLEY_RATE_LIMIT_PER_SECOND",
    "PARLEY_RATE_LIMIT_BURST",
    "PARLEY_GRAPHQL_MAX_DEPTH",
    "PARLEY_GRAPHQL_MAX_COMPLEXITY",
    "PARLEY_GRAPHQL_MAX_DOCUMENT_BYTES",
    "PARLEY_WS_INIT_TIMEOUT_SECONDS",
    "PARLEY_WS_MAX_PER_ACCOUNT",
    "PARLEY_MAX_CONNECTIONS",
    "PARLEY_HEADER_TIMEOUT_SECONDS",
    "PARLEY_MAX_BODY_BYTES",
    "PARLEY_MAX_UPLOAD_BYTES",
    "PARLEY_REQUEST_TIMEOUT_SECONDS",
    "PARLEY_MAX_CONCURRENT_QUERIES",
    "PARLEY_CORS_ORIGINS",
    "PARLEY_OPENAI_BASE_URL",
    "PARLEY_OPENAI_API_KEY",
    "PARLEY_OPENAI_TIMEOUT_SECONDS",
    "PARLEY_PROVIDERS",
    "PARLEY_SHUTDOWN_GRACE_SECONDS",
];

/// `PARLEY_JWT_SECRET` is `jwt_secret` in parley.toml; `DATABASE_URL` is `database_url`.
fn file_key(var: &str) -> String {
    var.strip_prefix("PARLEY_").unwrap_or(var).to_lowercase()
}

/// The variables of a named provider, by suffix: `PARLEY_PROVIDER_{NAME}_BASE_URL`, ...
const PROVIDER_SUFFIXES: [&str; 3] = ["BASE_URL", "API_KEY", "TIMEOUT_SECONDS"];

fn provider_var(name: &str, suffix: &str) -> String {
    format!("PARLEY_PROVIDER_{}_{suffix}", name.to_uppercase())
}

/// Every setting as written, under its file key. serde reads the file and the variables into it,
/// each value through a type that refuses what cannot be used.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Settings {
    database_url: Option<DatabaseUrl>,
    bind: Option<Bind>,
    api_key: Option<ApiKey>,
    db_max_connections: Option<Positive>,
    auth_mode: Option<AuthMode>,
    registration: Option<Registration>,
    jwt_algorithm: Option<JwtAlgorithm>,
    jwt_secret: Option<JwtSecret>,
    jwt_public_key: Option<PublicKey>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    jwt_ttl_seconds: Option<Positive>,
    rate_limit_per_second: Option<Positive>,
    rate_limit_burst: Option<Positive>,
    graphql_max_depth: Option<Positive>,
    graphql_max_complexity: Option<Positive>,
    graphql_max_document_bytes: Option<Positive>,
    ws_init_timeout_seconds: Option<Positive>,
    ws_max_per_account: Option<Positive>,
    max_connections: Option<Positive>,
    header_timeout_seconds: Option<Positive>,
    max_body_bytes: Option<Positive>,
    max_upload_bytes: Option<Positive>,
    request_timeout_seconds: Option<Positive>,
    max_concurrent_queries: Option<Positive>,
    cors_origins: Option<CorsOrigins>,
    openai_base_url: Option<HttpUrl>,
    openai_api_key: Option<String>,
    openai_timeout_seconds: Option<Positive>,
    providers: Option<Names>,
    shutdown_grace_seconds: Option<Positive>,
    /// `provider_{name}_base_url` and its siblings (any other key is refused in
    /// [`Settings::named_providers`]).
    #[serde(flatten)]
    others: std::collections::BTreeMap<String, Scalar>,
}

/// A whole number above zero: a number in the file, text in the environment.
#[derive(Clone, Copy, Debug, serde::Deserialize)]
#[serde(try_from = "Scalar")]
struct Positive(u64);

/// A value as either source writes it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
enum Scalar {
    Number(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Number(n) => write!(f, "{n}"),
            Scalar::Signed(n) => write!(f, "{n}"),
            Scalar::Float(n) => write!(f, "{n}"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Text(text) => f.write_str(text),
        }
    }
}

impl TryFrom<Scalar> for Positive {
    type Error = String;
    fn try_from(value: Scalar) -> Result<Self, String> {
        let number = match &value {
            Scalar::Number(n) => Some(*n),
            Scalar::Text(text) => u64::from_str(text.trim()).ok(),
            _ => None,
        };
        number
            .filter(|n| *n > 0)
            .map(Positive)
            .ok_or_else(|| format!("`{value}` is not a positive whole number"))
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct DatabaseUrl(String);

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(url: String) -> Result<Self, String> {
        if url.starts_with("sqlite:") || url.starts_with("postgres") {
            Ok(DatabaseUrl(url))
        } else {
            Err(format!(
                "`{url}` is neither a sqlite: nor a postgres:// URL"
            ))
        }
    }
}

#[derive(Clone, Copy, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct Bind(SocketAddr);

impl TryFrom<String> for Bind {
    type Error = String;
    fn try_from(bind: String) -> Result<Self, String> {
        bind.parse()
            .map(Bind)
            .map_err(|_| format!("`{bind}` is not an address like 127.0.0.1:8000"))
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct ApiKey(String);

impl TryFrom<String> for ApiKey {
    type Error = &'static str;
    fn try_from(key: String) -> Result<Self, Self::Error> {
        if key.len() < 16 {
            return Err("an API key needs at least 16 characters");
        }
        Ok(ApiKey(key))
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct JwtSecret(String);

impl TryFrom<String> for JwtSecret {
    type Error = &'static str;
    fn try_from(secret: String) -> Result<Self, Self::Error> {
        if secret.len() < 32 {
            return Err("the secret needs at least 32 characters");
        }
        Ok(JwtSecret(secret))
    }
}

/// A PEM key, given as its text or as the path of a file holding it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct PublicKey(String);

impl TryFrom<String> for PublicKey {
    type Error = String;
    fn try_from(pem: String) -> Result<Self, String> {
        if pem.trim_start().starts_with("-----BEGIN") {
            return Ok(PublicKey(pem));
        }
        std::fs::read_to_string(&pem)
            .map(PublicKey)
            .map_err(|e| format!("neither a PEM key nor a readable file: {e}"))
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "String")]
struct HttpUrl(String);

impl TryFrom<String> for HttpUrl {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        url::Url::parse(&value)
            .ok()
            .filter(|u| u.scheme() == "http" || u.scheme() == "https")
            .map(|_| HttpUrl(value.clone()))
            .ok_or_else(|| format!("`{value}` is not an http(s) URL"))
    }
}

/// A list: a list in the file, comma-separated text in the environment.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
enum List {
    Items(Vec<String>),
    Text(String),
}

impl List {
    fn items(self) -> Vec<String> {
        match self {
            List::Items(items) => items,
            List::Text(text) => text.split(',').map(str::to_owned).collect(),
        }
        .iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
    }
}

/// Browser origins: each a valid header value; `*` only alone.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(try_from = "List")]
struct CorsOrigins(Vec<String>);

impl TryFrom<List> for CorsOrigins {
    type Error = String;
    fn try_from(list: List) -> Result<Self, String> {
        let origins = list.items();
        if origins.len() > 1 && origins.iter().any(|origin| origin == "*") {
            return Err("`*` (any origin) stands alone, not in a list".into());
        }
        for origin in &origins {
            axum::http::HeaderValue::from_str(origin)
                .map_err(|_| format!("`{origin}` is not an origin"))?;
        }
        Ok(CorsOrigins(origins))
    }
}

/// Provider names.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(from = "List")]
struct Names(Vec<String>);

impl From<List> for Names {
    fn from(list: List) -> Self {
        Names(list.items())
    }
}

/// The settings among `variables` (`PARLEY_BIND`, `DATABASE_URL`, the variables of the providers
/// `PARLEY_PROVIDERS` names), each value exactly as written: figment's own `Env` reads values as
/// TOML-like data (`0123` would become the number 123, `[a]` a list), and keys and secrets must
/// arrive as typed. Other variables are not settings and are left alone.
struct Variables(figment::value::Dict);

impl Variables {
    fn read(variable: impl Fn(&str) -> Option<String>, providers: &[String]) -> Self {
        let provider_vars = providers.iter().flat_map(|name| {
            PROVIDER_SUFFIXES
                .iter()
                .map(move |suffix| provider_var(name, suffix))
        });
        let names = SETTINGS
            .iter()
            .map(|var| (*var).to_owned())
            .chain(provider_vars);
        Variables(
            names
                .filter_map(|var| Some((file_key(&var), variable(&var)?.into())))
                .collect(),
        )
    }
}

impl figment::Provider for Variables {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("environment variable")
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.0.clone()))
    }
}

/// The variable a figment error is about, from its key path.
fn error_of(error: figment::Error, file: Option<&std::path::Path>) -> ConfigError {
    let key = error.path.first().map(String::as_str).unwrap_or_default();
    match SETTINGS.iter().find(|var| file_key(var) == key) {
        Some(var) => invalid(var, error.kind.to_string()),
        None if key.starts_with("provider_") => invalid("PARLEY_PROVIDERS", error.to_string()),
        None => invalid(
            "PARLEY_CONFIG",
            match file {
                Some(path) => format!("{}: {error}", path.display()),
                None => error.to_string(),
            },
        ),
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        message: message.into(),
    }
}

impl Config {
    /// The bounds `serve` puts on connections.
    pub fn connection_limits(&self) -> crate::serve::ConnectionLimits {
        crate::serve::ConnectionLimits {
            max_connections: self.limits.max_connections,
            header_timeout: std::time::Duration::from_secs(self.limits.header_timeout_seconds),
        }
    }

    /// The configuration of a fresh install: SQLite in the working directory, 127.0.0.1:8000,
    /// single-user mode.
    pub fn defaults() -> Self {
        Settings::default()
            .into_config(None)
            .expect("the defaults are a configuration")
    }

    /// The defaults, overridden by whatever the environment sets.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// The defaults, then the file at `path` (`parley.toml`), then the environment: a variable
    /// that is set wins over the file. The file's keys are the variables' names without `PARLEY_`,
    /// in lower case (`bind`, `jwt_secret`, `rate_limit_per_second`, `database_url`,
    /// `provider_ollama_base_url`, ...); an unknown key is an error naming it.
    pub fn from_env_and_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        use figment::providers::{Format, Toml};
        let file = figment::Figment::from(Toml::file_exact(path));
        let variable = |key: &str| std::env::var(key).ok();
        // A provider is named in either place, and its variables may be set in either.
        let named: Names = match variable("PARLEY_PROVIDERS") {
            Some(names) => List::Text(names).into(),
            None => file.extract_inner("providers").unwrap_or_default(),
        };
        let figment = file.merge(Variables::read(variable, &named.0));
        let settings: Settings = figment
            .extract()
            .map_err(|error| error_of(error, Some(path)))?;
        settings.into_config(Some(path))
    }

    /// Same as [`Config::from_env`], reading variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let named: Names = List::Text(lookup("PARLEY_PROVIDERS").unwrap_or_default()).into();
        let settings: Settings = figment::Figment::from(Variables::read(&lookup, &named.0))
            .extract()
            .map_err(|error| error_of(error, None))?;
        settings.into_config(None)
    }
}

impl Settings {
    /// The configuration these settings make, with the defaults for what they leave out, and the
    /// checks that take more than one setting.
    fn into_config(self, file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let number = |value: Option<Positive>, default: u64| value.map_or(default, |n| n.0);
        let providers = self.named_providers(file)?;
        let database_url = self
            .database_url
            .map_or_else(|| DEFAULT_DATABASE_URL.to_owned(), |url| url.0);
        let config = Config {
            db_max_connections: number(
                self.db_max_connections,
                default_db_connections(&database_url).into(),
            ) as u32,
            database_url,
            bind: match self.bind {
                Some(bind) => bind.0,
                None => DEFAULT_BIND
                    .parse()
                    .expect("the default bind address parses"),
            },
            api_key: self.api_key.map(|key| key.0),
            auth_mode: self.auth_mode.unwrap_or(AuthMode::Single),
            registration: self.registration.unwrap_or(Registration::Closed),
            jwt: JwtSettings {
                algorithm: self.jwt_algorithm.unwrap_or(JwtAlgorithm::Hs256),
                secret: self.jwt_secret.map(|secret| secret.0),
                public_key_pem: self.jwt_public_key.map(|key| key.0),
                issuer: self.jwt_issuer,
                audience: self.jwt_audience,
                ttl_seconds: number(self.jwt_ttl_seconds, 3600),
            },
            limits: Limits {
                rate_per_second: number(self.rate_limit_per_second, 50) as u32,
                rate_burst: number(self.rate_limit_burst, 100) as u32,
                graphql_max_depth: number(self.graphql_max_depth, 12) as usize,
                graphql_max_complexity: number(self.graphql_max_complexity, 1000) as usize,
                graphql_max_document_bytes: number(self.graphql_max_document_bytes, 64 * 1024)
                    as usize,
                max_body_bytes: number(self.max_body_bytes, 1024 * 1024) as usize,
                max_upload_bytes: number(self.max_upload_bytes, 8 * 1024 * 1024) as usize,
                request_timeout_seconds: number(self.request_timeout_seconds, 30),
                max_concurrent_queries: number(
                    self.max_concurrent_queries,
                    default_concurrent_queries() as u64,
                ) as usize,
                ws_init_timeout_seconds: number(self.ws_init_timeout_seconds, 10),
                ws_max_per_principal: number(self.ws_max_per_account, 32) as usize,
                max_connections: number(self.max_connections, default_max_connections() as u64)
                    as usize,
                header_timeout_seconds: number(self.header_timeout_seconds, 20),
            },
            cors_origins: self.cors_origins.map_or_else(
                || {
                    DEFAULT_CORS_ORIGINS
                        .iter()
                        .map(|o| (*o).to_owned())
                        .collect()
                },
                |origins| origins.0,
            ),
            providers: self
                .openai_base_url
                .map(|base| crate::llm::ProviderSettings {
                    name: crate::llm::DEFAULT_PROVIDER.into(),
                    base_url: base.0,
                    api_key: self.openai_api_key,
                    timeout: std::time::Duration::from_secs(number(
                        self.openai_timeout_seconds,
                        60,
                    )),
                })
                .into_iter()
                .chain(providers)
                .collect(),
            shutdown_grace_seconds: number(self.shutdown_grace_seconds, 30),
        };
        if config.auth_mode == AuthMode::Multi {
            match config.jwt.algorithm {
                JwtAlgorithm::Hs256 if config.jwt.secret.is_none() => {
                    return Err(invalid(
                        "PARLEY_JWT_SECRET",
                        "multi-user mode with HS256 needs a secret of 32+ characters",
                    ));
                }
                JwtAlgorithm::Rs256 | JwtAlgorithm::Es256
                    if config.jwt.public_key_pem.is_none() =>
                {
                    return Err(invalid(
                        "PARLEY_JWT_PUBLIC_KEY",
                        "RS256/ES256 need the identity provider's public key (PEM)",
                    ));
                }
                _ => {}
            }
        }
        Ok(config)
    }

    /// Each provider `providers` names, from its `provider_{name}_*` settings; a key that belongs
    /// to no named provider is an unknown setting.
    fn named_providers(
        &self,
        file: Option<&std::path::Path>,
    ) -> Result<Vec<crate::llm::ProviderSettings>, ConfigError> {
        let names = self.providers.clone().unwrap_or_default().0;
        if let Some(key) = self.others.keys().find(|key| {
            !names.iter().any(|name| {
                PROVIDER_SUFFIXES
                    .iter()
                    .any(|suffix| **key == file_key(&provider_var(name, suffix)))
            })
        }) {
            let place = file.map_or_else(String::new, |path| format!(" in {}", path.display()));
            return Err(invalid(
                "PARLEY_CONFIG",
                format!("unknown setting `{key}`{place}"),
            ));
        }
        names
            .iter()
            .map(|name| {
                let setting = |suffix| self.others.get(&file_key(&provider_var(name, suffix)));
                let base_url = setting("BASE_URL").ok_or_else(|| {
                    invalid(
                        "PARLEY_PROVIDERS",
                        format!("provider `{name}` needs {}", provider_var(name, "BASE_URL")),
                    )
                })?;
                let base_url = HttpUrl::try_from(base_url.to_string())
                    .map_err(|message| invalid("PARLEY_PROVIDERS", message))?;
                let timeout = match setting("TIMEOUT_SECONDS") {
                    None => 60,
                    Some(value) => {
                        Positive::try_from(value.clone())
                            .map_err(|_| {
                                invalid(
                                    "PARLEY_PROVIDERS",
                                    format!(
                                        "{} is not a positive number",
                                        provider_var(name, "TIMEOUT_SECONDS")
                                    ),
                                )
                            })?
                            .0
                    }
                };
                Ok(crate::llm::ProviderSettings {
                    name: name.clone(),
                    base_url: base_url.0,
                    api_key: setting("API_KEY").map(ToString::to_string),
                    timeout: std::time::Duration::from_secs(timeout),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn bad_values_name_their_key() {
        for (key, value) in [
            ("PARLEY_BIND", "nonsense"),
            ("PARLEY_AUTH_MODE", "many"),
            ("PARLEY_JWT_ALGORITHM", "none"),
            ("PARLEY_JWT_SECRET", "short"),
            ("PARLEY_RATE_LIMIT_PER_SECOND", "0"),
            ("PARLEY_MAX_BODY_BYTES", "lots"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let error = with(&[(key, value)]).unwrap_err();
            assert_eq!(error.key, key, "{error}");
        }
        let error = with(&[("PARLEY_AUTH_MODE", "multi")]).unwrap_err();
        assert_eq!(error.key, "PARLEY_JWT_SECRET");
        let error = with(&[
            ("PARLEY_AUTH_MODE", "multi"),
            ("PARLEY_JWT_ALGORITHM", "RS256"),
        ])
        .unwrap_err();
        assert_eq!(error.key, "PARLEY_JWT_PUBLIC_KEY");
    }

    #[test]
    fn the_file_is_read_under_the_environment() {
        let dir = std::env::temp_dir().join(format!("parley-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("parley.toml");
        std::fs::write(&path, "bind = \"127.0.0.1:9999\"\nrate_limit_per_second = 7\ncors_origins = [\"http://localhost:3000\"]\n").unwrap();
        let config = Config::from_env_and_file(&path).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:9999");
        assert_eq!(config.limits.rate_per_second, 7);
        assert_eq!(
            config.cors_origins,
            vec!["http://localhost:3000".to_string()]
        );
        std::fs::write(&path, "bindd = \"x\"\n").unwrap();
        let error = Config::from_env_and_file(&path).unwrap_err();
        assert!(error.message.contains("bindd"), "{error}");
        std::fs::write(&path, "bind = \"nonsense\"\n").unwrap();
        assert_eq!(
            Config::from_env_and_file(&path).unwrap_err().key,
            "PARLEY_BIND"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn named_providers_come_from_their_variables() {
        let config = with(&[
            ("PARLEY_OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("PARLEY_PROVIDERS", "ollama, vllm"),
            (
                "PARLEY_PROVIDER_OLLAMA_BASE_URL",
                "http://127.0.0.1:11435/v1",
            ),
            ("PARLEY_PROVIDER_OLLAMA_TIMEOUT_SECONDS", "7"),
            ("PARLEY_PROVIDER_VLLM_BASE_URL", "http://localhost:8001/v1"),
            ("PARLEY_PROVIDER_VLLM_API_KEY", "sk-local"),
        ])
        .unwrap();
        let found: Vec<(&str, &str, Option<&str>, u64)> = config
            .providers
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.base_url.as_str(),
                    p.api_key.as_deref(),
                    p.timeout.as_secs(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("default", "http://127.0.0.1:11434/v1", None, 60),
                ("ollama", "http://127.0.0.1:11435/v1", None, 7),
                ("vllm", "http://localhost:8001/v1", Some("sk-local"), 60),
            ]
        );
        // A named provider without its base URL is a configuration error saying which.
        let error = with(&[("PARLEY_PROVIDERS", "ghost")]).unwrap_err();
        assert_eq!(error.key, "PARLEY_PROVIDERS", "{error}");
        assert!(
            error.to_string().contains("PARLEY_PROVIDER_GHOST_BASE_URL"),
            "{error}"
        );
    }

    #[test]
    fn cors_origins_default_to_loopback_and_can_be_replaced_or_emptied() {
        assert_eq!(with(&[]).unwrap().cors_origins, DEFAULT_CORS_ORIGINS);
        let config = with(&[(
            "PARLEY_CORS_ORIGINS",
            "http://localhost:3000, https://app.localhost",
        )]);
        assert_eq!(
            config.unwrap().cors_origins,
            ["http://localhost:3000", "https://app.localhost"]
        );
        assert!(
            with(&[("PARLEY_CORS_ORIGINS", "")])
                .unwrap()
                .cors_origins
                .is_empty()
        );
        assert_eq!(
            with(&[("PARLEY_CORS_ORIGINS", "*, http://localhost:3000")])
                .unwrap_err()
                .key,
            "PARLEY_CORS_ORIGINS"
        );
    }

    #[test]
    fn values_arrive_as_written() {
        // A key of digits keeps its leading zero; text that looks like a list stays text.
        let config = with(&[
            ("PARLEY_API_KEY", "0123456789012345"),
            ("PARLEY_JWT_ISSUER", "[issuer]"),
        ])
        .unwrap();
        assert_eq!(config.api_key.as_deref(), Some("0123456789012345"));
        assert_eq!(config.jwt.issuer.as_deref(), Some("[issuer]"));
    }

    #[test]
    fn a_file_may_hold_named_providers_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.toml");
        std::fs::write(
            &path,
            "providers = [\"local\"]\nprovider_local_base_url = \"http://127.0.0.1:11434/v1\"\nprovider_local_timeout_seconds = 5\n",
        )
        .unwrap();
        let config = Config::from_env_and_file(&path).unwrap();
        let local = config.providers.iter().find(|p| p.name == "local").unwrap();
        assert_eq!(local.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(local.timeout.as_secs(), 5);
        std::fs::write(
            &path,
            "provider_ghost_base_url = \"http://127.0.0.1:1/v1\"\n",
        )
        .unwrap();
        let error = Config::from_env_and_file(&path).unwrap_err();
        assert!(error.message.contains("provider_ghost_base_url"), "{error}");
    }

    #[test]
    fn defaults_need_nothing() {
        let config = with(&[]).unwrap();
        assert_eq!(config.auth_mode, AuthMode::Single);
        assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    }
}
