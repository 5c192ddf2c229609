//! `POST /uploads` and the upload host `POST /upload/{type}/{id}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use botwire_core_types::max::UploadType;
use http::header;
use serde_json::json;

use super::world::UploadReply;
use super::{Handled, Query, Shared, WorldError, multipart, reply};

fn upload_type(raw: &str) -> Result<UploadType, WorldError> {
    match UploadType::from(raw) {
        UploadType::Unknown(other) => Err(WorldError::bad_request(format!(
            "Unknown upload type `{other}`: use image, video, audio or file"
        ))),
        kind => Ok(kind),
    }
}

pub(super) async fn create(State(shared): State<Arc<Shared>>, uri: Uri) -> Handled {
    let query = Query::of(&uri);
    let kind = upload_type(query.required("type")?)?;
    let (url, token) = shared.world().create_upload(kind);
    let mut v = json!({ "url": url });
    if let Some(token) = token {
        v["token"] = json!(token);
    }
    reply(v)
}

pub(super) async fn receive(
    State(shared): State<Arc<Shared>>,
    Path((raw_kind, raw_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Handled {
    let kind = upload_type(&raw_kind)?;
    let missing = || WorldError::not_found(format!("Upload {raw_kind}/{raw_id} not found"));
    let id: u64 = raw_id.parse().map_err(|_| missing())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multipart::boundary(content_type).ok_or_else(|| {
        WorldError::bad_request(
            "The sandbox accepts multipart/form-data uploads only (field `data`)",
        )
    })?;
    let parts = multipart::parse(&body, &boundary)
        .map_err(|e| WorldError::bad_request(format!("Malformed multipart body: {e}")))?;
    let data = parts
        .iter()
        .find(|p| p.name.as_deref() == Some("data"))
        .ok_or_else(|| WorldError::bad_request("No `data` field in the multipart body"))?;
    let answer =
        shared
            .world()
            .complete_upload(&kind, id, data.filename.clone(), data.data.len())?;
    Ok(match answer {
        UploadReply::Json(v) => axum::Json(v).into_response(),
        UploadReply::Xml(xml) => {
            ([(header::CONTENT_TYPE, "text/xml; charset=UTF-8")], xml).into_response()
        }
    })
}
