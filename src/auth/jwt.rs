//! JWT bearer tokens (jsonwebtoken). The algorithm is pinned by configuration: tokens in any other
//! algorithm (`none` included) are refused. `exp` and `sub` are required; `iss` and `aud` are
//! checked when configured. `sub` is the account's username.

/// Seconds of clock drift allowed between Parley and whoever issued a token.
pub const JWT_LEEWAY_SECONDS: u64 = 5;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::{
    config::{ConfigError, JwtAlgorithm, JwtSettings},
    error::{AppError, AppResult},
};

pub struct Jwt {
    algorithm: Algorithm,
    decoding: DecodingKey,
    /// Present when Parley signs tokens itself (HS256).
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    pub ttl_seconds: u64,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

#[derive(Deserialize)]
struct Subject {
    sub: String,
}

impl Jwt {
    pub fn new(settings: &JwtSettings) -> Result<Self, ConfigError> {
        let key_error = |message: String| ConfigError {
            key: "PARLEY_JWT_PUBLIC_KEY",
            message,
        };
        let (algorithm, decoding, encoding) = match settings.algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = settings.secret.as_deref().ok_or(ConfigError {
                    key: "PARLEY_JWT_SECRET",
                    message: "HS256 needs a secret".into(),
                })?;
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.as_bytes()),
                    Some(EncodingKey::from_secret(secret.as_bytes())),
                )
            }
            JwtAlgorithm::Rs256 | JwtAlgorithm::Es256 => {
                let pem = settings
                    .public_key_pem
                    .as_deref()
                    .ok_or_else(|| key_error("RS256/ES256 need a public key".into()))?;
                let (algorithm, decoding) = if settings.algorithm == JwtAlgorithm::Rs256 {
                    (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes()))
                } else {
                    (Algorithm::ES256, DecodingKey::from_ec_pem(pem.as_bytes()))
                };
                let decoding = decoding.map_err(|e| key_error(format!("not a usable key: {e}")))?;
                (algorithm, decoding, None)
            }
        };
        let mut validation = Validation::new(algorithm);
        let mut required = vec!["exp", "sub"];
        match &settings.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        // A token is refused from the moment it expires and before its `nbf`, give or take the
        // clocks' drift (jsonwebtoken's default leeway is a minute).
        validation.leeway = JWT_LEEWAY_SECONDS;
        validation.validate_nbf = true;
        Ok(Jwt {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_seconds: settings.ttl_seconds,
        })
    }

    /// Whether Parley signs tokens itself (HS256) rather than accepting an identity provider's.
    pub fn signs(&self) -> bool {
        self.encoding.is_some()
    }

    /// The username a valid token names; UNAUTHENTICATED for anything else.
    pub fn verify(&self, token: &str) -> AppResult<String> {
        decode::<Subject>(token, &self.decoding, &self.validation)
            .map(|data| data.claims.sub)
            .map_err(|e| AppError::Unauthenticated(format!("invalid token: {e}")))
    }

    /// A token for `username`, when Parley holds the signing key (HS256).
    pub fn issue(&self, username: &str) -> AppResult<String> {
        let Some(key) = &self.encoding else {
            return Err(AppError::Forbidden("forbidden".into()));
        };
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            iat: now,
            exp: now + self.ttl_seconds,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(self.algorithm), &claims, key).map_err(AppError::internal)
    }
}
