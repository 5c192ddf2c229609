//! `botwire max …`: inspect the bot, its chats and members, set commands, send, manage webhooks.

use botwire_core_types::max::{
    BotCommand, BotCommands, ChatId, SubscriptionRequestBody, UploadType, UserId,
};
use botwire_max::blocking::{Client, DefaultTransport};
use botwire_max::builders::{KeyboardBuilder, MessageBuilder};
use botwire_max::endpoints::{GetMembers, MembersQuery, MessageTarget, SendMessage};
use botwire_max::upload::{NotReadyRetry, UploadSource, content_type_for};

use crate::cli::{ChatsCommand, CommandsCommand, MaxArgs, MaxCommand, SendArgs, WebhookCommand};
use crate::error::CliError;
use crate::output::{Out, utc};
use crate::settings::{Env, max_client};

pub type MaxClient = Client<DefaultTransport>;

pub fn run(args: MaxArgs, out: Out, env: Env<'_>) -> Result<(), CliError> {
    let client = max_client(&args.connection, env)?;
    match args.command {
        MaxCommand::Me => me(&client, out),
        MaxCommand::Chats(ChatsCommand::Get { chat }) => chat_get(&client, out, chat),
        MaxCommand::Members { chat } => members(&client, out, chat),
        MaxCommand::Commands(command) => commands(&client, out, command),
        MaxCommand::Send(send_args) => send(&client, out, send_args),
        MaxCommand::Updates(updates) => crate::poll::updates(&client, out, updates),
        MaxCommand::Forward(forward) => crate::poll::forward(&client, out, forward),
        MaxCommand::Webhook(command) => webhook(&client, out, command),
    }
}

