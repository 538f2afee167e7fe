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

use crate::helpers::{PORT_ATTEMPTS, pick_port};

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
    instructions_of(&text, true)
}

/// A Dockerfile's instructions; a stage without a name (`FROM image`) is
/// named by its image, unless every stage must be named.
fn instructions_of(text: &str, named_stages: bool) -> Vec<Instruction> {
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
                [image] if !named_stages => (*image).to_owned(),
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
    /// A new stand-in on a free port, the image's application laid out in
    /// its root; the folder lasts as long as the returned guard.
    fn with_app(image: &[&Instruction]) -> (tempfile::TempDir, Self) {
        let root = tempfile::tempdir().unwrap();
        let container = Container {
            root: root.path().to_owned(),
            port: free_port(),
        };
        lay_out_app(&container, image);
        (root, container)
    }

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

    /// Rewrites the configuration file at `container_path` so that the
    /// `/config/` paths it names lead into this stand-in's root.
    fn root_config_paths(&self, container_path: &str) {
        let path = self.host_path(container_path);
        let text = std::fs::read_to_string(&path).expect("the configuration file");
        let text = text.replace("\"/config/", &format!("\"{}/config/", self.root.display()));
        std::fs::write(&path, text).unwrap();
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

/// A port free now; [`start`] picks another if it is taken meanwhile.
fn free_port() -> String {
    pick_port().to_string()
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
    container: &mut Container,
    command: &[String],
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> (Child, Vec<String>) {
    for _ in 0..PORT_ATTEMPTS {
        if let Some(started) = start_on(container, command, env, cwd).await {
            return started;
        }
        // The port was taken between its choice and the server's bind.
        container.port = free_port();
    }
    panic!("{command:?} found no free port in {PORT_ATTEMPTS} attempts");
}

/// The server on the container's port, once ready; `None` if it stopped
/// because another process had taken the port.
async fn start_on(
    container: &Container,
    command: &[String],
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> Option<(Child, Vec<String>)> {
    let command: Vec<String> = command.iter().map(|a| container.map(a)).collect();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env_clear()
        .env("PATH", search_path())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, container.map(v))))
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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
    if banner.last().is_some_and(|l| l.starts_with("ready:")) {
        // Its log goes on to the test's stderr, never filling the pipe.
        if let Some(pipe) = child.stderr.take().and_then(|p| p.into_owned_fd().ok()) {
            std::thread::spawn(move || {
                std::io::copy(&mut std::fs::File::from(pipe), &mut std::io::stderr()).ok();
            });
        }
        return Some((child, banner));
    }
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr)
            .await
            .ok();
    }
    if stderr.contains("cannot listen") && stderr.contains("in use") {
        return None;
    }
    panic!("{command:?} stopped: {banner:#?}\n{stderr}");
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

    let (_root, mut container) = Container::with_app(&runtime);

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
        container.root_config_paths(config);
    }

    // ENTRYPOINT, then the compose file's command in place of CMD.
    let mut command = exec_form(
        "ENTRYPOINT",
        last(&runtime, "ENTRYPOINT").expect("ENTRYPOINT"),
    );
    command.extend(strings(&server["command"], "command"));
    let workdir = container.host_path(&format!("{}/", last(&runtime, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&mut container, &command, &server_env, &workdir).await;
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
    let (_root, mut container) = Container::with_app(&runtime);
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
    let workdir = container.host_path(&format!("{}/", last(&runtime, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&mut container, &command, &env, &workdir).await;
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

// --- The CI templates users copy (ci/templates/) ------------------------------
//
// Each template's service is started as its CI would start it: the runtime
// image's entrypoint, its variables, then the template's settings (a setting
// the server does not know stops its start, and a flag variable it does not
// know fails here). Then the template's own commands run as written, in a
// checkout holding the files it names, with the service's name resolving to
// 127.0.0.1 (curl's `resolve`, the example client's `RESOLVE`). The user's
// tests (`./run-your-tests.sh`) are the example client configured by the
// template's variables: a CIBA login at the template's issuer, with the
// template's client files.

/// The image the templates use: the project's published name.
const PUBLISHED_IMAGE: &str = "ghcr.io/psc-mock/psc-mock";
/// The line of a template that stands for the user's tests.
const YOUR_TESTS: &str = "./run-your-tests.sh";
/// The professional whose login the user's tests stand-in runs.
const LOGIN_HINT: &str = "899700245667";
/// The variables a template hands to the user's tests, and the example
/// client's names for them.
const TEST_VARIABLES: [(&str, &str); 6] = [
    ("PSC_ISSUER", "ISSUER"),
    ("PSC_CA", "CA"),
    ("PSC_CLIENT_CERT", "CLIENT_CERT"),
    ("PSC_CLIENT_KEY", "CLIENT_KEY"),
    ("PSC_CLIENT_ID", "CLIENT_ID"),
    ("PSC_CLIENT_SECRET", "CLIENT_SECRET"),
];

fn template(name: &str) -> Value {
    let path = Path::new(REPO).join("ci/templates").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is YAML: {e}"))
}

/// `ghcr.io/psc-mock/psc-mock:X.Y` for this crate's version X.Y.Z.
fn published_image() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let minor: Vec<&str> = version.splitn(3, '.').take(2).collect();
    format!("{PUBLISHED_IMAGE}:{}", minor.join("."))
}

/// The variables psc-mock reads besides `PSC_MOCK_<SECTION>__<KEY>`: its
/// flags' (`[env: PSC_MOCK_CONFIG=]` in `--help`).
fn flag_variables() -> Vec<String> {
    let help = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .expect("psc-mock --help");
    let help = String::from_utf8_lossy(&help.stdout);
    let names: Vec<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split_once('=').map(|(name, _)| name.to_owned()))
        .collect();
    assert!(names.contains(&"PSC_MOCK_CONFIG".to_owned()), "{help}");
    names
}

/// A `PSC_MOCK_…` variable that psc-mock would silently ignore is a mistake:
/// every one must be a setting (`__`, checked by the server at start) or a
/// flag's.
fn assert_known_variables(what: &str, env: &BTreeMap<String, String>) {
    let flags = flag_variables();
    for name in env.keys().filter(|k| k.starts_with("PSC_MOCK_")) {
        assert!(
            name.contains("__") || flags.contains(name),
            "{what}: {name} is neither PSC_MOCK_<SECTION>__<KEY> nor one of {flags:?}"
        );
    }
}

/// What a template says about its psc-mock service and its job.
struct Template {
    name: &'static str,
    /// The service's image.
    image: String,
    /// The server's variables: the service's, and for GitLab the job's too.
    service_env: BTreeMap<String, String>,
    /// Arguments after the entrypoint, if the template gives some.
    command: Option<Vec<String>>,
    /// The job's variables.
    job_env: BTreeMap<String, String>,
    /// The job's shell commands, in order.
    commands: Vec<String>,
    /// The name the job reaches the service by.
    host: String,
}

fn string_map(value: &Value, what: &str) -> BTreeMap<String, String> {
    if value.is_null() {
        return BTreeMap::new();
    }
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: a mapping, got {value}"))
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect()
}

fn gitlab_template() -> Template {
    let yaml = template("gitlab-ci.yml");
    let jobs: Vec<(&String, &Value)> = yaml
        .as_object()
        .expect("a mapping")
        .iter()
        .filter(|(_, job)| !job["services"].is_null())
        .collect();
    let [(_, job)] = jobs.as_slice() else {
        panic!("one job with services in the GitLab template");
    };
    let services = job["services"].as_array().expect("services: a list");
    let [service] = services.as_slice() else {
        panic!("one service in the GitLab template");
    };
    let host = service["alias"]
        .as_str()
        .expect("the service's alias")
        .to_owned();
    let job_env = string_map(&job["variables"], "variables");
    // GitLab passes the job's variables to its services as well.
    let mut service_env = job_env.clone();
    service_env.extend(string_map(&service["variables"], "services[0].variables"));
    let command = (!service["command"].is_null()).then(|| strings(&service["command"], "command"));
    let mut commands = Vec::new();
    for section in ["before_script", "script"] {
        if !job[section].is_null() {
            commands.extend(strings(&job[section], section));
        }
    }
    Template {
        name: "ci/templates/gitlab-ci.yml",
        image: service["name"]
            .as_str()
            .expect("the service's name")
            .to_owned(),
        service_env,
        command,
        job_env,
        commands,
        host,
    }
}

fn github_template() -> Template {
    let yaml = template("github-actions.yml");
    let jobs: Vec<&Value> = yaml["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .filter(|job| !job["services"]["psc-mock"].is_null())
        .collect();
    let [job] = jobs.as_slice() else {
        panic!("one job with a psc-mock service in the GitHub Actions template");
    };
    let service = &job["services"]["psc-mock"];
    assert_eq!(
        strings(&service["ports"], "ports"),
        [format!("{PORT}:{PORT}")]
    );
    // The image's own health check, not another command.
    let options = service["options"].as_str().unwrap_or_default();
    assert!(
        options.contains("--health-interval") && !options.contains("--health-cmd"),
        "the template tunes the image's health check: {options}"
    );
    let mut commands = Vec::new();
    for step in job["steps"].as_array().expect("steps") {
        if let Some(uses) = step["uses"].as_str() {
            assert!(uses.starts_with("actions/checkout@"), "step {uses}");
        } else {
            commands.push(step["run"].as_str().expect("a run step").to_owned());
        }
    }
    // A job on the runner reaches the published port at localhost; one in a
    // container of its own would reach the service by its name.
    let host = if job["container"].is_null() {
        "localhost"
    } else {
        "psc-mock"
    };
    Template {
        name: "ci/templates/github-actions.yml",
        image: service["image"]
            .as_str()
            .expect("the service's image")
            .to_owned(),
        service_env: string_map(&service["env"], "services.psc-mock.env"),
        command: None,
        job_env: string_map(&job["env"], "env"),
        commands,
        host: host.to_owned(),
    }
}

/// Runs one shell command of a template in `dir`, as the CI's shell would.
async fn sh(command: &str, dir: &Path, env: &BTreeMap<String, String>) -> std::process::Output {
    let run = Command::new("bash")
        .args(["-eo", "pipefail", "-c", command])
        .env_clear()
        .envs(env)
        .current_dir(dir)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .unwrap_or_else(|_| panic!("{command} ends within 60 s"))
        .unwrap_or_else(|e| panic!("{command}: {e}"))
}

async fn run_template(template: Template) {
    let name = template.name;
    assert_eq!(template.image, published_image(), "{name}: the image");
    assert_known_variables(name, &template.service_env);
    for (variable, _) in TEST_VARIABLES {
        assert!(
            template.job_env.contains_key(variable),
            "{name}: the job's variables name {variable} for the tests"
        );
    }
    // The service's public URL names the host the job reaches it by.
    let public_url = template
        .service_env
        .get("PSC_MOCK_SERVER__PUBLIC_URL")
        .unwrap_or_else(|| panic!("{name}: the service sets PSC_MOCK_SERVER__PUBLIC_URL"));
    assert_eq!(
        public_url,
        &format!("https://{}:{PORT}", template.host),
        "{name}: the public URL"
    );

    // The service, as the image runs it with the template's settings.
    let instructions = dockerfile();
    let runtime_stage = instructions.last().expect("instructions").stage.clone();
    let runtime = image(&instructions, &runtime_stage);
    let (_root, mut container) = Container::with_app(&runtime);
    let mut env = env_of(&runtime);
    env.extend(template.service_env.clone());
    let mut command = exec_form(
        "ENTRYPOINT",
        last(&runtime, "ENTRYPOINT").expect("ENTRYPOINT"),
    );
    match &template.command {
        Some(args) => command.extend(args.iter().cloned()),
        None => command.extend(exec_form("CMD", last(&runtime, "CMD").expect("CMD"))),
    }
    let workdir = container.host_path(&format!("{}/", last(&runtime, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&mut container, &command, &env, &workdir).await;

    // The issuer the template gives the tests is the server's.
    let issuer = container.map(&template.job_env["PSC_ISSUER"]);
    assert!(
        banner
            .iter()
            .any(|l| l.trim() == format!("issuer         {issuer}")),
        "{name}: PSC_ISSUER {issuer} is not the server's issuer: {banner:#?}"
    );

    // The job's checkout: the client files where the template says, and the
    // user's tests.
    let checkout = tempfile::tempdir().unwrap();
    for (variable, file) in [
        ("PSC_CA", "keys/ca.pem"),
        ("PSC_CLIENT_CERT", "keys/client.pem"),
        ("PSC_CLIENT_KEY", "keys/client.key"),
    ] {
        let target = checkout.path().join(&template.job_env[variable]);
        copy(&Path::new(REPO).join(file), &target);
    }
    let mut tests = String::from("#!/usr/bin/env bash\nset -euo pipefail\n");
    for (variable, client_variable) in TEST_VARIABLES {
        tests.push_str(&format!("export {client_variable}=\"${variable}\"\n"));
    }
    tests.push_str(&format!(
        "export LOGIN_HINT=\"${{LOGIN_HINT:-{LOGIN_HINT}}}\"\nexec ciba_client\n"
    ));
    let tests_path = checkout.path().join(YOUR_TESTS);
    std::fs::write(&tests_path, tests).unwrap();
    std::fs::set_permissions(
        &tests_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let port = &container.port;
    let curl_home = tempfile::tempdir().unwrap();
    std::fs::write(
        curl_home.path().join(".curlrc"),
        format!("resolve = \"{}:{port}:127.0.0.1\"\n", template.host),
    )
    .unwrap();
    let mut job_env: BTreeMap<String, String> = template
        .job_env
        .iter()
        .map(|(k, v)| (k.clone(), container.map(v)))
        .collect();
    job_env.insert("PATH".into(), search_path());
    job_env.insert("HOME".into(), curl_home.path().display().to_string());
    job_env.insert("CURL_HOME".into(), curl_home.path().display().to_string());
    job_env.insert("RESOLVE".into(), format!("{}:127.0.0.1", template.host));

    // The template's commands, as written (the port aside).
    assert!(
        template.commands.iter().any(|c| c == YOUR_TESTS),
        "{name}: a {YOUR_TESTS} line stands for the user's tests"
    );
    for line in &template.commands {
        let output = sh(&container.map(line), checkout.path(), &job_env).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{name}: `{line}` failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if line == YOUR_TESTS {
            assert!(
                stdout.contains("tokens issued")
                    && stdout.contains(&format!("\"SubjectNameID\": \"{LOGIN_HINT}\"")),
                "{name}: the tests' login: {stdout}"
            );
        }
    }

    // The scenario the template scripted is in force: its professional's
    // login is refused.
    let control = &job_env["PSC_CONTROL_URL"];
    let listed = sh(
        &format!("curl -fsS --cacert \"$PSC_CA\" {control}/scenarios"),
        checkout.path(),
        &job_env,
    )
    .await;
    assert!(listed.status.success(), "{name}: GET {control}/scenarios");
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("JSON scenarios");
    let scenarios = listed["scenarios"].as_array().expect("scenarios");
    let [scenario] = scenarios.as_slice() else {
        panic!("{name}: one scenario scripted: {listed}");
    };
    let refused = scenario["match"]["login_hint"]
        .as_str()
        .expect("the scenario's login_hint");
    let mut env = job_env.clone();
    env.insert("LOGIN_HINT".into(), refused.to_owned());
    let output = sh(YOUR_TESTS, checkout.path(), &env).await;
    assert!(
        !output.status.success()
            && String::from_utf8_lossy(&output.stderr).contains("access_denied"),
        "{name}: {refused}'s login is refused: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    assert!(child.try_wait().unwrap().is_none(), "the server still runs");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_gitlab_ci_template_works_against_the_image() {
    run_template(gitlab_template()).await;
}

#[tokio::test]
async fn the_github_actions_template_works_against_the_image() {
    run_template(github_template()).await;
}

/// The derived image of the templates (your files in /config): its base is
/// the published image, and the configuration its variable names is read.
#[tokio::test]
async fn the_templates_derived_image_reads_its_config_folder() {
    let path = Path::new(REPO).join("ci/templates/psc-mock.Dockerfile");
    let derived = instructions_of(
        &std::fs::read_to_string(&path).expect("the derived Dockerfile"),
        false,
    );
    let from = derived.iter().find(|i| i.keyword == "FROM").expect("FROM");
    assert_eq!(from.args, published_image());
    let instructions = dockerfile();
    let runtime_stage = instructions.last().expect("instructions").stage.clone();
    let mut layers = image(&instructions, &runtime_stage);
    layers.extend(derived.iter().filter(|i| i.keyword != "FROM"));

    let (_root, mut container) = Container::with_app(&image(&instructions, &runtime_stage));
    // The user's folder, the build context: here the compose file's files.
    let copy_args: Vec<&str> = derived
        .iter()
        .find(|i| i.keyword == "COPY")
        .expect("COPY")
        .args
        .split_whitespace()
        .collect();
    assert_eq!(
        copy_args,
        [".", "/config/"],
        "the whole context into /config"
    );
    container.put(
        &Path::new(REPO).join("config/container.toml"),
        "/config/psc-mock.toml",
    );
    container.put(&Path::new(REPO).join("keys"), "/config/keys");
    container.put(
        &Path::new(REPO).join("fixtures/annuaire.json"),
        "/config/annuaire.json",
    );

    let env = env_of(&layers);
    assert_known_variables("ci/templates/psc-mock.Dockerfile", &env);
    let config = env.get("PSC_MOCK_CONFIG").expect("PSC_MOCK_CONFIG");
    container.root_config_paths(config);
    let mut command = exec_form(
        "ENTRYPOINT",
        last(&layers, "ENTRYPOINT").expect("ENTRYPOINT"),
    );
    command.extend(exec_form("CMD", last(&layers, "CMD").expect("CMD")));
    let workdir = container.host_path(&format!("{}/", last(&layers, "WORKDIR").expect("WORKDIR")));
    let (mut child, banner) = start(&mut container, &command, &env, &workdir).await;
    // With a configured client CA, the banner names no bundled client files.
    assert!(
        !banner.iter().any(|l| l.trim().starts_with("CA ")),
        "the configuration was read: {banner:#?}"
    );
    child.kill().await.unwrap();
}

/// The README's first screen names the image line the templates use.
#[test]
fn the_readme_names_the_templates_image() {
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).expect("README.md");
    let first_screen = readme.split("\n## ").next().expect("the first screen");
    let line = format!("image: {}", published_image());
    assert!(
        first_screen.contains(&line),
        "the README's first screen says `{line}`"
    );
}
