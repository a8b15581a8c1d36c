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
//! For byte-exact re-encoding ([`encode`]) each [`Member`] keeps the raw local file header
//! and central directory entry (which hold the DOS time/date, flags, versions, attributes and
//! extra fields), their offsets, the bytes between its data and the next header
//! ([`Member::trailer`], a data descriptor if any) and, when deflated, its compressed bytes;
//! [`Npz`] keeps the bytes before the first member, the end records (zip64 end record and
//! locator, end-of-central-directory record) and the archive comment.
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

/// Deflated members of up to this many bytes are not held to [`Limits::max_ratio`]: a small
/// array of zeros compresses far better than 4:1, and 64 members of this size cost 4 MiB.
pub const RATIO_FLOOR: u64 = 64 << 10;

/// Resource limits for [`parse_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most members accepted in one archive.
    pub max_members: usize,
    /// Largest accepted sum of the members' uncompressed sizes, in bytes.
    pub max_total_uncompressed: u64,
    /// Largest accepted ratio of a deflated member's declared size to its compressed size
    /// (members of up to [`RATIO_FLOOR`] bytes are not held to it). numpy's `savez`, which
    /// MLTK uses, stores members uncompressed; the ratio keeps what a small payload can
    /// inflate to proportional to its size.
    pub max_ratio: u64,
    /// Limits for each member's NPY payload.
    pub npy: npy::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_members: 64,
            max_total_uncompressed: 1 << 30,
            max_ratio: 4,
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
    /// A deflated member declares more than [`Limits::max_ratio`] times its compressed size.
    #[error(
        "member '{name}' declares {declared} bytes from {compressed} compressed, more than {limit} times as many (zip bomb?)"
    )]
    RatioTooHigh {
        /// Member name.
        name: String,
        /// Declared uncompressed size.
        declared: u64,
        /// Compressed size.
        compressed: u64,
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
    /// Bytes before the first local header (none in what numpy writes).
    pub prefix: Vec<u8>,
    /// Everything after the central directory, if the end-of-central-directory record was
    /// found there.
    pub end: Option<EndRecords>,
    /// How much every stored offset is less than the actual position (the `zip` crate's
    /// archive offset; 0 unless bytes were prepended to the archive).
    pub offset_bias: u64,
    /// The archive is a plain sequence — prefix, then each member's local header, data and
    /// trailer in file order, then the central directory entries back to back in
    /// [`Npz::members`] order, then [`Npz::end`] — so [`encode`] can lay it out the same way.
    /// `false` for overlapping members, a dropped duplicate, gaps in the central directory or
    /// a central directory that is not the last thing before the end records: [`encode`] then
    /// writes a clean archive (members in central directory order, no prefix).
    pub contiguous: bool,
}

/// The raw records after the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRecords {
    /// The bytes from the end of the central directory to the end of the input: the zip64
    /// end-of-central-directory record and locator if present, the end-of-central-directory
    /// record, the archive comment, and anything after it.
    pub bytes: Vec<u8>,
    /// Where the end-of-central-directory record (`PK\x05\x06`) starts in [`EndRecords::bytes`].
    pub eocd_at: usize,
    /// Where the zip64 end-of-central-directory record (`PK\x06\x06`) starts, if present.
    pub zip64_record_at: Option<usize>,
    /// Where the zip64 end-of-central-directory locator (`PK\x06\x07`) starts, if present.
    pub zip64_locator_at: Option<usize>,
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
    /// Offset of the central directory entry in the input.
    pub central_header_offset: u64,
    /// The bytes from the end of the data to the next local header (or the central
    /// directory): the data descriptor when flag bit 3 is set, else normally nothing.
    pub trailer: Vec<u8>,
    /// For a deflated member, its compressed bytes as stored (empty for a stored member).
    /// [`encode`] reuses them when the re-encoded NPY equals what they inflate to.
    pub compressed: Vec<u8>,
    /// A 64-bit hash (SipHash, [`std::hash::DefaultHasher`]) of the inflated bytes of a
    /// deflated member (0 for a stored member): with [`Member::crc32`] and
    /// [`Member::inflated_size`], how [`encode`] tells that a re-encoded NPY is unchanged.
    pub uncompressed_digest: u64,
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
        let central_header_offset = entry.central_header_start();
        let central = raw_central_header(bytes, central_header_offset).ok_or_else(|| {
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

        // What the member can inflate to: a stored one holds its bytes as they are, a
        // deflated one at most `max_ratio` times them. Its compressed size counts only as
        // far as the archive goes: a header may declare more.
        let compressed = compressed_size.min(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        let most = match compression {
            Compression::Stored => compressed,
            Compression::Deflated => compressed.saturating_mul(limits.max_ratio).max(RATIO_FLOOR),
        };
        if compression == Compression::Deflated && size > most {
            return Err(NpzError::RatioTooHigh {
                name,
                declared: size,
                compressed: compressed_size,
                limit: limits.max_ratio,
            });
        }
        let mut file = archive.by_index(i).map_err(zip_err)?;
        let data_offset = file.data_start().unwrap_or(0);
        // Allocated once, at most what the member can inflate to (proportional to the
        // payload, not to its declared size alone). Reading stops one byte past the size.
        let capacity = size.min(most).saturating_add(1);
        let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
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
        let (compressed, uncompressed_digest) = match compression {
            Compression::Stored => (Vec::new(), 0),
            Compression::Deflated => {
                let stored = usize::try_from(data_offset)
                    .ok()
                    .zip(usize::try_from(compressed_size).ok())
                    .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?));
                (stored.unwrap_or_default().to_vec(), digest(&data))
            }
        };

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
            central_header_offset,
            trailer: Vec::new(),
            compressed,
            uncompressed_digest,
        });
    }
    let mut npz = Npz {
        members,
        comment: archive.comment().to_vec(),
        central_directory_offset: archive.central_directory_start(),
        duplicate_names: archive.has_duplicate_names(),
        prefix: Vec::new(),
        end: None,
        offset_bias: archive.offset(),
        contiguous: false,
    };
    record_layout(bytes, &mut npz);
    Ok(npz)
}

