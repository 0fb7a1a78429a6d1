//! What every simulated server shares: the accept loop ([`accept_each`]) and running on
//! its own thread for synchronous tests ([`run`]), one current-thread runtime per server.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// Accepts connections until `stop` fires, handing each to `serve` on its own task; a
/// connection's task ends when `serve` returns or when `stop` fires.
pub(crate) async fn accept_each<F, Fut>(
    listener: TcpListener,
    mut stop: watch::Receiver<()>,
    serve: F,
) where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };

        // Accept errors (e.g. too many open files) are transient; keep serving.
        let Ok((socket, _peer)) = accepted else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };

        let connection = serve(socket);
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = stop.changed() => {}
                _ = connection => {}
            }
        });
    }
}

/// A server running on its own thread; dropping it stops the server and joins the thread.
#[derive(Debug)]
pub struct Background<S> {
    pub(crate) addr: SocketAddr,
    pub(crate) stats: Arc<S>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl<S> Drop for Background<S> {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been reported there.
            let _ = thread.join();
        }
    }
}

/// Runs `start` on a thread named `name` and waits until it listens. `start` returns the
/// handle that keeps the server alive, its address and its counters.
pub(crate) fn run<S, H, F, Fut>(name: &str, start: F) -> io::Result<Background<S>>
where
    S: Send + Sync + 'static,
    H: 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<(H, SocketAddr, Arc<S>)>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();

    let thread = thread::Builder::new().name(name.into()).spawn(move || {
        runtime.block_on(async move {
            let (handle, addr, stats) = match start().await {
                Ok(started) => started,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok((addr, stats)));

            // Runs until the Background is dropped (the sender goes away).
            let _ = stopped.await;
            drop(handle);
        });
    })?;

    let ready = ready_rx
        .recv()
        .map_err(|_| io::Error::other(format!("{name} thread died")));
    let (addr, stats) = match ready.and_then(|r| r) {
        Ok(ready) => ready,
        Err(e) => {
            let _ = thread.join();
            return Err(e);
        }
    };
    Ok(Background {
        addr,
        stats,
        stop: Some(stop),
        thread: Some(thread),
    })
}
