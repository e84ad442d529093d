use async_graphql::{Object, SimpleObject};
use entity::{account, api_key};

use super::DateTime;

/// The caller's account.
pub struct Account(pub account::Model);

super::object_fields! {
    #[Object]
    impl Account {
        id: i32,
        username: &str,
        created_at: DateTime,
    }
}

/// An API key, without the key itself (only its first characters).
pub struct ApiKey(pub api_key::Model);

super::object_fields! {
    #[Object]
    impl ApiKey {
        id: i32,
        name: &str,
        /// The key's first characters, to tell keys apart.
        prefix: &str,
        created_at: DateTime,
        /// When the key last authenticated a request (to within a minute).
        last_used_at: Option<DateTime>,
        revoked_at: Option<DateTime>,
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