/// SipHash-1-3 with fixed keys: stable within a build, enough to tell changed bytes.
fn digest(bytes: &[u8]) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
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
    if fixed[..4] != *LOCAL_SIG {
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

// ---------------------------------------------------------------------------------------------
// Layout (recorded while parsing) and encoding
// ---------------------------------------------------------------------------------------------

const LOCAL_SIG: &[u8; 4] = b"PK\x03\x04";
const DESCRIPTOR_SIG: &[u8; 4] = b"PK\x07\x08";
const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const ZIP64_RECORD_SIG: &[u8; 4] = b"PK\x06\x06";
const ZIP64_LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
/// General-purpose flag bit 3: CRC and sizes follow the data in a data descriptor.
const FLAG_DESCRIPTOR: u16 = 0x0008;
/// The zip64 extended information extra field.
const ZIP64_EXTRA_ID: u16 = 0x0001;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    if let Some(dst) = b.get_mut(at..at + 2) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = b.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    if let Some(dst) = b.get_mut(at..at + 8) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

/// A 32-bit size or offset field; values that do not fit saturate (they would need zip64
/// fields the stored headers do not have — beyond this parser's limits anyway).
fn sat32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The range of the zip64 extra field's data (after its 4-byte id/size) inside `extra`.
fn zip64_block(extra: &[u8]) -> Option<Range<usize>> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = le16(extra, at)?;
        let len = usize::from(le16(extra, at + 2)?);
        let start = at + 4;
        let end = (start + len).min(extra.len());
        if id == ZIP64_EXTRA_ID {
            return Some(start..end);
        }
        at = start + len;
    }
    None
}

/// Length of the data descriptor at the start of `trailer` (with or without its signature;
/// 8-byte sizes when the local header has a zip64 field, as Python's `zipfile` writes it).
fn descriptor_len(trailer: &[u8], zip64: bool) -> usize {
    let sig = if trailer.starts_with(DESCRIPTOR_SIG) {
        4
    } else {
        0
    };
    let len = sig + 4 + if zip64 { 16 } else { 8 };
    len.min(trailer.len())
}

fn local_has_zip64(local_header: &[u8]) -> bool {
    let name_len = le16(local_header, 26).map_or(0, usize::from);
    local_header
        .get(30 + name_len..)
        .is_some_and(|extra| zip64_block(extra).is_some())
}

/// Fill in [`Npz::prefix`], [`Member::trailer`], [`Npz::end`] and [`Npz::contiguous`].
fn record_layout(bytes: &[u8], npz: &mut Npz) {
    let len = bytes.len() as u64;
    let cd_start = npz.central_directory_offset;
    let mut contiguous = cd_start <= len;

    let mut order: Vec<usize> = (0..npz.members.len()).collect();
    order.sort_by_key(|&i| npz.members[i].header_offset);
    let first = order
        .first()
        .map_or(cd_start, |&i| npz.members[i].header_offset);
    npz.prefix = usize::try_from(first)
        .ok()
        .and_then(|end| bytes.get(..end))
        .unwrap_or_default()
        .to_vec();
    for (k, &i) in order.iter().enumerate() {
        let next = order
            .get(k + 1)
            .map_or(cd_start, |&j| npz.members[j].header_offset);
        let m = &mut npz.members[i];
        let data_end = m.data_offset.saturating_add(m.compressed_size);
        if m.data_offset != m.header_offset + m.local_header.len() as u64 || data_end > next {
            contiguous = false;
        }
        let trailer = usize::try_from(data_end)
            .ok()
            .zip(usize::try_from(next).ok())
            .and_then(|(start, end)| bytes.get(start..end))
            .unwrap_or_default();
        m.trailer = if contiguous {
            trailer.to_vec()
        } else if m.flags & FLAG_DESCRIPTOR != 0 {
            let start = usize::try_from(data_end).unwrap_or(usize::MAX);
            let rest = bytes.get(start..).unwrap_or_default();
            rest[..descriptor_len(rest, local_has_zip64(&m.local_header))].to_vec()
        } else {
            Vec::new()
        };
    }
    let mut cd_end = cd_start;
    for m in &npz.members {
        if m.central_header_offset != cd_end {
            contiguous = false;
        }
        cd_end = m.central_header_offset + m.central_header.len() as u64;
    }

    let Some(eocd) = find_eocd(bytes, cd_start, npz.offset_bias) else {
        npz.contiguous = false;
        return;
    };
    let zip64 = eocd
        .checked_sub(20)
        .filter(|&at| bytes.get(at..at + 4) == Some(ZIP64_LOCATOR_SIG))
        .and_then(|locator| {
            let record = le64(bytes, locator + 8)?.checked_add(npz.offset_bias)?;
            let record = usize::try_from(record).ok()?;
            (record <= locator && bytes.get(record..record + 4)? == ZIP64_RECORD_SIG)
                .then_some((record, locator))
        });
    let records_start = zip64.map_or(eocd, |(record, _)| record);
    let start = match usize::try_from(cd_end) {
        Ok(cd_end) if contiguous && cd_end <= records_start => cd_end,
        _ => {
            contiguous = false;
            records_start
        }
    };
    npz.end = Some(EndRecords {
        bytes: bytes[start..].to_vec(),
        eocd_at: eocd - start,
        zip64_record_at: zip64.map(|(record, _)| record - start),
        zip64_locator_at: zip64.map(|(_, locator)| locator - start),
    });
    npz.contiguous = contiguous;
}

/// The end-of-central-directory record: the last one (searching back over at most a full
/// comment) whose comment fits and whose central directory offset is the one in use.
fn find_eocd(bytes: &[u8], cd_start: u64, bias: u64) -> Option<usize> {
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last).rev().find(|&at| {
        bytes[at..at + 4] == *EOCD_SIG
            && le16(bytes, at + 20).is_some_and(|n| at + 22 + usize::from(n) <= bytes.len())
            && le32(bytes, at + 16).is_some_and(|offset| {
                offset == u32::MAX || u64::from(offset).checked_add(bias) == Some(cd_start)
            })
    })
}

