//! Identified visitors: a shop's page may tell the widget which of its customers is signed in,
//! so that the customer lookup can find them (`{{customer}}`). A page is anyone's to edit, so
//! the id counts only with the shop server's signature: the hex HMAC-SHA256 of the id under the
//! channel's identity secret, which only the shop's server and ours know (as Intercom's
//! `user_hash`). Without a valid signature nobody is taken for a customer.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::{SecretBox, SecretError};

type HmacSha256 = Hmac<Sha256>;

/// The longest customer id a page may give: ids are a shop's keys, not texts.
pub const MAX_CUSTOMER_CHARS: usize = 128;
const SECRET_PREFIX: &str = "cfi_";

/// A channel's identity secret in the clear: shown to its owner when it is made, then only
/// kept sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentitySecret(String);

impl std::fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentitySecret(…)")
    }
}

impl IdentitySecret {
    /// A new secret of 32 random bytes; `None` when the system's random generator fails.
    pub fn new() -> Option<IdentitySecret> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
        Some(IdentitySecret(format!(
            "{SECRET_PREFIX}{}",
            hex::encode(bytes)
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The secret sealed for channel `channel_id` of `tenant_id`, to store.
    pub fn seal(&self, secrets: &SecretBox, tenant_id: &str, channel_id: &str) -> String {
        secrets.seal(&self.0, &context(tenant_id, channel_id))
    }

    /// A stored secret, opened; it opens only for the channel it was sealed for.
    pub fn open(
        secrets: &SecretBox,
        sealed: &str,
        tenant_id: &str,
        channel_id: &str,
    ) -> Result<IdentitySecret, SecretError> {
        secrets
            .open(sealed, &context(tenant_id, channel_id))
            .map(IdentitySecret)
    }

    fn mac(&self, customer: &str) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.0.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(customer.as_bytes());
        mac
    }

    /// The signature the shop's server computes for `customer`: lower-case hex.
    pub fn sign(&self, customer: &str) -> String {
        hex::encode(self.mac(customer).finalize().into_bytes())
    }

    /// Whether `signature` (hex, either case) is this secret's for `customer`, compared in
    /// constant time so that timing tells a forger nothing about the right one.
    pub fn verifies(&self, customer: &str, signature: &str) -> bool {
        hex::decode(signature.trim())
            .is_ok_and(|bytes| self.mac(customer).verify_slice(&bytes).is_ok())
    }
}

fn context(tenant_id: &str, channel_id: &str) -> String {
    format!("widget-channel/{tenant_id}/{channel_id}/identity-secret")
}

/// Why a page's claim of a customer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// An id without a signature: refused rather than ignored, so that a page that forgot
    /// the signature finds out at once instead of chatting anonymously unawares.
    #[error("the customer id has no signature")]
    SignatureRequired,
    /// A signature without an id, or an id that is empty, too long or has control characters.
    #[error("the customer id is missing or not an id")]
    InvalidCustomer,
    /// The signature is not the channel's secret's for this id.
    #[error("the customer's signature is wrong")]
    InvalidSignature,
    /// The channel has no identity secret yet (made before identities): nothing can be signed.
    #[error("the widget channel has no identity secret")]
    NotConfigured,
}

/// What a page says about its signed-in customer, as the widget sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    pub customer: Option<String>,
    pub signature: Option<String>,
}

/// The customer id a claim proves, `None` for an anonymous visitor (no claim). `secret` is
/// the channel's, `None` when it has none.
pub fn verify(
    claim: &Claim,
    secret: Option<&IdentitySecret>,
) -> Result<Option<String>, IdentityError> {
    let customer = claim.customer.as_deref().map(str::trim);
    let signature = claim
        .signature
        .as_deref()
        .map(str::trim)
        .filter(|signature| !signature.is_empty());
    let customer = match (customer, signature) {
        (None, None) => return Ok(None),
        (Some(customer), _) if !is_customer_id(customer) => {
            return Err(IdentityError::InvalidCustomer)
        }
        (None, Some(_)) => return Err(IdentityError::InvalidCustomer),
        (Some(_), None) => return Err(IdentityError::SignatureRequired),
        (Some(customer), Some(_)) => customer,
    };
    let secret = secret.ok_or(IdentityError::NotConfigured)?;
    match signature {
        Some(signature) if secret.verifies(customer, signature) => Ok(Some(customer.to_owned())),
        _ => Err(IdentityError::InvalidSignature),
    }
}

