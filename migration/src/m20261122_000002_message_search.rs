//! Full-text search over message content: an FTS5 index on SQLite (kept in step by triggers), a
//! generated `tsvector` column with a GIN index on PostgreSQL. Both tokenize without stemming
//! ('simple' / unicode61), so a word matches the same messages on either backend.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(
        content, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
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
    // Index whatever rows exist already.
    "INSERT INTO message_fts(message_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TABLE IF EXISTS message_fts",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE message ADD COLUMN IF NOT EXISTS search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX IF NOT EXISTS idx_message_search ON message USING GIN (search)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_message_search",
    "ALTER TABLE message DROP COLUMN IF EXISTS search",
];

sql_per_backend!();
