use std::sync::Arc;
use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use entity::{account, api_key};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use super::{Owned, Principal};
use crate::error::{AppError, AppResult};

/// The username of the one account of single-user mode.
pub const SINGLE_USER_NAME: &str = "default";

/// The header API keys arrive in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Verifies API keys against their stored hashes.
///
/// Keys are 256-bit random strings, so a plain SHA-256 is the right hash: unlike passwords they
/// cannot be guessed, and a slow hash would cost every request. Verified keys are remembered for
/// `CACHE_TTL` so a request costs no key lookup; a revoked key therefore stops working on other
/// replicas within that time (this one forgets it at once).
#[derive(Clone)]
pub struct ApiKeys {
    db: DatabaseConnection,
    /// By the key's digest: hex is the database's spelling, and writing it out was a visible
    /// share of a small request's CPU (bench/RESULTS.md), so only a lookup does.
    verified: moka::sync::Cache<KeyDigest, i32>,
    /// Counts revocations on this replica, so open sockets verify their key again at once.
    revoked: Arc<tokio::sync::watch::Sender<u64>>,
}

/// A key's SHA-256.
type KeyDigest = [u8; 32];

const CACHE_TTL: Duration = Duration::from_secs(60);

impl ApiKeys {
    pub fn new(db: DatabaseConnection) -> Self {
        ApiKeys {
            db,
            verified: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            revoked: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Changes whenever this replica revokes a key.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    /// The principal `key` belongs to, or UNAUTHENTICATED (unknown or revoked). `last_used_at`
    /// is recorded when the key is looked up, so it is exact to within the cache's minute.
    pub async fn verify(&self, key: &str) -> AppResult<Principal> {
        let digest: KeyDigest = Sha256::digest(key.as_bytes()).into();
        if let Some(account_id) = self.verified.get(&digest) {
            return Ok(Principal { account_id });
        }
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hex::encode(digest)))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?;
        let found = found.ok_or_else(|| AppError::Unauthenticated("invalid API key".into()))?;
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LastUsedAt,
                Expr::value(crate::domain::now()),
            )
            .filter(api_key::Column::Id.eq(found.id))
            .exec(&self.db)
            .await?;
        self.verified.insert(digest, found.account_id);
        Ok(Principal {
            account_id: found.account_id,
        })
    }

    /// Revokes key `id` of the principal's: it stops working at once on this replica (and
    /// within the cache's minute on others). Revoking twice is harmless.
    pub async fn revoke(&self, principal: Principal, id: i32) -> AppResult<api_key::Model> {
        let key = api_key::Entity::find_owned(&self.db, principal, id).await?;
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        let mut active = key.clone().into_active_model();
        active.revoked_at = Set(Some(crate::domain::now()));
        let revoked = active.update(&self.db).await?;
        let mut digest: KeyDigest = [0; 32];
        if hex::decode_to_slice(&key.key_hash, &mut digest).is_ok() {
            self.verified.invalidate(&digest);
        }
        self.revoked.send_modify(|count| *count += 1);
        Ok(revoked)
    }
}

/// Hex SHA-256 of a key: what the database stores.
fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key: `pk_` and 43 URL-safe characters (256 bits).
pub fn generate_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("pk_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Stores `key` (hashed) for `account_id`, unless it is stored already; returns the row.
pub async fn store_api_key(
    db: &DatabaseConnection,
    account_id: i32,
    name: &str,
    key: &str,
) -> AppResult<api_key::Model> {
    let hash = hash_key(key);
    let exists = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash.as_str()))
        .one(db)
        .await?;
    if let Some(stored) = exists {
        return Ok(stored);
    }
    Ok(api_key::ActiveModel {
        account_id: Set(account_id),
        name: Set(name.to_owned()),
        key_hash: Set(hash),
        prefix: Set(key.chars().take(10).collect()),
        created_at: Set(crate::domain::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A new key for `account_id`: the row, and the key itself (shown once, never stored).
pub async fn create_api_key(
    db: &DatabaseConnection,
    account_id: i32,
    name: &str,
) -> AppResult<(api_key::Model, String)> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "an API key needs a name"));
    }
    let key = generate_api_key();
    let row = store_api_key(db, account_id, name.trim(), &key).await?;
    Ok((row, key))
}

/// The id of the single-user account, created if it is not there yet.
pub async fn single_user_account(db: &DatabaseConnection) -> AppResult<i32> {
    let existing = account::Entity::find()
        .filter(account::Column::Username.eq(SINGLE_USER_NAME))
        .one(db)
        .await?;
    Ok(match existing {
        Some(account) => account.id,
        None => {
            account::ActiveModel {
                username: Set(SINGLE_USER_NAME.to_owned()),
                password_hash: Set(None),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id
        }
    })
}

/// What start-up in single-user mode found or made.
pub struct SingleUser {
    pub account_id: i32,
    /// A key generated just now: shown once, never again.
    pub new_api_key: Option<String>,
}

/// Makes sure the single-user account exists and has a key: the configured one (`PARLEY_API_KEY`)
/// when given, else a generated one on the very first start.
pub async fn bootstrap_single_user(
    db: &DatabaseConnection,
    configured_key: Option<&str>,
) -> AppResult<SingleUser> {
    let account_id = single_user_account(db).await?;
    if let Some(key) = configured_key {
        store_api_key(db, account_id, "PARLEY_API_KEY", key).await?;
        return Ok(SingleUser {
            account_id,
            new_api_key: None,
        });
    }
    let has_key = api_key::Entity::find()
        .filter(api_key::Column::AccountId.eq(account_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .order_by_asc(api_key::Column::Id)
        .one(db)
        .await?
        .is_some();
    let new_api_key = if has_key {
        None
    } else {
        let key = generate_api_key();
        store_api_key(db, account_id, "generated on first start", &key).await?;
        Some(key)
    };
    Ok(SingleUser {
        account_id,
        new_api_key,
    })
}
