//! bench/run's subscriptions row: many graphql-transport-ws clients on one running Parley.
//!
//! Opens `SUBSCRIBERS` sockets (default 10,000), each subscribed to one session's `messageAdded`:
//! `AUDIENCE` of them (default 1,000) to one session, the rest each to a session of its own, as
//! users watching their chats (`QUIET_SESSIONS` spreads them over fewer), where nothing happens
//! but one message that shows their subscriptions have started.
//! Then it reads the server's resident memory (`SERVER_PID`'s VmRSS) and adds `EVENTS` messages
//! (default 20, after `WARMUP_EVENTS`, default 5, unmeasured) to the audience's session, one at a
//! time, timing from the mutation's request to each subscriber's receipt of the message. Prints one JSON line: the memory per subscriber and,
//! per event, the time for the median subscriber and the last.
//!
//! `PARLEY_URL` (e.g. http://127.0.0.1:8917) and `PARLEY_API_KEY` say where and as whom.

use std::{sync::Arc, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, mpsc},
    time::Instant,
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident memory, in KiB.
fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("no VmRSS value")?
        .parse()?)
}

struct Server {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Server {
    async fn graphql(&self, query: &str, variables: Value) -> Result<Value, Error> {
        let answer: Value = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("X-API-KEY", &self.key)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?
            .json()
            .await?;
        if answer.get("errors").is_some() {
            return Err(format!("GraphQL errors: {answer}").into());
        }
        Ok(answer["data"].clone())
    }

    async fn add_message(&self, session: i64, content: &str) -> Result<(), Error> {
        self.graphql(
            "mutation($s: Int!, $c: String!) { createMessage(input: {chatSessionId: $s, content: $c, role: USER}) { id } }",
            json!({"s": session, "c": content}),
        )
        .await
        .map(drop)
    }
}

/// The ids of the first `count` sessions.
async fn session_ids(server: &Server, count: usize) -> Result<Vec<i64>, Error> {
    let (mut ids, mut after) = (Vec::with_capacity(count), Value::Null);
    while ids.len() < count {
        let page = server
            .graphql(
                "query($after: String) { chatSessions(first: 100, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }",
                json!({"after": after}),
            )
            .await?;
        let page = &page["chatSessions"];
        ids.extend(
            page["nodes"]
                .as_array()
                .ok_or("no sessions")?
                .iter()
                .filter_map(|n| n["id"].as_i64()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    ids.truncate(count);
    if ids.len() < count {
        return Err(format!(
            "the data set has {} sessions; {count} are needed",
            ids.len()
        )
        .into());
    }
    Ok(ids)
}

/// One subscriber: connects, subscribes to `session`, then reports the content of every message
/// it receives, with the time it arrived.
async fn subscriber(
    server: Arc<Server>,
    session: i64,
    permit: OwnedSemaphorePermit,
    ready: mpsc::UnboundedSender<Result<(), String>>,
    received: mpsc::UnboundedSender<(String, Instant)>,
) -> Result<(), Error> {
    let ws_url = format!("{}/graphql/ws", server.url.replacen("http", "ws", 1));
    let mut request = ws_url.into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({"type": "connection_init", "payload": {"X-API-KEY": server.key}});
    socket.send(Message::text(init.to_string())).await?;
    let ack = socket
        .next()
        .await
        .ok_or("closed before connection_ack")??;
    if !ack.to_text()?.contains("connection_ack") {
        return Err(format!("not acknowledged: {ack}").into());
    }
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($s: Int!) { messageAdded(chatSessionId: $s) { id content } }",
        "variables": {"s": session}}});
    socket.send(Message::text(subscribe.to_string())).await?;
    drop(permit);
    let _ = ready.send(Ok(()));
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let at = Instant::now();
        // The content is the last field asked for; the client's own parsing stays out of the
        // figures (it shares the machine's cores with the server).
        let content = text
            .split_once(r#""content":""#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(content, _)| content.to_owned());
        if let Some(content) = content {
            let _ = received.send((content, at));
        }
    }
    Ok(())
}

/// Waits until `count` subscribers have received `content`; the arrival times, sorted.
async fn arrivals(
    received: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    content: &str,
    count: usize,
    patience: Duration,
) -> Option<Vec<Instant>> {
    let deadline = Instant::now() + patience;
    let mut times = Vec::with_capacity(count);
    while times.len() < count {
        let (got, at) = tokio::time::timeout_at(deadline, received.recv())
            .await
            .ok()??;
        if got == content {
            times.push(at);
        }
    }
    times.sort();
    Some(times)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let total = setting("SUBSCRIBERS", 10_000);
    let audience = setting("AUDIENCE", 1_000).min(total);
    let events = setting("EVENTS", 20);
    let warmup = setting("WARMUP_EVENTS", 5);
    let pid = u32::try_from(setting("SERVER_PID", 0))?;
    let server = Arc::new(Server {
        http: reqwest::Client::new(),
        url: std::env::var("PARLEY_URL")?,
        key: std::env::var("PARLEY_API_KEY")?,
    });
    let quiet_count = total - audience;
    let quiet_sessions = setting("QUIET_SESSIONS", quiet_count).clamp(1, quiet_count.max(1));
    let ids = session_ids(&server, 1 + quiet_sessions).await?;
    let (watched, quiet) = (ids[0], &ids[1..]);

    let rss_before = rss_kib(pid)?;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let (audience_tx, mut audience_rx) = mpsc::unbounded_channel();
    let (quiet_tx, mut quiet_rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    // Opened a few hundred at a time, as clients arrive, not as one burst of 10,000 handshakes.
    let gate = Arc::new(Semaphore::new(256));
    for n in 0..total {
        let (session, sender) = if n < audience {
            (watched, audience_tx.clone())
        } else {
            (quiet[(n - audience) % quiet.len()], quiet_tx.clone())
        };
        let (server, gate, ready) = (server.clone(), gate.clone(), ready_tx.clone());
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("the gate stays open");
            if let Err(e) = subscriber(server, session, permit, ready.clone(), sender).await {
                let _ = ready.send(Err(format!("subscriber {n}: {e}")));
            }
        });
    }
    drop((audience_tx, quiet_tx, ready_tx));
    for _ in 0..total {
        ready_rx.recv().await.ok_or("the subscribers stopped")??;
    }
    let open_seconds = started.elapsed().as_secs_f64();

