//! Finding assets by what people call them: BM25F over the id, name,
//! type, description, location and specifications of each asset, with
//! field weights, light plural stemming, an equipment-synonym list,
//! typo tolerance by edit distance and a boost for assets related to a
//! strong match.
//!
//! The index is built in memory at each call (100,000 assets: see
//! bench/assets.sh); scoring walks the postings of the query's terms into
//! a dense score array.

use std::collections::HashMap;

use serde::Serialize;

use super::Registry;

/// The fields searched, with their BM25F weight and length normalisation.
const FIELDS: [(&str, f32, f32); 6] = [
    ("asset", 3.0, 0.3),
    ("name", 3.0, 0.6),
    ("type", 2.5, 0.0),
    ("description", 1.0, 0.75),
    ("location", 0.8, 0.3),
    ("specifications", 0.6, 0.75),
];
const K1: f32 = 1.2;
/// The share of a strong match's score its related assets get.
const RELATED: f32 = 0.35;

/// Equipment synonyms and abbreviations engineers use: each group's words
/// stand for one another (stemmed, lower case).
pub const SYNONYMS: &[&[&str]] = &[
    &["exchanger", "hx", "exch", "hex"],
    &["column", "tower", "col"],
    &["vessel", "drum", "receiver", "pot"],
    &["tank", "tk", "storage"],
    &["reactor", "rx", "cstr", "autoclave"],
    &["pump", "pmp"],
    &["valve", "vlv"],
    &["compressor", "compr", "comp"],
    &[
        "instrument",
        "transmitter",
        "sensor",
        "gauge",
        "gage",
        "xmtr",
        "meter",
    ],
    &["temperature", "temp", "tt"],
    &["pressure", "pt"],
    &["level", "lvl", "lt"],
    &["relief", "safety", "psv", "prv", "srv"],
    &["agitator", "mixer", "stirrer", "impeller"],
    &["cooler", "aftercooler", "chiller"],
    &["condenser", "cond"],
    &["heater", "furnace"],
    &["motor", "drive"],
    &["blower", "fan"],
];

/// Words too common to tell assets apart.
const STOP: &[&str] = &[
    "a", "an", "and", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to",
    "with",
];

/// Lower-case words of `text`: runs of letters and digits, plurals
/// stemmed; a chunk such as `P-101A` also gives itself whole (`p-101a`,
/// `p101a`) so that tag numbers match as written.
pub fn tokens(text: &str, out: &mut Vec<String>) {
    for chunk in
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
    {
        let chunk = chunk.trim_matches(|c: char| !c.is_alphanumeric());
        if chunk.is_empty() {
            continue;
        }
        let lower = chunk.to_lowercase();
        let mut parts = 0;
        for w in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            parts += 1;
            // Single letters (the `P` of `P-101`) and little words say
            // nothing on their own.
            if w.chars().count() > 1 && !STOP.contains(&w) {
                out.push(stem(w));
            }
        }
        if parts > 1 && lower.chars().any(|c| c.is_ascii_digit()) {
            out.push(lower.clone());
            out.push(lower.chars().filter(|c| c.is_alphanumeric()).collect());
        }
    }
}

/// Plural to singular, roughly: `pumps` → `pump`, `batteries` →
/// `battery`; words of four letters or fewer and `ss`/`us`/`is` endings
/// stay.
fn stem(w: &str) -> String {
    if w.len() > 4 && w.chars().all(|c| c.is_ascii_alphabetic()) {
        if let Some(s) = w.strip_suffix("ies") {
            return format!("{s}y");
        }
        if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
            return w[..w.len() - 1].to_string();
        }
    }
    w.to_string()
}

/// The words of a query, each with the forms that stand for it: a tag
/// number such as `R-101` is one word whose forms are `r-101` and `r101`
/// (weight 1) and its number `101` (weight 0.5); other words are one form.
fn query_words(query: &str) -> Vec<Vec<(String, f32)>> {
    let mut out: Vec<Vec<(String, f32)>> = Vec::new();
    let mut buf = Vec::new();
    for chunk in query.split_whitespace() {
        buf.clear();
        tokens(chunk, &mut buf);
        let tag = chunk.chars().any(|c| c.is_ascii_digit())
            && chunk.chars().any(|c| !c.is_alphanumeric());
        if tag && buf.len() >= 2 {
            let n = buf.len();
            let mut forms = vec![(buf[n - 2].clone(), 1.0), (buf[n - 1].clone(), 1.0)];
            forms.extend(buf[..n - 2].iter().map(|p| (p.clone(), 0.5)));
            out.push(forms);
        } else {
            out.extend(buf.drain(..).map(|w| vec![(w, 1.0)]));
        }
    }
    out.dedup();
    out
}

