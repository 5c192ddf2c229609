//! Convenience methods for both clients, generated from one table so the two can never drift apart.

use botwire_core_types::max::{BotCommands, BotCommandsInfo, BotInfo};
use botwire_core_types::max::{
    CallbackAnswer, Chat, ChatAdmin, ChatAdminsList, ChatId, ChatMember, ChatMembersList,
    ChatPatch, CommentMessage, CommentMessageList, GetSubscriptionsResult, Message, MessageList,
    ModifyMembersResult, NewCommentBody, NewMessageBody, SenderAction, SubscriptionRequestBody,
    UserId, VideoAttachmentDetails,
};

use crate::Error;
use crate::endpoints::{
    AddAdmins, AddMembers, AnswerCallback, DeleteComment, DeleteMessage, EditChat, EditComment,
    EditMessage, GetAdmins, GetChat, GetCommentById, GetComments, GetMembers, GetMembership,
    GetMessageById, GetMessages, GetPinnedMessage, GetSubscriptions, GetVideo, LeaveChat,
    MembersQuery, MessageTarget, PinMessage, RemoveAdmin, RemoveMember, SendAction, SendComment,
    SendMessage, Subscribe, UnpinMessage, Unsubscribe,
};
use crate::endpoints::{EditMyCommands, GetMe};

botwire_transport::client_methods! {
    error: Error;

    /// `GET /me`: the bot's own info.
    fn get_me() -> BotInfo = GetMe;

    /// `PATCH /me/commands`: replaces the bot's command list (an empty list clears it).
    fn set_my_commands(commands: BotCommands) -> BotCommandsInfo = EditMyCommands::new(commands);

    /// `GET /chats/{chatId}`: a dialog, group chat or channel.
    fn get_chat(chat_id: impl Into<ChatId>) -> Chat = GetChat::new(chat_id);

    /// `PATCH /chats/{chatId}`: edits title, icon, description or pin (needs `change_chat_info`).
    fn edit_chat(chat_id: impl Into<ChatId>, patch: ChatPatch) -> Chat = EditChat::new(chat_id, patch);

    /// `POST /chats/{chatId}/actions`: shows "typing…" and similar indicators.
    fn send_action(chat_id: impl Into<ChatId>, action: SenderAction) -> () = SendAction::new(chat_id, action);

    /// `GET /chats/{chatId}/pin`: the pinned message, if any.
    fn get_pinned_message(chat_id: impl Into<ChatId>) -> Option<Message> = GetPinnedMessage::new(chat_id);

    /// `PUT /chats/{chatId}/pin`: pins a message (needs `pin_message`).
    fn pin_message(chat_id: impl Into<ChatId>, message_id: impl Into<String>) -> () = PinMessage::new(chat_id, message_id);

    /// `DELETE /chats/{chatId}/pin`: unpins the pinned message.
    fn unpin_message(chat_id: impl Into<ChatId>) -> () = UnpinMessage::new(chat_id);

    /// `GET /chats/{chatId}/members/me`: the bot's own membership and rights.
    fn get_membership(chat_id: impl Into<ChatId>) -> ChatMember = GetMembership::new(chat_id);

    /// `DELETE /chats/{chatId}/members/me`: the bot leaves the chat.
    fn leave_chat(chat_id: impl Into<ChatId>) -> () = LeaveChat::new(chat_id);

    /// `GET /chats/{chatId}/members/admins`: the admins.
    fn get_admins(chat_id: impl Into<ChatId>) -> ChatMembersList = GetAdmins::new(chat_id);

    /// `POST /chats/{chatId}/members/admins`: appoints admins or replaces their rights (needs `add_admins`).
    fn add_admins(chat_id: impl Into<ChatId>, admins: Vec<ChatAdmin>) -> () = AddAdmins::new(chat_id, ChatAdminsList::new(admins));

    /// `DELETE /chats/{chatId}/members/admins/{userId}`: revokes a user's admin rights.
    fn remove_admin(chat_id: impl Into<ChatId>, user_id: impl Into<UserId>) -> () = RemoveAdmin::new(chat_id, user_id);

    /// `GET /chats/{chatId}/members`: a page of members, or given users' membership.
    fn get_members(chat_id: impl Into<ChatId>, query: MembersQuery) -> ChatMembersList = GetMembers { chat_id: chat_id.into(), query };

    /// `POST /chats/{chatId}/members`: adds up to 100 users to a group chat.
    fn add_members(chat_id: impl Into<ChatId>, user_ids: Vec<UserId>) -> ModifyMembersResult = AddMembers::new(chat_id, user_ids);

    /// `DELETE /chats/{chatId}/members`: removes a member (see [`RemoveMember::block`] to also ban).
    fn remove_member(chat_id: impl Into<ChatId>, user_id: impl Into<UserId>) -> () = RemoveMember::new(chat_id, user_id);

    /// `GET /subscriptions`: the webhook subscriptions.
    fn get_subscriptions() -> GetSubscriptionsResult = GetSubscriptions;

    /// `POST /subscriptions`: delivers updates to an `https://` webhook.
    fn subscribe(body: SubscriptionRequestBody) -> () = Subscribe::new(body);

    /// `DELETE /subscriptions`: removes the webhook of `url`.
    fn unsubscribe(url: impl Into<String>) -> () = Unsubscribe::new(url);

    /// `GET /messages`: messages of a chat or by id (`GetMessages::in_chat(id).count(10)`).
    fn get_messages(query: GetMessages) -> MessageList = query;

    /// `POST /messages`: sends a message to a chat ([`ChatId`]) or a user ([`UserId`]).
    fn send_message(to: impl Into<MessageTarget>, body: NewMessageBody) -> Message = SendMessage::new(to, body);

    /// `PUT /messages`: edits a message the bot sent.
    fn edit_message(message_id: impl Into<String>, body: NewMessageBody) -> () = EditMessage::new(message_id, body);

    /// `DELETE /messages`: deletes a message.
    fn delete_message(message_id: impl Into<String>) -> () = DeleteMessage::new(message_id);

    /// `GET /messages/{messageId}`: one message.
    fn get_message(message_id: impl Into<String>) -> Message = GetMessageById::new(message_id);

    /// `GET /messages/{messageId}/comments`: the newest comments of a channel post.
    fn get_comments(post_id: impl Into<String>) -> CommentMessageList = GetComments::new(post_id);

    /// `POST /messages/{messageId}/comments`: comments on a channel post.
    fn send_comment(post_id: impl Into<String>, body: NewCommentBody) -> CommentMessage = SendComment::new(post_id, body);

    /// `PUT /messages/{messageId}/comments`: edits a comment.
    fn edit_comment(post_id: impl Into<String>, comment_id: impl Into<String>, body: NewCommentBody) -> () = EditComment::new(post_id, comment_id, body);

    /// `DELETE /messages/{messageId}/comments`: deletes a comment.
    fn delete_comment(post_id: impl Into<String>, comment_id: impl Into<String>) -> () = DeleteComment::new(post_id, comment_id);

    /// `GET /messages/{messageId}/comments/{commentId}`: one comment.
    fn get_comment(post_id: impl Into<String>, comment_id: impl Into<String>) -> CommentMessage = GetCommentById::new(post_id, comment_id);

    /// `GET /videos/{videoToken}`: details and playback URLs of a video.
    fn get_video(token: impl Into<String>) -> VideoAttachmentDetails = GetVideo::new(token);

    /// `POST /answers`: answers a callback button press.
    fn answer_callback(callback_id: impl Into<String>, answer: CallbackAnswer) -> () = AnswerCallback::new(callback_id, answer);
}
