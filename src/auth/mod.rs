//! Who is asking: API keys today (`X-API-KEY`), and the `Principal` every query is scoped by.

pub mod api_key;
mod scope;

pub use api_key::{
    ApiKeys, SINGLE_USER_NAME, bootstrap_single_user, generate_api_key, store_api_key,
};
pub use scope::{Labeled, Owned, Versioned};

/// The authenticated caller. Every read and write is filtered by `account_id` (see [`Owned`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Principal {
    pub account_id: i32,
}
