//! The documented limits of both APIs, as constants, so that builders, validators and the sandbox agree.
//!
//! Sources: `max-bot-api.md` §12 (one table of MAX limits) and `onebot-api.md` §1.5.

/// MAX: requests per second per bot to the API host.
pub const MAX_REQUESTS_PER_SECOND: u32 = 30;
/// MAX: `POST /messages` per second into one chat.
pub const MAX_MESSAGES_PER_CHAT_PER_SECOND: u32 = 2;
/// MAX: `POST /answers` per second into one chat.
pub const MAX_ANSWERS_PER_CHAT_PER_SECOND: u32 = 2;
/// MAX: `GET /updates` requests per second (since 2026-05-11).
pub const MAX_POLLS_PER_SECOND: u32 = 2;

/// MAX: characters in a message or comment text.
pub const MAX_TEXT_CHARS: usize = 4000;
/// MAX: characters in a bot, user or chat description.
pub const MAX_DESCRIPTION_CHARS: usize = 16000;
/// MAX: characters in a chat title (`PATCH /chats/{id}`), at least 1.
pub const MAX_CHAT_TITLE_CHARS: usize = 200;
/// MAX: bot commands in `PATCH /me/commands`.
pub const MAX_BOT_COMMANDS: usize = 32;
/// MAX: characters in a command name, at least 1.
pub const MAX_COMMAND_NAME_CHARS: usize = 64;
/// MAX: characters in a command description, at least 1.
pub const MAX_COMMAND_DESCRIPTION_CHARS: usize = 128;

/// MAX: buttons in one inline keyboard.
pub const MAX_KEYBOARD_BUTTONS: usize = 210;
/// MAX: rows in one inline keyboard.
pub const MAX_KEYBOARD_ROWS: usize = 30;
/// MAX: buttons in one keyboard row.
pub const MAX_BUTTONS_PER_ROW: usize = 7;
/// MAX: buttons in a row that holds a `link`, `open_app`, `request_geo_location` or `request_contact` button.
pub const MAX_BUTTONS_PER_ROW_WITH_SPECIAL: usize = 3;
/// MAX: characters of a button's text, at least 1.
pub const MAX_BUTTON_TEXT_CHARS: usize = 128;
/// MAX: characters of a `callback` or `clipboard` button payload.
pub const MAX_CALLBACK_PAYLOAD_CHARS: usize = 1024;
/// MAX: characters of a `link` button URL (also `LinkMarkup.url`).
pub const MAX_URL_CHARS: usize = 2048;
/// MAX: characters of an `open_app` button payload (pattern `^[\w-]*$`).
pub const MAX_OPEN_APP_PAYLOAD_CHARS: usize = 512;
/// MAX: characters of a deep-link start payload (0.0.33 says 128; older texts 512 — 128 is the safe one).
pub const MAX_START_PAYLOAD_CHARS: usize = 128;

/// MAX: webhook secret length, at least 5 (pattern `[A-Za-z0-9_-]`).
pub const MAX_WEBHOOK_SECRET_CHARS: usize = 256;
/// MAX: webhook secret minimum length.
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 5;

/// MAX: `count` of `GET /messages` and `GET /messages/{id}/comments` (1..=100, default 50).
pub const MAX_MESSAGES_PAGE: u32 = 100;
/// MAX: `count` of `GET /chats/{id}/members` (1..=100, default 20).
pub const MAX_MEMBERS_PAGE: u32 = 100;
/// MAX: user ids in one `POST /chats/{id}/members`.
pub const MAX_ADD_MEMBERS: usize = 100;
/// MAX: admins per chat.
pub const MAX_ADMINS_PER_CHAT: usize = 50;
/// MAX: `limit` of `GET /updates` the server accepts (but it sends at most 100 per batch).
pub const MAX_UPDATES_LIMIT: u32 = 1000;
/// MAX: updates actually delivered in one batch.
pub const MAX_UPDATES_BATCH: u32 = 100;
/// MAX: `timeout` of `GET /updates` in seconds the server accepts (it holds at most 30).
pub const MAX_UPDATES_TIMEOUT_SECS: u32 = 90;

/// OneBot: requests per second per token (120 per minute).
pub const ONEBOT_REQUESTS_PER_SECOND: u32 = 2;
/// OneBot: `count` of `getContacts`.
pub const ONEBOT_CONTACTS_PAGE: u32 = 500;

/// MAX: bytes of an image upload (50 MB; the base of "MB" is not documented, so the larger, binary reading is
/// used and no file the server would take is refused). Images must also be ≤ 7680×7680 px, which needs decoding
/// and is not checked.
pub const MAX_IMAGE_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
/// MAX: bytes of a video upload (250 MB, binary reading as for images).
pub const MAX_VIDEO_UPLOAD_BYTES: u64 = 250 * 1024 * 1024;
/// MAX: bytes of an audio upload (256 MB, binary reading; audio must also be ≤ 60 min, not checked).
pub const MAX_AUDIO_UPLOAD_BYTES: u64 = 256 * 1024 * 1024;
/// MAX: bytes of a file upload (4 GB, binary reading).
pub const MAX_FILE_UPLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// MAX: how long a webhook may take to answer a delivery with 200 before it counts as failed (§7).
pub const MAX_WEBHOOK_ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// MAX: retries of a webhook delivery that failed (§7); after them the update is given up.
pub const MAX_WEBHOOK_RETRIES: u32 = 10;
/// MAX: the wait before the first retry of a failed webhook delivery (§7: 60 s, 150 s, 375 s, …).
pub const MAX_WEBHOOK_FIRST_RETRY: std::time::Duration = std::time::Duration::from_secs(60);
/// MAX: each webhook retry waits this many times longer than the one before (§7).
pub const MAX_WEBHOOK_RETRY_FACTOR: f64 = 2.5;

/// The wait before webhook retry number `retry` (1-based) when the first one waits `first`: the platform's
/// schedule `first × 2.5^(retry-1)` ([`MAX_WEBHOOK_FIRST_RETRY`] for the platform itself; a shorter `first`
/// for test servers and local forwarders). Saturates at [`std::time::Duration::MAX`].
///
/// ```
/// use std::time::Duration;
/// use botwire_core_types::limits::{MAX_WEBHOOK_FIRST_RETRY, max_webhook_retry_wait};
///
/// assert_eq!(max_webhook_retry_wait(MAX_WEBHOOK_FIRST_RETRY, 1), Duration::from_secs(60));
/// assert_eq!(max_webhook_retry_wait(MAX_WEBHOOK_FIRST_RETRY, 3), Duration::from_secs(375));
/// assert_eq!(max_webhook_retry_wait(Duration::from_secs(1), 2), Duration::from_millis(2500));
/// ```
pub fn max_webhook_retry_wait(first: std::time::Duration, retry: u32) -> std::time::Duration {
    let exp = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
    std::time::Duration::try_from_secs_f64(first.as_secs_f64() * MAX_WEBHOOK_RETRY_FACTOR.powi(exp))
        .unwrap_or(std::time::Duration::MAX)
}
