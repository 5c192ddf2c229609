//! The command line, as clap derive types: `--help` is generated from these doc comments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  another failure: a local file, or the local webhook never accepted an update (forward)
  2  usage: bad flags or values, no token, a value over a documented API limit (nothing was sent)
  3  the API answered with an error (refused token, unknown chat, rejected parameters, webhook active…)
  4  network: the API could not be reached, or the connection failed
  5  rate limited (HTTP 429), after the client's own pacing and retries
141  the output was closed early (`botwire max updates --follow | head`), as for a tool stopped by SIGPIPE

Errors are one line (`error: …`) and, when there is one, a `hint: …` line on stderr.";

/// The command line for MAX and onebot.tech bot developers: inspect a bot, send, tail updates, forward them to
/// a webhook on your machine, run the sandbox, export OneBot contacts.
///
/// Tokens come from MAX_BOT_TOKEN / ONEBOT_API_TOKEN or from a file (--token-file), never from a flag: a token
/// typed on the command line lands in the shell history and in `ps` output for every user of the machine.
#[derive(Debug, Parser)]
#[command(name = "botwire", version, about, long_about, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// Trace every API call (method, path, status, duration, retries) to stderr. Tokens are never printed.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// Output for scripts: one JSON value per line (a stable shape; streams print one line per item).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The MAX messenger Bot API.
    Max(MaxArgs),
    /// The onebot.tech API (and its sister platforms: LEADTEX, CleverApp, Watbot, JetBot).
    #[command(name = "onebot")]
    OneBot(OneBotArgs),
    /// Run fake MAX and OneBot servers on loopback (the `botwire-sandbox` binary's function and flags).
    ///
    /// The first stdout line is JSON with both base URLs and tokens; drive users through `/_sandbox/`.
    Sandbox(SandboxCommand),
    /// Print a shell completion script: `botwire completions bash > ~/.local/share/bash-completion/completions/botwire`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct SandboxCommand {
    #[command(flatten)]
    pub args: botwire_sandbox::cli::SandboxArgs,
}

/// Where the API is and which token to use.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// Read the token from this file (its content, trimmed) instead of the environment variable. There is no
    /// --token flag on purpose: a token on the command line lands in the shell history and in `ps` output.
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// The API base URL (default: MAX_BASE_URL / ONEBOT_BASE_URL when set, else the production host), e.g.
    /// the URL `botwire sandbox` prints.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_long_help = "The token comes from MAX_BOT_TOKEN (or --token-file); the base URL from --base-url, MAX_BASE_URL, or https://platform-api2.max.ru."
)]
pub struct MaxArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: MaxCommand,
}

