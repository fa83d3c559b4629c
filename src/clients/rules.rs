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
    /// Requests a minute this client may make; left out or `null`: the
    /// service's default.
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub rate_limit_per_minute: Option<i32>,
    /// Requests it may make at once (its bucket's capacity); left out or
    /// `null`: the service's default.
    #[serde(default, deserialize_with = "crate::validate::whole_number")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub rate_limit_burst: Option<i32>,
}

/// Body of `PATCH /v1/partnerships/{id}/clients/{client_id}`: fields left
/// out are kept; `null` gives a rate limit back to the service's default.
/// The client's tokens keep working.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"rate_limit_per_minute": 120, "rate_limit_burst": 20})))]
pub struct UpdateClient {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::patch_whole_number")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 1000000)]
    pub rate_limit_per_minute: Option<Option<i32>>,
    #[serde(default, deserialize_with = "crate::validate::patch_whole_number")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 1000000)]
    pub rate_limit_burst: Option<Option<i32>>,
}

/// The validated, editable fields of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFields {
    pub name: String,
    pub rate_limit_per_minute: Option<i32>,
    pub rate_limit_burst: Option<i32>,
}

pub fn validate(form: &CreateClient) -> Result<ClientFields, Refusal> {
    let mut errors = Errors::new();
    if form.role == Role::Submitter && form.organisation_id.is_none() {
        errors.add(
            "organisation_id",
            "a submitter submits for its own organisation: name it",
        );
    }
    let fields = checked(
        &mut errors,
        ClientFields {
            name: form.name.clone(),
            rate_limit_per_minute: form.rate_limit_per_minute,
            rate_limit_burst: form.rate_limit_burst,
        },
    );
    errors.finish()?;
    Ok(fields)
}

/// The fields after a PATCH.
pub fn apply(current: ClientFields, patch: UpdateClient) -> Result<ClientFields, Refusal> {
    let mut errors = Errors::new();
    let fields = checked(
        &mut errors,
        ClientFields {
            name: patch.name.unwrap_or(current.name),
            rate_limit_per_minute: patch
                .rate_limit_per_minute
                .unwrap_or(current.rate_limit_per_minute),
            rate_limit_burst: patch.rate_limit_burst.unwrap_or(current.rate_limit_burst),
        },
    );
    errors.finish()?;
    Ok(fields)
}

fn checked(errors: &mut Errors, fields: ClientFields) -> ClientFields {
    let name = errors.text("name", &fields.name, 200);
    let max = crate::rate_limits::rules::MAX_LIMIT;
    for (field, value) in [
        ("rate_limit_per_minute", fields.rate_limit_per_minute),
        ("rate_limit_burst", fields.rate_limit_burst),
    ] {
        if value.is_some_and(|v| !(1..=max as i64).contains(&i64::from(v))) {
            errors.add(
                field,
                format!("must be 1 to {max}, or null for the default"),
            );
        }
    }
    ClientFields { name, ..fields }
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

    fn form(role: Role) -> CreateClient {
        CreateClient {
            name: "Data warehouse".into(),
            role,
            organisation_id: None,
            rate_limit_per_minute: None,
            rate_limit_burst: None,
        }
    }

    #[test]
    fn submitters_need_an_organisation() {
        assert!(validate(&form(Role::Submitter)).is_err());
    }

    #[test]
    fn rate_limits_are_positive_and_bounded_or_the_default() {
        let mut client = form(Role::Viewer);
        client.rate_limit_per_minute = Some(60);
        client.rate_limit_burst = Some(1_000_000);
        assert!(validate(&client).is_ok());
        for bad in [0, -1, 1_000_001] {
            client.rate_limit_burst = Some(bad);
            let refusal = format!("{:?}", validate(&client).unwrap_err());
            assert!(refusal.contains("rate_limit_burst"), "{refusal}");
        }
        let current = validate(&form(Role::Viewer)).unwrap();
        let patched = apply(
            current.clone(),
            UpdateClient {
                rate_limit_per_minute: Some(Some(30)),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(patched.rate_limit_per_minute, Some(30));
        assert_eq!(patched.name, current.name);
        let cleared = apply(
            patched,
            UpdateClient {
                rate_limit_per_minute: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(cleared, current);
    }
}
