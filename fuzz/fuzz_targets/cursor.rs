//! Pagination cursors (`after:` / `before:`), as clients send them back: decoding never panics, a
//! cursor that decodes encodes back to one that decodes to the same position, and any paging
//! arguments around it are checked without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley::graphql::pagination::{Cursor, PageArgs};

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let number = |at: usize| i32::from_le_bytes(data[at..at + 4].try_into().unwrap());
    let text = String::from_utf8_lossy(&data[12..]);
    if let Ok(cursor) = Cursor::decode("after", &text) {
        assert_eq!(Cursor::decode("after", &cursor.encode()).unwrap(), cursor);
    }
    let flags = data[0];
    let args = PageArgs {
        first: (flags & 1 != 0).then(|| number(0)),
        last: (flags & 2 != 0).then(|| number(4)),
        offset: (flags & 4 != 0).then(|| number(8)),
        after: (flags & 8 != 0).then(|| text.to_string()),
        before: (flags & 16 != 0).then(|| text.chars().rev().collect()),
    };
    let _ = args.window();
});
