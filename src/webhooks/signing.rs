//! Signing secrets: made, shown once, sealed at rest, and used to sign each
//! delivery as Standard Webhooks does (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::db::Id;
use crate::error::ApiError;

const PREFIX: &str = "whsec_";
const SEALED: &str = "v1:";

/// The key that seals secrets, from configuration (`WEBHOOK_SECRET_KEY`, or
/// derived from the token signing secret): 32 bytes.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// The key of a configured text (at least 32 bytes): its SHA-256, under
    /// a label of its own so it is never the text's other uses' key.
    pub fn from_text(label: &str, text: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(label.as_bytes());
        hash.update([0]);
        hash.update(text);
        SealingKey(hash.finalize().into())
    }

    /// Seals `secret` for the webhook `id` (bound to it: a sealed secret
    /// copied to another row does not open).
    pub fn seal(&self, id: Id, secret: &str) -> Result<String, ApiError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| ApiError::internal(format!("randomness: {e}")))?;
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: id.0.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal("sealing a webhook secret failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{SEALED}{}", B64.encode(bytes)))
    }

    /// Opens what [`seal`](Self::seal) sealed for `id`.
    pub fn open(&self, id: Id, sealed: &str) -> Result<String, String> {
        let bytes = sealed
            .strip_prefix(SEALED)
            .and_then(|b| B64.decode(b).ok())
            .filter(|b| b.len() > 24)
            .ok_or("not a sealed secret")?;
        let nonce: [u8; 24] = bytes[..24].try_into().map_err(|_| "not a sealed secret")?;
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        let secret = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &bytes[24..],
                    aad: id.0.as_bytes(),
                },
            )
            .map_err(|_| {
                "the secret does not open with WEBHOOK_SECRET_KEY (was the key changed?)"
            })?;
        String::from_utf8(secret).map_err(|_| "not a secret".to_owned())
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("randomness: {e}")))?;
    Ok(format!("{PREFIX}{}", B64.encode(bytes)))
}

/// The `webhook-signature` of a delivery: `v1,` and the base64 HMAC-SHA256,
/// keyed with the secret's bytes, of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = B64
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .map_err(|_| "the secret is not base64")?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks specification's reference libraries.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_webhook_and_key() {
        let key = SealingKey::from_text("webhook", b"0123456789abcdef0123456789abcdef");
        let (id, other) = (Id::new(), Id::new());
        let secret = new_secret().unwrap();
        let sealed = key.seal(id, &secret).unwrap();
        assert!(!sealed.contains(&secret[6..]));
        assert_eq!(key.open(id, &sealed).unwrap(), secret);
        assert!(key.open(other, &sealed).is_err());
        let wrong = SealingKey::from_text("webhook", b"another key, another key, another");
        assert!(wrong.open(id, &sealed).is_err());
        assert_ne!(
            key.seal(id, &secret).unwrap(),
            sealed,
            "a fresh nonce each time"
        );
    }
}
