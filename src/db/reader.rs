//! The statements of the hot read paths (lists and DataLoaders), their rows decoded by position
//! ([`super::rows`]).
//!
//! On SQLite, sqlx runs each connection on a thread of its own and hands every row over a
//! channel, SQLite copying each column value for the crossing: in the profile of the 100-session
//! query a fifth of the samples were task switches between Tokio's workers and those threads
//! (bench/RESULTS.md). A [`Reader`] on a SQLite file runs these statements on the calling thread
//! instead, on read-only connections of its own (rusqlite, on the same SQLite library as sqlx),
//! and decodes each row straight off the statement. It never waits there: its connections have
//! no busy timeout, and a statement SQLite refuses as busy (a moment of WAL recovery) runs again
//! through sqlx, which waits without holding a Tokio worker. Writes, and every read inside a
//! transaction, stay on sqlx's connections: one schema, one set of migrations, one data model.
//!
//! In WAL mode a read sees every transaction committed before it began, so a request reads what
//! the requests before it wrote, whichever connection wrote it.
//!
//! On PostgreSQL these statements run on connections of the reader's own ([`PostgresReads`]),
//! without the round trip sqlx's pool adds to every statement when it takes the connection back;
//! a read committed on another connection is as visible there as on the pool's.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use rusqlite::{OpenFlags, types::Value as SqliteValue};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, QueryResult,
    QueryTrait, Select, Statement,
    sea_query::{Value, Values},
    sqlx::{
        self, Connection as _,
        postgres::{PgConnectOptions, PgConnection},
    },
};
use sea_query_sqlx::SqlxValues;

use super::rows::{Cell, FromRow};
use crate::metrics::Metrics;

/// Runs the hot read paths' statements: on a SQLite file on the calling thread, elsewhere (and
/// when SQLite is busy) through the pool. Cheap to clone.
#[derive(Clone)]
pub struct Reader {
    db: DatabaseConnection,
    sqlite: Option<Arc<SqliteReads>>,
    postgres: Option<Arc<PostgresReads>>,
    metrics: Metrics,
}

/// One row of a read, from either path.
pub enum Row<'a> {
    Pool(&'a QueryResult),
    Sqlite(&'a rusqlite::Row<'a>),
}

impl Row<'_> {
    /// The value at `index`. NULL is `None` for `Option` fields, an error for the others.
    pub fn cell<T: Cell>(&self, index: usize) -> Result<T, DbErr> {
        match self {
            Row::Pool(row) => super::rows::cell(row, index),
            Row::Sqlite(row) => row
                .get_ref(index)
                .and_then(|value| {
                    T::from_sqlite(value).map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            index,
                            value.data_type(),
                            Box::new(error),
                        )
                    })
                })
                .map_err(|error| DbErr::Type(format!("column {index}: {error}"))),
        }
    }
}

impl Reader {
    /// A reader over `db`'s pool; on a SQLite file, with connections of its own for the calling
    /// thread, and on PostgreSQL with up to as many connections of its own as the pool has (both
    /// opened as they are needed).
    pub fn new(db: DatabaseConnection, metrics: Metrics) -> Self {
        let backend = db.get_database_backend();
        let sqlite = (backend == DatabaseBackend::Sqlite)
            .then(|| {
                let options = db.get_sqlite_connection_pool().connect_options();
                file_of(options.get_filename())
            })
            .flatten()
            .map(|path| Arc::new(SqliteReads::new(path)));
        let postgres = (backend == DatabaseBackend::Postgres).then(|| {
            let pool = db.get_postgres_connection_pool();
            // Named, so that an operator tells them from the pool's in `pg_stat_activity`.
            let options = PgConnectOptions::clone(&pool.connect_options())
                .application_name(POSTGRES_READS_NAME);
            Arc::new(PostgresReads::new(
                options,
                pool.options().get_max_connections() as usize,
                pool.options().get_acquire_timeout(),
            ))
        });
        Reader {
            db,
            sqlite,
            postgres,
            metrics,
        }
    }

    /// A reader that runs everything through the pool (the path the other falls back to).
    pub fn through_pool(db: DatabaseConnection, metrics: Metrics) -> Self {
        Reader {
            db,
            sqlite: None,
            postgres: None,
            metrics,
        }
    }

    /// The pool, for what is not a hot read.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether reads on this database run on the calling thread.
    pub fn reads_in_place(&self) -> bool {
        self.sqlite.is_some()
    }

