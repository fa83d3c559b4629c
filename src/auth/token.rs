//! Signing and verifying JWTs: the service's own tokens and those of
//! configured external issuers. Every key is pinned to one algorithm; `exp`,
//! `iss`, `aud` and `sub` are required; `nbf` is checked when present.

use std::collections::BTreeMap;

use jsonwebtoken::{decode, decode_header, encode, Header, Validation};
use serde::{Deserialize, Serialize};

use super::issuers::{External, RoleMapping};
use super::keys::{self, OwnKey, SigningKey, VerifyingKey};
use super::principal::{ClientToken, Principal, Role};
use crate::db::Id;
use crate::error::ApiError;

/// Issuer and audience of the tokens this service signs.
pub const TOKEN_ISSUER: &str = "safeguarding-api";
pub const TOKEN_AUDIENCE: &str = "safeguarding-api";

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
    /// The secret generation of the API client the token was issued to
    /// (`cv`, for "credential version"): a rotation moves it on, and the
    /// client's earlier tokens are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<i32>,
}

/// One key of a trusted issuer, with the validation pinned to it.
struct TrustedKey {
    key: VerifyingKey,
    validation: Validation,
}

enum IssuerKind {
    /// This service: the claims are [`Claims`].
    Own,
    /// A configured identity provider: claims map to roles by configuration.
    External(RoleMapping),
}

struct Issuer {
    name: String,
    keys: Vec<TrustedKey>,
    kind: IssuerKind,
}

/// Every key the service signs or verifies with, built once at start-up.
pub struct TokenKeys {
    signing: SigningKey,
    issuers: Vec<Issuer>,
    /// The public JWK set published at `/.well-known/jwks.json`.
    jwks: serde_json::Value,
}

fn validation(key: &VerifyingKey, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(key.algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation
}

fn invalid(detail: &str) -> ApiError {
    ApiError::Unauthorized {
        error: "invalid_token",
        detail: detail.to_owned(),
    }
}

impl TokenKeys {
    /// The service's own keys (the first one that can sign is the signing
    /// key; the others are still accepted) and the external issuers.
    pub fn new(own: Vec<OwnKey>, external: Vec<External>) -> Result<Self, String> {
        let signing = own
            .iter()
            .find_map(|k| k.signing.clone())
            .ok_or("no signing key is configured")?;
        let jwks = serde_json::json!({
            "keys": own.iter().filter_map(keys::published).collect::<Vec<_>>()
        });
        let mut issuers = vec![Issuer {
            name: TOKEN_ISSUER.to_owned(),
            keys: own
                .into_iter()
                .map(|k| TrustedKey {
                    validation: validation(&k.verifying, TOKEN_ISSUER, TOKEN_AUDIENCE),
                    key: k.verifying,
                })
                .collect(),
            kind: IssuerKind::Own,
        }];
        for ext in external {
            issuers.push(Issuer {
                name: ext.mapping.issuer.clone(),
                keys: ext
                    .keys
                    .into_iter()
                    .map(|key| TrustedKey {
                        validation: validation(&key, &ext.mapping.issuer, &ext.audience),
                        key,
                    })
                    .collect(),
                kind: IssuerKind::External(ext.mapping),
            });
        }
        Ok(TokenKeys {
            signing,
            issuers,
            jwks,
        })
    }

    /// Only an HS256 secret: the embedded default, and what tests sign with.
    pub fn hs256(secret: &[u8]) -> Self {
        Self::new(vec![keys::hs256(secret)], Vec::new()).expect("a secret can sign")
    }

    /// The public keys, as a JWK set (RFC 7517).
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
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
        self.sign(&Self::claims(
            subject,
            organisation,
            platform_admin,
            roles,
            lifetime,
        ))
    }

    /// Signs a token for an API client at its current secret generation:
    /// the token ends when a rotation moves it on (or the client is revoked).
    pub fn issue_to_client(
        &self,
        client: ClientToken,
        organisation: Option<Id>,
        platform_admin: bool,
        roles: BTreeMap<Id, Role>,
        lifetime: i64,
    ) -> Result<String, ApiError> {
        let mut claims = Self::claims(
            &client.id.to_string(),
            organisation,
            platform_admin,
            roles,
            lifetime,
        );
        claims.cv = client.generation;
        self.sign(&claims)
    }

    fn claims(
        subject: &str,
        organisation: Option<Id>,
        platform_admin: bool,
        roles: BTreeMap<Id, Role>,
        lifetime: i64,
    ) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
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
            cv: None,
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let mut header = Header::new(self.signing.algorithm);
        header.kid = Some(self.signing.kid.clone());
        encode(&header, claims, &self.signing.key)
            .map_err(|e| ApiError::internal(format!("cannot sign token: {e}")))
    }

    /// Verifies a compact JWT and returns the caller it names. The issuer
    /// picks the key set; `kid` is only ever looked up in that set, and each
    /// key verifies exactly one algorithm.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        let issuer_name = unverified_issuer(token)?;
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.name == issuer_name)
            .ok_or_else(|| invalid("the token's issuer is not trusted here"))?;
        let candidates: Vec<&TrustedKey> = match &header.kid {
            Some(kid) => {
                let key = issuer
                    .keys
                    .iter()
                    .find(|k| k.key.kid.as_deref() == Some(kid.as_str()))
                    .ok_or_else(|| invalid("the token's key id is not known"))?;
                vec![key]
            }
            None => issuer.keys.iter().collect(),
        };
        let candidates: Vec<&TrustedKey> = candidates
            .into_iter()
            .filter(|k| k.key.algorithm == header.alg)
            .collect();
        if candidates.is_empty() {
            return Err(invalid("the token's algorithm is not accepted for its key"));
        }
        let mut failure = None;
        for key in candidates {
            match decode::<serde_json::Map<String, serde_json::Value>>(
                token,
                &key.key.key,
                &key.validation,
            ) {
                Ok(data) => return issuer.principal(data.claims),
                Err(e) => failure = Some(e),
            }
        }
        Err(describe(failure.expect("at least one key was tried")))
    }
}

