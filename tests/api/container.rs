//! The container files, run without a container engine: the runtime stage's
//! entrypoint, its health check and the compose file's example client are
//! read from `Dockerfile` and `docker-compose.yml` and run as written against
//! the built binaries, with three differences a container would hide:
//!
//! - the container's file system is a temporary folder: `/app` holds what
//!   the Dockerfile copies there, `/config` what the compose file mounts, and
//!   container paths in arguments, variables and the mounted configuration
//!   point into it;
//! - port 8443 becomes a free port, so that runs never collide;
//! - the compose network's name `psc-mock` resolves to 127.0.0.1 (the
//!   example client's `RESOLVE`); TLS still checks the name `psc-mock`.
//!
//! The example client is the binary `cargo test` builds from
//! `examples/ciba_client.rs` (`cargo build --example ciba_client` when only
//! this suite is built).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_psc-mock");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// The port the image exposes and the compose file publishes.
const PORT: &str = "8443";
/// Container folders that the temporary file system stands in for.
const CONTAINER_DIRS: [&str; 2] = ["/app/", "/config/"];

/// One instruction of the Dockerfile, in its stage.
#[derive(Debug)]
struct Instruction {
    stage: String,
    keyword: String,
    args: String,
}

/// The Dockerfile's instructions: continuation lines joined, comments and
/// parser directives dropped, each tagged with its stage's name.
fn dockerfile() -> Vec<Instruction> {
    let text = std::fs::read_to_string(Path::new(REPO).join("Dockerfile")).expect("Dockerfile");
    let mut instructions = Vec::new();
    let mut stage = String::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            pending.push_str(part);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let whole = std::mem::take(&mut pending);
        let (keyword, args) = whole.split_once(' ').unwrap_or((&whole, ""));
        let keyword = keyword.to_uppercase();
        if keyword == "FROM" {
            let words: Vec<&str> = args.split_whitespace().collect();
            stage = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => (*name).to_owned(),
                _ => panic!("every stage is named: FROM {args}"),
            };
        }
        instructions.push(Instruction {
            stage: stage.clone(),
            keyword,
            args: args.trim().to_owned(),
        });
    }
    instructions
}

/// The stages an image is built from, oldest first: `target`, its `FROM`
/// stage, and so on.
fn lineage(instructions: &[Instruction], target: &str) -> Vec<String> {
    let mut chain = vec![target.to_owned()];
    loop {
        let current = chain.last().expect("a stage");
        let from = instructions
            .iter()
            .find(|i| &i.stage == current && i.keyword == "FROM")
            .unwrap_or_else(|| panic!("no stage {current}"));
        let base = from.args.split_whitespace().next().expect("FROM image");
        if instructions.iter().any(|i| i.stage == base) {
            chain.push(base.to_owned());
        } else {
            chain.reverse();
            return chain;
        }
    }
}

/// What an image built for `target` has: its instructions, base stage first.
fn image<'a>(instructions: &'a [Instruction], target: &str) -> Vec<&'a Instruction> {
    let chain = lineage(instructions, target);
    chain
        .iter()
        .flat_map(|stage| instructions.iter().filter(move |i| &i.stage == stage))
        .collect()
}

/// The last value of `keyword` in an image (later ones override).
fn last<'a>(image: &[&'a Instruction], keyword: &str) -> Option<&'a str> {
    image
        .iter()
        .rev()
        .find(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
}

/// An exec-form (JSON array) argument list.
fn exec_form(what: &str, args: &str) -> Vec<String> {
    serde_json::from_str(args)
        .unwrap_or_else(|e| panic!("{what} must be in exec form (a JSON array): {args}: {e}"))
}

/// `ENV` variables of an image, in order (`KEY=VALUE` pairs, unquoted).
fn env_of(image: &[&Instruction]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for instruction in image.iter().filter(|i| i.keyword == "ENV") {
        for pair in instruction.args.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("ENV in KEY=VALUE form: {}", instruction.args));
            assert!(!value.contains(['"', '\'']), "unquoted ENV values: {pair}");
            env.insert(key.to_owned(), value.to_owned());
        }
    }
    env
}

fn compose() -> Value {
    let text = std::fs::read_to_string(Path::new(REPO).join("docker-compose.yml"))
        .expect("docker-compose.yml");
    serde_norway::from_str(&text).expect("docker-compose.yml is YAML")
}

fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: a list, got {value}"))
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    let Some(map) = service["environment"].as_object() else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect()
}

/// The stand-in for one container: a root folder and a free port.
struct Container {
    root: PathBuf,
    port: String,
}

impl Container {
    /// A string as the container would see it, with host paths and the port.
    fn map(&self, value: &str) -> String {
        let mut value = value.replace(&format!(":{PORT}"), &format!(":{}", self.port));
        for dir in CONTAINER_DIRS {
            if value.starts_with(dir) {
                value = format!("{}{value}", self.root.display());
            }
        }
        value
    }

