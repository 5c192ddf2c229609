//! Prints the bot's info.
//!
//! With `MAX_BOT_TOKEN` set it asks the real API (`https://platform-api2.max.ru`); without it, it starts the
//! embedded sandbox and asks that, so the example runs anywhere.
//!
//! ```text
//! cargo run -p botwire-max --example bot_info --features ureq
//! ```
//!
//! The client is the default stack (`Client::with_config`): the backend under MAX's rate limits (30 requests/s,
//! 2 messages/s and 2 callback answers/s per chat) with bounded retries where repeating is safe. Keep it when
//! you copy this: a bare transport sends as fast as the CPU allows and collects 429s.

use botwire_core_types::max::{BotCommand, BotCommands};
use botwire_max::{Config, blocking::Client};
use botwire_sandbox::MaxSandbox;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the sandbox alive for the whole run: dropping it stops the server.
    let (config, sandbox) = match Config::from_env() {
        Ok(config) => {
            println!("Using the real MAX API at {}", config.base_url());
            (config, None)
        }
        Err(_) => {
            let sandbox = MaxSandbox::start()?;
            println!(
                "MAX_BOT_TOKEN is not set: using the embedded sandbox at {}",
                sandbox.base_url()
            );
            let config = Config::new(sandbox.token()).with_base_url(sandbox.base_url());
            (config, Some(sandbox))
        }
    };
    let client = Client::with_config(config);

    if sandbox.is_some() {
        // Give the sandbox bot some commands so there is something to show.
        client.set_my_commands(BotCommands::new(vec![
            BotCommand::new("start", Some("Start the conversation".into()))?,
            BotCommand::new("help", Some("What I can do".into()))?,
        ])?)?;
    }

    let me = client.get_me()?;
    println!("Bot:         {} (id {})", me.full_name(), me.user_id);
    println!("Username:    @{}", me.username.as_deref().unwrap_or("-"));
    println!("Description: {}", me.description.as_deref().unwrap_or("-"));
    match me.commands.as_deref() {
        Some(commands) if !commands.is_empty() => {
            println!("Commands:");
            for cmd in commands {
                println!("  /{:<10} {}", cmd.name(), cmd.description().unwrap_or(""));
            }
        }
        _ => println!("Commands:    none"),
    }
    Ok(())
}
