use botwire_core_types::onebot::Account;
use botwire_transport::HttpRequest;

use crate::endpoint::{RequestBuilder, json_output};
use crate::{Config, Endpoint, Error};

/// `GET getMe` — the account that owns the token. A cheap way to check the token and the PRO plan.
///
/// Confidence: medium (MindCloud's LEADTEX schema and a Watbot docs copy; no OneBot example exists).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetMe;

impl Endpoint for GetMe {
    type Output = Account;

    fn request(&self, config: &Config) -> Result<HttpRequest, Error> {
        RequestBuilder::get(config, "getMe").build()
    }

    json_output!(data);
}
