//! The scripted conversation the example bots play against the embedded sandbox when no `MAX_BOT_TOKEN` is set.
//!
//! The script acts as a MAX user ("Alice") through the sandbox and, after each action, waits until the bot's
//! answer shows up in the sandbox, so the printed transcript is the same on every run.

#![allow(dead_code)] // each example uses the parts it needs

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_core_types::max::{
    Attachment, AttachmentRequest, Button, CallbackAnswer, ChatId, Keyboard, Message,
    MessageCallback, NewMessageBody, ReplyTarget, Update, User,
};
use botwire_max::Config;
use botwire_max::endpoints::MessageTarget;
use botwire_max::polling::StopHandle;
use botwire_sandbox::MaxSandbox;

/// How long the script waits for one bot answer before giving up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// What a bot does in answer to an update: the example bots decide with plain functions (no I/O) and each one
/// performs the replies with its own client, async or blocking.
pub enum Reply {
    /// `POST /messages`.
    Send(MessageTarget, NewMessageBody),
    /// `POST /answers`.
    Answer(String, CallbackAnswer),
}

/// The echo bot: greets on Start (with two buttons), echoes texts, answers button presses with a notification
/// and a message, and ignores the rest (including update types it does not know).
pub fn echo_replies(update: Update) -> Vec<Reply> {
    match update {
        Update::BotStarted(started) => {
            let text = format!(
                "Hi {}! Write me anything and I will echo it.",
                started.user.first_name
            );
            vec![Reply::Send(
                started.chat_id.into(),
                greeting_with_buttons(text),
            )]
        }
        Update::MessageCreated(created) => {
            // Voice messages have been seen arriving without `message`; there is nothing to echo then.
            let Some(message) = created.message else {
                return Vec::new();
            };
            let from_bot = message.sender.as_ref().is_some_and(|s| s.is_bot);
            match (message.chat_id(), message.text(), from_bot) {
                (Some(chat), Some(text), false) => {
                    vec![Reply::Send(
                        chat.into(),
                        NewMessageBody::text(format!("You said: {text}")),
                    )]
                }
                _ => Vec::new(),
            }
        }
        Update::MessageCallback(pressed) => {
            let note = if pressed.callback.payload.as_deref() == Some("ping") {
                "Pong!"
            } else {
                "A botwire example bot"
            };
            vec![
                Reply::Answer(
                    pressed.callback.callback_id.clone(),
                    CallbackAnswer::notification(note),
                ),
                pressed_reply(&pressed),
            ]
        }
        other => {
            // New update types arrive as `Update::Unknown` with their JSON; a bot ignores what it does not use.
            eprintln!("bot: ignoring a `{}` update", other.kind());
            Vec::new()
        }
    }
}

/// "You pressed …", sent where the press came from (the chat, or the presser's dialog when the callback has no
/// chat id — observed on private dialogs).
pub fn pressed_reply(pressed: &MessageCallback) -> Reply {
    let target = match pressed.reply_target() {
        ReplyTarget::Chat(chat) => MessageTarget::Chat(chat),
        ReplyTarget::User(user) => MessageTarget::User(user),
    };
    let payload = pressed.callback.payload.as_deref().unwrap_or_default();
    Reply::Send(
        target,
        NewMessageBody::text(format!("You pressed \"{payload}\"")),
    )
}

/// Runs `bot` (which must return when `stop` fires) while the scripted conversation plays on another thread;
/// returns the transcript.
pub fn run_demo<E>(
    demo: &std::sync::Arc<Demo>,
    bot: impl FnOnce(StopHandle) -> Result<(), E>,
) -> Result<Vec<String>, Box<dyn std::error::Error>>
where
    E: std::error::Error + 'static,
{
    let stop = StopHandle::new();
    let script = {
        let (demo, stop) = (demo.clone(), stop.clone());
        std::thread::spawn(move || {
            let played = demo.play();
            stop.stop();
            played
        })
    };
    bot(stop)?;
    script.join().map_err(|_| "the script panicked")??;
    Ok(demo.transcript())
}

/// A text with the demo's two callback buttons, "Ping" and "About".
pub fn greeting_with_buttons(text: String) -> NewMessageBody {
    let keyboard = Keyboard::new(vec![vec![
        Button::callback("Ping", "ping"),
        Button::callback("About", "about"),
    ]]);
    let mut body = NewMessageBody::text(text);
    body.attachments = Some(vec![AttachmentRequest::inline_keyboard(keyboard)]);
    body
}