#[derive(Clone, Copy)]
struct Posting {
    doc: u32,
    field: u8,
    tf: u16,
}

/// The in-memory index of a registry.
pub struct Index<'r> {
    reg: &'r Registry,
    terms: HashMap<String, u32>,
    /// Each term's text, by id.
    texts: Vec<String>,
    postings: Vec<Vec<Posting>>,
    /// Distinct documents per term.
    df: Vec<u32>,
    /// Token count per document and field.
    lens: Vec<[u16; 6]>,
    avg: [f32; 6],
    /// Alphabetic terms, for typo matching.
    words: Vec<(String, u32)>,
    /// Related assets of each asset: (asset, relation, whether this one is the `from`).
    adjacent: Vec<Vec<(u32, String, bool)>>,
}

/// Why an asset matched.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Why {
    Term {
        field: &'static str,
        term: String,
        query: String,
        /// `exact`, `synonym`, `typo` or `prefix`.
        matched: &'static str,
    },
    Related {
        related: String,
        relation: String,
        boost: f64,
    },
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The query, when several are run at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub rank: usize,
    pub asset: String,
    pub uuid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub location: String,
    pub score: f64,
    pub why: Vec<Why>,
}

/// A query term's expansion: an index term, its weight, how it matched.
struct Expansion {
    term: u32,
    weight: f32,
    matched: &'static str,
    idf: f32,
}