/// How a member's data was written by [`encode_detailed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberData {
    /// Stored (method 0): the re-encoded NPY itself.
    Stored,
    /// Deflated, and the re-encoded NPY is what the original compressed bytes inflate to:
    /// those bytes were kept (exact, whatever zlib wrote them).
    KeptCompressed,
    /// Deflated, and the NPY changed: compressed anew at level 6 (Python's default) with the
    /// `zip` crate's deflate (zlib-rs), whose output can differ from the zlib Python used.
    Recompressed,
    /// Deflated, but compressing failed: written stored (method 0) instead.
    StoredInstead,
}

/// How one member was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberEncoding {
    /// Where its NPY header came from.
    pub header: npy::HeaderSource,
    /// How its data was written.
    pub data: MemberData,
}

/// An encoded archive and how each member was encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedNpz {
    /// The archive.
    pub bytes: Vec<u8>,
    /// Per member, in [`Npz::members`] order.
    pub members: Vec<MemberEncoding>,
    /// The original layout was reproduced ([`Npz::contiguous`] and the end records were
    /// found); `false`: a clean archive was written instead.
    pub layout_kept: bool,
}

/// The archive rebuilt from the parsed members: for every archive numpy writes (and every
/// other one that is [`Npz::contiguous`]), `encode(&parse(bytes)?) == bytes` — provided its
/// deflated members, if any, are unchanged (see [`MemberData`]).
pub fn encode(npz: &Npz) -> Vec<u8> {
    encode_detailed(npz).bytes
}

/// [`encode`], with how each member was encoded.
///
/// Each member's NPY is re-encoded with [`npy::encode_detailed`]; its CRC-32 and sizes are
/// computed from those bytes and written into the local header (fixed fields and zip64 extra
/// field; fields a data descriptor defers stay 0, zip64 placeholders `0xFFFFFFFF` stay), the
/// data descriptor, and the central directory entry (with its zip64 extra field), together
/// with the new local header offset. Everything else comes from the stored raw headers. The
/// end records get the new entry count, central directory size and offset, and
/// [`Npz::comment`].
pub fn encode_detailed(npz: &Npz) -> EncodedNpz {
    let layout_kept = npz.contiguous && npz.end.is_some();
    let bias = if layout_kept { npz.offset_bias } else { 0 };
    let mut order: Vec<usize> = (0..npz.members.len()).collect();
    if layout_kept {
        order.sort_by_key(|&i| npz.members[i].header_offset);
    }
    let mut out = Vec::new();
    if layout_kept {
        out.extend_from_slice(&npz.prefix);
    }
    // Per member: CRC, compressed size, size, stored local header offset, new method.
    let mut written = vec![(0u32, 0u64, 0u64, 0u64, None); npz.members.len()];
    let mut encodings = vec![
        MemberEncoding {
            header: npy::HeaderSource::Stored,
            data: MemberData::Stored,
        };
        npz.members.len()
    ];
    for &i in &order {
        let m = &npz.members[i];
        let npy = npy::encode_detailed(&m.array);
        let crc = crc32fast::hash(&npy.bytes);
        let size = npy.bytes.len() as u64;
        let (data, how, method): (Vec<u8>, MemberData, u16) = match m.compression {
            Compression::Stored => (npy.bytes, MemberData::Stored, 0),
            Compression::Deflated if is_unchanged(m, &npy.bytes, crc) => {
                (m.compressed.clone(), MemberData::KeptCompressed, 8)
            }
            Compression::Deflated => match deflate(&npy.bytes) {
                Some(data) => (data, MemberData::Recompressed, 8),
                None => (npy.bytes, MemberData::StoredInstead, 0),
            },
        };
        let compressed_size = data.len() as u64;
        // The method fields are rewritten only when the method changed (a damaged local
        // field that the central directory overrides stays as it was).
        let method = (le16(&m.central_header, 10) != Some(method)).then_some(method);
        let offset = (out.len() as u64).saturating_sub(bias);
        let zip64 = local_has_zip64(&m.local_header);
        out.extend(patch_local(
            &m.local_header,
            m.flags,
            method,
            crc,
            compressed_size,
            size,
        ));
        out.extend(data);
        if layout_kept || m.flags & FLAG_DESCRIPTOR != 0 {
            let mut trailer = m.trailer.clone();
            if !layout_kept {
                trailer.truncate(descriptor_len(&trailer, zip64));
            }
            if m.flags & FLAG_DESCRIPTOR != 0 {
                patch_descriptor(&mut trailer, zip64, crc, compressed_size, size);
            }
            out.extend(trailer);
        }
        written[i] = (crc, compressed_size, size, offset, method);
        encodings[i] = MemberEncoding {
            header: npy.header,
            data: how,
        };
    }
    let cd_start = out.len() as u64;
    for (m, &(crc, compressed_size, size, offset, method)) in npz.members.iter().zip(&written) {
        out.extend(patch_central(
            &m.central_header,
            method,
            crc,
            compressed_size,
            size,
            offset,
        ));
    }
    let cd_size = out.len() as u64 - cd_start;
    let end = match &npz.end {
        Some(end) => patch_end(end, npz, cd_start, cd_size, bias),
        None => synthesized_end(npz, cd_start, cd_size),
    };
    out.extend(end);
    EncodedNpz {
        bytes: out,
        members: encodings,
        layout_kept,
    }
}

/// Whether the re-encoded NPY is what the member's original compressed bytes inflate to.
fn is_unchanged(m: &Member, npy: &[u8], crc: u32) -> bool {
    !m.compressed.is_empty()
        && npy.len() as u64 == m.inflated_size
        && crc == m.crc32
        && digest(npy) == m.uncompressed_digest
}

/// Raw deflate at level 6 through the `zip` crate (the only deflate encoder in the tree).
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6));
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("member.npy", options).ok()?;
    writer.write_all(data).ok()?;
    let archive = writer.finish().ok()?.into_inner();
    let mut archive = zip::ZipArchive::new(Cursor::new(archive)).ok()?;
    let mut file = archive.by_index_raw(0).ok()?;
    if file.compression() != CompressionMethod::Deflated {
        return None;
    }
    let mut out = Vec::new();
    file.read_to_end(&mut out).ok()?;
    Some(out)
}

