//! `POST /api/batch`: record create/update/upsert/delete sub-requests run in
//! one transaction; the first failure rolls everything back.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, parse_query};
use super::error::{ApiError, ApiResult};
use super::records::{collection_of, export_record};
use crate::core::App;
use crate::core::error::Error;
use crate::core::request::HttpMeta;

/// One parsed sub-request.
struct SubRequest {
    method: String,
    collection: String,
    id: Option<String>,
    raw_query: String,
    body: Map<String, Value>,
    /// The sub-request's own headers (lower-case names), Authorization left out.
    headers: Vec<(String, String)>,
    /// Files uploaded as `requests.N.field` / `requests[N].field`.
    files: Vec<crate::core::files::Upload>,
}

fn parse_sub(v: &Value) -> Option<SubRequest> {
    let method = v.get("method")?.as_str()?.to_uppercase();
    let url = v.get("url")?.as_str()?;
    let (path, raw_query) = url.split_once('?').unwrap_or((url, ""));
    let rest = path.strip_prefix("/api/collections/")?;
    let mut parts = rest.split('/');
    let collection = parts.next()?.to_string();
    if parts.next()? != "records" {
        return None;
    }
    let id = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
    if parts.next().is_some() {
        return None;
    }
    let valid = matches!(
        (method.as_str(), id.is_some()),
        ("POST", false) | ("PUT", false) | ("PATCH", true) | ("DELETE", true)
    );
    if !valid {
        return None;
    }
    let body = v.get("body").and_then(Value::as_object).cloned().unwrap_or_default();
    // a sub-request's own Authorization header is ignored, like PocketBase:
    // every sub-request runs as the batch request's auth; its other headers
    // are set over the batch request's
    let headers = v
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
        .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
        .collect();
    Some(SubRequest { method, collection, id, raw_query: raw_query.to_string(), body, headers, files: Vec::new() })
}

fn failure(index: usize, e: ApiError) -> ApiError {
    let mut requests = Map::new();
    requests.insert(
        index.to_string(),
        json!({"code": "batch_request_failed", "message": "Batch request failed.", "response": {"status": e.status, "message": e.message, "data": e.data}}),
    );
    ApiError { status: 400, message: "Batch transaction failed.".into(), data: json!({ "requests": requests }) }
}

/// `e.request` of a sub-request: its own method, URL, params and body size,
/// the batch request's connection, headers and response.
fn sub_http(ctx: &Ctx, sub: &SubRequest) -> HttpMeta {
    let mut path = format!("/api/collections/{}/records", sub.collection);
    let mut params = vec![("collection".to_string(), sub.collection.clone())];
    if let Some(id) = &sub.id {
        path = format!("{path}/{id}");
        params.push(("id".into(), id.clone()));
    }
    let uri = if sub.raw_query.is_empty() { path.clone() } else { format!("{path}?{}", sub.raw_query) };
    let mut headers = ctx.http.headers.clone();
    for (name, value) in &sub.headers {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.clone()));
    }
    HttpMeta {
        method: sub.method.clone(),
        uri,
        path,
        raw_query: sub.raw_query.clone(),
        host: ctx.http.host.clone(),
        remote_addr: ctx.http.remote_addr.clone(),
        remote_ip: ctx.http.remote_ip.clone(),
        content_length: Value::Object(sub.body.clone()).to_string().len(),
        headers,
        params,
        response_headers: ctx.http.response_headers.clone(),
        written: Default::default(),
    }
}

fn run_one(tx: &App, ctx: &Ctx, sub: &SubRequest) -> ApiResult<Value> {
    let c = collection_of(tx, &sub.collection)?;
    let mut sub_ctx = ctx.clone();
    sub_ctx.query = std::sync::Arc::new(parse_query(&sub.raw_query));
    sub_ctx.method = sub.method.parse().unwrap_or(axum::http::Method::POST);
    sub_ctx.http = std::sync::Arc::new(sub_http(ctx, sub));
    if !sub.headers.is_empty() {
        let mut headers = (*ctx.headers).clone();
        for (name, value) in &sub.headers {
            headers.insert(name.replace('-', "_"), Value::String(value.clone()));
        }
        sub_ctx.headers = std::sync::Arc::new(headers);
    }
    let mut body = sub.body.clone();
    crate::core::files::merge_uploads(&c, &mut body, &sub.files);
    let mut req = sub_ctx.request_info(tx, body.clone());
    req.files = std::sync::Arc::new(sub.files.clone());
    req.context = "batch".into();
    let method: axum::http::Method = sub.method.parse().unwrap_or(axum::http::Method::POST);
    super::middleware::check_rate_limit(tx, &method, &sub_ctx.http.path, req.auth.as_deref(), &ctx.remote_ip)?;
    let method = match (sub.method.as_str(), &sub.id) {
        ("PUT", None) => {
            let exists =
                sub.body.get("id").and_then(Value::as_str).is_some_and(|id| tx.find_record_by_id(&c, id).is_ok());
            if exists { "PATCH" } else { "POST" }
        }
        (m, _) => m,
    };
    let answer = run_action(tx, &c, method, sub, &body, &sub_ctx, &req)?;
    // a sub-request's hook that wrote its own response answers it
    Ok(match sub_ctx.http.written() {
        Some(w) => {
            let body = serde_json::from_slice::<Value>(&w.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&w.body).into_owned()));
            json!({"status": w.status, "body": body})
        }
        None => answer,
    })
}

