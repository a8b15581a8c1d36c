//! NPZ parser: a ZIP archive of `.npy` members, as written by `numpy.savez` (stored) or
//! `numpy.savez_compressed` (deflated) and read by `numpy.load`.
//!
//! MLTK's `SparseMatrixCodec` stores a scipy `csr_matrix` this way (members `data.npy`,
//! `indices.npy`, `indptr.npy`, `shape.npy`, and `format.npy` from newer scipy);
//! [`check_csr`] checks that structure.
//!
//! The archive is read with the `zip` crate (central directory first). Hostile input is
//! bounded before anything is inflated: the member count against [`Limits::max_members`], the
//! sum of the declared uncompressed sizes against [`Limits::max_total_uncompressed`], and every
//! member's actual output is capped at its declared size (one byte more is read to notice a
//! member that inflates beyond it). Every member is then parsed with [`npy`].
//!
//! For byte-exact re-encoding each [`Member`] keeps the raw local file header and central
//! directory entry (which hold the DOS time/date, flags, versions, attributes and extra
//! fields) and their offsets; the archive comment is on [`Npz`]. Not kept: bytes between
//! members other than headers and data (e.g. data descriptors, whose position follows from
//! [`Member::data_offset`] + [`Member::compressed_size`]), and the end-of-central-directory
//! records (their content follows from the members, [`Npz::central_directory_offset`] and
//! [`Npz::comment`]).
//!
//! Differences from Python's `zipfile` (checked by differential fuzzing against
//! `numpy.load`): like it, this parser refuses encrypted members, flag bits 5/6, and a local
//! header whose name differs from the central directory's, and it accepts a member that
//! inflates to fewer bytes than declared when the CRC matches ([`Member::inflated_size`]);
//! a duplicated name keeps the later entry. It is stricter on some damage Python tolerates:
//! an end-of-central-directory comment length running past the end, nonzero disk numbers,
//! a central directory entry whose variable fields run past the end, a member inflating to
//! more than declared, a truncated deflate stream. It is more lenient on a wrong central
//! directory offset that the `zip` crate can recover from. Compression methods other than
//! stored and deflate (Python also knows bzip2 and LZMA; numpy never writes them) are refused.

use std::io::{Cursor, Read};
use std::ops::Range;

use thiserror::Error;
use zip::CompressionMethod;

use super::npy;

/// Resource limits for [`parse_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most members accepted in one archive.
    pub max_members: usize,
    /// Largest accepted sum of the members' uncompressed sizes, in bytes.
    pub max_total_uncompressed: u64,
    /// Limits for each member's NPY payload.
    pub npy: npy::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_members: 64,
            max_total_uncompressed: 1 << 30,
            npy: npy::Limits::default(),
        }
    }
}

/// Why an NPZ payload does not load.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NpzError {
    /// No ZIP end-of-central-directory record: not a ZIP archive at all.
    #[error("not a ZIP archive (no end-of-central-directory record)")]
    NotZip,
    /// The ZIP structure is damaged or unsupported.
    #[error("damaged ZIP archive: {0}")]
    Zip(String),
    /// More members than [`Limits::max_members`].
    #[error("the archive has {count} members, more than the limit of {limit}")]
    TooManyMembers {
        /// Members in the central directory.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The declared uncompressed sizes add up to more than the limit.
    #[error(
        "the members declare {declared_total} uncompressed bytes in total, more than the limit of {limit} (zip bomb?)"
    )]
    BombSuspected {
        /// Sum of declared sizes (saturating).
        declared_total: u64,
        /// The limit.
        limit: u64,
    },
    /// A member inflates to more bytes than it declares.
    #[error("member '{name}' declares {declared} bytes but inflates to more ({actual} read)")]
    SizeMismatch {
        /// Member name.
        name: String,
        /// Declared uncompressed size.
        declared: u64,
        /// Bytes read before stopping (one past the declared size).
        actual: u64,
    },
    /// A compression method other than stored or deflate.
    #[error(
        "member '{name}' uses ZIP compression method {method}; only stored (0) and deflate (8) are supported"
    )]
    UnsupportedCompression {
        /// Member name.
        name: String,
        /// The ZIP method number.
        method: u16,
    },
    /// A member's NPY payload does not load.
    #[error("member '{name}': {source}")]
    Member {
        /// Member name.
        name: String,
        /// Why.
        source: npy::NpyError,
    },
    /// A member whose name does not end in `.npy` (or a directory entry).
    #[error("member '{name}' is not an .npy file")]
    NotNpy {
        /// Member name.
        name: String,
    },
}

