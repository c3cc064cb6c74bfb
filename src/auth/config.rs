//! The trusted issuers and the anonymous-access setting, read from a YAML file.
//!
//! ```yaml
//! anonymous: refuse            # or: public (anonymous callers see the public layer)
//! issuers:
//!   - issuer: https://login.gemeente-haarlem.nl
//!     audience: regiograaf
//!     org_claim: org           # the claim holding the organisation's party code
//!     role_claim: role         # viewer | editor | coordinator | admin (default viewer)
//!     leeway_seconds: 30
//!     keys:
//!       - { rs256_pem_file: /etc/regiograaf/haarlem.pem }
//!       - { es256_pem_file: /etc/regiograaf/haarlem-ec.pem }
//!       - { jwks_file: /etc/regiograaf/haarlem-jwks.json }
//!       - { hs256_secret: "for development only" }
//! ```

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use std::path::Path;

/// What a request without a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnonymousAccess {
    /// Anonymous callers read the public layer.
    Public,
    /// Every request needs a token (HTTP 401 otherwise).
    Refuse,
}

/// The issuer and audience of the development tokens `regiograaf token` mints.
pub const DEV_ISSUER: &str = "regiograaf-dev";
/// The audience every built-in configuration expects.
pub const DEV_AUDIENCE: &str = "regiograaf";
/// The development secret used when no configuration file is given (demo only).
pub const DEV_SECRET: &str = "regiograaf-development-secret-not-for-production";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    anonymous: AnonymousAccess,
    #[serde(default)]
    issuers: Vec<FileIssuer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIssuer {
    issuer: String,
    audience: String,
    #[serde(default = "default_org_claim")]
    org_claim: String,
    #[serde(default = "default_role_claim")]
    role_claim: String,
    #[serde(default = "default_leeway")]
    leeway_seconds: u64,
    keys: Vec<FileKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    hs256_secret: Option<String>,
    rs256_pem_file: Option<String>,
    es256_pem_file: Option<String>,
    jwks_file: Option<String>,
}

fn default_org_claim() -> String {
    "org".into()
}
fn default_role_claim() -> String {
    "role".into()
}
fn default_leeway() -> u64 {
    30
}

/// One verification key with the only algorithm it accepts.
#[derive(Clone)]
pub struct Key {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
    /// The key id, for JWKS keys; a token with a `kid` only tries keys with that id.
    pub kid: Option<String>,
    /// For HS256 keys: the secret, so `regiograaf token` can sign with it.
    pub secret: Option<String>,
}

/// A trusted issuer.
#[derive(Clone)]
pub struct Issuer {
    pub issuer: String,
    pub audience: String,
    pub org_claim: String,
    pub role_claim: String,
    pub leeway_seconds: u64,
    pub keys: Vec<Key>,
}

/// The authentication settings of the service.
#[derive(Clone)]
pub struct AuthConfig {
    pub anonymous: AnonymousAccess,
    pub issuers: Vec<Issuer>,
}

impl std::fmt::Debug for AuthConfig {
    /// Secrets are never printed: only issuers and key algorithms.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let issuers: Vec<String> = self
            .issuers
            .iter()
            .map(|i| format!("{} ({} keys)", i.issuer, i.keys.len()))
            .collect();
        f.debug_struct("AuthConfig")
            .field("anonymous", &self.anonymous)
            .field("issuers", &issuers)
            .finish()
    }
}

impl AuthConfig {
    /// The embedded demo: anonymous callers read the public layer, and `regiograaf token`
    /// mints development tokens with a built-in secret.
    pub fn development() -> Self {
        AuthConfig {
            anonymous: AnonymousAccess::Public,
            issuers: vec![Issuer {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                org_claim: default_org_claim(),
                role_claim: default_role_claim(),
                leeway_seconds: default_leeway(),
                keys: vec![Key {
                    algorithm: Algorithm::HS256,
                    key: DecodingKey::from_secret(DEV_SECRET.as_bytes()),
                    kid: None,
                    secret: Some(DEV_SECRET.into()),
                }],
            }],
        }
    }

