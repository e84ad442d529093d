//! Who is asking: API keys (`X-API-KEY`, both modes) and JWT bearer tokens (multi-user mode), the
//! `Principal` every query is scoped by, and the per-principal rate limit.

pub mod api_key;
pub mod jwt;
pub mod password;
mod scope;

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use axum::http::{HeaderMap, header};
use chrono::Utc;
use entity::account;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub use api_key::{
    ApiKeys, SINGLE_USER_NAME, bootstrap_single_user, generate_api_key, store_api_key,
};
pub use scope::{
    Labeled, Owned, Versioned, live_message_tallies, live_message_tally, live_session_tally,
};

use crate::{
    config::{AuthMode, Config, ConfigError, Registration},
    error::{AppError, AppResult},
    throttle::Throttle,
};

/// The credential a request carries: an API key (`X-API-KEY`, or `Authorization: Bearer` as
/// OpenAI SDKs send it), or a JWT bearer token. A bearer value is a JWT when it has a JWT's shape
/// (three dot-separated base64url parts); anything else is an API key. `X-API-KEY` wins when both
/// are sent.
#[derive(Debug, PartialEq, Eq)]
enum Credential<'a> {
    ApiKey(&'a str),
    Token(&'a str),
}

impl<'a> Credential<'a> {
    fn of(headers: &'a HeaderMap) -> AppResult<Option<Self>> {
        if let Some(key) = headers.get(api_key::API_KEY_HEADER) {
            let key = key
                .to_str()
                .map_err(|_| AppError::Unauthenticated("invalid API key".into()))?;
            return Ok(Some(Credential::ApiKey(key)));
        }
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let bearer = authorization
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty());
        // Another scheme (Basic, ...) is not Parley's to read: as if no credential were sent.
        let Some(bearer) = bearer else {
            return Ok(None);
        };
        Ok(Some(if looks_like_jwt(bearer) {
            Credential::Token(bearer)
        } else {
            Credential::ApiKey(bearer)
        }))
    }
}

/// A compact JWS: three base64url parts, the first two non-empty.
fn looks_like_jwt(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts.iter().all(|part| {
            part.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A username as people type it, in its one stored form: trimmed, NFKC-normalised (so that
/// look-alike compositions are one name) and lower-cased (so that `Ada` and `ada` are one
/// account); 1 to 64 letters, digits, `.`, `_`, `-` or `@`. Names from an identity provider are
/// its subjects and are never parsed as this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> AppResult<Self> {
        use unicode_normalization::UnicodeNormalization;
        // Bounded before normalising (a body may hold a megabyte of name): NFKC composes at most
        // a few characters into one, so input past this many bytes cannot come out at 64
        // characters; it is refused without the work.
        if raw.trim().len() > 64 * 4 * 18 {
            return Err(AppError::invalid(
                "username",
                "a username has 1 to 64 letters, digits, '.', '_', '-' or '@'",
            ));
        }
        let name: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        let length = name.chars().count();
        if !(1..=64).contains(&length)
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || "._-@".contains(c))
        {
            return Err(AppError::invalid(
                "username",
                "a username has 1 to 64 letters, digits, '.', '_', '-' or '@'",
            ));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The address a request came from (its TCP peer), for throttling what needs no credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub std::net::IpAddr);

impl ClientAddress {
    /// The address `parley::serve` recorded for the request's connection, if any.
    pub fn of(
        connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    ) -> Option<Self> {
        connect
            .map(|axum::Extension(axum::extract::ConnectInfo(address))| ClientAddress(address.ip()))
    }

    /// The same, read from a request's extensions.
    pub fn in_extensions(extensions: &axum::http::Extensions) -> Option<Self> {
        extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|axum::extract::ConnectInfo(address)| ClientAddress(address.ip()))
    }
}

/// Login and registration attempts: per username (10 at once, then one every 30 s) and per
/// client address (30 at once, then one every 2 s), in process. Counting attempts rather than
/// failures keeps one mechanism (governor) for every throttle; a person logs in far less often.
struct LoginThrottle {
    per_username: Throttle<String>,
    per_address: Throttle<std::net::IpAddr>,
}

impl LoginThrottle {
    fn new() -> Self {
        let burst = |n: u32| NonZeroU32::new(n).expect("not zero");
        LoginThrottle {
            per_username: Throttle::every(Duration::from_secs(30), burst(10)),
            per_address: Throttle::every(Duration::from_secs(2), burst(30)),
        }
    }

    fn check(&self, username: Option<&str>, client: Option<ClientAddress>) -> AppResult<()> {
        let limited = |wait: Duration| AppError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        };
        if let Some(ClientAddress(address)) = client {
            self.per_address.check(address).map_err(limited)?;
        }
        if let Some(username) = username {
            self.per_username
                .check(username.to_owned())
                .map_err(limited)?;
        }
        Ok(())
    }
}

/// The longest password accepted (Argon2 reads all of it).
pub const MAX_PASSWORD_LENGTH: usize = 1024;

/// The authenticated caller. Every read and write is filtered by `account_id` (see [`Owned`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Principal {
    pub account_id: i32,
}