    fn host_path(&self, container_path: &str) -> PathBuf {
        assert!(
            CONTAINER_DIRS
                .iter()
                .any(|dir| container_path.starts_with(dir)),
            "{container_path} is outside the folders the test stands in for"
        );
        self.root.join(container_path.trim_start_matches('/'))
    }

    /// Copies a host file or folder to a container path.
    fn put(&self, host: &Path, container_path: &str) {
        let target = self.host_path(container_path);
        copy(host, &target);
    }
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

fn free_port() -> String {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("a free port");
    listener.local_addr().unwrap().port().to_string()
}

/// Where the binaries the images copy are found here: the server, and the
/// examples beside it.
fn search_path() -> String {
    let bin = Path::new(BIN).parent().expect("bin folder");
    format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        bin.display(),
        bin.join("examples").display()
    )
}

/// Starts the runtime image's entrypoint and waits for its `ready:` line.
async fn start(
    container: &Container,
    command: &[String],
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> (Child, Vec<String>) {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env_clear()
        .env("PATH", search_path())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, container.map(v))))
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut banner = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stdout line") {
            let ready = line.starts_with("ready:");
            banner.push(line);
            if ready {
                return;
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .is_err()
    {
        panic!("no ready line within 20 s from {command:?}: {banner:#?}");
    }
    assert!(
        banner.last().is_some_and(|l| l.starts_with("ready:")),
        "{command:?} stopped: {banner:#?}"
    );
    (child, banner)
}

/// The runtime image's files under `root`: `/app` as the Dockerfile fills it
/// (files copied from the build context; binaries come through PATH).
fn lay_out_app(container: &Container, image: &[&Instruction]) {
    std::fs::create_dir_all(container.root.join("app")).unwrap();
    for copy in image.iter().filter(|i| i.keyword == "COPY") {
        if copy.args.starts_with("--from") {
            continue;
        }
        let words: Vec<&str> = copy.args.split_whitespace().collect();
        let (destination, sources) = words.split_last().expect("COPY arguments");
        assert!(
            destination.ends_with('/'),
            "COPY into a folder: {}",
            copy.args
        );
        for source in sources {
            let name = Path::new(source).file_name().unwrap().to_str().unwrap();
            container.put(
                &Path::new(REPO).join(source),
                &format!("{destination}{name}"),
            );
        }
    }
}

