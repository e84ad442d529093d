//! What an attacker can make one request cost (the hardening issue's items, one case each).
//!
//! The heavy attacks run against a `parley` process of their own (`spawn_process`), watched while
//! they run by a [`Watch`]: a second client asking `/healthz` and a small authenticated query every
//! 20 ms, of it and of an unattacked control process at the same moments, and the process's
//! resident memory read from `/proc`. Every attack must leave both answering with a p99 under
//! 100 ms (or, when the shared machine is itself that slow, under twice the control's p99), and
//! the process less than 64 MiB bigger.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::helpers::{error_code, fresh_database, http, spawn_app_with, spawn_process};

const KEY: &str = "pk_attack_test_key_0123456789";

/// A `parley` process of its own, for the attacks whose cost shows in memory or stalls.
struct Target {
    child: tokio::process::Child,
    address: String,
    client: reqwest::Client,
    _database: crate::helpers::TestDatabase,
}

impl Target {
    async fn start(settings: &[(&str, &str)]) -> Target {
        let (database_url, database) = fresh_database().await;
        let (child, address) = spawn_process(&database_url, KEY, settings).await;
        Target {
            child,
            address,
            client: http(),
            _database: database,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("the process runs")
    }

    /// POSTs a GraphQL body with the key; the status and JSON answer, or `None` past `timeout`.
    async fn graphql(&self, body: &Value, timeout: Duration) -> Option<(u16, Value)> {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("X-API-KEY", KEY)
            .json(body)
            .timeout(timeout)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.ok()?))
    }

    /// Starts watching the process, and beside it an unattacked one (the control, started
    /// now), after a round that opens the watcher's connections and has its key verified: call
    /// [`Watch::finish`] when the attack is over. Watched attacks take turns ([`WATCHED`]): two at
    /// once would measure each other.
    async fn watch(&self) -> Watch {
        let turn = WATCHED.lock().await;
        let control = Target::start(&[]).await;
        let addresses = [self.address.clone(), control.address.clone()];
        let warm_up = Watch::start(addresses.clone(), self.pid(), 2);
        let _ = warm_up.stop.send(());
        warm_up.task.await.expect("the warm-up ran");
        Watch {
            _turn: Some(turn),
            _control: Some(control),
            ..Watch::start(addresses, self.pid(), 200)
        }
    }
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Held while a watched attack runs.
static WATCHED: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A well-behaved client beside an attack: its latencies on the attacked process and, at the
/// same moments, on an unattacked one (the control: what the shared machine's noise costs a
/// request, since the rest of the suite runs beside these tests), and the process's memory.
struct Watch {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Probes>,
    rss_before: u64,
    _control: Option<Target>,
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

/// What a watch measured: latencies on the attacked process, on the control, and the peak RSS.
struct Probes {
    attacked: Vec<Duration>,
    control: Vec<Duration>,
    peak: u64,
}

/// The latencies of `/healthz` and of a small authenticated query on `address`.
async fn probe(client: &reqwest::Client, address: &str) -> [Duration; 2] {
    let started = Instant::now();
    let health = client
        .get(format!("{address}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(health.is_ok_and(|r| r.status() == 200), "/healthz answers");
    let health = started.elapsed();
    let started = Instant::now();
    let query = client
        .post(format!("{address}/graphql"))
        .header("X-API-KEY", KEY)
        .json(&json!({"query": "{ me { id } }"}))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(
        query.is_ok_and(|r| r.status() == 200),
        "a small query answers"
    );
    [health, started.elapsed()]
}

fn p99(mut latencies: Vec<Duration>) -> Duration {
    latencies.sort();
    latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)]
}

impl Watch {
    /// Watches `[attacked, control]` until stopped, and for at least `samples` requests each.
    fn start(addresses: [String; 2], pid: u32, samples: usize) -> Watch {
        let (stop, mut stopped) = oneshot::channel();
        let rss_before = rss(pid);
        let task = tokio::spawn(async move {
            let client = http();
            let [attacked, control] = &addresses;
            let mut probes = Probes {
                attacked: Vec::new(),
                control: Vec::new(),
                peak: rss(pid),
            };
            loop {
                probes.attacked.extend(probe(&client, attacked).await);
                probes.control.extend(probe(&client, control).await);
                probes.peak = probes.peak.max(rss(pid));
                // At least 100 rounds, however short the attack: the p99 of fewer samples is
                // their maximum, one hiccup of a shared machine.
                if probes.attacked.len() < samples {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
            probes
        });
        Watch {
            stop,
            task,
            rss_before,
            _control: None,
            _turn: None,
        }
    }

    /// Stops watching; fails when the well-behaved client's p99 reached 100 ms (or, when the
    /// machine itself is that slow, twice the control's p99 over the same time) or the process
    /// grew by 64 MiB or more. The stalls these attacks caused lasted seconds.
    async fn finish(self, attack: &str) {
        let _ = self.stop.send(());
        let probes = self.task.await.expect("the watch ran");
        let requests = probes.attacked.len();
        let (p99, control) = (p99(probes.attacked), p99(probes.control));
        let grown = probes.peak.saturating_sub(self.rss_before);
        let allowed = Duration::from_millis(100).max(control * 2);
        eprintln!(
            "{attack}: {requests} requests beside it, p99 {p99:?} (unattacked control {control:?}, \
             allowed {allowed:?}), RSS grew {:.1} MiB",
            grown as f64 / 1048576.0
        );
        assert!(p99 < allowed, "{attack}: p99 {p99:?} beside it");
        assert!(
            grown < 64 * 1024 * 1024,
            "{attack}: RSS grew {} MiB",
            grown / 1048576
        );
    }
}

/// Ten spreads of the previous fragment, `levels` deep: 10^levels fields once expanded.
fn fan_out(levels: usize) -> String {
    let mut text = format!("query {{ ...F{levels} }} fragment F0 on QueryRoot {{ __typename }}");
    for level in 1..=levels {
        let spreads = format!("...F{} ", level - 1).repeat(10);
        text.push_str(&format!(" fragment F{level} on QueryRoot {{ {spreads}}}"));
    }
    text
}

/// Item 1: a fan-out of fragments is refused at once, before any validation walks it, with a key
/// or without; the process neither stalls nor grows. Item 1 also caps the document's bytes.
#[tokio::test]
async fn a_fragment_fan_out_is_refused_before_it_is_expanded() {
    let target = Target::start(&[]).await;
    let watch = target.watch().await;
    for levels in [7, 8, 9] {
        let body = json!({ "query": fan_out(levels) });
        let started = Instant::now();
        let (status, answer) = target
            .graphql(&body, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("{levels} levels answer within 2 s"));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("fields once its fragments are expanded"),
            "{message}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    let huge = format!("{{ {} }}", "__typename ".repeat(7000));
    let (_, answer) = target
        .graphql(&json!({ "query": huge }), Duration::from_secs(5))
        .await
        .expect("answers");
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bytes"),
        "{answer}"
    );
    watch.finish("fragment fan-out").await;
}

/// Item 13: aliased `__typename`s count toward complexity like any field.
#[tokio::test]
async fn aliased_typenames_count_toward_complexity() {
    let app = spawn_app_with(|_| {}).await;
    let aliases: String = (0..1200).map(|i| format!("t{i}: __typename ")).collect();
    let body = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.get("data").is_none(), "{body}");
    let aliases: String = (0..900).map(|i| format!("t{i}: __typename ")).collect();
    let data = app.data(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(data["t899"], "QueryRoot");
}

/// graphql-js's `getIntrospectionQuery()`, as GraphiQL, codegen, Apollo and Relay tooling send it
/// (its `TypeRef` nests `ofType` eight levels).
pub const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

/// Item 18: the standard introspection query answers with the schema; a deeper one is refused.
#[tokio::test]
async fn the_standard_introspection_query_answers() {
    let app = spawn_app_with(|_| {}).await;
    let data = app.data(INTROSPECTION_QUERY, json!({})).await;
    let types = data["__schema"]["types"].as_array().expect("types");
    assert!(
        types.iter().any(|t| t["name"] == "ChatSession"),
        "Parley's types are listed"
    );
    let deeper = format!(
        "{{ __schema {{ types {{ fields {{ type {}{{ name }}{} }} }} }} }}",
        "{ ofType ".repeat(14),
        " }".repeat(14)
    );
    let body = app.graphql(&deeper, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

/// `(hash, body)` of a request that registers `query` as a persisted query.
fn persisted(query: &str) -> (String, Value) {
    use sha2::Digest;
    let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    (hash, json!({"query": query, "extensions": extensions}))
}

/// Item 2: the persisted-query cache keeps only documents an authenticated caller sent and that
/// validated, and holds a bounded number of bytes whatever is sent.
#[tokio::test]
async fn the_persisted_query_cache_keeps_only_valid_documents_within_its_bytes() {
    // Unlimited rate: the 200 registrations measure the cache, not the rate limiter.
    let target = Target::start(&[
        ("PARLEY_RATE_LIMIT_PER_SECOND", "1000000"),
        ("PARLEY_RATE_LIMIT_BURST", "1000000"),
    ])
    .await;
    let by_hash =
        |hash: &str| json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}});
    let not_found =
        |answer: &Value| answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND";

    // Without a key: refused, and not kept.
    let (hash, body) = persisted("{ __typename }");
    let response = target
        .client
        .post(format!("{}/graphql", target.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (_, answer) = target
        .graphql(&by_hash(&hash), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        not_found(&answer),
        "a document sent without a key is not kept: {answer}"
    );

    // Invalid: answered with its errors, and not kept.
    let (hash, body) = persisted("{ noSuchField }");
    let (_, answer) = target.graphql(&body, Duration::from_secs(5)).await.unwrap();
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    let (_, answer) = target
        .graphql(&by_hash(&hash), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        not_found(&answer),
        "an invalid document is not kept: {answer}"
    );

    // 200 valid documents of 60 KB (12 MB of text) fill a cache bounded in bytes, not counts.
    let watch = target.watch().await;
    let mut hashes = Vec::new();
    for i in 0..200 {
        let padding = format!("# {i} {}\n", "x".repeat(60_000));
        let (hash, body) = persisted(&format!("{padding}{{ a{i}: __typename }}"));
        let (_, answer) = target.graphql(&body, Duration::from_secs(5)).await.unwrap();
        assert_eq!(answer["data"][format!("a{i}")], "QueryRoot", "{answer}");
        hashes.push(hash);
    }
    let last = hashes.pop().unwrap();
    let (_, answer) = target
        .graphql(&by_hash(&last), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["a199"], "QueryRoot",
        "the newest is kept: {answer}"
    );
    // About what the cache's bytes hold of them is still there (moka evicts in batches, so one
    // more may linger); unbounded, all 199 would be.
    let mut kept = 0;
    for hash in &hashes {
        let (_, answer) = target
            .graphql(&by_hash(hash), Duration::from_secs(5))
            .await
            .unwrap();
        kept += usize::from(!not_found(&answer));
    }
    let fits = usize::try_from(parley::graphql::PERSISTED_QUERY_CACHE_BYTES).unwrap() / 60_000;
    assert!(
        kept <= fits,
        "{kept} of 199 documents of 60 KB kept, and {fits} fit"
    );
    watch.finish("persisted-query registrations").await;
}

/// Item 13: without credentials only `register` and `login` run; `__typename`, introspection and
/// everything else answer 401 before they are executed.
#[tokio::test]
async fn without_credentials_only_register_and_login_run() {
    let app = spawn_app_with(|_| {}).await;
    for query in [
        "{ __typename }",
        INTROSPECTION_QUERY,
        "mutation { __typename }",
        "mutation { login(username: \"a\", password: \"b\") { accessToken } __typename }",
    ] {
        let (status, body) = app.graphql_with_key(None, query, json!({})).await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "UNAUTHENTICATED"),
            "{query}: {body}"
        );
        assert!(body.get("data").is_none(), "{body}");
    }
    // login itself runs (and says single-user mode has no passwords).
    let (status, body) = app
        .graphql_with_key(
            None,
            "mutation { login(username: \"a\", password: \"b\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (200, "CONFLICT"), "{body}");
}

/// Item 10: the upload limit belongs to the routes that read uploads; any other route keeps the
/// body limit whatever content type the client claims.
#[tokio::test]
async fn the_upload_limit_follows_the_route_not_the_content_type() {
    let app = spawn_app_with(|_| {}).await;
    let body = format!(
        "--x\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--x--\r\n",
        "a".repeat(2 * 1024 * 1024)
    );
    let post = |path: &str| {
        app.client
            .post(format!("{}{path}", app.address))
            .header("X-API-KEY", &app.api_key)
            .header("content-type", "multipart/form-data; boundary=x")
            .body(body.clone())
            .send()
    };
    for path in [
        "/api/v1/characters",
        "/api/v1/chats/",
        "/api/v1/chat-sessions",
    ] {
        let response = post(path).await.unwrap();
        assert_eq!(response.status(), 413, "{path}");
    }
    // The import route reads the 2 MiB upload, and finds no card in it.
    let response = post("/api/v1/characters/import").await.unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "VALIDATION_ERROR", "{answer}");
}

/// Item 16: a POST to /graphql without a JSON content type is refused, not guessed at.
#[tokio::test]
async fn a_graphql_post_without_a_content_type_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    for content_type in [None, Some("text/plain;charset=UTF-8")] {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .body(r#"{"query": "{ __typename }"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    }
}

/// A zlib stream that inflates to `1 + 258 * repeats` bytes of `a`: one fixed-Huffman block of a
/// literal and `repeats` copies of the longest match at distance 1 (13 bits for 258 bytes). Its
/// checksum is left zero: a bounded inflater stops long before it.
fn zlib_bomb(repeats: usize) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let (mut bits, mut filled) = (0u64, 0u32);
    let mut put = |value: u32, count: u32, out: &mut Vec<u8>| {
        bits |= u64::from(value) << filled;
        filled += count;
        while filled >= 8 {
            out.push(bits as u8);
            bits >>= 8;
            filled -= 8;
        }
    };
    // Huffman codes go most significant bit first.
    let code = |code: u32, count: u32| (code.reverse_bits() >> (32 - count), count);
    put(1, 1, &mut out); // the final block
    put(1, 2, &mut out); // fixed Huffman codes
    let (literal, literal_bits) = code(0x30 + u32::from(b'a'), 8);
    put(literal, literal_bits, &mut out);
    let (length, length_bits) = code(0b1100_0101, 8); // length 258
    for _ in 0..repeats {
        put(length, length_bits, &mut out);
        put(0, 5, &mut out); // distance 1
    }
    put(0, 7, &mut out); // end of block
    put(0, 7, &mut out); // flush the last byte
    out.extend([0, 0, 0, 0]);
    out
}

/// `png` with one more chunk before its IEND.
fn with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let end = png.len() - 12;
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend(kind);
    chunk.extend(data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend(crc.to_be_bytes());
    [&png[..end], &chunk, &png[end..]].concat()
}

/// Item 4: a card PNG whose `zTXt` or `iTXt` card chunk inflates to 100 MB (from 650 KB) is
/// refused with a 400 at the bound, and the process does not grow.
#[tokio::test]
async fn compressed_card_chunks_are_inflated_under_a_bound() {
    let target = Target::start(&[]).await;
    let (_, plain) = crate::cards::png_with(&[]);
    let bomb = zlib_bomb(400_000);
    let ztxt = [b"chara\0\0".as_slice(), &bomb].concat();
    let itxt = [b"ccv3\0\x01\0\0\0".as_slice(), &bomb].concat();
    let watch = target.watch().await;
    for png in [
        with_chunk(&plain, b"zTXt", &ztxt),
        with_chunk(&plain, b"iTXt", &itxt),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png).file_name("bomb.png"),
        );
        let response = target
            .client
            .post(format!("{}/api/v1/characters/import", target.address))
            .header("X-API-KEY", KEY)
            .multipart(form)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let answer: Value = response.json().await.unwrap();
        let message = answer["error"]["details"]["file"].to_string();
        assert!(message.contains("inflates to more than"), "{answer}");
    }
    watch.finish("compressed card chunks").await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The close code the server ends `socket` with (`None` when it stays open for 5 s).
async fn close_code(socket: &mut Socket) -> Option<u16> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            Ok(_) => return Some(1006),
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    use futures::SinkExt;
    let message = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            message.to_string(),
        ))
        .await
        .unwrap();
}