/// Turns a request's credentials into a [`Principal`]; issues tokens at login.
#[derive(Clone)]
pub struct Authenticator {
    db: DatabaseConnection,
    pub mode: AuthMode,
    pub api_keys: ApiKeys,
    jwt: Option<Arc<jwt::Jwt>>,
    /// Username -> account id, for bearer tokens (accounts are never renamed).
    accounts: moka::sync::Cache<String, i32>,
    limiter: Arc<Throttle<i32>>,
    login_throttle: Arc<LoginThrottle>,
    registration: Registration,
    /// Password hashes computed at once, on the blocking pool: Argon2 takes tens of
    /// milliseconds of CPU, which on the async workers stalled every other request.
    hashing: Arc<tokio::sync::Semaphore>,
}

/// What login and register answer.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
}

impl Authenticator {
    pub fn new(db: DatabaseConnection, config: &Config) -> Result<Self, ConfigError> {
        let jwt = match config.auth_mode {
            AuthMode::Multi => Some(Arc::new(jwt::Jwt::new(&config.jwt)?)),
            AuthMode::Single => None,
        };
        let positive = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Ok(Authenticator {
            api_keys: ApiKeys::new(db.clone()),
            db,
            mode: config.auth_mode,
            jwt,
            accounts: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            limiter: Arc::new(Throttle::with_burst(
                positive(config.limits.rate_per_second),
                positive(config.limits.rate_burst),
            )),
            login_throttle: Arc::new(LoginThrottle::new()),
            registration: config.registration,
            // Half the cores: the other half keeps answering everything else.
            hashing: Arc::new(tokio::sync::Semaphore::new(
                (std::thread::available_parallelism().map_or(2, |n| n.get()) / 2).max(1),
            )),
        })
    }