    // graphql-transport-ws does not acknowledge a subscription: a first message to each session
    // shows that every subscriber's subscription has started.
    for (sessions, rx, count) in [
        (&[watched][..], &mut audience_rx, audience),
        (quiet, &mut quiet_rx, quiet_count),
    ] {
        if count == 0 {
            continue;
        }
        let mut started = false;
        for attempt in 0..20 {
            let probe = format!("probe {attempt}");
            futures::stream::iter(sessions)
                .map(|&session| server.add_message(session, &probe))
                .buffer_unordered(16)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            if arrivals(rx, &probe, count, Duration::from_secs(10))
                .await
                .is_some()
            {
                started = true;
                break;
            }
        }
        if !started {
            return Err(format!("not every subscriber to sessions {sessions:?} started").into());
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib(pid)?;

    // Unmeasured first messages, as wrk's warm-up: the first events after the sockets opened
    // find the server's allocator and the database's caches cold.
    for event in 0..warmup {
        let content = format!("warm-up {event}");
        server.add_message(watched, &content).await?;
        arrivals(
            &mut audience_rx,
            &content,
            audience,
            Duration::from_secs(30),
        )
        .await
        .ok_or("a warm-up event did not reach every subscriber within 30 s")?;
    }
    let mut timings = Vec::new();
    for event in 0..events {
        let content = format!("event {event}");
        let sent = Instant::now();
        server.add_message(watched, &content).await?;
        let times = arrivals(
            &mut audience_rx,
            &content,
            audience,
            Duration::from_secs(30),
        )
        .await
        .ok_or("an event did not reach every subscriber within 30 s")?;
        let ms = |at: Instant| at.duration_since(sent).as_secs_f64() * 1000.0;
        timings.push(
            json!({"p50_ms": ms(times[times.len() / 2]), "last_ms": ms(times[times.len() - 1])}),
        );
    }
    println!(
        "{}",
        json!({
            "subscribers": total,
            "audience": audience,
            "quiet_sessions": quiet.len(),
            "open_seconds": open_seconds,
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "kib_per_subscriber": (rss_after.saturating_sub(rss_before)) as f64 / total as f64,
            "events": timings,
        })
    );
    Ok(())
}
