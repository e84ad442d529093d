//! One `Config`, read from `PARLEY_*` environment variables (and `DATABASE_URL`), checked at
//! start-up: a value that cannot be used stops Parley with a message naming the variable.
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// One account; requests authenticate with its API keys.
    Single,
    /// Many accounts: register/login with passwords, JWT bearer tokens, per-account API keys.
    Multi,
}

/// Whether anyone may create an account with `register` (multi-user mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Only the operator creates accounts (`parley account create`); `register` answers 403.
    Closed,
    /// Anyone who can reach Parley may register (and then spend its model providers).
    Open,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
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

/// Every setting's variable (the README's table lists them with their defaults).
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
        Config {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: DEFAULT_BIND
                .parse()
                .expect("the default bind address parses"),
            api_key: None,
            db_max_connections: default_db_connections(DEFAULT_DATABASE_URL),
            auth_mode: AuthMode::Single,
            registration: Registration::Closed,
            jwt: JwtSettings {
                algorithm: JwtAlgorithm::Hs256,
                secret: None,
                public_key_pem: None,
                issuer: None,
                audience: None,
                ttl_seconds: 3600,
            },
            limits: Limits {
                rate_per_second: 50,
                rate_burst: 100,
                graphql_max_depth: 12,
                graphql_max_complexity: 1000,
                graphql_max_document_bytes: 64 * 1024,
                max_body_bytes: 1024 * 1024,
                max_upload_bytes: 8 * 1024 * 1024,
                request_timeout_seconds: 30,
                max_concurrent_queries: default_concurrent_queries(),
                ws_init_timeout_seconds: 10,
                ws_max_per_principal: 32,
                max_connections: default_max_connections(),
                header_timeout_seconds: 20,
            },
            cors_origins: DEFAULT_CORS_ORIGINS
                .iter()
                .map(|o| (*o).to_owned())
                .collect(),
            providers: Vec::new(),
            shutdown_grace_seconds: 30,
        }
    }

    /// The defaults, overridden by whatever the environment sets.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// The defaults, then the file at `path` (`parley.toml`), then the environment: a variable
    /// that is set wins over the file. The file's keys are the variables' names without `PARLEY_`,
    /// in lower case (`bind`, `jwt_secret`, `rate_limit_per_second`, `database_url`, ...); an
    /// unknown key is an error naming it.
    pub fn from_env_and_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        use figment::{
            Figment,
            providers::{Format, Toml},
        };
        let values: std::collections::BTreeMap<String, figment::value::Value> =
            Figment::from(Toml::file_exact(path))
                .extract()
                .map_err(|e| invalid("PARLEY_CONFIG", format!("{}: {e}", path.display())))?;
        let mut file = std::collections::HashMap::new();
        for (key, value) in values {
            let var = SETTINGS
                .iter()
                .find(|var| file_key(var) == key)
                .ok_or_else(|| {
                    invalid(
                        "PARLEY_CONFIG",
                        format!("unknown setting `{key}` in {}", path.display()),
                    )
                })?;
            let text = match serde_json::to_value(&value) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                Ok(other) => other.to_string(),
                Err(e) => return Err(invalid(var, e.to_string())),
            };
            file.insert(*var, text);
        }
        Self::from_lookup(|key| std::env::var(key).ok().or_else(|| file.get(key).cloned()))
    }

    /// Same as [`Config::from_env`], reading variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::defaults();
        let number = |key: &'static str, default: u64| -> Result<u64, ConfigError> {
            match lookup(key) {
                None => Ok(default),
                Some(value) => u64::from_str(value.trim())
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        invalid(key, format!("`{value}` is not a positive whole number"))
                    }),
            }
        };
        if let Some(url) = lookup("DATABASE_URL") {
            if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
                return Err(invalid(
                    "DATABASE_URL",
                    format!("`{url}` is neither a sqlite: nor a postgres:// URL"),
                ));
            }
            config.database_url = url;
        }
        if let Some(bind) = lookup("PARLEY_BIND") {
            config.bind = bind.parse().map_err(|_| {
                invalid(
                    "PARLEY_BIND",
                    format!("`{bind}` is not an address like 127.0.0.1:8000"),
                )
            })?;
        }
        if let Some(key) = lookup("PARLEY_API_KEY") {
            if key.len() < 16 {
                return Err(invalid(
                    "PARLEY_API_KEY",
                    "an API key needs at least 16 characters",
                ));
            }
            config.api_key = Some(key);
        }
        config.db_max_connections = number(
            "PARLEY_DB_MAX_CONNECTIONS",
            default_db_connections(&config.database_url).into(),
        )? as u32;
        config.registration = match lookup("PARLEY_REGISTRATION").as_deref() {
            None | Some("closed") => Registration::Closed,
            Some("open") => Registration::Open,
            Some(other) => {
                return Err(invalid(
                    "PARLEY_REGISTRATION",
                    format!("`{other}` is neither `closed` nor `open`"),
                ));
            }
        };
        config.auth_mode = match lookup("PARLEY_AUTH_MODE").as_deref() {
            None | Some("single") => AuthMode::Single,
            Some("multi") => AuthMode::Multi,
            Some(other) => {
                return Err(invalid(
                    "PARLEY_AUTH_MODE",
                    format!("`{other}` is not single or multi"),
                ));
            }
        };
        config.jwt.algorithm = match lookup("PARLEY_JWT_ALGORITHM").as_deref() {
            None | Some("HS256") => JwtAlgorithm::Hs256,
            Some("RS256") => JwtAlgorithm::Rs256,
            Some("ES256") => JwtAlgorithm::Es256,
            Some(other) => {
                return Err(invalid(
                    "PARLEY_JWT_ALGORITHM",
                    format!("`{other}` is not HS256, RS256 or ES256"),
                ));
            }
        };
        config.jwt.secret = lookup("PARLEY_JWT_SECRET");
        if config.jwt.secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(invalid(
                "PARLEY_JWT_SECRET",
                "the secret needs at least 32 characters",
            ));
        }
        config.jwt.public_key_pem = match lookup("PARLEY_JWT_PUBLIC_KEY") {
            None => None,
            Some(pem) if pem.trim_start().starts_with("-----BEGIN") => Some(pem),
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                invalid(
                    "PARLEY_JWT_PUBLIC_KEY",
                    format!("neither a PEM key nor a readable file: {e}"),
                )
            })?),
        };
        config.jwt.issuer = lookup("PARLEY_JWT_ISSUER");
        config.jwt.audience = lookup("PARLEY_JWT_AUDIENCE");
        config.jwt.ttl_seconds = number("PARLEY_JWT_TTL_SECONDS", 3600)?;
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
        let limits = &mut config.limits;
        limits.rate_per_second = number("PARLEY_RATE_LIMIT_PER_SECOND", 50)? as u32;
        limits.rate_burst = number("PARLEY_RATE_LIMIT_BURST", 100)? as u32;
        limits.graphql_max_depth = number("PARLEY_GRAPHQL_MAX_DEPTH", 12)? as usize;
        limits.graphql_max_complexity = number("PARLEY_GRAPHQL_MAX_COMPLEXITY", 1000)? as usize;
        limits.graphql_max_document_bytes =
            number("PARLEY_GRAPHQL_MAX_DOCUMENT_BYTES", 64 * 1024)? as usize;
        limits.max_body_bytes = number("PARLEY_MAX_BODY_BYTES", 1024 * 1024)? as usize;
        limits.max_upload_bytes = number("PARLEY_MAX_UPLOAD_BYTES", 8 * 1024 * 1024)? as usize;
        limits.request_timeout_seconds = number("PARLEY_REQUEST_TIMEOUT_SECONDS", 30)?;
        limits.max_concurrent_queries = number(
            "PARLEY_MAX_CONCURRENT_QUERIES",
            default_concurrent_queries() as u64,
        )? as usize;
        if let Some(origins) = lookup("PARLEY_CORS_ORIGINS") {
            let any = origins.split(',').any(|origin| origin.trim() == "*");
            if any && origins.split(',').filter(|o| !o.trim().is_empty()).count() > 1 {
                return Err(invalid(
                    "PARLEY_CORS_ORIGINS",
                    "`*` (any origin) stands alone, not in a list",
                ));
            }
            config.cors_origins = origins
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|origin| {
                    axum::http::HeaderValue::from_str(origin)
                        .map(|_| origin.to_owned())
                        .map_err(|_| {
                            invalid(
                                "PARLEY_CORS_ORIGINS",
                                format!("`{origin}` is not an origin"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        limits.ws_init_timeout_seconds = number("PARLEY_WS_INIT_TIMEOUT_SECONDS", 10)?;
        limits.ws_max_per_principal = number("PARLEY_WS_MAX_PER_ACCOUNT", 32)? as usize;
        limits.max_connections =
            number("PARLEY_MAX_CONNECTIONS", default_max_connections() as u64)? as usize;
        limits.header_timeout_seconds = number("PARLEY_HEADER_TIMEOUT_SECONDS", 20)?;
        config.providers = providers(&lookup, &number)?;
        config.shutdown_grace_seconds = number("PARLEY_SHUTDOWN_GRACE_SECONDS", 30)?;
        Ok(config)
    }
}

/// `default` from `PARLEY_OPENAI_BASE_URL` / `_API_KEY` / `_TIMEOUT_SECONDS` (the names the OpenAI
/// SDKs use), and each name in `PARLEY_PROVIDERS` from `PARLEY_PROVIDER_{NAME}_BASE_URL` / ...
fn providers(
    lookup: &impl Fn(&str) -> Option<String>,
    number: &impl Fn(&'static str, u64) -> Result<u64, ConfigError>,
) -> Result<Vec<crate::llm::ProviderSettings>, ConfigError> {
    let mut providers = Vec::new();
    let url = |key: &'static str, value: String| -> Result<String, ConfigError> {
        url::Url::parse(&value)
            .ok()
            .filter(|u| u.scheme() == "http" || u.scheme() == "https")
            .map(|_| value.clone())
            .ok_or_else(|| invalid(key, format!("`{value}` is not an http(s) URL")))
    };
    if let Some(base) = lookup("PARLEY_OPENAI_BASE_URL") {
        providers.push(crate::llm::ProviderSettings {
            name: crate::llm::DEFAULT_PROVIDER.into(),
            base_url: url("PARLEY_OPENAI_BASE_URL", base)?,
            api_key: lookup("PARLEY_OPENAI_API_KEY"),
            timeout: std::time::Duration::from_secs(number("PARLEY_OPENAI_TIMEOUT_SECONDS", 60)?),
        });
    }
    for name in lookup("PARLEY_PROVIDERS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let var = |suffix: &str| format!("PARLEY_PROVIDER_{}_{suffix}", name.to_uppercase());
        let base = lookup(&var("BASE_URL")).ok_or_else(|| {
            invalid(
                "PARLEY_PROVIDERS",
                format!("provider `{name}` needs {}", var("BASE_URL")),
            )
        })?;
        let timeout = match lookup(&var("TIMEOUT_SECONDS")) {
            None => 60,
            Some(t) => t.parse().ok().filter(|t| *t > 0).ok_or_else(|| {
                invalid(
                    "PARLEY_PROVIDERS",
                    format!("{} is not a positive number", var("TIMEOUT_SECONDS")),
                )
            })?,
        };
        providers.push(crate::llm::ProviderSettings {
            name: name.to_owned(),
            base_url: url("PARLEY_PROVIDERS", base)?,
            api_key: lookup(&var("API_KEY")),
            timeout: std::time::Duration::from_secs(timeout),
        });
    }
    Ok(providers)
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
    fn defaults_need_nothing() {
        let config = with(&[]).unwrap();
        assert_eq!(config.auth_mode, AuthMode::Single);
        assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    }
}
