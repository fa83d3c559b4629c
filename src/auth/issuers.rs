//! External identity providers trusted by configuration, so that a council's
//! own sign-in (Entra ID, Keycloak, ...) can call the API for a front-end.
//!
//! `EXTERNAL_ISSUERS_FILE` names a JSON file holding a list of issuers:
//!
//! ```json
//! [{
//!   "issuer": "https://login.example.gov.uk/realms/staff",
//!   "audience": "safeguarding-api",
//!   "jwks_file": "/etc/safeguarding/council-jwks.json",
//!   "partnership_id": "0190f4a2-...",
//!   "organisation_id": "0190f4a3-...",
//!   "roles_claim": "realm_access.roles",
//!   "role_values": { "spb-admin": "admin", "spb-member": "member", "spb-viewer": "viewer" }
//! }]
//! ```
//!
//! Instead of `jwks_file`, `pem_file` with `algorithm` (e.g. `RS256`) names one
//! public key. An issuer grants roles in its one partnership only; a token
//! whose roles claim carries no mapped value has no role anywhere.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::Value;

use super::keys::{self, VerifyingKey};
use super::principal::{Principal, Role};
use crate::db::Id;

/// One entry of `EXTERNAL_ISSUERS_FILE`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// The `aud` its tokens must carry for this service.
    pub audience: String,
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    #[serde(default)]
    pub pem_file: Option<PathBuf>,
    /// Required with `pem_file`: the one algorithm that key verifies.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// The partnership its users act in.
    pub partnership_id: Id,
    /// The organisation its users act for, if one.
    #[serde(default)]
    pub organisation_id: Option<Id>,
    /// The claim holding role names: a string or a list; dots walk into objects.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Role names in the token → roles in the partnership.
    pub role_values: BTreeMap<String, Role>,
}

fn default_roles_claim() -> String {
    "roles".to_owned()
}

/// How an external issuer's claims become a [`Principal`].
#[derive(Debug, Clone)]
pub struct RoleMapping {
    pub issuer: String,
    pub partnership_id: Id,
    pub organisation_id: Option<Id>,
    pub roles_claim: String,
    pub role_values: BTreeMap<String, Role>,
}

impl RoleMapping {
    /// The caller named by verified claims. The subject is qualified by the
    /// issuer, so it never collides with an API client's id.
    pub fn principal(&self, claims: &serde_json::Map<String, Value>) -> Principal {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut value = claims.get(self.roles_claim.split('.').next().unwrap_or_default());
        for part in self.roles_claim.split('.').skip(1) {
            value = value.and_then(|v| v.get(part));
        }
        let names: Vec<&str> = match value {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let role = names
            .iter()
            .filter_map(|n| self.role_values.get(*n).copied())
            .min_by_key(|r| precedence(*r));
        Principal {
            subject: format!("{}#{subject}", self.issuer),
            organisation_id: self.organisation_id,
            platform_admin: false,
            roles: role
                .map(|r| BTreeMap::from([(self.partnership_id, r)]))
                .unwrap_or_default(),
            client: None,
            checked: Default::default(),
        }
    }
}

/// When a token carries several mapped names, the broadest role wins.
fn precedence(role: Role) -> u8 {
    match role {
        Role::Admin => 0,
        Role::Member => 1,
        Role::Viewer => 2,
        Role::Submitter => 3,
    }
}

/// An external issuer ready to verify: its keys and its role mapping.
pub struct External {
    pub audience: String,
    pub keys: Vec<VerifyingKey>,
    pub mapping: RoleMapping,
}

/// Reads `EXTERNAL_ISSUERS_FILE` and the key files it names.
pub fn load(path: &std::path::Path, own_issuer: &str) -> Result<Vec<External>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let configs: Vec<IssuerConfig> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut issuers: Vec<External> = Vec::new();
    for (index, config) in configs.into_iter().enumerate() {
        let at = |reason: String| format!("issuer {index} ({}): {reason}", config.issuer);
        if config.issuer == own_issuer || issuers.iter().any(|i| i.mapping.issuer == config.issuer)
        {
            return Err(at("the issuer is named twice".to_owned()));
        }
        let keys = issuer_keys(&config).map_err(at)?;
        issuers.push(External {
            audience: config.audience,
            keys,
            mapping: RoleMapping {
                issuer: config.issuer,
                partnership_id: config.partnership_id,
                organisation_id: config.organisation_id,
                roles_claim: config.roles_claim,
                role_values: config.role_values,
            },
        });
    }
    Ok(issuers)
}

fn issuer_keys(config: &IssuerConfig) -> Result<Vec<VerifyingKey>, String> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    match (&config.jwks_file, &config.pem_file, &config.algorithm) {
        (Some(jwks), None, None) => {
            let set: JwkSet = serde_json::from_str(&read(jwks)?)
                .map_err(|e| format!("{}: not a JWK set: {e}", jwks.display()))?;
            let keys = set
                .keys
                .iter()
                .map(keys::from_jwk)
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(format!("{} holds no keys", jwks.display()));
            }
            Ok(keys)
        }
        (None, Some(pem), Some(algorithm)) => {
            let algorithm: Algorithm = algorithm
                .parse()
                .map_err(|_| format!("unknown algorithm {algorithm}"))?;
            Ok(vec![keys::from_public_pem(&read(pem)?, algorithm)?])
        }
        _ => Err("give either jwks_file, or pem_file with algorithm".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(claim: &str) -> RoleMapping {
        RoleMapping {
            issuer: "https://idp.example".into(),
            partnership_id: Id::new(),
            organisation_id: None,
            roles_claim: claim.into(),
            role_values: BTreeMap::from([
                ("spb-viewer".to_owned(), Role::Viewer),
                ("spb-admin".to_owned(), Role::Admin),
            ]),
        }
    }

    fn claims(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn broadest_mapped_role_wins() {
        let m = mapping("roles");
        let p = m.principal(&claims(
            json!({"sub": "jo", "roles": ["other", "spb-viewer", "spb-admin"]}),
        ));
        assert_eq!(p.roles.get(&m.partnership_id), Some(&Role::Admin));
        assert_eq!(p.subject, "https://idp.example#jo");
        assert!(!p.platform_admin);
    }

    #[test]
    fn nested_claims_and_single_strings_are_read() {
        let m = mapping("realm_access.roles");
        let p = m.principal(&claims(
            json!({"sub": "jo", "realm_access": {"roles": "spb-viewer"}}),
        ));
        assert_eq!(p.roles.get(&m.partnership_id), Some(&Role::Viewer));
    }

    #[test]
    fn unmapped_roles_grant_nothing() {
        let m = mapping("roles");
        let p = m.principal(&claims(
            json!({"sub": "jo", "roles": ["admin"], "platform_admin": true}),
        ));
        assert!(p.roles.is_empty());
        assert!(
            !p.platform_admin,
            "only the service's own tokens make platform admins"
        );
    }
}
