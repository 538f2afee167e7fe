//! The test-only PKI: what is committed under `keys/`, how it is loaded, and
//! how it is regenerated (`psc-mock keys generate`).
//!
//! PSC requires a client certificate whose subject CN is the client_id
//! (docs/fidelity.md). psc-mock ships a CA, a server certificate, client
//! certificates for the default clients, a certificate of the same CN from
//! another CA (for negative tests) and the token signing key, all generated
//! here with rcgen. TLS keys are ECDSA P-256; the signing key is RSA-2048
//! because PSC signs RS256.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, RsaKeySize, SanType,
    date_time_ymd,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::PkiSettings;
use crate::keys::{KeyOrigin, KeySpec, Keys, SigningKey};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what}: {message}")]
    Pem { what: String, message: String },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The committed material, embedded so that the binary runs anywhere.
pub struct Embedded {
    pub ca_cert: &'static str,
    pub server_cert: &'static str,
    pub server_key: &'static str,
    pub client_cert: &'static str,
    pub client_key: &'static str,
    pub signing_key: &'static str,
}

pub const EMBEDDED: Embedded = Embedded {
    ca_cert: include_str!("../keys/ca.pem"),
    server_cert: include_str!("../keys/server.pem"),
    server_key: include_str!("../keys/server.key"),
    client_cert: include_str!("../keys/client.pem"),
    client_key: include_str!("../keys/client.key"),
    signing_key: include_str!("../keys/signing-key.pem"),
};

/// The names the server certificate is valid for: loopback and the service
/// name of the compose file.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "psc-mock"];

/// Everything the TLS listener and the token signer need, loaded.
pub struct Pki {
    pub server_chain: Vec<CertificateDer<'static>>,
    pub server_key: PrivateKeyDer<'static>,
    pub client_cas: Vec<CertificateDer<'static>>,
}

impl Pki {
    /// Loads the configured TLS files, or the embedded ones where none is
    /// set.
    pub fn load(settings: &PkiSettings) -> Result<Self, PkiError> {
        let server_cert = read_or(settings.server_cert.as_deref(), EMBEDDED.server_cert)?;
        let server_key = read_or(settings.server_key.as_deref(), EMBEDDED.server_key)?;
        let mut client_cas = Vec::new();
        if settings.client_ca.is_empty() {
            client_cas.extend(certs("embedded keys/ca.pem", EMBEDDED.ca_cert)?);
        }
        for path in &settings.client_ca {
            let text = read(path)?;
            client_cas.extend(certs(&path.display().to_string(), &text)?);
        }
        let server_chain = certs("server certificate", &server_cert)?;
        let server_key =
            PrivateKeyDer::from_pem_slice(server_key.as_bytes()).map_err(|e| PkiError::Pem {
                what: "server key".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            server_chain,
            server_key,
            client_cas,
        })
    }
}

/// The token signing keys: the active key (the configured file, the
/// committed one, or a fresh one with `ephemeral_keys`) and the passive
/// keys; `realm` names their self-signed certificates.
pub fn signing_keys(settings: &PkiSettings, realm: &str) -> Result<Keys, PkiError> {
    let kid = Some(settings.signing_kid.as_str()).filter(|k| !k.is_empty());
    let active = if settings.ephemeral_keys {
        let spec = KeySpec {
            kid,
            chain_pem: None,
            realm,
            origin: KeyOrigin::Generated,
        };
        SigningKey::generate(spec).map_err(|e| key_error("generated signing key", e))?
    } else {
        let path = settings.signing_key.as_deref();
        let pem = read_or(path, EMBEDDED.signing_key)?;
        let chain = settings.signing_cert.as_deref().map(read).transpose()?;
        let (what, origin) = match path {
            Some(p) => (p.display().to_string(), KeyOrigin::File),
            None => ("embedded keys/signing-key.pem".into(), KeyOrigin::Embedded),
        };
        let spec = KeySpec {
            kid,
            chain_pem: chain.as_deref(),
            realm,
            origin,
        };
        SigningKey::load(&pem, spec).map_err(|e| key_error(&what, e))?
    };
    let mut passive = Vec::new();
    for key in &settings.passive_keys {
        let pem = read(&key.file)?;
        let chain = key.cert.as_deref().map(read).transpose()?;
        let spec = KeySpec {
            kid: Some(key.kid.as_str()).filter(|k| !k.is_empty()),
            chain_pem: chain.as_deref(),
            realm,
            origin: KeyOrigin::File,
        };
        let what = key.file.display().to_string();
        passive.push(SigningKey::load(&pem, spec).map_err(|e| key_error(&what, e))?);
    }
    Keys::new(active, passive).map_err(|e| PkiError::Pem {
        what: "pki.passive_keys".into(),
        message: e.to_string(),
    })
}

