//! The errors a handler, a storage and a runner report.

use crate::dialogue::StorageError;

/// Any error a handler returns (`?` works on every `std::error::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a handler returns.
pub type HandlerResult = Result<(), BoxError>;

/// Why an update was not handled cleanly; given to the error hook with the update.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The handler (or a middleware) returned an error.
    #[error("handler failed: {0}")]
    Handler(BoxError),
    /// The handler panicked; the message is the panic's payload when it was a string.
    #[error("handler panicked: {0}")]
    Panic(String),
    /// A reply the handler queued could not be sent.
    #[error("a queued reply failed: {0}")]
    Api(#[from] botwire_max::Error),
    /// Reading or writing the dialogue state failed.
    #[error("dialogue storage failed: {0}")]
    Storage(#[from] StorageError),
}

/// Why a runner stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A fatal API error: a bad token (401/403), an active webhook while long polling (405), or `GET /me`
    /// failing at start.
    #[error("MAX API: {0}")]
    Api(#[from] botwire_max::Error),
    /// The router has async handlers, which the blocking runner cannot run.
    #[error(
        "the router has async handlers ({0}); the blocking runner runs only plain-function handlers"
    )]
    AsyncHandlers(String),
    /// Binding or serving the webhook failed.
    #[error("webhook server: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
