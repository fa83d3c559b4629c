//! Signing and verifying the service's JWTs. The algorithm is pinned (HS256
//! with the service secret); `exp`, `iss` and `aud` are required.

use std::collections::BTreeMap;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::principal::{Principal, Role};
use crate::config::{TOKEN_AUDIENCE, TOKEN_ISSUER};
use crate::db::Id;
use crate::error::ApiError;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;
/// Lifetime of the tokens this service issues.
pub const TOKEN_LIFETIME_SECONDS: i64 = 15 * 60;

/// The claims of a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    /// The caller's organisation (agency), if it acts for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Id>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub platform_admin: bool,
    /// The caller's role in each partnership it may see.
    #[serde(default)]
    pub roles: BTreeMap<Id, Role>,
}

/// Keys built once at start-up.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn hs256(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[TOKEN_ISSUER]);
        validation.set_audience(&[TOKEN_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Signs a token for `subject` valid for `lifetime` seconds from now.
    pub fn issue(
        &self,
        subject: &str,
        organisation: Option<Id>,
        platform_admin: bool,
        roles: BTreeMap<Id, Role>,
        lifetime: i64,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: TOKEN_ISSUER.to_owned(),
            aud: TOKEN_AUDIENCE.to_owned(),
            sub: subject.to_owned(),
            exp: now + lifetime,
            iat: now,
            nbf: None,
            jti: Id::new().to_string(),
            org: organisation,
            platform_admin,
            roles,
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("cannot sign token: {e}")))
    }

    /// Verifies a compact JWT and returns the caller it names.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let detail = match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet",
                ErrorKind::InvalidAudience => "the token is for another audience",
                ErrorKind::InvalidIssuer => "the token is from an unknown issuer",
                ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                ErrorKind::InvalidSignature => "the token's signature is invalid",
                _ => "the token is malformed",
            };
            ApiError::Unauthorized {
                error: "invalid_token",
                detail: detail.to_owned(),
            }
        })?;
        let c = data.claims;
        Ok(Principal {
            subject: c.sub,
            organisation_id: c.org,
            platform_admin: c.platform_admin,
            roles: c.roles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify() {
        let keys = TokenKeys::hs256(SECRET);
        let p = Id::new();
        let token = keys
            .issue(
                "client-1",
                None,
                false,
                BTreeMap::from([(p, Role::Member)]),
                60,
            )
            .unwrap();
        let principal = keys.verify(&token).unwrap();
        assert_eq!(principal.subject, "client-1");
        assert_eq!(principal.roles.get(&p), Some(&Role::Member));
    }

    #[test]
    fn other_secret_and_expired_tokens_fail() {
        let keys = TokenKeys::hs256(SECRET);
        let other = TokenKeys::hs256(b"another secret another secret 12");
        let token = other.issue("x", None, true, BTreeMap::new(), 60).unwrap();
        assert!(keys.verify(&token).is_err());
        let expired = keys.issue("x", None, true, BTreeMap::new(), -120).unwrap();
        assert!(keys.verify(&expired).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = TokenKeys::hs256(SECRET);
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let now = chrono::Utc::now().timestamp();
        let payload = format!(
            r#"{{"iss":"{TOKEN_ISSUER}","aud":"{TOKEN_AUDIENCE}","sub":"x","exp":{},"iat":{now},"jti":"j","platform_admin":true}}"#,
            now + 60
        );
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&payload)
        );
        assert!(keys.verify(&token).is_err());
    }
}
