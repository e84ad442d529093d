//! Create, update and delete for the four labelled resources, one shape for all: the work is
//! `service::labelled`'s, the inputs are the resources' own (`graphql/types/<resource>.rs`).

use async_graphql::{Context, ErrorExtensions, Object, Result};
use entity::{ai_model, system_prompt, user_profile};

use crate::{
    graphql::{request_scope, types::*},
    llm::Providers,
    service::labelled::{self, Changes, Model, NewRow, Resource},
};

/// `labelled::create` as a resolver answers it.
async fn create<I: NewRow, O: From<Model<I::Entity>>>(ctx: &Context<'_>, input: I) -> Result<O> {
    let scope = request_scope(ctx)?.service();
    labelled::create(scope, ctx.data::<Providers>()?, input)
        .await
        .map(O::from)
        .map_err(|e| e.extend())
}

/// `labelled::update` as a resolver answers it.
async fn update<I: Changes, O: From<Model<I::Entity>>>(
    ctx: &Context<'_>,
    id: i32,
    input: I,
) -> Result<O> {
    let scope = request_scope(ctx)?.service();
    labelled::update(scope, ctx.data::<Providers>()?, id, input)
        .await
        .map(O::from)
        .map_err(|e| e.extend())
}

/// `labelled::delete` as a resolver answers it.
async fn delete<E: Resource>(ctx: &Context<'_>, id: i32) -> Result<bool> {
    let scope = request_scope(ctx)?.service();
    labelled::delete::<E>(scope, id)
        .await
        .map(|()| true)
        .map_err(|e| e.extend())
}

/// A resource's mutation part: `create…(input)` and `update…(id, input)`, and `delete…(id)` with
/// its description unless the resource deletes in its own way.
macro_rules! labelled_mutations {
    ($part:ident, $object:ident, $create:ident($new:ident), $update:ident($changes:ident)
     $(, $entity:path, $delete:ident, $delete_doc:literal)?) => {
        #[derive(Default)]
        pub struct $part;

        #[Object]
        impl $part {
            async fn $create(&self, ctx: &Context<'_>, input: $new) -> Result<$object> {
                create(ctx, input).await
            }

            async fn $update(&self, ctx: &Context<'_>, id: i32, input: $changes) -> Result<$object> {
                update(ctx, id, input).await
            }

            $(#[doc = $delete_doc]
            async fn $delete(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
                delete::<$entity>(ctx, id).await
            })?
        }
    };
}

labelled_mutations!(
    CharacterWrites,
    Character,
    create_character(CreateCharacterInput),
    update_character(UpdateCharacterInput)
);
labelled_mutations!(
    UserProfileMutation,
    UserProfile,
    create_user_profile(CreateUserProfileInput),
    update_user_profile(UpdateUserProfileInput),
    user_profile::Entity,
    delete_user_profile,
    " Deletes the profile; sessions that used it keep going without one."
);
labelled_mutations!(
    AiModelMutation,
    AiModel,
    create_ai_model(CreateAiModelInput),
    update_ai_model(UpdateAiModelInput),
    ai_model::Entity,
    delete_ai_model,
    " Deletes the model; sessions that used it keep going without one."
);
labelled_mutations!(
    SystemPromptMutation,
    SystemPrompt,
    create_system_prompt(CreateSystemPromptInput),
    update_system_prompt(UpdateSystemPromptInput),
    system_prompt::Entity,
    delete_system_prompt,
    " Deletes the prompt; sessions that used it keep going without one."
);
