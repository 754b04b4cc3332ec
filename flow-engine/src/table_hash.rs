//! The hasher of the text analysis's fixed lookup tables (concept and lexicon entries by their
//! first character, syllable or word; an index's verbatim phrases), which are probed once per
//! character or word of every utterance.
//!
//! The standard library's default, SipHash with a random key, guards a table against keys
//! chosen to collide; these tables are built from compiled-in word lists and the flow's own
//! examples, and a caller's text only probes them, so it cannot lengthen their chains. A
//! multiply-and-fold per 8 bytes does, at a fraction of SipHash's cost; the keys hashed are
//! characters, short words and feature hashes.

use std::hash::{BuildHasherDefault, Hasher};

/// `HashMap<K, V, TableHash>`: a map with [`TableHasher`].
pub(crate) type TableHash = BuildHasherDefault<TableHasher>;

#[derive(Default, Clone, Copy)]
pub(crate) struct TableHasher(u64);

/// The 64 high and 64 low bits of the 128-bit product folded together: every bit of the
/// input reaches the high bits the map's control bytes use and the low bits its buckets use.
fn fold(x: u64) -> u64 {
    let product = u128::from(x) * 0x9E37_79B9_7F4A_7C15;
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for TableHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0.rotate_left(23) ^ n ^ 0x2545_F491_4F6C_DD1D);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut map: HashMap<String, usize, TableHash> = HashMap::default();
        let words = [
            "",
            "a",
            "a\0",
            "ab",
            "refund",
            "refunds",
            "12345678",
            "123456789",
            "退款",
        ];
        for (i, w) in words.iter().enumerate() {
            map.insert((*w).to_owned(), i);
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(map.get(*w), Some(&i), "{w:?}");
        }
        assert_eq!(map.get("refun"), None);
        let chars: HashMap<char, u32, TableHash> = ('一'..='龥').map(|c| (c, c as u32)).collect();
        assert!(('一'..='龥').all(|c| chars.get(&c) == Some(&(c as u32))));
    }
}
