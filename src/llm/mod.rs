//! Model providers: any OpenAI-compatible server (OpenAI, Ollama, llama.cpp server, vLLM, LM
//! Studio). Providers come from configuration only; credentials never enter the database or logs.

use std::{collections::HashMap, sync::Arc, time::Duration};

use eventsource_stream::Eventsource;
use futures::{StreamExt, stream::BoxStream};
use serde::{Deserialize, Serialize};

use crate::{
    error::{AppError, AppResult},
    metrics::Metrics,
};

/// The provider an `ai_model` without one uses.
pub const DEFAULT_PROVIDER: &str = "default";

#[derive(Clone, Debug)]
pub struct ProviderSettings {
    pub name: String,
    /// Up to and including the API version, as the OpenAI SDKs take it: `http://host:port/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

/// What a model is asked.
#[derive(Clone, Debug, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

struct Provider {
    settings: ProviderSettings,
    client: reqwest::Client,
}

/// The configured providers, by name.
#[derive(Clone, Default)]
pub struct Providers {
    by_name: Arc<HashMap<String, Provider>>,
    metrics: Metrics,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
}

impl Providers {
    pub fn new(settings: &[ProviderSettings], metrics: Metrics) -> Self {
        let by_name = settings
            .iter()
            .map(|settings| {
                let client = reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    // Between two pieces of a streamed reply, not for the whole reply.
                    .read_timeout(settings.timeout)
                    // A redirect would carry the provider's API key to wherever it points; a
                    // provider's address is configured, so a redirect is an error to report.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client builds");
                (
                    settings.name.clone(),
                    Provider {
                        settings: settings.clone(),
                        client,
                    },
                )
            })
            .collect();
        Providers {
            by_name: Arc::new(by_name),
            metrics,
        }
    }

    /// A model may only name a configured provider: a typo is caught when the model is saved,
    /// not at its first reply. (Leaving the provider out, the default one, is always allowed.)
    pub fn check_named(&self, name: Option<&str>) -> AppResult<()> {
        match name {
            Some(name) if !self.by_name.contains_key(name) => {
                let mut configured: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
                configured.sort_unstable();
                Err(AppError::invalid(
                    "provider",
                    format!(
                        "no model provider named `{name}` is configured (configured: {})",
                        if configured.is_empty() {
                            "none".to_owned()
                        } else {
                            configured.join(", ")
                        }
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    fn provider(&self, name: Option<&str>) -> AppResult<&Provider> {
        let name = name.unwrap_or(DEFAULT_PROVIDER);
        self.by_name.get(name).ok_or_else(|| {
            self.metrics.observe_model(name, "unavailable", 0.0);
            AppError::ModelUnavailable(if name == DEFAULT_PROVIDER {
                "no model provider is configured (set PARLEY_OPENAI_BASE_URL)".into()
            } else {
                format!("no model provider named `{name}` is configured")
            })
        })
    }

    /// Streams the reply's text as it arrives. Unreachable servers and error answers are
    /// BAD_GATEWAY, silence longer than the provider's timeout GATEWAY_TIMEOUT.
    pub async fn stream(
        &self,
        provider: Option<&str>,
        request: &ChatRequest,
    ) -> AppResult<BoxStream<'static, AppResult<String>>> {
        let provider = self.provider(provider)?;
        let started = std::time::Instant::now();
        let metrics = self.metrics.clone();
        let label = provider.settings.name.clone();
        let observe = move |outcome: &str| {
            metrics.observe_model(&label, outcome, started.elapsed().as_secs_f64())
        };
        let tokens = self.open(provider, request).await;
        let mut tokens = match tokens {
            Ok(tokens) => tokens,
            Err(e) => {
                observe(outcome_of(&e));
                return Err(e);
            }
        };
        // Counted when the stream ends: finished, failed, or dropped by a departed client.
        let counted = count_once(move |outcome| observe(outcome));
        Ok(futures::stream::poll_fn(move |cx| {
            let item = futures::ready!(tokens.poll_next_unpin(cx));
            match &item {
                None => counted.finish("ok"),
                Some(Err(e)) => counted.finish(outcome_of(e)),
                Some(Ok(_)) => {}
            }
            std::task::Poll::Ready(item)
        })
        .boxed())
    }

    async fn open(
        &self,
        provider: &Provider,
        request: &ChatRequest,
    ) -> AppResult<BoxStream<'static, AppResult<String>>> {
        let name = provider.settings.name.clone();
        let url = format!(
            "{}/chat/completions",
            provider.settings.base_url.trim_end_matches('/')
        );
        let mut body = serde_json::to_value(request).map_err(AppError::internal)?;
        body["stream"] = serde_json::Value::Bool(true);
        let mut http = provider.client.post(url).json(&body);
        if let Some(key) = &provider.settings.api_key {
            http = http.bearer_auth(key);
        }
        let response = tokio::time::timeout(provider.settings.timeout, http.send())
            .await
            .map_err(|_| {
                AppError::ModelTimeout(format!("provider `{name}` did not answer in time"))
            })?
            .map_err(|e| transport_error(&name, e))?;
        if !response.status().is_success() {
            return Err(AppError::ModelFailed(format!(
                "provider `{name}` answered {}",
                response.status()
            )));
        }
        let events = response.bytes_stream().eventsource();
        let tokens = events
            .map(move |event| match event {
                Ok(event) if event.data.trim() == "[DONE]" => Ok(None),
                Ok(event) => serde_json::from_str::<Chunk>(&event.data)
                    .map(|chunk| {
                        Some(
                            chunk
                                .choices
                                .into_iter()
                                .filter_map(|c| c.delta.content)
                                .collect::<String>(),
                        )
                    })
                    .map_err(|_| {
                        AppError::ModelFailed(format!("provider `{name}` sent a malformed chunk"))
                    }),
                Err(eventsource_stream::EventStreamError::Transport(e)) => {
                    Err(transport_error(&name, e))
                }
                Err(e) => Err(AppError::ModelFailed(format!("provider `{name}`: {e}"))),
            })
            // Stop at [DONE]; skip empty deltas (role-only chunks).
            .take_while(|item| futures::future::ready(!matches!(item, Ok(None))))
            .filter_map(|item| {
                futures::future::ready(match item {
                    Ok(Some(text)) if text.is_empty() => None,
                    Ok(Some(text)) => Some(Ok(text)),
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                })
            });
        Ok(tokens.boxed())
    }
}

fn outcome_of(error: &AppError) -> &'static str {
    match error {
        AppError::ModelTimeout(_) => "timeout",
        AppError::ModelUnavailable(_) => "unavailable",
        _ => "error",
    }
}

/// Calls `record` once: with the outcome given to `finish`, or with `dropped` if the stream is
/// dropped first.
fn count_once(record: impl Fn(&str) + Send + Sync + 'static) -> CountOnce {
    CountOnce(std::sync::Mutex::new(Some(Box::new(record))))
}

type Recorder = Box<dyn Fn(&str) + Send + Sync>;

struct CountOnce(std::sync::Mutex<Option<Recorder>>);

impl CountOnce {
    fn finish(&self, outcome: &str) {
        if let Some(record) = self.0.lock().expect("not poisoned").take() {
            record(outcome);
        }
    }
}

impl Drop for CountOnce {
    fn drop(&mut self) {
        self.finish("dropped");
    }
}

fn transport_error(provider: &str, error: reqwest::Error) -> AppError {
    if error.is_timeout() {
        AppError::ModelTimeout(format!("provider `{provider}` did not answer in time"))
    } else {
        AppError::ModelFailed(format!("provider `{provider}` is unreachable"))
    }
}
