//! The documented limits of outgoing bodies, checked before anything is sent.

use super::{
    AttachmentRequest, Button, CallbackAnswer, ChatAdminPermission, ChatAdminsList, ChatPatch,
    Keyboard, MessageLinkType, NewCommentBody, NewMessageBody, NewMessageLink, PhotoRequestPayload,
    SubscriptionRequestBody, UploadType, UserIdsList,
};
use crate::ValidationError;
use crate::limits::*;

type Result = std::result::Result<(), ValidationError>;

fn check_text(text: Option<&str>) -> Result {
    match text {
        Some(t) => ValidationError::check_chars("text", t, 0, MAX_TEXT_CHARS),
        None => Ok(()),
    }
}

fn check_link(link: Option<&NewMessageLink>) -> Result {
    match link {
        Some(l) if l.mid.trim().is_empty() => Err(ValidationError::new(
            "link.mid",
            "a message id",
            "an empty string",
        )),
        _ => Ok(()),
    }
}

/// `\w` of the schema's Java regex (ASCII letters, digits, `_`) plus `-`.
fn is_word_or_dash(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl NewMessageBody {
    /// Checks the documented limits: text ≤ 4000 characters; every attachment (keyboards: ≤ 210 buttons,
    /// ≤ 30 rows, ≤ 7 per row, ≤ 3 in a row with a link/open_app/request_contact/request_geo_location button;
    /// button texts 1–128; payloads); audio, files, stickers and contacts only with at most an inline keyboard
    /// beside them.
    pub fn validate(&self) -> Result {
        check_text(self.text.as_deref())?;
        check_link(self.link.as_ref())?;
        if let Some(attachments) = &self.attachments {
            let keyboards = attachments
                .iter()
                .filter(|a| matches!(a, AttachmentRequest::InlineKeyboard(_)))
                .count();
            for (i, a) in attachments.iter().enumerate() {
                a.validate()
                    .map_err(|e| e.within(&format!("attachments[{i}]")))?;
                let alone = matches!(
                    a,
                    AttachmentRequest::Audio(_)
                        | AttachmentRequest::File(_)
                        | AttachmentRequest::Sticker(_)
                        | AttachmentRequest::Contact(_)
                );
                if alone && attachments.len() - keyboards > 1 {
                    return Err(ValidationError::new(
                        format!("attachments[{i}]"),
                        format!(
                            "the only attachment besides an inline keyboard (`{}` goes alone)",
                            a.kind()
                        ),
                        format!("{} other attachments", attachments.len() - keyboards - 1),
                    ));
                }
            }
            if keyboards > 1 {
                return Err(ValidationError::new(
                    "attachments",
                    "at most 1 inline keyboard",
                    format!("{keyboards}"),
                ));
            }
        }
        Ok(())
    }
}

impl AttachmentRequest {
    /// Checks the limits of one attachment.
    pub fn validate(&self) -> Result {
        match self {
            AttachmentRequest::Image(img) => match &img.payload {
                PhotoRequestPayload::Url { url } => {
                    ValidationError::check_chars("payload.url", url, 1, MAX_URL_CHARS)
                }
                PhotoRequestPayload::Token { token } => {
                    ValidationError::check_chars("payload.token", token, 1, usize::MAX)
                }
                PhotoRequestPayload::Photos { photos } => {
                    ValidationError::check_count("payload.photos", photos.len(), 1, usize::MAX)
                }
            },
            AttachmentRequest::Video(u)
            | AttachmentRequest::Audio(u)
            | AttachmentRequest::File(u) => {
                ValidationError::check_chars("payload.token", &u.payload.token, 1, usize::MAX)
            }
            AttachmentRequest::Sticker(s) => {
                ValidationError::check_chars("payload.code", &s.payload.code, 1, usize::MAX)
            }
            AttachmentRequest::InlineKeyboard(k) => {
                k.payload.validate().map_err(|e| e.within("payload"))
            }
            AttachmentRequest::Location(l) => {
                if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude)
                {
                    return Err(ValidationError::new(
                        "latitude/longitude",
                        "a latitude in -90..=90 and a longitude in -180..=180",
                        format!("{}, {}", l.latitude, l.longitude),
                    ));
                }
                Ok(())
            }
            AttachmentRequest::Share(s) => match (&s.payload.url, &s.payload.token) {
                (None, None) => Err(ValidationError::new(
                    "payload",
                    "a url or a token",
                    "neither",
                )),
                (Some(url), _) => {
                    ValidationError::check_chars("payload.url", url, 1, MAX_URL_CHARS)
                }
                _ => Ok(()),
            },
            AttachmentRequest::Contact(_) | AttachmentRequest::Unknown(_) => Ok(()),
        }
    }
}

