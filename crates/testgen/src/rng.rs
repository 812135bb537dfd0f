//! A small deterministic PRNG (SplitMix64) and the helpers the generators
//! need. Written here rather than taken from a crate so that the output of a
//! given seed never changes with a dependency upgrade: tests and the bundled
//! example rely on byte-identical files.

use std::fmt::Write as _;

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state word, good enough
/// statistical quality for synthetic data, and trivially reproducible.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A new generator whose stream does not overlap this one's in practice;
    /// used so that adding a draw in one part of a tree does not shift every
    /// later file.
    pub fn fork(&mut self) -> SplitMix64 {
        SplitMix64::new(self.next_u64() ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth
    /// caring about for test data).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A copy of a random element.
    pub fn one_of<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// Picks by integer weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            let w = u64::from(*w);
            if r < w {
                return item;
            }
            r -= w;
        }
        &items[items.len() - 1].0
    }

    /// Appends `n` random lower-case hex digits.
    pub fn push_hex(&mut self, out: &mut String, n: usize) {
        let mut left = n;
        while left > 0 {
            let mut v = self.next_u64();
            for _ in 0..left.min(16) {
                out.push(HEX[(v & 15) as usize] as char);
                v >>= 4;
            }
            left = left.saturating_sub(16);
        }
    }

    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        self.push_hex(&mut s, n);
        s
    }

    /// Appends a random version-4 style GUID (`8-4-4-4-12`, lower case, as
    /// Exchange writes them).
    pub fn push_guid(&mut self, out: &mut String) {
        let a = self.next_u64();
        let b = self.next_u64();
        let _ = write!(
            out,
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        );
    }

    pub fn guid(&mut self) -> String {
        let mut s = String::with_capacity(36);
        self.push_guid(&mut s);
        s
    }

    /// `n` random ASCII letters, mixed case (web-shell names are like this).
    pub fn letters(&mut self, n: usize) -> String {
        const L: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        (0..n).map(|_| *self.pick(L) as char).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_first_outputs() {
        // Reference values of SplitMix64 for seed 0 (as in the Java/C
        // reference implementations), so the stream never silently changes.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = SplitMix64::new(7);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let v = r.between(3, 5);
            assert!((3..=5).contains(&v));
        }
        let g = r.guid();
        assert_eq!(g.len(), 36);
        assert_eq!(g.matches('-').count(), 4);
        assert_eq!(r.hex(40).len(), 40);
        assert_eq!(r.letters(8).len(), 8);
    }
}
