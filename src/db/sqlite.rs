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
