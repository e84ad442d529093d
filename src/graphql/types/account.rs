use async_graphql::{Object, SimpleObject};
use entity::{account, api_key};

use super::DateTime;

/// The caller's account.
pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// An API key, without the key itself (only its first characters).
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The key's first characters, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// When the key last authenticated a request (to within a minute).
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(Into::into)
    }
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(Into::into)
    }
}

/// A key just created: `key` is shown this once and never again.
#[derive(SimpleObject)]
pub struct NewApiKey {
    pub key: String,
    pub api_key: ApiKey,
}

/// What `register` and `login` answer (the OAuth2 token response's fields).
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}
