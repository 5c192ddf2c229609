//! A private `redis-server` for tests: started on a free loopback port with persistence off, stopped on drop.
//!
//! Tests of a fleet must not share the machine's Redis on 6379: they run in parallel, flush and kill their
//! server. [`RedisServer::start`] finds the `redis-server` binary (`BOTWIRE_REDIS_SERVER`, then `PATH`, then
//! Debian's `/usr/bin`), starts it on a port nobody listens on, waits until it answers `PING` and hands out its
//! URL. [`RedisServer::kill`] and [`RedisServer::restart`] let a test take Redis away mid-run and bring it back
//! on the same port.
//!
//! A machine without the binary gets an error that says how to install it, never a silent pass:
//!
//! ```no_run
//! let redis = botwire_redis::testing::RedisServer::start().expect("a private redis-server");
//! println!("{}", redis.url()); // redis://127.0.0.1:<port>/
//! ```

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to answer `PING` (generous: a loaded 2-core machine starts slowly).
const STARTUP_BOUND: Duration = Duration::from_secs(60);

/// Why a private server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No `redis-server` binary on this machine.
    #[error(
        "redis-server was not found (looked at $BOTWIRE_REDIS_SERVER, $PATH and /usr/bin): install it \
         (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`) or point \
         BOTWIRE_REDIS_SERVER at the binary"
    )]
    NotInstalled,
    /// The binary would not start or did not answer.
    #[error("redis-server at {binary} did not start: {reason}")]
    Failed {
        /// The binary that was run.
        binary: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// A `redis-server` child process on a free loopback port, with nothing kept on disk. Killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> Result<Self, StartError> {
        let binary = find_binary().ok_or(StartError::NotInstalled)?;
        let dir = tempfile::tempdir().map_err(|e| StartError::Failed {
            binary: binary.clone(),
            reason: format!("no temporary directory: {e}"),
        })?;
        let mut last = String::new();
        // A free port can be taken by someone else between our probe and the server's bind: try a few.
        for _ in 0..5 {
            let port = free_port().map_err(|e| StartError::Failed {
                binary: binary.clone(),
                reason: format!("no free port: {e}"),
            })?;
            match spawn(&binary, port, dir.path()) {
                Ok(child) => {
                    return Ok(Self {
                        binary,
                        port,
                        child: Some(child),
                        dir,
                    });
                }
                Err(reason) => last = reason,
            }
        }
        Err(StartError::Failed {
            binary,
            reason: last,
        })
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on (the same after [`restart`](Self::restart)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `true` while the child runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the server (SIGKILL: as a crash would) and waits for it to exit. Its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)), empty, and waits until it answers.
    pub fn restart(&mut self) -> Result<(), StartError> {
        self.kill();
        let mut last = String::new();
        // The old process's socket may linger for a moment; the bound is the startup bound.
        let started = Instant::now();
        while started.elapsed() < STARTUP_BOUND {
            match spawn(&self.binary, self.port, self.dir.path()) {
                Ok(child) => {
                    self.child = Some(child);
                    return Ok(());
                }
                Err(reason) => last = reason,
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(StartError::Failed {
            binary: self.binary.clone(),
            reason: last,
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(binary: &Path, port: u16, dir: &Path) -> Result<Child, String> {
    let mut child = Command::new(binary)
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--protected-mode", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .args(["--logfile", ""])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            return Err(format!("exited with {status}: {}", err.trim()));
        }
        if ping(port) {
            return Ok(child);
        }
        if started.elapsed() > STARTUP_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer to PING within {STARTUP_BOUND:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BOTWIRE_REDIS_SERVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("redis-server"));
    on_path
        .chain([
            Path::new("/usr/bin/redis-server").to_path_buf(),
            Path::new("/usr/local/bin/redis-server").to_path_buf(),
        ])
        .find(|p| p.is_file())
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    stream.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_is_killed_and_restarts_on_the_same_port() {
        let mut server = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
        let port = server.port();
        assert!(ping(port));
        server.kill();
        assert!(!server.is_running());
        assert!(!ping(port));
        server.restart().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(server.port(), port);
        assert!(ping(port));
    }
}
