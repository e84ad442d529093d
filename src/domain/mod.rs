//! The rules that are neither storage nor transport.

pub mod validation;

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision both databases store (microseconds), so a timestamp read
/// back compares equal to the one written (cursors depend on that).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