fn run_action(
    tx: &App,
    c: &std::sync::Arc<crate::core::collections::Collection>,
    method: &str,
    sub: &SubRequest,
    body: &Map<String, Value>,
    sub_ctx: &Ctx,
    req: &crate::core::request::RequestInfo,
) -> ApiResult<Value> {
    match method {
        "POST" => {
            let body = match tx.create_record_request(c, body, req)? {
                Some(r) => export_record(tx, r, sub_ctx, req)?,
                None => Value::Null,
            };
            Ok(json!({"status": 200, "body": body}))
        }
        "PATCH" => {
            let id = sub
                .id
                .clone()
                .or_else(|| sub.body.get("id").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            let body = match tx.update_record_request(c, &id, body, req)? {
                Some(r) => export_record(tx, r, sub_ctx, req)?,
                None => Value::Null,
            };
            Ok(json!({"status": 200, "body": body}))
        }
        _ => {
            tx.delete_record_request(c, sub.id.as_deref().unwrap_or_default(), req)?;
            Ok(json!({"status": 204, "body": null}))
        }
    }
}

/// A batch body's size limit when `batch.maxBodySize` is 0 (PocketBase's).
const DEFAULT_MAX_BODY: usize = 128 << 20;

/// `POST /api/batch`
pub async fn batch(State(st): State<AppState>, ctx: Ctx, req: axum::extract::Request) -> ApiResult<Json<Value>> {
    let settings = st.app.settings();
    if !settings.batch.enabled {
        return Err(ApiError::new(403, "Batch requests are not allowed."));
    }
    let limit = usize::try_from(settings.batch.max_body_size).ok().filter(|n| *n > 0).unwrap_or(DEFAULT_MAX_BODY);
    let body = BodyData::read(req, &st, limit).await?;
    blocking(move || {
        let app = &st.app;
        let list = body.fields.get("requests").and_then(Value::as_array).cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(Error::field(
                "Failed to read the submitted batch data.",
                "requests",
                "validation_required",
                "Cannot be blank.",
            )
            .into());
        }
        if list.len() as i64 > settings.batch.max_requests {
            return Err(Error::field(
                "Failed to read the submitted batch data.",
                "requests",
                "validation_length_too_long",
                &format!("The length must be no more than {}.", settings.batch.max_requests),
            )
            .into());
        }
        let mut subs = Vec::with_capacity(list.len());
        let uploads = body.uploads();
        for (i, v) in list.iter().enumerate() {
            let mut sub = parse_sub(v).ok_or_else(|| failure(i, ApiError::new(400, "Invalid batch request data.")))?;
            let (dotted, bracketed) = (format!("requests.{i}."), format!("requests[{i}]."));
            for (key, file) in &uploads {
                if let Some(field) = key.strip_prefix(&dotted).or_else(|| key.strip_prefix(&bracketed)) {
                    sub.files.push((field.to_string(), file.clone()));
                }
            }
            subs.push(sub);
        }
        let mut failed: Option<ApiError> = None;
        // `batch.timeout` bounds the whole transaction: its queries are
        // interrupted at the deadline, and no sub-request starts after it
        let timeout = std::time::Duration::from_secs(settings.batch.timeout.max(1) as u64);
        let deadline = std::time::Instant::now() + timeout;
        let result = crate::db::with_deadline(deadline, || {
            app.run_in_transaction(|tx| {
                let mut out = Vec::with_capacity(subs.len());
                for (i, sub) in subs.iter().enumerate() {
                    if std::time::Instant::now() >= deadline {
                        failed = Some(failure(i, ApiError::new(400, "The batch transaction timed out.")));
                        return Err(Error::BadRequest("Batch transaction failed.".into()));
                    }
                    match run_one(tx, &ctx, sub) {
                        Ok(v) => out.push(v),
                        Err(e) => {
                            failed = Some(failure(i, e));
                            return Err(Error::BadRequest("Batch transaction failed.".into()));
                        }
                    }
                }
                Ok(out)
            })
        });
        match (result, failed) {
            (Ok(out), _) => Ok(Json(Value::Array(out))),
            (Err(_), Some(f)) => Err(f),
            (Err(e), None) => Err(e.into()),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_record_routes_are_accepted() {
        let ok =
            parse_sub(&json!({"method":"PATCH","url":"/api/collections/posts/records/abc?expand=a","body":{"x":1}}))
                .expect("valid");
        assert_eq!(ok.collection, "posts");
        assert_eq!(ok.id.as_deref(), Some("abc"));
        assert_eq!(ok.raw_query, "expand=a");
        assert!(parse_sub(&json!({"method":"GET","url":"/api/collections/posts/records"})).is_none());
        assert!(parse_sub(&json!({"method":"POST","url":"/api/collections/posts/records/abc"})).is_none());
        assert!(parse_sub(&json!({"method":"POST","url":"/api/settings"})).is_none());
    }
}
