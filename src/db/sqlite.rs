//! SQLite's process-wide configuration, set before the first connection opens.

use std::ffi::c_int;
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Turns SQLite's memory statistics off, once per process. They count every allocation under
/// one process-wide mutex, and sqlx runs each connection on a thread of its own, for which SQLite
/// allocates every column value it hands over: in the profile of the 100-session query the
/// connections' threads queued on that mutex, and without it the query took a third less CPU
/// (bench/RESULTS.md). Parley reads none of those statistics (`sqlite3_memory_used` and kin).
///
/// SQLite takes the setting only before it initialises; when something in the process used
/// SQLite first (a test harness), it refuses with `SQLITE_MISUSE` and keeps counting, which works
/// the same, more slowly.
pub fn configure() {
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        // SAFETY: `sqlite3_config` may be called from one thread before `sqlite3_initialize`
        // (the `Once` serialises it) and refuses with SQLITE_MISUSE after it.
        let status = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
        if status != ffi::SQLITE_OK {
            tracing::debug!(status, "SQLite was initialised before Parley configured it");
        }
    });
}

/// Has SQLite plan each statement of the connection once, whatever values are later bound to it
/// (its query planner stability guarantee).
///
/// Without it, SQLite reads the value bound to `LIMIT ?` while it plans, and so marks the
/// statement to be parsed and planned again each time that parameter is bound: every cached
/// page and lookup (sea-query binds each LIMIT) was compiled anew on every execution, a fifth of
/// a SQLite request's CPU (bench/RESULTS.md). Parley binds ids, page sizes and texts, none of
/// which should change how a statement is planned; the partial indexes' conditions are written
/// into the statements, not bound.
///
/// # Safety
///
/// `db` must be an open connection that no other thread uses during the call.
pub unsafe fn plan_once(db: *mut ffi::sqlite3) -> Result<(), c_int> {
    // SAFETY: the caller holds `db`; this option takes an int and an optional out-pointer.
    let status = unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    match status {
        ffi::SQLITE_OK => Ok(()),
        status => Err(status),
    }
}
