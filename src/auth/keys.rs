//! Key material. The service signs with one key: an HS256 secret
//! (`JWT_SECRET`) or an Ed25519 / P-256 private key in a PKCS#8 PEM file
//! (`JWT_PRIVATE_KEY_FILE`). Keys it no longer signs with (or will sign with
//! next) stay accepted while they are configured, so keys rotate without
//! downtime. Every key is pinned to exactly one algorithm, and public keys are
//! published as a JWK set at `/.well-known/jwks.json`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

/// A key this service signs with.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub key: EncodingKey,
}

/// A key accepted for verification, pinned to one algorithm.
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// An own key: how it signs, how it verifies, and its public JWK (none for
/// shared secrets, which are never published).
pub struct OwnKey {
    pub signing: Option<SigningKey>,
    pub verifying: VerifyingKey,
    pub public: Option<Jwk>,
}

/// An HS256 secret. Its `kid` is a hash of the secret, so it names the key
/// without revealing it.
pub fn hs256(secret: &[u8]) -> OwnKey {
    let digest = Sha256::new()
        .chain_update(b"safeguarding-api key id\0")
        .chain_update(secret)
        .finalize();
    let kid = format!("hs256-{}", hex(&digest[..8]));
    OwnKey {
        signing: Some(SigningKey {
            kid: kid.clone(),
            algorithm: Algorithm::HS256,
            key: EncodingKey::from_secret(secret),
        }),
        verifying: VerifyingKey {
            kid: Some(kid),
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret),
        },
        public: None,
    }
}

/// A PKCS#8 PEM private key, Ed25519 (`EdDSA`) or P-256 (`ES256`).
pub fn private_pem(pem: &str) -> Result<OwnKey, String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let (algorithm, public, encoding) =
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            let public = ed25519_jwk(&key.verifying_key().to_bytes());
            let encoding = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
            (Algorithm::EdDSA, public, encoding)
        } else if let Ok(key) = p256::SecretKey::from_pkcs8_pem(pem) {
            let public = p256_jwk(&key.public_key());
            let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
            (Algorithm::ES256, public, encoding)
        } else {
            return Err("is not a PKCS#8 PEM Ed25519 or P-256 private key".to_owned());
        };
    let verifying = own_verifying(&public, algorithm)?;
    Ok(OwnKey {
        signing: Some(SigningKey {
            kid: verifying.kid.clone().unwrap_or_default(),
            algorithm,
            key: encoding,
        }),
        verifying,
        public: Some(public),
    })
}

/// A PEM key that is only verified against: an SPKI public key, or a PKCS#8
/// private key of which only the public half is used.
pub fn public_pem(pem: &str) -> Result<OwnKey, String> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    if pem.contains("PRIVATE KEY") {
        let mut key = private_pem(pem)?;
        key.signing = None;
        return Ok(key);
    }
    let (algorithm, public) = if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem)
    {
        (Algorithm::EdDSA, ed25519_jwk(&key.to_bytes()))
    } else if let Ok(key) = p256::PublicKey::from_public_key_pem(pem) {
        (Algorithm::ES256, p256_jwk(&key))
    } else {
        return Err("is not a PEM Ed25519 or P-256 public key".to_owned());
    };
    Ok(OwnKey {
        signing: None,
        verifying: own_verifying(&public, algorithm)?,
        public: Some(public),
    })
}

/// A key from an external issuer's JWK set. The algorithm is the JWK's `alg`,
/// or follows from its type; shared-secret (`oct`) keys are refused, so an
/// issuer's public key can never be used as an HMAC secret.
pub fn from_jwk(jwk: &Jwk) -> Result<VerifyingKey, String> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::OctetKey(_) => {
            return Err("shared-secret (oct) keys are not accepted from an issuer".to_owned())
        }
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return Err("only P-256 and P-384 elliptic curves are supported".to_owned()),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        AlgorithmParameters::OctetKeyPair(_) => {
            return Err("only Ed25519 octet key pairs are supported".to_owned())
        }
    };
    let algorithm = match jwk.common.key_algorithm {
        None => implied,
        Some(alg) => {
            let named: Algorithm = alg
                .to_string()
                .parse()
                .map_err(|_| format!("the algorithm {alg} is not supported"))?;
            if named.family() != implied.family() {
                return Err(format!("alg {alg} does not fit the key type"));
            }
            named
        }
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key: {e}"))?;
    Ok(VerifyingKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        key,
    })
}

