//! What serde cannot check: values that must agree, and bounds. Each
//! refusal names the key.

use super::{ConfigError, DAY_S, MAX_JOURNAL, Settings, YEAR_S};

type Checked = Result<(), ConfigError>;

/// A refusal; its text names the key.
fn refuse(message: impl Into<String>) -> Checked {
    Err(ConfigError::Invalid(message.into()))
}

/// The longest request target actix-http parses (the `http` crate's limit).
const MAX_URI_BYTES: u64 = 65_534;
/// The header block actix-http reads whole: its 128 KiB buffer for the
/// request head, less room for the longest request line.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

impl Settings {
    /// Checks what serde cannot: consistent values.
    pub fn validate(&self) -> Result<(), ConfigError> {
        [
            self.check_clients(),
            self.check_lifetimes(),
            self.check_server(),
            self.check_pki(),
            self.check_ciba(),
            self.check_control(),
        ]
        .into_iter()
        .collect()
    }

    fn check_clients(&self) -> Checked {
        if self.clients.is_empty() {
            return refuse("no client is configured ([[clients]])");
        }
        let mut seen = std::collections::HashSet::new();
        for client in &self.clients {
            let id = &client.client_id;
            if id.is_empty() {
                return refuse("a client has an empty client_id");
            }
            if !seen.insert(id.as_str()) {
                return refuse(format!("client_id {id:?} is configured twice"));
            }
            for (key, value) in [
                ("access_token_ttl_s", client.access_token_ttl_s),
                ("id_token_ttl_s", client.id_token_ttl_s),
                ("refresh_token_ttl_s", client.refresh_token_ttl_s),
            ] {
                if let Some(value) = value {
                    within(&format!("client {id:?}: {key}"), value, 1, YEAR_S)?;
                }
            }
            if let Some(value) = client.ciba_expires_in_s {
                within(
                    &format!("client {id:?}: ciba_expires_in_s"),
                    value,
                    1,
                    DAY_S,
                )?;
            }
            if let Some(value) = client.ciba_interval_s {
                within(&format!("client {id:?}: ciba_interval_s"), value, 0, DAY_S)?;
            }
        }
        Ok(())
    }

    fn check_lifetimes(&self) -> Checked {
        let t = &self.tokens;
        for (key, value) in [
            ("tokens.access_token_ttl_s", t.access_token_ttl_s),
            ("tokens.id_token_ttl_s", t.id_token_ttl_s),
            ("tokens.refresh_token_ttl_s", t.refresh_token_ttl_s),
            ("tokens.session_max_s", t.session_max_s),
            ("tokens.session_idle_s", t.session_idle_s),
        ] {
            within(key, value, 1, YEAR_S)?;
        }
        if t.max_sessions == 0 {
            return refuse("tokens.max_sessions must be at least 1");
        }
        if t.max_pending_logins == 0 {
            return refuse("tokens.max_pending_logins must be at least 1");
        }
        let c = &self.ciba;
        within("ciba.expires_in_s", c.expires_in_s, 1, DAY_S)?;
        within("ciba.interval_s", c.interval_s, 0, DAY_S)?;
        within(
            "ciba.max_requested_expiry_s",
            c.max_requested_expiry_s,
            0,
            DAY_S,
        )?;
        Ok(())
    }

