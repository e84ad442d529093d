//! Accepting connections: what `axum::serve` does, plus the bounds it has no settings for.
//!
//! - A header timeout (`PARLEY_HEADER_TIMEOUT_SECONDS`): a request's headers must arrive within
//!   it, counted from when the connection opened or its previous answer went out, so a client
//!   that trickles a header line every few seconds, or a keep-alive connection left idle, is
//!   closed (hyper arms the timer whenever it waits for a request head).
//! - A connection cap (`PARLEY_MAX_CONNECTIONS`). Past it a connection is still accepted, up to
//!   [`OVERFLOW_CONNECTIONS`] more, and answered at once on its first request: `/healthz` with 200
//!   (load balancers keep seeing a live process), anything else with 503 and `Retry-After`; each
//!   is closed after that one answer. Past those, a connection is closed as soon as it is
//!   accepted, so file descriptors never run out.
//! - The remote address of each connection, as axum's `ConnectInfo<SocketAddr>` (login throttling
//!   counts per client address).
//! - Graceful shutdown: when `shutdown` completes, no more connections are accepted and the
//!   future resolves once every open connection has finished (the caller bounds the wait).

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// Connections accepted past the cap, each answered once and closed.
pub const OVERFLOW_CONNECTIONS: usize = 64;

/// The bounds on connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes and the open connections end.
pub async fn serve(
    listener: TcpListener,
    router: Router,
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
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
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
        let io = TokioIo::new(stream);
        if let Ok(permit) = connections.clone().try_acquire_owned() {
            let router = router.clone();
            let service = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(ConnectInfo(remote));
                router.clone().oneshot(request)
            });
            let connection = builder
                .serve_connection_with_upgrades(io, service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        } else if let Ok(permit) = overflow.clone().try_acquire_owned() {
            let service = hyper::service::service_fn(|request| async move {
                Ok::<_, std::convert::Infallible>(overloaded(request.uri().path()))
            });
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(false);
            let connection = http1.serve_connection(io, service);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        } else {
            drop(io);
        }
    }
    drop(listener);
    graceful.shutdown().await;
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
