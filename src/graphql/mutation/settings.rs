use async_graphql::{Context, ErrorExtensions, Object, Result};

use crate::{
    graphql::{request_scope, types::Settings},
    service::settings::{self, UpdateSettingsInput},
};

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Changes the caller's settings. Each id must name one of the caller's own rows (else
    /// NOT_FOUND).
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSettingsInput,
    ) -> Result<Settings> {
        let scope = request_scope(ctx)?.service();
        settings::update(scope, input)
            .await
            .map(Settings)
            .map_err(|e| e.extend())
    }

    /// Clears every default of the caller's settings.
    async fn reset_settings(&self, ctx: &Context<'_>) -> Result<Settings> {
        let scope = request_scope(ctx)?.service();
        settings::reset(scope)
            .await
            .map(Settings)
            .map_err(|e| e.extend())
    }
}
