//! Integration tests over real HTTP. One test binary (one link step) with a module per concern.

mod attacks;
mod auth;
mod bad_input;
mod cards;
mod concurrency;
mod crash;
mod crud;
mod dataloader;
mod fresh_start;
mod helpers;
mod isolation;
mod metrics;
mod model_server;
mod multi_user;
mod openapi;
mod operability;
mod origin_clients;
mod origin_tests;
mod pagination;
mod readme_claims;
mod replies;
mod rest_a;
mod rest_b;
mod rows;
mod schema;
mod tally;