    /// Every row of `statement`, each decoded by `decode`.
    pub async fn rows<T>(
        &self,
        statement: Statement,
        decode: impl Fn(&Row<'_>) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        if let Some(sqlite) = &self.sqlite {
            let started = Instant::now();
            let read = sqlite.read(&statement, &decode);
            if let Some(outcome) = read {
                self.observe(&statement, started.elapsed(), outcome.is_err());
                return outcome;
            }
        }
        if let Some(postgres) = &self.postgres {
            let started = Instant::now();
            // Boxed: inline, the connect and read futures made every future that awaits a read
            // (each idle subscription's among them) 3.4 KiB larger (bench/RESULTS.md).
            if let Some(rows) = Box::pin(postgres.read(&statement)).await {
                self.observe(&statement, started.elapsed(), false);
                return rows.iter().map(|row| decode(&Row::Pool(row))).collect();
            }
        }
        let rows = self.db.query_all_raw(statement).await?;
        rows.iter().map(|row| decode(&Row::Pool(row))).collect()
    }

    /// `Select::all`, decoded with [`FromRow`].
    pub async fn models<E>(&self, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: FromRow,
    {
        let statement = select.build(self.db.get_database_backend());
        self.rows(statement, E::Model::from_row).await
    }

    /// Counts the statement as the pool's statements are counted (`db::open`).
    fn observe(&self, statement: &Statement, elapsed: Duration, failed: bool) {
        self.metrics.observe_statement(&sea_orm::metric::Info {
            elapsed,
            statement,
            failed,
        });
    }
}

/// The file of a SQLite database, or none for one in memory (which another connection would not
/// see).
fn file_of(filename: &Path) -> Option<PathBuf> {
    let name = filename.to_str()?;
    let in_memory = name.is_empty() || name == ":memory:" || name.starts_with("file:");
    (!in_memory).then(|| filename.to_owned())
}

/// Read-only connections to one SQLite file, each used by one thread at a time. A read holds one
/// only while it runs, on the calling thread without awaiting, so there are never more in use
/// than threads reading at once; a pool that waits for a free one has nothing to wait for.
struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
    /// A connection could not be opened (say, the file's directory is read-only and the WAL index
    /// cannot be mapped): every read goes to the pool from then on, with one warning in the log.
    unavailable: AtomicBool,
}

/// Distinct statements a connection keeps prepared (an `IN` list of each length is one).
const PREPARED_PER_CONNECTION: usize = 64;
/// Idle connections kept open (the rest are closed when they are put back).
const IDLE_CONNECTIONS: usize = 8;

impl SqliteReads {
    fn new(path: PathBuf) -> Self {
        SqliteReads {
            path,
            idle: Mutex::new(Vec::new()),
            unavailable: AtomicBool::new(false),
        }
    }

    /// The rows of `statement`, or `None` when the pool should run it instead: SQLite was busy,
    /// a value has no binding here, or no read-only connection could be opened.
    fn read<T>(
        &self,
        statement: &Statement,
        decode: &impl Fn(&Row<'_>) -> Result<T, DbErr>,
    ) -> Option<Result<Vec<T>, DbErr>> {
        let values = match &statement.values {
            Some(values) => values.0.iter().map(bind).collect::<Option<Vec<_>>>()?,
            None => Vec::new(),
        };
        let connection = self.take()?;
        let outcome = run(&connection, &statement.sql, &values, decode);
        self.put_back(connection);
        match outcome {
            Err(Fallback::Busy) => None,
            Err(Fallback::Failed(error)) => Some(Err(error)),
            Ok(rows) => Some(Ok(rows)),
        }
    }

    fn take(&self) -> Option<rusqlite::Connection> {
        if self.unavailable.load(Ordering::Relaxed) {
            return None;
        }
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(connection) => Some(connection),
            None => self
                .open()
                .inspect_err(|error| {
                    if !self.unavailable.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%error, "SQLite reads go through the pool: no read-only connection");
                    }
                })
                .ok(),
        }
    }

    fn put_back(&self, connection: rusqlite::Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(connection);
        }
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let connection = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Busy: answered at once, and the statement goes to the pool, which waits off-thread.
        connection.busy_timeout(Duration::ZERO)?;
        connection.set_prepared_statement_cache_capacity(PREPARED_PER_CONNECTION);
        // SAFETY: the connection was just opened, and only this thread has it.
        unsafe { super::sqlite::plan_once(connection.handle()) }.map_err(|status| {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(status), None)
        })?;
        Ok(connection)
    }
}

enum Fallback {
    Busy,
    Failed(DbErr),
}

