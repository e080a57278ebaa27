//! The `--state` file: the engine's state, how far the input was read
//! (a watermark: the time of the last event taken and how many events of
//! that time), and the outbox of notifications made but not yet
//! delivered. It is written whole to a temporary file, fsynced and renamed
//! over the old one (and the folder fsynced), each time a notification is
//! made and each time one is delivered: after a kill -9 a restart sends
//! what was pending and nothing that was delivered, except the one whose
//! delivery was in flight (at least once).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::Notification;
use super::engine::State;
use crate::time::Millis;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Saved {
    pub engine: State,
    /// The last event taken: its time and how many events of that time.
    pub wm_ts: Option<Millis>,
    pub wm_n: u64,
    /// Made, not yet delivered or dead-lettered.
    pub outbox: Vec<Notification>,
}

impl Saved {
    /// Whether the event at `ts` was taken before (input read again after
    /// a restart); counts it into the watermark when not.
    pub fn seen(&mut self, ts: Millis, replaying: &mut u64) -> bool {
        match self.wm_ts {
            Some(w) if ts < w => true,
            Some(w) if ts == w && *replaying < self.wm_n => {
                *replaying += 1;
                true
            }
            Some(w) if ts == w => {
                self.wm_n += 1;
                *replaying += 1;
                false
            }
            _ => {
                self.wm_ts = Some(ts);
                self.wm_n = 1;
                *replaying = 1;
                false
            }
        }
    }
}

pub struct Outbox {
    path: PathBuf,
}

impl Outbox {
    pub fn new(path: &Path) -> Outbox {
        Outbox {
            path: path.to_path_buf(),
        }
    }

    /// The saved state, or a fresh one when the file does not exist.
    pub fn load(&self) -> Result<Saved> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("reading the state {}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.path.display())),
        }
    }

    /// Replaces the file with `s`, durably.
    pub fn save(&self, s: &Saved) -> Result<()> {
        let tmp = self.path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            serde_json::to_writer(&mut f, s)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            let dir = self
                .path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            File::open(dir)?.sync_all()
        };
        write().with_context(|| format!("writing the state {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_skips_what_was_taken_and_only_that() {
        let mut s = Saved::default();
        let mut r = 0;
        let taken: Vec<bool> = [1, 2, 2, 3].iter().map(|&t| s.seen(t, &mut r)).collect();
        assert_eq!(taken, [false; 4]);
        // The same input again after a restart, then one more event.
        let mut s2 = s.clone();
        let mut r = 0;
        let again: Vec<bool> = [1, 2, 2, 3, 3, 4]
            .iter()
            .map(|&t| s2.seen(t, &mut r))
            .collect();
        assert_eq!(again, [true, true, true, true, false, false]);
        let mut s3 = s.clone();
        let mut r = 0;
        s3.wm_ts = Some(2);
        s3.wm_n = 1;
        let again: Vec<bool> = [1, 2, 2].iter().map(|&t| s3.seen(t, &mut r)).collect();
        assert_eq!(again, [true, true, false]);
    }
}
