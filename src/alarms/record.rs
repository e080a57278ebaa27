//! The alarm state record: one line per alarm that needs attention, as
//! `query --alarms --active` writes it (docs/records.md, "Alarm state").
//!
//! ```json
//! {"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1,"unit":"degC","state":"acked","rule":"temp_hh","kind":"threshold","severity":"high","limit":45,"acked":"2026-01-01T00:02:00Z","by":"ann"}
//! ```
//!
//! `ts` is when the alarm was raised and `value` the reading that raised
//! it; `cleared` is present for `rtn_unacked`, `acked`, `by` and `note`
//! once acknowledged. It has no `event` field: it is not an event, and
//! verbs that know only readings pass it through.

use super::{Alarm, AlarmKey};
use crate::record::{Quality, ReadingRef, write_json_str, write_number};
use crate::time::TsFormatter;

/// Writes alarm state records, reusing one buffer.
#[derive(Debug, Default)]
pub struct StateEncoder {
    extra: Vec<u8>,
}

impl StateEncoder {
    /// The record of `alarm`, for a [`crate::record::RecordWriter`].
    pub fn encode<'a>(&'a mut self, key: &'a AlarmKey, alarm: &'a Alarm) -> ReadingRef<'a> {
        let x = &mut self.extra;
        x.clear();
        x.extend_from_slice(b"\"state\":");
        write_json_str(alarm.state.name(), x);
        x.extend_from_slice(b",\"rule\":");
        write_json_str(&key.rule, x);
        let text = |x: &mut Vec<u8>, k: &str, v: Option<&str>| {
            if let Some(v) = v {
                x.extend_from_slice(b",\"");
                x.extend_from_slice(k.as_bytes());
                x.extend_from_slice(b"\":");
                write_json_str(v, x);
            }
        };
        text(x, "kind", alarm.kind.as_deref());
        text(x, "severity", alarm.severity.as_deref());
        if let Some(l) = alarm.limit.filter(|l| l.is_finite()) {
            x.extend_from_slice(b",\"limit\":");
            write_number(l, x);
        }
        let cleared = alarm.cleared.map(TsFormatter::format);
        text(x, "cleared", cleared.as_deref());
        if let Some(ack) = &alarm.ack {
            let at = TsFormatter::format(ack.at);
            text(x, "acked", Some(&at));
            text(x, "by", Some(&ack.by));
            text(x, "note", ack.note.as_deref());
        }
        ReadingRef {
            ts: alarm.raised.unwrap_or_default(),
            asset: &key.asset,
            tag: &key.tag,
            value: if alarm.value.is_finite() {
                alarm.value
            } else {
                0.0
            },
            unit: &alarm.unit,
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: std::str::from_utf8(x).unwrap_or_default(),
            encoded: None,
        }
    }
}