fn key_error(what: &str, error: crate::keys::KeyError) -> PkiError {
    PkiError::Pem {
        what: what.into(),
        message: error.to_string(),
    }
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_or(path: Option<&Path>, embedded: &str) -> Result<String, PkiError> {
    path.map_or_else(|| Ok(embedded.to_owned()), read)
}

/// The certificates of a PEM text, at least one; errors name `what`.
pub fn certs(what: &str, pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let list = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Pem {
            what: what.into(),
            message: e.to_string(),
        })?;
    if list.is_empty() {
        return Err(PkiError::Pem {
            what: what.into(),
            message: "no certificate found".into(),
        });
    }
    Ok(list)
}

/// Writes the embedded client files (CA, client certificate and key) into a
/// new private folder under `parent` (the system's temp folder) and returns
/// their paths, for a binary run away from the repository.
///
/// `parent` is shared with every user of the machine: the folder has an
/// unpredictable name and mode 0700, and each file is created new
/// (`create_new` refuses any existing path, a planted symlink included), so
/// that no one can redirect the writes or read the key (docs/configuration.md,
/// "The test PKI").
pub fn export_client_files(parent: &Path) -> Result<[PathBuf; 3], PkiError> {
    let dir = private_dir(parent)?;
    let files = [
        ("ca.pem", EMBEDDED.ca_cert),
        ("client.pem", EMBEDDED.client_cert),
        ("client.key", EMBEDDED.client_key),
    ];
    let mut paths = files.map(|(name, _)| dir.join(name));
    for ((_, text), path) in files.iter().zip(&paths) {
        write_new(path, text)?;
    }
    for path in &mut paths {
        *path = std::path::absolute(&*path).unwrap_or_else(|_| path.clone());
    }
    Ok(paths)
}