    fn check_server(&self) -> Checked {
        let s = &self.server;
        if !s.tls && s.client_cert_header.contains(char::is_whitespace) {
            return refuse("server.client_cert_header must be a header name");
        }
        if s.tls && !s.client_cert_header.is_empty() {
            return refuse(
                "server.client_cert_header is only read with server.tls = false (behind a proxy)",
            );
        }
        http_url("server.public_url", &s.public_url)?;
        http_url("server.wallet_url", &s.wallet_url)?;
        if s.issuer_from_request && s.backchannel_from_request {
            return refuse(
                "server.issuer_from_request and server.backchannel_from_request exclude each other: the first takes every URL from the request, the second only the backchannel ones",
            );
        }
        if !s.wallet_url.is_empty() && !s.psc_layout {
            return refuse("server.wallet_url is only used with server.psc_layout = true");
        }
        within(
            "server.tls_handshake_timeout_ms",
            s.tls_handshake_timeout_ms,
            100,
            60_000,
        )?;
        within(
            "server.request_timeout_ms",
            s.request_timeout_ms,
            100,
            600_000,
        )?;
        within("server.body_timeout_ms", s.body_timeout_ms, 100, 600_000)?;
        let max_handshakes = u64::try_from(s.max_tls_handshakes).unwrap_or(u64::MAX);
        within("server.max_tls_handshakes", max_handshakes, 1, 1_000_000)?;
        // Above these, actix-http's own parser refuses first, with an empty
        // answer (docs/configuration.md, "Limits and timeouts").
        let uri = u64::try_from(s.max_uri_bytes).unwrap_or(u64::MAX);
        within("server.max_uri_bytes", uri, 256, MAX_URI_BYTES)?;
        let headers = u64::try_from(s.max_header_bytes).unwrap_or(u64::MAX);
        within("server.max_header_bytes", headers, 1_024, MAX_HEADER_BYTES)?;
        if s.realm.is_empty()
            || !s
                .realm
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return refuse(format!(
                "server.realm {:?} must be letters, digits, '-', '_' or '.'",
                s.realm
            ));
        }
        Ok(())
    }

    fn check_pki(&self) -> Checked {
        let p = &self.pki;
        if p.ephemeral_keys && p.signing_key.is_some() {
            return refuse(
                "pki.ephemeral_keys generates the active key: leave pki.signing_key unset (or turn ephemeral_keys off)",
            );
        }
        if !p.signing_kid.is_empty() {
            crate::keys::check_kid(&p.signing_kid)
                .map_err(|e| ConfigError::Invalid(format!("pki.signing_kid: {e}")))?;
        }
        if p.signing_cert.is_some() && p.signing_key.is_none() {
            return refuse(
                "pki.signing_cert is the certificate of pki.signing_key, which is unset",
            );
        }
        for (i, key) in p.passive_keys.iter().enumerate() {
            if !key.kid.is_empty() {
                crate::keys::check_kid(&key.kid)
                    .map_err(|e| ConfigError::Invalid(format!("pki.passive_keys[{i}].kid: {e}")))?;
            }
        }
        if p.passive_keys.len() >= crate::keys::MAX_KEYS {
            return refuse(format!(
                "pki.passive_keys: at most {} keys",
                crate::keys::MAX_KEYS - 1
            ));
        }
        Ok(())
    }

    fn check_ciba(&self) -> Checked {
        if self.ciba.max_requests == 0 {
            return refuse("ciba.max_requests must be at least 1");
        }
        let most = crate::annuaire::MAX_PROFESSIONALS;
        if self.annuaire.generated > most {
            return refuse(format!(
                "annuaire.generated = {} is more than the annuaire holds ({most})",
                self.annuaire.generated
            ));
        }
        http_url(
            "ciba.authentication_channel_uri",
            &self.ciba.authentication_channel_uri,
        )
    }

    fn check_control(&self) -> Checked {
        let c = &self.control;
        if c.journal_capacity > MAX_JOURNAL {
            return refuse(format!(
                "control.journal_capacity = {} is more than {MAX_JOURNAL}",
                c.journal_capacity
            ));
        }
        if c.token.chars().any(|c| !c.is_ascii_graphic()) {
            return refuse("control.token must be printable ASCII without spaces");
        }
        for host in &c.allowed_hosts {
            let name_ok = host == "*"
                || host.parse::<std::net::IpAddr>().is_ok()
                || (!host.is_empty()
                    && !host.starts_with(['-', '.'])
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
            if !name_ok {
                return refuse(format!(
                    "control.allowed_hosts: {host:?} is not a host name or IP address (no scheme, no port), nor \"*\""
                ));
            }
        }
        Ok(())
    }
}

/// `value` is from `min` to `max`.
fn within(key: &str, value: u64, min: u64, max: u64) -> Checked {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    let what = match (min, max) {
        (_, YEAR_S) => format!("from {min} to a year ({YEAR_S})"),
        (_, DAY_S) => format!("from {min} to a day ({DAY_S})"),
        _ => format!("from {min} to {max}"),
    };
    refuse(format!("{key} = {value} must be {what}"))
}

/// Empty, or an `http(s)://` URL.
fn http_url(key: &str, url: &str) -> Checked {
    if url.is_empty() || url.starts_with("https://") || url.starts_with("http://") {
        return Ok(());
    }
    refuse(format!("{key} {url:?} must start with https:// or http://"))
}
