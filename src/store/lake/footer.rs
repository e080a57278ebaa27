//! What a Parquet file's ends and footer say, for `inspect`: whether the
//! file is whole (its magic at both ends, a footer length that fits), and
//! its schema and row groups with their sizes, compression and encodings.
//!
//! The ends are checked by hand before the footer is parsed so a damaged
//! file is described in plain words — which part is missing — rather than
//! with a decoder's error.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

use parquet::arrow::arrow_reader::ArrowReaderMetadata;

/// Checks the magic bytes and the footer length. `Err` says what is wrong.
pub(crate) fn check_ends(path: &Path) -> Result<u64, String> {
    let mut f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = f
        .metadata()
        .map_err(|e| format!("cannot read its size: {e}"))?
        .len();
    if size == 0 {
        return Err("empty file (0 bytes)".to_string());
    }
    let mut head = [0u8; 4];
    let n = read_up_to(&mut f, &mut head).map_err(|e| format!("cannot read: {e}"))?;
    if n < 4 || &head != b"PAR1" {
        return Err("not a Parquet file: it does not start with the PAR1 magic".to_string());
    }
    if size < 12 {
        return Err(format!(
            "truncated: {size} bytes, too short for a Parquet file (at least 12: two magics and a footer length)"
        ));
    }
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| format!("cannot read its end: {e}"))?;
    if &tail[4..] != b"PAR1" {
        return Err(
            "no footer: the file ends without the PAR1 magic (truncated, or still being written)"
                .to_string(),
        );
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 12 > size {
        return Err(format!(
            "footer length {len} exceeds file size {size} (the footer is damaged or the file truncated)"
        ));
    }
    Ok(size)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[derive(Debug, Serialize)]
pub(crate) struct ColumnInfo {
    pub name: String,
    /// The Arrow type the column reads as.
    #[serde(rename = "type")]
    pub arrow: String,
    pub physical: String,
    pub nullable: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChunkInfo {
    pub column: String,
    pub compression: String,
    pub encodings: Vec<String>,
    pub compressed_bytes: i64,
    pub uncompressed_bytes: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct RowGroupInfo {
    pub index: usize,
    pub rows: i64,
    pub compressed_bytes: i64,
    pub uncompressed_bytes: i64,
    pub columns: Vec<ChunkInfo>,
}

/// The schema and layout of an opened file.
#[derive(Debug, Serialize)]
pub(crate) struct Layout {
    pub created_by: Option<String>,
    pub rows: i64,
    pub schema: Vec<ColumnInfo>,
    pub row_groups: Vec<RowGroupInfo>,
}

/// `ZSTD(ZstdLevel(3))` → `ZSTD`: a reader cannot know the level.
fn short(debug: String) -> String {
    match debug.find('(') {
        Some(i) => debug[..i].to_string(),
        None => debug,
    }
}

pub(crate) fn layout(meta: &ArrowReaderMetadata) -> Layout {
    let md = meta.metadata();
    let fm = md.file_metadata();
    let descr = fm.schema_descr();
    let arrow = meta.schema();
    let schema = (0..descr.num_columns())
        .map(|leaf| {
            let c = descr.column(leaf);
            let root = descr.get_column_root_idx(leaf);
            let field = arrow.fields().get(root);
            ColumnInfo {
                name: c.path().string(),
                arrow: field.map(|f| f.data_type().to_string()).unwrap_or_default(),
                physical: format!("{:?}", c.physical_type()),
                nullable: field.is_none_or(|f| f.is_nullable()),
            }
        })
        .collect();
    let row_groups = (0..md.num_row_groups())
        .map(|i| {
            let rg = md.row_group(i);
            RowGroupInfo {
                index: i,
                rows: rg.num_rows(),
                compressed_bytes: rg.compressed_size(),
                uncompressed_bytes: rg.total_byte_size(),
                columns: rg
                    .columns()
                    .iter()
                    .map(|c| ChunkInfo {
                        column: c.column_path().string(),
                        compression: short(format!("{:?}", c.compression())),
                        encodings: c.encodings().map(|e| format!("{e:?}")).collect(),
                        compressed_bytes: c.compressed_size(),
                        uncompressed_bytes: c.uncompressed_size(),
                    })
                    .collect(),
            }
        })
        .collect();
    Layout {
        created_by: fm.created_by().map(str::to_string),
        rows: fm.num_rows(),
        schema,
        row_groups,
    }
}