#[derive(Debug, Subcommand)]
pub enum MaxCommand {
    /// Who the token belongs to: the bot's name, username, id and commands (`GET /me`).
    Me,
    /// Chats the bot is in.
    #[command(subcommand)]
    Chats(ChatsCommand),
    /// Every member of a chat, page by page (the bot must be an admin).
    Members {
        /// The chat id (negative for groups and channels).
        #[arg(allow_negative_numbers = true)]
        chat: i64,
    },
    /// The command list users see when they type `/`.
    #[command(subcommand)]
    Commands(CommandsCommand),
    /// Send a message to a chat, or to a user with --user.
    ///
    /// `botwire max send -- -1001 "hello"` for a group (negative ids work without `--` too).
    #[command(allow_negative_numbers = true)]
    Send(SendArgs),
    /// Print updates as they arrive (long polling). Without --follow: what is pending now, then exit.
    Updates(UpdatesArgs),
    /// Poll updates and POST each one to a local webhook exactly as MAX would deliver it.
    ///
    /// One update per POST, its JSON exactly as the API sent it, `Content-Type: application/json` and
    /// `X-Max-Bot-Api-Secret` when --secret is given. A delivery that is not answered 200 is retried like the
    /// platform does (10 retries, each wait 2.5 times the last) but with the waits shortened (from --retry-first
    /// instead of 60 s, at most --retry-max). The checkpoint moves past an update only once it was delivered;
    /// when every retry failed the command stops (exit 1) and a rerun starts with that update.
    Forward(ForwardArgs),
    /// The bot's webhook subscriptions.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub enum ChatsCommand {
    /// One chat by id (`GET /chats/{id}`).
    Get {
        /// The chat id (negative for groups and channels).
        #[arg(allow_negative_numbers = true)]
        chat: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommandsCommand {
    /// Replace the command list: `botwire max commands set start="Start over" help="What I can do"`.
    Set {
        /// `name=description` (or just `name`), at most 32; names 1–64 characters, descriptions 1–128.
        #[arg(required = true, value_name = "NAME=DESCRIPTION")]
        commands: Vec<String>,
    },
    /// Remove every command.
    Clear,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// `CHAT TEXT`, or only `TEXT` with --user.
    #[arg(required = true, num_args = 1..=2, value_names = ["CHAT", "TEXT"])]
    pub positional: Vec<String>,

    /// Send to this user (their dialog with the bot) instead of a chat.
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<i64>,

    /// The text is markdown (`**bold**`, `[link](url)`…).
    #[arg(long, conflicts_with = "html")]
    pub markdown: bool,

    /// The text is HTML (`<b>bold</b>`…).
    #[arg(long)]
    pub html: bool,

    /// A button under the message, `TEXT=PAYLOAD` (a callback button) or `TEXT=https://…` (a link). Repeat
    /// for more; they share one row.
    #[arg(long = "button", value_name = "TEXT=PAYLOAD")]
    pub buttons: Vec<String>,

    /// Attach a file, uploaded first (image, video and audio by extension; anything else as a file).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Don't notify the chat's members.
    #[arg(long)]
    pub silent: bool,
}

/// Options shared by `updates` and `forward`.
#[derive(Debug, Clone, Args)]
pub struct PollOptions {
    /// Only these update types, comma-separated (message_created,message_callback,bot_started,…).
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub types: Vec<String>,

    /// Resume from this file and save the position to it after every update: a rerun neither loses nor
    /// repeats an update (one may repeat if the command is killed between handling it and saving).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    /// Stop after this many updates (for scripts and tests).
    #[arg(long, value_name = "N")]
    pub exit_after: Option<u64>,
}

#[derive(Debug, Args)]
pub struct UpdatesArgs {
    /// Keep polling and print updates as they arrive (Ctrl-C to stop).
    #[arg(long, short)]
    pub follow: bool,

    #[command(flatten)]
    pub poll: PollOptions,
}

#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// The webhook to deliver to, e.g. http://127.0.0.1:8080/hook.
    #[arg(long, value_name = "URL")]
    pub to: String,

    /// Send this secret in `X-Max-Bot-Api-Secret` (5–256 characters of A-Z a-z 0-9 _ -, as MAX requires).
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,

    /// Forward what is pending now, then exit (default: keep polling until Ctrl-C).
    #[arg(long)]
    pub once: bool,

    /// Retries of a delivery not answered 200 (the platform's 10).
    #[arg(long, default_value_t = botwire_core_types::limits::MAX_WEBHOOK_RETRIES, value_name = "N")]
    pub retries: u32,

    /// The first retry wait (the platform's is 60 s); each next one is 2.5 times longer.
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub retry_first: Duration,

    /// The longest retry wait.
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub retry_max: Duration,

    #[command(flatten)]
    pub poll: PollOptions,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// The current subscriptions.
    List,
    /// Subscribe a URL (https:// on port 443, as MAX requires); long polling stops while it is set.
    Set {
        /// The webhook URL.
        url: String,
        /// Sent back in `X-Max-Bot-Api-Secret` on every delivery (5–256 characters of A-Z a-z 0-9 _ -).
        #[arg(long, value_name = "SECRET")]
        secret: Option<String>,
        /// Only these update types, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "TYPES")]
        types: Vec<String>,
    },
    /// Remove a subscription.
    Delete {
        /// The webhook URL.
        url: String,
    },
}

/// The platform presets of `--platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformName {
    /// onebot.tech (app.onebot.tech/api/v1)
    Onebot,
    /// LEADTEX (app.leadteh.ru/api/v1)
    Leadtex,
    /// CleverApp (app.cleverapp.pro/api/v1)
    Cleverapp,
    /// Watbot (watbot.ru/api/v1)
    Watbot,
    /// JetBot (app.jetbot24.ru/api/v1)
    Jetbot,
}

