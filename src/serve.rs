//! Accepting connections: what `axum::serve` does, plus the bounds it has no settings for.
//!
//! - A header timeout (`PARLEY_HEADER_TIMEOUT_SECONDS`): a request's headers must arrive within
//!   it, counted from when the connection opened or its previous answer went out, so a client
//!   that trickles a header line every few seconds, or a keep-alive connection left idle, is
//!   closed (hyper arms the timer whenever it waits for a request head).
//! - A connection cap (`PARLEY_MAX_CONNECTIONS`). At the cap, the connection idle the longest
//!   (no request running on it) is closed to make room for the new one, so idle connections cannot
//!   keep out a load balancer's `/healthz` or a real client. Up to [`OVERFLOW_CONNECTIONS`] new
//!   connections wait for a place for up to a second; one that finds none gets one answer
//!   (`/healthz` 200, anything else 503 with `Retry-After`) and is closed. Past those, a
//!   connection is closed as soon as it is accepted, so file descriptors never run out.
//! - The remote address of each connection, as axum's `ConnectInfo<SocketAddr>` (login throttling
//!   counts per client address).
//! - Graceful shutdown: when `shutdown` completes, no more connections are accepted and the
//!   future resolves once every open connection has finished (the caller bounds the wait).

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::ConnectInfo,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    net::TcpListener,
    sync::{Notify, Semaphore, watch},
};
use tower::ServiceExt;

/// Connections accepted past the cap while they wait for a place (up to a second, then they are
/// answered once and closed).
pub const OVERFLOW_CONNECTIONS: usize = 64;

/// How long a connection that has answered requests must have been idle before it may be closed
/// to make room.
pub const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// How long a new connection has to send its first request before it may be closed to make room
/// (clients send one as soon as they connect).
pub const FIRST_REQUEST_GRACE: Duration = Duration::from_millis(100);

/// The bounds on connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// One open connection, as the cap sees it: whether a request is running on it, and when it last
/// did something. At the cap, the connection idle the longest is closed to make room, so idle
/// connections cannot keep out a load balancer's `/healthz` or a real client.
struct Tracked {
    in_flight: AtomicUsize,
    /// Requests answered on it: a connection that never sent one is closed first.
    served: AtomicU64,
    last_active: AtomicU64,
    evict: Notify,
}

#[derive(Clone)]
struct Open {
    connections: Arc<Mutex<HashMap<u64, Arc<Tracked>>>>,
    /// What `now` counts from.
    started: Instant,
}

impl Open {
    fn new() -> Self {
        Open {
            connections: Arc::default(),
            started: Instant::now(),
        }
    }

    /// Milliseconds since the server started.
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn track(&self, id: u64) -> Arc<Tracked> {
        let tracked = Arc::new(Tracked {
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            last_active: AtomicU64::new(self.now()),
            evict: Notify::new(),
        });
        self.lock().insert(id, tracked.clone());
        tracked
    }

    fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Asks an idle connection to close (at once: nothing runs on it): one that never sent a
    /// request and has had [`FIRST_REQUEST_GRACE`] to send one first, else the one idle the
    /// longest if that is more than [`EVICTABLE_AFTER`] (a client between two requests is not
    /// idle).
    fn evict_idlest(&self) {
        let now = self.now();
        let since = |grace: Duration| now.saturating_sub(grace.as_millis() as u64);
        let (silent_since, idle_since) = (since(FIRST_REQUEST_GRACE), since(EVICTABLE_AFTER));
        let mut open = self.lock();
        let idlest = open
            .iter()
            .filter(|(_, t)| t.in_flight.load(Ordering::Acquire) == 0)
            .filter_map(|(id, t)| {
                let served = t.served.load(Ordering::Acquire) > 0;
                let last_active = t.last_active.load(Ordering::Acquire);
                let evictable = last_active <= if served { idle_since } else { silent_since };
                evictable.then_some(((served, last_active), *id))
            })
            .min()
            .map(|(_, id)| id);
        if let Some(tracked) = idlest.and_then(|id| open.remove(&id)) {
            tracked.evict.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Tracked>>> {
        self.connections.lock().expect("open connections")
    }
}

/// Serves `router` on `listener` until `shutdown` completes and the open connections end.
pub async fn serve(
    listener: TcpListener,
    router: crate::AppService,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let overflow = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let open = Open::new();
    let (stopping, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut next_id = 0u64;
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a
                    // moment instead of spinning on the error.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let connection = Connection {
            id: next_id,
            io: TokioIo::new(stream),
            remote,
            router: router.clone(),
            builder: builder.clone(),
            open: open.clone(),
            stop: stop.clone(),
        };
        if let Ok(permit) = connections.clone().try_acquire_owned() {
            tokio::spawn(connection.serve(permit));
            continue;
        }
        // At the cap: make room, and wait (briefly) for it.
        let Ok(waiting) = overflow.clone().try_acquire_owned() else {
            continue; // dropped: closed at once
        };
        let connections = connections.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                connection.open.evict_idlest();
                let place = connections.clone().acquire_owned();
                if let Ok(Ok(permit)) = tokio::time::timeout(Duration::from_millis(50), place).await
                {
                    drop(waiting);
                    connection.serve(permit).await;
                    return;
                }
            }
            answer_once(connection.io, header_timeout).await;
            drop(waiting);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a place until it ends.
    let _ = connections
        .acquire_many(u32::try_from(limits.max_connections).unwrap_or(u32::MAX))
        .await;
}

/// An accepted connection, before it is served.
struct Connection {
    id: u64,
    io: TokioIo<tokio::net::TcpStream>,
    remote: std::net::SocketAddr,
    router: crate::AppService,
    builder: Arc<auto::Builder<TokioExecutor>>,
    open: Open,
    stop: watch::Receiver<bool>,
}

impl Connection {
    /// Serves the connection until it ends, is evicted (when idle) or the server stops (then
    /// what runs on it finishes first).
    async fn serve(self, permit: tokio::sync::OwnedSemaphorePermit) {
        let Connection {
            id,
            io,
            remote,
            router,
            builder,
            open,
            mut stop,
        } = self;
        let tracked = open.track(id);
        let service = {
            let (tracked, open) = (tracked.clone(), open.clone());
            hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(ConnectInfo(remote));
                tracked.in_flight.fetch_add(1, Ordering::AcqRel);
                let (tracked, open) = (tracked.clone(), open.clone());
                let answer = router.clone().oneshot(request.map(axum::body::Body::new));
                async move {
                    let answer = answer.await;
                    tracked.last_active.store(open.now(), Ordering::Release);
                    tracked.served.fetch_add(1, Ordering::AcqRel);
                    tracked.in_flight.fetch_sub(1, Ordering::AcqRel);
                    answer
                }
            })
        };
        let connection = builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => {}
            () = tracked.evict.notified() => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
            () = async { stop.wait_for(|stopping| *stopping).await.map(|_| ()).unwrap_or(()) } => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
        open.forget(id);
        drop(permit);
    }
}

/// One answer on a connection that found no place, then closed.
async fn answer_once(io: TokioIo<tokio::net::TcpStream>, header_timeout: Duration) {
    let service = hyper::service::service_fn(
        |request: axum::http::Request<hyper::body::Incoming>| async move {
            Ok::<_, std::convert::Infallible>(overloaded(request.uri().path()))
        },
    );
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout.min(Duration::from_secs(1)))
        .keep_alive(false);
    let _ = http1.serve_connection(io, service).await;
}
/// The one answer a connection past the cap gets.
fn overloaded(path: &str) -> Response {
    let mut response = if path == "/healthz" {
        axum::Json(serde_json::json!({ "status": "ok" })).into_response()
    } else {
        let body = serde_json::json!({
            "errors": [{ "message": "too many connections", "extensions": { "code": "SERVICE_UNAVAILABLE" } }],
            "error": { "code": "SERVICE_UNAVAILABLE", "message": "too many connections", "details": {} },
            "detail": "too many connections",
        });
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        response
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
