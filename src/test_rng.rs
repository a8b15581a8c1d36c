//! A small deterministic generator for tests that need many varied inputs, each run the same.

/// One xorshift64 step: advances `state` (which must not be 0) and returns it.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