/// Update a 32-bit local header size field, unless it is a zip64 placeholder or deferred to
/// the data descriptor (stored as 0 with flag bit 3).
fn put_local32(h: &mut [u8], at: usize, v: u64, deferred: bool) {
    match le32(h, at) {
        Some(u32::MAX) | None => {}
        Some(0) if deferred => {}
        Some(_) => put32(h, at, sat32(v)),
    }
}

fn patch_local(
    raw: &[u8],
    flags: u16,
    method: Option<u16>,
    crc: u32,
    compressed_size: u64,
    size: u64,
) -> Vec<u8> {
    let mut h = raw.to_vec();
    if h.len() < 30 {
        return h;
    }
    let deferred = flags & FLAG_DESCRIPTOR != 0;
    if let Some(method) = method {
        put16(&mut h, 8, method);
    }
    if !(deferred && le32(&h, 14) == Some(0)) {
        put32(&mut h, 14, crc);
    }
    put_local32(&mut h, 18, compressed_size, deferred);
    put_local32(&mut h, 22, size, deferred);
    let extra_start = 30 + le16(&h, 26).map_or(0, usize::from);
    let block = h
        .get(extra_start..)
        .and_then(zip64_block)
        .map(|r| (r.start + extra_start)..(r.end + extra_start));
    if let Some(block) = block {
        // A local zip64 field holds the size, then the compressed size.
        for (k, v) in [size, compressed_size].into_iter().enumerate() {
            let at = block.start + 8 * k;
            if at + 8 > block.end {
                break;
            }
            if !(deferred && le64(&h, at) == Some(0)) {
                put64(&mut h, at, v);
            }
        }
    }
    h
}

fn patch_descriptor(trailer: &mut [u8], zip64: bool, crc: u32, compressed_size: u64, size: u64) {
    let at = if trailer.starts_with(DESCRIPTOR_SIG) {
        4
    } else {
        0
    };
    put32(trailer, at, crc);
    if zip64 {
        put64(trailer, at + 4, compressed_size);
        put64(trailer, at + 12, size);
    } else {
        put32(trailer, at + 4, sat32(compressed_size));
        put32(trailer, at + 8, sat32(size));
    }
}

fn patch_central(
    raw: &[u8],
    method: Option<u16>,
    crc: u32,
    compressed_size: u64,
    size: u64,
    offset: u64,
) -> Vec<u8> {
    let mut h = raw.to_vec();
    if h.len() < 46 {
        return h;
    }
    if let Some(method) = method {
        put16(&mut h, 10, method);
    }
    put32(&mut h, 16, crc);
    let extra_start = 46 + le16(&h, 28).map_or(0, usize::from);
    let extra_len = le16(&h, 30).map_or(0, usize::from);
    let block = h
        .get(extra_start..(extra_start + extra_len).min(h.len()))
        .and_then(zip64_block)
        .map(|r| (r.start + extra_start)..(r.end + extra_start));
    let mut cursor = block.as_ref().map(|b| b.start);
    // A central zip64 field holds, in this order, each of size, compressed size and offset
    // whose 32-bit field is the placeholder 0xFFFFFFFF.
    for (at, v) in [(24, size), (20, compressed_size), (42, offset)] {
        if le32(&h, at) == Some(u32::MAX) {
            if let (Some(c), Some(b)) = (cursor, &block)
                && c + 8 <= b.end
            {
                put64(&mut h, c, v);
                cursor = Some(c + 8);
            }
        } else {
            put32(&mut h, at, sat32(v));
        }
    }
    h
}

fn patch_end(end: &EndRecords, npz: &Npz, cd_start: u64, cd_size: u64, bias: u64) -> Vec<u8> {
    let entries = npz.members.len() as u64;
    let cd_offset = cd_start.saturating_sub(bias);
    let mut b = end.bytes.clone();
    let end_start = cd_start + cd_size;
    if let Some(r) = end.zip64_record_at {
        put64(&mut b, r + 24, entries);
        put64(&mut b, r + 32, entries);
        put64(&mut b, r + 40, cd_size);
        put64(&mut b, r + 48, cd_offset);
        if let Some(l) = end.zip64_locator_at {
            put64(&mut b, l + 8, (end_start + r as u64).saturating_sub(bias));
        }
    }
    let e = end.eocd_at;
    for at in [e + 8, e + 10] {
        if le16(&b, at).is_some_and(|n| n != u16::MAX) {
            put16(&mut b, at, u16::try_from(entries).unwrap_or(u16::MAX));
        }
    }
    for (at, v) in [(e + 12, cd_size), (e + 16, cd_offset)] {
        if le32(&b, at).is_some_and(|n| n != u32::MAX) {
            put32(&mut b, at, sat32(v));
        }
    }
    // The comment: Npz::comment, then whatever followed the stored one.
    let Some(stored_len) = le16(&b, e + 20) else {
        return b;
    };
    let comment_end = (e + 22 + usize::from(stored_len)).min(b.len());
    let rest = b.split_off(comment_end);
    b.truncate(e + 20);
    let comment = &npz.comment[..npz.comment.len().min(usize::from(u16::MAX))];
    b.extend((comment.len() as u16).to_le_bytes());
    b.extend_from_slice(comment);
    b.extend(rest);
    b
}

