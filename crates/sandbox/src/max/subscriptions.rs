//! `/subscriptions`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use botwire_core_types::max::SubscriptionRequestBody;
use serde_json::json;

use crate::updates::WebhookTarget;

use super::{Handled, Query, Shared, decode, enforce, reply, success};

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Handled {
    reply(json!({ "subscriptions": shared.world().subscriptions() }))
}

pub(super) async fn subscribe(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let body: SubscriptionRequestBody = decode(&body)?;
    enforce(body.validate())?;
    shared.world().subscribe(&body);
    // As on the platform, a subscription turns long polling off and pushes updates to the URL, retrying a failed
    // delivery 10 times from 60 s, growing ×2.5 (times scaled like the hub's).
    let scale = shared.updates.time_scale();
    shared.updates.set_webhook(Some(WebhookTarget {
        url: body.url.clone(),
        secret: body.secret.clone(),
        retries: 10,
        first_retry: std::time::Duration::from_secs(60).mul_f64(scale),
    }));
    success()
}

pub(super) async fn unsubscribe(State(shared): State<Arc<Shared>>, uri: Uri) -> Handled {
    let query = Query::of(&uri);
    let url = query.required("url")?;
    if shared.world().unsubscribe(url) {
        if shared.updates.webhook().is_some_and(|w| w.url == url) {
            shared.updates.set_webhook(None);
        }
        success()
    } else {
        reply(json!({"success": false, "message": format!("No subscription for {url}")}))
    }
}