fn is_customer_id(text: &str) -> bool {
    let chars = text.chars().count();
    (1..=MAX_CUSTOMER_CHARS).contains(&chars) && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(customer: Option<&str>, signature: Option<&str>) -> Claim {
        Claim {
            customer: customer.map(str::to_owned),
            signature: signature.map(str::to_owned),
        }
    }

    /// The signature a shop computes with any HMAC library: RFC 4231's first test case's key
    /// and data give its published digest, so ours is the standard HMAC-SHA256.
    #[test]
    fn signatures_are_standard_hmac_sha256_in_hex() {
        let secret = IdentitySecret(String::from_utf8(vec![0x0b; 20]).expect("ascii"));
        assert_eq!(
            secret.sign("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn the_right_signature_proves_the_customer() {
        let secret = IdentitySecret::new().expect("random");
        let signature = secret.sign("C1001");
        assert_eq!(
            verify(&claim(Some("C1001"), Some(&signature)), Some(&secret)),
            Ok(Some("C1001".to_owned()))
        );
        let upper = signature.to_uppercase();
        assert_eq!(
            verify(&claim(Some("C1001"), Some(&upper)), Some(&secret)),
            Ok(Some("C1001".to_owned()))
        );
        assert_eq!(verify(&claim(None, None), Some(&secret)), Ok(None));
    }

    #[test]
    fn a_wrong_signature_proves_nobody() {
        let secret = IdentitySecret::new().expect("random");
        let for_another = secret.sign("C1002");
        let cases = [
            claim(Some("C1001"), Some(&for_another)),
            claim(Some("C1001"), Some("not hex")),
            claim(Some("C1001"), Some(&for_another[..32])),
        ];
        for case in cases {
            assert_eq!(
                verify(&case, Some(&secret)),
                Err(IdentityError::InvalidSignature),
                "{case:?}"
            );
        }
    }

    #[test]
    fn another_or_a_rotated_secret_proves_nobody() {
        let old = IdentitySecret::new().expect("random");
        let new = IdentitySecret::new().expect("random");
        let signed_with_old = old.sign("C1001");
        assert_eq!(
            verify(&claim(Some("C1001"), Some(&signed_with_old)), Some(&new)),
            Err(IdentityError::InvalidSignature)
        );
        assert_eq!(
            verify(&claim(Some("C1001"), Some(&new.sign("C1001"))), Some(&new)),
            Ok(Some("C1001".to_owned()))
        );
    }

    #[test]
    fn half_a_claim_is_refused() {
        let secret = IdentitySecret::new().expect("random");
        let signature = secret.sign("C1001");
        assert_eq!(
            verify(&claim(Some("C1001"), None), Some(&secret)),
            Err(IdentityError::SignatureRequired)
        );
        assert_eq!(
            verify(&claim(Some("C1001"), Some(" ")), Some(&secret)),
            Err(IdentityError::SignatureRequired)
        );
        assert_eq!(
            verify(&claim(None, Some(&signature)), Some(&secret)),
            Err(IdentityError::InvalidCustomer)
        );
        let long = "C".repeat(MAX_CUSTOMER_CHARS + 1);
        for customer in ["", "C\n1001", long.as_str()] {
            assert_eq!(
                verify(&claim(Some(customer), Some(&signature)), Some(&secret)),
                Err(IdentityError::InvalidCustomer)
            );
        }
        assert_eq!(
            verify(&claim(Some("C1001"), Some(&signature)), None),
            Err(IdentityError::NotConfigured)
        );
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_channel() {
        let secrets =
            SecretBox::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").expect("a key");
        let secret = IdentitySecret::new().expect("random");
        let sealed = secret.seal(&secrets, "ten_1", "wch_1");
        assert_eq!(
            IdentitySecret::open(&secrets, &sealed, "ten_1", "wch_1"),
            Ok(secret)
        );
        assert!(IdentitySecret::open(&secrets, &sealed, "ten_1", "wch_2").is_err());
        assert!(IdentitySecret::open(&secrets, &sealed, "ten_2", "wch_1").is_err());
    }
}
