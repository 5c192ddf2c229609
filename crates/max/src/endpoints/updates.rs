use std::time::Duration;

use botwire_core_types::ValidationError;
use botwire_core_types::limits::{MAX_UPDATES_LIMIT, MAX_UPDATES_TIMEOUT_SECS};
use botwire_core_types::max::{UpdateList, UpdateType};
use botwire_transport::HttpRequest;
use http::Method;

use crate::endpoint::{RequestBuilder, json_output};
use crate::{Config, Endpoint, Error};

/// How much longer than the server's hold the client waits, so a held poll is never cut by the client timer.
pub(crate) const POLL_TIMEOUT_MARGIN: Duration = Duration::from_secs(15);

/// `GET /updates` — one long-poll request. For a loop that keeps the marker, backs off and survives malformed
/// updates, use `blocking::Client::updates` or `Client::updates` ([`crate::polling`]).
///
/// The response is decoded strictly into [`UpdateList`] (one malformed element fails the call); the polling loop
/// decodes leniently instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetUpdates {
    /// Maximum updates to return, 1–1000 (the server sends at most 100). Default (unset): 100.
    pub limit: Option<u32>,
    /// Seconds to hold the request while there is nothing to return, 0–90 (the server holds at most 30).
    /// Default (unset): 30.
    pub timeout: Option<u32>,
    /// The marker of the previous answer; passing it commits every earlier update.
    pub marker: Option<i64>,
    /// Only these update types (comma-separated on the wire); empty = all.
    pub types: Vec<UpdateType>,
}

impl GetUpdates {
    /// A request with the server's defaults.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Endpoint for GetUpdates {
    type Output = UpdateList;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        if let Some(limit) = self.limit {
            ValidationError::check_range("limit", limit.into(), 1, MAX_UPDATES_LIMIT.into())?;
        }
        if let Some(timeout) = self.timeout {
            ValidationError::check_range(
                "timeout",
                timeout.into(),
                0,
                MAX_UPDATES_TIMEOUT_SECS.into(),
            )?;
        }
        let hold = Duration::from_secs(self.timeout.unwrap_or(30).into());
        RequestBuilder::new(config, Method::GET, "/updates")
            .query_opt("limit", self.limit)
            .query_opt("timeout", self.timeout)
            .query_opt("marker", self.marker)
            .query_list("types", &self.types)
            .timeout(hold + POLL_TIMEOUT_MARGIN)
            .build()
    }

    json_output!();
}