/// Connections of the reader's own to PostgreSQL.
///
/// sqlx's pool pings every connection it takes back (a Sync, and a wait for the server's
/// ReadyForQuery), in case a cancelled statement left it halfway through an answer: a second
/// round trip for every statement, which woke a server process each time and was 8% of Parley's
/// samples in the 100-session query (bench/RESULTS.md). Here a connection goes back only once its
/// statement has been read to the end; a read cancelled midway drops, and so closes, its
/// connection instead. A connection whose read fails is closed and the statement runs again
/// through the pool, which answers for it: a connection the server closed while it was idle
/// (whose next read fails with the server's `57P01` or an I/O error) costs a retry, never a
/// failed read. (A statement that fails on its own merits fails on the pool too; the reads here
/// are the lists' and loaders', built by Parley, and do not.)
struct PostgresReads {
    options: PgConnectOptions,
    /// How long opening a connection may take before the pool reads instead: the pool's own
    /// acquire timeout, so a server that does not answer holds a read no longer here than there.
    connect_timeout: Duration,
    idle: Mutex<Vec<Reading>>,
    /// One permit per connection open (idle ones included): past them, reads go to the pool.
    open: Arc<tokio::sync::Semaphore>,
}

/// The `application_name` of the reader's PostgreSQL connections.
pub const POSTGRES_READS_NAME: &str = "parley-reads";

/// A connection taken for one read, with the permit it holds while it is open.
struct Reading {
    connection: PgConnection,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl PostgresReads {
    fn new(options: PgConnectOptions, connections: usize, connect_timeout: Duration) -> Self {
        PostgresReads {
            options,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
            open: Arc::new(tokio::sync::Semaphore::new(connections)),
        }
    }

    /// The rows of `statement`, or `None` when the pool should run it instead: every connection
    /// is busy, none could be opened, or the read failed.
    async fn read(&self, statement: &Statement) -> Option<Vec<QueryResult>> {
        let mut reading = self.take().await?;
        let values = statement.values.clone().unwrap_or(Values(Vec::new()));
        let query = sqlx::query_with(
            sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        );
        match query.fetch_all(&mut reading.connection).await {
            Ok(rows) => {
                self.put_back(reading);
                Some(rows.into_iter().map(QueryResult::from).collect())
            }
            Err(error) => {
                tracing::debug!(%error, "a PostgreSQL read failed; the pool runs it again");
                None
            }
        }
    }

    async fn take(&self) -> Option<Reading> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(reading) = idle {
            return Some(reading);
        }
        let permit = Arc::clone(&self.open).try_acquire_owned().ok()?;
        let connect = PgConnection::connect_with(&self.options);
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(connection)) => Some(Reading {
                connection,
                _permit: permit,
            }),
            Ok(Err(error)) => {
                tracing::debug!(%error, "no PostgreSQL read connection; the pool reads");
                None
            }
            Err(_) => {
                tracing::debug!("no PostgreSQL read connection in time; the pool reads");
                None
            }
        }
    }

    fn put_back(&self, reading: Reading) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reading);
    }
}

fn run<T>(
    connection: &rusqlite::Connection,
    sql: &str,
    values: &[SqliteValue],
    decode: &impl Fn(&Row<'_>) -> Result<T, DbErr>,
) -> Result<Vec<T>, Fallback> {
    let failed = |error: rusqlite::Error| match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Fallback::Busy
        }
        _ => Fallback::Failed(DbErr::Query(sea_orm::RuntimeErr::Internal(format!(
            "SQLite: {error}"
        )))),
    };
    let mut prepared = connection.prepare_cached(sql).map_err(failed)?;
    let mut rows = prepared
        .query(rusqlite::params_from_iter(values))
        .map_err(failed)?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        decoded.push(decode(&Row::Sqlite(row)).map_err(Fallback::Failed)?);
    }
    Ok(decoded)
}

