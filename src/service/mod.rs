//! The use cases: every write, every reply and every read that is more than a DataLoader's
//! lookup, on top of the owner scope (`auth::scope`). GraphQL's resolvers call these; REST
//! handlers forward to GraphQL (or, for the completions stream, call the reply use case), so a rule
//! lives here once.
//!
//! A use case's input type is declared here, beside the code that reads it, and derives
//! `InputObject` so GraphQL takes it as it is: a field is declared once. That derive and
//! `MaybeUndefined` are the only GraphQL names this layer uses.

pub mod character;
pub mod context;
pub mod export;
pub mod labelled;
pub mod message;
pub mod reply;
pub mod search;
pub mod session;
pub mod settings;

use async_graphql::MaybeUndefined;
use sea_orm::{
    ActiveValue::{self, NotSet, Set},
    DatabaseConnection,
};

use crate::auth::Principal;

/// Who is asking, and the database the answer comes from.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub db: &'a DatabaseConnection,
    pub principal: Principal,
}

/// A required column in a partial update: absent (or null) leaves it as it is.
pub(crate) fn set_if<T: Into<sea_orm::Value>>(value: Option<T>) -> ActiveValue<T> {
    value.map_or(NotSet, Set)
}

/// A nullable column in a partial update: absent leaves it, `null` clears it.
pub(crate) fn set_nullable<T>(value: MaybeUndefined<T>) -> ActiveValue<Option<T>>
where
    Option<T>: Into<sea_orm::Value>,
{
    match value {
        MaybeUndefined::Undefined => NotSet,
        MaybeUndefined::Null => Set(None),
        MaybeUndefined::Value(v) => Set(Some(v)),
    }
}
