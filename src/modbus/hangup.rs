//! SIGHUP for `modbus-serve` and `poll`, which read their model again on
//! it (as `detect` reads its rules): the signal handler writes a byte to
//! one end of a socket pair, and the network runtime waits on the other
//! beside its sockets, so a reload starts at once and nothing polls a
//! flag.

use std::os::unix::net::UnixStream;

use anyhow::Context;

/// A SIGHUP listener, registered (so a SIGHUP no longer ends the process)
/// but not yet waited on.
pub struct Hangup {
    rx: UnixStream,
}

impl Hangup {
    /// Registers for SIGHUP; call before saying the verb is ready, so a
    /// SIGHUP sent after that is never the default one that ends it.
    pub fn register() -> anyhow::Result<Hangup> {
        let (rx, tx) = UnixStream::pair().context("listening for SIGHUP")?;
        rx.set_nonblocking(true).context("listening for SIGHUP")?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGHUP, tx)
            .context("listening for SIGHUP")?;
        Ok(Hangup { rx })
    }

    /// The listener on the runtime; call inside it.
    pub fn on_runtime(self) -> Option<Hangups> {
        tokio::net::UnixStream::from_std(self.rx).ok().map(Hangups)
    }
}

/// SIGHUPs as the runtime sees them.
pub struct Hangups(tokio::net::UnixStream);

impl Hangups {
    /// Waits for the next SIGHUP (several in a row count as one).
    pub async fn next(&self) {
        let mut buf = [0u8; 64];
        loop {
            if self.0.readable().await.is_err() {
                return std::future::pending().await;
            }
            match self.0.try_read(&mut buf) {
                Ok(n) if n > 0 => return,
                // The write end never closes while the handler lives.
                Ok(_) => return std::future::pending().await,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => return std::future::pending().await,
            }
        }
    }
}

/// Waits for a SIGHUP when there is a listener, forever when not.
pub async fn next(h: Option<&Hangups>) {
    match h {
        Some(h) => h.next().await,
        None => std::future::pending().await,
    }
}
