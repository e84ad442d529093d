//! The four resources whose rows have a label unique per owner (characters, user profiles, AI
//! models, system prompts): one create and one update for all of them. Each resource's input
//! types say what they check and how they become a row by implementing [`NewRow`] and
//! [`Changes`], beside its GraphQL type (`graphql/types/<resource>.rs`), so a new column is
//! declared in one file besides the migration and the entity.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};

use super::Scope;
use crate::{
    auth::{Labeled, Owned, Principal},
    domain,
    error::AppResult,
    llm::Providers,
};

/// The row type an entity's inserts and updates are written with.
pub type Row<E> = <E as EntityTrait>::ActiveModel;

/// An entity the generic use cases can write: labelled, with the row types SeaORM derives.
pub trait Resource:
    Labeled<
        Model: IntoActiveModel<Row<Self>> + Send + Sync,
        ActiveModel: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send,
    >
{
}

impl<E> Resource for E where
    E: Labeled<
            Model: IntoActiveModel<Row<E>> + Send + Sync,
            ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
        >
{
}

/// What a new row's label is.
pub enum Label<'a> {
    /// Given by the client: it must be free.
    Given(&'a str),
    /// Not given: the name as a slug, made unique ([`free_label`]).
    FromName(&'a str),
}

/// A resource's create input.
pub trait NewRow: Send {
    type Entity: Resource;
    /// Checks the values, before anything is read.
    fn check(&self, providers: &Providers) -> AppResult<()>;
    fn label(&self) -> Label<'_>;
    /// The row to insert, with the resource's own columns set (the owner, label and timestamps
    /// are [`create`]'s).
    fn into_row(self) -> Row<Self::Entity>;
}

/// A resource's partial-update input.
pub trait Changes: Send {
    type Entity: Resource;
    /// Checks the values given, after the row was found.
    fn check(&self, providers: &Providers) -> AppResult<()>;
    fn label(&self) -> Option<&str>;
    /// Sets the resource's own columns given (the label and `updated_at` are [`update`]'s).
    fn apply(self, row: &mut Row<Self::Entity>);
}

/// The model an entity's rows read as.
pub type Model<E> = <E as EntityTrait>::Model;

/// Creates a row of the principal's.
pub async fn create<I: NewRow>(
    scope: Scope<'_>,
    providers: &Providers,
    input: I,
) -> AppResult<Model<I::Entity>> {
    input.check(providers)?;
    let label = match input.label() {
        Label::Given(label) => {
            I::Entity::ensure_label_free(scope.db, scope.principal, label, None).await?;
            label.to_owned()
        }
        Label::FromName(name) => {
            free_label::<I::Entity, _>(scope.db, scope.principal, name).await?
        }
    };
    let now = domain::now();
    let (created_at, updated_at) = I::Entity::timestamp_columns();
    let mut row = input.into_row();
    row.set(I::Entity::owner_column(), scope.principal.account_id.into());
    row.set(I::Entity::label_column(), label.into());
    row.set(created_at, now.into());
    row.set(updated_at, now.into());
    Ok(row.insert(scope.db).await?)
}

/// Updates row `id` of the principal's with the fields given.
pub async fn update<I: Changes>(
    scope: Scope<'_>,
    providers: &Providers,
    id: i32,
    input: I,
) -> AppResult<Model<I::Entity>> {
    let row = I::Entity::find_owned(scope.db, scope.principal, id).await?;
    let label = input.label().map(str::to_owned);
    if let Some(label) = &label {
        I::Entity::ensure_label_free(scope.db, scope.principal, label, Some(id)).await?;
    }
    input.check(providers)?;
    let mut row = row.into_active_model();
    input.apply(&mut row);
    if let Some(label) = label {
        row.set(I::Entity::label_column(), label.into());
    }
    row.set(I::Entity::timestamp_columns().1, domain::now().into());
    Ok(row.update(scope.db).await?)
}

/// Deletes row `id` of the principal's, or NOT_FOUND. (Sessions that used it keep going without
/// it; a character, which sessions cannot do without, has `character::delete`.)
pub async fn delete<E: Resource>(scope: Scope<'_>, id: i32) -> AppResult<()> {
    E::delete_owned(scope.db, scope.principal, id).await
}

/// A label for a row that comes without one (an imported card, a client of an API without
/// labels): the name as a slug (`Aria Moon` -> `aria-moon`), made unique among the owner's labels
/// with a numeric suffix (`aria-moon-2`).
pub async fn free_label<E: Labeled, C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    name: &str,
) -> AppResult<String>
where
    E::Model: Send + Sync,
{
    let slug = domain::card::slug(name);
    let taken: std::collections::HashSet<String> = E::find()
        .select_only()
        .column(E::label_column())
        .filter(E::owner_column().eq(principal.account_id))
        .filter(E::label_column().starts_with(&slug))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let label = std::iter::once(slug.clone())
        .chain((2..).map(|n| format!("{slug}-{n}")))
        .find(|label| !taken.contains(label))
        .expect("an unbounded sequence has a free label");
    Ok(label)
}
