//! `POST /api/v1/chat/completions`: the OpenAI chat-completions shapes, plus `conversation_id` (a
//! chat's uuid) and `character_id`.
//!
//! With a conversation, the chat's stored context is the prompt (the messages sent are only read
//! for the new user message, the last `user` one), and the user message and the reply are saved.
//! Without one, the messages are passed to the model as they are (after the character's card
//! when `character_id` is given) and nothing is saved.
//!
//! This handler calls the service layer's reply use case directly instead of forwarding to GraphQL:
//! an OpenAI event stream has no GraphQL query equivalent. The authorization and the reply logic
//! are the same ones GraphQL's `sendMessage` uses (`service::reply`).
//!
//! A streaming client that disconnects before the end stops the generation: nothing is saved, the
//! chat stays as it was (decided over saving a partial reply: a cut-off reply in the history would
//! be fed back to the model as if the character had said it).

use std::convert::Infallible;

use axum::{
    Json,
    body::Bytes,
    response::{IntoResponse, Response, Sse, sse::Event as SseEvent},
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    input,
    surface_b::{Caller, Detail, DetailError},
};
use crate::{
    AppState,
    auth::Principal,
    error::{AppError, AppResult},
    llm::{ChatMessage, ChatRequest},
    service::{
        context::character_preamble_of,
        reply::{ModelChoice, ReplyServices, model_by_label, model_of, reply},
        session::{Session, find_session},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(chat_completions))
}

#[derive(Deserialize, ToSchema)]
pub struct CompletionRequest {
    /// An AI model's label, or a model name for the default provider. Optional with a
    /// conversation whose session has a model.
    pub model: Option<String>,
    pub messages: Vec<CompletionMessage>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
    #[serde(default)]
    pub stream: bool,
    /// A chat's uuid: use and extend its stored conversation.
    pub conversation_id: Option<Uuid>,
    /// Without a conversation: put this character's card before the messages.
    pub character_id: Option<i32>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct CompletionMessage {
    pub role: String,
    pub content: String,
}

#[derive(Serialize, ToSchema)]
pub struct Completion {
    pub id: String,
    /// `chat.completion`.
    pub object: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<CompletionChoice>,
    /// The saved reply's message id, with a conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct CompletionChoice {
    pub index: u32,
    pub message: CompletionMessage,
    pub finish_reason: String,
}

/// What to generate, decided before anything streams.
struct Plan {
    principal: Principal,
    choice: ModelChoice,
    /// With a conversation: the session and the new user message.
    conversation: Option<(Session, String)>,
    /// Without one: the messages to send as they are.
    messages: Vec<ChatMessage>,
}

async fn plan(caller: &Caller, body: CompletionRequest) -> Result<Plan, DetailError> {
    let (principal, db) = (caller.principal, &caller.state.db);
    let planned: AppResult<Plan> = async {
        let by_label = match &body.model {
            Some(label) => model_by_label(db, principal, label).await?,
            None => None,
        };
        let requested = by_label.or_else(|| {
            body.model.clone().map(|model| ModelChoice {
                provider: None,
                model,
                temperature: None,
                max_tokens: None,
            })
        });
        let (choice, conversation, messages) = match body.conversation_id {
            Some(uuid) => {
                let session = find_session(db, principal, None, Some(uuid), false).await?;
                let content = body
                    .messages
                    .iter()
                    .rev()
                    .find(|m| m.role == "user")
                    .map(|m| m.content.clone())
                    .ok_or_else(|| AppError::invalid("messages", "a user message is needed"))?;
                let choice = match model_of(db, principal, &session).await {
                    Ok(choice) => choice,
                    Err(e) => requested.clone().ok_or(e)?,
                };
                (choice, Some((session, content)), Vec::new())
            }
            None => {
                let choice =
                    requested.ok_or_else(|| AppError::invalid("model", "a model is needed"))?;
                let mut messages = Vec::new();
                if let Some(id) = body.character_id {
                    let preamble = character_preamble_of(db, principal, id).await?;
                    messages.extend(preamble.into_iter().map(|m| ChatMessage {
                        role: m.role.to_owned(),
                        content: m.content,
                    }));
                }
                messages.extend(body.messages.iter().map(|m| ChatMessage {
                    role: m.role.clone(),
                    content: m.content.clone(),
                }));
                if messages.is_empty() {
                    return Err(AppError::invalid(
                        "messages",
                        "at least one message is needed",
                    ));
                }
                (choice, None, messages)
            }
        };
        let choice = ModelChoice {
            temperature: body.temperature.or(choice.temperature),
            max_tokens: body.max_tokens.or(choice.max_tokens),
            ..choice
        };
        Ok(Plan {
            principal,
            choice,
            conversation,
            messages,
        })
    }
    .await;
    planned.map_err(|e| DetailError::from(super::forward::Failure::from(e)))
}

/// Runs the plan, sending each token to `tokens`; stops (saving nothing) when it is closed.
async fn generate(
    state: AppState,
    plan: Plan,
    tokens: mpsc::Sender<String>,
) -> AppResult<Option<i32>> {
    match plan.conversation {
        Some((session, content)) => {
            let services = ReplyServices {
                db: &state.db,
                providers: &state.providers,
                events: &state.events,
            };
            let on_token =
                |token: &str| tokens.try_send(token.to_owned()).is_ok() || !tokens.is_closed();
            let turn = reply(
                &services,
                plan.principal,
                &session,
                &plan.choice,
                Some(&content),
                None,
                on_token,
            )
            .await?;
            Ok(Some(turn.reply.id))
        }
        None => {
            let request = ChatRequest {
                model: plan.choice.model.clone(),
                messages: plan.messages,
                temperature: plan.choice.temperature,
                max_tokens: plan.choice.max_tokens,
            };
            let mut stream = state
                .providers
                .stream(plan.choice.provider.as_deref(), &request)
                .await?;
            while let Some(token) = stream.next().await {
                if tokens.send(token?).await.is_err() {
                    return Err(AppError::ModelFailed("the client went away".into()));
                }
            }
            Ok(None)
        }
    }
}

/// One server-sent event of a streamed completion (the schema of each event, not of the stream).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CompletionEvent {
    /// A `chat.completion.chunk` object as JSON text; the last event's data is `[DONE]`.
    data: String,
}

