//! Input rules shared by every surface (GraphQL, and the REST surfaces that forward to it).

use crate::error::{AppError, AppResult};

/// Runs every check and reports every failure at once: the first failing field is the error's
/// `field`, the others follow in `also` (surface A's `details` name them all, as the origin's do).
/// A failure that is not about input is returned as it is.
pub fn all_of(checks: impl IntoIterator<Item = AppResult<()>>) -> AppResult<()> {
    let mut failed: Option<AppError> = None;
    for check in checks {
        let Err(error) = check else { continue };
        match (&mut failed, error) {
            (None, error) => failed = Some(error),
            (
                Some(AppError::BadUserInput { also, .. }),
                AppError::BadUserInput {
                    message,
                    field: Some(field),
                    ..
                },
            ) => also.push((field, message)),
            (Some(_), _) => {}
        }
    }
    failed.map_or(Ok(()), Err)
}

/// A required text field must have something other than white space in it.
pub fn require_text(field: &str, value: &str) -> AppResult<()> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    Ok(())
}

/// An enabled pre/post-prompt needs text; a disabled one may keep its text for later.
pub fn require_prompt_when_enabled(
    field: &str,
    enabled: bool,
    prompt: Option<&str>,
) -> AppResult<()> {
    if enabled && prompt.is_none_or(|p| p.trim().is_empty()) {
        return Err(AppError::invalid(
            field,
            format!("{field} is required when {field}_enabled is true"),
        ));
    }
    Ok(())
}

/// Ratings are whole stars from 1 to 5.
pub fn rating(value: Option<i32>) -> AppResult<()> {
    match value {
        Some(r) if !(1..=5).contains(&r) => Err(AppError::invalid(
            "rating",
            format!("rating must be between 1 and 5, got {r}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_failures_are_reported_together() {
        let error = all_of([
            require_prompt_when_enabled("pre_prompt", true, None),
            rating(Some(3)),
            require_prompt_when_enabled("post_prompt", true, Some(" ")),
        ])
        .unwrap_err();
        let AppError::BadUserInput { field, also, .. } = error else {
            panic!("not an input error: {error:?}");
        };
        assert_eq!(field.as_deref(), Some("pre_prompt"));
        let others: Vec<&str> = also.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(others, ["post_prompt"]);
        assert!(all_of([rating(None), require_text("label", "x")]).is_ok());
    }

    #[test]
    fn enabled_prompt_needs_text() {
        assert!(require_prompt_when_enabled("pre_prompt", true, None).is_err());
        assert!(require_prompt_when_enabled("pre_prompt", true, Some("  ")).is_err());
        assert!(require_prompt_when_enabled("pre_prompt", true, Some("hi")).is_ok());
        assert!(require_prompt_when_enabled("pre_prompt", false, None).is_ok());
    }

    #[test]
    fn rating_is_one_to_five() {
        assert!(rating(Some(0)).is_err());
        assert!(rating(Some(6)).is_err());
        assert!(rating(Some(5)).is_ok());
        assert!(rating(None).is_ok());
    }
}

/// What a NUL in text is refused with. PostgreSQL cannot store U+0000 in `text` or `jsonb`
/// (SQLite can); refusing it on every database gives the same answer on both.
pub const NUL_MESSAGE: &str = "text must not contain the NUL character (U+0000)";

/// The path (`data.name`, `messages.0.content`) of the first string in `value`, or object key,
/// that holds a NUL; `None` when there is none.
pub fn nul_in_json(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains('\0') => Some(String::new()),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            nul_in_json(item).map(|inner| join(&index.to_string(), &inner))
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(key.replace('\0', ""));
            }
            nul_in_json(item).map(|inner| join(key, &inner))
        }),
        _ => None,
    }
}

fn join(outer: &str, inner: &str) -> String {
    if inner.is_empty() {
        outer.to_owned()
    } else {
        format!("{outer}.{inner}")
    }
}

#[cfg(test)]
mod nul_tests {
    use super::*;

    #[test]
    fn a_nul_is_found_where_it_is() {
        let value = serde_json::json!({"data": {"name": "a", "tags": ["b", "c\u{0}"]}});
        assert_eq!(nul_in_json(&value).as_deref(), Some("data.tags.1"));
        assert_eq!(nul_in_json(&serde_json::json!({"ok": "text"})), None);
    }
}
