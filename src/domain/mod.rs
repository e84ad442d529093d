//! The rules that are neither storage nor transport: the card format, context assembly from loaded
//! rows, placeholders, exports' formats, value checks. Nothing here reads or writes the database
//! or knows HTTP (`tests/api/layers.rs` checks it); `service` does the reading and writing.

pub mod card;
pub mod context;
pub mod export;
pub mod validation;

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision both databases store (microseconds), so a timestamp read
/// back compares equal to the one written (cursors depend on that).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A new session's title when none is given: `"{character name} Chat ({YYYYmmdd_HHMMSS})"`.
pub fn default_title(character_name: &str, at: DateTime<Utc>) -> String {
    format!("{character_name} Chat ({})", at.format("%Y%m%d_%H%M%S"))
}
