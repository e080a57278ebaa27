//! Reading the assets and relations CSV files, cell by cell, with the line
//! and column of every bad one; a row with one is left out.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Asset, ModelError, RELATIONS, Relation, TYPES, derived_uuid, err};

/// The columns of an assets file, in the order the presets write them.
pub const COLUMNS: [&str; 8] = [
    "asset",
    "uuid",
    "name",
    "type",
    "location",
    "parent",
    "description",
    "specifications",
];

/// The header's columns by name, or the errors of a bad header.
fn header(
    reader: &mut csv::Reader<&[u8]>,
    known: &[&str],
    required: &[&str],
    errors: &mut Vec<ModelError>,
) -> Option<HashMap<String, usize>> {
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(ModelError {
                line: 1,
                column: None,
                message: format!("cannot read the header: {e}"),
            });
            return None;
        }
    };
    let mut index = HashMap::new();
    let before = errors.len();
    for (i, h) in headers.iter().enumerate() {
        if !known.contains(&h) {
            errors.push(err(
                1,
                &format!("{} ({h:?})", i + 1),
                format!(
                    "unknown column {h:?}; the columns are: {}",
                    known.join(", ")
                ),
            ));
        } else if index.insert(h.to_string(), i).is_some() {
            errors.push(err(1, h, "column appears twice".to_string()));
        }
    }
    for r in required {
        if !index.contains_key(*r) {
            errors.push(err(1, r, "required column is missing".to_string()));
        }
    }
    (errors.len() == before).then_some(index)
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
}

/// The assets of an assets CSV.
pub(super) fn assets(text: &str, errors: &mut Vec<ModelError>) -> Vec<Asset> {
    let mut rd = reader(text);
    let Some(index) = header(&mut rd, &COLUMNS, &["asset"], errors) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(ModelError {
                    line,
                    column: None,
                    message: format!("bad CSV row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: &str| index.get(c).and_then(|&i| rec.get(i)).unwrap_or("");
        let before = errors.len();
        let id = cell("asset").to_string();
        if id.is_empty() {
            errors.push(err(line, "asset", "empty asset id".to_string()));
        }
        let (uuid, uuid_given) = match cell("uuid") {
            "" => (derived_uuid(&id), false),
            s => match Uuid::parse_str(s) {
                Ok(u) => (u, true),
                Err(e) => {
                    errors.push(err(line, "uuid", format!("{s:?} is not a UUID: {e}")));
                    (Uuid::nil(), true)
                }
            },
        };
        let kind = cell("type").to_lowercase().replace('_', " ");
        if !kind.is_empty() && !TYPES.contains(&kind.as_str()) {
            errors.push(err(
                line,
                "type",
                format!("unknown type {kind:?}; the types are: {}", TYPES.join(", ")),
            ));
        }
        let specs = match read_specs(cell("specifications")) {
            Ok(s) => s,
            Err(m) => {
                errors.push(err(line, "specifications", m));
                Vec::new()
            }
        };
        if errors.len() > before {
            continue;
        }
        out.push(Asset {
            id,
            uuid,
            uuid_given,
            name: cell("name").to_string(),
            kind,
            location: cell("location").trim_matches('/').to_string(),
            parent: cell("parent").to_string(),
            description: cell("description").to_string(),
            specs,
            line,
        });
    }
    out
}

/// The relations of a relations CSV.
pub(super) fn relations(text: &str, errors: &mut Vec<ModelError>) -> Vec<Relation> {
    let mut rd = reader(text);
    let cols = ["from", "relation", "to"];
    let Some(index) = header(&mut rd, &cols, &cols, errors) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(ModelError {
                    line,
                    column: None,
                    message: format!("bad CSV row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: &str| index.get(c).and_then(|&i| rec.get(i)).unwrap_or("");
        let relation = cell("relation").to_lowercase();
        if !RELATIONS.contains(&relation.as_str()) {
            errors.push(err(
                line,
                "relation",
                format!(
                    "unknown relation {relation:?}; the relations are: {}",
                    RELATIONS.join(", ")
                ),
            ));
            continue;
        }
        let mut empty = false;
        for c in ["from", "to"] {
            if cell(c).is_empty() {
                errors.push(err(line, c, "empty asset id".to_string()));
                empty = true;
            }
        }
        if empty {
            continue;
        }
        out.push(Relation {
            from: cell("from").to_string(),
            relation,
            to: cell("to").to_string(),
            line,
        });
    }
    out
}

/// `key=value;key=value`, `\;` `\=` and `\\` escaping those characters.
pub fn read_specs(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut chars = s.chars();
    let mut push = |key: &mut String, value: &mut String, in_value: bool| {
        let k = key.trim().to_string();
        if k.is_empty() && !in_value && value.is_empty() {
            return Ok(());
        }
        if !in_value {
            return Err(format!(
                "{k:?} has no value: write key=value pairs separated by ';'"
            ));
        }
        if k.is_empty() {
            return Err("a pair has an empty key".to_string());
        }
        out.push((k, value.trim().to_string()));
        key.clear();
        value.clear();
        Ok(())
    };
    while let Some(c) = chars.next() {
        let target = if in_value { &mut value } else { &mut key };
        match c {
            '\\' => target.push(chars.next().unwrap_or('\\')),
            ';' => {
                push(&mut key, &mut value, in_value)?;
                in_value = false;
            }
            '=' if !in_value => in_value = true,
            c => target.push(c),
        }
    }
    push(&mut key, &mut value, in_value)?;
    Ok(out)
}

/// The inverse of [`read_specs`].
pub fn write_specs(specs: &[(String, String)]) -> String {
    let esc = |s: &str, eq: bool| {
        let mut o = String::with_capacity(s.len());
        for c in s.chars() {
            if c == '\\' || c == ';' || (eq && c == '=') {
                o.push('\\');
            }
            o.push(c);
        }
        o
    };
    specs
        .iter()
        .map(|(k, v)| format!("{}={}", esc(k, true), esc(v, false)))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn specs_read() {
        let s = read_specs("volume=25 m3; material = SS316 ;a\\;b=c\\=d").unwrap();
        assert_eq!(
            s,
            vec![
                ("volume".into(), "25 m3".into()),
                ("material".into(), "SS316".into()),
                ("a;b".into(), "c=d".into())
            ]
        );
        assert!(read_specs("volume").is_err());
        assert_eq!(read_specs("").unwrap(), vec![]);
    }

    proptest! {
        #[test]
        fn specs_round_trip(pairs in proptest::collection::vec(("[a-z;=\\\\][a-z ;=\\\\]{0,6}[a-z;=\\\\]", "[a-z0-9;=\\\\]{0,8}"), 0..5)) {
            let pairs: Vec<(String, String)> = pairs;
            prop_assert_eq!(read_specs(&write_specs(&pairs)).unwrap(), pairs);
        }
    }
}