/// A new folder `psc-mock-keys-<random>` in `parent`, only its owner's
/// (0700). `create`, not `create_all`: an existing path, a symlink
/// included, is an error rather than followed. The name comes from the
/// system's generator through a UUID, as the refresh-token key's: start-up
/// does not set up aws-lc's (ARCHITECTURE.md, cross-cutting concerns).
fn private_dir(parent: &Path) -> Result<PathBuf, PkiError> {
    let dir = parent.join(format!("psc-mock-keys-{}", uuid::Uuid::new_v4().simple()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|source| PkiError::Write {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// Creates `path`, which must not exist (not even as a symlink), readable by
/// its owner only, and writes `text` into it.
fn write_new(path: &Path, text: &str) -> Result<(), PkiError> {
    use std::io::Write;
    let error = |source| PkiError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(error)?;
    file.write_all(text.as_bytes()).map_err(error)
}

fn write(path: &Path, text: &str) -> Result<(), PkiError> {
    std::fs::write(path, text).map_err(|source| PkiError::Write {
        path: path.to_owned(),
        source,
    })
}

/// One generated file: its name under the output folder and its PEM text.
pub struct GeneratedFile {
    pub name: &'static str,
    pub pem: String,
}

/// Generates a whole test PKI: the files committed under `keys/`.
pub fn generate(client_ids: [&str; 2]) -> Result<Vec<GeneratedFile>, PkiError> {
    let mut files = Vec::new();
    let mut push = |name, pem| files.push(GeneratedFile { name, pem });

    let ca = make_ca("psc-mock TEST ONLY client and server CA")?;
    push("ca.pem", ca.pem());
    let other_ca = make_ca("psc-mock TEST ONLY other CA (not trusted)")?;
    push("other-ca.pem", other_ca.pem());

    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut server = leaf(
        "psc-mock server (TEST ONLY)",
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    server.subject_alt_names = SERVER_NAMES
        .iter()
        .map(|n| Ok(SanType::DnsName((*n).try_into()?)))
        .collect::<Result<Vec<_>, rcgen::Error>>()?;
    server.subject_alt_names.extend([
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]);
    push("server.pem", server.signed_by(&server_key, &ca)?.pem());
    push("server.key", server_key.serialize_pem());

    let names = ["client", "client-2"];
    for (file, client_id) in names.into_iter().zip(client_ids) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = leaf(client_id, ExtendedKeyUsagePurpose::ClientAuth)?.signed_by(&key, &ca)?;
        let (cert_name, key_name) = match file {
            "client" => ("client.pem", "client.key"),
            _ => ("client-2.pem", "client-2.key"),
        };
        push(cert_name, cert.pem());
        push(key_name, key.serialize_pem());
    }

    // Same CN as the default client, but from a CA the server does not trust.
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let cert =
        leaf(client_ids[0], ExtendedKeyUsagePurpose::ClientAuth)?.signed_by(&key, &other_ca)?;
    push("untrusted-client.pem", cert.pem());
    push("untrusted-client.key", key.serialize_pem());

    let signing = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?;
    push("signing-key.pem", signing.serialize_pem());
    Ok(files)
}

/// Writes [`generate`]'s files into `dir`.
pub fn write_generated(dir: &Path, files: &[GeneratedFile]) -> Result<(), PkiError> {
    std::fs::create_dir_all(dir).map_err(|source| PkiError::Write {
        path: dir.to_owned(),
        source,
    })?;
    for file in files {
        write(&dir.join(file.name), &file.pem)?;
    }
    Ok(())
}

fn make_ca(common_name: &str) -> Result<CertifiedIssuer<'static, KeyPair>, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "psc-mock");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params);
    CertifiedIssuer::self_signed(params, KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?)
}

fn leaf(
    common_name: &str,
    usage: ExtendedKeyUsagePurpose,
) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "psc-mock TEST ONLY");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    Ok(params)
}

/// Test material lives long so that a checkout keeps working for years.
fn validity(params: &mut CertificateParams) {
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2050, 1, 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: the client files once went to `<temp>/psc-mock-keys/`, a
    /// stable name anyone sharing the temp folder could plant symlinks at.
    #[cfg(unix)]
    #[test]
    fn client_files_go_to_a_new_private_folder_and_follow_no_planted_symlink() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let temp = tempfile::tempdir().unwrap();
        let victim = temp.path().join("victim.txt");
        std::fs::write(&victim, "the test's own file").unwrap();
        // Where the old code wrote: a folder of someone else's, each file a
        // symlink to the victim.
        let planted = temp.path().join("psc-mock-keys");
        std::fs::create_dir(&planted).unwrap();
        for name in ["ca.pem", "client.pem", "client.key"] {
            symlink(&victim, planted.join(name)).unwrap();
        }

        let paths = export_client_files(temp.path()).expect("written elsewhere");

        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "the test's own file"
        );
        let dir = paths[0].parent().unwrap();
        assert_ne!(dir, planted);
        assert!(dir.starts_with(std::path::absolute(temp.path()).unwrap()));
        let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir), 0o700, "a private folder");
        assert_eq!(mode(&paths[2]), 0o600, "the key readable by its owner only");
        let texts = [EMBEDDED.ca_cert, EMBEDDED.client_cert, EMBEDDED.client_key];
        for (path, text) in paths.iter().zip(texts) {
            assert!(std::fs::symlink_metadata(path).unwrap().is_file());
            assert_eq!(std::fs::read_to_string(path).unwrap(), text);
        }
        // Each run has a folder of its own.
        let again = export_client_files(temp.path()).unwrap();
        assert_ne!(again[0].parent(), paths[0].parent());
    }

    #[test]
    fn embedded_material_loads() {
        let pki = Pki::load(&PkiSettings::default()).expect("embedded PKI loads");
        assert_eq!(pki.server_chain.len(), 1);
        assert_eq!(pki.client_cas.len(), 1);
    }

    #[test]
    fn generation_produces_every_file() {
        let files = generate(["a", "b"]).expect("generates");
        let names: Vec<_> = files.iter().map(|f| f.name).collect();
        for expected in [
            "ca.pem",
            "server.pem",
            "client.pem",
            "client-2.key",
            "signing-key.pem",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
    }
}
