//! The start-up banner: what to connect with.

use std::path::PathBuf;

use crate::ciba::Action;
use crate::pki;
use crate::startup::Application;

pub fn print(app: &Application) {
    let settings = app.settings();
    let issuer = app.issuer();
    let base = settings.base_url();
    let client = &settings.clients[0];
    println!(
        "psc-mock {} (a mock of Pro Santé Connect; TEST ONLY)",
        env!("CARGO_PKG_VERSION")
    );
    let server = &settings.server;
    if server.issuer_from_request {
        println!(
            "  issuer         {issuer}, or under the name each request uses (Host, X-Forwarded-*)"
        );
    } else {
        println!("  issuer         {issuer}");
    }
    println!("  discovery      {issuer}/.well-known/openid-configuration");
    if server.psc_layout {
        let wallet = if server.wallet_url.is_empty() {
            base.as_str()
        } else {
            server.wallet_url.trim_end_matches('/')
        };
        println!("  login page     {wallet}/auth (PSC layout)");
    }
    let active = app.state().tokens.keys.active();
    let origin = match active.origin() {
        crate::keys::KeyOrigin::Embedded => "the committed test key",
        crate::keys::KeyOrigin::Generated => "generated at start",
        crate::keys::KeyOrigin::File | crate::keys::KeyOrigin::Imported => "from pki.signing_key",
    };
    let published = app.state().tokens.keys.count();
    let others = match published {
        1 => String::new(),
        n => format!(", {} passive", n - 1),
    };
    println!("  signing key    kid {} ({origin}{others})", active.kid());
    let generated = &settings.annuaire;
    let extra = match generated.generated {
        0 => String::new(),
        n => format!(" ({n} generated, seed {})", generated.seed),
    };
    println!("  professionals  {}{extra}", app.professionals());
    println!("  client_id      {}", client.client_id);
    println!("  client_secret  {}", client.client_secret);
    if settings.server.tls && settings.pki.client_ca.is_empty() {
        match client_files() {
            Ok([ca, cert, key]) => {
                println!("  CA             {}", ca.display());
                println!("  client cert    {}", cert.display());
                println!("  client key     {}", key.display());
            }
            Err(e) => println!("  (client files could not be written: {e})"),
        }
    }
    let approval = match (settings.ciba.default_action, settings.ciba.default_after_ms) {
        (Action::Never, _) => {
            "pending until approved on the simulator page or the control API".to_owned()
        }
        (action, ms) => format!("{action:?} after {ms} ms").to_lowercase(),
    };
    println!("  CIBA default   {approval}");
    if let Some(channel) = &app.state().channel {
        println!(
            "  auth channel   {} (Keycloak's HTTP authentication channel)",
            channel.uri()
        );
    }
    let control = app.control_url();
    let protected = if settings.control.token.is_empty() {
        "open"
    } else {
        "bearer token required"
    };
    println!("  control API    {control} ({protected})");
    println!("  e-CPS page     {control}/ui");
    if let Some(warning) = open_to_the_network(settings) {
        println!("  WARNING        {warning}");
    }
    println!("ready: listening on {base}");
}

/// A warning when the control plane listens beyond loopback without a
/// token: whoever reaches the port can approve, reset or read the journal
/// (docs/control.md, "Cross-site protection").
fn open_to_the_network(settings: &crate::config::Settings) -> Option<String> {
    let addr = settings.control.bind.unwrap_or(settings.server.bind);
    (settings.control.token.is_empty() && !addr.ip().is_loopback()).then(|| {
        format!(
            "the control API listens on {addr} without a control token: anyone who reaches it can approve, deny, reset and read the journal; set --control-token (control.token), or --control-bind 127.0.0.1:<port>"
        )
    })
}

/// Paths of the CA, client certificate and key: the repository's `keys/` when
/// run from a checkout, else copies of the embedded ones in a new private
/// folder of the temp folder (`pki::export_client_files`).
fn client_files() -> Result<[PathBuf; 3], pki::PkiError> {
    let local = [
        PathBuf::from("keys/ca.pem"),
        PathBuf::from("keys/client.pem"),
        PathBuf::from("keys/client.key"),
    ];
    let embedded = [
        pki::EMBEDDED.ca_cert,
        pki::EMBEDDED.client_cert,
        pki::EMBEDDED.client_key,
    ];
    let same = local
        .iter()
        .zip(embedded)
        .all(|(path, text)| std::fs::read_to_string(path).is_ok_and(|t| t == text));
    if same {
        return Ok(local);
    }
    pki::export_client_files(&std::env::temp_dir())
}
