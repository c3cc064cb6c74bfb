//! Verifying bearer tokens, and minting development tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{EncodingKey, Header, Validation, decode, decode_header, encode};
use serde_json::{Value, json};

use super::config::{AuthConfig, Issuer};
use super::viewer::Role;

/// What a verified token says.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    /// The issuer that vouched for the token.
    pub issuer: String,
    /// The code of the organisation (party) the caller speaks for.
    pub org: String,
    /// The caller's role.
    pub role: Role,
    /// The `sub` claim: who the caller is within the organisation.
    pub subject: Option<String>,
    /// The `jti` claim, for the audit trail.
    pub token_id: Option<String>,
}

/// Verifies `token` against the trusted issuers; the error says why it was refused (safe to
/// send: it never includes key material).
pub fn verify(config: &AuthConfig, token: &str) -> Result<Claims, String> {
    let header = decode_header(token).map_err(|_| {
        "the token is malformed or uses an algorithm that is not accepted".to_string()
    })?;
    let payload = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or("the token is malformed")?;
    let iss = payload
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the token has no issuer (iss)")?;
    let issuer = config
        .issuers
        .iter()
        .find(|i| i.issuer == iss)
        .ok_or_else(|| format!("the issuer `{iss}` is not trusted"))?;
    let candidates: Vec<_> = issuer
        .keys
        .iter()
        .filter(|k| k.algorithm == header.alg)
        .filter(|k| match (&header.kid, &k.kid) {
            (Some(wanted), Some(have)) => wanted == have,
            _ => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "the issuer `{iss}` has no key for the token's algorithm {:?}",
            header.alg
        ));
    }
    let mut last = String::from("the token's signature is invalid");
    for key in candidates {
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[&issuer.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = issuer.leeway_seconds;
        match decode::<Value>(token, &key.key, &validation) {
            Ok(data) => return claims(issuer, data.claims),
            Err(err) => {
                last = match err.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired".into(),
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".into(),
                    ErrorKind::InvalidAudience => {
                        "the token is not meant for this service (aud)".into()
                    }
                    ErrorKind::InvalidIssuer => "the token's issuer does not match (iss)".into(),
                    ErrorKind::MissingRequiredClaim(claim) => {
                        format!("the token lacks the `{claim}` claim")
                    }
                    ErrorKind::InvalidAlgorithm => {
                        "the token's algorithm does not match its key".into()
                    }
                    _ => "the token's signature is invalid".into(),
                };
                if !matches!(err.kind(), ErrorKind::InvalidSignature) {
                    return Err(last);
                }
            }
        }
    }
    Err(last)
}

fn claims(issuer: &Issuer, claims: Value) -> Result<Claims, String> {
    let org = claims
        .get(&issuer.org_claim)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("the token has no organisation claim `{}`", issuer.org_claim))?;
    let role = match claims.get(&issuer.role_claim) {
        None | Some(Value::Null) => Role::Viewer,
        Some(Value::String(r)) => Role::parse(r)
            .ok_or_else(|| format!("`{r}` is not a role (viewer, editor, coordinator, admin)"))?,
        Some(_) => {
            return Err(format!(
                "the `{}` claim must be a string",
                issuer.role_claim
            ));
        }
    };
    Ok(Claims {
        issuer: issuer.issuer.clone(),
        org: org.to_string(),
        role,
        subject: claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string),
        token_id: claims
            .get("jti")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Mints a development token for `org` in `role`, valid for `ttl_seconds`, signed with the
/// development issuer's HS256 secret.
pub fn mint(
    config: &AuthConfig,
    org: &str,
    role: Role,
    ttl_seconds: u64,
) -> Result<String, String> {
    let (issuer, secret) = config
        .dev_secret()
        .ok_or("no issuer with an HS256 secret is configured")?;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": format!("dev:{org}"),
        issuer.org_claim.clone(): org,
        issuer.role_claim.clone(): role.as_str(),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds as i64,
        "jti": format!("dev-{now}-{org}"),
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}