/// `value` as sqlx binds it on SQLite (sea-query-sqlx), so that a comparison with a stored value
/// means the same on both paths; `None` for a kind the read paths never bind.
fn bind(value: &Value) -> Option<SqliteValue> {
    fn or_null<T>(value: &Option<T>, to: impl FnOnce(&T) -> SqliteValue) -> SqliteValue {
        value.as_ref().map_or(SqliteValue::Null, to)
    }
    Some(match value {
        Value::Bool(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::TinyInt(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::SmallInt(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::Int(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::BigInt(v) => or_null(v, |v| SqliteValue::Integer(*v)),
        Value::TinyUnsigned(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::SmallUnsigned(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::Unsigned(v) => or_null(v, |v| SqliteValue::Integer(i64::from(*v))),
        Value::BigUnsigned(v) => match v {
            Some(v) => SqliteValue::Integer(i64::try_from(*v).ok()?),
            None => SqliteValue::Null,
        },
        Value::Double(v) => or_null(v, |v| SqliteValue::Real(*v)),
        Value::String(v) => or_null(v, |v| SqliteValue::Text(v.clone())),
        Value::ChronoDateTimeUtc(v) => or_null(v, |v| {
            SqliteValue::Text(v.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
        }),
        Value::Uuid(v) => or_null(v, |v| SqliteValue::Blob(v.as_bytes().to_vec())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    /// Every kind `bind` gives a value for is stored as sqlx stores it when SeaORM binds it: the
    /// same SQLite type and the same bytes (a timestamp's text above all, which cursors compare
    /// with stored ones).
    #[tokio::test]
    async fn binds_each_value_as_seaorm_binds_it_for_sqlx() {
        let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap()
            + chrono::Duration::microseconds(123_456);
        let values = [
            Value::Bool(Some(true)),
            Value::TinyInt(Some(-3)),
            Value::Int(Some(-7)),
            Value::BigInt(Some(i64::MAX)),
            Value::Unsigned(Some(u32::MAX)),
            Value::BigUnsigned(Some(51)),
            Value::Double(Some(0.25)),
            Value::String(Some("«ünïcode» 'quoted'".into())),
            Value::ChronoDateTimeUtc(Some(at)),
            Value::ChronoDateTimeUtc(Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())),
            Value::Uuid(Some(uuid::Uuid::new_v4())),
            Value::Int(None),
            Value::String(None),
        ];
        let db = super::super::open("sqlite::memory:", 1, &Metrics::new())
            .await
            .unwrap();
        let direct = rusqlite::Connection::open_in_memory().unwrap();
        let shown = "SELECT typeof(?1), quote(?1)";
        for value in values {
            let statement =
                Statement::from_sql_and_values(DatabaseBackend::Sqlite, shown, [value.clone()]);
            let row = db.query_one_raw(statement).await.unwrap().unwrap();
            let by_seaorm: (String, String) = (
                super::super::rows::cell(&row, 0).unwrap(),
                super::super::rows::cell(&row, 1).unwrap(),
            );
            let by_reader: (String, String) = direct
                .query_row(shown, [bind(&value).unwrap()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .unwrap();
            assert_eq!(by_reader, by_seaorm, "{value:?}");
        }
        // A kind the read paths never bind goes to the pool.
        assert!(bind(&Value::Float(Some(1.0))).is_none());
    }
}

#[cfg(test)]
mod planning {
    use rusqlite::StatementStatus;

    use super::*;

    /// What the connection's query planner stability guarantee is set to (1: on).
    fn qpsg(db: *mut libsqlite3_sys::sqlite3) -> i32 {
        let mut on: std::ffi::c_int = -1;
        // SAFETY: `db` is open and only this thread uses it; -1 reads the setting.
        let status = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                db,
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as std::ffi::c_int,
                &mut on as *mut std::ffi::c_int,
            )
        };
        assert_eq!(status, libsqlite3_sys::SQLITE_OK);
        on
    }

    #[test]
    fn a_read_connection_compiles_a_page_once_whatever_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reads.db");
        let setup = rusqlite::Connection::open(&path).unwrap();
        setup
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);",
            )
            .unwrap();
        let reads = SqliteReads::new(path);
        let connection = reads.take().unwrap();
        let page = "SELECT id FROM t WHERE id > ? ORDER BY id LIMIT ?";
        for limit in [1, 2, 1, 5] {
            let values = [SqliteValue::Integer(0), SqliteValue::Integer(limit)];
            let rows = run(&connection, page, &values, &|row| row.cell::<i32>(0))
                .unwrap_or_else(|_| panic!("the page failed"));
            assert_eq!(rows.len(), limit.min(2) as usize);
        }
        let statement = connection.prepare_cached(page).unwrap();
        assert_eq!(statement.get_status(StatementStatus::RePrepare), 0);
    }

    #[tokio::test]
    async fn the_pool_plans_regardless_of_bound_values_too() {
        let db = super::super::open("sqlite::memory:", 1, &Metrics::new())
            .await
            .unwrap();
        let mut connection = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let mut handle = connection.lock_handle().await.unwrap();
        assert_eq!(qpsg(handle.as_raw_handle().as_ptr()), 1);
    }
}