impl Keyboard {
    /// Checks the keyboard limits: 1–30 rows, ≤ 210 buttons, 1–7 per row (≤ 3 when the row holds a `link`,
    /// `open_app`, `request_geo_location` or `request_contact` button), and every button.
    pub fn validate(&self) -> Result {
        let rows = self.buttons.len();
        if !(1..=MAX_KEYBOARD_ROWS).contains(&rows) {
            return Err(ValidationError::new(
                "buttons",
                format!("1 to {MAX_KEYBOARD_ROWS} rows"),
                format!("{rows} rows"),
            ));
        }
        let total: usize = self.buttons.iter().map(Vec::len).sum();
        if total > MAX_KEYBOARD_BUTTONS {
            return Err(ValidationError::new(
                "buttons",
                format!("at most {MAX_KEYBOARD_BUTTONS} buttons in all"),
                format!("{total} buttons"),
            ));
        }
        for (r, row) in self.buttons.iter().enumerate() {
            let wide = row.iter().find(|b| b.is_wide());
            let max = if wide.is_some() {
                MAX_BUTTONS_PER_ROW_WITH_SPECIAL
            } else {
                MAX_BUTTONS_PER_ROW
            };
            if !(1..=max).contains(&row.len()) {
                let why = match wide {
                    Some(b) => format!(" (the row has a `{}` button)", b.kind()),
                    None => String::new(),
                };
                return Err(ValidationError::new(
                    format!("buttons[{r}]"),
                    format!("1 to {max} buttons{why}"),
                    format!("{} buttons", row.len()),
                ));
            }
            for (c, button) in row.iter().enumerate() {
                button
                    .validate()
                    .map_err(|e| e.within(&format!("buttons[{r}][{c}]")))?;
            }
        }
        Ok(())
    }
}

