//! Webhook subscriptions.

use botwire_core_types::max::{GetSubscriptionsResult, SubscriptionRequestBody};
use botwire_transport::HttpRequest;
use http::Method;

use super::non_blank;
use crate::endpoint::{RequestBuilder, json_output, simple_output};
use crate::{Config, Endpoint, Error};

/// `GET /subscriptions` — the active webhook subscriptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetSubscriptions;

impl Endpoint for GetSubscriptions {
    type Output = GetSubscriptionsResult;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::new(config, Method::GET, "/subscriptions").build()
    }

    json_output!();
}

/// `POST /subscriptions` — delivers updates to a webhook instead of long polling (the two exclude each other).
///
/// The URL must be `https://` on port 443; the secret 5–256 characters of `[A-Za-z0-9_-]` — checked before
/// sending. Calling again for the same URL updates the subscription, so the request is marked safe to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// URL, update types, secret.
    pub body: SubscriptionRequestBody,
}

impl Subscribe {
    /// Subscribes with `body`.
    pub fn new(body: SubscriptionRequestBody) -> Self {
        Self { body }
    }
}

impl Endpoint for Subscribe {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        self.body.validate()?;
        RequestBuilder::new(config, Method::POST, "/subscriptions")
            .idempotent(true)
            .json(&self.body)?
            .build()
    }

    simple_output!();
}

/// `DELETE /subscriptions?url=…` — removes the webhook subscription of `url`; long polling works again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The subscribed URL.
    pub url: String,
}

impl Unsubscribe {
    /// Unsubscribes `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

impl Endpoint for Unsubscribe {
    type Output = ();

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        non_blank("url", &self.url)?;
        RequestBuilder::new(config, Method::DELETE, "/subscriptions")
            .query("url", &self.url)
            .build()
    }

    simple_output!();
}
