//! The positional row decoding of the read paths (`parley::db::rows`) gives exactly what SeaORM's
//! own decoding gives, for every column, NULL or not, on the database the suite runs on: through
//! the pool, and on SQLite also on the calling thread (`parley::db::Reader`).

use chrono::{TimeZone, Utc};
use entity::{account, ai_model, character, chat_session, message, system_prompt, user_profile};
use parley::{
    db::{Reader, rows::FromRow},
    metrics::Metrics,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    IdenStatic, Iterable, NotSet, QueryOrder, QueryTrait, Set,
};
use serde_json::json;

use crate::helpers::spawn_app;

/// Every row of `E`, decoded by SeaORM and by each read path, must be equal, and the decoder's
/// column list must be the entity's (the order SeaORM selects in).
async fn decodes_like_seaorm<E>(db: &DatabaseConnection, expected_rows: usize)
where
    E: EntityTrait,
    E::Model: FromRow + PartialEq + std::fmt::Debug,
{
    let columns: Vec<String> = E::Column::iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(
        columns,
        E::Model::COLUMNS,
        "{}: column order",
        E::default().table_name()
    );
    let id = E::Column::iter().next().unwrap();
    let by_seaorm = E::find().order_by_asc(id).all(db).await.unwrap();
    assert_eq!(by_seaorm.len(), expected_rows);
    for reader in readers(db) {
        let by_position = reader.models(E::find().order_by_asc(id)).await.unwrap();
        assert_eq!(
            by_position,
            by_seaorm,
            "in place: {}",
            reader.reads_in_place()
        );
    }
}

/// The read paths: the pool, and on SQLite the calling thread's.
fn readers(db: &DatabaseConnection) -> Vec<Reader> {
    let in_place = Reader::new(db.clone(), Metrics::new());
    let on_sqlite = db.get_database_backend() == DatabaseBackend::Sqlite;
    assert_eq!(in_place.reads_in_place(), on_sqlite);
    vec![in_place, Reader::through_pool(db.clone(), Metrics::new())]
}

