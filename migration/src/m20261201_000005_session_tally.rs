//! `chat_session_tally`: each owner's number of live (not soft-deleted) chat sessions, kept by
//! the database itself, so a session list's `totalCount` (surface A's `total_items`) reads one
//! row instead of counting every session of the owner (1.1 ms of PostgreSQL's CPU for 10,000
//! sessions even as an index-only scan, a quarter of the whole 100-session request).
//!
//! Triggers keep it exact whatever writes the sessions: an insert, a soft delete or a restore (an
//! update of `deleted_at`), a purge, an account's cascade, or SQL run by hand. PostgreSQL counts
//! inserts and deletes per statement (from the statement's transition table), so a bulk insert
//! updates each owner's row once and not once per session (a million updates of one row in one
//! transaction would each walk the row's growing version chain); an update that moves a session
//! in or out of the live set changes its two owners' rows. SQLite updates rows in place and
//! counts per row. The migration counts the sessions that exist already.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Counts the sessions that exist already (the same SQL on both databases).
const BACKFILL: &str = "INSERT INTO chat_session_tally (owner_id, live_sessions)
    SELECT owner_id, COUNT(*) FROM chat_session WHERE deleted_at IS NULL GROUP BY owner_id
    ON CONFLICT (owner_id) DO UPDATE SET live_sessions = excluded.live_sessions";

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS chat_session_tally (
        owner_id INTEGER NOT NULL PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
        live_sessions INTEGER NOT NULL DEFAULT 0)",
    "DROP TRIGGER IF EXISTS chat_session_tally_insert",
    "CREATE TRIGGER chat_session_tally_insert AFTER INSERT ON chat_session
        WHEN new.deleted_at IS NULL BEGIN
        INSERT OR IGNORE INTO chat_session_tally (owner_id, live_sessions) VALUES (new.owner_id, 0);
        UPDATE chat_session_tally SET live_sessions = live_sessions + 1 WHERE owner_id = new.owner_id;
    END",
    "DROP TRIGGER IF EXISTS chat_session_tally_delete",
    "CREATE TRIGGER chat_session_tally_delete AFTER DELETE ON chat_session
        WHEN old.deleted_at IS NULL BEGIN
        UPDATE chat_session_tally SET live_sessions = live_sessions - 1 WHERE owner_id = old.owner_id;
    END",
    "DROP TRIGGER IF EXISTS chat_session_tally_update",
    "CREATE TRIGGER chat_session_tally_update AFTER UPDATE OF owner_id, deleted_at ON chat_session
        WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) OR old.owner_id <> new.owner_id
        BEGIN
        UPDATE chat_session_tally SET live_sessions = live_sessions - 1
            WHERE owner_id = old.owner_id AND old.deleted_at IS NULL;
        INSERT OR IGNORE INTO chat_session_tally (owner_id, live_sessions)
            SELECT new.owner_id, 0 WHERE new.deleted_at IS NULL;
        UPDATE chat_session_tally SET live_sessions = live_sessions + 1
            WHERE owner_id = new.owner_id AND new.deleted_at IS NULL;
    END",
    BACKFILL,
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS chat_session_tally_update",
    "DROP TRIGGER IF EXISTS chat_session_tally_delete",
    "DROP TRIGGER IF EXISTS chat_session_tally_insert",
    "DROP TABLE IF EXISTS chat_session_tally",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS chat_session_tally (
        owner_id INTEGER NOT NULL PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
        live_sessions BIGINT NOT NULL DEFAULT 0)",
    "CREATE OR REPLACE FUNCTION chat_session_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO chat_session_tally AS t (owner_id, live_sessions)
            SELECT owner_id, COUNT(*) FROM added WHERE deleted_at IS NULL GROUP BY owner_id
            ON CONFLICT (owner_id) DO UPDATE SET live_sessions = t.live_sessions + excluded.live_sessions;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS chat_session_tally_insert ON chat_session",
    "CREATE TRIGGER chat_session_tally_insert AFTER INSERT ON chat_session
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT
        EXECUTE FUNCTION chat_session_tally_add()",
    "CREATE OR REPLACE FUNCTION chat_session_tally_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE chat_session_tally AS t SET live_sessions = t.live_sessions - r.n
            FROM (SELECT owner_id, COUNT(*) AS n FROM removed WHERE deleted_at IS NULL
                  GROUP BY owner_id) AS r
            WHERE t.owner_id = r.owner_id;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS chat_session_tally_delete ON chat_session",
    "CREATE TRIGGER chat_session_tally_delete AFTER DELETE ON chat_session
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
        EXECUTE FUNCTION chat_session_tally_remove()",
    "CREATE OR REPLACE FUNCTION chat_session_tally_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.deleted_at IS NULL THEN
            UPDATE chat_session_tally SET live_sessions = live_sessions - 1
                WHERE owner_id = OLD.owner_id;
        END IF;
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO chat_session_tally AS t (owner_id, live_sessions) VALUES (NEW.owner_id, 1)
                ON CONFLICT (owner_id) DO UPDATE SET live_sessions = t.live_sessions + 1;
        END IF;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS chat_session_tally_update ON chat_session",
    // Row by row, but only for the rows that enter or leave the live set: the `updated_at` bump
    // of every new message does not fire it.
    "CREATE TRIGGER chat_session_tally_update AFTER UPDATE OF owner_id, deleted_at ON chat_session
        FOR EACH ROW
        WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.owner_id <> NEW.owner_id)
        EXECUTE FUNCTION chat_session_tally_move()",
    BACKFILL,
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS chat_session_tally_update ON chat_session",
    "DROP TRIGGER IF EXISTS chat_session_tally_delete ON chat_session",
    "DROP TRIGGER IF EXISTS chat_session_tally_insert ON chat_session",
    "DROP FUNCTION IF EXISTS chat_session_tally_move()",
    "DROP FUNCTION IF EXISTS chat_session_tally_remove()",
    "DROP FUNCTION IF EXISTS chat_session_tally_add()",
    "DROP TABLE IF EXISTS chat_session_tally",
];

sql_per_backend!();
