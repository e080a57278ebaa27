//! Which alarms are active: the alarm events of every store replayed in
//! time order, an alarm (asset, tag, rule) active from `raised` until
//! `cleared`.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Value, json};

use super::api::ts_text;
use super::http::App;
use super::sources::Kind;
use crate::store::Selection;
use crate::store::sqlite::serve::EventRow;

/// The active alarms of the selected series, by asset, tag and rule.
pub(crate) fn active(app: &App, sel: &Selection) -> Result<Vec<Value>> {
    let mut state: BTreeMap<(String, String, String), (EventRow, Option<EventRow>)> =
        BTreeMap::new();
    for src in app.sources.iter().filter(|s| s.kind == Kind::Sqlite) {
        src.with_store(|s| {
            s.each_event(sel, &mut |e| {
                let key = (e.asset.clone(), e.tag.clone(), e.rule.clone());
                match e.event.as_str() {
                    "raised" => {
                        state.insert(key, (e, None));
                    }
                    "acked" => {
                        if let Some(a) = state.get_mut(&key) {
                            a.1 = Some(e);
                        }
                    }
                    "cleared" => {
                        state.remove(&key);
                    }
                    _ => {}
                }
            })
        })?;
    }
    Ok(state
        .into_values()
        .map(|(e, ack)| {
            let mut v = json!({
                "asset": e.asset, "tag": e.tag, "rule": e.rule,
                "since": ts_text(e.ts), "acked": ack.is_some(),
            });
            for (k, x) in [("kind", e.kind), ("severity", e.severity)] {
                if let Some(x) = x {
                    v[k] = x.into();
                }
            }
            for (k, x) in [("value", e.value), ("limit", e.limit)] {
                if let Some(x) = x.filter(|x| x.is_finite()) {
                    v[k] = x.into();
                }
            }
            v
        })
        .collect())
}
