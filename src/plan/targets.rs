//! A set of targets as a bit set over `Resolution::targets` (at most 4 systems × 6 minors).

/// Targets by their index in the resolution's target list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetSet(u64);

impl TargetSet {
    pub const EMPTY: Self = Self(0);

    /// Every one of `count` targets.
    pub fn all(count: usize) -> Self {
        debug_assert!(count <= 64);
        if count == 64 { Self(u64::MAX) } else { Self((1u64 << count) - 1) }
    }

    pub fn with(self, index: usize) -> Self {
        Self(self.0 | (1 << index))
    }

    pub fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `self` covers every target of `care` (targets outside `care` do not matter).
    pub fn covers(self, care: Self) -> bool {
        care.0 & !self.0 == 0
    }

    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..64).filter(|i| self.contains(*i))
    }
}