/// A sandbox, a user to play, and the transcript of what happened.
pub struct Demo {
    pub sandbox: MaxSandbox,
    pub alice: User,
    transcript: Arc<Mutex<Vec<String>>>,
}

impl Demo {
    /// Starts the sandbox and seeds Alice.
    pub fn start() -> std::io::Result<Self> {
        let sandbox = MaxSandbox::start()?;
        let alice = sandbox.add_user("Alice");
        Ok(Self {
            sandbox,
            alice,
            transcript: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The client configuration that points at the sandbox.
    pub fn config(&self) -> Config {
        Config::new(self.sandbox.token()).with_base_url(self.sandbox.base_url())
    }

    /// Prints a transcript line and keeps it.
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        println!("{line}");
        self.transcript
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }

    /// The transcript so far.
    pub fn transcript(&self) -> Vec<String> {
        self.transcript
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Plays the conversation: Alice starts the bot, writes, presses a button, an update of an unknown type
    /// arrives, and Alice writes again. Each step waits for the bot's answer. Returns an error naming the step
    /// that got no answer.
    pub fn play(&self) -> Result<(), String> {
        let alice = self.alice.user_id;
        self.say("Alice presses Start (deep link payload \"demo\")");
        let chat = self
            .sandbox
            .user_starts_bot(alice, Some("demo"))
            .map_err(|e| e.to_string())?;
        let greeting = self.wait_for_bot_message(chat, 0, "the greeting")?;
        self.say_bot(&greeting);

        self.say("Alice: hello, bot!");
        self.sandbox
            .user_sends_text(alice, chat, "hello, bot!")
            .map_err(|e| e.to_string())?;
        let echo = self.wait_for_bot_message(chat, 1, "the echo")?;
        self.say_bot(&echo);

        let mid = greeting.mid().ok_or("the greeting has no id")?.to_owned();
        self.say("Alice presses the \"Ping\" button under the greeting");
        let press = self
            .sandbox
            .user_presses_button(alice, &mid, "ping")
            .map_err(|e| e.to_string())?;
        let notification = self.wait_for_answer(&press.callback_id)?;
        self.say(format!(
            "  (a notification pops up for Alice: \"{notification}\")"
        ));
        let after_press = self.wait_for_bot_message(chat, 2, "the reply to the button")?;
        self.say_bot(&after_press);

        self.say("MAX sends an update type this SDK does not know (message_reaction_added)");
        self.sandbox.push_unknown_update(
            "message_reaction_added",
            serde_json::json!({"chat_id": chat, "message_id": mid, "reaction": {"emoji": "🔥"}}),
        );
        self.say("Alice: are you still there?");
        self.sandbox
            .user_sends_text(alice, chat, "are you still there?")
            .map_err(|e| e.to_string())?;
        let last = self.wait_for_bot_message(chat, 3, "the echo after the unknown update")?;
        self.say_bot(&last);
        Ok(())
    }

    fn say_bot(&self, message: &Message) {
        let mut line = format!("Bot: {}", message.text().unwrap_or(""));
        for attachment in message.attachments() {
            if let Attachment::InlineKeyboard(kb) = attachment {
                let buttons: Vec<&str> = kb
                    .payload
                    .buttons
                    .iter()
                    .flatten()
                    .filter_map(Button::text)
                    .collect();
                line.push_str(&format!("  [buttons: {}]", buttons.join(" | ")));
            }
        }
        self.say(line);
    }

    /// Waits until the bot has posted its `n`-th message (0-based) in `chat`.
    fn wait_for_bot_message(&self, chat: ChatId, n: usize, what: &str) -> Result<Message, String> {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            {
                let world = self.sandbox.world();
                let bot = world.bot_id();
                let mine: Vec<&Message> = world
                    .messages(chat)
                    .iter()
                    .filter(|m| m.author == bot)
                    .map(|m| &m.message)
                    .collect();
                if let Some(m) = mine.get(n) {
                    return Ok((*m).clone());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the bot did not send {what} within {ANSWER_TIMEOUT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the bot has answered the button press; returns the notification it showed.
    fn wait_for_answer(&self, callback_id: &str) -> Result<String, String> {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            if let Some(state) = self.sandbox.world().callback(callback_id)
                && state.answers > 0
            {
                return Ok(state.notifications.first().cloned().unwrap_or_default());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the bot did not answer the button press within {ANSWER_TIMEOUT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
