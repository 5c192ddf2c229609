//! **Not part of any bot: the demo driver shared by the examples.** When no `MAX_BOT_TOKEN` is set, an example
//! runs its bot against the embedded sandbox and this script plays the user: it acts as "Alice" through the
//! sandbox and, after each action, waits until the bot's answer shows up there, so the printed transcript is the
//! same on every run. Each example's own file holds everything its bot does; copy that file, not this one.

#![allow(dead_code)] // each example uses the parts it needs

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwire_core_types::max::{Attachment, Button, ChatId, Message, User};
use botwire_max::Config;
use botwire_max::polling::StopHandle;
use botwire_sandbox::MaxSandbox;

/// How long the script waits for one bot answer before giving up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

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
