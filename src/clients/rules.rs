//! Secrets: generated from the OS's randomness, stored only as argon2 hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::db::Id;
use crate::error::ApiError;
use crate::validate::{Errors, Refusal};

/// Body of `POST /v1/partnerships/{id}/clients`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    /// What the client is, e.g. "West Mercia Police data warehouse".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    pub role: Role,
    /// The agency the client acts for; required for `submitter`.
    pub organisation_id: Option<Id>,
}

pub fn validate(form: &CreateClient) -> Result<String, Refusal> {
    let mut errors = Errors::new();
    let name = errors.text("name", &form.name, 200);
    if form.role == Role::Submitter && form.organisation_id.is_none() {
        errors.add(
            "organisation_id",
            "a submitter submits for its own organisation: name it",
        );
    }
    errors.finish()?;
    Ok(name)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A new client secret: 32 random bytes, base64url.
pub fn new_secret() -> Result<String, ApiError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// The argon2id hash (PHC string) of a secret.
pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing: {e}")))
}

/// Whether `secret` matches the stored hash. Constant-time in the secret.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of no secret anyone holds, verified for unknown client ids so that
/// their answer takes as long as a wrong secret's.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FmZWd1YXJkaW5nLWRlY295$Pw0cX8hrZ0sJ2VdK9kq3yq8bKfXGmJxKq0cX8hrZ0sI";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_hash() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 43);
        let hash = hash_secret(&secret).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&secret));
        assert!(verify_secret(&secret, &hash));
        assert!(!verify_secret("wrong", &hash));
        assert!(!verify_secret(&secret, DECOY_HASH));
        assert!(!verify_secret(&secret, "not a hash"));
    }

    #[test]
    fn submitters_need_an_organisation() {
        let form = CreateClient {
            name: "Data warehouse".into(),
            role: Role::Submitter,
            organisation_id: None,
        };
        assert!(validate(&form).is_err());
    }
}
