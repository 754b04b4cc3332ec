//! Secrets at rest: what a tenant gives the server to act for it (a Twilio auth token, a
//! Deepgram API key) is stored sealed with AES-256-GCM under the server's secret key, never in
//! the clear, and the API never returns it.
//!
//! A sealed value is `v1.` and the base64url (no padding) of a fresh 96-bit nonce followed by the
//! ciphertext and its tag. Each value is sealed for its place (`context`, such as
//! `tenant:ten_…:twilio.auth_token`, as associated data): a sealed value copied to another
//! tenant or field does not open there.
//!
//! The key is 32 random bytes, given base64-encoded in `CALLFLOW_SECRET_KEY` or the
//! configuration file's `secret_key`; without one the server keeps its own in
//! `<data-dir>/secret.key` (created on first use, readable only by its user). Servers that
//! share a PostgreSQL database must share the key.

use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// The prefix of sealed values of this format.
const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 12;
/// The file in the data directory that keeps a generated key.
pub const KEY_FILE: &str = "secret.key";

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes in base64 (e.g. `openssl rand -base64 32`): {0}")]
    BadKey(String),
    #[error("the sealed value is not in a format this server writes")]
    Malformed,
    #[error(
        "the sealed value does not open with this server's key (another key, or another place)"
    )]
    WrongKey,
    #[error("the secret key file {path}: {detail}")]
    KeyFile { path: String, detail: String },
}

/// The server's key, found (or made) the first time a secret is sealed or opened: a server
/// that never handles a secret writes no key file (and needs no data directory).
pub struct ServerKey {
    configured: Option<String>,
    data_dir: std::path::PathBuf,
    key: std::sync::OnceLock<Result<SecretBox, SecretError>>,
}

impl ServerKey {
    /// A configured key is checked at once, so that a wrong one stops the server at start.
    pub fn new(
        configured: Option<String>,
        data_dir: std::path::PathBuf,
    ) -> Result<ServerKey, SecretError> {
        let key = std::sync::OnceLock::new();
        if let Some(configured) = configured.as_deref().filter(|key| !key.trim().is_empty()) {
            let _ = key.set(Ok(SecretBox::from_base64(configured)?));
        }
        Ok(ServerKey {
            configured,
            data_dir,
            key,
        })
    }

    /// Whether the key is there without making a place for it: configured, or in (or to be
    /// written to) an existing data directory. What may do without a secret asks this first, so
    /// that a server without a data directory does not make one for it.
    pub fn at_hand(&self) -> bool {
        self.key.get().is_some() || self.data_dir.is_dir()
    }

    pub fn get(&self) -> Result<&SecretBox, SecretError> {
        self.key
            .get_or_init(|| SecretBox::configured(self.configured.as_deref(), &self.data_dir))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Seals and opens secrets with the server's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// A box for a base64-encoded 32-byte key.
    pub fn from_base64(key: &str) -> Result<SecretBox, SecretError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|error| SecretError::BadKey(error.to_string()))?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey(format!("it has {} bytes", bytes.len())));
        }
        Ok(SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// A new random key, base64-encoded.
    pub fn generate_key() -> String {
        STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// The configured key if there is one, else the data directory's key file, created with a
    /// new key (mode 0600) when missing.
    pub fn configured(key: Option<&str>, data_dir: &Path) -> Result<SecretBox, SecretError> {
        if let Some(key) = key.filter(|key| !key.trim().is_empty()) {
            return SecretBox::from_base64(key);
        }
        let path = data_dir.join(KEY_FILE);
        let failed = |detail: String| SecretError::KeyFile {
            path: path.display().to_string(),
            detail,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => SecretBox::from_base64(&text).map_err(|error| failed(error.to_string())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(|error| failed(error.to_string()))?;
                let key = SecretBox::generate_key();
                write_private(&path, &key).map_err(|error| failed(error.to_string()))?;
                // Another server may have written its key first: use whatever is there.
                let text =
                    std::fs::read_to_string(&path).map_err(|error| failed(error.to_string()))?;
                SecretBox::from_base64(&text).map_err(|error| failed(error.to_string()))
            }
            Err(error) => Err(failed(error.to_string())),
        }
    }

    /// Seals `secret` for its place `context`.
    pub fn seal(&self, secret: &str, context: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let sealed = self.cipher.encrypt(
            &nonce,
            Payload {
                msg: secret.as_bytes(),
                aad: context.as_bytes(),
            },
        );
        // Encrypting into memory cannot fail for inputs this small; an empty result would not
        // open, so it is never mistaken for a secret.
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed.unwrap_or_default());
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SecretError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(SecretError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SecretError::Malformed)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SecretError::Malformed)
    }
}