#[tokio::test]
async fn rows_decode_by_position_exactly_as_seaorm_decodes_them() {
    let app = spawn_app().await;
    let db = &app.db;
    let owner = account::Entity::find().one(db).await.unwrap().unwrap().id;
    let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap()
        + chrono::Duration::microseconds(123_456);
    let text = |s: &str| Set(Some(format!("{s} — «ünïcode» \"quoted\"")));

    let full = character::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("full".into()),
        name: Set("Full Character".into()),
        avatar_image: text("avatar"),
        description: text("description"),
        personality: text("personality"),
        scenario: text("scenario"),
        first_message: text("first"),
        alternate_greetings: Set(json!(["hi", "hello"])),
        message_example: text("example"),
        creator_notes: text("notes"),
        system_prompt: text("prompt"),
        post_history_instructions: text("post"),
        tags: Set(json!(["a", "b"])),
        creator: text("creator"),
        character_version: text("1.0"),
        extensions: Set(json!({"depth": {"n": 1.5, "list": [null, true]}})),
        created_at: Set(at),
        updated_at: Set(at + chrono::Duration::days(400)),
    }
    .insert(db)
    .await
    .unwrap();
    character::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("bare".into()),
        name: Set(String::new()),
        avatar_image: Set(None),
        description: Set(None),
        personality: Set(None),
        scenario: Set(None),
        first_message: Set(None),
        alternate_greetings: Set(json!([])),
        message_example: Set(None),
        creator_notes: Set(None),
        system_prompt: Set(None),
        post_history_instructions: Set(None),
        tags: Set(json!([])),
        creator: Set(None),
        character_version: Set(None),
        extensions: Set(json!({})),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();

    let profile = user_profile::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("full".into()),
        name: Set("Profile".into()),
        avatar_image: text("avatar"),
        description: text("description"),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();
    user_profile::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("bare".into()),
        name: Set("Bare".into()),
        avatar_image: Set(None),
        description: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();

    let model = ai_model::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("full".into()),
        description: text("description"),
        provider: Set(Some("local".into())),
        model_name: Set(Some("llama".into())),
        temperature: Set(Some(0.7)),
        max_tokens: Set(Some(4096)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();
    ai_model::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("bare".into()),
        description: Set(None),
        provider: Set(None),
        model_name: Set(None),
        temperature: Set(None),
        max_tokens: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();

    let prompt = system_prompt::ActiveModel {
        id: NotSet,
        owner_id: Set(owner),
        label: Set("full".into()),
        content: Set("Stay in character.\nAlways.".into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();

    let session = chat_session::ActiveModel {
        id: NotSet,
        uuid: Set(uuid::Uuid::new_v4()),
        owner_id: Set(owner),
        character_id: Set(full.id),
        user_profile_id: Set(Some(profile.id)),
        ai_model_id: Set(Some(model.id)),
        system_prompt_id: Set(Some(prompt.id)),
        title: text("title"),
        pre_prompt: text("pre"),
        pre_prompt_enabled: Set(true),
        post_prompt: text("post"),
        post_prompt_enabled: Set(true),
        rating: Set(Some(5)),
        start_time: Set(at),
        updated_at: Set(at),
        version: Set(7),
        deleted_at: Set(Some(at)),
    }
    .insert(db)
    .await
    .unwrap();
    chat_session::ActiveModel {
        id: NotSet,
        uuid: Set(uuid::Uuid::new_v4()),
        owner_id: Set(owner),
        character_id: Set(full.id),
        user_profile_id: Set(None),
        ai_model_id: Set(None),
        system_prompt_id: Set(None),
        title: Set(None),
        pre_prompt: Set(None),
        pre_prompt_enabled: Set(false),
        post_prompt: Set(None),
        post_prompt_enabled: Set(false),
        rating: Set(None),
        start_time: Set(at),
        updated_at: Set(at),
        version: Set(1),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
    .unwrap();

    for (content, deleted_at) in [("", None), ("a\tb — 🙂\n", Some(at))] {
        message::ActiveModel {
            id: NotSet,
            owner_id: Set(owner),
            chat_session_id: Set(session.id),
            role: Set("assistant".into()),
            content: Set(content.into()),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(2),
            deleted_at: Set(deleted_at),
        }
        .insert(db)
        .await
        .unwrap();
    }
    // A timestamp in the form SQLite's own date functions write (a hand edit, an old row), not
    // the RFC 3339 that Parley writes: every path reads the same instant.
    db.execute_unprepared(
        "UPDATE message SET updated_at = '2024-03-01 10:00:00' WHERE content = ''",
    )
    .await
    .unwrap();

    decodes_like_seaorm::<character::Entity>(db, 2).await;
    decodes_like_seaorm::<user_profile::Entity>(db, 2).await;
    decodes_like_seaorm::<ai_model::Entity>(db, 2).await;
    decodes_like_seaorm::<system_prompt::Entity>(db, 1).await;
    decodes_like_seaorm::<chat_session::Entity>(db, 2).await;
    decodes_like_seaorm::<message::Entity>(db, 2).await;

    // Rows of another shape are an error, never a wrong value.
    for reader in readers(db) {
        let messages = message::Entity::find().build(db.get_database_backend());
        let misread = reader.rows(messages, character::Model::from_row).await;
        assert!(misread.is_err(), "{misread:?}");
    }
}

/// SQLite runs without its memory statistics once Parley opened it (`src/db/sqlite.rs`): they
/// counted every allocation under one process-wide mutex, which the connections' threads queued
/// on. With them on, this table's 100 KB blob would show in `sqlite3_memory_used`.
#[tokio::test]
async fn sqlite_runs_without_its_memory_statistics() {
    let metrics = parley::metrics::Metrics::new();
    let db = parley::db::open("sqlite::memory:", 1, &metrics)
        .await
        .unwrap();
    db.execute_unprepared("CREATE TABLE blob (b); INSERT INTO blob VALUES (randomblob(100000));")
        .await
        .unwrap();
    // SAFETY: a read of SQLite's counter, callable from any thread.
    let used = unsafe { libsqlite3_sys::sqlite3_memory_used() };
    assert_eq!(used, 0, "SQLite counts its allocations");
}