    /// The principal the request's credentials name; `None` when it carries none. Bad
    /// credentials are UNAUTHENTICATED; a principal over its rate limit is RATE_LIMITED.
    pub async fn identify(&self, headers: &HeaderMap) -> AppResult<Option<Principal>> {
        let principal = self.verify(headers).await?;
        if let Some(principal) = principal
            && let Err(wait) = self.limiter.check(principal.account_id)
        {
            return Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        Ok(principal)
    }

    /// The principal the credentials name, without spending the rate limit (an open socket
    /// verifying that its key has not been revoked).
    pub async fn verify(&self, headers: &HeaderMap) -> AppResult<Option<Principal>> {
        let principal = match Credential::of(headers)? {
            None => return Ok(None),
            Some(Credential::ApiKey(key)) => self.api_keys.verify(key).await?,
            Some(Credential::Token(token)) => {
                let Some(jwt) = &self.jwt else {
                    return Err(AppError::Unauthenticated(
                        "bearer tokens need multi-user mode; send an API key".into(),
                    ));
                };
                let username = jwt.verify(token)?;
                self.account_for_token(&username).await?
            }
        };
        Ok(Some(principal))
    }

    /// Like [`Authenticator::identify`], but credentials are required.
    pub async fn authenticate(&self, headers: &HeaderMap) -> AppResult<Principal> {
        self.identify(headers).await?.ok_or_else(|| {
            AppError::Unauthenticated(
                "missing credentials: send an API key as X-API-KEY or a bearer token".into(),
            )
        })
    }

    /// The account a verified token names. With an external identity provider (RS256/ES256),
    /// an account is created the first time its `sub` is seen; with Parley's own tokens it must
    /// exist.
    async fn account_for_token(&self, username: &str) -> AppResult<Principal> {
        // The bootstrap account is reached with its API keys only: an identity provider's `sub`
        // of `default` must not become it.
        if username == SINGLE_USER_NAME {
            return Err(AppError::Unauthenticated(
                "this token's subject names no account".into(),
            ));
        }
        if let Some(account_id) = self.accounts.get(username) {
            return Ok(Principal { account_id });
        }
        let found = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        let account_id = match found {
            Some(account) => account.id,
            None if self.jwt.as_ref().is_some_and(|jwt| !jwt.signs()) => {
                account::ActiveModel {
                    username: Set(username.to_owned()),
                    password_hash: Set(None),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&self.db)
                .await?
                .id
            }
            None => return Err(AppError::Unauthenticated("unknown account".into())),
        };
        self.accounts.insert(username.to_owned(), account_id);
        Ok(Principal { account_id })
    }

    fn signing_jwt(&self) -> AppResult<&jwt::Jwt> {
        match &self.jwt {
            Some(jwt) if jwt.signs() => Ok(jwt),
            Some(_) => Err(AppError::Conflict(
                "accounts come from the identity provider; log in there".into(),
            )),
            None => Err(AppError::Conflict(
                "registration and login need multi-user mode (PARLEY_AUTH_MODE=multi)".into(),
            )),
        }
    }

    fn token_for(&self, username: &str) -> AppResult<IssuedToken> {
        let jwt = self.signing_jwt()?;
        Ok(IssuedToken {
            access_token: jwt.issue(username)?,
            expires_in: jwt.ttl_seconds,
        })
    }

    /// Creates an account with a password and logs it in.
    pub async fn register(
        &self,
        username: &str,
        password: &str,
        client: Option<ClientAddress>,
    ) -> AppResult<IssuedToken> {
        self.signing_jwt()?;
        if self.registration == Registration::Closed {
            return Err(AppError::Forbidden(
                "registration is closed: the operator creates accounts (parley account create)"
                    .into(),
            ));
        }
        self.login_throttle.check(None, client)?;
        let username = self.create_account(username, password).await?;
        self.token_for(&username)
    }

    /// Creates an account with a password (what `register` does when registration is open, and
    /// what `parley account create` does always); answers the username as stored.
    pub async fn create_account(&self, username: &str, password: &str) -> AppResult<String> {
        check_password_length(password)?;
        let username = Username::parse(username)?;
        let username = username.as_str();
        if password.chars().count() < password::MIN_PASSWORD_LENGTH {
            return Err(AppError::invalid(
                "password",
                format!(
                    "a password needs at least {} characters",
                    password::MIN_PASSWORD_LENGTH
                ),
            ));
        }
        let taken = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .one(&self.db)
            .await?
            .is_some();
        if taken {
            return Err(AppError::Conflict(format!(
                "username `{username}` is taken"
            )));
        }
        let hash = {
            let password = password.to_owned();
            self.hashing(move || password::hash(&password)).await??
        };
        account::ActiveModel {
            username: Set(username.to_owned()),
            password_hash: Set(Some(hash)),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::BadUserInput { .. } => {
                AppError::Conflict(format!("username `{username}` is taken"))
            }
            other => other,
        })?;
        Ok(username.to_owned())
    }

    /// A token for the account whose password this is. Unknown users and wrong passwords answer
    /// the same, so the answer does not tell which usernames exist.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<ClientAddress>,
    ) -> AppResult<IssuedToken> {
        self.signing_jwt()?;
        // Throttled by the name's stored form: `Ada` and `ada` are one account's attempts.
        let normalised = Username::parse(username).ok();
        let as_typed = username.trim();
        let key = normalised.as_ref().map_or(as_typed, Username::as_str);
        self.login_throttle.check(Some(key), client)?;
        check_password_length(password)?;
        let mut account = account::Entity::find()
            .filter(account::Column::Username.eq(key))
            .one(&self.db)
            .await?;
        // An account registered before names were normalised, that the migration could not
        // rename (a collision, or a non-ASCII capital on SQLite), is found as typed.
        if account.is_none() && as_typed != key {
            account = account::Entity::find()
                .filter(account::Column::Username.eq(as_typed))
                .filter(account::Column::PasswordHash.is_not_null())
                .one(&self.db)
                .await?;
        }
        // Unknown users cost the same time as a real check.
        let stored = account
            .as_ref()
            .and_then(|a| a.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let password = password.to_owned();
        let matches = self
            .hashing(move || password::verify(&password, &stored))
            .await?;
        let valid = matches && account.as_ref().is_some_and(|a| a.password_hash.is_some());
        match account {
            Some(account) if valid => self.token_for(&account.username),
            _ => Err(AppError::Unauthenticated(
                "incorrect username or password".into(),
            )),
        }
    }
}

impl Authenticator {
    /// Runs a password hash on the blocking pool, on at most half the cores at a time.
    async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AppError::internal(std::io::Error::other(e)))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::internal(std::io::Error::other(e)))
    }
}

fn check_password_length(password: &str) -> AppResult<()> {
    if password.chars().count() > MAX_PASSWORD_LENGTH {
        return Err(AppError::invalid(
            "password",
            format!("a password has at most {MAX_PASSWORD_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// An Argon2id hash of a random string, checked against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3SOVUA8GlqdlKPN8b1tIs8ZrHf4Q1cJ8Q2uFDG7TD8A";