/// Item 3: revoking a key closes the sockets it opened (4403) at once, and every operation on a
/// socket spends the account's rate limit like an HTTP request.
#[tokio::test]
async fn sockets_close_when_their_key_is_revoked_and_obey_the_rate_limit() {
    use crate::replies::{next_json, ws_connect};
    let app = spawn_app_with(|config| {
        config.limits.rate_per_second = 5;
        config.limits.rate_burst = 5;
    })
    .await;
    let created = app
        .data(
            "mutation { createApiKey(name: \"socket\") { key apiKey { id } } }",
            json!({}),
        )
        .await;
    let key = created["createApiKey"]["key"].as_str().unwrap().to_owned();
    let id = created["createApiKey"]["apiKey"]["id"].as_i64().unwrap();
    let mut socket = ws_connect(&app, json!({"X-API-KEY": key})).await;
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );

    // 20 queries at once on one socket: no more than the burst of 5 (and what refills) run.
    for i in 0..20 {
        subscribe(&mut socket, &format!("q{i}"), "{ me { id } }").await;
    }
    let (mut answered, mut limited) = (0, 0);
    while answered + limited < 20 {
        let message = next_json(&mut socket).await.expect("an answer");
        if message["type"] != "next" {
            continue;
        }
        match message["payload"]["errors"][0]["extensions"]["code"].as_str() {
            Some("RATE_LIMITED") => limited += 1,
            None => answered += 1,
            Some(other) => panic!("{other}: {message}"),
        }
    }
    assert!(limited >= 10, "{answered} answered, {limited} limited");

    tokio::time::sleep(Duration::from_millis(1200)).await; // the limit refills
    subscribe(
        &mut socket,
        "events",
        "subscription { messageAdded(chatSessionId: 1) { id } }",
    )
    .await;
    app.data(
        "mutation($id: Int!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({"id": id}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(close_code(&mut socket).await, Some(4403));
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Item 8: a frame over the body limit is refused before authentication, a socket that never
/// sends `connection_init` is closed with 4408, and an account has a bounded number of sockets.
#[tokio::test]
async fn sockets_are_bounded_before_and_after_authentication() {
    use crate::replies::{next_json, ws_connect};
    use futures::SinkExt;
    let app = spawn_app_with(|config| {
        config.limits.max_body_bytes = 64 * 1024;
        config.limits.ws_init_timeout_seconds = 1;
        config.limits.ws_max_per_principal = 3;
    })
    .await;
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let connect = || async {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.clone().into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request).await.unwrap().0
    };

    let mut big = connect().await;
    // With a valid key, so only the frame's size can end it: the connection is dropped.
    let payload = json!({"X-API-KEY": app.api_key, "x": "a".repeat(200 * 1024)});
    let frame = json!({"type": "connection_init", "payload": payload});
    let _ = big
        .send(tokio_tungstenite::tungstenite::Message::text(
            frame.to_string(),
        ))
        .await;
    assert_eq!(close_code(&mut big).await, Some(1006), "message too big");

    let mut silent = connect().await;
    let started = Instant::now();
    assert_eq!(close_code(&mut silent).await, Some(4408));
    assert!(started.elapsed() < Duration::from_secs(3));

    let mut open = Vec::new();
    for _ in 0..3 {
        let mut socket = ws_connect(&app, json!({"X-API-KEY": app.api_key})).await;
        assert_eq!(
            next_json(&mut socket).await.unwrap()["type"],
            "connection_ack"
        );
        open.push(socket);
    }
    let mut fourth = ws_connect(&app, json!({"X-API-KEY": app.api_key})).await;
    assert!(
        close_code(&mut fourth).await.is_some(),
        "a fourth socket is refused"
    );
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = ws_connect(&app, json!({"X-API-KEY": app.api_key})).await;
    assert_eq!(
        next_json(&mut again).await.unwrap()["type"],
        "connection_ack"
    );
}

