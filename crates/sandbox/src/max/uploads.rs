//! `POST /uploads` and the upload host `POST /upload/{type}/{id}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use botwire_core_types::max::UploadType;
use http::header;
use serde_json::json;

use super::world::UploadReply;
use super::{Handled, Query, Shared, WorldError, multipart, reply};

/// The largest upload request body accepted: MAX's 4 GB file limit plus room for the multipart envelope.
pub(super) const MAX_BODY: usize = 4_000_000_000 + 64 * 1024;

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

/// `Content-Range: bytes <start>-<end>/<total>`.
fn content_range(raw: &str) -> Option<(u64, u64, u64)> {
    let rest = raw.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    ))
}

/// The file name of a raw upload: `X-File-Name`, else `Content-Disposition`'s `filename`.
fn raw_filename(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    text("x-file-name").map(str::to_owned).or_else(|| {
        let cd = text("content-disposition")?;
        let at = cd.find("filename=")? + "filename=".len();
        Some(
            cd[at..]
                .trim_matches(|c| c == '"' || c == ' ' || c == ';')
                .to_owned(),
        )
    })
}

fn host_answer(answer: UploadReply) -> Response {
    match answer {
        UploadReply::Json(v) => axum::Json(v).into_response(),
        UploadReply::Xml(xml) => {
            ([(header::CONTENT_TYPE, "text/xml; charset=UTF-8")], xml).into_response()
        }
    }
}

fn slot(raw_kind: &str, raw_id: &str) -> Result<(UploadType, u64), WorldError> {
    let kind = upload_type(raw_kind)?;
    let id: u64 = raw_id
        .parse()
        .map_err(|_| WorldError::not_found(format!("Upload {raw_kind}/{raw_id} not found")))?;
    Ok((kind, id))
}

/// `GET <upload url>`: the status of a resumable upload (§9.2).
pub(super) async fn status(
    State(shared): State<Arc<Shared>>,
    Path((raw_kind, raw_id)): Path<(String, String)>,
) -> Handled {
    let (kind, id) = slot(&raw_kind, &raw_id)?;
    reply(shared.world().upload_status(&kind, id)?)
}

/// `POST <upload url>`, both protocols of §9.2: `multipart/form-data` with the file in field `data` (one
/// request), or the raw bytes in any other content type, whole or in `Content-Range` chunks (resumable; each
/// chunk but the one completing the file is answered with the range received, as text).
pub(super) async fn receive(
    State(shared): State<Arc<Shared>>,
    Path((raw_kind, raw_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Handled {
    let (kind, id) = slot(&raw_kind, &raw_id)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = multipart::boundary(content_type) else {
        let filename = raw_filename(&headers);
        let range = headers
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok());
        let Some(raw_range) = range else {
            // The raw bytes of the whole file in one request.
            let answer = shared
                .world()
                .complete_upload_bytes(&kind, id, filename, &body)?;
            return Ok(host_answer(answer));
        };
        let (start, end, total) = content_range(raw_range).ok_or_else(|| {
            WorldError::bad_request(format!("Malformed Content-Range: {raw_range}"))
        })?;
        if u64::try_from(body.len()).ok() != end.checked_sub(start).map(|n| n + 1) {
            return Err(WorldError::bad_request(format!(
                "Content-Range {raw_range} announces {} bytes, the body has {}",
                end.saturating_sub(start) + 1,
                body.len()
            )));
        }
        let answer = shared
            .world()
            .receive_chunk(&kind, id, filename, (start, end, total))?;
        return Ok(match answer {
            Some(done) => host_answer(done),
            None => (
                [(header::CONTENT_TYPE, "text/plain")],
                format!("{start}-{end}/{total}"),
            )
                .into_response(),
        });
    };
    let parts = multipart::parse(&body, &boundary)
        .map_err(|e| WorldError::bad_request(format!("Malformed multipart body: {e}")))?;
    let data = parts
        .iter()
        .find(|p| p.name.as_deref() == Some("data"))
        .ok_or_else(|| WorldError::bad_request("No `data` field in the multipart body"))?;
    let answer =
        shared
            .world()
            .complete_upload_bytes(&kind, id, data.filename.clone(), data.data)?;
    Ok(host_answer(answer))
}
