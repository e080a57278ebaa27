//! The record codec as a library: whatever a verb can hold in a [`Reading`]
//! is written as one line of valid JSON that parses back to the same
//! reading, and CSV carries the fixed fields back out intact.

use iiot::record::{Format, Quality, Reading, RecordEncoder, RecordParser};
use iiot::time::{MAX_MILLIS, MIN_MILLIS, Millis, TsFormatter};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

/// Field names the codec knows; an extra field by one of these names would
/// make a duplicate.
const KNOWN: [&str; 8] = [
    "ts", "asset", "tag", "value", "unit", "quality", "text", "fault",
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any character, with the ones JSON and CSV treat specially well
/// represented: quotes, backslashes, control characters, separators and
/// non-ASCII.
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::char::range('a', 'z'),
        2 => prop::sample::select(vec![
            '"', '\\', '/', '\n', '\r', '\t', '\0', '\u{1}', '\u{1f}', '\u{7f}', '\u{85}',
            '\u{2028}', '\u{feff}', ',', ' ', ':', '{', '}', 'é', '°', '€', '😀',
        ]),
    ]
}

fn string(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(any_char(), len).prop_map(String::from_iter)
}

/// An optional string: empty means absent.
fn optional() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), string(1..8)]
}

/// Any finite f64, from every float class and from the decimal shapes the
/// writer has fast paths for.
fn finite() -> impl Strategy<Value = f64> {
    use prop::num::f64 as F;
    prop_oneof![
        3 => F::POSITIVE | F::NEGATIVE | F::NORMAL | F::SUBNORMAL | F::ZERO,
        2 => (-100_000_000_000i64..100_000_000_000, 0i32..7)
            .prop_map(|(n, k)| n as f64 / 10f64.powi(k)),
        1 => (-1e16..1e16f64).prop_map(f64::trunc),
        1 => prop::sample::select(vec![
            0.0, -0.0, f64::MAX, f64::MIN, f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324,
            -5e-324, 1e9, -1e9, 999_999_999.999_999, 1e15, 2f64.powi(53), 0.1 + 0.2, 1e-7,
        ]),
    ]
}

fn ts() -> impl Strategy<Value = Millis> {
    prop_oneof![
        3 => MIN_MILLIS..=MAX_MILLIS,
        1 => -5_000i64..5_000,
        1 => 1_767_225_600_000i64..1_767_225_700_000,
        1 => prop::sample::select(vec![MIN_MILLIS, MIN_MILLIS + 1, MAX_MILLIS, MAX_MILLIS - 999]),
    ]
}

fn quality() -> impl Strategy<Value = Quality> {
    prop::sample::select(vec![Quality::Good, Quality::Uncertain, Quality::Bad])
}

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite().prop_map(Value::from),
        string(0..6).prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => json_scalar(),
        1 => prop::collection::vec(json_scalar(), 0..4).prop_map(Value::Array),
        1 => prop::collection::vec((string(0..4), json_scalar()), 0..3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
    ]
}

/// Zero to three extra fields, as (key, raw JSON).
fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = string(0..8).prop_filter("a known field would be a duplicate", |k| {
        !KNOWN.contains(&k.as_str())
    });
    prop::collection::vec((key, json_value()), 0..=3).prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v)| (k, serde_json::to_string(&v).unwrap()))
            .collect()
    })
}

#[allow(clippy::too_many_arguments)]
fn build(
    ts: Millis,
    asset: String,
    tag: String,
    value: f64,
    unit: String,
    quality: Quality,
    text: String,
    fault: String,
    extras: &[(String, String)],
) -> Reading {
    let mut r = Reading::default();
    r.ts = ts;
    r.asset = asset;
    r.tag = tag;
    r.value = value;
    r.unit = unit;
    r.quality = quality;
    r.text = text;
    r.fault = fault;
    for (k, raw) in extras {
        r.push_extra(k, raw);
    }
    r
}

fn reading() -> impl Strategy<Value = (Reading, Vec<(String, String)>)> {
    (
        ts(),
        string(1..10),
        string(1..10),
        finite(),
        optional(),
        quality(),
        optional(),
        optional(),
        extras(),
    )
        .prop_map(|(ts, asset, tag, value, unit, q, text, fault, extras)| {
            let r = build(ts, asset, tag, value, unit, q, text, fault, &extras);
            (r, extras)
        })
}

/// A short stream of readings, later ones often in the same second as the
/// one before (the writer and the parser cache the last timestamp).
fn stream() -> impl Strategy<Value = Vec<(Reading, Vec<(String, String)>)>> {
    (
        prop::collection::vec(reading(), 1..5),
        prop::collection::vec(prop::option::of(-1_500i64..1_500), 5),
    )
        .prop_map(|(mut readings, steps)| {
            for i in 1..readings.len() {
                if let Some(step) = steps[i] {
                    let prev = readings[i - 1].0.ts;
                    readings[i].0.ts = (prev + step).clamp(MIN_MILLIS, MAX_MILLIS);
                }
            }
            readings
        })
}