    /// Without a configuration file outside the demo: no issuer is trusted and anonymous
    /// requests are refused, so nothing is served by accident.
    pub fn locked() -> Self {
        AuthConfig {
            anonymous: AnonymousAccess::Refuse,
            issuers: Vec::new(),
        }
    }

    /// Reads a configuration file; the error says which part is wrong.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: FileConfig =
            serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut issuers = Vec::new();
        for (i, issuer) in file.issuers.into_iter().enumerate() {
            let mut keys = Vec::new();
            for (j, key) in issuer.keys.iter().enumerate() {
                let at = format!("{}: issuers[{i}].keys[{j}]", path.display());
                keys.extend(load_key(base, key).map_err(|e| format!("{at}: {e}"))?);
            }
            if keys.is_empty() {
                return Err(format!("{}: issuers[{i}] has no keys", path.display()));
            }
            issuers.push(Issuer {
                issuer: issuer.issuer,
                audience: issuer.audience,
                org_claim: issuer.org_claim,
                role_claim: issuer.role_claim,
                leeway_seconds: issuer.leeway_seconds,
                keys,
            });
        }
        Ok(AuthConfig {
            anonymous: file.anonymous,
            issuers,
        })
    }

    /// The HS256 secret development tokens are signed with: the first HS256 key of the
    /// development issuer.
    pub fn dev_secret(&self) -> Option<(&Issuer, &str)> {
        self.issuers.iter().find_map(|i| {
            i.keys
                .iter()
                .find_map(|k| k.secret.as_deref().map(|s| (i, s)))
        })
    }
}

fn read(base: &Path, file: &str) -> Result<Vec<u8>, String> {
    let path = base.join(file);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_key(base: &Path, key: &FileKey) -> Result<Vec<Key>, String> {
    let given = [
        key.hs256_secret.is_some(),
        key.rs256_pem_file.is_some(),
        key.es256_pem_file.is_some(),
        key.jwks_file.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(
            "give exactly one of hs256_secret, rs256_pem_file, es256_pem_file, jwks_file".into(),
        );
    }
    if let Some(secret) = &key.hs256_secret {
        if secret.len() < 32 {
            return Err("an HS256 secret needs at least 32 characters".into());
        }
        return Ok(vec![Key {
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.as_bytes()),
            kid: None,
            secret: Some(secret.clone()),
        }]);
    }
    if let Some(file) = &key.rs256_pem_file {
        let pem = read(base, file)?;
        let decoding =
            DecodingKey::from_rsa_pem(&pem).map_err(|e| format!("not an RSA public key: {e}"))?;
        return Ok(vec![Key {
            algorithm: Algorithm::RS256,
            key: decoding,
            kid: None,
            secret: None,
        }]);
    }
    if let Some(file) = &key.es256_pem_file {
        let pem = read(base, file)?;
        let decoding =
            DecodingKey::from_ec_pem(&pem).map_err(|e| format!("not an EC public key: {e}"))?;
        return Ok(vec![Key {
            algorithm: Algorithm::ES256,
            key: decoding,
            kid: None,
            secret: None,
        }]);
    }
    let file = key.jwks_file.as_deref().unwrap_or_default();
    let set: JwkSet = serde_json::from_slice(&read(base, file)?)
        .map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let algorithm = match jwk.common.key_algorithm {
            Some(jsonwebtoken::jwk::KeyAlgorithm::RS256) => Algorithm::RS256,
            Some(jsonwebtoken::jwk::KeyAlgorithm::ES256) => Algorithm::ES256,
            other => {
                return Err(format!(
                    "key {:?}: only RS256 and ES256 keys with an `alg` are accepted, not {other:?}",
                    jwk.common.key_id
                ));
            }
        };
        let decoding =
            DecodingKey::from_jwk(jwk).map_err(|e| format!("key {:?}: {e}", jwk.common.key_id))?;
        keys.push(Key {
            algorithm,
            key: decoding,
            kid: jwk.common.key_id.clone(),
            secret: None,
        });
    }
    Ok(keys)
}