#[tokio::test]
async fn the_compose_file_runs_a_ciba_login_through_the_images_commands() {
    let instructions = dockerfile();
    let compose = compose();
    let services = &compose["services"];
    let server = &services["psc-mock"];
    let client = &services["example-client"];

    // The server's image is the Dockerfile's last stage (plain `docker
    // build`), and the compose file builds that same stage.
    let runtime_stage = instructions.last().expect("instructions").stage.clone();
    assert_eq!(server["build"]["target"], runtime_stage);
    let runtime = image(&instructions, &runtime_stage);
    let user = last(&runtime, "USER").expect("a USER");
    assert!(
        !["root", "0", "0:0"].contains(&user) && !user.starts_with("root:"),
        "runs as {user}"
    );
    assert_eq!(last(&runtime, "EXPOSE"), Some(PORT));
    assert_eq!(
        strings(&server["ports"], "ports"),
        [format!("{PORT}:{PORT}")]
    );

    let root = tempfile::tempdir().unwrap();
    let container = Container {
        root: root.path().to_owned(),
        port: free_port(),
    };
    lay_out_app(&container, &runtime);

    // The compose file's volumes, under /config; the mounted configuration's
    // container paths are made host paths as well.
    for volume in strings(&server["volumes"], "volumes") {
        let parts: Vec<&str> = volume.split(':').collect();
        let [source, target, ..] = parts.as_slice() else {
            panic!("volume {volume}: SOURCE:TARGET[:ro]");
        };
        assert!(source.starts_with("./"), "bind mounts from the repository");
        container.put(&Path::new(REPO).join(source), target);
    }
    let server_env = {
        let mut env = env_of(&runtime);
        env.extend(environment(server));
        env
    };
    if let Some(config) = server_env.get("PSC_MOCK_CONFIG") {
        let path = container.host_path(config);
        let text = std::fs::read_to_string(&path).expect("the mounted configuration");
        let text = text.replace(
            "\"/config/",
            &format!("\"{}/config/", container.root.display()),
        );
        std::fs::write(&path, text).unwrap();
    }

    // ENTRYPOINT, then the compose file's command in place of CMD.
    let mut command = exec_form(
        "ENTRYPOINT",
        last(&runtime, "ENTRYPOINT").expect("ENTRYPOINT"),
    );
    command.extend(strings(&server["command"], "command"));
    let command: Vec<String> = command.iter().map(|a| container.map(a)).collect();
    let workdir = container.host_path(&format!("{}/", last(&runtime, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&container, &command, &server_env, &workdir).await;
    let port = &container.port;
    assert_eq!(
        banner.last().unwrap(),
        &format!("ready: listening on https://psc-mock:{port}")
    );
    assert!(
        banner.iter().any(|l| l.contains("approve after 1000 ms")),
        "{banner:#?}"
    );

    // The health check: the compose file's is the image's.
    let healthcheck = last(&runtime, "HEALTHCHECK").expect("HEALTHCHECK");
    let (_, probe) = healthcheck
        .split_once(" CMD ")
        .expect("HEALTHCHECK [OPTIONS] CMD [...]");
    let probe = exec_form("HEALTHCHECK CMD", probe);
    let compose_test = strings(&server["healthcheck"]["test"], "healthcheck.test");
    assert_eq!(compose_test[0], "CMD");
    assert_eq!(compose_test[1..], probe, "compose and image health checks");
    let probe: Vec<String> = probe.iter().map(|a| container.map(a)).collect();
    let health = Command::new(&probe[0])
        .args(&probe[1..])
        .current_dir(&workdir)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{probe:?}: {e}"));
    assert!(
        health.status.success(),
        "{probe:?}: {}",
        String::from_utf8_lossy(&health.stderr)
    );
    assert!(String::from_utf8_lossy(&health.stdout).contains("\"ok\""));

    // The example client: its image's entrypoint and variables, then the
    // compose file's, and the network's name resolution.
    assert_eq!(
        client["depends_on"]["psc-mock"]["condition"],
        "service_healthy"
    );
    let client_stage = client["build"]["target"].as_str().expect("client target");
    let client_image = image(&instructions, client_stage);
    let entrypoint = exec_form(
        "ENTRYPOINT",
        last(&client_image, "ENTRYPOINT").expect("client ENTRYPOINT"),
    );
    let mut env = env_of(&client_image);
    env.extend(environment(client));
    env.insert("RESOLVE".into(), "psc-mock:127.0.0.1".into());
    let example = Path::new(BIN)
        .parent()
        .unwrap()
        .join("examples")
        .join(&entrypoint[0]);
    assert!(
        example.exists(),
        "{} is missing: `cargo test` builds it, or `cargo build --example {}`",
        example.display(),
        entrypoint[0]
    );
    let client_workdir = container.host_path(&format!(
        "{}/",
        last(&client_image, "WORKDIR").expect("client WORKDIR")
    ));
    let run = Command::new(&entrypoint[0])
        .args(&entrypoint[1..])
        .env_clear()
        .env("PATH", search_path())
        .envs(env.iter().map(|(k, v)| (k, container.map(v))))
        .current_dir(&client_workdir)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the example client ends within 60 s")
        .expect("the example client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let login_hint = &env["LOGIN_HINT"];
    assert!(
        stdout.contains(&format!(
            "https://psc-mock:{port}/auth/realms/esante-wallet"
        )) && stdout.contains("tokens issued")
            && stdout.contains(&format!("\"SubjectNameID\": \"{login_hint}\"")),
        "{stdout}"
    );

    assert!(child.try_wait().unwrap().is_none(), "the server still runs");
    child.kill().await.unwrap();
}

/// CI services that take no arguments (GitHub Actions) set the image's
/// variables instead.
#[tokio::test]
async fn the_image_takes_its_public_url_and_auto_approval_from_the_environment() {
    let instructions = dockerfile();
    let runtime_stage = instructions.last().expect("instructions").stage.clone();
    let runtime = image(&instructions, &runtime_stage);
    let root = tempfile::tempdir().unwrap();
    let container = Container {
        root: root.path().to_owned(),
        port: free_port(),
    };
    lay_out_app(&container, &runtime);
    let mut env = env_of(&runtime);
    env.insert(
        "PSC_MOCK_SERVER__PUBLIC_URL".into(),
        format!("https://localhost:{PORT}"),
    );
    env.insert("PSC_MOCK_CIBA__DEFAULT_ACTION".into(), "approve".into());
    // ENTRYPOINT and CMD as they are.
    let mut command = exec_form(
        "ENTRYPOINT",
        last(&runtime, "ENTRYPOINT").expect("ENTRYPOINT"),
    );
    command.extend(exec_form("CMD", last(&runtime, "CMD").expect("CMD")));
    let command: Vec<String> = command.iter().map(|a| container.map(a)).collect();
    let workdir = container.host_path(&format!("{}/", last(&runtime, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&container, &command, &env, &workdir).await;
    let port = &container.port;
    assert_eq!(
        banner.last().unwrap(),
        &format!("ready: listening on https://localhost:{port}")
    );
    assert!(
        banner.iter().any(|l| l.contains("approve after 0 ms")),
        "{banner:#?}"
    );
    // The client files the banner names are the image's /app/keys.
    assert!(
        banner
            .iter()
            .any(|l| l.trim() == "CA             keys/ca.pem"),
        "{banner:#?}"
    );
    child.kill().await.unwrap();
}
