//! A stand-in for an OpenAI-compatible model server, on 127.0.0.1: it records what it is asked
//! and answers as the test tells it to.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::StreamExt;
use serde_json::{Value, json};

#[derive(Clone)]
pub enum Behavior {
    /// Stream these tokens (or answer them joined, without `stream`).
    Reply(Vec<&'static str>),
    /// Answer this status.
    Fail(u16),
    /// Say nothing for this long, then reply.
    Hang(Duration),
    /// Stream these tokens with a pause before each.
    Drip(Vec<&'static str>, Duration),
    /// Answer 307 to this address (method and body kept, as a redirect that wants them).
    Redirect(String),
}

#[derive(Clone)]
struct Shared {
    behavior: Arc<Mutex<Behavior>>,
    requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    /// Tokens a `Drip` stream has sent, over all requests.
    dripped: Arc<AtomicUsize>,
    /// `Drip` streams whose reader hung up before the end.
    cut: Arc<AtomicUsize>,
}

/// Counts a `Drip` stream as cut when it is dropped before its last chunk was taken.
struct CutWhenDropped {
    finished: Arc<AtomicBool>,
    cut: Arc<AtomicUsize>,
}

impl Drop for CutWhenDropped {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::SeqCst) {
            self.cut.fetch_add(1, Ordering::SeqCst);
        }
    }
}

pub struct ModelServer {
    /// `http://127.0.0.1:PORT/v1`, as PARLEY_OPENAI_BASE_URL takes it.
    pub base_url: String,
    shared: Shared,
}

impl ModelServer {
    pub async fn start(behavior: Behavior) -> Self {
        let shared = Shared {
            behavior: Arc::new(Mutex::new(behavior)),
            requests: Arc::default(),
            dripped: Arc::default(),
            cut: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        ModelServer { base_url, shared }
    }

    pub fn behave(&self, behavior: Behavior) {
        *self.shared.behavior.lock().unwrap() = behavior;
    }

    /// The bodies of the requests received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared
            .requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// Tokens sent by `Drip` streams so far.
    pub fn dripped(&self) -> usize {
        self.shared.dripped.load(Ordering::SeqCst)
    }

    /// `Drip` streams that their reader (Parley) dropped before the end.
    pub fn cut_streams(&self) -> usize {
        self.shared.cut.load(Ordering::SeqCst)
    }

    pub fn last_authorization(&self) -> Option<String> {
        let requests = self.shared.requests.lock().unwrap();
        let (headers, _) = requests.last()?;
        headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

async fn completions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared
        .requests
        .lock()
        .unwrap()
        .push((headers, body.clone()));
    let behavior = shared.behavior.lock().unwrap().clone();
    let tokens = match behavior {
        Behavior::Fail(status) => {
            return (
                StatusCode::from_u16(status).unwrap(),
                Json(json!({"error": {"message": "boom"}})),
            )
                .into_response();
        }
        Behavior::Redirect(location) => {
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
                .into_response();
        }
        Behavior::Hang(delay) => {
            tokio::time::sleep(delay).await;
            vec!["late"]
        }
        Behavior::Reply(tokens) => tokens,
        Behavior::Drip(tokens, pause) => {
            let model = body["model"].clone();
            let dripped = shared.dripped.clone();
            let chunks = futures::stream::iter(tokens).then(move |token| {
                let (model, dripped) = (model.clone(), dripped.clone());
                async move {
                    tokio::time::sleep(pause).await;
                    dripped.fetch_add(1, Ordering::SeqCst);
                    let chunk = json!({"id": "cmpl-test", "object": "chat.completion.chunk", "created": 0,
                        "model": model, "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": null}]});
                    Ok::<_, std::convert::Infallible>(format!("data: {chunk}\n\n"))
                }
            });
            let finished = Arc::new(AtomicBool::new(false));
            let guard = CutWhenDropped {
                finished: finished.clone(),
                cut: shared.cut.clone(),
            };
            let done = futures::stream::once(async move {
                finished.store(true, Ordering::SeqCst);
                Ok("data: [DONE]\n\n".to_owned())
            });
            let body = axum::body::Body::from_stream(chunks.chain(done).map(move |chunk| {
                let _alive_while_streaming = &guard;
                chunk
            }));
            return ([("content-type", "text/event-stream")], body).into_response();
        }
    };
    if body["stream"] != true {
        return Json(json!({
            "id": "cmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": tokens.concat()}, "finish_reason": "stop"}],
        }))
        .into_response();
    }
    let mut sse = String::new();
    let chunk = |delta: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "cmpl-test", "object": "chat.completion.chunk", "created": 0,
                   "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
        )
    };
    sse.push_str(&chunk(json!({"role": "assistant"})));
    for token in tokens {
        sse.push_str(&chunk(json!({"content": token})));
    }
    sse.push_str("data: [DONE]\n\n");
    ([("content-type", "text/event-stream")], sse).into_response()
}
