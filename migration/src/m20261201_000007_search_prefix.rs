//! The full-text index covers the first 65,536 characters of a message, on both databases.
//!
//! PostgreSQL refuses a `tsvector` over 1 MB ("string is too long for tsvector"), so a long message
//! of many distinct words could not be stored at all; 65,536 characters make at most a few hundred
//! KB of `tsvector` whatever the words. SQLite's FTS5 index takes the same prefix, so a search finds
//! the same messages on either.

//!
//! The triggers get new names (`message_fts_prefix_*`): the pool runs a migration's statements on
//! any of its connections, and a SQLite connection that has not yet reloaded the schema still
//! sees a trigger another connection dropped, so re-creating the same name could fail.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_update",
    "CREATE TRIGGER IF NOT EXISTS message_fts_prefix_insert AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, content) VALUES (new.id, substr(new.content, 1, 65536));
    END",
    "CREATE TRIGGER IF NOT EXISTS message_fts_prefix_delete AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, content)
            VALUES ('delete', old.id, substr(old.content, 1, 65536));
    END",
    "CREATE TRIGGER IF NOT EXISTS message_fts_prefix_update AFTER UPDATE OF content ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, content)
            VALUES ('delete', old.id, substr(old.content, 1, 65536));
        INSERT INTO message_fts(rowid, content) VALUES (new.id, substr(new.content, 1, 65536));
    END",
    "INSERT INTO message_fts(message_fts) VALUES ('delete-all')",
    "INSERT INTO message_fts(rowid, content) SELECT id, substr(content, 1, 65536) FROM message",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS message_fts_prefix_insert",
    "DROP TRIGGER IF EXISTS message_fts_prefix_delete",
    "DROP TRIGGER IF EXISTS message_fts_prefix_update",
    "CREATE TRIGGER IF NOT EXISTS message_fts_insert AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, content) VALUES (new.id, new.content);
    END",
    "CREATE TRIGGER IF NOT EXISTS message_fts_delete AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END",
    "CREATE TRIGGER IF NOT EXISTS message_fts_update AFTER UPDATE OF content ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO message_fts(rowid, content) VALUES (new.id, new.content);
    END",
    "INSERT INTO message_fts(message_fts) VALUES ('rebuild')",
];

const POSTGRES_UP: &[&str] = &[
    "DROP INDEX IF EXISTS idx_message_search",
    "ALTER TABLE message DROP COLUMN IF EXISTS search",
    "ALTER TABLE message ADD COLUMN search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', left(content, 65536))) STORED",
    "CREATE INDEX IF NOT EXISTS idx_message_search ON message USING GIN (search)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_message_search",
    "ALTER TABLE message DROP COLUMN IF EXISTS search",
    "ALTER TABLE message ADD COLUMN search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX IF NOT EXISTS idx_message_search ON message USING GIN (search)",
];

sql_per_backend!();
