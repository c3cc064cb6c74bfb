//! The issuers the service trusts now, replaceable while it runs.
//!
//! Identity providers rotate their keys: a partner publishes a new JWKS and, a while later,
//! stops signing with the old key. An operator then updates the configuration file and sends
//! the process `SIGHUP` (`systemctl reload`); the service reads the file again and trusts
//! exactly what it says from the next request on, without dropping a connection. A file that
//! does not read as a valid configuration changes nothing: the service keeps what it had and
//! logs why.
//!
//! The tokens verified lately ([`VerifiedTokens`]) belong to the configuration they were
//! verified under and go with it, so a token of a key just removed is refused at once, not
//! when it would have dropped out of the cache.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use super::config::{AnonymousAccess, AuthConfig};
use super::token::{Claims, VerifiedTokens};

/// A configuration and the tokens verified under it.
struct Trusted {
    config: Arc<AuthConfig>,
    tokens: VerifiedTokens,
}

/// The configuration in force (see the module documentation).
pub struct Trust {
    now: RwLock<Arc<Trusted>>,
    source: Option<Source>,
}

/// Where the configuration was read from, to read it again.
struct Source {
    path: PathBuf,
    /// What `--anonymous` said, which overrides the file at every reading.
    anonymous: Option<AnonymousAccess>,
}

impl Trust {
    /// Trusts `config` for good: there is nothing to read again.
    pub fn fixed(config: AuthConfig) -> Self {
        Trust {
            now: RwLock::new(Arc::new(Trusted::new(config))),
            source: None,
        }
    }

    /// Trusts what the file at `path` says, `anonymous` (from the command line) overriding
    /// its `anonymous` setting now and at every [`reload`](Self::reload).
    pub fn from_file(path: PathBuf, anonymous: Option<AnonymousAccess>) -> Result<Self, String> {
        let source = Source { path, anonymous };
        let config = source.read()?;
        Ok(Trust {
            now: RwLock::new(Arc::new(Trusted::new(config))),
            source: Some(source),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<AuthConfig> {
        self.current().config.clone()
    }

    /// Verifies `token` against the configuration in force (see `token::verify`).
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let trusted = self.current();
        trusted.tokens.verify(&trusted.config, token)
    }

    /// Reads the file again and trusts what it says from now on; on an error, nothing
    /// changes. `Ok(false)`: the configuration did not come from a file.
    pub fn reload(&self) -> Result<bool, String> {
        let Some(source) = &self.source else {
            return Ok(false);
        };
        self.replace(source.read()?);
        Ok(true)
    }

    /// Trusts `config` from now on, forgetting the tokens verified under the one before.
    pub fn replace(&self, config: AuthConfig) {
        *self.now.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Trusted::new(config));
    }

    fn current(&self) -> Arc<Trusted> {
        self.now
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Trusted {
    fn new(config: AuthConfig) -> Self {
        Trusted {
            config: Arc::new(config),
            tokens: VerifiedTokens::default(),
        }
    }
}

impl Source {
    fn read(&self) -> Result<AuthConfig, String> {
        let mut config = AuthConfig::from_file(&self.path)?;
        if let Some(anonymous) = self.anonymous {
            config.anonymous = anonymous;
        }
        Ok(config)
    }
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("config", &self.config())
            .field("file", &self.source.as_ref().map(|s| &s.path))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Trust;
    use crate::auth::config::AuthConfig;
    use crate::auth::token;
    use crate::auth::viewer::Role;

    #[test]
    fn a_replaced_configuration_forgets_the_tokens_verified_under_the_one_before() {
        let development = AuthConfig::development();
        let minted = token::mint(&development, "gemeente-haarlem", Role::Editor, 600).unwrap();
        let trust = Trust::fixed(development);
        assert!(trust.verify(&minted).is_ok());
        trust.replace(AuthConfig::locked());
        assert!(
            trust.verify(&minted).is_err(),
            "verified again, and refused"
        );
        assert_eq!(trust.reload(), Ok(false), "nothing to read again");
    }
}
