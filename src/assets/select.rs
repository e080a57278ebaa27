//! Selecting series by what their asset is: `--where type=pump,location=
//! site-1/unit-300/*` and `--related-to R-101 --relation feeds` resolved
//! against a registry into the set of asset ids (and their UUIDs) that
//! verbs keep.

use std::collections::HashSet;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobMatcher};
use uuid::Uuid;

use super::{Asset, RELATIONS, Registry};

/// What to select: `where_` clauses (one `--where` each, its `key=glob`
/// pairs all to hold; any clause may match) and relations.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub where_: Vec<String>,
    pub related_to: Option<String>,
    pub relations: Vec<String>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.where_.is_empty() && self.related_to.is_none()
    }
}

/// The assets selected, by id and by UUID.
#[derive(Debug, Clone, Default)]
pub struct Selected {
    /// Asset ids in registry order.
    pub ids: Vec<String>,
    names: HashSet<String>,
    uuids: HashSet<Uuid>,
}

impl Selected {
    /// Whether an asset name in a record is selected: its id, or its UUID
    /// written in any of the usual forms.
    pub fn contains(&self, asset: &str) -> bool {
        if self.names.contains(asset) {
            return true;
        }
        (32..=45).contains(&asset.len())
            && Uuid::parse_str(asset).is_ok_and(|u| self.uuids.contains(&u))
    }

    /// Glob patterns matching exactly the selected ids and UUIDs, for the
    /// verbs that select series by `--asset` globs.
    pub fn globs(&self) -> Vec<String> {
        self.globs_where(|_| true)
    }

    /// As [`Selected::globs`], for the names `keep` keeps.
    pub fn globs_where(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let mut out: Vec<String> = self
            .names
            .iter()
            .filter(|n| keep(n))
            .map(|n| escape_glob(n))
            .collect();
        out.sort();
        out
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A glob matching `s` literally (and no commas to split it at).
fn escape_glob(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' => {
                o.push('[');
                o.push(c);
                o.push(']');
            }
            ',' => o.push('?'),
            c => o.push(c),
        }
    }
    o
}

/// One `key=glob` test.
struct Test {
    key: String,
    glob: GlobMatcher,
}

impl Test {
    fn matches(&self, a: &Asset) -> bool {
        let uuid;
        let value = match self.key.as_str() {
            "asset" | "id" => a.id.as_str(),
            "uuid" => {
                uuid = a.uuid.to_string();
                uuid.as_str()
            }
            "name" => &a.name,
            "type" => &a.kind,
            "location" => &a.location,
            "parent" => &a.parent,
            "description" => &a.description,
            key => match a.specs.iter().find(|(k, _)| k == key) {
                Some((_, v)) => v,
                None => return false,
            },
        };
        self.glob.is_match(value)
    }
}

/// Parses one `--where`: `key=glob` pairs separated by commas outside
/// braces.
fn clause(s: &str) -> Result<Vec<Test>> {
    let mut tests = Vec::new();
    for part in split_top_commas(s) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, glob)) = part.split_once('=') else {
            bail!("--where {part:?}: write KEY=GLOB (type=pump, location=site-1/unit-300/*)");
        };
        let key = key.trim().to_lowercase();
        let mut glob = glob.trim().to_string();
        if key == "type" {
            glob = glob.to_lowercase().replace('_', " ");
        }
        let glob = Glob::new(&glob)
            .with_context(|| format!("--where {part:?}: {glob:?} is not a valid glob"))?
            .compile_matcher();
        tests.push(Test { key, glob });
    }
    if tests.is_empty() {
        bail!("--where {s:?} says nothing: write KEY=GLOB");
    }
    Ok(tests)
}

fn split_top_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The assets of `reg` that `q` selects.
pub fn select(reg: &Registry, q: &Query) -> Result<Selected> {
    let clauses = q
        .where_
        .iter()
        .map(|s| clause(s))
        .collect::<Result<Vec<_>>>()?;
    let mut relations = Vec::new();
    for r in &q.relations {
        for r in r.split(',').map(|r| r.trim().to_lowercase()) {
            if !RELATIONS.contains(&r.as_str()) {
                bail!(
                    "--relation {r:?}: the relations are: {}",
                    RELATIONS.join(", ")
                );
            }
            relations.push(r);
        }
    }
    let related: Option<HashSet<usize>> = match &q.related_to {
        None => None,
        Some(id) => {
            let Some(i) = reg.find(id) else {
                bail!("--related-to {id:?}: no such asset in the registry");
            };
            Some(
                reg.neighbours(i)
                    .into_iter()
                    .filter(|(_, rel, _)| {
                        relations.is_empty() || relations.iter().any(|r| r == rel)
                    })
                    .map(|(j, _, _)| j)
                    .collect(),
            )
        }
    };
    let mut sel = Selected::default();
    for (i, a) in reg.assets.iter().enumerate() {
        let by_where = clauses.is_empty() || clauses.iter().any(|c| c.iter().all(|t| t.matches(a)));
        let by_relation = related.as_ref().is_none_or(|r| r.contains(&i));
        if by_where && by_relation {
            sel.ids.push(a.id.clone());
            sel.names.insert(a.id.clone());
            sel.names.insert(a.uuid.to_string());
            sel.uuids.insert(a.uuid);
        }
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chem() -> Registry {
        super::super::presets::load("chemical").unwrap()
    }

    fn ids(q: Query) -> Vec<String> {
        select(&chem(), &q).unwrap().ids
    }

    #[test]
    fn where_and_related() {
        let pumps_300 = ids(Query {
            where_: vec!["type=pump,location=site-1/unit-300/*".into()],
            ..Query::default()
        });
        assert_eq!(pumps_300, vec!["P-301"]);
        let either = ids(Query {
            where_: vec!["type=reactor".into(), "type=column".into()],
            ..Query::default()
        });
        assert_eq!(either, vec!["R-101", "R-102", "R-103", "C-201", "C-202"]);
        let feeders = ids(Query {
            related_to: Some("R-101".into()),
            relations: vec!["feeds".into()],
            ..Query::default()
        });
        assert_eq!(feeders, vec!["P-101A", "P-101B", "FV-101", "E-301"]);
        let braces = ids(Query {
            where_: vec!["type={tank,boiler},volume=*".into()],
            ..Query::default()
        });
        assert_eq!(braces, vec!["TK-401", "TK-402", "TK-403", "TK-404"]);
    }

    #[test]
    fn uuids_and_globs() {
        let sel = select(
            &chem(),
            &Query {
                where_: vec!["asset=R-10[12]".into()],
                ..Query::default()
            },
        )
        .unwrap();
        let u = super::super::derived_uuid("R-101");
        assert!(sel.contains("R-101") && sel.contains(&u.to_string()));
        assert!(sel.contains(&u.simple().to_string().to_uppercase()));
        assert!(!sel.contains("R-103"));
        assert_eq!(escape_glob("a*b,c"), "a[*]b?c");
        assert!(
            select(
                &chem(),
                &Query {
                    where_: vec!["type".into()],
                    ..Query::default()
                }
            )
            .is_err()
        );
    }
}
