//! Reading REST input (path ids, query strings, JSON bodies) into typed values, with errors that
//! name the field at fault. Each surface turns an [`InputError`] into its own error shape.

use heck::ToLowerCamelCase;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One bad input: where it was (`path`, `query` or `body`), the field (in the REST surface's own
/// naming) and what is wrong with it.
#[derive(Debug)]
pub struct InputError {
    pub location: &'static str,
    pub field: String,
    pub message: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::at("query", field, message)
    }

    pub fn at(
        location: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            location,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A path id: a positive whole number.
pub fn id(field: &str, raw: &str) -> Result<i32, InputError> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| InputError::at("path", field, format!("`{raw}` is not a valid id")))
}

/// A JSON body: an object. Unknown fields are ignored (clients often send back what they read).
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, InputError> {
    // serde reads a struct from a JSON array too (field by field, in order); a REST body that is
    // not an object is a client's mistake, not a positional update.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(InputError::at(
            "body",
            "body",
            "the body must be a JSON object",
        ));
    }
    // JSON can carry a NUL only as the escape `\u0000`; look for the field only when it is there.
    if body.windows(6).any(|window| window == b"\\u0000")
        && let Ok(value) = serde_json::from_slice::<Value>(body)
        && let Some(field) = crate::domain::validation::nul_in_json(&value)
    {
        return Err(InputError::at(
            "body",
            field,
            crate::domain::validation::NUL_MESSAGE,
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let message = e.inner().to_string();
        InputError::at("body", field_of(e.path().to_string(), &message), message)
    })
}

/// A query string.
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, InputError> {
    let raw = raw.unwrap_or_default();
    if let Some((field, _)) = url::form_urlencoded::parse(raw.as_bytes())
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
    {
        return Err(InputError::new(
            field.replace('\0', ""),
            crate::domain::validation::NUL_MESSAGE,
        ));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let message = e.inner().to_string();
        InputError::new(field_of(e.path().to_string(), &message), message)
    })
}

/// The field an error is about: its path, or for a missing field the name serde quotes.
fn field_of(path: String, message: &str) -> String {
    // `.` is the whole value, `?` a place the parser never reached (a syntax error).
    if path != "." && path != "?" {
        return path;
    }
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field"))
        .unwrap_or("body")
        .to_owned()
}

/// A query-string boolean as Python clients send it: pydantic's spellings, in any case (`true`,
/// `1`, `yes`, `on`, `t`, `y` / `false`, `0`, `no`, `off`, `f`, `n`). requests and httpx write
/// Python's `True` as `True`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Ok(Flag(true)),
            "false" | "0" | "no" | "off" | "f" | "n" => Ok(Flag(false)),
            _ => Err(serde::de::Error::custom(format!(
                "`{raw}` is not a boolean (true/false, 1/0, yes/no, on/off)"
            ))),
        }
    }
}

/// The highest page number a list takes: with 100 per page, its offset still fits GraphQL's `Int`.
pub const MAX_PAGE: i64 = 10_000_000;

/// `value`, when it lies in `range`; otherwise the error a client reads for the query parameter
/// `field`.
pub fn bounded(
    field: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, InputError> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(InputError::new(
        field,
        format!(
            "{field} must be between {} and {}, got {value}",
            range.start(),
            range.end()
        ),
    ))
}

/// Page and page size, checked against the surface's limits.
pub fn page(
    page: Option<i64>,
    per_page: Option<i64>,
    default_per_page: i64,
    max_per_page: i64,
) -> Result<(i64, i64), InputError> {
    let page = bounded("page", page.unwrap_or(1), 1..=MAX_PAGE)?;
    let per_page = bounded(
        "per_page",
        per_page.unwrap_or(default_per_page),
        1..=max_per_page,
    )?;
    Ok((page, per_page))
}

/// The rows before `page` (both checked by [`page`], so this cannot overflow).
pub fn offset_of(page: i64, per_page: i64) -> i64 {
    (page - 1) * per_page
}

/// GraphQL pages hold at most this many rows ([`crate::graphql::pagination::MAX_PAGE_SIZE`]).
const GRAPHQL_PAGE: i64 = crate::graphql::pagination::MAX_PAGE_SIZE as i64;

/// The variables of an operation that reads a REST page of up to twice a GraphQL page as two
/// aliased fields (`page` with `$first`/`$offset`, `more` with `$rest`/`$restOffset`, included
/// when `$needRest`): surface B's lists take up to 200 rows, as the origin's do.
pub fn two_pages(limit: i64, offset: i64) -> serde_json::Map<String, Value> {
    let first = limit.min(GRAPHQL_PAGE);
    let serde_json::Value::Object(variables) = serde_json::json!({
        "first": first,
        "offset": offset,
        "rest": (limit - first).min(GRAPHQL_PAGE),
        "restOffset": offset + first,
        "needRest": limit > first,
    }) else {
        unreachable!("a JSON object literal is an object")
    };
    variables
}