/// A verifying key for an external issuer's PEM public key, pinned to the
/// configured algorithm.
pub fn from_public_pem(pem: &str, algorithm: Algorithm) -> Result<VerifyingKey, String> {
    use jsonwebtoken::AlgorithmFamily;
    let key = match algorithm.family() {
        AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem.as_bytes()),
        AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem.as_bytes()),
        AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem.as_bytes()),
        AlgorithmFamily::Hmac => {
            return Err("HMAC algorithms are not accepted from an issuer".to_owned())
        }
    }
    .map_err(|e| format!("is not a {algorithm:?} public key: {e}"))?;
    Ok(VerifyingKey {
        kid: None,
        algorithm,
        key,
    })
}

/// Generates a new private key as PKCS#8 PEM (`keys generate`).
pub fn generate(algorithm: Algorithm) -> Result<String, String> {
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let mut seed = [0u8; 32];
    match algorithm {
        Algorithm::EdDSA => {
            getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
            let pem = ed25519_dalek::SigningKey::from_bytes(&seed)
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| e.to_string())?;
            Ok(pem.to_string())
        }
        Algorithm::ES256 => loop {
            getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
            // A random 32-byte string is a valid scalar but for about 2^-32 of them.
            if let Ok(key) = p256::SecretKey::from_slice(&seed) {
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| e.to_string())?;
                return Ok(pem.to_string());
            }
        },
        other => Err(format!(
            "cannot generate {other:?} keys: use EdDSA or ES256"
        )),
    }
}

fn ed25519_jwk(public: &[u8; 32]) -> Jwk {
    jwk_from_json(serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(public),
    }))
}

fn p256_jwk(public: &p256::PublicKey) -> Jwk {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let point = public.to_encoded_point(false);
    let coordinate =
        |c: Option<&p256::FieldBytes>| URL_SAFE_NO_PAD.encode(c.expect("uncompressed"));
    jwk_from_json(serde_json::json!({
        "kty": "EC",
        "crv": "P-256",
        "x": coordinate(point.x()),
        "y": coordinate(point.y()),
    }))
}

fn jwk_from_json(value: serde_json::Value) -> Jwk {
    serde_json::from_value(value).expect("a well-formed public JWK")
}

/// Completes a public JWK (kid as its RFC 7638 thumbprint, `use`, `alg`) and
/// derives the verifying key from it.
fn own_verifying(public: &Jwk, algorithm: Algorithm) -> Result<VerifyingKey, String> {
    let kid = public.thumbprint(ThumbprintHash::SHA256);
    let key = DecodingKey::from_jwk(public).map_err(|e| e.to_string())?;
    Ok(VerifyingKey {
        kid: Some(kid),
        algorithm,
        key,
    })
}

/// The JWK published for an own key: the public part with kid, use and alg.
pub fn published(key: &OwnKey) -> Option<serde_json::Value> {
    let public = key.public.as_ref()?;
    let mut value = serde_json::to_value(public).ok()?;
    let object = value.as_object_mut()?;
    object.insert("kid".into(), key.verifying.kid.clone().into());
    object.insert("use".into(), "sig".into());
    object.insert(
        "alg".into(),
        format!("{:?}", key.verifying.algorithm).into(),
    );
    Some(value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_load_with_stable_ids() {
        for algorithm in [Algorithm::EdDSA, Algorithm::ES256] {
            let pem = generate(algorithm).unwrap();
            let a = private_pem(&pem).unwrap();
            let b = private_pem(&pem).unwrap();
            assert_eq!(a.verifying.algorithm, algorithm);
            assert_eq!(a.verifying.kid, b.verifying.kid);
            let jwk = published(&a).unwrap();
            assert_eq!(jwk["kid"], a.verifying.kid.clone().unwrap().as_str());
            assert!(jwk.get("d").is_none(), "never publish the private part");
            let other = private_pem(&generate(algorithm).unwrap()).unwrap();
            assert_ne!(a.verifying.kid, other.verifying.kid);
        }
    }

    #[test]
    fn secrets_have_ids_but_are_never_published() {
        let key = hs256(b"0123456789abcdef0123456789abcdef");
        assert!(key.verifying.kid.as_deref().unwrap().starts_with("hs256-"));
        assert!(published(&key).is_none());
        assert_ne!(
            hs256(b"another secret another secret 12").verifying.kid,
            key.verifying.kid
        );
    }

    #[test]
    fn shared_secret_jwks_are_refused() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "oct", "k": "c2VjcmV0", "kid": "x"
        }))
        .unwrap();
        assert!(from_jwk(&jwk).is_err());
    }

    #[test]
    fn a_jwk_alg_must_fit_its_key_type() {
        let pem = generate(Algorithm::EdDSA).unwrap();
        let mut jwk = published(&private_pem(&pem).unwrap()).unwrap();
        jwk["alg"] = "RS256".into();
        let jwk: Jwk = serde_json::from_value(jwk).unwrap();
        assert!(from_jwk(&jwk).is_err());
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(private_pem("not a key").is_err());
        assert!(
            public_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err()
        );
    }
}
