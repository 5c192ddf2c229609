//! `/subscriptions`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use botwire_core_types::max::SubscriptionRequestBody;
use serde_json::json;

use crate::updates::WebhookTarget;

use super::{Handled, Query, Shared, WorldError, decode, enforce, reply, success};

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Handled {
    reply(json!({ "subscriptions": shared.world().subscriptions() }))
}

/// `http://` on a loopback host (`127.0.0.1`, `localhost`, `[::1]`), any port.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    matches!(host, "localhost" | "::1")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) async fn subscribe(State(shared): State<Arc<Shared>>, body: Bytes) -> Handled {
    let body: SubscriptionRequestBody = decode(&body)?;
    if shared.loopback_webhooks.load(Ordering::Relaxed) && is_loopback_http(&body.url) {
        // Everything but the scheme and port is checked as the platform checks it.
        let mut as_https = body.clone();
        as_https.url = "https://sandbox.invalid/".into();
        enforce(as_https.validate())?;
    } else {
        enforce(body.validate()).map_err(|e| {
            if shared.loopback_webhooks.load(Ordering::Relaxed) {
                e
            } else {
                WorldError::bad_request(format!(
                    "{} (run the sandbox with --webhook-loopback to deliver to http://127.0.0.1)",
                    e.message
                ))
            }
        })?;
    }
    shared.world().subscribe(&body);
    // As on the platform, a subscription turns long polling off and pushes updates to the URL, retrying a failed
    // delivery 10 times from 60 s, growing ×2.5, and unsubscribing after 8 hours, on the sandbox clock.
    let first_retry = {
        let world = shared.world();
        world
            .clock()
            .real(botwire_core_types::limits::MAX_WEBHOOK_FIRST_RETRY)
    }
    .mul_f64(shared.updates.time_scale());
    shared.updates.set_webhook_for(
        Some(WebhookTarget {
            url: body.url.clone(),
            secret: body.secret.clone(),
            retries: botwire_core_types::limits::MAX_WEBHOOK_RETRIES,
            first_retry,
        }),
        body.update_types.clone().unwrap_or_default(),
    );
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
