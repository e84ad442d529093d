//! `GET /graphql/ws`: GraphQL over WebSocket (graphql-transport-ws, and the older graphql-ws),
//! under the same rules as HTTP.
//!
//! async-graphql's [`WebSocket`](async_graphql::http::WebSocket) speaks the protocol; this module
//! pumps it to the socket (as async-graphql-axum's `serve` does) and adds what a socket that
//! stays open for hours needs:
//! - frames and messages no larger than the body limit, before authentication too;
//! - `connection_init` within [`SocketLimits::init_timeout`], else close 4408;
//! - at most [`SocketLimits::max_per_principal`] sockets per account;
//! - every operation checked like an HTTP request: the credentials still valid, the account's
//!   rate limit (an operation over it is answered `RATE_LIMITED`);
//! - credentials that stop being valid (a revoked key, an expired token) close the socket with
//!   4403: at once when the key is revoked on this replica, within [`RECHECK`] plus the key
//!   cache's minute when it is revoked on another.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use crate::{
    auth::{Authenticator, Principal},
    db::Reader,
    error::AppError,
};
use async_graphql::{
    Executor, Request, Response,
    http::{WebSocketProtocols, WsMessage},
};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket},
    http::{HeaderMap, HeaderName, HeaderValue},
};
use futures::{SinkExt, StreamExt, future, stream::BoxStream};

use super::{Engine, loaders::Loaders};

/// How often an open socket's credentials are verified again when nothing else prompts it.
pub const RECHECK: Duration = Duration::from_secs(10);

/// A socket's read buffer, in bytes; a larger message grows it while it arrives. Clients send a
/// socket a few small messages, and it is much of what an idle subscriber costs (bench/RESULTS.md).
const SOCKET_READ_BUFFER: usize = 2 * 1024;

/// The limits of sockets.
#[derive(Clone, Copy, Debug)]
pub struct SocketLimits {
    pub init_timeout: Duration,
    pub max_per_principal: usize,
    /// The largest frame or message, in bytes (the body limit).
    pub max_message_bytes: usize,
}

/// Open sockets per account, for the cap.
#[derive(Clone, Default)]
pub struct OpenSockets(Arc<Mutex<HashMap<i32, usize>>>);

impl OpenSockets {
    /// Counts a socket for `principal`, unless it already has `max`.
    fn open(&self, principal: Principal, max: usize) -> Option<SocketSlot> {
        let mut counts = self.0.lock().expect("socket counts");
        let count = counts.entry(principal.account_id).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(SocketSlot {
            sockets: self.clone(),
            principal,
        })
    }
}

/// One socket's place in [`OpenSockets`], given back when the socket ends.
struct SocketSlot {
    sockets: OpenSockets,
    principal: Principal,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut counts = self.sockets.0.lock().expect("socket counts");
        if let Some(count) = counts.get_mut(&self.principal.account_id) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.principal.account_id);
            }
        }
    }
}

/// Who a socket was opened by: the credentials of its `connection_init`, checked again on every
/// operation.
struct Credentials {
    headers: HeaderMap,
    principal: Principal,
    _slot: SocketSlot,
}

/// Operations (subscriptions, mostly) one socket may have running at once; one more is answered
/// with an error. Each holds a stream and its session's topic for as long as it runs, so the
/// rate limit alone would let one socket gather them without end.
pub const MAX_OPERATIONS_PER_SOCKET: usize = 64;

/// What one socket shares between its pump and its executor.
#[derive(Clone)]
struct Socket {
    engine: Engine,
    auth: Authenticator,
    credentials: Arc<OnceLock<Credentials>>,
    /// Set when an operation found the credentials no longer valid.
    forbidden: Arc<tokio::sync::Notify>,
    /// A permit per running operation, given back when its stream ends or is stopped.
    operations: Arc<tokio::sync::Semaphore>,
}

impl Socket {
    /// Whether the socket's credentials still name its principal (no rate limit spent).
    async fn still_valid(&self) -> bool {
        let Some(credentials) = self.credentials.get() else {
            return true;
        };
        matches!(
            self.auth.verify(&credentials.headers).await,
            Ok(Some(principal)) if principal == credentials.principal
        )
    }
}