/// A plain end-of-central-directory record, for an archive whose own was not found.
fn synthesized_end(npz: &Npz, cd_start: u64, cd_size: u64) -> Vec<u8> {
    let entries = u16::try_from(npz.members.len()).unwrap_or(u16::MAX);
    let comment = &npz.comment[..npz.comment.len().min(usize::from(u16::MAX))];
    let mut b = EOCD_SIG.to_vec();
    b.extend([0u8; 4]);
    b.extend(entries.to_le_bytes());
    b.extend(entries.to_le_bytes());
    b.extend(sat32(cd_size).to_le_bytes());
    b.extend(sat32(cd_start).to_le_bytes());
    b.extend((comment.len() as u16).to_le_bytes());
    b.extend_from_slice(comment);
    b
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
    fn a_deflated_member_may_not_inflate_past_the_ratio() {
        let zeros = npy_bytes("'<f8'", "(100000,)", &[0; 800_000]);
        let npz = zip_of(&[("data.npy", zeros, CompressionMethod::Deflated)]);
        assert!(npz.len() < 10_000, "{}", npz.len());
        assert!(matches!(
            parse(&npz),
            Err(NpzError::RatioTooHigh { limit: 4, declared, .. }) if declared > 800_000
        ));
        let lenient = Limits {
            max_ratio: 1000,
            ..Limits::default()
        };
        assert!(parse_with(&npz, &lenient).is_ok());
        // Small members are not held to the ratio, and stored ones never are.
        let small = npy_bytes("'<f8'", "(1000,)", &[0; 8000]);
        let npz = zip_of(&[("data.npy", small, CompressionMethod::Deflated)]);
        assert!(parse(&npz).is_ok());
        let stored = npy_bytes("'<f8'", "(100000,)", &[0; 800_000]);
        let npz = zip_of(&[("data.npy", stored, CompressionMethod::Stored)]);
        assert!(parse(&npz).is_ok());
        // A compressed size declared past the end of the archive does not buy a larger ratio.
        let zeros = npy_bytes("'<f8'", "(100000,)", &[0; 800_000]);
        let mut npz = zip_of(&[("data.npy", zeros, CompressionMethod::Deflated)]);
        put32(&mut npz, 18, 1 << 30);
        let central = central_entries(&npz)[0];
        put32(&mut npz, central + 20, 1 << 30);
        assert!(
            parse(&npz).is_err(),
            "a lying compressed size let the member inflate"
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

    // -----------------------------------------------------------------------------------------
    // Encoding
    // -----------------------------------------------------------------------------------------

    // What numpy 2.4.6 on Python 3.11 writes (generated with the venv's numpy): `savez` and
    // `savez_compressed` of `a=arange(3)`, `b=zeros((2, 2))`, `s=array(['x', 'yz'])` (zip64
    // extra fields, 0xFFFFFFFF size placeholders in the local headers, version 4.5), and
    // `savez`/`savez_compressed` to a stream that cannot seek (data descriptors, flag bit 3).
    const NUMPY2_SAVEZ: &[u8] = b"PK\x03\x04-\x00\x00\x00\x00\x00\x00\x00!\x00\xf7@\x12\xea\xff\xff\xff\xff\xff\xff\xff\xff\
    \x05\x00\x14\x00a.npy\x01\x00\x10\x00\x98\x00\x00\x00\x00\x00\x00\x00\x98\x00\x00\x00\x00\
    \x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), } \
    \x20                                                          \n\x00\x00\x00\x00\x00\x00\x00\
    \x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00PK\x03\x04-\x00\x00\x00\
    \x00\x00\x00\x00!\x00\xa7\x02l|\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\x00b.npy\x01\x00\
    \x10\x00\xa0\x00\x00\x00\x00\x00\x00\x00\xa0\x00\x00\x00\x00\x00\x00\x00\x93NUMPY\x01\x00v\
    \x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }                             \
    \x20                            \n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00PK\x03\x04-\x00\x00\
    \x00\x00\x00\x00\x00!\x00XB\xf1\xa1\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\x00s.npy\x01\
    \x00\x10\x00\x90\x00\x00\x00\x00\x00\x00\x00\x90\x00\x00\x00\x00\x00\x00\x00\x93NUMPY\x01\
    \x00v\x00{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }                          \
    \x20                                 \nx\x00\x00\x00\x00\x00\x00\x00y\x00\x00\x00z\x00\x00\
    \x00PK\x01\x02-\x03-\x00\x00\x00\x00\x00\x00\x00!\x00\xf7@\x12\xea\x98\x00\x00\x00\x98\x00\
    \x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00a.npyPK\x01\
    \x02-\x03-\x00\x00\x00\x00\x00\x00\x00!\x00\xa7\x02l|\xa0\x00\x00\x00\xa0\x00\x00\x00\x05\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xcf\x00\x00\x00b.npyPK\x01\x02-\x03-\
    \x00\x00\x00\x00\x00\x00\x00!\x00XB\xf1\xa1\x90\x00\x00\x00\x90\x00\x00\x00\x05\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xa6\x01\x00\x00s.npyPK\x05\x06\x00\x00\x00\x00\x03\
    \x00\x03\x00\x99\x00\x00\x00m\x02\x00\x00\x00\x00";
    const NUMPY2_SAVEZ_COMPRESSED: &[u8] = b"PK\x03\x04-\x00\x00\x00\x08\x00\x00\x00!\x00\xf7@\x12\xea\xff\xff\xff\xff\xff\xff\xff\xff\
    \x05\x00\x14\x00a.npy\x01\x00\x10\x00\x98\x00\x00\x00\x00\x00\x00\x00L\x00\x00\x00\x00\x00\
    \x00\x00\x9b\xec\x17\xea\x1b\x10\xc9\xc8P\xc6P\xad\x9e\x92Z\x9c\\\xa4n\xa5\xa0n\x93i\xa1\xae\
    \xa3\xa0\x9e\x96_TR\x94\x98\x17\x9f_\x94\x92\n\x12wK\xcc)N\x05\x8a\x17g$\x16\xa4\x02\xf9\x1a\
    \xc6:\x9a:\n\xb5\n\x14\x00.\x06(`\x84\xd2LP\x1a\x00PK\x03\x04-\x00\x00\x00\x08\x00\x00\x00!\
    \x00\xa7\x02l|\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\x00b.npy\x01\x00\x10\x00\xa0\x00\
    \x00\x00\x00\x00\x00\x00I\x00\x00\x00\x00\x00\x00\x00\x9b\xec\x17\xea\x1b\x10\xc9\xc8P\xc6P\
    \xad\x9e\x92Z\x9c\\\xa4n\xa5\xa0n\x93f\xa1\xae\xa3\xa0\x9e\x96_TR\x94\x98\x17\x9f_\x94\x92\n\
    \x12wK\xcc)N\x05\x8a\x17g$\x16\xa4\x02\xf9\x1aF:\nF\x9a:\n\xb5\nd\x03.\x06\x02\x00\x00PK\x03\
    \x04-\x00\x00\x00\x08\x00\x00\x00!\x00XB\xf1\xa1\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\
    \x00s.npy\x01\x00\x10\x00\x90\x00\x00\x00\x00\x00\x00\x00M\x00\x00\x00\x00\x00\x00\x00\x9b\
    \xec\x17\xea\x1b\x10\xc9\xc8P\xc6P\xad\x9e\x92Z\x9c\\\xa4n\xa5\xa0n\x13j\xa4\xae\xa3\xa0\x9e\
    \x96_TR\x94\x98\x17\x9f_\x94\x92\n\x12wK\xcc)N\x05\x8a\x17g$\x16\xa4\x02\xf9\x1aF:\x9a:\n\
    \xb5\n\x14\x00\xae\n\x06\x08\xa8\x04\xe2* \x06\x00PK\x01\x02-\x03-\x00\x00\x00\x08\x00\x00\
    \x00!\x00\xf7@\x12\xeaL\x00\x00\x00\x98\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x80\x01\x00\x00\x00\x00a.npyPK\x01\x02-\x03-\x00\x00\x00\x08\x00\x00\x00!\x00\xa7\
    \x02l|I\x00\x00\x00\xa0\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\
    \x83\x00\x00\x00b.npyPK\x01\x02-\x03-\x00\x00\x00\x08\x00\x00\x00!\x00XB\xf1\xa1M\x00\x00\
    \x00\x90\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x03\x01\x00\x00\
    s.npyPK\x05\x06\x00\x00\x00\x00\x03\x00\x03\x00\x99\x00\x00\x00\x87\x01\x00\x00\x00\x00";
    const NUMPY2_UNSEEKABLE: &[u8] = b"PK\x03\x04-\x00\x08\x00\x00\x00\x00\x00!\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\
    \x05\x00\x14\x00a.npy\x01\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), } \
    \x20                                                          \n\x00\x00\x00\x00\x00\x00\x00\
    \x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00PK\x07\x08\xf7@\x12\xea\
    \x98\x00\x00\x00\x00\x00\x00\x00\x98\x00\x00\x00\x00\x00\x00\x00PK\x03\x04-\x00\x08\x00\x00\
    \x00\x00\x00!\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\x00b.npy\x01\
    \x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x93NUMPY\x01\
    \x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }                          \
    \x20                                 \n\x00\x00\x80?\x00\x00\x80?PK\x07\x08|>\x92\x1c\x88\
    \x00\x00\x00\x00\x00\x00\x00\x88\x00\x00\x00\x00\x00\x00\x00PK\x01\x02-\x03-\x00\x08\x00\x00\
    \x00\x00\x00!\x00\xf7@\x12\xea\x98\x00\x00\x00\x98\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00a.npyPK\x01\x02-\x03-\x00\x08\x00\x00\x00\x00\
    \x00!\x00|>\x92\x1c\x88\x00\x00\x00\x88\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x80\x01\xe7\x00\x00\x00b.npyPK\x05\x06\x00\x00\x00\x00\x02\x00\x02\x00f\x00\x00\x00\
    \xbe\x01\x00\x00\x00\x00";
    const NUMPY2_UNSEEKABLE_COMPRESSED: &[u8] = b"PK\x03\x04-\x00\x08\x00\x08\x00\x00\x00!\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\
    \x05\x00\x14\x00a.npy\x01\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x9b\xec\x17\xea\x1b\x10\xc9\xc8P\xc6P\xad\x9e\x92Z\x9c\\\xa4n\xa5\xa0n\x93i\xa1\
    \xae\xa3\xa0\x9e\x96_TR\x94\x98\x17\x9f_\x94\x92\n\x12wK\xcc)N\x05\x8a\x17g$\x16\xa4\x02\xf9\
    \x1a\xc6:\x9a:\n\xb5\n\x14\x00.\x06(`\x84\xd2LP\x1a\x00PK\x07\x08\xf7@\x12\xeaL\x00\x00\x00\
    \x00\x00\x00\x00\x98\x00\x00\x00\x00\x00\x00\x00PK\x01\x02-\x03-\x00\x08\x00\x08\x00\x00\x00\
    !\x00\xf7@\x12\xeaL\x00\x00\x00\x98\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x80\x01\x00\x00\x00\x00a.npyPK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x003\x00\x00\x00\x9b\
    \x00\x00\x00\x00\x00";

    /// Every member through the `zip` crate, which checks each CRC-32 while reading.
    fn read_with_zip_crate(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (f.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    fn assert_exact(bytes: &[u8], data: MemberData) {
        let npz = parse(bytes).unwrap();
        assert!(npz.contiguous);
        let encoded = encode_detailed(&npz);
        assert!(encoded.layout_kept);
        assert_eq!(encoded.bytes, bytes);
        for m in &encoded.members {
            assert_eq!(m.data, data);
            assert!(matches!(m.header, npy::HeaderSource::Regenerated(_)));
        }
    }

    #[test]
    fn numpy_archives_reencode_exactly() {
        assert_exact(REAL_CSR, MemberData::Stored);
        assert_exact(NUMPY2_SAVEZ, MemberData::Stored);
        assert_exact(NUMPY2_UNSEEKABLE, MemberData::Stored);
        // Deflated members: the original compressed bytes are kept.
        assert_exact(NUMPY2_SAVEZ_COMPRESSED, MemberData::KeptCompressed);
        assert_exact(NUMPY2_UNSEEKABLE_COMPRESSED, MemberData::KeptCompressed);
        let npz = parse(NUMPY2_UNSEEKABLE).unwrap();
        assert_eq!(npz.members[0].trailer.len(), 24);
        assert!(npz.members[0].trailer.starts_with(DESCRIPTOR_SIG));
    }

    #[test]
    #[allow(clippy::print_stderr)]
    fn recompression_is_valid_but_not_promised_exact() {
        // A changed deflated member is compressed anew; whether zlib-rs gives zlib's bytes is
        // reported, not required.
        let npz = parse(NUMPY2_SAVEZ_COMPRESSED).unwrap();
        let m = &npz.members[0];
        let npy = npy::encode(&m.array);
        let again = deflate(&npy).unwrap();
        let same = again == m.compressed;
        eprintln!("zlib-rs level 6 reproduces numpy's (zlib 1.2.13) deflate stream: {same}");
        let mut changed = npz.clone();
        changed.members[0].uncompressed_digest ^= 1;
        let encoded = encode_detailed(&changed);
        assert_eq!(encoded.members[0].data, MemberData::Recompressed);
        assert_eq!(encoded.bytes == NUMPY2_SAVEZ_COMPRESSED, same);
        assert_eq!(
            read_with_zip_crate(&encoded.bytes),
            read_with_zip_crate(NUMPY2_SAVEZ_COMPRESSED)
        );
    }

    /// Change every member's values (and one member's shape, so that offsets move) and check
    /// the archive with the `zip` crate (CRC-32, sizes, offsets) and this parser.
    fn change_and_check(bytes: &[u8]) {
        let mut npz = parse(bytes).unwrap();
        for m in &mut npz.members {
            for b in &mut m.array.data {
                *b = b.wrapping_add(1);
            }
        }
        let first = &mut npz.members[0].array;
        let item = first.itemsize();
        first.shape = vec![first.len() + 1, 1];
        first.data.extend(vec![7u8; item]);
        npz.comment = b"changed".to_vec();
        let encoded = encode_detailed(&npz);
        assert!(encoded.layout_kept);
        let read = read_with_zip_crate(&encoded.bytes);
        assert_eq!(read.len(), npz.members.len());
        let again = parse(&encoded.bytes).unwrap();
        assert_eq!(again.comment, b"changed");
        for ((name, data), (m, a)) in read.iter().zip(npz.members.iter().zip(&again.members)) {
            assert_eq!(name, &m.name);
            assert_eq!(data, &npy::encode(&m.array));
            assert_eq!(
                (&a.array.data, &a.array.shape),
                (&m.array.data, &m.array.shape)
            );
            assert_eq!(a.crc32, crc32fast::hash(data));
            // Data descriptors carry the new CRC and sizes too.
            if a.flags & FLAG_DESCRIPTOR != 0 {
                let d = &a.trailer;
                assert_eq!(le32(d, 4), Some(a.crc32));
                assert_eq!(le64(d, 8), Some(a.compressed_size));
                assert_eq!(le64(d, 16), Some(a.size));
            }
        }
        // Encoding the re-parsed archive is exact again.
        assert_eq!(encode(&again), encoded.bytes);
    }

    #[test]
    fn changed_arrays_give_valid_archives() {
        for bytes in [
            REAL_CSR,
            NUMPY2_SAVEZ,
            NUMPY2_SAVEZ_COMPRESSED,
            NUMPY2_UNSEEKABLE,
            NUMPY2_UNSEEKABLE_COMPRESSED,
        ] {
            change_and_check(bytes);
        }
    }

    #[test]
    fn members_switching_compression() {
        let mut npz = parse(NUMPY2_SAVEZ).unwrap();
        npz.members[1].compression = Compression::Deflated;
        let encoded = encode_detailed(&npz);
        assert_eq!(encoded.members[1].data, MemberData::Recompressed);
        let again = parse(&encoded.bytes).unwrap();
        assert_eq!(again.members[1].compression, Compression::Deflated);
        assert_eq!(again.members[1].array, npz.members[1].array);
        assert_eq!(
            read_with_zip_crate(&encoded.bytes),
            read_with_zip_crate(NUMPY2_SAVEZ)
        );
    }

    /// `bytes` with a zip64 end record and locator before its end record, whose counts and
    /// offsets become placeholders (what a writer does past 65 535 members or 4 GiB).
    fn with_zip64_end(bytes: &[u8]) -> Vec<u8> {
        let eocd = bytes.len() - 22;
        let entries = u64::from(le16(bytes, eocd + 10).unwrap());
        let cd_size = u64::from(le32(bytes, eocd + 12).unwrap());
        let cd_offset = u64::from(le32(bytes, eocd + 16).unwrap());
        let mut out = bytes[..eocd].to_vec();
        let record_at = out.len() as u64;
        out.extend(ZIP64_RECORD_SIG);
        out.extend(44u64.to_le_bytes());
        out.extend([45, 3, 45, 0]);
        out.extend([0u8; 8]);
        out.extend(entries.to_le_bytes());
        out.extend(entries.to_le_bytes());
        out.extend(cd_size.to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(ZIP64_LOCATOR_SIG);
        out.extend([0u8; 4]);
        out.extend(record_at.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(EOCD_SIG);
        out.extend([0u8; 4]);
        out.extend([0xff; 4]);
        out.extend([0xff; 8]);
        out.extend([0u8; 2]);
        out
    }

    #[test]
    fn zip64_end_records_and_prefixes() {
        let zip64 = with_zip64_end(NUMPY2_SAVEZ);
        let npz = parse(&zip64).unwrap();
        let end = npz.end.as_ref().unwrap();
        assert_eq!(
            (end.zip64_record_at, end.zip64_locator_at),
            (Some(0), Some(56))
        );
        assert_exact(&zip64, MemberData::Stored);
        change_and_check(&zip64);
        // Bytes before the archive (a self-extracting stub), offsets not adjusted.
        let mut prefixed = b"#!/bin/sh\nexit 0\n".to_vec();
        prefixed.extend(NUMPY2_SAVEZ_COMPRESSED);
        let npz = parse(&prefixed).unwrap();
        assert_eq!((npz.prefix.len(), npz.offset_bias), (17, 17));
        assert_exact(&prefixed, MemberData::KeptCompressed);
        change_and_check(&prefixed);
        // An archive comment and bytes after it.
        let mut commented = NUMPY2_SAVEZ[..NUMPY2_SAVEZ.len() - 2].to_vec();
        commented.extend(5u16.to_le_bytes());
        commented.extend(b"hello");
        let npz = parse(&commented).unwrap();
        assert_eq!(npz.comment, b"hello");
        assert_exact(&commented, MemberData::Stored);
        change_and_check(&commented);
    }

    #[test]
    fn irregular_archives_are_rewritten_cleanly() {
        // A dropped duplicate: the later entry is kept, the archive is rewritten without the
        // earlier one.
        let mut bytes = zip_of(&[
            (
                "a.npy",
                npy_bytes("'<i8'", "(1,)", &i64s(&[1])),
                CompressionMethod::Stored,
            ),
            (
                "b.npy",
                npy_bytes("'<i8'", "(1,)", &i64s(&[2])),
                CompressionMethod::Deflated,
            ),
        ]);
        for i in 0..bytes.len() - 4 {
            if &bytes[i..i + 5] == b"b.npy" {
                bytes[i] = b'a';
            }
        }
        let npz = parse(&bytes).unwrap();
        assert!(!npz.contiguous);
        let encoded = encode_detailed(&npz);
        assert!(!encoded.layout_kept);
        let read = read_with_zip_crate(&encoded.bytes);
        assert_eq!(read.len(), 1);
        assert_eq!(
            parse(&encoded.bytes)
                .unwrap()
                .get("a")
                .unwrap()
                .i64_values()
                .unwrap(),
            vec![2]
        );
        // An empty archive (`numpy.savez` with no arrays).
        let empty = zip_of(&[]);
        let npz = parse(&empty).unwrap();
        assert_eq!(encode(&npz), empty);
    }

    #[test]
    fn damaged_archives_encode_to_valid_ones() {
        // Whatever parses encodes without panicking to an archive that parses to the same
        // arrays and re-encodes to itself; local header fields that disagree with the
        // central directory (a flipped CRC, size or method) come out repaired.
        for bytes in [REAL_CSR, NUMPY2_SAVEZ_COMPRESSED, NUMPY2_UNSEEKABLE] {
            let (mut parsed, mut exact) = (0, 0);
            for bit in 0..bytes.len() * 8 {
                let mut m = bytes.to_vec();
                m[bit / 8] ^= 1 << (bit % 8);
                let Ok(npz) = parse(&m) else {
                    continue;
                };
                parsed += 1;
                let encoded = encode(&npz);
                exact += usize::from(encoded == m);
                let again = parse(&encoded).unwrap_or_else(|e| panic!("bit {bit}: {e}"));
                let arrays = |n: &Npz| {
                    n.members
                        .iter()
                        .map(|m| m.array.clone())
                        .collect::<Vec<_>>()
                };
                assert_eq!(arrays(&again), arrays(&npz), "bit {bit}");
                assert_eq!(encode(&again), encoded, "bit {bit}");
            }
            assert!(parsed > 0 && exact > 0);
        }
    }

    /// Every payload in `../shared/corpus` re-encodes byte for byte (skipped when absent).
    #[test]
    #[allow(clippy::print_stderr)]
    fn corpus_payloads_reencode_exactly() {
        use std::collections::BTreeMap;

        use crate::artifact::Artifact;
        use crate::codec::model::decode_base64;
        use crate::json::{self, Node, Value};

        fn walk(node: &Node, out: &mut Vec<(bool, String)>) {
            match &node.value {
                Value::Object(members) => {
                    if let Some(s) = node.get("npy").and_then(Node::as_str) {
                        out.push((false, s.to_owned()));
                    }
                    if let Some(sparse) = node.get("sparse_npy") {
                        if let Some(s) = sparse.as_str() {
                            out.push((true, s.to_owned()));
                        } else if let Some(s) = sparse.get("str").and_then(Node::as_str) {
                            out.push((true, s.to_owned()));
                        }
                    }
                    for m in members {
                        walk(&m.value, out);
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
                _ => {}
            }
        }

        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!(
                "corpus_payloads_reencode_exactly: {} not found, skipped",
                dir.display()
            );
            return;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let (mut files, mut npys, mut npzs, mut members) = (0, 0, 0, 0);
        let mut primary: BTreeMap<String, usize> = BTreeMap::new();
        let mut sets: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = |array: &npy::Array| {
            let layouts = npy::matching_layouts(array);
            let first = layouts.first().map_or("none (stored header)", |l| l.name());
            *primary.entry(first.to_owned()).or_default() += 1;
            let all: Vec<&str> = layouts.iter().map(|l| l.name()).collect();
            *sets.entry(format!("[{}]", all.join(", "))).or_default() += 1;
        };
        for path in paths {
            if path.extension().is_some_and(|e| e == "md") || !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let artifact = Artifact::parse(bytes);
            let Some(cell) = artifact.cell("model") else {
                continue;
            };
            let Ok(root) = json::parse(&cell.value) else {
                continue;
            };
            files += 1;
            let mut payloads = Vec::new();
            walk(&root, &mut payloads);
            for (sparse, text) in payloads {
                let Ok(raw) = decode_base64(&text) else {
                    continue;
                };
                let name = path.display();
                if sparse {
                    let npz = parse(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
                    let encoded = encode_detailed(&npz);
                    assert_eq!(encoded.bytes, raw, "{name}: NPZ differs");
                    npzs += 1;
                    for m in &npz.members {
                        members += 1;
                        count(&m.array);
                    }
                } else {
                    let Ok(array) = npy::parse(&raw) else {
                        continue;
                    };
                    assert_eq!(npy::encode(&array), raw, "{name}: NPY differs");
                    npys += 1;
                    count(&array);
                }
            }
        }
        eprintln!(
            "corpus: {files} model cells, {npys} NPY payloads and {npzs} NPZ payloads \
             ({members} members) re-encoded byte for byte"
        );
        eprintln!("  first matching layout: {primary:?}");
        eprintln!("  all matching layouts: {sets:?}");
        assert!(npys > 0);
    }
}
