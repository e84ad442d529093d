//! `message_tally`: the number of live (not soft-deleted) messages of each chat session, per
//! owner, kept by the database itself, so a message list's `totalCount` (surface A's
//! `total_items`) and a session's `messageCount` (surface B's `message_count`) read one row by
//! its key instead of counting the session's messages on every request.
//!
//! Keyed like the scoped count it stands for (`message::Entity::scoped(owner)` filtered by
//! session): `(chat_session_id, owner_id)`, so it equals that count whatever rows the table
//! holds. Triggers keep it exact as `chat_session_tally` (migration 5) is kept: an insert, a soft
//! delete or a restore, a purge, a session's or an account's cascade, or SQL run by hand.
//! PostgreSQL counts inserts and deletes per statement (from the statement's transition table);
//! an update that moves a message in or out of the live set, or to another key, changes its two
//! rows. SQLite counts per row. The migration counts the messages that exist already.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Counts the messages that exist already (the same SQL on both databases).
const BACKFILL: &str = "INSERT INTO message_tally (chat_session_id, owner_id, live_messages)
    SELECT chat_session_id, owner_id, COUNT(*) FROM message WHERE deleted_at IS NULL
    GROUP BY chat_session_id, owner_id
    ON CONFLICT (chat_session_id, owner_id) DO UPDATE SET live_messages = excluded.live_messages";

/// An account's deletion looks its rows up by owner (the foreign key's cascade).
const OWNER_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS idx_message_tally_owner_id ON message_tally (owner_id)";

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS message_tally (
        chat_session_id INTEGER NOT NULL REFERENCES chat_session (id) ON DELETE CASCADE,
        owner_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        live_messages INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_session_id, owner_id))",
    OWNER_INDEX,
    "DROP TRIGGER IF EXISTS message_tally_insert",
    "CREATE TRIGGER message_tally_insert AFTER INSERT ON message
        WHEN new.deleted_at IS NULL BEGIN
        INSERT OR IGNORE INTO message_tally (chat_session_id, owner_id, live_messages)
            VALUES (new.chat_session_id, new.owner_id, 0);
        UPDATE message_tally SET live_messages = live_messages + 1
            WHERE chat_session_id = new.chat_session_id AND owner_id = new.owner_id;
    END",
    "DROP TRIGGER IF EXISTS message_tally_delete",
    "CREATE TRIGGER message_tally_delete AFTER DELETE ON message
        WHEN old.deleted_at IS NULL BEGIN
        UPDATE message_tally SET live_messages = live_messages - 1
            WHERE chat_session_id = old.chat_session_id AND owner_id = old.owner_id;
    END",
    "DROP TRIGGER IF EXISTS message_tally_update",
    "CREATE TRIGGER message_tally_update
        AFTER UPDATE OF chat_session_id, owner_id, deleted_at ON message
        WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
            OR old.chat_session_id <> new.chat_session_id OR old.owner_id <> new.owner_id
        BEGIN
        UPDATE message_tally SET live_messages = live_messages - 1
            WHERE chat_session_id = old.chat_session_id AND owner_id = old.owner_id
                AND old.deleted_at IS NULL;
        INSERT OR IGNORE INTO message_tally (chat_session_id, owner_id, live_messages)
            SELECT new.chat_session_id, new.owner_id, 0 WHERE new.deleted_at IS NULL;
        UPDATE message_tally SET live_messages = live_messages + 1
            WHERE chat_session_id = new.chat_session_id AND owner_id = new.owner_id
                AND new.deleted_at IS NULL;
    END",
    BACKFILL,
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS message_tally_update",
    "DROP TRIGGER IF EXISTS message_tally_delete",
    "DROP TRIGGER IF EXISTS message_tally_insert",
    "DROP TABLE IF EXISTS message_tally",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS message_tally (
        chat_session_id INTEGER NOT NULL REFERENCES chat_session (id) ON DELETE CASCADE,
        owner_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        live_messages BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_session_id, owner_id))",
    OWNER_INDEX,
    "CREATE OR REPLACE FUNCTION message_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO message_tally AS t (chat_session_id, owner_id, live_messages)
            SELECT chat_session_id, owner_id, COUNT(*) FROM added WHERE deleted_at IS NULL
            GROUP BY chat_session_id, owner_id
            ON CONFLICT (chat_session_id, owner_id)
            DO UPDATE SET live_messages = t.live_messages + excluded.live_messages;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS message_tally_insert ON message",
    "CREATE TRIGGER message_tally_insert AFTER INSERT ON message
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT
        EXECUTE FUNCTION message_tally_add()",
    "CREATE OR REPLACE FUNCTION message_tally_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE message_tally AS t SET live_messages = t.live_messages - r.n
            FROM (SELECT chat_session_id, owner_id, COUNT(*) AS n FROM removed
                  WHERE deleted_at IS NULL GROUP BY chat_session_id, owner_id) AS r
            WHERE t.chat_session_id = r.chat_session_id AND t.owner_id = r.owner_id;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS message_tally_delete ON message",
    "CREATE TRIGGER message_tally_delete AFTER DELETE ON message
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
        EXECUTE FUNCTION message_tally_remove()",
    "CREATE OR REPLACE FUNCTION message_tally_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.deleted_at IS NULL THEN
            UPDATE message_tally SET live_messages = live_messages - 1
                WHERE chat_session_id = OLD.chat_session_id AND owner_id = OLD.owner_id;
        END IF;
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO message_tally AS t (chat_session_id, owner_id, live_messages)
                VALUES (NEW.chat_session_id, NEW.owner_id, 1)
                ON CONFLICT (chat_session_id, owner_id)
                DO UPDATE SET live_messages = t.live_messages + 1;
        END IF;
        RETURN NULL;
    END $$",
    "DROP TRIGGER IF EXISTS message_tally_update ON message",
    // Row by row, but only for the rows that enter or leave the live set or change key: an edit
    // of a message's content does not fire it.
    "CREATE TRIGGER message_tally_update
        AFTER UPDATE OF chat_session_id, owner_id, deleted_at ON message
        FOR EACH ROW
        WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
            OR OLD.chat_session_id <> NEW.chat_session_id OR OLD.owner_id <> NEW.owner_id)
        EXECUTE FUNCTION message_tally_move()",
    BACKFILL,
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS message_tally_update ON message",
    "DROP TRIGGER IF EXISTS message_tally_delete ON message",
    "DROP TRIGGER IF EXISTS message_tally_insert ON message",
    "DROP FUNCTION IF EXISTS message_tally_move()",
    "DROP FUNCTION IF EXISTS message_tally_remove()",
    "DROP FUNCTION IF EXISTS message_tally_add()",
    "DROP TABLE IF EXISTS message_tally",
];

sql_per_backend!();