impl Executor for Socket {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        self.engine.execute(request)
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> BoxStream<'static, Response> {
        let socket = self.clone();
        futures::stream::once(async move {
            let refused = |error: AppError| {
                let error = async_graphql::ErrorExtensions::extend(&error);
                Response::from_errors(vec![error.into_server_error(Default::default())])
            };
            let Some(credentials) = socket.credentials.get() else {
                return futures::stream::once(future::ready(refused(AppError::Unauthenticated(
                    "send connection_init first".into(),
                ))))
                .boxed();
            };
            let Ok(permit) = socket.operations.clone().try_acquire_owned() else {
                return futures::stream::once(future::ready(refused(AppError::Conflict(format!(
                    "this socket has {MAX_OPERATIONS_PER_SOCKET} operations running, the most \
                         allowed; complete one first"
                )))))
                .boxed();
            };
            match socket.auth.identify(&credentials.headers).await {
                Ok(Some(principal)) if principal == credentials.principal => socket
                    .engine
                    .execute_stream(request, session_data)
                    .map(move |response| {
                        let _running = &permit;
                        response
                    })
                    .boxed(),
                Err(error @ AppError::RateLimited { .. }) => {
                    futures::stream::once(future::ready(refused(error))).boxed()
                }
                _ => {
                    socket.forbidden.notify_one();
                    let error =
                        AppError::Unauthenticated("the credentials are no longer valid".into());
                    futures::stream::once(future::ready(refused(error))).boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }
}

/// The headers a `connection_init` payload carries (`{"X-API-KEY": ...}` or
/// `{"Authorization": "Bearer ..."}`).
fn payload_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in payload.as_object().into_iter().flatten() {
        let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) else {
            continue;
        };
        headers.insert(name, value);
    }
    headers
}

/// The subprotocol the client asked for (the first Parley speaks), as async-graphql-axum's
/// `GraphQLProtocol` extractor reads it.
pub fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|protocol| protocol.trim().parse().ok())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve(
    socket: WebSocket,
    protocol: WebSocketProtocols,
    engine: Engine,
    auth: Authenticator,
    reader: Reader,
    sockets: OpenSockets,
    limits: SocketLimits,
) {
    let socket_state = Socket {
        engine,
        auth: auth.clone(),
        credentials: Arc::new(OnceLock::new()),
        forbidden: Arc::new(tokio::sync::Notify::new()),
        operations: Arc::new(tokio::sync::Semaphore::new(MAX_OPERATIONS_PER_SOCKET)),
    };
    let (mut sink, input) = socket.split();
    let input = input
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let on_init = {
        let (auth, credentials) = (auth.clone(), socket_state.credentials.clone());
        move |payload: serde_json::Value| async move {
            let headers = payload_headers(&payload);
            let principal = auth
                .authenticate(&headers)
                .await
                .map_err(|e| async_graphql::Error::new(e.to_string()))?;
            let slot = sockets
                .open(principal, limits.max_per_principal)
                .ok_or_else(|| {
                    async_graphql::Error::new(format!(
                        "this account has {} sockets open, the most allowed",
                        limits.max_per_principal
                    ))
                })?;
            let _ = credentials.set(Credentials {
                headers,
                principal,
                _slot: slot,
            });
            let mut data = async_graphql::Data::default();
            data.insert(principal);
            data.insert(Arc::new(Loaders::new(&reader, principal).uncached()));
            Ok(data)
        }
    };
    let messages = async_graphql::http::WebSocket::new(socket_state.clone(), input, protocol)
        .on_connection_init(on_init)
        .map(|message| match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => close(code, &reason),
        });
    futures::pin_mut!(messages);
    let init_deadline = tokio::time::sleep(limits.init_timeout);
    tokio::pin!(init_deadline);
    let mut revocations = auth.api_keys.revocations();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.reset();
    let forbidden = socket_state.forbidden.clone();
    loop {
        let initialised = socket_state.credentials.get().is_some();
        let message = tokio::select! {
            message = messages.next() => match message {
                Some(message) => message,
                None => break,
            },
            _ = &mut init_deadline, if !initialised => {
                close(4408, "Connection initialisation timeout")
            }
            _ = forbidden.notified() => close(4403, "Forbidden"),
            changed = revocations.changed(), if initialised => {
                if changed.is_ok() && socket_state.still_valid().await {
                    continue;
                }
                close(4403, "Forbidden")
            }
            _ = recheck.tick(), if initialised => {
                if socket_state.still_valid().await {
                    continue;
                }
                close(4403, "Forbidden")
            }
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
}

/// `GET /graphql/ws`: subscriptions (and queries) over graphql-transport-ws (or the older
/// graphql-ws protocol), under the rules of `graphql::ws`. The client authenticates in
/// `connection_init`, with the same credentials as HTTP: `{"X-API-KEY": "..."}` or
/// `{"Authorization": "Bearer ..."}`.
pub(crate) async fn upgrade(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    headers: HeaderMap,
    upgrade: axum::extract::WebSocketUpgrade,
) -> axum::response::Response {
    let Some(protocol) = protocol(&headers) else {
        return axum::response::IntoResponse::into_response(axum::http::StatusCode::BAD_REQUEST);
    };
    let limits = state.socket_limits;
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        // tungstenite fills a 128 KiB read buffer per socket by default.
        .read_buffer_size(SOCKET_READ_BUFFER)
        .on_upgrade(move |socket| {
            serve(
                socket,
                protocol,
                state.graphql.clone(),
                state.auth.clone(),
                state.reader.clone(),
                state.sockets.clone(),
                limits,
            )
        })
}
