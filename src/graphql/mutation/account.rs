use async_graphql::{Context, ErrorExtensions, Object, Result};

use crate::{
    auth::{Authenticator, ClientAddress, IssuedToken, api_key::create_api_key},
    graphql::{
        request_scope,
        types::{ApiKey, AuthPayload, NewApiKey},
    },
};

#[derive(Default)]
pub struct AccountMutation;

fn payload(token: IssuedToken) -> AuthPayload {
    AuthPayload {
        access_token: token.access_token,
        token_type: "bearer".into(),
        expires_in: token.expires_in,
    }
}

/// What `register` and `login` work with: the authenticator and the client's address.
fn anonymous<'a>(ctx: &Context<'a>) -> Result<(&'a Authenticator, Option<ClientAddress>)> {
    Ok((
        ctx.data::<Authenticator>()?,
        ctx.data_opt::<ClientAddress>().copied(),
    ))
}

#[Object]
impl AccountMutation {
    /// Creates an account (multi-user mode) and answers a token for it. Needs no credentials.
    async fn register(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AuthPayload> {
        let (auth, client) = anonymous(ctx)?;
        let issued = auth.register(&username, &password, client).await;
        issued.map(payload).map_err(|e| e.extend())
    }

    /// A token for an account's username and password. Needs no credentials.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AuthPayload> {
        let (auth, client) = anonymous(ctx)?;
        let issued = auth.login(&username, &password, client).await;
        issued.map(payload).map_err(|e| e.extend())
    }

    /// A new API key for the caller's account; the key is in the answer, and only there.
    async fn create_api_key(&self, ctx: &Context<'_>, name: String) -> Result<NewApiKey> {
        let scope = request_scope(ctx)?;
        let (row, key) = create_api_key(scope.db, scope.principal.account_id, &name)
            .await
            .map_err(|e| e.extend())?;
        Ok(NewApiKey {
            key,
            api_key: ApiKey(row),
        })
    }

    /// Revokes one of the caller's keys: it stops working at once.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: i32) -> Result<ApiKey> {
        let scope = request_scope(ctx)?;
        let auth = ctx.data::<Authenticator>()?;
        auth.api_keys
            .revoke(scope.principal, id)
            .await
            .map(ApiKey)
            .map_err(|e| e.extend())
    }
}