/// How a member's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Method 0 (`numpy.savez`).
    Stored,
    /// Method 8 (`numpy.savez_compressed`).
    Deflated,
}

/// A parsed NPZ archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Npz {
    /// The members, in central directory order (numpy writes them in `savez` keyword order).
    pub members: Vec<Member>,
    /// The archive comment (empty for numpy-written files).
    pub comment: Vec<u8>,
    /// Offset of the central directory in the input.
    pub central_directory_offset: u64,
    /// The central directory repeats a name; like Python's `zipfile`, the later entry is
    /// the one kept (the earlier one is not in [`Npz::members`]).
    pub duplicate_names: bool,
}

/// One `.npy` member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The name in the archive, e.g. `"data.npy"`.
    pub name: String,
    /// The parsed payload.
    pub array: npy::Array,
    /// Stored or deflated.
    pub compression: Compression,
    /// CRC-32 of the uncompressed data (central directory, checked while reading).
    pub crc32: u32,
    /// Compressed size (zip64-resolved).
    pub compressed_size: u64,
    /// Declared uncompressed size (zip64-resolved).
    pub size: u64,
    /// Bytes the member actually inflated to. Less than [`Member::size`] only in a damaged
    /// archive whose CRC still matched; Python's `zipfile` accepts that too.
    pub inflated_size: u64,
    /// Raw MS-DOS modification time from the local header (numpy writes 1980-01-01 00:00).
    pub dos_time: u16,
    /// Raw MS-DOS modification date from the local header.
    pub dos_date: u16,
    /// General-purpose bit flags from the local header.
    pub flags: u16,
    /// Extra field of the local header (numpy writes a zip64 record, id 0x0001).
    pub local_extra: Vec<u8>,
    /// Extra field of the central directory entry.
    pub central_extra: Vec<u8>,
    /// The raw local file header: signature, fixed fields, name and extra field.
    pub local_header: Vec<u8>,
    /// The raw central directory entry: fixed fields, name, extra field and comment.
    pub central_header: Vec<u8>,
    /// Offset of the local header in the input.
    pub header_offset: u64,
    /// Offset of the (compressed) data in the input.
    pub data_offset: u64,
}

impl Npz {
    /// The array of member `stem` + `".npy"` (`"data"` finds `"data.npy"`), or of a member
    /// named exactly `stem` — the same lookup as numpy's `NpzFile`.
    pub fn get(&self, stem: &str) -> Option<&npy::Array> {
        self.member(stem).map(|m| &m.array)
    }

    /// The member found as in [`Npz::get`].
    pub fn member(&self, stem: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == stem).or_else(|| {
            self.members
                .iter()
                .find(|m| m.name.strip_suffix(".npy") == Some(stem))
        })
    }
}

/// Parse an NPZ archive with [`Limits::default`].
pub fn parse(bytes: &[u8]) -> Result<Npz, NpzError> {
    parse_with(bytes, &Limits::default())
}