impl PlatformName {
    pub fn platform(self) -> botwire_onebot::Platform {
        use botwire_onebot::Platform as P;
        match self {
            PlatformName::Onebot => P::OneBot,
            PlatformName::Leadtex => P::Leadtex,
            PlatformName::Cleverapp => P::CleverApp,
            PlatformName::Watbot => P::Watbot,
            PlatformName::Jetbot => P::JetBot,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_long_help = "The token comes from ONEBOT_API_TOKEN (or --token-file); the base URL from --base-url, --platform, ONEBOT_BASE_URL, or onebot.tech. Requests are paced to the API's 2 per second."
)]
pub struct OneBotArgs {
    #[command(flatten)]
    pub connection: Connection,

    /// A sister platform's host (ignored when --base-url is given).
    #[arg(long, global = true, value_name = "PLATFORM")]
    pub platform: Option<PlatformName>,

    #[command(subcommand)]
    pub command: OneBotCommand,
}

#[derive(Debug, Subcommand)]
pub enum OneBotCommand {
    /// The account that owns the token (`getMe`).
    Me,
    /// Contacts of a bot.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Send a text, image or file to a contact (by id, or by bot + messenger + the contact's messenger id).
    Send(OneBotSendArgs),
    /// A contact's variables.
    #[command(subcommand)]
    Variable(VariableCommand),
    /// A contact's tags.
    #[command(subcommand)]
    Tag(TagCommand),
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Every contact of a bot into a CSV or JSON Lines file, page by page at the API's 2 requests/s, with a
    /// progress bar. Interrupted (Ctrl-C, an error, --max-pages)? Run the same command again: it resumes
    /// after the last complete page (state in `<output>.export-state`) and writes each contact exactly once.
    Export(ExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values with a header row (tags joined by `;`, variables as a JSON object).
    Csv,
    /// One JSON object per line, as the API describes the contact.
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContactExtra {
    /// The contact's tags.
    Tags,
    /// The contact's variables.
    Variables,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bot whose contacts to export.
    #[arg(long, value_name = "N")]
    pub bot_id: i64,

    /// The file format.
    #[arg(long, value_name = "FORMAT")]
    pub format: ExportFormat,

    /// Include these, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "tags,variables")]
    pub with: Vec<ContactExtra>,

    /// The output file (default: contacts-BOT_ID.csv or .jsonl in the current directory). An existing file is
    /// replaced, unless it holds an unfinished export with the same arguments: then that export is resumed.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Contacts per page, 1–500.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub page_size: u32,

    /// Stop after this many pages in this run (run again to continue).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u32>,

    /// Start over, ignoring (and replacing) an unfinished earlier export to the same file.
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("content").required(true).args(["text", "image", "file"]))]
#[command(group = clap::ArgGroup::new("target").required(true).args(["contact", "to"]))]
pub struct OneBotSendArgs {
    /// The text to send.
    pub text: Option<String>,

    /// An image by public URL, instead of a text.
    #[arg(long, value_name = "URL")]
    pub image: Option<String>,

    /// A file by public URL, instead of a text.
    #[arg(long, value_name = "URL")]
    pub file: Option<String>,

    /// The contact's platform id.
    #[arg(long, value_name = "ID")]
    pub contact: Option<i64>,

    /// The contact's id in its messenger (Telegram user id, WhatsApp phone…); needs --bot-id and --messenger.
    #[arg(long, value_name = "EXTERNAL_ID", requires_all = ["bot_id", "messenger"])]
    pub to: Option<String>,

    /// The bot to send from (with --to).
    #[arg(long, value_name = "N")]
    pub bot_id: Option<i64>,

    /// The bot's messenger (with --to): telegram, whatsapp, viber, vk, max, icq.
    #[arg(long, value_name = "MESSENGER")]
    pub messenger: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VariableCommand {
    /// Set a variable (created when missing).
    Set {
        /// The contact id.
        contact: i64,
        /// The variable name.
        name: String,
        /// The value.
        value: String,
    },
    /// One variable's value, or every variable of the contact without NAME.
    Get {
        /// The contact id.
        contact: i64,
        /// The variable name.
        name: Option<String>,
    },
    /// Remove a variable.
    Delete {
        /// The contact id.
        contact: i64,
        /// The variable name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Tag a contact (a new name creates the tag).
    Attach {
        /// The contact id.
        contact: i64,
        /// The tag name.
        tag: String,
    },
    /// Untag a contact.
    Detach {
        /// The contact id.
        contact: i64,
        /// The tag name.
        tag: String,
    },
    /// The contact's tags.
    List {
        /// The contact id.
        contact: i64,
    },
}

/// `250ms`, `1s`, `2m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (like 250ms, 1s, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3h").is_err());
    }
}
