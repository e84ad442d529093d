//! Input rules shared by every surface (GraphQL, and the REST surfaces that forward to it).

use crate::error::{AppError, AppResult};

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
