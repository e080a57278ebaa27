//! The registry in the JSON shapes of the chemical platform (docs/assets.md):
//!
//! - `assets.json`: `[{"id": UUID, "name", "type", "location",
//!   "specifications": {…}}]`, with `asset`, `parent` and `description`
//!   added only where they say something the other fields do not;
//! - `id2assets.json`: `{UUID: name}`;
//! - `graph.json`: `{"nodes": [UUID…], "edges": [{"source", "target",
//!   "relation"}]}`;
//!
//! and the graph as GraphViz DOT.

use std::collections::HashSet;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Asset, Registry, Relation};

/// A specification value as JSON: a number, `true`/`false`, an object or
/// array written as JSON text, else a string.
fn spec_value(v: &str) -> Value {
    let t = v.trim();
    let leading_zero = t.len() > 1 && t.starts_with('0') && !t.starts_with("0.");
    let number =
        t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with(['+', '.']) && !leading_zero;
    let looks_json = t.starts_with('{')
        || t.starts_with('[')
        || t == "true"
        || t == "false"
        || t == "null"
        || number;
    if looks_json && let Ok(j) = serde_json::from_str::<Value>(t) {
        return j;
    }
    Value::String(v.to_string())
}

/// A JSON specification value as registry text.
fn spec_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `assets.json`.
pub fn assets_json(reg: &Registry) -> Value {
    let list: Vec<Value> = reg
        .assets
        .iter()
        .map(|a| {
            let mut o = Map::new();
            o.insert("id".into(), json!(a.uuid.to_string()));
            o.insert("name".into(), json!(a.name));
            o.insert("type".into(), json!(a.kind));
            o.insert("location".into(), json!(a.location));
            let specs: Map<String, Value> = a
                .specs
                .iter()
                .map(|(k, v)| (k.clone(), spec_value(v)))
                .collect();
            o.insert("specifications".into(), Value::Object(specs));
            if a.id != a.uuid.to_string() {
                o.insert("asset".into(), json!(a.id));
            }
            if !a.parent.is_empty() {
                o.insert("parent".into(), json!(uuid_of(reg, &a.parent)));
            }
            if !a.description.is_empty() {
                o.insert("description".into(), json!(a.description));
            }
            Value::Object(o)
        })
        .collect();
    Value::Array(list)
}

fn uuid_of(reg: &Registry, id: &str) -> String {
    reg.get(id)
        .map_or_else(|| id.to_string(), |a| a.uuid.to_string())
}

/// `id2assets.json`.
pub fn id2assets_json(reg: &Registry) -> Value {
    Value::Object(
        reg.assets
            .iter()
            .map(|a| (a.uuid.to_string(), json!(a.name)))
            .collect(),
    )
}

/// `graph.json`: the assets as nodes, the relations as edges (a `parent`
/// cell is a `part_of` edge from the child to the parent).
pub fn graph_json(reg: &Registry) -> Value {
    let nodes: Vec<Value> = reg
        .assets
        .iter()
        .map(|a| json!(a.uuid.to_string()))
        .collect();
    let edges: Vec<Value> = edges(reg)
        .into_iter()
        .map(|(s, r, t)| json!({"source": uuid_of(reg, s), "target": uuid_of(reg, t), "relation": r}))
        .collect();
    json!({"nodes": nodes, "edges": edges})
}

/// The parent cells as `part_of`, then the relations.
fn edges(reg: &Registry) -> Vec<(&str, &str, &str)> {
    let mut out: Vec<(&str, &str, &str)> = reg
        .assets
        .iter()
        .filter(|a| !a.parent.is_empty())
        .map(|a| (a.id.as_str(), "part_of", a.parent.as_str()))
        .collect();
    out.extend(
        reg.relations
            .iter()
            .map(|r| (r.from.as_str(), r.relation.as_str(), r.to.as_str())),
    );
    out
}

/// The graph as GraphViz DOT: nodes named by asset id, labelled with the
/// name and type, clustered by location; edges labelled by relation.
pub fn dot(reg: &Registry) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from("digraph assets {\n  rankdir=LR;\n  node [shape=box];\n");
    let mut locations: Vec<&str> = Vec::new();
    for a in &reg.assets {
        if !locations.contains(&a.location.as_str()) {
            locations.push(&a.location);
        }
    }
    for (n, loc) in locations.iter().enumerate() {
        let indent = if loc.is_empty() { "  " } else { "    " };
        if !loc.is_empty() {
            out.push_str(&format!(
                "  subgraph cluster_{n} {{\n    label={};\n",
                q(loc)
            ));
        }
        for a in reg.assets.iter().filter(|a| a.location == *loc) {
            let label = format!("{}\n{}\n{}", a.id, a.name, a.kind);
            out.push_str(&format!("{indent}{} [label={}];\n", q(&a.id), q(&label)));
        }
        if !loc.is_empty() {
            out.push_str("  }\n");
        }
    }
    for (s, r, t) in edges(reg) {
        let style = if r == "feeds" { "" } else { ", style=dashed" };
        out.push_str(&format!(
            "  {} -> {} [label={}{style}];\n",
            q(s),
            q(t),
            q(r)
        ));
    }
    out.push_str("}\n");
    out
}

