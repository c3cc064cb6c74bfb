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

/// Tokens verified lately, so that a client sending the same token again is not checked
/// again: a signature check and two JSON decodings were 5% of the server's CPU on the M1
/// benchmark. A kept token is honoured only within the moments its own `exp` and `nbf`
/// (with the issuer's leeway) allow, exactly as verifying it again would; the keys it was
/// checked with do not change while the process runs. The organisation behind it is still
/// looked up (or its kept copy checked) on every request, so a deactivation acts as before.
#[derive(Default)]
pub struct VerifiedTokens {
    kept: std::sync::Mutex<std::collections::HashMap<String, Verified>>,
}

/// A verified token's claims and the moments (Unix seconds) between which it is valid.
#[derive(Clone)]
struct Verified {
    claims: Claims,
    from: i64,
    until: i64,
}

/// Tokens kept at most; past it the set starts again (a few hundred bytes each).
const KEPT_TOKENS: usize = 4096;

impl VerifiedTokens {
    /// [`verify`], answered from the tokens verified lately when `token` is one of them.
    pub fn verify(&self, config: &AuthConfig, token: &str) -> Result<Claims, String> {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|kept| kept.get(token).cloned());
        if let Some(verified) = kept
            && (verified.from..=verified.until).contains(&now)
        {
            return Ok(verified.claims);
        }
        let (claims, from, until) = verify_with_window(config, token)?;
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= KEPT_TOKENS {
                kept.clear();
            }
            let verified = Verified {
                claims: claims.clone(),
                from,
                until,
            };
            kept.insert(token.to_string(), verified);
        }
        Ok(claims)
    }
}

/// Verifies `token` against the trusted issuers; the error says why it was refused (safe to
/// send: it never includes key material).
pub fn verify(config: &AuthConfig, token: &str) -> Result<Claims, String> {
    verify_with_window(config, token).map(|(claims, _, _)| claims)
}

/// [`verify`], with the first and last moment (Unix seconds, leeway included) the token is
/// valid at.
fn verify_with_window(config: &AuthConfig, token: &str) -> Result<(Claims, i64, i64), String> {
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
            Ok(data) => {
                let leeway = issuer.leeway_seconds as i64;
                let moment = |claim: &str| data.claims.get(claim).and_then(Value::as_f64);
                let from = moment("nbf").map_or(i64::MIN, |nbf| nbf as i64 - leeway);
                // `exp` is required, so it is there; without it nothing is kept for long.
                let until = moment("exp").map_or(i64::MIN, |exp| exp as i64 + leeway);
                return claims(issuer, data.claims).map(|claims| (claims, from, until));
            }
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

#[cfg(test)]
mod tests {
    use super::{AuthConfig, Claims, Role, Verified, VerifiedTokens};

    fn kept(tokens: &VerifiedTokens, token: &str, from: i64, until: i64) {
        let claims = Claims {
            issuer: "kept".into(),
            org: "zilveren-kruis".into(),
            role: Role::Editor,
            subject: None,
            token_id: None,
        };
        let verified = Verified {
            claims,
            from,
            until,
        };
        tokens.kept.lock().unwrap().insert(token.into(), verified);
    }

    #[test]
    fn a_kept_token_counts_only_within_its_own_validity() {
        let config = AuthConfig::development();
        let tokens = VerifiedTokens::default();
        let now = jsonwebtoken::get_current_timestamp() as i64;
        // Not a token at all: only the kept claims can make it pass.
        kept(&tokens, "valid-now", now - 10, now + 10);
        kept(&tokens, "expired", now - 20, now - 10);
        kept(&tokens, "not-yet", now + 10, now + 20);
        assert_eq!(
            tokens.verify(&config, "valid-now").unwrap().org,
            "zilveren-kruis"
        );
        assert!(tokens.verify(&config, "expired").is_err());
        assert!(tokens.verify(&config, "not-yet").is_err());
    }

    #[test]
    fn a_verified_token_is_kept_and_a_refused_one_is_not() {
        let config = AuthConfig::development();
        let tokens = VerifiedTokens::default();
        let token = super::mint(&config, "zilveren-kruis", Role::Editor, 600).unwrap();
        let claims = tokens.verify(&config, &token).unwrap();
        assert_eq!(claims.role, Role::Editor);
        assert!(tokens.kept.lock().unwrap().contains_key(&token));
        // One character of the signature changed (one that carries whole bits).
        let at = token.len() - 10;
        let other = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{other}{}", &token[..at], &token[at + 1..]);
        assert!(tokens.verify(&config, &forged).is_err());
        assert!(!tokens.kept.lock().unwrap().contains_key(&forged));
    }
}
