use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// A router served on its own thread and runtime until dropped.
#[derive(Debug)]
pub(crate) struct Running {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Binds `addr` (port 0 picks a free one) on this thread, so the address is known and bind errors surface
    /// here, then serves `router` on a new thread.
    pub(crate) fn spawn(addr: SocketAddr, router: axum::Router) -> std::io::Result<Self> {
        Self::spawn_with_tasks(addr, router, Vec::new())
    }

    /// Like [`Running::spawn`], also running `tasks` on the server's runtime until it stops.
    pub(crate) fn spawn_with_tasks(
        addr: SocketAddr,
        router: axum::Router,
        tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("botwire-sandbox")
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("botwire-sandbox-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    for task in tasks {
                        tokio::spawn(task);
                    }
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, router) => {}
                        _ = rx => {}
                    }
                });
                // Open long polls and keep-alive connections must not hold the test that dropped us.
                runtime.shutdown_background();
            })?;
        Ok(Self {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
