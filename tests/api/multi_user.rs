//! Multi-user mode: accounts, JWT, API keys; and the limits that apply in both modes.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use parley::config::{AuthMode, JwtAlgorithm};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

async fn multi_user_app() -> TestApp {
    spawn_app_with(|config| {
        config.auth_mode = AuthMode::Multi;
        config.registration = parley::config::Registration::Open;
        config.jwt.secret = Some(SECRET.into());
        config.jwt.issuer = Some("parley-test".into());
        config.jwt.audience = Some("parley".into());
    })
    .await
}

impl TestApp {
    /// A request with `Authorization: Bearer <token>`; returns status and JSON.
    pub async fn with_token(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_ne!(status, 500, "{text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn hs256(claims: Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn register_login_and_use_the_token_on_rest_and_graphql() {
    let app = multi_user_app().await;
    let credentials = json!({"username": "ada", "password": "correct horse battery"});
    let (status, registered) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/register",
            Some(credentials.to_string()),
            None,
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["token_type"], "bearer");
    assert_eq!(registered["expires_in"], 3600);
    let (status, again) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/register",
            Some(credentials.to_string()),
            None,
        )
        .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["detail"], "username `ada` is taken");
    let (status, short) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/register",
            Some(json!({"username": "bob", "password": "short"}).to_string()),
            None,
        )
        .await;
    assert_eq!(
        (status, short["detail"][0]["loc"].clone()),
        (422, json!(["body", "password"]))
    );

    let (status, login) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/login",
            Some(credentials.to_string()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let token = login["access_token"].as_str().unwrap().to_owned();
    for wrong in [
        json!({"username": "ada", "password": "wrong horse"}),
        json!({"username": "nobody", "password": "whatever1"}),
    ] {
        let (status, body) = app
            .rest_raw("POST", "/api/v1/auth/login", Some(wrong.to_string()), None)
            .await;
        assert_eq!(
            (status, body["detail"].as_str()),
            (401, Some("incorrect username or password"))
        );
    }

    // REST with the token.
    let (status, created) = app
        .with_token(
            "POST",
            "/api/v1/characters",
            &token,
            Some(json!({"label": "c", "name": "Ada's"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, list) = app.with_token("GET", "/api/v1/chats/", &token, None).await;
    assert_eq!((status, list["metadata"]["total"].as_i64()), (200, Some(0)));

    // GraphQL with the token: me, and the character made over REST.
    let (status, body) = app
        .with_token(
            "POST",
            "/graphql",
            &token,
            Some(json!({"query": "{ me { username } characters { nodes { name } } }"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["username"], "ada");
    assert_eq!(
        body["data"]["characters"]["nodes"],
        json!([{"name": "Ada's"}])
    );

    // An API key of Ada's works as a bearer value too (OpenAI SDKs send it so); a JWT is told
    // apart by its shape.
    let (_, body) = app
        .with_token(
            "POST",
            "/graphql",
            &token,
            Some(json!({"query": "mutation { createApiKey(name: \"sdk\") { key } }"})),
        )
        .await;
    let key = body["data"]["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, list) = app
        .with_token("GET", "/api/v1/characters/", &key, None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["name"], "Ada's");

    // GraphQL register and login need no credentials; anything else does.
    let (status, body) = app
        .graphql_with_key(None, "mutation { register(username: \"grace\", password: \"hopper1906\") { tokenType expiresIn } }", json!({}))
        .await;
    assert_eq!(
        (status, body["data"]["register"]["tokenType"].as_str()),
        (200, Some("bearer")),
        "{body}"
    );
    let (status, body) = app
        .graphql_with_key(
            None,
            "mutation { login(username: \"grace\", password: \"hopper1906\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let grace = body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app
        .with_token(
            "POST",
            "/graphql",
            &grace,
            Some(json!({"query": "{ me { username } characters { totalCount } }"})),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"me": {"username": "grace"}, "characters": {"totalCount": 0}})
    );
    let (status, body) = app
        .graphql_with_key(None, "{ me { username } }", json!({}))
        .await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHENTICATED"));

    // The API key works in multi-user mode too.
    let (status, _) = app.rest("GET", "/api/v1/chat-sessions", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let app = multi_user_app().await;
    let credentials = json!({"username": "ada", "password": "correct horse battery"});
    app.rest_raw(
        "POST",
        "/api/v1/auth/register",
        Some(credentials.to_string()),
        None,
    )
    .await;
    let valid = json!({"sub": "ada", "exp": now() + 600, "iss": "parley-test", "aud": "parley"});
    assert_eq!(
        app.with_token("GET", "/api/v1/chats/", &hs256(valid.clone(), SECRET), None)
            .await
            .0,
        200
    );

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(valid.to_string())
    );
    let mut without_sub = valid.clone();
    without_sub.as_object_mut().unwrap().remove("sub");
    let mut without_exp = valid.clone();
    without_exp.as_object_mut().unwrap().remove("exp");
    let bad = [
        ("alg none", unsigned),
        (
            "wrong signature",
            hs256(valid.clone(), "another-secret-that-is-long-enough-000000"),
        ),
        (
            "expired",
            hs256(
                json!({"sub": "ada", "exp": now() - 3600, "iss": "parley-test", "aud": "parley"}),
                SECRET,
            ),
        ),
        ("no exp", hs256(without_exp, SECRET)),
        (
            "wrong audience",
            hs256(
                json!({"sub": "ada", "exp": now() + 600, "iss": "parley-test", "aud": "other"}),
                SECRET,
            ),
        ),
        (
            "wrong issuer",
            hs256(
                json!({"sub": "ada", "exp": now() + 600, "iss": "evil", "aud": "parley"}),
                SECRET,
            ),
        ),
        ("missing sub", hs256(without_sub, SECRET)),
        (
            "unknown account",
            hs256(
                json!({"sub": "nobody", "exp": now() + 600, "iss": "parley-test", "aud": "parley"}),
                SECRET,
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in bad {
        let (status, body) = app.with_token("GET", "/api/v1/chats/", &token, None).await;
        assert_eq!(status, 401, "{what}: {body}");
        let (status, body) = app
            .with_token(
                "POST",
                "/graphql",
                &token,
                Some(json!({"query": "{ me { id } }"})),
            )
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "UNAUTHENTICATED"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn rs256_accepts_the_identity_providers_tokens_only() {
    use rsa::{RsaPrivateKey, pkcs8::EncodePrivateKey, pkcs8::EncodePublicKey, pkcs8::LineEnding};
    let private = RsaPrivateKey::new(&mut rand_08(), 2048).unwrap();
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap();
    let app = spawn_app_with(|config| {
        config.auth_mode = AuthMode::Multi;
        config.jwt.algorithm = JwtAlgorithm::Rs256;
        config.jwt.public_key_pem = Some(public_pem.clone());
    })
    .await;
    let claims = json!({"sub": "idp-user", "exp": now() + 600});
    let signed = encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let (status, body) = app
        .with_token(
            "POST",
            "/graphql",
            &signed,
            Some(json!({"query": "{ me { username } }"})),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["me"]["username"]),
        (200, &json!("idp-user")),
        "{body}"
    );

    // An HS256 token, even one signed with the public key as its secret, is refused.
    for secret in [SECRET, public_pem.as_str()] {
        let (status, _) = app
            .with_token(
                "GET",
                "/api/v1/chats/",
                &hs256(claims.clone(), secret),
                None,
            )
            .await;
        assert_eq!(status, 401);
    }
    // Parley does not issue tokens here: accounts come from the identity provider.
    let (status, _) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "x", "password": "whatever1"}).to_string()),
            None,
        )
        .await;
    assert_eq!(status, 409);
}

/// rsa 0.9 wants a rand_core 0.6 generator.
fn rand_08() -> impl rsa::rand_core::CryptoRngCore {
    rsa::rand_core::OsRng
}

#[tokio::test]
async fn api_keys_are_created_listed_used_and_revoked() {
    let app = spawn_app().await;
    let created = app
        .data("mutation { createApiKey(name: \"laptop\") { key apiKey { id name prefix lastUsedAt revokedAt } } }", json!({}))
        .await;
    let key = created["createApiKey"]["key"].as_str().unwrap().to_owned();
    let id = created["createApiKey"]["apiKey"]["id"].as_i64().unwrap();
    assert!(
        key.starts_with(
            created["createApiKey"]["apiKey"]["prefix"]
                .as_str()
                .unwrap()
        )
    );
    assert!(created["createApiKey"]["apiKey"]["lastUsedAt"].is_null());

    let (status, _) = app
        .rest_raw("GET", "/api/v1/characters", None, Some(&key))
        .await;
    assert_eq!(status, 200);
    let listed = app
        .data("{ apiKeys { id name lastUsedAt } }", json!({}))
        .await;
    let laptop = listed["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap()
        .clone();
    assert!(
        laptop["lastUsedAt"].is_string(),
        "last use recorded: {laptop}"
    );
    assert!(!listed.to_string().contains(&key), "keys are never listed");

    app.data(
        "mutation($id: Int!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({"id": id}),
    )
    .await;
    let (status, body) = app
        .rest_raw("GET", "/api/v1/characters", None, Some(&key))
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = app
        .graphql_with_key(Some(&key), "{ me { id } }", json!({}))
        .await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHENTICATED"));
}

#[tokio::test]
async fn deep_and_complex_queries_are_refused_before_any_sql() {
    let app = spawn_app_with(|config| config.limits.graphql_max_complexity = 50).await;
    app.data("{ characters { totalCount } }", json!({})).await; // the key is verified and cached
    let mut deep = String::from("{ __schema { types { fields { type ");
    for _ in 0..18 {
        deep.push_str("{ ofType ");
    }
    deep.push_str("{ name }");
    deep.push_str(&" }".repeat(18 + 5));
    let aliases: String = (0..60)
        .map(|i| format!("a{i}: characters {{ totalCount }} "))
        .collect();
    for query in [deep, format!("{{ {aliases} }}")] {
        let before = app.statements_executed().await;
        let body = app.graphql(&query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["data"].is_null());
        assert_eq!(app.statements_executed().await, before, "no SQL ran");
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_a_retry_after_that_works() {
    let app = spawn_app_with(|config| {
        config.limits.rate_per_second = 1;
        config.limits.rate_burst = 3;
    })
    .await;
    let mut limited = None;
    for _ in 0..10 {
        let response = app
            .client
            .get(format!("{}/api/v1/characters", app.address))
            .header("X-API-KEY", &app.api_key)
            .send()
            .await
            .unwrap();
        if response.status().as_u16() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status().as_u16(), 200);
    }
    let limited = limited.expect("the limit applies");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let (status, body) = app
        .graphql_with_key(Some(&app.api_key), "{ me { id } }", json!({}))
        .await;
    assert_eq!((status, error_code(&body)), (429, "RATE_LIMITED"));

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _) = app.rest("GET", "/api/v1/characters", None).await;
    assert_eq!(
        status, 200,
        "after Retry-After the next request goes through"
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_and_cors_allows_loopback_by_default() {
    let app = spawn_app_with(|config| config.limits.max_body_bytes = 4096).await;
    let big = json!({"label": "x", "name": "y".repeat(10_000)}).to_string();
    let (status, body) = app
        .rest_raw(
            "POST",
            "/api/v1/characters",
            Some(big.clone()),
            Some(&app.api_key),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("X-API-KEY", &app.api_key)
        .header("content-type", "application/json")
        .body(
            json!({"query": format!("{{ characters {{ totalCount }} }} # {}", "z".repeat(10_000))})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE", "{body}");

    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    // By default a browser page on any port of a loopback name may call (the origin frontend on
    // its own dev server); other origins, lookalikes included, get no CORS headers.
    for origin in [
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://[::1]:8080",
        "http://localhost",
    ] {
        let response = preflight(&app, origin).await.unwrap();
        assert_eq!(allowed(&response).as_deref(), Some(origin));
    }
    for origin in [
        "http://localhost:3000x",
        "http://localhost:3000.x",
        "http://localhost.x",
        "https://localhost:3000",
        "null",
    ] {
        let response = preflight(&app, origin).await.unwrap();
        assert_eq!(allowed(&response), None, "{origin}");
    }
    // PARLEY_CORS_ORIGINS replaces the list; empty turns CORS off.
    let configured =
        spawn_app_with(|config| config.cors_origins = vec!["http://localhost:3000".into()]).await;
    let response = preflight(&configured, "http://localhost:3000")
        .await
        .unwrap();
    assert_eq!(allowed(&response).as_deref(), Some("http://localhost:3000"));
    let response = preflight(&configured, "http://localhost:3001")
        .await
        .unwrap();
    assert_eq!(allowed(&response), None);
    let off = spawn_app_with(|config| config.cors_origins = Vec::new()).await;
    let response = preflight(&off, "http://localhost:3000").await.unwrap();
    assert_eq!(allowed(&response), None);
}

#[tokio::test]
async fn es256_tokens_from_an_identity_provider_work_too() {
    use p256::{
        SecretKey,
        pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding},
    };
    let secret = SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let public_pem = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let private_pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    let app = spawn_app_with(|config| {
        config.auth_mode = AuthMode::Multi;
        config.jwt.algorithm = JwtAlgorithm::Es256;
        config.jwt.public_key_pem = Some(public_pem);
        config.jwt.issuer = Some("https://idp.localhost".into());
    })
    .await;
    let key = EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap();
    let sign = |claims: Value| encode(&Header::new(Algorithm::ES256), &claims, &key).unwrap();
    let good = sign(json!({"sub": "erin", "exp": now() + 600, "iss": "https://idp.localhost"}));
    let (status, body) = app
        .with_token(
            "POST",
            "/graphql",
            &good,
            Some(json!({"query": "{ me { username } }"})),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["me"]["username"]),
        (200, &json!("erin")),
        "{body}"
    );
    let no_issuer = sign(json!({"sub": "erin", "exp": now() + 600}));
    assert_eq!(
        app.with_token("GET", "/api/v1/chats/", &no_issuer, None)
            .await
            .0,
        401
    );
}

/// Item 17 of the hardening issue: a token is refused a few seconds after it expires (not a
/// minute), before its `nbf`, and when its subject is the bootstrap account (`default`), which is
/// reached with its API keys only.
#[tokio::test]
async fn expiry_not_before_and_the_bootstrap_subject_are_enforced() {
    let app = multi_user_app().await;
    let credentials = json!({"username": "ada", "password": "correct horse battery"});
    app.rest_raw(
        "POST",
        "/api/v1/auth/register",
        Some(credentials.to_string()),
        None,
    )
    .await;
    let claims = |sub: &str, exp: u64, nbf: Option<u64>| {
        let mut claims = json!({"sub": sub, "exp": exp, "iss": "parley-test", "aud": "parley"});
        if let Some(nbf) = nbf {
            claims["nbf"] = json!(nbf);
        }
        hs256(claims, SECRET)
    };
    let app = &app;
    let status = |token: String| async move {
        app.with_token("GET", "/api/v1/chats/", &token, None)
            .await
            .0
    };
    assert_eq!(
        status(claims("ada", now() + 600, Some(now() - 5))).await,
        200
    );
    assert_eq!(
        status(claims("ada", now() - 15, None)).await,
        401,
        "expired 15 s ago"
    );
    assert_eq!(
        status(claims("ada", now() + 600, Some(now() + 60))).await,
        401,
        "not yet valid"
    );
    assert_eq!(
        status(claims("default", now() + 600, None)).await,
        401,
        "the bootstrap account"
    );
}

/// Item 19 of the hardening issue: in multi-user mode registration is closed unless the operator
/// opens it; the operator creates accounts with `parley account create`, and they log in.
#[tokio::test]
async fn registration_is_closed_by_default_and_the_operator_creates_accounts() {
    let app = spawn_app_with(|config| {
        config.auth_mode = AuthMode::Multi;
        config.jwt.secret = Some(SECRET.into());
    })
    .await;
    let credentials = json!({"username": "ada", "password": "correct horse battery"});
    let (status, body) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/register",
            Some(credentials.to_string()),
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("closed"),
        "{body}"
    );
    let (status, body) = app
        .graphql_with_key(
            None,
            r#"mutation { register(username: "ada", password: "correct horse battery") { accessToken } }"#,
            json!({}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (200, "FORBIDDEN"), "{body}");

    // The operator's command, on the same database.
    use std::io::Write;
    let mut child = std::process::Command::new(crate::helpers::parley_binary())
        .args(["account", "create", "ada"])
        .env("DATABASE_URL", &app.database_url)
        .env("PARLEY_AUTH_MODE", "multi")
        .env("PARLEY_JWT_SECRET", SECRET)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let (status, body) = app
        .rest_raw(
            "POST",
            "/api/v1/auth/login",
            Some(credentials.to_string()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn usernames_are_one_account_whatever_their_case_or_composition() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = multi_user_app().await;
    let post = |path: &'static str, body: Value| {
        let app = &app;
        async move {
            app.rest_raw("POST", path, Some(body.to_string()), None)
                .await
        }
    };
    let (status, _) = post(
        "/api/v1/auth/register",
        json!({"username": "  Ada ", "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(status, 201);
    // The same name in another case, or in full-width letters (NFKC folds them), is taken.
    for other in ["ada", "ADA", "Ａｄａ"] {
        let (status, body) = post(
            "/api/v1/auth/register",
            json!({"username": other, "password": "another password"}),
        )
        .await;
        assert_eq!(status, 409, "{other}: {body}");
    }
    for typed in ["ada", "ADA", "Ａｄａ", " Ada"] {
        let (status, body) = post(
            "/api/v1/auth/login",
            json!({"username": typed, "password": "correct horse battery"}),
        )
        .await;
        assert_eq!(status, 200, "{typed}: {body}");
    }
    let (_, login) = post(
        "/api/v1/auth/login",
        json!({"username": "ADA", "password": "correct horse battery"}),
    )
    .await;
    let token = login["access_token"].as_str().unwrap();
    let (status, body) = app
        .with_token(
            "POST",
            "/graphql",
            token,
            Some(json!({"query": "{ me { username } }"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["username"], "ada", "stored in one form");

    // Bounded: 65 letters is refused.
    let (status, body) = post(
        "/api/v1/auth/register",
        json!({"username": "a".repeat(65), "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(
        (status, body["detail"][0]["loc"].clone()),
        (422, json!(["body", "username"]))
    );

    // An account named before names were normalised still logs in as typed.
    entity::account::ActiveModel {
        username: Set("Émile".into()),
        password_hash: Set(Some(
            parley::auth::password::hash("legacy password").unwrap(),
        )),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (status, body) = post(
        "/api/v1/auth/login",
        json!({"username": "Émile", "password": "legacy password"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
