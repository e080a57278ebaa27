//! One Parquet file as a source of readings: its footer read once, the
//! columns mapped ([`super::columns`]), row groups pruned by the column
//! chunk statistics of the time, asset and tag columns, and only the mapped
//! columns of a kept row group decoded, batch by batch, so memory is bounded
//! by a row group, never by the file.

use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::statistics::Statistics;

use super::columns::{AssetFrom, ColumnOptions, Mapping, TextCol, TsUnit, numbers, times};
use super::list::LakeFile;
use crate::record::Quality;
use crate::store::Selection;
use crate::time::Millis;

/// One reading as a file yields it, borrowed from the decoded batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub ts: Millis,
    pub asset: &'a str,
    pub tag: &'a str,
    pub value: f64,
    pub unit: &'a str,
    pub quality: Quality,
    pub text: &'a str,
}

/// Rows a file could not turn into readings: no time, or a time that is
/// not one. Null values (a wide table's empty cells) are not counted.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Skipped {
    pub no_time: u64,
    /// Values that were null, NaN or infinite.
    pub no_value: u64,
    /// Values whose row had no asset or no tag.
    pub no_name: u64,
}

impl std::ops::AddAssign for Skipped {
    fn add_assign(&mut self, o: Skipped) {
        self.no_time += o.no_time;
        self.no_value += o.no_value;
        self.no_name += o.no_name;
    }
}

/// An opened Parquet file.
pub(crate) struct ParquetFile {
    pub path: PathBuf,
    pub meta: ArrowReaderMetadata,
    pub mapping: Mapping,
    /// For each top-level column, its leaf column (statistics), when it is
    /// a plain column.
    root_leaf: Vec<Option<usize>>,
    /// Whether a row group that cannot be decoded is skipped (and noted in
    /// `unreadable`) rather than an error; see [`ParquetFile::skip_unreadable`].
    skip_unreadable: bool,
    /// The row groups skipped so, each with why.
    unreadable: RefCell<Vec<(usize, String)>>,
    /// The file opened for reading, once asked for.
    handle: RefCell<Option<SharedFile>>,
    /// The footer again with its offset index (where each page starts),
    /// loaded when a reader first starts inside a row group: it then steps
    /// over the pages before its rows instead of decoding them. `None`
    /// inside when the file has no offset index that can be read.
    indexed: RefCell<Option<Option<ArrowReaderMetadata>>>,
}

/// An open file its readers share: one descriptor for every reader of a
/// file (the series merge and the time-order merge read many row ranges).
#[derive(Clone)]
pub(crate) struct SharedFile(Arc<File>);

