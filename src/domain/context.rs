//! The prompt context: what a model is sent for a chat session. Assembled here and only here, from
//! rows `service::context` loads; the GraphQL field `ChatSession.context`, surface B's `/context`
//! and every reply use it.

use entity::{character, chat_session};

/// One message of the context, with the role a model API expects (`system`, `user`, `assistant`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextMessage {
    pub role: &'static str,
    pub content: String,
}

#[derive(Clone, Debug)]
pub struct PromptContext {
    pub character_name: String,
    pub messages: Vec<ContextMessage>,
}

/// The name `{{user}}` stands for when the session has no user profile.
pub const DEFAULT_USER_NAME: &str = "User";

/// The placeholders cards and chats write, as the origin fills them (any case): the character's
/// name for `{{char}}` and `<CHAR>`, the user's for `{{user}}`, `{{random_user}}` and `<USER>`.
const PLACEHOLDERS: [(&str, bool); 5] = [
    ("{{char}}", true),
    ("<char>", true),
    ("{{user}}", false),
    ("{{random_user}}", false),
    ("<user>", false),
];

/// Replaces the [`PLACEHOLDERS`] in `text`; anything else is kept as written.
pub fn fill_placeholders(text: &str, char_name: &str, user_name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['{', '<']) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let found = PLACEHOLDERS.iter().find(|(token, _)| {
            candidate
                .get(..token.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(token))
        });
        match found {
            Some((token, is_char)) => {
                out.push_str(if *is_char { char_name } else { user_name });
                rest = &candidate[token.len()..];
            }
            None => {
                out.push_str(&candidate[..1]);
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character card as one system message: who the model plays (`You are {name}.`, as the
/// origin's prompt starts, so that a card that never writes `{{char}}` still names it), then the
/// description, personality, scenario and example messages, each when present.
fn card(character: &character::Model) -> String {
    fn present(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let parts: Vec<String> = [
        Some(format!("You are {}.", character.name.trim())),
        present(&character.description).map(str::to_owned),
        present(&character.personality).map(|p| format!("Personality: {p}")),
        present(&character.scenario).map(|s| format!("Scenario: {s}")),
        present(&character.message_example).map(|e| format!("Example messages:\n{e}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    parts.join("\n\n")
}

/// A character on its own, for a conversation Parley does not store: its card's system prompt and
/// the card, as [`assemble`] puts them (placeholders filled, `{{user}}` as `User`).
pub fn character_preamble(character: &character::Model) -> Vec<ContextMessage> {
    [character.system_prompt.clone(), Some(card(character))]
        .into_iter()
        .flatten()
        .filter(|text| !text.trim().is_empty())
        .map(|text| ContextMessage {
            role: "system",
            content: fill_placeholders(&text, &character.name, DEFAULT_USER_NAME),
        })
        .collect()
}

/// What a context is assembled from, loaded by `service::context`.
pub struct ContextParts<'a> {
    pub session: &'a chat_session::Model,
    pub character: character::Model,
    /// The user profile's name, [`DEFAULT_USER_NAME`] without one.
    pub user_name: String,
    /// The session's system prompt, else the card's own.
    pub system: Option<String>,
    /// (role, content) of the live history, oldest first, the pending user message included.
    pub history: Vec<(&'static str, String)>,
}

/// Assembles the context of a session, in this order: the system prompt (the session's, else the
/// card's own); the character card; the pre-prompt if enabled; the history without deleted
/// messages (or, when there is none, the character's first message as the assistant); the
/// post-prompt if enabled. Every piece has `{{char}}` and `{{user}}` replaced.
pub fn assemble(parts: ContextParts<'_>) -> PromptContext {
    let ContextParts {
        session,
        character,
        user_name,
        system,
        history,
    } = parts;
    let mut messages = Vec::with_capacity(history.len() + 4);
    let mut push = |role: &'static str, text: &str| {
        if !text.trim().is_empty() {
            messages.push(ContextMessage {
                role,
                content: fill_placeholders(text, &character.name, &user_name),
            });
        }
    };
    if let Some(system) = &system {
        push("system", system);
    }
    push("system", &card(&character));
    if session.pre_prompt_enabled
        && let Some(pre) = &session.pre_prompt
    {
        push("system", pre);
    }
    if history.is_empty() {
        if let Some(first) = &character.first_message {
            push("assistant", first);
        }
    } else {
        for (role, content) in &history {
            push(role, content);
        }
    }
    if session.post_prompt_enabled
        && let Some(post) = &session.post_prompt
    {
        push("system", post);
    }
    PromptContext {
        character_name: character.name,
        messages,
    }
}

/// A stored role as a `'static` name (anything unknown is the user's).
pub fn role_of(stored: &str) -> &'static str {
    match stored {
        "assistant" => "assistant",
        "system" => "system",
        _ => "user",
    }
}

#[cfg(test)]
mod tests {
    use super::fill_placeholders;

    #[test]
    fn placeholders_are_replaced_and_others_kept() {
        assert_eq!(
            fill_placeholders(
                "{{user}} meets {{char}}; {{CHAR}} waves. {{other}} {{",
                "Holmes",
                "Watson"
            ),
            "Watson meets Holmes; Holmes waves. {{other}} {{"
        );
        assert_eq!(
            fill_placeholders(
                "<USER> and <char>, {{Random_User}}; <b>{{{user}}}</b> <",
                "HAL",
                "Dave"
            ),
            "Dave and HAL, Dave; <b>{Dave}</b> <"
        );
    }
}