/// Item 5: NUL in any text is refused with the surface's own 4xx naming the field (PostgreSQL
/// cannot store it, SQLite can: the answer is the same on both), and a long message of many
/// distinct words is stored and found.
#[tokio::test]
async fn nul_is_refused_everywhere_and_long_messages_are_stored() {
    let app = spawn_app_with(|_| {}).await;
    let nul = "a\u{0}b";

    let body = app
        .graphql(
            "mutation($label: String!) { createCharacter(input: {label: $label, name: \"N\"}) { id } }",
            json!({"label": nul}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "label", "{body}");
    let body = app
        .graphql(
            r#"mutation { createCharacter(input: {label: "a\u0000b", name: "N"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    // Surface A: 400 naming the field.
    let (status, body) = app
        .rest(
            "POST",
            "/api/v1/characters",
            Some(json!({"label": nul, "name": "N"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"]["label"].is_string(), "{body}");

    let (status, created) = app
        .rest(
            "POST",
            "/api/v1/characters",
            Some(json!({"label": "n", "name": "N"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, chat) = app
        .rest(
            "POST",
            "/api/v1/chats/",
            Some(json!({"character_id": created["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    let chat_id = chat["id"].as_str().unwrap().to_owned();

    // Surface B: 422 with the field's location.
    for (path, body, field) in [
        (
            format!("/api/v1/chats/{chat_id}/messages"),
            json!({"role": "user", "content": nul}),
            "content",
        ),
        (
            format!("/api/v1/chats/{chat_id}"),
            json!({"title": nul}),
            "title",
        ),
        (
            "/api/v1/chat/completions".to_owned(),
            json!({"model": nul, "messages": [{"role": "user", "content": "hi"}]}),
            "model",
        ),
    ] {
        let method = if path.ends_with(&chat_id) {
            "PUT"
        } else {
            "POST"
        };
        let (status, answer) = app.rest(method, &path, Some(body)).await;
        assert_eq!(status, 422, "{path}: {answer}");
        assert_eq!(answer["detail"][0]["loc"][1], field, "{path}: {answer}");
    }
    let (status, answer) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=a%00b"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{answer}");

    // A card whose name holds a NUL.
    let card = json!({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": nul}});
    let (status, answer) = app
        .import_card(&app.api_key, card.to_string().into_bytes(), None)
        .await;
    assert_eq!(status, 400, "{answer}");

    // 110,000 distinct words (770 KB): stored, and found by a word near its start.
    let words: String = (0..110_000).map(|i| format!("w{i:06x} ")).collect();
    let (status, answer) = app
        .rest(
            "POST",
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(json!({"role": "user", "content": words})),
        )
        .await;
    assert_eq!(status, 201, "{}", answer["detail"]);
    let (status, found) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=w000010"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{}", found["detail"]);
    assert_eq!(found["total"], 1, "the long message is found");
}

/// No request throttle: the concurrency tests send thousands of writes at once.
fn unthrottled(config: &mut parley::Config) {
    config.limits.rate_per_second = 1_000_000;
    config.limits.rate_burst = 1_000_000;
}

/// Items 6, 11, 12 (acceptance line 3): ten chats, each with nine writes at once (four message
/// POSTs, a soft delete, four more POSTs), then a restore racing a hard delete, twenty rounds.
/// No answer is a 5xx; afterwards every acknowledged message of a surviving chat is there, none of
/// a purged one, and every tally equals its rows.
#[tokio::test]
async fn concurrent_writes_deletes_and_restores_never_fail_or_lose_data() {
    use futures::future::join_all;
    let app = spawn_app_with(|config| {
        unthrottled(config);
        config.db_max_connections = 10;
    })
    .await;
    let (status, character) = app
        .rest(
            "POST",
            "/api/v1/characters",
            Some(json!({"label": "race", "name": "Race"})),
        )
        .await;
    assert_eq!(status, 201, "{character}");
    for round in 0..20 {
        let mut chats = Vec::new();
        for _ in 0..10 {
            let (status, chat) = app
                .rest(
                    "POST",
                    "/api/v1/chats/",
                    Some(json!({"character_id": character["id"]})),
                )
                .await;
            assert_eq!(status, 201, "{chat}");
            chats.push(chat["id"].as_str().unwrap().to_owned());
        }
        let app = &app;
        let writes = chats.iter().flat_map(|chat| {
            (0..9).map(move |i| async move {
                let (status, body) = if i == 4 {
                    app.rest("DELETE", &format!("/api/v1/chats/{chat}"), None)
                        .await
                } else {
                    let message = json!({"role": "user", "content": format!("{round}-{i}")});
                    app.rest(
                        "POST",
                        &format!("/api/v1/chats/{chat}/messages"),
                        Some(message),
                    )
                    .await
                };
                assert!(status < 500, "round {round}: {status} {body}");
                (chat.clone(), i, status, body)
            })
        });
        let outcomes = join_all(writes).await;
        for (_, i, status, body) in &outcomes {
            let allowed: &[u16] = if *i == 4 { &[204, 200] } else { &[201, 404] };
            assert!(
                allowed.contains(status),
                "round {round}, write {i}: {status} {body}"
            );
            if *status == 201 {
                assert!(body["conversation_id"].is_string(), "{body}");
            }
        }
        let races = chats.iter().flat_map(|chat| {
            [
                ("POST", format!("/api/v1/chats/{chat}/restore")),
                ("DELETE", format!("/api/v1/chats/{chat}?hard_delete=true")),
            ]
            .map(|(method, path)| async move { app.rest(method, &path, None).await })
        });
        for (status, body) in join_all(races).await {
            assert!(status < 500, "round {round}: {status} {body}");
        }
        for chat in &chats {
            let acknowledged: std::collections::BTreeSet<String> = outcomes
                .iter()
                .filter(|(c, i, status, _)| c == chat && *i != 4 && *status == 201)
                .map(|(_, _, _, body)| body["content"].as_str().unwrap().to_owned())
                .collect();
            let (status, listed) = app
                .rest(
                    "GET",
                    &format!("/api/v1/chats/{chat}/messages?limit=100"),
                    None,
                )
                .await;
            match status {
                404 => {}
                200 => {
                    let stored: std::collections::BTreeSet<String> = listed
                        .as_array()
                        .or_else(|| listed["messages"].as_array())
                        .or_else(|| listed["data"].as_array())
                        .expect("a list")
                        .iter()
                        .map(|m| m["content"].as_str().unwrap().to_owned())
                        .collect();
                    assert_eq!(
                        stored, acknowledged,
                        "round {round}: the restored chat's messages"
                    );
                }
                other => panic!("{other}: {listed}"),
            }
        }
        let [sessions, messages] = crate::helpers::tallies_and_counts(&app.db).await;
        assert_eq!(sessions.0, sessions.1, "round {round}: session tallies");
        assert_eq!(messages.0, messages.1, "round {round}: message tallies");
    }
}

/// Item 12: a hard delete and an update, both expecting version 1, race; at most one succeeds.
#[tokio::test]
async fn a_versioned_delete_and_a_versioned_update_never_both_succeed() {
    let app = spawn_app_with(unthrottled).await;
    let (_, character) = app
        .rest(
            "POST",
            "/api/v1/characters",
            Some(json!({"label": "v", "name": "V"})),
        )
        .await;
    for trial in 0..30 {
        let (_, chat) = app
            .rest(
                "POST",
                "/api/v1/chats/",
                Some(json!({"character_id": character["id"]})),
            )
            .await;
        let chat = chat["id"].as_str().unwrap().to_owned();
        let delete = format!("/api/v1/chats/{chat}?hard_delete=true&expected_version=1");
        let update = format!("/api/v1/chats/{chat}?expected_version=1");
        let (delete, update) = tokio::join!(
            app.rest("DELETE", &delete, None),
            app.rest("PUT", &update, Some(json!({"title": "t"}))),
        );
        assert!(delete.0 < 500 && update.0 < 500, "{delete:?} {update:?}");
        let both = (200..300).contains(&delete.0) && (200..300).contains(&update.0);
        assert!(
            !both,
            "trial {trial}: both succeeded: {delete:?} {update:?}"
        );
    }
}

/// Whether the server closes `stream` within `within` (reads until end of file).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

/// Item 7: a request whose headers trickle in, and an idle keep-alive connection, are closed after
/// the header timeout; past the connection cap `/healthz` still answers, and the process never
/// runs out of file descriptors.
#[tokio::test]
async fn slow_idle_and_too_many_connections_are_bounded() {
    use tokio::io::AsyncWriteExt;
    let target = Target::start(&[
        ("PARLEY_HEADER_TIMEOUT_SECONDS", "1"),
        ("PARLEY_MAX_CONNECTIONS", "40"),
    ])
    .await;
    let host = target.address.trim_start_matches("http://").to_owned();

    // A header line every 300 ms never completes the request: closed after about a second.
    let mut slow = tokio::net::TcpStream::connect(&host).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let trickle = async {
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow
                .write_all(format!("X-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(8), trickle)
        .await
        .unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(1)).await,
        "the trickle is cut off"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // A keep-alive connection left idle after its answer is closed too.
    let mut idle = tokio::net::TcpStream::connect(&host).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(4)).await,
        "the idle connection is closed"
    );

    // 200 idle connections, five times the cap: /healthz and a query still answer beside them.
    let watch = target.watch().await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&host).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        // A new connection each time: it must find a place (the idlest connection makes room).
        let response = http()
            .get(format!("{}/healthz", target.address))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .expect("/healthz answers past the cap");
        assert_eq!(response.status(), 200);
    }
    drop(idle);
    watch.finish("idle connections past the cap").await;
}

/// Item 9: login attempts are throttled per username and per client address (429 with
/// `Retry-After`), passwords are bounded, and Argon2 runs off the async workers: sixteen logins at
/// once leave `/healthz` and a small query answering.
#[tokio::test]
async fn logins_are_throttled_and_hashing_does_not_stall_the_server() {
    let target = Target::start(&[
        ("PARLEY_AUTH_MODE", "multi"),
        ("PARLEY_REGISTRATION", "open"),
        (
            "PARLEY_JWT_SECRET",
            "a-test-secret-of-more-than-32-characters",
        ),
    ])
    .await;
    let post = |path: &'static str, username: String, password: String| {
        let client = target.client.clone();
        let url = format!("{}{path}", target.address);
        async move {
            let response = client
                .post(url)
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            (status, retry_after)
        }
    };
    let (status, _) = post(
        "/api/v1/auth/register",
        "ada".into(),
        "correct horse battery".into(),
    )
    .await;
    assert_eq!(status, 201);

    // Sixteen logins at once (each an Argon2 check), watched.
    let watch = target.watch().await;
    let logins = (0..16).map(|i| {
        post(
            "/api/v1/auth/login",
            format!("user{i}"),
            "wrong password".into(),
        )
    });
    for (status, _) in futures::future::join_all(logins).await {
        assert_eq!(status, 401);
    }
    watch.finish("sixteen logins at once").await;

    // One username: ten attempts, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(post("/api/v1/auth/login", "ada".into(), "wrong password".into()).await);
    }
    assert!(
        statuses[..10].iter().all(|(status, _)| *status == 401),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], (429, true), "{statuses:?}");

    // One address, many usernames: throttled as well.
    let mut limited = false;
    for i in 0..40 {
        let (status, retry_after) = post(
            "/api/v1/auth/login",
            format!("other{i}"),
            "wrong password".into(),
        )
        .await;
        if status == 429 {
            assert!(retry_after);
            limited = true;
            break;
        }
        assert_eq!(status, 401);
    }
    assert!(limited, "the address is throttled");

    // A password past the bound is refused before it is hashed (from another address's view:
    // this one is throttled now, and the throttle comes first).
    let app = spawn_app_with(|config| {
        config.auth_mode = parley::config::AuthMode::Multi;
        config.registration = parley::config::Registration::Open;
        config.jwt.secret = Some("a-test-secret-of-more-than-32-characters".into());
    })
    .await;
    let long = "p".repeat(parley::auth::MAX_PASSWORD_LENGTH + 1);
    let (status, body) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/register",
            Some(json!({"username": "bob", "password": long}).to_string()),
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"][1], "password", "{body}");
}

/// Item 15: a provider that redirects gets no second request with its API key: Parley does not
/// follow redirects, and the reply fails as a provider error.
#[tokio::test]
async fn model_provider_redirects_are_not_followed() {
    use crate::model_server::{Behavior, ModelServer};
    let elsewhere = ModelServer::start(Behavior::Reply(vec!["stolen"])).await;
    let provider = ModelServer::start(Behavior::Redirect(format!(
        "{}/chat/completions",
        elsewhere.base_url
    )))
    .await;
    let app = spawn_app_with(|config| {
        config.providers = vec![parley::llm::ProviderSettings {
            name: "default".into(),
            base_url: provider.base_url.clone(),
            api_key: Some("sk-secret".into()),
            timeout: Duration::from_secs(5),
        }]
    })
    .await;
    let (status, body) = app
        .rest(
            "POST",
            "/api/v1/chat/completions",
            Some(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(
        provider.last_authorization().as_deref(),
        Some("Bearer sk-secret")
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the key never reached the redirect's target"
    );
}

/// Item 14: metric label values come from closed sets: made-up methods and operation names of
/// unauthenticated or invalid requests add no series.
#[tokio::test]
async fn metric_labels_come_from_closed_sets() {
    let app = spawn_app_with(|_| {}).await;
    for i in 0..30 {
        let method = reqwest::Method::from_bytes(format!("M{i}X").as_bytes()).unwrap();
        let _ = app
            .client
            .request(method, format!("{}/healthz", app.address))
            .send()
            .await;
        let body = json!({"query": "{ __typename }", "operationName": format!("Made{i}")});
        let _ = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&body)
            .send()
            .await;
        let body = json!({"query": format!("query Bad{i} {{ nope }}")});
        let _ = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .json(&body)
            .send()
            .await;
    }
    let metrics = app.metrics_text().await;
    assert!(!metrics.contains("M1X"), "methods are a closed set");
    assert!(
        !metrics.contains("Made1"),
        "unauthenticated operation names are not labels"
    );
    assert!(
        !metrics.contains("Bad1"),
        "invalid documents' names are not labels"
    );
}

/// Item 17: answers are not sniffed, the docs page has a CSP, readiness does not show the raw
/// database error, and `PARLEY_CORS_ORIGINS='*'` is a setting, not a crash.
#[tokio::test]
async fn headers_readiness_and_cors_wildcard() {
    let app = spawn_app_with(|config| config.cors_origins = vec!["*".into()]).await;
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
    let docs = app
        .client
        .get(format!("{}/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        docs.headers().contains_key("content-security-policy"),
        "{:?}",
        docs.headers()
    );
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");

    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE seaql_migrations")
        .await
        .unwrap();
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body = ready.text().await.unwrap();
    assert!(!body.contains("seaql"), "no raw database error: {body}");

    let lookup = |origins: &'static str| {
        parley::Config::from_lookup(move |key| {
            (key == "PARLEY_CORS_ORIGINS").then(|| origins.to_owned())
        })
    };
    assert!(lookup("*").is_ok());
    let error = lookup("*,http://localhost:3000").unwrap_err();
    assert_eq!(error.key, "PARLEY_CORS_ORIGINS");
}

/// Item 8, watched: sixteen sockets each sending a 32 MiB frame before authenticating are cut
/// off at the body limit; the process neither grows nor stalls.
#[tokio::test]
async fn oversized_socket_frames_cost_nothing() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let target = Target::start(&[]).await;
    let url = format!("{}/graphql/ws", target.address.replace("http://", "ws://"));
    let watch = target.watch().await;
    let frame = "a".repeat(32 * 1024 * 1024);
    let attacks: Vec<_> = (0..16)
        .map(|_| {
            let (url, frame) = (url.clone(), frame.clone());
            async move {
                let mut request = url.into_client_request().unwrap();
                request.headers_mut().insert(
                    "sec-websocket-protocol",
                    "graphql-transport-ws".parse().unwrap(),
                );
                let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
                let sent = tokio::time::timeout(
                    Duration::from_secs(10),
                    socket.send(Message::text(frame)),
                )
                .await;
                assert!(
                    sent.is_ok(),
                    "the server cut the frame off instead of reading it"
                );
                close_code(&mut socket).await
            }
        })
        .collect();
    // The attack runs on a thread of its own: masking 16 client frames of 32 MiB is the test's
    // own work, and on the test's runtime it would hold up the watch's probes (measuring the
    // harness, not Parley).
    let attack = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the attack")
            .block_on(futures::future::join_all(attacks))
    });
    let codes = tokio::task::spawn_blocking(move || attack.join())
        .await
        .unwrap()
        .expect("the attack ran");
    for code in codes {
        assert!(code.is_some(), "the socket is closed");
    }
    watch.finish("oversized socket frames").await;
}