fn commands_text(commands: Option<&[BotCommand]>) -> String {
    match commands {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|c| match c.description() {
                Some(d) => format!("  /{} — {d}", c.name()),
                None => format!("  /{}", c.name()),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => "  (none)".to_owned(),
    }
}

fn me(client: &MaxClient, out: Out) -> Result<(), CliError> {
    let me = client.get_me()?;
    out.either(&me, || {
        let username = me
            .username
            .as_deref()
            .map(|u| format!(" (@{u})"))
            .unwrap_or_default();
        let mut text = format!(
            "{}{username}\nid:       {}",
            me.first_name,
            me.user_id.get()
        );
        if let Some(description) = me.description.as_deref().filter(|d| !d.is_empty()) {
            text.push_str(&format!("\nabout:    {description}"));
        }
        text.push_str(&format!(
            "\ncommands:\n{}",
            commands_text(me.commands.as_deref())
        ));
        text
    })
}

fn chat_get(client: &MaxClient, out: Out, chat: i64) -> Result<(), CliError> {
    let chat = client.get_chat(ChatId(chat))?;
    out.either(&chat, || {
        let mut lines = vec![
            format!("{}", chat.title.as_deref().unwrap_or("(no title)")),
            format!("id:           {}", chat.chat_id.get()),
            format!("type:         {}", chat.kind),
            format!("bot status:   {}", chat.status),
            format!("participants: {}", chat.participants_count),
        ];
        if let Some(user) = &chat.dialog_with_user {
            lines.push(format!(
                "dialog with:  {} (id {})",
                user.first_name,
                user.user_id.get()
            ));
        }
        if let Some(link) = &chat.link {
            lines.push(format!("link:         {link}"));
        }
        if let Some(description) = chat.description.as_deref().filter(|d| !d.is_empty()) {
            lines.push(format!("description:  {description}"));
        }
        lines.push(format!("last event:   {} UTC", utc(chat.last_event_time)));
        lines.join("\n")
    })
}

fn members(client: &MaxClient, out: Out, chat: i64) -> Result<(), CliError> {
    let mut marker = None;
    let mut total = 0usize;
    loop {
        let page = client.send(&GetMembers {
            chat_id: ChatId(chat),
            query: MembersQuery::Page {
                marker,
                count: Some(100),
            },
        })?;
        for member in &page.members {
            total += 1;
            out.either(member, || {
                let role = if member.is_owner {
                    "owner"
                } else if member.is_admin {
                    "admin"
                } else {
                    "member"
                };
                let username = member
                    .username
                    .as_deref()
                    .map(|u| format!(" @{u}"))
                    .unwrap_or_default();
                format!(
                    "{:>12}  {:<6}  {}{username}",
                    member.user_id.get(),
                    role,
                    member_name(member)
                )
            })?;
        }
        match page.marker {
            Some(next) if !page.members.is_empty() && Some(next) != marker => marker = Some(next),
            _ => break,
        }
    }
    if !out.json {
        eprintln!("{total} members");
    }
    Ok(())
}

fn member_name(member: &botwire_core_types::max::ChatMember) -> String {
    match &member.last_name {
        Some(last) => format!("{} {last}", member.first_name),
        None => member.first_name.clone(),
    }
}

fn commands(client: &MaxClient, out: Out, command: CommandsCommand) -> Result<(), CliError> {
    let list = match command {
        CommandsCommand::Clear => BotCommands::clear(),
        CommandsCommand::Set { commands } => {
            let parsed = commands
                .iter()
                .map(|spec| {
                    let (name, description) = match spec.split_once('=') {
                        Some((n, d)) => (n.trim(), Some(d.trim().to_owned())),
                        None => (spec.trim(), None),
                    };
                    BotCommand::new(name.trim_start_matches('/'), description)
                })
                .collect::<Result<Vec<_>, _>>()?;
            BotCommands::new(parsed)?
        }
    };
    let info = client.set_my_commands(list)?;
    out.either(&info, || {
        format!("commands now:\n{}", commands_text(info.commands.as_deref()))
    })
}

fn upload_type(path: &std::path::Path) -> UploadType {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mime = content_type_for(&name);
    if mime.starts_with("image/") {
        UploadType::Image
    } else if mime.starts_with("video/") {
        UploadType::Video
    } else if mime.starts_with("audio/") {
        UploadType::Audio
    } else {
        UploadType::File
    }
}

fn send(client: &MaxClient, out: Out, args: SendArgs) -> Result<(), CliError> {
    let (target, text) = match (args.user, args.positional.as_slice()) {
        (Some(user), [text]) => (MessageTarget::User(UserId(user)), text.clone()),
        (None, [chat, text]) => {
            let chat: i64 = chat
                .parse()
                .map_err(|_| CliError::usage(format!("`{chat}` is not a chat id (a number)")))?;
            (MessageTarget::Chat(ChatId(chat)), text.clone())
        }
        (Some(_), _) => {
            return Err(CliError::usage("with --user, give only the text")
                .hint("botwire max send --user 123 \"hello\""));
        }
        (None, _) => {
            return Err(CliError::usage(
                "give the chat id and the text, or --user ID and the text",
            )
            .hint("botwire max send 123 \"hello\", or botwire max send --user 456 \"hello\""));
        }
    };
    let mut builder = if args.markdown {
        MessageBuilder::markdown(text)
    } else if args.html {
        MessageBuilder::html(text)
    } else {
        MessageBuilder::text(text)
    };
    if !args.buttons.is_empty() {
        let mut keyboard = KeyboardBuilder::new();
        for spec in &args.buttons {
            let (label, value) = spec.split_once('=').ok_or_else(|| {
                CliError::usage(format!(
                    "--button `{spec}`: write TEXT=PAYLOAD or TEXT=https://…"
                ))
            })?;
            keyboard = if value.starts_with("https://") || value.starts_with("http://") {
                keyboard.link(label, value)
            } else {
                keyboard.callback(label, value)
            };
        }
        builder = builder.keyboard(keyboard.build()?);
    }
    if args.silent {
        builder = builder.notify(false);
    }
    // Every limit is checked before the upload, so a bad message never leaves a file uploaded for nothing.
    builder.clone().build()?;
    if let Some(path) = &args.file {
        let kind = upload_type(path);
        let attachment = client.upload(kind, UploadSource::path(path))?;
        builder = builder.attachment(attachment);
    }
    let message = builder.build()?;
    // A fresh upload may still be processing: the SDK's `attachment.not.ready` retry.
    let sent = client.send_retrying_not_ready(
        &SendMessage::new(target, message.body),
        &NotReadyRetry::default(),
    )?;
    out.either(&sent, || {
        let chat = sent
            .recipient
            .chat_id
            .map_or_else(|| "?".to_owned(), |c| c.get().to_string());
        format!("sent {} to chat {chat}", sent.mid().unwrap_or("(no id)"))
    })
}

fn webhook(client: &MaxClient, out: Out, command: WebhookCommand) -> Result<(), CliError> {
    match command {
        WebhookCommand::List => {
            let list = client.get_subscriptions()?;
            if out.json {
                return out.json_line(&list);
            }
            if list.subscriptions.is_empty() {
                return out.raw_line("no webhook subscriptions (long polling is on)");
            }
            for s in &list.subscriptions {
                let types = s
                    .update_types
                    .as_ref()
                    .map_or_else(|| "all updates".to_owned(), |t| t.join(","));
                out.raw_line(&format!("{}  since {} UTC  ({types})", s.url, utc(s.time)))?;
            }
            Ok(())
        }
        WebhookCommand::Set { url, secret, types } => {
            let mut body = SubscriptionRequestBody::new(url.clone());
            if let Some(secret) = secret {
                body = body.with_secret(secret);
            }
            if !types.is_empty() {
                body = body.with_update_types(types);
            }
            client.subscribe(body)?;
            out.either(&serde_json::json!({"subscribed": url}), || {
                format!(
                    "subscribed {url}; long polling is off until `botwire max webhook delete {url}`"
                )
            })
        }
        WebhookCommand::Delete { url } => {
            client.unsubscribe(url.clone())?;
            out.either(&serde_json::json!({"unsubscribed": url}), || {
                format!("unsubscribed {url}")
            })
        }
    }
}
