//! The binary, started in an empty directory with no configuration, creates its SQLite database,
//! prints its address and a new API key, serves GraphQL, and keeps the data across a restart.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

struct Started {
    child: Child,
    address: String,
    printed_key: Option<String>,
}

/// Starts `parley` in `dir` with nothing configured but a free port (so parallel runs cannot
/// collide on 8000), and reads what it prints until it says how to authenticate.
async fn start(dir: &Path) -> Started {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("PARLEY_API_KEY")
        .env("PARLEY_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("parley starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut printed_key) = (None, None);
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if let Some(rest) = line.strip_prefix("Parley listening on ") {
                address = Some(rest.trim().to_owned());
            }
            if let Some(key) = line.split_whitespace().find(|w| w.starts_with("pk_")) {
                printed_key = Some(key.to_owned());
            }
            if line.starts_with("Send it as the X-API-KEY header") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("parley printed its address and key in time");
    Started {
        child,
        address: address.expect("the address was printed"),
        printed_key,
    }
}

async fn graphql(address: &str, key: &str, query: &str) -> Value {
    let response = crate::helpers::http()
        .post(format!("{address}/graphql"))
        .header("X-API-KEY", key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

/// SIGTERM, then wait: the graceful path.
async fn stop(mut started: Started) {
    let pid = started.child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), started.child.wait())
        .await
        .expect("parley stops on SIGTERM")
        .expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit}");
}

#[tokio::test]
async fn fresh_start_creates_the_database_and_restart_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path()).await;
    assert!(
        first.address.starts_with("http://127.0.0.1:"),
        "{}",
        first.address
    );
    let key = first
        .printed_key
        .clone()
        .expect("a new key is printed on first start");
    assert!(
        dir.path().join("parley.db").exists(),
        "parley.db in the working directory"
    );

    let created = graphql(
        &first.address,
        &key,
        r#"mutation { createCharacter(input: {label: "kept", name: "Kept"}) { id } }"#,
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");
    stop(first).await;

    let second = start(dir.path()).await;
    assert_eq!(
        second.printed_key, None,
        "the key is shown once, never again"
    );
    let listed = graphql(&second.address, &key, "{ characters { nodes { label } } }").await;
    assert_eq!(
        listed["data"]["characters"]["nodes"],
        json!([{ "label": "kept" }])
    );
    stop(second).await;
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir.path())
        .env("PARLEY_BIND", "nonsense")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PARLEY_BIND"), "{stderr}");
    assert!(!dir.path().join("parley.db").exists(), "nothing is created");
}

#[tokio::test]
async fn the_cli_prints_help_and_the_schema() {
    let help = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    let commands = [
        "serve",
        "migrate",
        "schema",
        "openapi",
        "api-key",
        "import-card",
    ];
    for command in commands {
        assert!(help.contains(command), "{help}");
        let own = Command::new(env!("CARGO_BIN_EXE_parley"))
            .args([command, "--help"])
            .output()
            .await
            .unwrap();
        assert!(own.status.success(), "{command} --help: {own:?}");
        assert!(
            String::from_utf8_lossy(&own.stdout).contains("Usage: parley"),
            "{command} --help: {own:?}"
        );
    }
    let schema = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("schema")
        .output()
        .await
        .unwrap();
    assert!(schema.status.success());
    assert_eq!(
        String::from_utf8_lossy(&schema.stdout),
        include_str!("../../schema.graphql")
    );
    let openapi = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("openapi")
        .output()
        .await
        .unwrap();
    assert!(openapi.status.success());
    assert_eq!(
        String::from_utf8_lossy(&openapi.stdout).trim(),
        include_str!("../../openapi.json").trim()
    );
}

#[tokio::test]
async fn migrate_applies_migrations_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = Command::new(env!("CARGO_BIN_EXE_parley"))
            .arg("migrate")
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .output()
            .await
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    assert!(dir.path().join("parley.db").exists());

    let migrate = |action: &'static str| {
        let dir = dir.path().to_owned();
        async move {
            let output = Command::new(env!("CARGO_BIN_EXE_parley"))
                .args(["migrate", action])
                .current_dir(dir)
                .env_remove("DATABASE_URL")
                .output()
                .await
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
    };
    let status = migrate("status").await;
    assert!(status.lines().all(|l| l.starts_with("applied")), "{status}");
    migrate("down").await;
    let status = migrate("status").await;
    assert_eq!(
        status.lines().filter(|l| l.starts_with("pending")).count(),
        1,
        "{status}"
    );
    migrate("up").await;
    assert!(!migrate("status").await.contains("pending"));
}

