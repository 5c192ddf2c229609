//! One type per API method. Build one, then pass it to [`Client::send`](crate::Client::send) or
//! [`blocking::Client::send`](crate::blocking::Client::send) — or call the matching convenience method.
//!
//! Every type's docs give the reference's confidence that onebot.tech serves the method (`onebot-api.md` §11).
//! Required parameters are checked in [`Endpoint::request`](crate::Endpoint::request): a missing one is an
//! [`Error::Validation`](crate::Error::Validation) and nothing is sent. Unset optional parameters are omitted,
//! never sent as `null` or `""`.

mod account;
mod contact;
mod message;
mod queue;
#[cfg(feature = "sister-only-methods")]
#[cfg_attr(docsrs, doc(cfg(feature = "sister-only-methods")))]
pub mod sister;
mod tag;
mod variable;

pub use account::GetMe;
pub use contact::{CreateOrUpdateContact, GetContacts};
pub use message::{MessageContent, MessageTarget, SendMessage, SendMessageToWhatsApp};
pub use queue::{QueueRecipient, SendMessageToQueue, new_message_id};
pub use tag::{AttachTagToContact, DetachTagFromContact, GetBotTags, GetContactTags, TagRef};
pub use variable::{DeleteContactVariable, GetContactVariables, SetContactVariable, VariableRef};

use botwire_core_types::ValidationError;

/// A required text parameter must not be empty: Laravel's `required` rule treats `""` as missing.
pub(crate) fn required(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "required (not empty)",
            "an empty string",
        ));
    }
    Ok(())
}

/// A page number, when given, counts from 1.
pub(crate) fn check_page(field: &str, page: Option<u32>) -> Result<(), ValidationError> {
    match page {
        Some(p) => ValidationError::check_range(field, p.into(), 1, u32::MAX.into()),
        None => Ok(()),
    }
}

/// `skip_serializing_if` for optional text: `None` and `""` are both left out (an empty optional can cause a
/// 500, reference §1.4).
pub(crate) fn unset(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(str::is_empty)
}

/// Implements [`Endpoint`](crate::Endpoint) for a method type that has an inherent
/// `fn validate(&self) -> Result<(), ValidationError>`.
///
/// `params` is evaluated with `$s` bound to `&self`; `data` unwraps `{"data": …}`, `plain` decodes the body
/// as is.
macro_rules! impl_endpoint {
    ($ty:ty, $verb:ident $name:literal, idempotent: $idem:expr, |$s:ident| $params:expr, $mode:ident $out:ty) => {
        impl $crate::Endpoint for $ty {
            type Output = $out;

            fn request(
                &self,
                config: &$crate::Config,
            ) -> Result<botwire_transport::HttpRequest, $crate::Error> {
                let $s = self;
                $s.validate()?;
                $crate::endpoint::RequestBuilder::$verb(config, $name)
                    .params(&$params)?
                    .idempotent($idem)
                    .build()
            }

            $crate::endpoints::output_mode!($mode);
        }
    };
}
pub(crate) use impl_endpoint;

macro_rules! output_mode {
    (data) => {
        $crate::endpoint::json_output!(data);
    };
    (plain) => {
        $crate::endpoint::json_output!();
    };
}
pub(crate) use output_mode;