/// OpenAI-compatible chat completions; `stream: true` answers server-sent events.
#[utoipa::path(
    post, path = "/api/v1/chat/completions", tag = "chat-completions",
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "A chat.completion object, or with stream: true an event stream of chat.completion.chunk objects ending with `data: [DONE]`",
            content(
                (Completion = "application/json"),
                (CompletionEvent = "text/event-stream"),
            )
        ),
        (status = 404, body = Detail),
        (status = 422, body = Detail),
        (status = 502, description = "The model provider failed", body = Detail),
        (status = 503, description = "No model provider configured", body = Detail),
        (status = 504, description = "The model provider timed out", body = Detail),
    )
)]
async fn chat_completions(caller: Caller, body: Bytes) -> Response {
    let request: CompletionRequest = match input::json(&body) {
        Ok(request) => request,
        Err(e) => return DetailError::from(e).into_response(),
    };
    let stream = request.stream;
    let plan = match plan(&caller, request).await {
        Ok(plan) => plan,
        Err(e) => return e.into_response(),
    };
    let id = format!("chatcmpl-{}", Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    let model = plan.choice.model.clone();
    let (sender, mut receiver) = mpsc::channel::<String>(256);
    let task = tokio::spawn(generate(caller.state, plan, sender));

    if !stream {
        let mut content = String::new();
        while let Some(token) = receiver.recv().await {
            content.push_str(&token);
        }
        return match task.await {
            Ok(Ok(message_id)) => Json(Completion {
                id,
                object: "chat.completion".into(),
                created,
                model,
                choices: vec![CompletionChoice {
                    index: 0,
                    message: CompletionMessage {
                        role: "assistant".into(),
                        content,
                    },
                    finish_reason: "stop".into(),
                }],
                message_id,
            })
            .into_response(),
            Ok(Err(e)) => DetailError::from(super::forward::Failure::from(e)).into_response(),
            Err(e) => DetailError::from(super::forward::Failure::from(AppError::internal(e)))
                .into_response(),
        };
    }

    let chunk = move |delta: Value, finish: Option<&str>| {
        json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
        })
    };
    let events = async_stream_events(receiver, task, chunk);
    Sse::new(events).into_response()
}

/// The SSE body: a role chunk, a chunk per token, a final chunk (or an error event), `[DONE]`.
fn async_stream_events(
    receiver: mpsc::Receiver<String>,
    task: tokio::task::JoinHandle<AppResult<Option<i32>>>,
    chunk: impl Fn(Value, Option<&str>) -> Value + Send + Sync + 'static,
) -> impl futures::Stream<Item = Result<SseEvent, Infallible>> {
    let chunk = std::sync::Arc::new(chunk);
    let first = {
        let chunk = chunk.clone();
        futures::stream::once(async move { chunk(json!({"role": "assistant"}), None) })
    };
    let tokens = {
        let chunk = chunk.clone();
        tokio_stream::wrappers::ReceiverStream::new(receiver)
            .map(move |token| chunk(json!({"content": token}), None))
    };
    let last = futures::stream::once(async move {
        match task.await {
            Ok(Ok(_)) => chunk(json!({}), Some("stop")),
            Ok(Err(e)) => json!({"error": {"message": e.to_string(), "code": e.code()}}),
            Err(e) => {
                json!({"error": {"message": e.to_string(), "code": crate::error::ErrorCode::InternalServerError}})
            }
        }
    });
    first
        .chain(tokens)
        .chain(last)
        .map(|value| SseEvent::default().data(value.to_string()))
        .chain(futures::stream::once(async {
            SseEvent::default().data("[DONE]")
        }))
        .map(Ok)
}
