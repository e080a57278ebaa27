//! `plot --field NAME`: another numeric field of a record drawn in place
//! of its `value`.

use serde_json::Value;

use crate::record::Reading;

/// The series a record gives for `field`: (`TAG.FIELD`, value), one per
/// member when the field is an object of numbers; none when the record
/// has no such numeric field. `value` itself is the record's value.
pub fn pick(r: &Reading, field: &str) -> Vec<(String, f64)> {
    if field == "value" {
        return vec![(r.tag.clone(), r.value)];
    }
    let (head, rest) = match field.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (field, None),
    };
    let Some(raw) = r.extra_field(head) else {
        return Vec::new();
    };
    let Ok(mut v) = serde_json::from_str::<Value>(raw) else {
        return Vec::new();
    };
    if let Some(path) = rest {
        for key in path.split('.') {
            match v.get(key) {
                Some(inner) => v = inner.clone(),
                None => return Vec::new(),
            }
        }
    }
    let name = format!("{}.{field}", r.tag);
    match &v {
        Value::Number(n) => n.as_f64().map(|x| vec![(name, x)]).unwrap_or_default(),
        Value::Object(members) => members
            .iter()
            .filter_map(|(k, m)| m.as_f64().map(|x| (format!("{name}.{k}"), x)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordParser;

    fn reading(line: &str) -> Reading {
        let mut r = Reading::default();
        RecordParser::new().parse(line.as_bytes(), &mut r).unwrap();
        r
    }

    #[test]
    fn picks_numbers_paths_and_objects() {
        let r = reading(
            r#"{"ts":0,"asset":"M","tag":"oee","value":0.8,"oee":0.8,"scrap_rate":{"quality":0.01,"material":0.002},"every":"1h"}"#,
        );
        assert_eq!(pick(&r, "oee"), vec![("oee.oee".to_string(), 0.8)]);
        assert_eq!(
            pick(&r, "scrap_rate.quality"),
            vec![("oee.scrap_rate.quality".to_string(), 0.01)]
        );
        assert_eq!(pick(&r, "scrap_rate").len(), 2);
        assert!(pick(&r, "every").is_empty());
        assert!(pick(&r, "nothing").is_empty());
        assert_eq!(pick(&r, "value"), vec![("oee".to_string(), 0.8)]);
    }
}
