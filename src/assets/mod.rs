//! The asset registry (docs/assets.md): one row per asset — its id, a
//! UUID, name, equipment type, ISA-95 location, parent, description and
//! specifications — and relations between assets (`from, relation, to`).
//!
//! [`Registry::load`] reads both CSV files and checks them, reporting every
//! problem with its file, line and column; [`select`] turns `--where` and
//! `--related-to` into a set of asset ids; [`search`] ranks assets by text;
//! [`interchange`] reads and writes the JSON shapes of other platforms.

pub mod interchange;
mod parse;
pub mod presets;
pub mod search;
pub mod select;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use uuid::Uuid;

pub use crate::model::ModelError;

/// Equipment types a registry accepts: ISO 14224's equipment classes where
/// they exist, plus the few a plant model's other presets need.
pub const TYPES: &[&str] = &[
    "agitator",
    "air cooler",
    "analyser",
    "blower",
    "boiler",
    "building",
    "centrifuge",
    "column",
    "compressor",
    "conveyor",
    "cooling tower",
    "dryer",
    "engine",
    "fan",
    "filter",
    "furnace",
    "generator",
    "heat exchanger",
    "instrument",
    "line",
    "machine",
    "mixer",
    "motor",
    "piping",
    "pump",
    "reactor",
    "separator",
    "tank",
    "turbine",
    "unit",
    "valve",
    "vessel",
    "wellhead",
];

/// Relations a registry accepts. `part_of` is also what a `parent` cell
/// says.
pub const RELATIONS: &[&str] = &[
    "controls",
    "drives",
    "feeds",
    "instrument_of",
    "located_in",
    "part_of",
    "protects",
];

/// The namespace of the UUIDs derived from asset ids: UUID v5 of the URL
/// `urn:iiot:asset` in the URL namespace.
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:iiot:asset")
}

/// The UUID of an asset without one in the registry: UUID v5 of its id in
/// [`namespace`], so the same id always gets the same UUID (Python:
/// `uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:iiot:asset"), id)`).
pub fn derived_uuid(id: &str) -> Uuid {
    Uuid::new_v5(&namespace(), id.as_bytes())
}

/// One asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub id: String,
    pub uuid: Uuid,
    /// Whether the UUID was written in the registry (not derived).
    pub uuid_given: bool,
    pub name: String,
    pub kind: String,
    pub location: String,
    pub parent: String,
    pub description: String,
    /// `key=value` pairs in the order written.
    pub specs: Vec<(String, String)>,
    /// Line in the assets file (0 when not read from one).
    pub line: u64,
}

/// One relation: `from relation to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub from: String,
    pub relation: String,
    pub to: String,
    pub line: u64,
}

/// A registry: assets in file order and their relations.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub assets: Vec<Asset>,
    pub relations: Vec<Relation>,
    by_id: HashMap<String, usize>,
    by_uuid: HashMap<Uuid, usize>,
}

/// Every problem of a registry, by file.
#[derive(Debug)]
pub struct RegistryErrors {
    pub errors: Vec<(String, ModelError)>,
}

