//! Finds the outside tools some integration tests drive (a browser, Apache
//! with mod_auth_openidc, Node.js, Python) and sets one `cfg` per tool
//! found. A test whose tool is missing is marked ignored, with the tool
//! named, so that `cargo test` counts it in its closing line instead of
//! passing it. CI sets `PSC_MOCK_REQUIRE_INTEROP=1` (and
//! `PSC_MOCK_REQUIRE_BROWSER=1`): a missing tool then fails the build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One tool: its `cfg` name, what finds it, and what to install.
struct Tool {
    cfg: &'static str,
    found: fn() -> bool,
    install: &'static str,
    required_by: &'static str,
}

const TOOLS: [Tool; 4] = [
    Tool {
        cfg: "psc_mock_has_chromedriver",
        found: has_chromedriver,
        install: "chromium and chromium-driver (Debian)",
        required_by: "PSC_MOCK_REQUIRE_BROWSER",
    },
    Tool {
        cfg: "psc_mock_has_apache",
        found: has_apache,
        install: "apache2 and libapache2-mod-auth-openidc (Debian)",
        required_by: "PSC_MOCK_REQUIRE_INTEROP",
    },
    Tool {
        cfg: "psc_mock_has_node",
        found: has_node,
        install: "Node.js 20 or later with npm",
        required_by: "PSC_MOCK_REQUIRE_INTEROP",
    },
    Tool {
        cfg: "psc_mock_has_python",
        found: has_python,
        install: "python3 with its venv module",
        required_by: "PSC_MOCK_REQUIRE_INTEROP",
    },
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    for tool in &TOOLS {
        println!("cargo::rerun-if-env-changed={}", tool.required_by);
        println!("cargo::rustc-check-cfg=cfg({})", tool.cfg);
    }
    // Installing a tool changes a directory of the PATH: look again then.
    for dir in path_dirs() {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    println!("cargo::rerun-if-changed={APACHE_MODULES}");

    let mut missing = Vec::new();
    for tool in &TOOLS {
        if (tool.found)() {
            println!("cargo::rustc-cfg={}", tool.cfg);
        } else if env::var_os(tool.required_by).is_some_and(|v| v != "0") {
            missing.push(format!(
                "{} is set but {} is missing",
                tool.required_by, tool.install
            ));
        }
    }
    if !missing.is_empty() {
        #[allow(clippy::panic, reason = "a build script fails by panicking")]
        {
            panic!("{}", missing.join("; "));
        }
    }
}

const APACHE_MODULES: &str = "/usr/lib/apache2/modules";

fn path_dirs() -> Vec<PathBuf> {
    env::var_os("PATH")
        .map(|path| env::split_paths(&path).filter(|d| d.is_dir()).collect())
        .unwrap_or_default()
}

fn on_path(name: &str) -> Option<PathBuf> {
    path_dirs()
        .into_iter()
        .map(|dir| dir.join(name))
        .find(|file| file.is_file())
}

/// Whether `program args…` runs and succeeds.
fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

fn has_chromedriver() -> bool {
    on_path("chromedriver").is_some()
}

fn has_apache() -> bool {
    let apache = on_path("apache2").or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/apache2");
        sbin.is_file().then_some(sbin)
    });
    apache.is_some()
        && Path::new(APACHE_MODULES)
            .join("mod_auth_openidc.so")
            .is_file()
}

fn has_node() -> bool {
    let Some(node) = on_path("node") else {
        return false;
    };
    let major = Command::new(&node)
        .args(["-p", "process.versions.node.split('.')[0]"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    major.is_some_and(|m| m >= 20) && on_path("npm").is_some()
}

fn has_python() -> bool {
    on_path("python3").is_some_and(|python| runs(&python, &["-c", "import venv, ensurepip"]))
}
