//! The README's curl walkthrough, run as written against a live server.

use std::time::SystemTime;

use psc_mock::Application;
use psc_mock::clock::Clock;
use psc_mock::config::Settings;

const README: &str = include_str!("../../README.md");

fn walkthrough() -> String {
    let start = README
        .find("<!-- walkthrough -->")
        .expect("walkthrough start marker");
    let end = README
        .find("<!-- /walkthrough -->")
        .expect("walkthrough end marker");
    let block = &README[start..end];
    let code_start = block.find("```sh\n").expect("a sh code block") + "```sh\n".len();
    let code_end = block[code_start..].find("```").expect("end of code block") + code_start;
    block[code_start..code_end].to_owned()
}

#[tokio::test]
async fn the_readme_curl_walkthrough_works_as_written() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("curl is needed to run the README walkthrough");
    }
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.workers = 1;
    // A fixed clock: the script polls once, right after approving.
    let app = Application::build_with(settings, Clock::fixed(SystemTime::now()), false).unwrap();
    let base = format!("https://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());

    let script = walkthrough();
    assert!(
        script.contains("PSC=https://127.0.0.1:8443"),
        "the walkthrough names the default URL once"
    );
    let script = script.replace("https://127.0.0.1:8443", &base);
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.contains("\"status\":\"approved\""), "{stdout}");
    assert!(
        stdout.contains("\"SubjectNameID\":\"899700245667\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"SubjectRefPro\""), "{stdout}");
    handle.stop(false).await;
}
