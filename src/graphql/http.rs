//! GraphQL over HTTP: `GET` and `POST /graphql`, answered as the GraphQL over HTTP specification
//! says (content negotiation, request errors, 401/405/415).

use async_graphql_axum::{GraphQLRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    extract::{FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{
    AppState, auth,
    error::{AppError, ErrorCode},
    graphql,
};

/// `POST /graphql`: identify the caller, then execute with its Principal and fresh loaders.
/// Without credentials only `register` and `login` can answer; anything else is 401.
/// GET /graphql: GraphiQL for a browser (a client that accepts HTML; `?query=` opens that query),
/// otherwise GraphQL over HTTP's GET, which runs queries only (a mutation is 405).
pub(crate) async fn get(State(state): State<AppState>, request: Request) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if accept.contains("text/html") {
        return crate::graphiql::page().await;
    }
    execute_over_http(state, request, true).await
}

/// `POST /graphql`. A body that is not `application/json` (or a `multipart/form-data` upload),
/// or says nothing of its type, is refused with 415, as GraphQL over HTTP says: what it holds
/// cannot be known. (`curl -d` sends `application/x-www-form-urlencoded`: add
/// `-H 'content-type: application/json'`, as the README's examples do.)
pub(crate) async fn post(State(state): State<AppState>, request: Request) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let readable = ["application/json", "multipart/form-data"]
        .iter()
        .any(|media| starts_with_ignoring_case(content_type, media));
    if !readable {
        let body = serde_json::json!({ "errors": [{
            "message": "send the request with a Content-Type: application/json (or multipart/form-data)",
            "extensions": { "code": ErrorCode::BadUserInput },
        }]});
        return (
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            axum::Json(body),
        )
            .into_response();
    }
    execute_over_http(state, request, false).await
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// One GraphQL request over HTTP (POST, or GET with `queries_only`), answered in the media type
/// the client accepts. The caller is identified from the headers before the body is read (the
/// headers are read in place, not copied: that copy showed in the profile of `{ __typename }`).
async fn execute_over_http(state: AppState, request: Request, queries_only: bool) -> Response {
    let principal = match state.auth.identify(request.headers()).await {
        Ok(principal) => principal,
        Err(err) => return err.into_response(),
    };
    let client = auth::ClientAddress::in_extensions(request.extensions());
    let graphql_response_json = accepts_graphql_response_json(request.headers());
    // async-graphql reads the operation's name of a GET from `operation_name`; the GraphQL over
    // HTTP specification (and every client) sends `operationName`.
    let operation_name = match queries_only {
        true => url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .find(|(key, _)| key == "operationName")
            .map(|(_, name)| name.into_owned()),
        false => None,
    };
    let request = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await {
        Ok(request) => {
            let mut request = request.into_inner();
            if request.operation_name.is_none() {
                request.operation_name = operation_name;
            }
            request
        }
        Err(rejection) => {
            return AppError::BadUserInput {
                message: format!("the request is not a GraphQL request: {}", rejection.0),
                field: None,
                also: Vec::new(),
            }
            .into_response();
        }
    };
    let mut request = graphql::request_data(request, &state.reader, principal);
    if let Some(client) = client {
        request = request.data(client);
    }
    let response = if queries_only {
        state.graphql.execute_query_only(request).await
    } else {
        state.graphql.execute(request).await
    };
    let not_allowed = has_error_code(&response, ErrorCode::MethodNotAllowed);
    let unauthenticated =
        principal.is_none() && has_error_code(&response, ErrorCode::Unauthenticated);
    // GraphQL over HTTP: a request error (unparsable, invalid, bad variables: no data, no path)
    // is a 400 for clients that accept application/graphql-response+json; application/json
    // clients get 200, as the specification keeps for them.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // A request error happens before execution: the GraphQL specification has no `data` entry
    // in that answer (async-graphql would write `"data": null`).
    let mut response = if request_error {
        let mut body = serde_json::json!({ "errors": response.errors });
        if !response.extensions.is_empty() {
            body["extensions"] = serde_json::json!(response.extensions);
        }
        axum::Json(body).into_response()
    } else {
        GraphQLResponse::from(response).into_response()
    };
    if unauthenticated {
        *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    } else if not_allowed {
        *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    } else if request_error && graphql_response_json {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    let content_type = if graphql_response_json {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn has_error_code(response: &async_graphql::Response, code: ErrorCode) -> bool {
    response.errors.iter().any(|error| {
        ErrorCode::of_graphql(error.extensions.as_ref().and_then(|ext| ext.get("code"))) == code
    })
}

/// Whether the client asked for `application/graphql-response+json` before (or instead of)
/// `application/json`. No Accept header, or `*/*`, means application/json.
fn accepts_graphql_response_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let position = |media: &str| accept.find(media);
    match (
        position("application/graphql-response+json"),
        position("application/json"),
    ) {
        (Some(graphql), Some(json)) => graphql < json,
        (Some(_), None) => true,
        _ => false,
    }
}