/// Parse an NPZ archive.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Npz, NpzError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        if bytes.windows(4).any(|w| w == b"PK\x05\x06") {
            NpzError::Zip(e.to_string())
        } else {
            NpzError::NotZip
        }
    })?;
    let count = archive.len();
    if count > limits.max_members {
        return Err(NpzError::TooManyMembers {
            count,
            limit: limits.max_members,
        });
    }
    let mut declared_total: u64 = 0;
    for i in 0..count {
        let entry = archive.by_index_data(i).map_err(zip_err)?;
        declared_total = declared_total.saturating_add(entry.size());
    }
    if declared_total > limits.max_total_uncompressed {
        return Err(NpzError::BombSuspected {
            declared_total,
            limit: limits.max_total_uncompressed,
        });
    }

    let mut members = Vec::with_capacity(count);
    for i in 0..count {
        // Everything that can be decided from the headers is checked before inflating.
        let entry = archive.by_index_data(i).map_err(zip_err)?;
        let name = entry.name().map_err(zip_err)?.into_owned();
        if entry.is_dir() || !name.ends_with(".npy") {
            return Err(NpzError::NotNpy { name });
        }
        let size = entry.size();
        let crc32 = entry.crc32();
        let compressed_size = entry.compressed_size();
        let header_offset = entry.header_start();
        let method = entry.compression();
        let central = raw_central_header(bytes, entry.central_header_start()).ok_or_else(|| {
            NpzError::Zip(format!("member '{name}': bad central directory entry"))
        })?;
        drop(entry);
        let central_bytes = &bytes[central.all.clone()];
        // Python's zipfile refuses these general-purpose flags (central directory).
        let central_flags = le16(central_bytes, 8).unwrap_or(0);
        for (bit, what) in [
            (0x0001, "is encrypted"),
            (0x0020, "holds compressed patched data (flag bit 5)"),
            (0x0040, "uses strong encryption (flag bit 6)"),
        ] {
            if central_flags & bit != 0 {
                return Err(NpzError::Zip(format!("member '{name}' {what}")));
            }
        }
        let compression = match method {
            CompressionMethod::Stored => Compression::Stored,
            CompressionMethod::Deflated => Compression::Deflated,
            _ => {
                return Err(NpzError::UnsupportedCompression {
                    method: le16(central_bytes, 10).unwrap_or(u16::MAX),
                    name,
                });
            }
        };
        let local = raw_local_header(bytes, header_offset)
            .ok_or_else(|| NpzError::Zip(format!("member '{name}': bad local file header")))?;
        // Python's zipfile insists that both headers carry the same name.
        let local_name = &bytes[local.all.start + 30..local.extra.start];
        let central_name =
            central_bytes.get(46..46 + le16(central_bytes, 28).map_or(0, usize::from));
        if Some(local_name) != central_name {
            return Err(NpzError::Zip(format!(
                "file name in directory '{name}' and local header '{}' differ",
                String::from_utf8_lossy(local_name)
            )));
        }

        let mut file = archive.by_index(i).map_err(zip_err)?;
        let data_offset = file.data_start().unwrap_or(0);
        // `size` passed the total check, so it is at most the limit; still, preallocate no
        // more than a modest amount on its word alone. Reading stops one byte past it.
        let mut data = Vec::with_capacity(usize::try_from(size.min(1 << 24)).unwrap_or(0));
        (&mut file)
            .take(size.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| NpzError::Zip(format!("member '{name}': {e}")))?;
        drop(file);
        let inflated_size = data.len() as u64;
        if inflated_size > size {
            return Err(NpzError::SizeMismatch {
                name,
                declared: size,
                actual: inflated_size,
            });
        }

        let array =
            npy::parse_owned_with(data, &limits.npy).map_err(|source| NpzError::Member {
                name: name.clone(),
                source,
            })?;
        let header = &bytes[local.all.clone()];
        members.push(Member {
            name,
            array,
            compression,
            crc32,
            compressed_size,
            size,
            inflated_size,
            dos_time: le16(header, 10).unwrap_or(0),
            dos_date: le16(header, 12).unwrap_or(0),
            flags: le16(header, 6).unwrap_or(0),
            local_extra: bytes[local.extra].to_vec(),
            central_extra: bytes[central.extra].to_vec(),
            local_header: header.to_vec(),
            central_header: central_bytes.to_vec(),
            header_offset,
            data_offset,
        });
    }
    Ok(Npz {
        members,
        comment: archive.comment().to_vec(),
        central_directory_offset: archive.central_directory_start(),
        duplicate_names: archive.has_duplicate_names(),
    })
}

fn zip_err(e: zip::result::ZipError) -> NpzError {
    NpzError::Zip(e.to_string())
}

