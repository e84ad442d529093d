//! Chat exports (surface B's `/export`, GraphQL's `ChatSession.export`): JSON, Markdown and plain
//! text, in the line formats compat-notes.md gives.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// Everything an export shows.
pub struct ChatTranscript {
    pub chat_id: Uuid,
    pub title: Option<String>,
    pub character_id: i32,
    pub character_name: String,
    pub created_at: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub rating: Option<i32>,
    /// (id, role, content, timestamp), oldest first, deleted messages left out.
    pub messages: Vec<(i32, String, String, DateTime<Utc>)>,
}

/// What to put in besides the messages.
#[derive(Clone, Copy)]
pub struct ExportOptions {
    /// The date and message count (Markdown, text) or the `metadata` object (JSON).
    pub include_metadata: bool,
    /// The character's name (and id, in JSON).
    pub include_character: bool,
}

pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl ChatTranscript {
    fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("Untitled Chat")
    }

    /// With metadata, a header: `# Chat Export: {title}`, `**Character**: ...` (with the
    /// character), `**Date**: ...`, `**Messages**: N`, `---`. Then per message
    /// `**{Sender}** ({timestamp}):` and its content, messages separated by a blank line. Without
    /// metadata the messages stand alone, as the origin exports them.
    pub fn markdown(&self, options: ExportOptions) -> String {
        let mut out = String::new();
        if options.include_metadata {
            out.push_str(&format!("# Chat Export: {}\n\n", self.title()));
            if options.include_character {
                out.push_str(&format!("**Character**: {}\n", self.character_name));
            }
            out.push_str(&format!("**Date**: {}\n", timestamp(self.created_at)));
            out.push_str(&format!("**Messages**: {}\n", self.messages.len()));
            out.push_str("\n---\n");
        }
        for (_, role, content, at) in &self.messages {
            out.push_str(&format!(
                "\n**{}** ({}):\n{}\n",
                sender(role),
                timestamp(*at),
                content
            ));
        }
        match out.strip_prefix('\n') {
            // No header: the transcript starts at the first message.
            Some(messages) if !options.include_metadata => messages.to_owned(),
            _ => out,
        }
    }

    /// With metadata, a header: `Chat: ...`, `Character: ...` (with the character), `Date: ...`,
    /// a line of 40 dashes. Then `sender: content` per message.
    pub fn text(&self, options: ExportOptions) -> String {
        let mut out = String::new();
        if options.include_metadata {
            out.push_str(&format!("Chat: {}\n", self.title()));
            if options.include_character {
                out.push_str(&format!("Character: {}\n", self.character_name));
            }
            out.push_str(&format!("Date: {}\n", timestamp(self.created_at)));
            out.push_str(&"-".repeat(40));
            out.push('\n');
        }
        for (_, role, content, _) in &self.messages {
            out.push_str(&format!("{role}: {content}\n"));
        }
        out
    }

    /// `{chat_id, character_name, character_id, title, created_at, messages: [{id, role, content,
    /// timestamp}], metadata: {total_messages, rating, last_modified}}`.
    pub fn json(&self, options: ExportOptions) -> Value {
        let mut out = json!({
            "chat_id": self.chat_id,
            "title": self.title(),
            "created_at": timestamp(self.created_at),
            "messages": self.messages.iter().map(|(id, role, content, at)| json!({
                "id": id, "role": role, "content": content, "timestamp": timestamp(*at),
            })).collect::<Vec<_>>(),
        });
        if options.include_character {
            out["character_name"] = json!(self.character_name);
            out["character_id"] = json!(self.character_id);
        }
        if options.include_metadata {
            out["metadata"] = json!({
                "total_messages": self.messages.len(),
                "rating": self.rating,
                "last_modified": timestamp(self.last_modified),
            });
        }
        out
    }
}

/// `user` -> `User`.
fn sender(role: &str) -> String {
    let mut chars = role.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
