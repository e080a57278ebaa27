//! What `poll` sends, planned once before the first poll: the read requests
//! that cover a unit's points (coalesced per unit and table), grouped by
//! target (`HOST:PORT`), and dealt out over each target's connections.
//!
//! The limits on one request are the Modbus Application Protocol
//! Specification's: 125 registers for function codes 3 and 4, 2000 bits for
//! 1 and 2 (see [`MAX_REGS`] and [`MAX_BITS`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use super::map::{MAX_BITS, MAX_REGS, Point, is_bit_table};
use crate::model::Table;

/// One read request: a run of one table of one unit.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    pub unit_id: u8,
    pub table: Table,
    pub start: u16,
    pub count: u16,
    /// Indexes into the points, each with its offset from `start`.
    pub points: Vec<(usize, u16)>,
}

/// The requests that read the given points (indexes into `all`): per unit
/// and table, points in address order merged into one request while the
/// gap before the next is at most `max_gap` and the request stays within
/// 125 registers (2000 bits).
pub fn plan(all: &[Point], which: &[usize], max_gap: u16) -> Vec<ReadPlan> {
    let mut groups: BTreeMap<(u8, Table), Vec<usize>> = BTreeMap::new();
    for &i in which {
        groups
            .entry((all[i].unit_id, all[i].table))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for ((unit_id, table), mut idx) in groups {
        idx.sort_by_key(|&i| all[i].address);
        let limit = u32::from(if is_bit_table(table) {
            MAX_BITS
        } else {
            MAX_REGS
        });
        let mut cur: Option<ReadPlan> = None;
        for i in idx {
            let p = &all[i];
            let (s, e) = (
                u32::from(p.address),
                u32::from(p.address) + u32::from(p.width()),
            );
            if let Some(c) = cur.as_mut() {
                let cs = u32::from(c.start);
                let ce = cs + u32::from(c.count);
                if s <= ce + u32::from(max_gap) && e.max(ce) - cs <= limit {
                    c.count = (e.max(ce) - cs) as u16;
                    c.points.push((i, (s - cs) as u16));
                    continue;
                }
                out.extend(cur.take());
            }
            cur = Some(ReadPlan {
                unit_id,
                table,
                start: p.address,
                count: (e - s) as u16,
                points: vec![(i, 0)],
            });
        }
        out.extend(cur);
    }
    out
}

/// One connection `poll` opens: its target, the requests it sends every
/// poll, and the count of the target's connections that are down, shared
/// by every connection to that target so an outage is reported once.
#[derive(Debug)]
pub struct Connection {
    pub target: String,
    pub down: Arc<AtomicUsize>,
    pub requests: Vec<ReadPlan>,
}

/// How the points are spread over connections.
#[derive(Debug, Clone)]
pub struct PlanConfig {
    /// For points without a `host`.
    pub default_target: String,
    /// Unused registers (or bits) a request may read through (`--max-gap`).
    pub max_gap: u16,
    /// Most connections to one target (`--connections`).
    pub connections: usize,
    /// Say on stderr how many requests and connections each target gets.
    pub verbose: bool,
}

/// The connections that poll `points`: per target (the point's `host`, else
/// the default), its coalesced requests dealt out round robin over at most
/// `cfg.connections` connections, never an idle one. Targets come in name
/// order, each target's connections together.
pub fn connections(points: &[Point], cfg: &PlanConfig) -> Vec<Connection> {
    let mut by_target: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in points.iter().enumerate() {
        let t = if p.host.is_empty() {
            cfg.default_target.clone()
        } else {
            p.host.clone()
        };
        by_target.entry(t).or_default().push(i);
    }
    let mut out = Vec::new();
    for (t, idx) in by_target {
        let all = plan(points, &idx, cfg.max_gap);
        let n = cfg.connections.min(all.len()).max(1);
        if cfg.verbose {
            eprintln!(
                "iiot poll: {}: {} requests a poll over {n} connection{}",
                super::shown(&t),
                all.len(),
                if n == 1 { "" } else { "s" }
            );
        }
        let mut shares: Vec<Vec<ReadPlan>> = (0..n).map(|_| Vec::new()).collect();
        for (k, r) in all.into_iter().enumerate() {
            shares[k % n].push(r);
        }
        let down = Arc::new(AtomicUsize::new(0));
        out.extend(shares.into_iter().map(|requests| Connection {
            target: t.clone(),
            down: Arc::clone(&down),
            requests,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::map::points;
    use crate::model::Model;

    #[test]
    fn coalesces_near_addresses_within_the_limit() {
        let model = Model::parse(
            "asset,tag,address,type\nA,a,0,f32\nA,b,2,u16\nA,c,10,u16\nA,d,120,f64\nA,e,124,f32\n",
        )
        .0;
        let pts = points(&model);
        let all: Vec<usize> = (0..pts.len()).collect();
        let p = plan(&pts, &all, 0);
        let spans: Vec<(u16, u16)> = p.iter().map(|r| (r.start, r.count)).collect();
        assert_eq!(spans, vec![(0, 3), (10, 1), (120, 6)]);
        let p = plan(&pts, &all, 7);
        let spans: Vec<(u16, u16)> = p.iter().map(|r| (r.start, r.count)).collect();
        assert_eq!(spans, vec![(0, 11), (120, 6)]);
        let p = plan(&pts, &all, 200);
        let spans: Vec<(u16, u16)> = p.iter().map(|r| (r.start, r.count)).collect();
        // 0..124 is 124 registers; 0..126 would be 126, over the limit.
        assert_eq!(spans, vec![(0, 124), (124, 2)]);
    }

    #[test]
    fn connections_deal_a_targets_requests_round_robin_and_open_none_idle() {
        // Four units on the default target, one unit on its own host: one
        // request each (units never share a request).
        let model = Model::parse(
            "asset,tag,host,unit_id,address,type\n\
             A,a,,1,0,u16\nA,b,,2,0,u16\nA,c,,3,0,u16\nA,d,,4,0,u16\n\
             B,e,10.0.0.9:502,1,0,u16\n",
        )
        .0;
        let pts = points(&model);
        let cfg = PlanConfig {
            default_target: "127.0.0.1:5020".into(),
            max_gap: 8,
            connections: 3,
            verbose: false,
        };
        let conns = connections(&pts, &cfg);
        let got: Vec<(&str, Vec<u8>)> = conns
            .iter()
            .map(|c| {
                let units = c.requests.iter().map(|r| r.unit_id).collect();
                (c.target.as_str(), units)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("10.0.0.9:502", vec![1]),
                ("127.0.0.1:5020", vec![1, 4]),
                ("127.0.0.1:5020", vec![2]),
                ("127.0.0.1:5020", vec![3]),
            ]
        );
        // One count of connections down per target, shared by its connections.
        assert!(Arc::ptr_eq(&conns[1].down, &conns[3].down));
        assert!(!Arc::ptr_eq(&conns[0].down, &conns[1].down));
    }
}