impl<'r> Index<'r> {
    pub fn new(reg: &'r Registry) -> Index<'r> {
        let mut ix = Index {
            reg,
            terms: HashMap::new(),
            texts: Vec::new(),
            postings: Vec::new(),
            df: Vec::new(),
            lens: Vec::with_capacity(reg.assets.len()),
            avg: [0.0; 6],
            words: Vec::new(),
            adjacent: vec![Vec::new(); reg.assets.len()],
        };
        let mut buf = Vec::new();
        let mut counts: HashMap<u32, u16> = HashMap::new();
        let mut specs = String::new();
        let mut totals = [0f64; 6];
        for (d, a) in reg.assets.iter().enumerate() {
            specs.clear();
            for (k, v) in &a.specs {
                specs.push_str(k);
                specs.push(' ');
                specs.push_str(v);
                specs.push(' ');
            }
            let fields = [
                a.id.as_str(),
                &a.name,
                &a.kind,
                &a.description,
                &a.location,
                &specs,
            ];
            let mut lens = [0u16; 6];
            for (f, text) in fields.iter().enumerate() {
                buf.clear();
                tokens(text, &mut buf);
                lens[f] = buf.len().min(u16::MAX as usize) as u16;
                totals[f] += buf.len() as f64;
                counts.clear();
                for t in buf.drain(..) {
                    let next = ix.terms.len() as u32;
                    let id = match ix.terms.get(&t) {
                        Some(&id) => id,
                        None => {
                            ix.texts.push(t.clone());
                            ix.terms.insert(t, next);
                            next
                        }
                    };
                    if id == next {
                        ix.postings.push(Vec::new());
                        ix.df.push(0);
                    }
                    *counts.entry(id).or_default() += 1;
                }
                for (&t, &tf) in &counts {
                    ix.postings[t as usize].push(Posting {
                        doc: d as u32,
                        field: f as u8,
                        tf,
                    });
                }
            }
            ix.lens.push(lens);
        }
        let n = reg.assets.len().max(1) as f64;
        for (avg, total) in ix.avg.iter_mut().zip(totals) {
            *avg = ((total / n) as f32).max(1.0);
        }
        for (t, p) in ix.postings.iter().enumerate() {
            let mut last = u32::MAX;
            for post in p {
                if post.doc != last {
                    ix.df[t] += 1;
                    last = post.doc;
                }
            }
        }
        ix.words = ix
            .terms
            .iter()
            .filter(|(w, _)| w.len() >= 4 && w.chars().all(|c| c.is_alphabetic()))
            .map(|(w, &id)| (w.clone(), id))
            .collect();
        ix.words.sort();
        for a in &reg.assets {
            if a.parent.is_empty() {
                continue;
            }
            if let (Some(c), Some(p)) = (reg.find(&a.id), reg.find(&a.parent)) {
                ix.adjacent[c].push((p as u32, "part_of".into(), true));
                ix.adjacent[p].push((c as u32, "part_of".into(), false));
            }
        }
        for r in &reg.relations {
            if let (Some(f), Some(t)) = (reg.find(&r.from), reg.find(&r.to)) {
                ix.adjacent[f].push((t as u32, r.relation.clone(), true));
                ix.adjacent[t].push((f as u32, r.relation.clone(), false));
            }
        }
        ix
    }

    fn idf(&self, term: u32) -> f32 {
        let n = self.reg.assets.len() as f32;
        let df = self.df[term as usize] as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The idf of a synonym group: of the documents that have any of
    /// its words (their document frequencies summed), so that a rare
    /// synonym is worth no more than a common one.
    fn group_idf(&self, group: &[&str]) -> f32 {
        let n = self.reg.assets.len() as f32;
        let df: u32 = group
            .iter()
            .filter_map(|w| self.terms.get(*w))
            .map(|&t| self.df[t as usize])
            .sum();
        let df = (df as f32).min(n);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// What a query word stands for in the index: itself, or when the
    /// registry does not have it, the words one or two edits away
    /// (transpositions count one; two from eight letters up), else the
    /// words it begins; each of those with its synonyms.
    fn expand(&self, word: &str) -> Vec<Expansion> {
        let mut bases: Vec<(String, f32, &'static str)> = Vec::new();
        let known = self.terms.contains_key(word) || SYNONYMS.iter().any(|g| g.contains(&word));
        if known {
            bases.push((word.to_string(), 1.0, "exact"));
        } else if word.chars().count() >= 4 && word.chars().all(char::is_alphabetic) {
            let n = word.chars().count();
            let max = if n >= 8 { 2 } else { 1 };
            for (w, _) in &self.words {
                if w.chars().count().abs_diff(n) > max {
                    continue;
                }
                let d = strsim::damerau_levenshtein(word, w);
                if d <= max {
                    bases.push((w.clone(), if d == 1 { 0.8 } else { 0.6 }, "typo"));
                }
            }
            if bases.is_empty() && n >= 5 {
                for (w, _) in &self.words {
                    if w.len() > word.len() && w.starts_with(word) {
                        bases.push((w.clone(), 0.7, "prefix"));
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (base, weight, how) in bases {
            match SYNONYMS.iter().find(|g| g.contains(&base.as_str())) {
                Some(group) => {
                    let idf = self.group_idf(group);
                    for m in group.iter() {
                        if let Some(&t) = self.terms.get(*m) {
                            let same = *m == base;
                            out.push(Expansion {
                                term: t,
                                weight: if same { weight } else { weight * 0.9 },
                                matched: if same || how != "exact" {
                                    how
                                } else {
                                    "synonym"
                                },
                                idf,
                            });
                        }
                    }
                }
                None => {
                    if let Some(&t) = self.terms.get(&base) {
                        out.push(Expansion {
                            term: t,
                            weight,
                            matched: how,
                            idf: self.idf(t),
                        });
                    }
                }
            }
        }
        out
    }

    fn term_text(&self, t: u32) -> Option<String> {
        self.texts.get(t as usize).cloned()
    }

    /// The `limit` best assets for `query`, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let n = self.reg.assets.len();
        let words = query_words(query);
        let mut total = vec![0f32; n];
        let mut best = vec![0f32; n];
        let mut touched: Vec<u32> = Vec::new();
        let expanded: Vec<(&String, Vec<Expansion>)> = words
            .iter()
            .map(|forms| {
                let exps = forms
                    .iter()
                    .flat_map(|(w, f)| {
                        self.expand(w).into_iter().map(move |mut e| {
                            e.weight *= f;
                            e
                        })
                    })
                    .collect();
                (&forms[0].0, exps)
            })
            .collect();
        for (_, exps) in &expanded {
            touched.clear();
            for e in exps {
                let idf = e.idf;
                let postings = &self.postings[e.term as usize];
                let mut i = 0;
                while i < postings.len() {
                    let doc = postings[i].doc;
                    let mut tf = 0f32;
                    while i < postings.len() && postings[i].doc == doc {
                        let p = postings[i];
                        let (_, w, b) = FIELDS[p.field as usize];
                        let len = self.lens[doc as usize][p.field as usize] as f32;
                        let norm = 1.0 - b + b * len / self.avg[p.field as usize];
                        tf += w * p.tf as f32 / norm;
                        i += 1;
                    }
                    let s = e.weight * idf * tf / (K1 + tf);
                    let d = doc as usize;
                    if best[d] == 0.0 {
                        touched.push(doc);
                    }
                    if s > best[d] {
                        best[d] = s;
                    }
                }
            }
            for &d in &touched {
                total[d as usize] += best[d as usize];
                best[d as usize] = 0.0;
            }
        }
        let mut ranked: Vec<u32> = (0..n as u32).filter(|&d| total[d as usize] > 0.0).collect();
        let by_score = |total: &[f32], v: &mut Vec<u32>| {
            v.sort_by(|a, b| {
                total[*b as usize]
                    .total_cmp(&total[*a as usize])
                    .then(a.cmp(b))
            });
        };
        by_score(&total, &mut ranked);
        // Related to a strong match (within 60 % of the best, at most
        // five): RELATED of that match's score, to assets that matched
        // something themselves.
        let mut related: HashMap<u32, (u32, String, f32)> = HashMap::new();
        if let Some(&top) = ranked.first() {
            let strong: Vec<u32> = ranked
                .iter()
                .take(5)
                .copied()
                .filter(|&d| total[d as usize] >= 0.6 * total[top as usize])
                .collect();
            for &s in &strong {
                for (nb, rel, _) in &self.adjacent[s as usize] {
                    if *nb == s || total[*nb as usize] <= 0.0 {
                        continue;
                    }
                    let boost = RELATED * total[s as usize];
                    let e = related.entry(*nb).or_insert((s, rel.clone(), 0.0));
                    if boost > e.2 {
                        *e = (s, rel.clone(), boost);
                    }
                }
            }
            for (&d, &(_, _, b)) in &related {
                total[d as usize] += b;
            }
            by_score(&total, &mut ranked);
        }
        ranked
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(rank, d)| {
                let a = &self.reg.assets[d as usize];
                let mut why = Vec::new();
                for (q, exps) in &expanded {
                    for e in exps {
                        let postings = &self.postings[e.term as usize];
                        let from = postings.partition_point(|p| p.doc < d);
                        for p in postings[from..].iter().take_while(|p| p.doc == d) {
                            why.push(Why::Term {
                                field: FIELDS[p.field as usize].0,
                                term: self.term_text(e.term).unwrap_or_default(),
                                query: (*q).clone(),
                                matched: e.matched,
                            });
                        }
                    }
                }
                if let Some((s, rel, b)) = related.get(&d) {
                    why.push(Why::Related {
                        related: self.reg.assets[*s as usize].id.clone(),
                        relation: rel.clone(),
                        boost: round3(*b),
                    });
                }
                Hit {
                    query: None,
                    rank: rank + 1,
                    asset: a.id.clone(),
                    uuid: a.uuid.to_string(),
                    name: a.name.clone(),
                    kind: a.kind.clone(),
                    location: a.location.clone(),
                    score: round3(total[d as usize]),
                    why,
                }
            })
            .collect()
    }
}

fn round3(x: f32) -> f64 {
    (x as f64 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(q: &str) -> Vec<String> {
        let reg = super::super::presets::load("chemical").unwrap();
        let ix = Index::new(&reg);
        ix.search(q, 5).into_iter().map(|h| h.asset).collect()
    }

    #[test]
    fn tokens_keep_tag_numbers() {
        let mut t = Vec::new();
        tokens("Reactor feed pumps P-101A, (HX)", &mut t);
        assert_eq!(
            t,
            ["reactor", "feed", "pump", "101a", "p-101a", "p101a", "hx"]
        );
    }

    #[test]
    fn finds_by_tag_synonym_and_typo() {
        assert_eq!(top("P-101A")[0], "P-101A");
        assert_eq!(top("high-temperature reactor vessel")[0], "R-103");
        assert!(top("light ends tower")[0] == "C-201");
        assert_eq!(top("reactr efluent coler")[0], "E-301");
    }
}