/// Byte ranges of one raw ZIP header.
struct RawHeader {
    all: Range<usize>,
    extra: Range<usize>,
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The local file header at `offset`: 30 fixed bytes, name, extra field.
fn raw_local_header(bytes: &[u8], offset: u64) -> Option<RawHeader> {
    let start = usize::try_from(offset).ok()?;
    let fixed = bytes.get(start..start.checked_add(30)?)?;
    if fixed[..4] != *b"PK\x03\x04" {
        return None;
    }
    let name_len = usize::from(le16(fixed, 26)?);
    let extra_len = usize::from(le16(fixed, 28)?);
    let extra_start = start + 30 + name_len;
    let end = extra_start + extra_len;
    bytes.get(start..end)?;
    Some(RawHeader {
        all: start..end,
        extra: extra_start..end,
    })
}

/// The central directory entry at `offset`: 46 fixed bytes, name, extra field, comment.
fn raw_central_header(bytes: &[u8], offset: u64) -> Option<RawHeader> {
    let start = usize::try_from(offset).ok()?;
    let fixed = bytes.get(start..start.checked_add(46)?)?;
    if fixed[..4] != *b"PK\x01\x02" {
        return None;
    }
    let name_len = usize::from(le16(fixed, 28)?);
    let extra_len = usize::from(le16(fixed, 30)?);
    let comment_len = usize::from(le16(fixed, 32)?);
    let extra_start = start + 46 + name_len;
    let extra_end = extra_start + extra_len;
    let end = extra_end + comment_len;
    bytes.get(start..end)?;
    Some(RawHeader {
        all: start..end,
        extra: extra_start..extra_end,
    })
}

/// Problems that keep an NPZ from being a scipy `csr_matrix` (`data`, `indices`, `indptr`,
/// `shape`, optional `format`); empty when it is one.
pub fn check_csr(npz: &Npz) -> Vec<String> {
    let mut problems = Vec::new();
    let mut get = |stem: &str| {
        let array = npz.get(stem);
        if array.is_none() {
            problems.push(format!("member '{stem}.npy' is missing"));
        }
        array
    };
    let (data, indices, indptr, shape) = (get("data"), get("indices"), get("indptr"), get("shape"));

    if let Some(format) = npz.get("format") {
        match format.strings().as_deref() {
            Some([f]) if f == "csr" => {}
            Some([f]) => problems.push(format!("'format' is '{f}', expected 'csr'")),
            _ => problems.push("'format' is not a single string".to_owned()),
        }
    }
    for (stem, array) in [("data", data), ("indices", indices), ("indptr", indptr)] {
        if let Some(a) = array
            && a.shape.len() != 1
        {
            problems.push(format!(
                "'{stem}' must be 1-dimensional, its shape is {}",
                npy::shape_to_python(&a.shape)
            ));
        }
    }
    let dims = shape.and_then(|s| {
        let values = s.i64_values().filter(|_| is_int(s));
        match values.as_deref() {
            Some(&[rows, cols]) if rows >= 0 && cols >= 0 && s.shape.len() == 1 => {
                Some((rows as u64, cols as u64))
            }
            Some(&[rows, cols]) if s.shape.len() == 1 => {
                problems.push(format!("'shape' ({rows}, {cols}) has a negative dimension"));
                None
            }
            _ => {
                problems.push(format!(
                    "'shape' must hold 2 ints, it is {} of shape {}",
                    s.descr.to_python(),
                    npy::shape_to_python(&s.shape)
                ));
                None
            }
        }
    });
    let int_values = |stem: &str, a: &npy::Array, problems: &mut Vec<String>| {
        let values = a.i64_values().filter(|_| is_int(a));
        if values.is_none() {
            problems.push(format!(
                "'{stem}' must hold integers, its dtype is {}",
                a.descr.to_python()
            ));
        }
        values
    };
    let indptr_values = indptr.and_then(|a| int_values("indptr", a, &mut problems));
    let indices_values = indices.and_then(|a| int_values("indices", a, &mut problems));

    if let (Some(ptr), Some((rows, _))) = (&indptr_values, dims)
        && ptr.len() as u64 != rows.saturating_add(1)
    {
        problems.push(format!(
            "'indptr' has {} entries, expected rows + 1 = {}",
            ptr.len(),
            rows.saturating_add(1)
        ));
    }
    if let Some(ptr) = &indptr_values {
        if let Some(&first) = ptr.first()
            && first != 0
        {
            problems.push(format!("'indptr' starts with {first}, expected 0"));
        }
        if let Some(i) = ptr.windows(2).position(|w| w[1] < w[0]) {
            problems.push(format!(
                "'indptr' decreases at position {} ({} after {})",
                i + 1,
                ptr[i + 1],
                ptr[i]
            ));
        }
        let nnz = ptr.last().copied().unwrap_or(0);
        for (stem, array) in [("indices", indices), ("data", data)] {
            if let Some(a) = array
                && i128::from(nnz) != i128::from(a.len())
            {
                problems.push(format!(
                    "'{stem}' has {} entries but indptr[-1] is {nnz}",
                    a.len()
                ));
            }
        }
    }
    if let (Some(idx), Some((_, cols))) = (&indices_values, dims)
        && let Some(&bad) = idx.iter().find(|&&c| c < 0 || c as u64 >= cols)
    {
        problems.push(format!("'indices' holds column {bad}, outside 0..{cols}"));
    }
    problems
}

fn is_int(a: &npy::Array) -> bool {
    matches!(a.descr, npy::Descr::Simple(ref t) if matches!(t.kind, 'i' | 'u'))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use zip::write::SimpleFileOptions;

    use super::*;

    /// The corpus's only NPZ: a 43×43 identity-like `csr_matrix` written by `numpy.savez`
    /// (MLTK SparseMatrixCodec, `__mlspl_tfidf_lm_vectorizer.mlmodel`).
    const REAL_CSR: &[u8] = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xd4\xbc\xc4t\xd8\x01\x00\x00\xd8\x01\x00\x00\
    \x08\x00\x14\x00data.npy\x01\x00\x10\x00\xd8\x01\x00\x00\x00\x00\x00\x00\xd8\x01\x00\x00\x00\
    \x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (43,), }\
    \x20                                                          \n\x00\x00\x00\x00\x00\x00\xf0\
    ?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\
    \x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\
    \x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\
    \x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\
    \x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\
    \x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\
    \xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\
    \x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\
    \x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\
    \x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\
    \x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\
    \x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\
    \x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\
    \xf0?\x00\x00\x00\x00\x00\x00\xf0?PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xc9\x0c\
    \xd9\x9e,\x01\x00\x00,\x01\x00\x00\x0b\x00\x14\x00indices.npy\x01\x00\x10\x00,\x01\x00\x00\
    \x00\x00\x00\x00,\x01\x00\x00\x00\x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran\
    _order': False, 'shape': (43,), }                                                           \
    \n\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x00\
    \x00\x00\x06\x00\x00\x00\x07\x00\x00\x00\x08\x00\x00\x00\x09\x00\x00\x00\n\x00\x00\x00\x0b\
    \x00\x00\x00\x0c\x00\x00\x00\x0d\x00\x00\x00\x0e\x00\x00\x00\x0f\x00\x00\x00\x10\x00\x00\x00\
    \x11\x00\x00\x00\x12\x00\x00\x00\x13\x00\x00\x00\x14\x00\x00\x00\x15\x00\x00\x00\x16\x00\x00\
    \x00\x17\x00\x00\x00\x18\x00\x00\x00\x19\x00\x00\x00\x1a\x00\x00\x00\x1b\x00\x00\x00\x1c\x00\
    \x00\x00\x1d\x00\x00\x00\x1e\x00\x00\x00\x1f\x00\x00\x00 \x00\x00\x00!\x00\x00\x00\"\x00\x00\
    \x00#\x00\x00\x00$\x00\x00\x00%\x00\x00\x00&\x00\x00\x00'\x00\x00\x00(\x00\x00\x00)\x00\x00\
    \x00*\x00\x00\x00PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00,\xcb\x1f+0\x01\x00\x000\x01\
    \x00\x00\n\x00\x14\x00indptr.npy\x01\x00\x10\x000\x01\x00\x00\x00\x00\x00\x000\x01\x00\x00\
    \x00\x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (44,\
    ), }                                                           \n\x00\x00\x00\x00\x01\x00\
    \x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00\x07\
    \x00\x00\x00\x08\x00\x00\x00\x09\x00\x00\x00\n\x00\x00\x00\x0b\x00\x00\x00\x0c\x00\x00\x00\
    \x0d\x00\x00\x00\x0e\x00\x00\x00\x0f\x00\x00\x00\x10\x00\x00\x00\x11\x00\x00\x00\x12\x00\x00\
    \x00\x13\x00\x00\x00\x14\x00\x00\x00\x15\x00\x00\x00\x16\x00\x00\x00\x17\x00\x00\x00\x18\x00\
    \x00\x00\x19\x00\x00\x00\x1a\x00\x00\x00\x1b\x00\x00\x00\x1c\x00\x00\x00\x1d\x00\x00\x00\x1e\
    \x00\x00\x00\x1f\x00\x00\x00 \x00\x00\x00!\x00\x00\x00\"\x00\x00\x00#\x00\x00\x00$\x00\x00\
    \x00%\x00\x00\x00&\x00\x00\x00'\x00\x00\x00(\x00\x00\x00)\x00\x00\x00*\x00\x00\x00+\x00\x00\
    \x00PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00 D\xa9\xec\x90\x00\x00\x00\x90\x00\x00\
    \x00\x09\x00\x14\x00shape.npy\x01\x00\x10\x00\x90\x00\x00\x00\x00\x00\x00\x00\x90\x00\x00\
    \x00\x00\x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': \
    (2,), }                                                            \n+\x00\x00\x00\x00\x00\
    \x00\x00+\x00\x00\x00\x00\x00\x00\x00PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\
    \xd4\xbc\xc4t\xd8\x01\x00\x00\xd8\x01\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x80\x01\x00\x00\x00\x00data.npyPK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\
    \xc9\x0c\xd9\x9e,\x01\x00\x00,\x01\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x80\x01\x12\x02\x00\x00indices.npyPK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00,\
    \xcb\x1f+0\x01\x00\x000\x01\x00\x00\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01{\
    \x03\x00\x00indptr.npyPK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00 D\xa9\xec\x90\
    \x00\x00\x00\x90\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xe7\x04\
    \x00\x00shape.npyPK\x05\x06\x00\x00\x00\x00\x04\x00\x04\x00\xde\x00\x00\x00\xb2\x05\x00\x00\
    \x00\x00";

    fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = npy::MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(data);
        out
    }

    fn i64s(values: &[i64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn zip_of(members: &[(&str, Vec<u8>, CompressionMethod)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, method) in members {
            w.start_file(
                *name,
                SimpleFileOptions::default().compression_method(*method),
            )
            .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A csr_matrix archive the way scipy's `save_npz` lays it out.
    fn csr(data: &[i64], indices: &[i64], indptr: &[i64], shape: &[i64]) -> Vec<u8> {
        let one = |v: &[i64]| npy_bytes("'<i8'", &format!("({},)", v.len()), &i64s(v));
        zip_of(&[
            ("indices.npy", one(indices), CompressionMethod::Stored),
            ("indptr.npy", one(indptr), CompressionMethod::Stored),
            (
                "format.npy",
                npy_bytes("'|S3'", "()", b"csr"),
                CompressionMethod::Stored,
            ),
            ("shape.npy", one(shape), CompressionMethod::Stored),
            ("data.npy", one(data), CompressionMethod::Deflated),
        ])
    }

    /// Offsets of every central directory entry.
    fn central_entries(bytes: &[u8]) -> Vec<usize> {
        (0..bytes.len().saturating_sub(3))
            .filter(|&i| bytes[i..i + 4] == *b"PK\x01\x02")
            .collect()
    }

    #[test]
    fn real_csr_payload() {
        let npz = parse(REAL_CSR).unwrap();
        let names: Vec<&str> = npz.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["data.npy", "indices.npy", "indptr.npy", "shape.npy"]
        );
        assert_eq!(
            npz.get("shape").unwrap().i64_values().unwrap(),
            vec![43, 43]
        );
        assert_eq!(npz.get("shape.npy").unwrap().shape, vec![2]);
        assert_eq!(
            npz.get("data").unwrap().f64_values().unwrap(),
            vec![1.0; 43]
        );
        assert_eq!(npz.get("indices").unwrap().descr.to_python(), "'<i4'");
        assert!(npz.get("format").is_none());
        assert!(check_csr(&npz).is_empty());
        assert!(!npz.duplicate_names && npz.comment.is_empty());
        assert_eq!(npz.central_directory_offset, 1458);

        let data = &npz.members[0];
        assert_eq!(data.compression, Compression::Stored);
        assert_eq!(
            (data.size, data.inflated_size, data.compressed_size),
            (472, 472, 472)
        );
        assert_eq!(data.crc32, 0x74c4_bcd4);
        // numpy writes 1980-01-01 00:00:00 and a zip64 extra record in the local header.
        assert_eq!((data.dos_date, data.dos_time, data.flags), (0x21, 0, 0));
        assert_eq!(&data.local_extra[..4], b"\x01\x00\x10\x00");
        assert!(data.central_extra.is_empty());
        assert_eq!(data.header_offset, 0);
        assert_eq!(data.data_offset, 58);
        assert_eq!(data.local_header, &REAL_CSR[..58]);
        assert_eq!(data.central_header, &REAL_CSR[1458..1458 + 54]);
        assert_eq!(data.array.data_offset, 128);
        assert_eq!(data.array.data, &REAL_CSR[58 + 128..58 + 472]);
    }

    #[test]
    fn stored_and_deflated_members() {
        let bytes = csr(&[5, 6], &[0, 2], &[0, 1, 2], &[2, 3]);
        let npz = parse(&bytes).unwrap();
        assert_eq!(npz.members.len(), 5);
        assert_eq!(
            npz.member("data").unwrap().compression,
            Compression::Deflated
        );
        assert_eq!(
            npz.member("indices").unwrap().compression,
            Compression::Stored
        );
        assert_eq!(npz.get("format").unwrap().strings().unwrap(), vec!["csr"]);
        assert_eq!(check_csr(&npz), Vec::<String>::new());
    }

    #[test]
    fn csr_problems() {
        let problems = |bytes: Vec<u8>| check_csr(&parse(&bytes).unwrap());
        assert_eq!(
            problems(zip_of(&[(
                "data.npy",
                npy_bytes("'<f8'", "(0,)", b""),
                CompressionMethod::Stored
            )])),
            [
                "member 'indices.npy' is missing",
                "member 'indptr.npy' is missing",
                "member 'shape.npy' is missing"
            ]
        );
        assert_eq!(
            problems(csr(&[5, 6], &[0, 2], &[0, 1], &[2, 3])),
            [
                "'indptr' has 2 entries, expected rows + 1 = 3",
                "'indices' has 2 entries but indptr[-1] is 1",
                "'data' has 2 entries but indptr[-1] is 1"
            ]
        );
        assert_eq!(
            problems(csr(&[5, 6], &[0, 3], &[1, 0, 2], &[2, 3])),
            [
                "'indptr' starts with 1, expected 0",
                "'indptr' decreases at position 1 (0 after 1)",
                "'indices' holds column 3, outside 0..3"
            ]
        );
        assert_eq!(
            problems(csr(&[5, 6], &[0, 2], &[0, 1, 2], &[2, 3, 4])),
            ["'shape' must hold 2 ints, it is '<i8' of shape (3,)"]
        );
        assert_eq!(
            problems(csr(&[5, 6], &[0, 2], &[0, 1, 2], &[-2, 3])),
            ["'shape' (-2, 3) has a negative dimension"]
        );
        let mut members = parse(&csr(&[5], &[0], &[0, 1], &[1, 1])).unwrap();
        members.members.retain(|m| m.name != "format.npy");
        members.members[0].array = npy::parse(&npy_bytes("'<f8'", "(1,)", &[0; 8])).unwrap();
        members.members.push(Member {
            name: "format.npy".to_owned(),
            array: npy::parse(&npy_bytes(
                "'<U3'",
                "()",
                &[b'c', 0, 0, 0, b's', 0, 0, 0, b'c', 0, 0, 0],
            ))
            .unwrap(),
            ..members.members[1].clone()
        });
        assert_eq!(
            check_csr(&members),
            [
                "'format' is 'csc', expected 'csr'",
                "'indices' must hold integers, its dtype is '<f8'"
            ]
        );
    }

    #[test]
    fn error_kinds() {
        assert_eq!(parse(b"").unwrap_err(), NpzError::NotZip);
        assert_eq!(
            parse(npy_bytes("'<f8'", "()", &[0; 8]).as_slice()).unwrap_err(),
            NpzError::NotZip
        );
        // Cut inside the central directory: the end record is still found but lies.
        let mut cut = REAL_CSR[..1500].to_vec();
        cut.extend(&REAL_CSR[REAL_CSR.len() - 22..]);
        assert!(matches!(parse(&cut).unwrap_err(), NpzError::Zip(_)));

        let many: Vec<(String, Vec<u8>, CompressionMethod)> = (0..3)
            .map(|i| {
                (
                    format!("m{i}.npy"),
                    npy_bytes("'<f8'", "()", &[0; 8]),
                    CompressionMethod::Stored,
                )
            })
            .collect();
        let many: Vec<(&str, Vec<u8>, CompressionMethod)> = many
            .iter()
            .map(|(n, d, c)| (n.as_str(), d.clone(), *c))
            .collect();
        let limits = Limits {
            max_members: 2,
            ..Limits::default()
        };
        assert_eq!(
            parse_with(&zip_of(&many), &limits).unwrap_err(),
            NpzError::TooManyMembers { count: 3, limit: 2 }
        );
        assert_eq!(
            parse(&zip_of(&[(
                "notes.txt",
                b"hi".to_vec(),
                CompressionMethod::Stored
            )]))
            .unwrap_err(),
            NpzError::NotNpy {
                name: "notes.txt".to_owned()
            }
        );
        let bad_member = zip_of(&[(
            "x.npy",
            npy_bytes("'|O'", "(1,)", &[0; 8]),
            CompressionMethod::Deflated,
        )]);
        let err = parse(&bad_member).unwrap_err();
        assert_eq!(
            err,
            NpzError::Member {
                name: "x.npy".to_owned(),
                source: npy::NpyError::ObjectDtype
            }
        );
        assert_eq!(
            err.to_string(),
            "member 'x.npy': dtype 'O' (Python objects): numpy.load(allow_pickle=False) refuses it"
        );

        // Method 12 (bzip2) in both headers.
        let mut bz = REAL_CSR.to_vec();
        bz[8] = 12;
        bz[1458 + 10] = 12;
        assert_eq!(
            parse(&bz).unwrap_err(),
            NpzError::UnsupportedCompression {
                name: "data.npy".to_owned(),
                method: 12
            }
        );
        // Encrypted flag in the central directory.
        let mut enc = REAL_CSR.to_vec();
        enc[1458 + 8] |= 1;
        assert!(matches!(parse(&enc).unwrap_err(), NpzError::Zip(m) if m.contains("encrypted")));
        // Local header name differs from the central directory's (Python's zipfile refuses).
        let mut renamed = REAL_CSR.to_vec();
        renamed[30] = b'D';
        assert!(matches!(parse(&renamed).unwrap_err(), NpzError::Zip(m) if m.contains("differ")));
    }

    #[test]
    fn duplicate_names_keep_the_last_entry() {
        let mut bytes = zip_of(&[
            (
                "a.npy",
                npy_bytes("'<i8'", "(1,)", &i64s(&[1])),
                CompressionMethod::Stored,
            ),
            (
                "b.npy",
                npy_bytes("'<i8'", "(1,)", &i64s(&[2])),
                CompressionMethod::Stored,
            ),
        ]);
        for i in 0..bytes.len() - 4 {
            if &bytes[i..i + 5] == b"b.npy" {
                bytes[i] = b'a';
            }
        }
        let npz = parse(&bytes).unwrap();
        assert!(npz.duplicate_names);
        assert_eq!(npz.members.len(), 1);
        assert_eq!(npz.get("a").unwrap().i64_values().unwrap(), vec![2]);
    }

    #[test]
    fn zip_bomb_is_rejected() {
        // 8 MiB of zeros deflate to a few KiB.
        let zeros = npy_bytes("'|u1'", "(8388608,)", &vec![0u8; 8 << 20]);
        let bomb = zip_of(&[("data.npy", zeros, CompressionMethod::Deflated)]);
        assert!(bomb.len() < 64 << 10);
        let limits = Limits {
            max_total_uncompressed: 1 << 20,
            ..Limits::default()
        };
        assert!(matches!(
            parse_with(&bomb, &limits).unwrap_err(),
            NpzError::BombSuspected { declared_total, limit: 1_048_576 } if declared_total > 8 << 20
        ));
        // The same member declaring ~4 GiB is refused by the default limits before inflating.
        let cd = central_entries(&bomb)[0];
        let mut huge = bomb.clone();
        huge[cd + 24..cd + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert_eq!(
            parse(&huge).unwrap_err(),
            NpzError::BombSuspected {
                declared_total: 0xFFFF_FFF0,
                limit: 1 << 30
            }
        );
        // Declaring less than it inflates to: reading stops just past the declared size.
        let mut liar = bomb.clone();
        liar[cd + 24..cd + 28].copy_from_slice(&1000u32.to_le_bytes());
        let local = 0;
        liar[local + 22..local + 26].copy_from_slice(&1000u32.to_le_bytes());
        let err = parse(&liar).unwrap_err();
        assert!(
            matches!(&err, NpzError::Zip(m) if m.contains("larger than its declared")),
            "{err}"
        );
    }

    #[test]
    fn truncations_never_panic() {
        for i in 0..100 {
            let len = i * REAL_CSR.len() / 100;
            assert!(
                parse(&REAL_CSR[..len]).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
        let deflated = csr(&[5, 6], &[0, 2], &[0, 1, 2], &[2, 3]);
        for len in 0..deflated.len() {
            assert!(parse(&deflated[..len]).is_err());
        }
    }

    #[test]
    fn bit_flips_never_panic() {
        for bytes in [
            REAL_CSR.to_vec(),
            csr(&[5, 6], &[0, 2], &[0, 1, 2], &[2, 3]),
        ] {
            for bit in 0..bytes.len() * 8 {
                let mut m = bytes.clone();
                m[bit / 8] ^= 1 << (bit % 8);
                if let Ok(npz) = parse(&m) {
                    let _ = check_csr(&npz);
                }
            }
        }
    }
}
