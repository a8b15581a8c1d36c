/// The hash that places a class name in the built-in codec table: `build.rs` fills the
/// table's slots with it and `catalog::Catalog::any_codec` probes them (the file is included
/// in both, so that the two cannot disagree). FxHash's step over 8-byte words. The table is
/// fixed when the crate is built, so a hostile class name cannot lengthen a probe beyond the
/// table's longest run of filled slots.
fn class_hash(class: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(K);
    let mut words = class.as_bytes().chunks_exact(8);
    let mut hash = (&mut words).fold(class.len() as u64, |hash, word| {
        step(hash, u64::from_le_bytes(word.try_into().unwrap_or_default()))
    });
    let mut last = [0; 8];
    let rest = words.remainder();
    last[..rest.len()].copy_from_slice(rest);
    hash = step(hash, u64::from_le_bytes(last));
    // The slot comes from the low bits: fold the well-mixed high ones down.
    hash ^ (hash >> 29)
}