/// The highest list offset taken: GraphQL's `Int` still holds it with a page added.
pub const MAX_OFFSET: i64 = 1_000_000_000;

/// A list offset (default 0).
pub fn offset(offset: Option<i64>) -> Result<i64, InputError> {
    bounded("offset", offset.unwrap_or(0), 0..=MAX_OFFSET)
}

/// A JSON body read as `B` (so that a bad field is named in the surface's own words) and passed
/// on as the GraphQL input it mirrors: the fields of `B` the client sent, as sent, keys in
/// camelCase. An absent field stays absent and `null` stays `null`, which is what a partial update
/// needs; fields `B` does not know are dropped, as [`json`] ignores them.
pub fn graphql_body<B: DeserializeOwned + serde::Serialize>(
    body: &[u8],
) -> Result<Value, InputError> {
    let typed: B = json(body)?;
    // The struct skips what it does not know unchecked; as a value it must read too (a number
    // out of range, nesting past serde_json's limit), or it is refused like any bad body.
    let sent = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(sent)) => sent,
        Ok(_) => {
            return Err(InputError::at(
                "body",
                "body",
                "the body must be a JSON object",
            ));
        }
        Err(e) => return Err(InputError::at("body", "body", e.to_string())),
    };
    // Serialising `B` names every field it has, sent or not.
    let known = match serde_json::to_value(&typed) {
        Ok(Value::Object(known)) => known,
        _ => Map::new(),
    };
    Ok(Value::Object(
        sent.into_iter()
            .filter(|(key, _)| known.contains_key(key))
            .map(|(key, value)| (key.to_lower_camel_case(), value))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_pass_on_what_was_sent_of_the_fields_they_know() {
        #[derive(serde::Deserialize, serde::Serialize, Default)]
        #[serde(default)]
        struct Body {
            pre_prompt: async_graphql::MaybeUndefined<String>,
            max_tokens: Option<i32>,
        }
        let input = graphql_body::<Body>(br#"{"pre_prompt": null, "colour": "red"}"#).unwrap();
        assert_eq!(input, serde_json::json!({ "prePrompt": null }));
        let input = graphql_body::<Body>(br#"{"max_tokens": 9}"#).unwrap();
        assert_eq!(input, serde_json::json!({ "maxTokens": 9 }));
        let error = graphql_body::<Body>(br#"{"max_tokens": "9"}"#).unwrap_err();
        assert_eq!(error.field, "max_tokens");
        // What the struct skips (an unknown field) must still read as JSON, or be refused.
        let deep = format!(r#"{{"colour": {}1{}}}"#, "[".repeat(200), "]".repeat(200));
        for body in [br#"{"colour": 1e400}"#.to_vec(), deep.into_bytes()] {
            let error = graphql_body::<Body>(&body).unwrap_err();
            assert_eq!(error.location, "body");
        }
    }

    #[test]
    fn flags_parse_as_pydantic_does() {
        #[derive(serde::Deserialize)]
        struct Params {
            #[serde(default)]
            flag: Flag,
        }
        let read = |raw: &str| query::<Params>(Some(raw)).map(|p| p.flag.0);
        for yes in [
            "flag=true",
            "flag=True",
            "flag=1",
            "flag=YES",
            "flag=on",
            "flag=t",
        ] {
            assert!(read(yes).unwrap(), "{yes}");
        }
        for no in [
            "flag=false",
            "flag=False",
            "flag=0",
            "flag=no",
            "flag=OFF",
            "",
            "flag=n",
        ] {
            assert!(!read(no).unwrap(), "{no}");
        }
        let error = read("flag=maybe").unwrap_err();
        assert_eq!((error.location, error.field.as_str()), ("query", "flag"));
    }

    #[test]
    fn missing_fields_are_named() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            character_id: i32,
        }
        let error = json::<Body>(b"{}").unwrap_err();
        assert_eq!(error.field, "character_id");
        let error = json::<Body>(br#"{"character_id": "x"}"#).unwrap_err();
        assert_eq!(error.field, "character_id");
        let error = json::<Body>(b"{nope").unwrap_err();
        assert_eq!(error.field, "body");
        for not_an_object in [&b"[1]"[..], b" 7", b"", b"null"] {
            let error = json::<Body>(not_an_object).unwrap_err();
            assert_eq!(error.message, "the body must be a JSON object");
        }
    }
}