fn fail(what: &str, line: &[u8]) -> TestCaseError {
    TestCaseError::fail(format!("{what}: {}", String::from_utf8_lossy(line)))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_reading_print_parse_roundtrip(readings in stream()) {
        let mut encoder = RecordEncoder::new(Format::Ndjson);
        let mut parser = RecordParser::new();
        let mut back = Reading::default();
        for (r, extras) in &readings {
            let mut line = Vec::new();
            encoder.encode(&r.as_ref(), &mut line);
            prop_assert_eq!(line.last(), Some(&b'\n'));
            prop_assert_eq!(
                line.iter().filter(|&&b| b == b'\n').count(), 1,
                "one newline, at the end: {:?}", String::from_utf8_lossy(&line)
            );
            let body = &line[..line.len() - 1];

            let json: Value = serde_json::from_slice(body)
                .map_err(|e| fail(&format!("not JSON ({e})"), body))?;
            let ts = TsFormatter::format(r.ts);
            prop_assert_eq!(json["ts"].as_str(), Some(ts.as_str()));
            prop_assert_eq!(json["asset"].as_str(), Some(r.asset.as_str()));
            prop_assert_eq!(json["tag"].as_str(), Some(r.tag.as_str()));
            prop_assert_eq!(json["value"].as_f64(), Some(r.value));

            parser
                .parse(body, &mut back)
                .map_err(|e| fail(&format!("rejected ({e})"), body))?;
            prop_assert_eq!(&back, r, "line: {}", String::from_utf8_lossy(body));

            // A key that needs no escaping is found by its plain name.
            for (k, _) in extras {
                if k.chars().all(|c| c >= ' ' && c != '"' && c != '\\') {
                    let first = extras.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str());
                    prop_assert_eq!(back.extra_field(k), first, "key {:?}", k);
                }
            }
        }
    }

    #[test]
    fn prop_csv_fixed_fields_read_back(readings in stream()) {
        let mut encoder = RecordEncoder::new(Format::Csv);
        let mut out = Vec::new();
        for (r, _) in &readings {
            encoder.encode(&r.as_ref(), &mut out);
        }
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(&out[..]);
        let header = rdr.headers().map_err(|e| fail(&e.to_string(), &out))?.clone();
        prop_assert_eq!(
            header.iter().collect::<Vec<_>>(),
            ["ts", "asset", "tag", "value", "unit", "quality", "text", "fault"]
        );
        let rows = rdr
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(&e.to_string(), &out))?;
        prop_assert_eq!(rows.len(), readings.len(), "{}", String::from_utf8_lossy(&out));
        for (row, (r, _)) in rows.iter().zip(&readings) {
            prop_assert_eq!(row.len(), 8);
            let ts = TsFormatter::format(r.ts);
            prop_assert_eq!(&row[0], ts.as_str());
            prop_assert_eq!(&row[1], r.asset.as_str());
            prop_assert_eq!(&row[2], r.tag.as_str());
            prop_assert_eq!(row[3].parse::<f64>().ok(), Some(r.value), "value {:?}", &row[3]);
            prop_assert_eq!(&row[4], r.unit.as_str());
            let q = if r.quality == Quality::Good { "" } else { r.quality.as_str() };
            prop_assert_eq!(&row[5], q);
            prop_assert_eq!(&row[6], r.text.as_str());
            prop_assert_eq!(&row[7], r.fault.as_str());
        }
    }
}

#[test]
fn reading_extra_field_finds_each_pushed_key() {
    let pushed = [
        ("anomalies", r#"[{"rule":"temp_hh","limit":45.0}]"#),
        ("every", r#""1m""#),
        ("count", "60"),
        ("meta", r#"{"a":null}"#),
        ("", "true"),
    ];
    let mut r = Reading::default();
    for (k, v) in pushed {
        r.push_extra(k, v);
    }
    r.push_extra("say \"hi\"", "1");
    for (k, v) in pushed {
        assert_eq!(r.extra_field(k), Some(v), "key {k:?}");
    }
    // Keys are compared as JSON writes them.
    assert_eq!(r.extra_field(r#"say \"hi\""#), Some("1"));
    assert_eq!(r.extra_field("rule"), None);
    assert_eq!(r.extra_field("ts"), None);
    assert_eq!(
        r.extra(),
        r#""anomalies":[{"rule":"temp_hh","limit":45.0}],"every":"1m","count":60,"meta":{"a":null},"":true,"say \"hi\"":1"#
    );
    let fields: Vec<(&str, &str)> = r.extra_fields().collect();
    assert_eq!(fields.len(), 6);
    assert_eq!(&fields[..5], &pushed[..]);

    // And after a trip through the codec.
    r.ts = 0;
    r.asset = "A".into();
    r.tag = "t".into();
    let mut line = Vec::new();
    RecordEncoder::new(Format::Ndjson).encode(&r.as_ref(), &mut line);
    let mut back = Reading::default();
    RecordParser::new()
        .parse(&line[..line.len() - 1], &mut back)
        .unwrap();
    for (k, v) in pushed {
        assert_eq!(back.extra_field(k), Some(v), "key {k:?} after parsing");
    }
    assert!(!back.is_event());
    back.push_extra("event", r#""raised""#);
    assert!(back.is_event());
}
