//! Prometheus metrics, one registry per app (so tests running several apps in one process each see
//! their own figures). Rendered at `GET /metrics`.

use std::{
    sync::{Arc, OnceLock},
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    extract::MatchedPath,
    http::{Method, Request},
    response::Response,
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// A handle on the app's metrics: cloned per request (the HTTP middleware's state, every
/// component that counts), so it is one reference count and not one per metric (the profile of
/// the 50-messages query showed the clones and their drops at 1–2% of Parley's CPU).
#[derive(Clone)]
pub struct Metrics(std::sync::Arc<MetricSet>);

impl std::ops::Deref for Metrics {
    type Target = MetricSet;

    fn deref(&self) -> &MetricSet {
        &self.0
    }
}

pub struct MetricSet {
    registry: Registry,
    /// Every SQL statement executed, counted through SeaORM's metric callback.
    pub db_statements: IntCounterVec,
    pub db_statement_seconds: HistogramVec,
    pub http_requests: IntCounterVec,
    pub http_request_seconds: HistogramVec,
    /// GraphQL operations by name and outcome (REST requests count here too, by their operation).
    pub graphql_operations: IntCounterVec,
    /// Queries that waited for a turn (`PARLEY_MAX_CONCURRENT_QUERIES` were executing).
    pub graphql_queries_queued: prometheus::IntCounter,
    /// GraphQL documents parsed; one found in the parsed-document cache is not.
    pub graphql_documents_parsed: prometheus::IntCounter,
    /// Database pool connections, by state (idle, in_use); set when scraped.
    pub db_pool_connections: IntGaugeVec,
    /// Calls to model providers, by provider and outcome, and how long they took.
    pub model_requests: IntCounterVec,
    pub model_request_seconds: HistogramVec,
    /// Operation names seen so far; past `MAX_OPERATION_NAMES` new ones count as `other`, so a
    /// client cannot grow the series without bound.
    operation_names: std::sync::Mutex<std::collections::HashSet<String>>,
}

const MAX_OPERATION_NAMES: usize = 200;

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let db_statements = IntCounterVec::new(
            Opts::new(
                "parley_db_statements_total",
                "SQL statements executed, by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let db_statement_seconds = HistogramVec::new(
            HistogramOpts::new(
                "parley_db_statement_duration_seconds",
                "SQL statement latency",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
            ]),
            &[],
        )
        .expect("valid metric");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "parley_http_requests_total",
                "HTTP requests, by method, route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let http_request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "parley_http_request_duration_seconds",
                "HTTP request latency, by method and route",
            ),
            &["method", "route"],
        )
        .expect("valid metric");
        let graphql_operations = IntCounterVec::new(
            Opts::new(
                "parley_graphql_operations_total",
                "GraphQL operations, by operation name and outcome (ok or error)",
            ),
            &["operation", "outcome"],
        )
        .expect("valid metric");
        let graphql_queries_queued = prometheus::IntCounter::new(
            "parley_graphql_queries_queued_total",
            "GraphQL queries that waited for a turn because PARLEY_MAX_CONCURRENT_QUERIES were executing",
        )
        .expect("valid metric");
        let graphql_documents_parsed = prometheus::IntCounter::new(
            "parley_graphql_documents_parsed_total",
            "GraphQL documents parsed (a document sent again after it validated is taken from the cache)",
        )
        .expect("valid metric");
        let db_pool_connections = IntGaugeVec::new(
            Opts::new(
                "parley_db_pool_connections",
                "Database pool connections, by state",
            ),
            &["state"],
        )
        .expect("valid metric");
        let model_requests = IntCounterVec::new(
            Opts::new(
                "parley_model_requests_total",
                "Model provider calls, by provider and outcome (ok, error, timeout, unavailable)",
            ),
            &["provider", "outcome"],
        )
        .expect("valid metric");
        let model_request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "parley_model_request_duration_seconds",
                "Model provider calls, from request to the end of the reply",
            )
            .buckets(vec![0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]),
            &["provider"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(graphql_operations.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(graphql_queries_queued.clone()),
            Box::new(graphql_documents_parsed.clone()),
            Box::new(db_pool_connections.clone()),
            Box::new(model_requests.clone()),
            Box::new(model_request_seconds.clone()),
            Box::new(db_statements.clone()),
            Box::new(db_statement_seconds.clone()),
            Box::new(http_requests.clone()),
            Box::new(http_request_seconds.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        Metrics(std::sync::Arc::new(MetricSet {
            registry,
            db_statements,
            db_statement_seconds,
            http_requests,
            http_request_seconds,
            graphql_operations,
            graphql_queries_queued,
            graphql_documents_parsed,
            db_pool_connections,
            model_requests,
            model_request_seconds,
            operation_names: Default::default(),
        }))
    }

    /// Records the pool's state (called when `/metrics` is scraped).
    pub fn observe_pool(&self, db: &sea_orm::DatabaseConnection) {
        let (size, idle) = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        let idle = idle as i64;
        self.db_pool_connections
            .with_label_values(&["idle"])
            .set(idle);
        self.db_pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(size) - idle);
    }

    /// Records one model call.
    pub fn observe_model(&self, provider: &str, outcome: &str, seconds: f64) {
        self.model_requests
            .with_label_values(&[provider, outcome])
            .inc();
        self.model_request_seconds
            .with_label_values(&[provider])
            .observe(seconds);
    }

    /// Counts one GraphQL operation.
    pub fn observe_operation(&self, name: Option<&str>, ok: bool) {
        let name = name.unwrap_or("anonymous");
        let label = {
            let mut names = self.operation_names.lock().expect("not poisoned");
            let known = names.contains(name);
            if known || (names.len() < MAX_OPERATION_NAMES && name.len() <= 64) {
                if !known {
                    names.insert(name.to_owned());
                }
                name
            } else {
                "other"
            }
        };
        let outcome = if ok { "ok" } else { "error" };
        self.graphql_operations
            .with_label_values(&[label, outcome])
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding of metrics cannot fail");
        String::from_utf8(buffer).expect("metrics are UTF-8")
    }

    /// Called by SeaORM for every statement.
    pub fn observe_statement(&self, info: &sea_orm::metric::Info<'_>) {
        let outcome = if info.failed { "error" } else { "ok" };
        self.db_statements.with_label_values(&[outcome]).inc();
        self.db_statement_seconds
            .with_label_values(&[] as &[&str])
            .observe(info.elapsed.as_secs_f64());
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The layer that counts and times every request by its route template (not its raw path, which
/// would make one series per id). It sits in the stack around the router, outside the timeout
/// and the body limits, so their 408 and 413 answers are counted too; the template is known only
/// inside the router, where [`RouteTemplateLayer`] hands it out through a slot in the request. A
/// request answered before routing (a 413 on its declared length, a CORS preflight) or that
/// matched no route counts as `unmatched`. Services of their own rather than
/// `middleware::from_fn`, whose every call clones the service it wraps and boxes its future (on
/// `{ __typename }` the middleware were a fifth of the CPU, bench/RESULTS.md).
#[derive(Clone)]
pub struct TrackHttpLayer(pub Metrics);

impl<S> tower::Layer<S> for TrackHttpLayer {
    type Service = TrackHttp<S>;

    fn layer(&self, inner: S) -> TrackHttp<S> {
        TrackHttp {
            metrics: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct TrackHttp<S> {
    metrics: Metrics,
    inner: S,
}

/// Where the router's side writes the matched route's template for [`TrackHttp`].
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

impl<S, B> tower::Service<Request<B>> for TrackHttp<S>
where
    S: tower::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Tracked<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let route = RouteSlot::default();
        request.extensions_mut().insert(route.clone());
        // Label values come from closed sets: a made-up method is "other", not a new series.
        let method = match *request.method() {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            _ => "other",
        };
        Tracked {
            answer: self.inner.call(request),
            metrics: self.metrics.clone(),
            method,
            route,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, counted when it is ready.
    pub struct Tracked<F> {
        #[pin]
        answer: F,
        metrics: Metrics,
        method: &'static str,
        route: RouteSlot,
        started: Instant,
    }
}

impl<F, E> std::future::Future for Tracked<F>
where
    F: std::future::Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.answer.poll(cx));
        if let Ok(response) = &answer {
            let route = this.route.0.get().map_or("unmatched", MatchedPath::as_str);
            this.metrics
                .http_request_seconds
                .with_label_values(&[this.method, route])
                .observe(this.started.elapsed().as_secs_f64());
            this.metrics
                .http_requests
                .with_label_values(&[this.method, route, response.status().as_str()])
                .inc();
        }
        Poll::Ready(answer)
    }
}

/// The routes' side of [`TrackHttpLayer`]: records the matched route's template in the
/// request's slot (`Router::route_layer`, so it runs once a route matched).
#[derive(Clone)]
pub struct RouteTemplateLayer;

impl<S> tower::Layer<S> for RouteTemplateLayer {
    type Service = RouteTemplate<S>;

    fn layer(&self, inner: S) -> RouteTemplate<S> {
        RouteTemplate(inner)
    }
}

#[derive(Clone)]
pub struct RouteTemplate<S>(S);

impl<S, B> tower::Service<Request<B>> for RouteTemplate<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> S::Future {
        let extensions = request.extensions();
        if let (Some(slot), Some(template)) = (
            extensions.get::<RouteSlot>(),
            extensions.get::<MatchedPath>(),
        ) {
            let _ = slot.0.set(template.clone());
        }
        self.0.call(request)
    }
}
