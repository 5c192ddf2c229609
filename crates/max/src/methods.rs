//! Convenience methods for both clients, generated from one table so the two can never drift apart.

use botwire_core_types::max::{BotCommands, BotCommandsInfo, BotInfo};
use botwire_transport::{AsyncTransport, BlockingTransport};

use crate::endpoints::{EditMyCommands, GetMe};
use crate::{Client, Error, blocking};

/// Emits each method twice: `async fn` on [`Client`], plain `fn` on [`blocking::Client`].
macro_rules! client_methods {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $out:ty = $make:expr;
    )*) => {
        impl<T: AsyncTransport> Client<T> {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$out, Error> {
                    self.send(&$make).await
                }
            )*
        }

        impl<T: BlockingTransport> blocking::Client<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$out, Error> {
                    self.send(&$make)
                }
            )*
        }
    };
}

client_methods! {
    /// `GET /me`: the bot's own info.
    fn get_me() -> BotInfo = GetMe;

    /// `PATCH /me/commands`: replaces the bot's command list (an empty list clears it).
    fn set_my_commands(commands: BotCommands) -> BotCommandsInfo = EditMyCommands::new(commands);
}