/// Writes a file only its owner can read (created with that mode, never widened later).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => file.write_all(text.as_bytes()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_box() -> SecretBox {
        SecretBox::from_base64(&SecretBox::generate_key()).expect("a generated key")
    }

    #[test]
    fn secrets_open_where_they_were_sealed_and_nowhere_else() {
        let secrets = sample_box();
        let token = "auth-token-0123456789abcdef";
        let sealed = secrets.seal(token, "tenant:ten_a:twilio.auth_token");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains(token));
        assert_eq!(
            secrets.open(&sealed, "tenant:ten_a:twilio.auth_token"),
            Ok(token.to_owned())
        );
        // Another tenant, another field, another key: no.
        assert_eq!(
            secrets.open(&sealed, "tenant:ten_b:twilio.auth_token"),
            Err(SecretError::WrongKey)
        );
        assert_eq!(
            secrets.open(&sealed, "tenant:ten_a:deepgram.api_key"),
            Err(SecretError::WrongKey)
        );
        assert_eq!(
            sample_box().open(&sealed, "tenant:ten_a:twilio.auth_token"),
            Err(SecretError::WrongKey)
        );
        // Every sealing uses a fresh nonce.
        assert_ne!(
            sealed,
            secrets.seal(token, "tenant:ten_a:twilio.auth_token")
        );
    }

    #[test]
    fn tampered_or_foreign_values_are_refused() {
        let secrets = sample_box();
        let sealed = secrets.seal("密钥", "here");
        let mut bytes = URL_SAFE_NO_PAD
            .decode(sealed.trim_start_matches(VERSION))
            .expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(secrets.open(&tampered, "here"), Err(SecretError::WrongKey));
        for foreign in [
            "",
            "plain text",
            "v1.",
            "v1.!!!",
            "v2.AAAA",
            "v1.AAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                secrets.open(foreign, "here"),
                Err(SecretError::Malformed),
                "{foreign}"
            );
        }
        assert_eq!(secrets.open(&sealed, "here"), Ok("密钥".to_owned()));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretBox::from_base64(&STANDARD.encode([7u8; 32])).is_ok());
        for bad in ["", "not base64!", &STANDARD.encode([7u8; 16])] {
            assert!(
                matches!(SecretBox::from_base64(bad), Err(SecretError::BadKey(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_a_configured_key_the_server_keeps_its_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let first = SecretBox::configured(None, &data_dir).expect("creates a key");
        let sealed = first.seal("token", "place");
        // The next start finds the same key.
        let again = SecretBox::configured(Some("  "), &data_dir).expect("reads the key");
        assert_eq!(again.open(&sealed, "place"), Ok("token".to_owned()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data_dir.join(KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A configured key wins over the file.
        let configured = SecretBox::generate_key();
        let chosen = SecretBox::configured(Some(&configured), &data_dir).expect("configured");
        assert_eq!(chosen.open(&sealed, "place"), Err(SecretError::WrongKey));
        // A damaged key file is a clear error, not a new key.
        std::fs::write(data_dir.join(KEY_FILE), "garbage").expect("write");
        let error = SecretBox::configured(None, &data_dir).expect_err("refused");
        assert!(error.to_string().contains("secret.key"), "{error}");
    }

    #[test]
    fn the_server_key_is_made_only_when_first_needed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let key = ServerKey::new(None, data_dir.clone()).expect("no key to check");
        assert!(
            !data_dir.exists(),
            "nothing is written before a secret is sealed"
        );
        let sealed = key.get().expect("made").seal("token", "t/f");
        assert!(data_dir.join(KEY_FILE).exists());
        let again = ServerKey::new(None, data_dir).expect("found");
        assert_eq!(
            again.get().expect("read").open(&sealed, "t/f").as_deref(),
            Ok("token")
        );
        assert!(matches!(
            ServerKey::new(Some("not base64!".into()), dir.path().into()),
            Err(SecretError::BadKey(_))
        ));
    }
}
