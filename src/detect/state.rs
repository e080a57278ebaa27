//! `--state FILE`: the engine's memory — every series' windows, last
//! values, learnt intervals and active alarms — saved as JSON at exit and
//! restored at start, so a restarted detect neither forgets what it learnt
//! nor raises again an alarm that is still active.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::{Engine, Memory};
use crate::time::Millis;

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    clock: Millis,
    series: Vec<SavedSeries>,
}

#[derive(Serialize, Deserialize)]
struct SavedSeries {
    asset: String,
    tag: String,
    #[serde(default)]
    unit: String,
    last_ts: Option<Millis>,
    last_value: Option<f64>,
    rules: Vec<SavedRule>,
}

#[derive(Serialize, Deserialize)]
struct SavedRule {
    name: String,
    active: bool,
    memory: Memory,
}

const VERSION: u32 = 1;

/// Writes the state under a temporary name and renames it, so a crash
/// never leaves half a file.
pub(crate) fn save(engine: &Engine, path: &Path) -> Result<()> {
    let saved = Saved {
        version: VERSION,
        clock: engine.clock,
        series: engine
            .series
            .iter()
            .map(|s| SavedSeries {
                asset: s.asset.clone(),
                tag: s.tag.clone(),
                unit: s.unit.clone(),
                last_ts: s.last_ts,
                last_value: s.last_value.is_finite().then_some(s.last_value),
                rules: s
                    .slots
                    .iter()
                    .map(|slot| SavedRule {
                        name: engine.rules.rules[slot.rule as usize].name.clone(),
                        active: slot.active,
                        memory: slot.memory.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp)
        .with_context(|| format!("writing state to {}", tmp.display()))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, &saved)
        .map_err(std::io::Error::from)
        .and_then(|()| std::io::Write::flush(&mut w))
        .with_context(|| format!("writing state to {}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, path).with_context(|| format!("writing state to {}", path.display()))
}

/// Restores a saved state into a fresh engine; a missing file is a first
/// start. Rules are matched by name and kind: a rule that changed kind or
/// is gone starts afresh.
pub(crate) fn restore(engine: &mut Engine, path: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading state {}", path.display())),
    };
    let saved: Saved = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a detect state file", path.display()))?;
    if saved.version != VERSION {
        anyhow::bail!(
            "{}: state version {} is not {VERSION}",
            path.display(),
            saved.version
        );
    }
    engine.clock = saved.clock;
    for s in saved.series {
        let sid = engine.series_id(&s.asset, &s.tag);
        let series = &mut engine.series[sid as usize];
        series.unit = s.unit;
        series.last_ts = s.last_ts;
        series.last_value = s.last_value.unwrap_or(f64::NAN);
        for r in s.rules {
            let rules = &engine.rules.rules;
            if let Some(slot) = series
                .slots
                .iter_mut()
                .find(|sl| rules[sl.rule as usize].name == r.name)
                && r.memory.same_kind(&rules[slot.rule as usize].check)
            {
                slot.memory = r.memory;
                if let Memory::Zscore(w) = &mut slot.memory {
                    w.recompute();
                }
                slot.active = r.active;
            }
        }
        engine.rearm(sid);
    }
    Ok(())
}