impl Issuer {
    fn principal(
        &self,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Principal, ApiError> {
        match &self.kind {
            IssuerKind::External(mapping) => Ok(mapping.principal(&claims)),
            IssuerKind::Own => {
                let c: Claims = serde_json::from_value(claims.into())
                    .map_err(|_| invalid("the token's claims are malformed"))?;
                // A subject that is an id may be an API client's: the
                // service checks that client's state on every request.
                let client = c.sub.parse().ok().map(|id| ClientToken {
                    id,
                    generation: c.cv,
                });
                Ok(Principal {
                    subject: c.sub,
                    organisation_id: c.org,
                    platform_admin: c.platform_admin,
                    roles: c.roles,
                    client,
                    checked: Default::default(),
                })
            }
        }
    }
}

/// The `iss` claim, read before the signature is checked only to choose the
/// key set; `decode` then checks it again against that set.
fn unverified_issuer(token: &str) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Unverified {
        iss: Option<serde_json::Value>,
    }
    let data = jsonwebtoken::dangerous::insecure_decode::<Unverified>(token)
        .map_err(|_| invalid("the token is malformed"))?;
    match data.claims.iss {
        Some(serde_json::Value::String(iss)) => Ok(iss),
        Some(_) => Err(invalid("the token's iss claim is not a string")),
        None => Err(invalid("the token lacks a required claim (iss)")),
    }
}

fn describe(e: jsonwebtoken::errors::Error) -> ApiError {
    use jsonwebtoken::errors::ErrorKind;
    invalid(match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidIssuer => "the token is from an unknown issuer",
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
        ErrorKind::InvalidClaimFormat(_) => "a claim of the token has the wrong type",
        ErrorKind::InvalidSignature => "the token's signature is invalid",
        _ => "the token is malformed",
    })
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
