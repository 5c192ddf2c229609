use crate::raw::wire_enum;

wire_enum! {
    /// The kind of a chat.
    pub enum ChatType {
        /// A one-to-one dialog (positive `chat_id`).
        "dialog" => Dialog,
        /// A group chat (negative `chat_id`).
        "chat" => Chat,
        /// A channel (negative `chat_id`).
        "channel" => Channel,
    }
}

wire_enum! {
    /// The bot's status in a chat.
    pub enum ChatStatus {
        /// The bot is a member.
        "active" => Active,
        /// The bot was removed.
        "removed" => Removed,
        /// The bot left.
        "left" => Left,
        /// The chat is closed.
        "closed" => Closed,
        /// The user stopped the bot (dialogs only).
        "suspended" => Suspended,
    }
}

wire_enum! {
    /// An administrator right. Legacy names (`post_edit_delete_message`, `edit_message`, `delete_message`) may
    /// still arrive in responses and are kept as `Unknown`; never send them.
    pub enum ChatAdminPermission {
        /// Read all messages; prerequisite for `edit`, `delete`, `write`, `pin_message`.
        "read_all_messages" => ReadAllMessages,
        /// Add and remove members.
        "add_remove_members" => AddRemoveMembers,
        /// Add and remove admins.
        "add_admins" => AddAdmins,
        /// Change title, icon, description.
        "change_chat_info" => ChangeChatInfo,
        /// Pin messages.
        "pin_message" => PinMessage,
        /// Change the group chat's link.
        "edit_link" => EditLink,
        /// Edit/delete messages in groups, write posts in channels.
        "write" => Write,
        /// Edit channel posts.
        "edit" => Edit,
        /// Delete channel posts.
        "delete" => Delete,
        /// Calls in group chats.
        "can_call" => CanCall,
        /// Channel statistics (owners only).
        "view_stats" => ViewStats,
    }
}

wire_enum! {
    /// An activity indicator for `POST /chats/{id}/actions`.
    pub enum SenderAction {
        /// "typing…"
        "typing_on" => TypingOn,
        /// "sending a photo…"
        "sending_photo" => SendingPhoto,
        /// "sending a video…"
        "sending_video" => SendingVideo,
        /// "sending audio…"
        "sending_audio" => SendingAudio,
        /// "sending a file…"
        "sending_file" => SendingFile,
        /// Marks the chat as read.
        "mark_seen" => MarkSeen,
    }
}

wire_enum! {
    /// How a message refers to another.
    pub enum MessageLinkType {
        /// A forwarded message.
        "forward" => Forward,
        /// A reply.
        "reply" => Reply,
    }
}

wire_enum! {
    /// Text formatting of a sent message; absent means plain text.
    pub enum TextFormat {
        /// MAX markdown (`**bold**`, `*italic*`, `[text](url)` …).
        "markdown" => Markdown,
        /// The HTML subset MAX renders (`<b>`, `<i>`, `<a href>` …).
        "html" => Html,
    }
}

wire_enum! {
    /// The kind of file for `POST /uploads`. (The legacy `photo` is rejected by the server; use `image`.)
    pub enum UploadType {
        /// JPG, PNG, GIF, TIFF, BMP, HEIC — ≤ 50 MB and ≤ 7680×7680 px.
        "image" => Image,
        /// MP4, MOV, MKV, WEBM — ≤ 250 MB.
        "video" => Video,
        /// MP3, WAV, M4A … — ≤ 256 MB and ≤ 60 min.
        "audio" => Audio,
        /// Any common document — ≤ 4 GB.
        "file" => File,
    }
}

wire_enum! {
    /// The legacy button intent, still echoed as `"default"` on received keyboards; ignored by clients.
    pub enum Intent {
        /// Positive.
        "positive" => Positive,
        /// Negative.
        "negative" => Negative,
        /// Default.
        "default" => Default,
    }
}

wire_enum! {
    /// An update type name, as used by `GET /updates?types=` and webhook subscriptions.
    pub enum UpdateType {
        /// New message or channel post.
        "message_created" => MessageCreated,
        /// Callback button pressed.
        "message_callback" => MessageCallback,
        /// Message edited.
        "message_edited" => MessageEdited,
        /// Message deleted.
        "message_removed" => MessageRemoved,
        /// Bot added to a chat.
        "bot_added" => BotAdded,
        /// Bot removed from a chat.
        "bot_removed" => BotRemoved,
        /// Member added.
        "user_added" => UserAdded,
        /// Member removed.
        "user_removed" => UserRemoved,
        /// User pressed Start.
        "bot_started" => BotStarted,
        /// User stopped the bot.
        "bot_stopped" => BotStopped,
        /// Dialog history cleared.
        "dialog_cleared" => DialogCleared,
        /// Dialog deleted.
        "dialog_removed" => DialogRemoved,
        /// Dialog muted.
        "dialog_muted" => DialogMuted,
        /// Dialog unmuted.
        "dialog_unmuted" => DialogUnmuted,
        /// Chat renamed.
        "chat_title_changed" => ChatTitleChanged,
        /// Comment posted.
        "comment_created" => CommentCreated,
        /// Comment edited.
        "comment_edited" => CommentEdited,
        /// Comment deleted.
        "comment_removed" => CommentRemoved,
        /// The bot's admin rights changed (webhook only).
        "bot_admin_permissions_changed" => BotAdminPermissionsChanged,
        /// Legacy: chat created by a chat button.
        "message_chat_created" => MessageChatCreated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_survive_round_trips() {
        let p: Vec<ChatAdminPermission> =
            serde_json::from_str(r#"["write","edit_message"]"#).unwrap();
        assert_eq!(
            p,
            [
                ChatAdminPermission::Write,
                ChatAdminPermission::Unknown("edit_message".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"["write","edit_message"]"#
        );
        assert_eq!("html".parse::<TextFormat>().unwrap(), TextFormat::Html);
        assert_eq!(UploadType::Image.to_string(), "image");
    }
}
