//! One `Config`, read from `PARLEY_*` environment variables (and `DATABASE_URL`).
//!
//! Every setting, its variable and its default:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://parley.db?mode=rwc` | SQLite file (created) or `postgres://...` |
//! | `PARLEY_BIND` | `127.0.0.1:8000` | address to listen on |
//! | `PARLEY_API_KEY` | generated on first start | the single-user API key |
//! | `PARLEY_DB_MAX_CONNECTIONS` | `16` | size of the database pool |

use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://parley.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// The single-user key to accept; when unset, one is generated on first start.
    pub api_key: Option<String>,
    pub db_max_connections: u32,
}

/// A setting that could not be used; names the key so the operator knows what to fix.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration value for {key}: {message}")]
pub struct ConfigError {
    pub key: &'static str,
    pub message: String,
}

impl Config {
    /// The configuration of a fresh install: SQLite in the working directory, 127.0.0.1:8000.
    pub fn defaults() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: DEFAULT_BIND
                .parse()
                .expect("the default bind address parses"),
            api_key: None,
            db_max_connections: 16,
        }
    }

    /// The defaults, overridden by whatever the environment sets.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Same as [`Config::from_env`], reading variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::defaults();
        if let Some(url) = lookup("DATABASE_URL") {
            if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
                return Err(ConfigError {
                    key: "DATABASE_URL",
                    message: format!("`{url}` is neither a sqlite: nor a postgres:// URL"),
                });
            }
            config.database_url = url;
        }
        if let Some(bind) = lookup("PARLEY_BIND") {
            config.bind = bind.parse().map_err(|_| ConfigError {
                key: "PARLEY_BIND",
                message: format!("`{bind}` is not an address like 127.0.0.1:8000"),
            })?;
        }
        if let Some(key) = lookup("PARLEY_API_KEY") {
            if key.len() < 16 {
                return Err(ConfigError {
                    key: "PARLEY_API_KEY",
                    message: "an API key needs at least 16 characters".to_owned(),
                });
            }
            config.api_key = Some(key);
        }
        if let Some(n) = lookup("PARLEY_DB_MAX_CONNECTIONS") {
            config.db_max_connections =
                n.parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError {
                        key: "PARLEY_DB_MAX_CONNECTIONS",
                        message: format!("`{n}` is not a positive whole number"),
                    })?;
        }
        Ok(config)
    }
}