impl fmt::Display for RegistryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "asset registry: {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for (source, e) in &self.errors {
            write!(f, "\n  {source}: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryErrors {}

impl Registry {
    /// A registry of these assets and relations, indexed (the first of
    /// duplicate ids or UUIDs wins).
    pub fn new(assets: Vec<Asset>, relations: Vec<Relation>) -> Registry {
        let mut r = Registry {
            assets,
            relations,
            ..Registry::default()
        };
        for (i, a) in r.assets.iter().enumerate() {
            r.by_id.entry(a.id.clone()).or_insert(i);
            r.by_uuid.entry(a.uuid).or_insert(i);
        }
        r
    }

    /// Parses and checks the assets CSV and (if any) the relations CSV;
    /// `*_source` name them in messages.
    pub fn load(
        assets: &str,
        assets_source: &str,
        relations: Option<(&str, &str)>,
    ) -> Result<Registry, RegistryErrors> {
        let mut errors = Vec::new();
        let mut errs = Vec::new();
        let list = parse::assets(assets, &mut errs);
        errors.extend(errs.drain(..).map(|e| (assets_source.to_string(), e)));
        let rels = match relations {
            Some((text, _)) => parse::relations(text, &mut errs),
            None => Vec::new(),
        };
        let rel_source = relations.map_or("", |r| r.1).to_string();
        errors.extend(errs.drain(..).map(|e| (rel_source.clone(), e)));
        let reg = Registry::new(list, rels);
        let (in_assets, in_relations) = reg.check();
        errors.extend(
            in_assets
                .into_iter()
                .map(|e| (assets_source.to_string(), e)),
        );
        errors.extend(in_relations.into_iter().map(|e| (rel_source.clone(), e)));
        if errors.is_empty() {
            Ok(reg)
        } else {
            Err(RegistryErrors { errors })
        }
    }

    /// Loads the registry of a file: its relations from `relations`, else
    /// from the neighbour [`relations_path`] when that exists.
    pub fn open(path: &Path, relations: Option<&Path>) -> Result<Registry> {
        let text = crate::io::read_to_string(path)?;
        let neighbour = relations_path(path);
        let rel_path = match relations {
            Some(p) => Some(p.to_path_buf()),
            None if neighbour.is_file() => Some(neighbour),
            None => None,
        };
        let rel_text = match &rel_path {
            Some(p) => Some(crate::io::read_to_string(p)?),
            None => None,
        };
        let rel_name = rel_path.as_ref().map(|p| p.display().to_string());
        let rel = rel_text.as_deref().zip(rel_name.as_deref());
        Ok(Registry::load(&text, &path.display().to_string(), rel)?)
    }

    /// The index of an asset by id or UUID (any case, with or without
    /// hyphens).
    pub fn find(&self, id_or_uuid: &str) -> Option<usize> {
        if let Some(&i) = self.by_id.get(id_or_uuid) {
            return Some(i);
        }
        Uuid::parse_str(id_or_uuid)
            .ok()
            .and_then(|u| self.by_uuid.get(&u).copied())
    }

    pub fn get(&self, id_or_uuid: &str) -> Option<&Asset> {
        self.find(id_or_uuid).map(|i| &self.assets[i])
    }

    /// Every `part_of` link: the parent cells and the `part_of` relations,
    /// as (child, parent, line, whether from a relation).
    fn part_of(&self) -> Vec<(&str, &str, u64, bool)> {
        let mut out: Vec<(&str, &str, u64, bool)> = self
            .assets
            .iter()
            .filter(|a| !a.parent.is_empty())
            .map(|a| (a.id.as_str(), a.parent.as_str(), a.line, false))
            .collect();
        out.extend(
            self.relations
                .iter()
                .filter(|r| r.relation == "part_of")
                .map(|r| (r.from.as_str(), r.to.as_str(), r.line, true)),
        );
        out
    }

    /// Problems across rows: duplicate ids and UUIDs, unknown parents,
    /// relations to unknown assets, cycles in `part_of`. Returns those of
    /// the assets file and those of the relations file.
    pub fn check(&self) -> (Vec<ModelError>, Vec<ModelError>) {
        let mut in_assets = Vec::new();
        let mut in_relations = Vec::new();
        let mut ids: HashMap<&str, u64> = HashMap::new();
        let mut uuids: HashMap<Uuid, (u64, &str)> = HashMap::new();
        for a in &self.assets {
            if let Some(first) = ids.insert(&a.id, a.line) {
                in_assets.push(err(
                    a.line,
                    "asset",
                    format!("asset {:?} appears twice (first on line {first})", a.id),
                ));
            }
            match uuids.get(&a.uuid) {
                Some((first, other)) => in_assets.push(err(
                    a.line,
                    "uuid",
                    format!(
                        "UUID {} of {:?} is already the UUID of {other:?} (line {first})",
                        a.uuid, a.id
                    ),
                )),
                None => {
                    uuids.insert(a.uuid, (a.line, &a.id));
                }
            }
            if !a.parent.is_empty() && self.find(&a.parent).is_none() {
                in_assets.push(err(
                    a.line,
                    "parent",
                    format!("unknown parent {:?}: no such asset", a.parent),
                ));
            }
        }
        for r in &self.relations {
            for (col, id) in [("from", &r.from), ("to", &r.to)] {
                if self.find(id).is_none() {
                    in_relations.push(err(r.line, col, format!("unknown asset {id:?}")));
                }
            }
        }
        for (line, from_relation, cycle) in self.cycles() {
            let e = err(
                line,
                if from_relation { "to" } else { "parent" },
                format!("part_of cycle: {}", cycle.join(" -> ")),
            );
            if from_relation {
                in_relations.push(e);
            } else {
                in_assets.push(e);
            }
        }
        (in_assets, in_relations)
    }

    /// Each cycle of `part_of` once: the line of the link that closes it,
    /// whether that link is a relation, and the ids around it.
    fn cycles(&self) -> Vec<(u64, bool, Vec<String>)> {
        let links = self.part_of();
        let mut up: HashMap<usize, Vec<(usize, u64, bool)>> = HashMap::new();
        for (child, parent, line, rel) in &links {
            if let (Some(c), Some(p)) = (self.find(child), self.find(parent)) {
                up.entry(c).or_default().push((p, *line, *rel));
            }
        }
        // 0 unvisited, 1 on the path, 2 done.
        let mut state = vec![0u8; self.assets.len()];
        let mut out = Vec::new();
        for start in 0..self.assets.len() {
            if state[start] != 0 {
                continue;
            }
            // Iterative DFS: (node, next edge index); path = the stack.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let edges = up.get(&node).map_or(&[][..], |v| v.as_slice());
                if *next >= edges.len() {
                    state[node] = 2;
                    stack.pop();
                    continue;
                }
                let (p, line, rel) = edges[*next];
                *next += 1;
                match state[p] {
                    0 => {
                        state[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let at = stack.iter().position(|&(n, _)| n == p).unwrap_or(0);
                        let mut ids: Vec<String> = stack[at..]
                            .iter()
                            .map(|&(n, _)| self.assets[n].id.clone())
                            .collect();
                        ids.push(self.assets[p].id.clone());
                        out.push((line, rel, ids));
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// The ids of the assets related to asset `i`, either way, with the
    /// relation and whether `i` is its `from`. `parent` cells count as
    /// `part_of`.
    pub fn neighbours(&self, i: usize) -> Vec<(usize, &str, bool)> {
        let id = &self.assets[i].id;
        let mut out = Vec::new();
        for (child, parent, _, _) in self.part_of() {
            if child == id {
                out.extend(self.find(parent).map(|p| (p, "part_of", true)));
            } else if parent == id {
                out.extend(self.find(child).map(|c| (c, "part_of", false)));
            }
        }
        for r in self.relations.iter().filter(|r| r.relation != "part_of") {
            if self.find(&r.from) == Some(i) {
                out.extend(self.find(&r.to).map(|t| (t, r.relation.as_str(), true)));
            } else if self.find(&r.to) == Some(i) {
                out.extend(self.find(&r.from).map(|f| (f, r.relation.as_str(), false)));
            }
        }
        out
    }

    /// The registry as its assets CSV.
    pub fn assets_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(parse::COLUMNS);
        for a in &self.assets {
            let uuid = if a.uuid_given {
                a.uuid.to_string()
            } else {
                String::new()
            };
            let specs = parse::write_specs(&a.specs);
            let _ = w.write_record([
                a.id.as_str(),
                &uuid,
                &a.name,
                &a.kind,
                &a.location,
                &a.parent,
                &a.description,
                &specs,
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The registry's relations CSV.
    pub fn relations_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["from", "relation", "to"]);
        for r in &self.relations {
            let _ = w.write_record([&r.from, &r.relation, &r.to]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

fn err(line: u64, column: &str, message: String) -> ModelError {
    ModelError {
        line,
        column: Some(column.to_string()),
        message,
    }
}

/// Where the relations of an assets file are when not named: beside it,
/// `X.csv` → `X.relations.csv`.
pub fn relations_path(assets: &Path) -> PathBuf {
    let name = assets
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    assets.with_file_name(format!("{stem}.relations.csv"))
}

impl Registry {
    /// The registry with `n` assets: asset `i` copies asset `i mod k` of
    /// this one, as copy `b = i div k` of the plant: id `S{b}/{id}` (zero
    /// padded), location with its first part (the site) numbered `b + 1`,
    /// and the relations among the copied assets copied alike. For
    /// benchmarks of plants far larger than a preset.
    pub fn scaled(&self, n: usize) -> Registry {
        let k = self.assets.len();
        if k == 0 {
            return Registry::default();
        }
        let copies = n.div_ceil(k);
        let width = copies.to_string().len().max(2);
        let rename = |b: usize, id: &str| format!("S{b:0width$}/{id}");
        let mut assets = Vec::with_capacity(n);
        for i in 0..n {
            let (b, a) = (i / k, &self.assets[i % k]);
            let mut c = a.clone();
            c.id = rename(b, &a.id);
            c.uuid = derived_uuid(&c.id);
            c.uuid_given = false;
            if !a.parent.is_empty() {
                c.parent = rename(b, &a.parent);
            }
            let rest = a.location.split_once('/').map_or("", |(_, r)| r);
            c.location = format!("site-{}/{rest}", b + 1);
            c.line = i as u64 + 2;
            assets.push(c);
        }
        let ids: std::collections::HashSet<String> = assets.iter().map(|a| a.id.clone()).collect();
        let mut relations = Vec::new();
        for b in 0..copies {
            for r in &self.relations {
                let (from, to) = (rename(b, &r.from), rename(b, &r.to));
                if ids.contains(&from) && ids.contains(&to) {
                    relations.push(Relation {
                        from,
                        relation: r.relation.clone(),
                        to,
                        line: relations.len() as u64 + 2,
                    });
                }
            }
        }
        // Parents beyond the last asset kept are dropped with it.
        for a in &mut assets {
            if !a.parent.is_empty() && !ids.contains(&a.parent) {
                a.parent.clear();
            }
        }
        Registry::new(assets, relations)
    }
}

/// Loads the registry at `path` and checks that every asset of `model` is
/// in it (by id or UUID); returns how many assets it holds.
pub fn check_model(model: &crate::model::Model, path: &Path) -> Result<usize> {
    let reg = Registry::open(path, None)?;
    let mut errors = Vec::new();
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    for r in &model.rows {
        first_line.entry(r.asset.as_str()).or_insert(r.line);
    }
    for a in model.assets() {
        if reg.find(a).is_none() {
            errors.push((
                "model".to_string(),
                ModelError {
                    line: first_line.get(a).copied().unwrap_or(0),
                    column: Some("asset".into()),
                    message: format!("asset {a:?} is not in the registry {}", path.display()),
                },
            ));
        }
    }
    if errors.is_empty() {
        Ok(reg.assets.len())
    } else {
        Err(RegistryErrors { errors }.into())
    }
}