fn str_field<'a>(o: &'a Map<String, Value>, k: &str, at: &str) -> Result<&'a str> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(other) => bail!("{at}: \"{k}\" is {other}, not a string"),
    }
}

/// A registry from `assets.json`, and `graph.json` if given. Each asset's
/// id is its `asset` field when present, else its UUID; graph edges become
/// relations (by asset id). Nodes that are not in `assets.json` are an
/// error, as are edges between unknown nodes.
pub fn import(assets: &str, graph: Option<&str>) -> Result<Registry> {
    let list: Value = serde_json::from_str(assets).context("assets.json is not JSON")?;
    let Value::Array(list) = list else {
        bail!("assets.json: expected an array of assets");
    };
    let mut out = Vec::with_capacity(list.len());
    for (n, item) in list.iter().enumerate() {
        let at = format!("assets.json item {}", n + 1);
        let Value::Object(o) = item else {
            bail!("{at}: not an object");
        };
        let uuid = str_field(o, "id", &at)?;
        let uuid = Uuid::parse_str(uuid)
            .with_context(|| format!("{at}: \"id\" {uuid:?} is not a UUID"))?;
        let id = match str_field(o, "asset", &at)? {
            "" => uuid.to_string(),
            s => s.to_string(),
        };
        let specs = match o.get("specifications") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), spec_text(v))).collect(),
            Some(other) => bail!("{at}: \"specifications\" is {other}, not an object"),
        };
        out.push(Asset {
            uuid_given: uuid != super::derived_uuid(&id),
            id,
            uuid,
            name: str_field(o, "name", &at)?.to_string(),
            kind: str_field(o, "type", &at)?.to_lowercase().replace('_', " "),
            location: str_field(o, "location", &at)?.to_string(),
            parent: str_field(o, "parent", &at)?.to_string(),
            description: str_field(o, "description", &at)?.to_string(),
            specs,
            line: n as u64 + 1,
        });
    }
    let mut reg = Registry::new(out, Vec::new());
    // Parents are written as UUIDs: back to ids.
    let parents: Vec<String> = reg
        .assets
        .iter()
        .map(|a| {
            reg.get(&a.parent)
                .map_or_else(|| a.parent.clone(), |p| p.id.clone())
        })
        .collect();
    for (a, p) in reg.assets.iter_mut().zip(parents) {
        a.parent = p;
    }
    if let Some(graph) = graph {
        let g: Value = serde_json::from_str(graph).context("graph.json is not JSON")?;
        let nodes = g.get("nodes").and_then(Value::as_array);
        for (n, node) in nodes.into_iter().flatten().enumerate() {
            let id = node.as_str().unwrap_or_default();
            if reg.find(id).is_none() {
                bail!("graph.json node {}: {node} is not in assets.json", n + 1);
            }
        }
        let parent_edges: HashSet<(String, String)> = reg
            .assets
            .iter()
            .filter(|a| !a.parent.is_empty())
            .map(|a| (a.id.clone(), a.parent.clone()))
            .collect();
        let mut relations = Vec::new();
        let edges = g.get("edges").and_then(Value::as_array);
        for (n, e) in edges.into_iter().flatten().enumerate() {
            let at = format!("graph.json edge {}", n + 1);
            let Value::Object(o) = e else {
                bail!("{at}: not an object");
            };
            let end = |k: &str| -> Result<String> {
                let u = str_field(o, k, &at)?;
                reg.get(u)
                    .map(|a| a.id.clone())
                    .with_context(|| format!("{at}: \"{k}\" {u:?} is not in assets.json"))
            };
            let (from, to) = (end("source")?, end("target")?);
            let relation = str_field(o, "relation", &at)?.to_lowercase();
            if relation == "part_of" && parent_edges.contains(&(from.clone(), to.clone())) {
                continue;
            }
            relations.push(Relation {
                from,
                relation,
                to,
                line: n as u64 + 1,
            });
        }
        reg = Registry::new(reg.assets, relations);
    }
    Ok(reg)
}