#[tokio::test]
async fn api_keys_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let parley = |args: &[&str]| cli(dir.path(), args);
    let created = parley(&["api-key", "create", "--name", "ci"])
        .await
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let stdout = String::from_utf8_lossy(&created.stdout);
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("pk_"))
        .expect("the key is printed")
        .to_owned();

    let listed = parley(&["api-key", "list"]).await.unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains(" ci "), "{listing}");
    assert!(!listing.contains(&key), "the key itself is never listed");

    // The key works against the server, until it is revoked.
    let started = start(dir.path()).await;
    let query = "{ characters { totalCount } }";
    let status = |key: String, address: String| async move {
        crate::helpers::http()
            .post(format!("{address}/graphql"))
            .header("X-API-KEY", key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status(key.clone(), started.address.clone()).await, 200);
    let id = listing
        .lines()
        .find(|line| line.contains(" ci "))
        .and_then(|line| line.split_whitespace().next())
        .unwrap()
        .to_owned();
    let revoked = parley(&["api-key", "revoke", &id]).await.unwrap();
    assert!(revoked.status.success(), "{revoked:?}");
    stop(started).await;
    let restarted = start(dir.path()).await;
    assert_eq!(status(key, restarted.address.clone()).await, 401);
    stop(restarted).await;

    let help = parley(&["api-key", "--help"]).await.unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for command in ["create", "list", "revoke"] {
        assert!(help.contains(command), "{help}");
    }
}

#[tokio::test]
async fn a_config_file_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parley.toml"), "bind = \"nonsense\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["--config", "parley.toml"])
        .current_dir(dir.path())
        .env_remove("PARLEY_BIND")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PARLEY_BIND"));

    // The environment wins over the file.
    std::fs::write(
        dir.path().join("parley.toml"),
        "bind = \"nonsense\"\ndb_max_connections = 2\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir.path())
        .env("PARLEY_CONFIG", "parley.toml")
        .env("PARLEY_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        first.starts_with("Parley listening on http://127.0.0.1:"),
        "{first}"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn cards_are_imported_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let parley = |args: &[&str]| cli(dir.path(), args);
    let card = json!({"spec": "chara_card_v2", "spec_version": "2.0",
                      "data": {"name": "Cli Card", "first_mes": "Hello from a file"}});
    std::fs::write(dir.path().join("card.json"), card.to_string()).unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"spec\": \"chara_card_v2\"",
    )
    .unwrap();

    let imported = parley(&["import-card", "card.json"]).await.unwrap();
    assert!(imported.status.success(), "{imported:?}");
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(stdout.contains("label `cli-card`"), "{stdout}");
    let labelled = parley(&["import-card", "card.json", "--label", "second"])
        .await
        .unwrap();
    assert!(labelled.status.success(), "{labelled:?}");

    // A broken file: non-zero, and the message says which file and what is wrong.
    let broken = parley(&["import-card", "broken.json"]).await.unwrap();
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("broken.json") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
    let missing = parley(&["import-card", "nowhere.png"]).await.unwrap();
    assert!(!missing.status.success());

    // The server sees both characters.
    let created = parley(&["api-key", "create"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&created.stdout);
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("pk_"))
        .unwrap()
        .to_owned();
    let started = start(dir.path()).await;
    let answer: serde_json::Value = crate::helpers::http()
        .post(format!("{}/graphql", started.address))
        .header("X-API-KEY", key)
        .json(&json!({ "query": "{ characters { nodes { label firstMessage } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["characters"]["nodes"],
        json!([{"label": "cli-card", "firstMessage": "Hello from a file"},
               {"label": "second", "firstMessage": "Hello from a file"}])
    );
    stop(started).await;
}

/// `parley ARGS` in `dir`, on the default SQLite database there, with no key from the environment.
fn cli(
    dir: &std::path::Path,
    args: &[&str],
) -> impl Future<Output = std::io::Result<std::process::Output>> + use<> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parley"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("PARLEY_API_KEY");
    command.output()
}