impl Button {
    /// Checks one button: text 1–128; callback and clipboard payloads ≤ 1024; link URL 1–2048; open_app needs
    /// `web_app` and a payload ≤ 512 of `[A-Za-z0-9_-]`.
    pub fn validate(&self) -> Result {
        if let Some(text) = self.text() {
            ValidationError::check_chars("text", text, 1, MAX_BUTTON_TEXT_CHARS)?;
        }
        match self {
            Button::Callback(b) => {
                ValidationError::check_chars("payload", &b.payload, 0, MAX_CALLBACK_PAYLOAD_CHARS)
            }
            Button::Clipboard(b) => {
                ValidationError::check_chars("payload", &b.payload, 1, MAX_CALLBACK_PAYLOAD_CHARS)
            }
            Button::Link(b) => ValidationError::check_chars("url", &b.url, 1, MAX_URL_CHARS),
            Button::OpenApp(b) => {
                match b.web_app.as_deref() {
                    Some(w) if !w.trim().is_empty() => {}
                    _ => {
                        return Err(ValidationError::new(
                            "web_app",
                            "the bot whose mini-app to open (the server rejects a missing one)",
                            "none",
                        ));
                    }
                }
                if let Some(p) = &b.payload {
                    ValidationError::check_chars("payload", p, 0, MAX_OPEN_APP_PAYLOAD_CHARS)?;
                    if !is_word_or_dash(p) {
                        return Err(ValidationError::new(
                            "payload",
                            "only letters, digits, `_` and `-`",
                            format!("{p:?}"),
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl NewCommentBody {
    /// Checks a comment: text ≤ 4000 characters; a link may only be a reply.
    pub fn validate(&self) -> Result {
        check_text(self.text.as_deref())?;
        check_link(self.link.as_ref())?;
        if let Some(link) = &self.link
            && link.kind != MessageLinkType::Reply
        {
            return Err(ValidationError::new(
                "link.type",
                "`reply` (comments cannot be forwards)",
                link.kind.to_string(),
            ));
        }
        Ok(())
    }
}

impl CallbackAnswer {
    /// Checks an answer: a message, a notification or both, and the message's own limits.
    pub fn validate(&self) -> Result {
        if self.message.is_none() && self.notification.is_none() {
            return Err(ValidationError::new(
                "message/notification",
                "at least one of them",
                "neither",
            ));
        }
        if let Some(n) = &self.notification {
            ValidationError::check_chars("notification", n, 1, MAX_TEXT_CHARS)?;
        }
        if let Some(m) = &self.message {
            m.validate().map_err(|e| e.within("message"))?;
        }
        Ok(())
    }
}

impl ChatPatch {
    /// Checks a chat edit: title 1–200 characters, description ≤ 16000.
    pub fn validate(&self) -> Result {
        if let Some(t) = &self.title {
            ValidationError::check_chars("title", t, 1, MAX_CHAT_TITLE_CHARS)?;
        }
        if let Some(d) = &self.description {
            ValidationError::check_chars("description", d, 0, MAX_DESCRIPTION_CHARS)?;
        }
        Ok(())
    }
}

impl ChatAdminsList {
    /// Checks an admin list: 1–50 admins, unique rights, and `edit`/`delete`/`write`/`pin_message` only together
    /// with `read_all_messages` (the server refuses them otherwise).
    pub fn validate(&self) -> Result {
        ValidationError::check_count("admins", self.admins.len(), 1, MAX_ADMINS_PER_CHAT)?;
        for (i, admin) in self.admins.iter().enumerate() {
            let p = &admin.permissions;
            for (j, perm) in p.iter().enumerate() {
                if p[..j].contains(perm) {
                    return Err(ValidationError::new(
                        format!("admins[{i}].permissions"),
                        "unique rights",
                        format!("`{perm}` twice"),
                    ));
                }
            }
            let needs_read = p.iter().find(|perm| {
                matches!(
                    perm,
                    ChatAdminPermission::Edit
                        | ChatAdminPermission::Delete
                        | ChatAdminPermission::Write
                        | ChatAdminPermission::PinMessage
                )
            });
            if let Some(perm) = needs_read
                && !p.contains(&ChatAdminPermission::ReadAllMessages)
            {
                return Err(ValidationError::new(
                    format!("admins[{i}].permissions"),
                    format!("granted with `read_all_messages` when it holds `{perm}`"),
                    "no `read_all_messages`",
                ));
            }
        }
        Ok(())
    }
}

impl UserIdsList {
    /// Checks the list: 1–100 user ids.
    pub fn validate(&self) -> Result {
        ValidationError::check_count("user_ids", self.user_ids.len(), 1, MAX_ADD_MEMBERS)
    }
}

impl SubscriptionRequestBody {
    /// Checks a webhook subscription: an `https://` URL on port 443 (no other port), and a secret of 5–256
    /// characters of `[A-Za-z0-9_-]`.
    pub fn validate(&self) -> Result {
        check_webhook_url(&self.url)?;
        if let Some(secret) = &self.secret {
            check_webhook_secret(secret)?;
        }
        Ok(())
    }
}

/// Checks a webhook URL: `https://`, a host, and no port other than 443.
pub fn check_webhook_url(url: &str) -> Result {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(ValidationError::new(
            "url",
            "an https:// URL (plain HTTP is not delivered to)",
            url,
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') && h.ends_with(']') => {
            (h, Some(p))
        }
        _ => (host_port, None),
    };
    if host.is_empty() {
        return Err(ValidationError::new("url", "a URL with a host", url));
    }
    if let Some(p) = port
        && p != "443"
    {
        return Err(ValidationError::new(
            "url",
            "port 443 (the only one the platform delivers to)",
            format!("port {p}"),
        ));
    }
    Ok(())
}

/// Checks a webhook secret: 5–256 characters of `[A-Za-z0-9_-]`.
pub fn check_webhook_secret(secret: &str) -> Result {
    ValidationError::check_chars(
        "secret",
        secret,
        MIN_WEBHOOK_SECRET_CHARS,
        MAX_WEBHOOK_SECRET_CHARS,
    )?;
    if !is_word_or_dash(secret) {
        return Err(ValidationError::new(
            "secret",
            "only letters, digits, `_` and `-`",
            "other characters",
        ));
    }
    Ok(())
}

/// Checks the size of an upload of `kind` before anything is sent: image ≤ 50 MB, video ≤ 250 MB, audio ≤ 256 MB,
/// file ≤ 4 GB (MB/GB read as MiB/GiB: the docs do not say, and the larger reading never refuses a file the
/// server takes). An unknown kind is refused (the server knows only these four; `photo` is gone).
pub fn check_upload_size(kind: &UploadType, bytes: u64) -> Result {
    let (max, shown) = match kind {
        UploadType::Image => (MAX_IMAGE_UPLOAD_BYTES, "50 MB"),
        UploadType::Video => (MAX_VIDEO_UPLOAD_BYTES, "250 MB"),
        UploadType::Audio => (MAX_AUDIO_UPLOAD_BYTES, "256 MB"),
        UploadType::File => (MAX_FILE_UPLOAD_BYTES, "4 GB"),
        other => {
            return Err(ValidationError::new(
                "type",
                "one of `image`, `video`, `audio`, `file`",
                format!("`{other}`"),
            ));
        }
    };
    if bytes > max {
        return Err(ValidationError::new(
            "data",
            format!("at most {shown} ({max} bytes) for an upload of type `{kind}`"),
            format!("{bytes} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::max::ChatAdmin;

    fn kb(rows: Vec<Vec<Button>>) -> NewMessageBody {
        NewMessageBody {
            attachments: Some(vec![AttachmentRequest::inline_keyboard(Keyboard::new(
                rows,
            ))]),
            ..NewMessageBody::text("pick")
        }
    }

    #[test]
    fn text_limit() {
        assert!(NewMessageBody::text("ы".repeat(4000)).validate().is_ok());
        let err = NewMessageBody::text("ы".repeat(4001))
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`text` must be at most 4000 characters, but has 4001 characters"
        );
    }

    #[test]
    fn keyboard_limits() {
        let row = |n: usize| {
            (0..n)
                .map(|i| Button::callback(format!("b{i}"), "p"))
                .collect::<Vec<_>>()
        };
        assert!(kb(vec![row(7); 30]).validate().is_ok());
        let err = kb(vec![row(8)]).validate().unwrap_err();
        assert_eq!(err.field(), "attachments[0].payload.buttons[0]");
        let err = kb(vec![row(1); 31]).validate().unwrap_err();
        assert_eq!(err.limit(), "1 to 30 rows");
        let err = kb((0..30).map(|_| row(7)).chain([row(1)]).collect())
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "attachments[0].payload.buttons");
        let mut wide = row(3);
        wide.push(Button::link("site", "https://example.com"));
        let err = kb(vec![wide]).validate().unwrap_err();
        assert!(err.limit().starts_with("1 to 3 buttons"), "{err}");
        let err = kb(vec![vec![Button::callback("", "p")]])
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "attachments[0].payload.buttons[0][0].text");
        let err = kb(vec![vec![Button::callback("x", "p".repeat(1025))]])
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "attachments[0].payload.buttons[0][0].payload");
        let err = kb(vec![vec![Button::open_app("x", "bot", Some("a b".into()))]])
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "attachments[0].payload.buttons[0][0].payload");
        assert!(
            kb(vec![vec![Button::open_app(
                "x",
                "bot",
                Some("start-1_a".into())
            )]])
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn lonely_attachments() {
        let body = NewMessageBody {
            attachments: Some(vec![
                AttachmentRequest::file("t"),
                AttachmentRequest::image_url("https://x/y.png"),
            ]),
            ..NewMessageBody::default()
        };
        assert_eq!(body.validate().unwrap_err().field(), "attachments[0]");
        let body = NewMessageBody {
            attachments: Some(vec![
                AttachmentRequest::file("t"),
                AttachmentRequest::inline_keyboard(Keyboard::new(vec![vec![Button::message(
                    "ok",
                )]])),
            ]),
            ..NewMessageBody::default()
        };
        assert!(body.validate().is_ok());
    }

    #[test]
    fn admins_need_read_all_messages_for_write_rights() {
        let list = ChatAdminsList {
            admins: vec![ChatAdmin::new(1, vec![ChatAdminPermission::Write])],
        };
        assert_eq!(
            list.validate().unwrap_err().field(),
            "admins[0].permissions"
        );
        let list = ChatAdminsList {
            admins: vec![ChatAdmin::new(
                1,
                vec![
                    ChatAdminPermission::ReadAllMessages,
                    ChatAdminPermission::Write,
                ],
            )],
        };
        assert!(list.validate().is_ok());
    }

    #[test]
    fn webhook_rules() {
        assert!(check_webhook_url("https://bot.example.com/hook").is_ok());
        assert!(check_webhook_url("https://bot.example.com:443/hook").is_ok());
        assert_eq!(
            check_webhook_url("http://bot.example.com/hook")
                .unwrap_err()
                .field(),
            "url"
        );
        assert_eq!(
            check_webhook_url("https://bot.example.com:8443/x")
                .unwrap_err()
                .actual(),
            "port 8443"
        );
        assert!(check_webhook_secret("abc_D-9").is_ok());
        assert!(check_webhook_secret("abcd").is_err());
        assert!(check_webhook_secret("abc def").is_err());
    }

    #[test]
    fn upload_sizes() {
        for (kind, max) in [
            (UploadType::Image, MAX_IMAGE_UPLOAD_BYTES),
            (UploadType::Video, MAX_VIDEO_UPLOAD_BYTES),
            (UploadType::Audio, MAX_AUDIO_UPLOAD_BYTES),
            (UploadType::File, MAX_FILE_UPLOAD_BYTES),
        ] {
            assert!(check_upload_size(&kind, max).is_ok());
            assert_eq!(
                check_upload_size(&kind, max + 1).unwrap_err().actual(),
                format!("{} bytes", max + 1)
            );
        }
        assert_eq!(
            check_upload_size(&UploadType::Image, 52_428_801)
                .unwrap_err()
                .to_string(),
            "`data` must be at most 50 MB (52428800 bytes) for an upload of type `image`, but has 52428801 bytes"
        );
        assert_eq!(
            check_upload_size(&UploadType::Unknown("photo".into()), 1)
                .unwrap_err()
                .to_string(),
            "`type` must be one of `image`, `video`, `audio`, `file`, but has `photo`"
        );
    }

    #[test]
    fn exact_errors_of_member_admin_and_webhook_limits() {
        let ids = |n: i64| UserIdsList {
            user_ids: (1..=n).map(Into::into).collect(),
        };
        assert!(ids(100).validate().is_ok());
        assert_eq!(
            ids(101).validate().unwrap_err().to_string(),
            "`user_ids` must be 1 to 100 items, but has 101 items"
        );
        assert_eq!(
            ids(0).validate().unwrap_err().to_string(),
            "`user_ids` must be 1 to 100 items, but has 0 items"
        );
        let admins = |n: i64| ChatAdminsList {
            admins: (1..=n)
                .map(|id| ChatAdmin::new(id, vec![ChatAdminPermission::ReadAllMessages]))
                .collect(),
        };
        assert!(admins(50).validate().is_ok());
        assert_eq!(
            admins(51).validate().unwrap_err().to_string(),
            "`admins` must be 1 to 50 items, but has 51 items"
        );
        assert_eq!(
            check_webhook_secret("abcd").unwrap_err().to_string(),
            "`secret` must be 5 to 256 characters, but has 4 characters"
        );
        assert_eq!(
            check_webhook_secret(&"a".repeat(257))
                .unwrap_err()
                .to_string(),
            "`secret` must be 5 to 256 characters, but has 257 characters"
        );
        assert_eq!(
            check_webhook_secret("abc def").unwrap_err().to_string(),
            "`secret` must be only letters, digits, `_` and `-`, but has other characters"
        );
        assert_eq!(
            check_webhook_url("http://bot.example.com/hook")
                .unwrap_err()
                .to_string(),
            "`url` must be an https:// URL (plain HTTP is not delivered to), but has http://bot.example.com/hook"
        );
    }

    #[test]
    fn comments_only_reply() {
        let c = NewCommentBody {
            link: Some(NewMessageLink::forward("mid.1")),
            ..NewCommentBody::text("hi")
        };
        assert_eq!(c.validate().unwrap_err().field(), "link.type");
    }
}
