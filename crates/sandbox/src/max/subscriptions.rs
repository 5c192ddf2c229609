//! `/subscriptions`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use botwire_core_types::max::SubscriptionRequestBody;
use serde_json::json;

use super::{Handled, Query, Shared, decode, enforce, reply, success};

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Handled {
    reply(json!({ "subscriptions": shared.world().subscriptions() }))
}

pub(super) async fn subscribe(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let body: SubscriptionRequestBody = decode(&body)?;
    enforce(body.validate())?;
    shared.world().subscribe(&body);
    success()
}

pub(super) async fn unsubscribe(State(shared): State<Arc<Shared>>, uri: Uri) -> Handled {
    let query = Query::of(&uri);
    let url = query.required("url")?;
    if shared.world().unsubscribe(url) {
        success()
    } else {
        reply(json!({"success": false, "message": format!("No subscription for {url}")}))
    }
}
