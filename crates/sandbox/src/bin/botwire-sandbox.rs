//! Runs the MAX and OneBot sandboxes standalone until interrupted.
//!
//! ```text
//! botwire-sandbox [--max-port N] [--onebot-port N]
//! ```
//! Ports default to 0 (any free port); the chosen URLs and tokens are printed.

use std::net::SocketAddr;

use botwire_sandbox::{MaxSandbox, OneBotSandbox, max, onebot};

fn port(args: &[String], flag: &str) -> Result<u16, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(0),
        Some(i) => args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a port number"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}")),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: botwire-sandbox [--max-port N] [--onebot-port N]");
        return Ok(());
    }
    let max_addr = SocketAddr::from(([127, 0, 0, 1], port(&args, "--max-port")?));
    let onebot_addr = SocketAddr::from(([127, 0, 0, 1], port(&args, "--onebot-port")?));
    let max = MaxSandbox::start_with(max::DEFAULT_TOKEN, max_addr)?;
    let onebot = OneBotSandbox::start_with(onebot::DEFAULT_TOKEN, onebot_addr)?;
    println!(
        "MAX sandbox:    {}  (Authorization: {})",
        max.base_url(),
        max.token()
    );
    println!(
        "OneBot sandbox: {}  (api_token={})",
        onebot.base_url(),
        onebot.token()
    );
    println!("Ctrl-C to stop.");
    loop {
        std::thread::park();
    }
}
