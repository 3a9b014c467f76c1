//! Signals sent, counted by message type as they go: a direct-mapped table keyed by the
//! address of the type's `&'static str` name (one multiply, one compare per signal), with a
//! map for a type whose slot another took. Counting here rather than in an observer spares
//! every signal an event and a dynamic call: the report's counts cost a tenth of what they
//! did as an observer's.

use rustc_hash::FxHashMap;

/// Slots of the table (a power of two).
const SLOTS: usize = 64;

pub(crate) struct TypeCounts {
    slots: [(usize, &'static str, u64); SLOTS],
    overflow: FxHashMap<usize, (&'static str, u64)>,
}

impl Default for TypeCounts {
    fn default() -> Self {
        TypeCounts { slots: [(0, "", 0); SLOTS], overflow: FxHashMap::default() }
    }
}

impl TypeCounts {
    #[inline]
    pub fn add(&mut self, name: &'static str) {
        let key = name.as_ptr() as usize;
        // Fibonacci hashing: the top bits of the product pick the slot.
        let hash = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros());
        let slot = &mut self.slots[hash as usize];
        if slot.0 == key {
            slot.2 += 1;
        } else if slot.0 == 0 {
            *slot = (key, name, 1);
        } else {
            self.overflow.entry(key).or_insert((name, 0)).1 += 1;
        }
    }

    /// Every type counted, with its count, in no particular order. One type may appear twice
    /// (its name at two addresses, from two codegen units): callers merge by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.slots.iter().filter(|s| s.0 != 0).map(|s| (s.1, s.2)).chain(self.overflow.values().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_counted_whether_their_slot_is_free_or_taken() {
        let mut t = TypeCounts::default();
        // More names than slots: some must share a slot and go to the overflow map.
        let names: Vec<&'static str> = (0..200).map(|i| &*Box::leak(format!("T{i}").into_boxed_str())).collect();
        for (i, &n) in names.iter().enumerate() {
            for _ in 0..=i % 3 {
                t.add(n);
            }
        }
        let counted: std::collections::BTreeMap<&str, u64> = t.iter().collect();
        assert_eq!(counted.len(), 200);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(counted[n], (i % 3 + 1) as u64, "{n}");
        }
    }
}
