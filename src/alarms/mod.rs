//! Alarms as ISA-18.2 has them: what the raised, cleared and acked events
//! of an alarm (a series plus a rule) make of its state, and which alarms
//! need an operator's attention.
//!
//! - [`state`]: [`Tracker`], the pure fold of events into states, and the
//!   refusal of an acknowledgement that does not fit. `query --alarms
//!   --active`, `store` (checking `acked` lines), `ack`, `--alarm-report`
//!   and the verbs that notify or serve alarms all go through it, so
//!   "active" means one thing everywhere.

//! - [`record`]: the alarm state record, one line per alarm.

pub mod record;
pub mod state;

pub use self::record::StateEncoder;
pub use self::state::{Ack, Alarm, AlarmKey, Refusal, State, Tracker};

use crate::patterns::Patterns;
use crate::time::Millis;

/// Which alarms and events a read asks for: asset, tag and rule globs,
/// severities (any when empty) and, for events, a half-open time range.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub assets: Patterns,
    pub tags: Patterns,
    pub rules: Patterns,
    pub severities: Vec<String>,
    /// Inclusive.
    pub from: Millis,
    /// Exclusive.
    pub to: Millis,
}

impl Filter {
    /// Whether an alarm of this series and rule is wanted.
    pub(crate) fn alarm_matches(&self, asset: &str, tag: &str, rule: &str) -> bool {
        self.assets.matches(asset) && self.tags.matches(tag) && self.rules.matches(rule)
    }

    /// Whether a severity (none when the line has none) is wanted.
    pub(crate) fn severity_matches(&self, severity: Option<&str>) -> bool {
        self.severities.is_empty()
            || severity.is_some_and(|s| self.severities.iter().any(|w| w == s))
    }
}
