//! Content, not extension: `.mlmodel` is also Apple Core ML's extension. A Core ML model is a
//! binary protobuf `Model` message, recognised here so it is skipped with a notice instead of
//! being reported as a broken MLTK artifact.

/// Whether `head` (the first bytes of a file) is a Core ML model: a protobuf `Model` starts
/// with field 1 (`specificationVersion`, a small varint: tag byte 0x08), followed by another
/// length-delimited field (`description` = 2, or a model type, field 200 and up), and is not
/// text. An MLTK artifact starts with the CSV header `algo,model,options` (text).
pub fn is_core_ml(head: &[u8]) -> bool {
    let [0x08, version, rest @ ..] = head else {
        return false;
    };
    if !(1..=20).contains(version) {
        return false;
    }
    // The next field's tag: a varint whose low 3 bits are the wire type (2: length-delimited).
    let mut tag: u64 = 0;
    let mut shift = 0;
    let mut consumed = 0;
    for byte in rest.iter().take(3) {
        tag |= u64::from(byte & 0x7f) << shift;
        consumed += 1;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    if consumed == 0 || tag & 0x07 != 2 {
        return false;
    }
    let field = tag >> 3;
    field == 2 || (200..=3000).contains(&field)
}

/// How many leading bytes [`is_core_ml`] needs at most.
pub const HEAD_LEN: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_core_ml_and_not_mltk() {
        // specificationVersion 4, description (field 2) of length 0x40.
        assert!(is_core_ml(&[0x08, 0x04, 0x12, 0x40, 0x0a]));
        // specificationVersion 1, neuralNetwork (field 500: tag 0xa2 0x1f).
        assert!(is_core_ml(&[0x08, 0x01, 0xa2, 0x1f, 0x05]));
        assert!(!is_core_ml(b"algo,model,options\r\n"));
        assert!(!is_core_ml(b"\xef\xbb\xbfalgo,model"));
        assert!(!is_core_ml(&[0x08]));
        assert!(
            !is_core_ml(&[0x08, 0x04, 0x10, 0x01]),
            "varint field, not a Model"
        );
    }
}