impl Length for SharedFile {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl ChunkReader for SharedFile {
    type T = <File as ChunkReader>::T;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        self.0.get_read(start)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// The name a lake file's readings take when it has no asset column.
fn asset_fallback(file: &LakeFile) -> String {
    file.partition("asset")
        .map(str::to_string)
        .unwrap_or_else(|| {
            file.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

impl ParquetFile {
    /// Reads the footer and maps the columns. `sel` narrows a wide table's
    /// value columns to the tags selected.
    pub(crate) fn open(file: &LakeFile, opts: &ColumnOptions, sel: &Selection) -> Result<Self> {
        let path = &file.path;
        let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let meta = ArrowReaderMetadata::load(&f, ArrowReaderOptions::new())
            .with_context(|| format!("{}: reading the Parquet footer", path.display()))?;
        let schema = meta.schema().clone();
        let mut mapping = Mapping::resolve(&schema, opts, &asset_fallback(file))
            .with_context(|| format!("{}: mapping columns", path.display()))?;
        if mapping.tag.is_none() && !sel.tags.is_all() {
            mapping.values.retain(|(_, name)| sel.tags.matches(name));
        }
        let descr = meta.metadata().file_metadata().schema_descr();
        let mut root_leaf = vec![None; schema.fields().len()];
        let mut leaves_of_root = vec![0usize; schema.fields().len()];
        for leaf in 0..descr.num_columns() {
            let root = descr.get_column_root_idx(leaf);
            if root < root_leaf.len() {
                leaves_of_root[root] += 1;
                root_leaf[root] = Some(leaf);
            }
        }
        for (r, n) in leaves_of_root.iter().enumerate() {
            if *n != 1 {
                root_leaf[r] = None;
            }
        }
        let mut pf = ParquetFile {
            path: path.clone(),
            meta,
            mapping,
            root_leaf,
            skip_unreadable: false,
            unreadable: RefCell::new(Vec::new()),
            handle: RefCell::new(None),
            indexed: RefCell::new(None),
        };
        // A file whose first times cannot be decoded is damaged, not
        // unmapped: the unit stays open (each row group guesses its own),
        // and reading that row group says what is wrong.
        if pf.settle_ts_unit().is_err() {
            pf.mapping.ts_unit = None;
        }
        Ok(pf)
    }

    /// From now on a row group that cannot be decoded (a damaged page) is
    /// skipped whole — none of its rows is handed on — and noted, instead
    /// of being an error: a reader of many files then reads all the others
    /// and tells of this one at the end ([`ParquetFile::unreadable`]).
    pub(crate) fn skip_unreadable(&mut self) {
        self.skip_unreadable = true;
    }

    /// The row groups skipped as unreadable, each with why, in the order
    /// met.
    pub(crate) fn unreadable(&self) -> Vec<(usize, String)> {
        self.unreadable.borrow().clone()
    }

    pub(crate) fn name(&self) -> String {
        self.path.display().to_string()
    }

    pub(crate) fn num_row_groups(&self) -> usize {
        self.meta.metadata().num_row_groups()
    }

    /// Fixes the unit of a numeric time column for the whole file: from
    /// the first row group's statistics, else from the first value.
    fn settle_ts_unit(&mut self) -> Result<()> {
        let dt = self
            .meta
            .schema()
            .field(self.mapping.ts)
            .data_type()
            .clone();
        if self.mapping.ts_unit.is_some() || !(dt.is_integer() || dt.is_floating()) {
            return Ok(());
        }
        let from_stats = (0..self.num_row_groups()).find_map(|rg| {
            let st = self.stats(rg, self.mapping.ts)?;
            match st {
                Statistics::Int64(s) => s.max_opt().map(|v| *v as f64),
                Statistics::Int32(s) => s.max_opt().map(|v| f64::from(*v)),
                Statistics::Double(s) => s.max_opt().copied(),
                Statistics::Float(s) => s.max_opt().map(|v| f64::from(*v)),
                _ => None,
            }
        });
        let unit = match from_stats {
            Some(v) => Some(TsUnit::guess(v)),
            None => {
                let f = File::open(&self.path)?;
                let reader =
                    ParquetRecordBatchReaderBuilder::new_with_metadata(f, self.meta.clone())
                        .with_projection(self.mask(&[self.mapping.ts]))
                        .with_batch_size(1024)
                        .build()?;
                let mut unit = None;
                for batch in reader {
                    let batch = batch.with_context(|| format!("reading {}", self.name()))?;
                    let mut v = Vec::new();
                    numbers(batch.column(0).as_ref(), &mut v);
                    if let Some(x) = v.into_iter().flatten().next() {
                        unit = Some(TsUnit::guess(x));
                        break;
                    }
                }
                unit
            }
        };
        self.mapping.ts_unit = unit;
        Ok(())
    }

    fn mask(&self, roots: &[usize]) -> ProjectionMask {
        ProjectionMask::roots(
            self.meta.metadata().file_metadata().schema_descr(),
            roots.iter().copied(),
        )
    }

    fn stats(&self, rg: usize, root: usize) -> Option<&Statistics> {
        let leaf = (*self.root_leaf.get(root)?)?;
        self.meta.metadata().row_group(rg).column(leaf).statistics()
    }

    /// The time span of a row group by its statistics, in milliseconds.
    pub(crate) fn ts_range(&self, rg: usize) -> Option<(Millis, Millis)> {
        let st = self.stats(rg, self.mapping.ts)?;
        let dt = self.meta.schema().field(self.mapping.ts).data_type();
        let conv = |v: i64| -> Option<Millis> {
            Some(match dt {
                DataType::Timestamp(TimeUnit::Second, _) => v.saturating_mul(1000),
                DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => v,
                DataType::Timestamp(TimeUnit::Microsecond, _) => v.div_euclid(1000),
                DataType::Timestamp(TimeUnit::Nanosecond, _) => v.div_euclid(1_000_000),
                DataType::Date32 => v * 86_400_000,
                t if t.is_integer() => self.mapping.ts_unit?.to_millis(v),
                _ => return None,
            })
        };
        let (min, max) = match st {
            Statistics::Int64(s) => (*s.min_opt()?, *s.max_opt()?),
            Statistics::Int32(s) => (i64::from(*s.min_opt()?), i64::from(*s.max_opt()?)),
            _ => return None,
        };
        Some((conv(min)?, conv(max)?))
    }

    /// Byte-string min and max of a text column in a row group.
    fn text_range(&self, rg: usize, root: usize) -> Option<(&[u8], &[u8])> {
        match self.stats(rg, root)? {
            Statistics::ByteArray(s) => Some((s.min_opt()?.data(), s.max_opt()?.data())),
            _ => None,
        }
    }

    /// Whether row group `rg` may hold selected readings, by statistics.
    pub(crate) fn row_group_may_match(&self, rg: usize, sel: &Selection) -> bool {
        if self.meta.metadata().row_group(rg).num_rows() == 0 {
            return false;
        }
        if let Some((min, max)) = self.ts_range(rg) {
            if !sel.time_overlaps(min, max) {
                return false;
            }
        }
        if let AssetFrom::Column(a) = self.mapping.asset {
            if let Some((min, max)) = self.text_range(rg, a) {
                if !sel.assets.may_match_range(min, max) {
                    return false;
                }
            }
        }
        if let Some(t) = self.mapping.tag {
            if let Some((min, max)) = self.text_range(rg, t) {
                if !sel.tags.may_match_range(min, max) {
                    return false;
                }
            }
        }
        true
    }

    /// Whether the file as a whole may hold selected readings (an asset
    /// name from the path, a wide table with no selected column).
    pub(crate) fn may_match(&self, sel: &Selection) -> bool {
        if self.mapping.values.is_empty() {
            return false;
        }
        match &self.mapping.asset {
            AssetFrom::Const(a) => sel.assets.matches(a),
            AssetFrom::Column(_) => true,
        }
    }

    /// A lower bound of the (asset, tag, ts) of every row in `rg`, from
    /// the statistics; the least key when they say nothing.
    pub(crate) fn lower_bound(&self, rg: usize) -> (String, String, Millis) {
        let text = |root: Option<usize>| {
            root.and_then(|r| self.text_range(rg, r))
                .map(|(min, _)| String::from_utf8_lossy(min).into_owned())
                .unwrap_or_default()
        };
        let asset = match &self.mapping.asset {
            AssetFrom::Const(a) => a.clone(),
            AssetFrom::Column(i) => text(Some(*i)),
        };
        let tag = if self.mapping.tag.is_some() {
            text(self.mapping.tag)
        } else {
            // Wide tables: the least of the column names.
            self.mapping
                .values
                .iter()
                .map(|(_, n)| n.clone())
                .min()
                .unwrap_or_default()
        };
        let ts = self.ts_range(rg).map_or(i64::MIN, |(min, _)| min);
        (asset, tag, ts)
    }

    /// Decodes row group `rg` and hands each selected reading to `emit`, in
    /// file order (a wide table's row gives its columns left to right).
    ///
    /// The row group is decoded whole before the first reading is handed
    /// on: a row group that cannot be decoded yields no reading at all (an
    /// error, or with [`ParquetFile::skip_unreadable`] nothing and a note),
    /// never the part before the damage.
    pub(crate) fn read_row_group(
        &self,
        rg: usize,
        sel: &Selection,
        skipped: &mut Skipped,
        emit: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.read_rows(rg, None, sel, skipped, &mut |_, r| emit(r))
    }

    /// Like [`ParquetFile::read_row_group`], of the rows `rows` of the row
    /// group (all when `None`), each handed on with its row's index in the
    /// row group.
    pub(crate) fn read_rows(
        &self,
        rg: usize,
        rows: Option<std::ops::Range<usize>>,
        sel: &Selection,
        skipped: &mut Skipped,
        emit: &mut dyn FnMut(usize, &Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let base = rows.as_ref().map_or(0, |r| r.start);
        let decoded = self.rows_of(rg, rows, 8192).and_then(|reader| {
            reader
                .map(|b| b.with_context(|| format!("{}: row group {rg}", self.name())))
                .collect::<Result<Vec<RecordBatch>>>()
        });
        let batches = match decoded {
            Ok(b) => b,
            Err(e) if self.skip_unreadable => {
                self.note_unreadable(rg, &e);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut ts_unit = self.mapping.ts_unit;
        self.emit_rows(&batches, &mut ts_unit, sel, skipped, &mut |i, r| {
            emit(base + i, r)
        })
    }

    /// Decodes row group `rg` batch by batch and hands each selected
    /// reading to `emit` with its row's index in the row group; memory
    /// holds one batch. Only files of one reading a row (a tag column)
    /// give each row's index; see [`Mapping::one_reading_a_row`].
    ///
    /// Rows are handed on as they are decoded, so a caller must be ready
    /// to forget them: `Ok(false)` says the row group could not be decoded
    /// to its end and was noted as unreadable (with
    /// [`ParquetFile::skip_unreadable`]; without it, an error).
    pub(crate) fn scan_row_group(
        &self,
        rg: usize,
        sel: &Selection,
        skipped: &mut Skipped,
        emit: &mut dyn FnMut(usize, &Row<'_>) -> Result<()>,
    ) -> Result<bool> {
        let mut ts_unit = self.mapping.ts_unit;
        let mut base = 0;
        let scanned = self.rows_of(rg, None, 8192).and_then(|reader| {
            for batch in reader {
                let batch = batch.with_context(|| format!("{}: row group {rg}", self.name()))?;
                self.emit_rows(
                    std::slice::from_ref(&batch),
                    &mut ts_unit,
                    sel,
                    skipped,
                    &mut |i, r| emit(base + i, r),
                )?;
                base += batch.num_rows();
            }
            Ok(())
        });
        match scanned {
            Ok(()) => Ok(true),
            Err(e) if self.skip_unreadable => {
                self.note_unreadable(rg, &e);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// A reader of the mapped columns of row group `rg`, of the rows
    /// `rows` (a range of row indices in the row group) or all, in batches
    /// of `batch` rows. Readers of one file share its descriptor.
    pub(crate) fn rows_of(
        &self,
        rg: usize,
        rows: Option<std::ops::Range<usize>>,
        batch: usize,
    ) -> Result<ParquetRecordBatchReader> {
        let handle = self.handle()?;
        let meta = match &rows {
            Some(r) if r.start > 0 => self.indexed(&handle),
            _ => self.meta.clone(),
        };
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(handle, meta)
            .with_row_groups(vec![rg])
            .with_projection(self.mask(&self.mapping.columns()))
            .with_batch_size(batch);
        if let Some(rows) = rows {
            builder = builder.with_row_selection(RowSelection::from(vec![
                RowSelector::skip(rows.start),
                RowSelector::select(rows.len()),
            ]));
        }
        builder
            .build()
            .with_context(|| format!("{}: row group {rg}", self.name()))
    }

    /// The footer with the offset index when the file has one (see
    /// `indexed`), else the footer as first read.
    fn indexed(&self, handle: &SharedFile) -> ArrowReaderMetadata {
        let mut slot = self.indexed.borrow_mut();
        let meta = slot.get_or_insert_with(|| {
            let opts =
                ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::Optional);
            ArrowReaderMetadata::load(handle, opts)
                .ok()
                .filter(|m| m.metadata().page_index().is_some())
        });
        meta.clone().unwrap_or_else(|| self.meta.clone())
    }

    /// Whether the file has an offset index that can be read, so a reader
    /// can start at any row without decoding the pages before it.
    pub(crate) fn has_offset_index(&self) -> bool {
        if self.indexed.borrow().is_none()
            && let Ok(h) = self.handle()
        {
            self.indexed(&h);
        }
        matches!(&*self.indexed.borrow(), Some(Some(_)))
    }

    /// The file, opened once and shared.
    fn handle(&self) -> Result<SharedFile> {
        let mut slot = self.handle.borrow_mut();
        if let Some(h) = slot.as_ref() {
            return Ok(h.clone());
        }
        let f = File::open(&self.path).with_context(|| format!("opening {}", self.name()))?;
        let h = SharedFile(Arc::new(f));
        *slot = Some(h.clone());
        Ok(h)
    }

    /// Hands on the selected readings of `batch`, a batch of this file's
    /// mapped columns, each with its row's index in the batch.
    pub(crate) fn emit_batch(
        &self,
        batch: &RecordBatch,
        ts_unit: &mut Option<TsUnit>,
        sel: &Selection,
        skipped: &mut Skipped,
        emit: &mut dyn FnMut(usize, &Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.emit_rows(std::slice::from_ref(batch), ts_unit, sel, skipped, emit)
    }

    fn note_unreadable(&self, rg: usize, e: &anyhow::Error) {
        let mut noted = self.unreadable.borrow_mut();
        if !noted.iter().any(|(r, _)| *r == rg) {
            noted.push((rg, format!("{:#}", e.root_cause())));
        }
    }

    /// Hands on the selected readings of `batches`, each with its row's
    /// index counted from the first batch's first row.
    fn emit_rows(
        &self,
        batches: &[RecordBatch],
        ts_unit: &mut Option<TsUnit>,
        sel: &Selection,
        skipped: &mut Skipped,
        emit: &mut dyn FnMut(usize, &Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let m = &self.mapping;
        let cols = m.columns();
        let pos = |root: usize| cols.iter().position(|&c| c == root);
        let mut base = 0;
        let mut ts = Vec::new();
        let mut vals: Vec<Vec<Option<f64>>> = vec![Vec::new(); m.values.len()];
        let mut cache = SeriesCache::default();
        for batch in batches {
            let col = |root: Option<usize>| root.and_then(pos).map(|p| batch.column(p));
            ts.clear();
            times(batch.column(pos(m.ts).unwrap_or(0)), ts_unit, &mut ts);
            let asset_arr = match m.asset {
                AssetFrom::Column(i) => col(Some(i)),
                AssetFrom::Const(_) => None,
            };
            let mut asset_col = asset_arr.map(TextCol::new);
            let tag_arr = col(m.tag);
            let mut tag_col = tag_arr.map(TextCol::new);
            let unit_arr = col(m.unit);
            let mut unit_col = unit_arr.map(TextCol::new);
            let q_arr = col(m.quality);
            let mut q_col = q_arr.map(TextCol::new);
            let text_arr = col(m.text);
            let mut text_col = text_arr.map(TextCol::new);
            for (k, (root, _)) in m.values.iter().enumerate() {
                vals[k].clear();
                if let Some(a) = col(Some(*root)) {
                    numbers(a.as_ref(), &mut vals[k]);
                }
            }
            for (i, t) in ts.iter().enumerate() {
                let Some(t) = *t else {
                    skipped.no_time += 1;
                    continue;
                };
                if !sel.time_matches(t) {
                    continue;
                }
                let asset = match (&m.asset, asset_col.as_mut()) {
                    (AssetFrom::Const(a), _) => a.as_str(),
                    (_, Some(c)) => c.get(i).unwrap_or(""),
                    _ => "",
                };
                let unit = unit_col.as_mut().and_then(|c| c.get(i)).unwrap_or("");
                let quality = q_col
                    .as_mut()
                    .and_then(|c| c.get(i))
                    .and_then(Quality::parse)
                    .unwrap_or_default();
                let text = text_col.as_mut().and_then(|c| c.get(i)).unwrap_or("");
                let row_tag = tag_col.as_mut().map(|c| c.get(i).unwrap_or(""));
                for (k, (_, name)) in m.values.iter().enumerate() {
                    let Some(value) = vals[k][i].filter(|v| v.is_finite()) else {
                        skipped.no_value += 1;
                        continue;
                    };
                    let tag = row_tag.unwrap_or(name.as_str());
                    if asset.is_empty() || tag.is_empty() {
                        skipped.no_name += 1;
                        continue;
                    }
                    if !cache.matches(sel, asset, tag) {
                        continue;
                    }
                    emit(
                        base + i,
                        &Row {
                            ts: t,
                            asset,
                            tag,
                            value,
                            unit,
                            quality,
                            text,
                        },
                    )?;
                }
            }
            base += batch.num_rows();
        }
        Ok(())
    }
}

/// Remembers the last series tested against the globs: consecutive rows
/// mostly belong to the same series, so a string compare replaces a glob
/// match.
#[derive(Default)]
struct SeriesCache {
    asset: String,
    tag: String,
    matched: Option<bool>,
}

impl SeriesCache {
    fn matches(&mut self, sel: &Selection, asset: &str, tag: &str) -> bool {
        if let Some(m) = self.matched {
            if self.asset == asset && self.tag == tag {
                return m;
            }
        }
        let m = sel.series_matches(asset, tag);
        self.asset.clear();
        self.asset.push_str(asset);
        self.tag.clear();
        self.tag.push_str(tag);
        self.matched = Some(m);
        m
    }
}

/// A single Parquet file as a one-file lake.
pub(crate) fn single(path: &Path) -> LakeFile {
    LakeFile {
        path: path.to_path_buf(),
        partitions: Vec::new(),
    }
}
