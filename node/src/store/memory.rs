//! [`MemoryStore`]: the store in ordered maps, for tests and tools that need no durability.
//! Same column families, keys and value bytes as [`RocksStore`](super::RocksStore), so the
//! shared test suite exercises the same logic on both.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use super::codec::Cf;
use super::kv::{self, Entries, Kv, Op};
use super::StoreError;

type Maps = BTreeMap<Cf, BTreeMap<Vec<u8>, Vec<u8>>>;

/// A [`Store`](super::Store) held in memory: lost when dropped. Writes are atomic (one lock
/// over all column families) and visible as soon as they return.
#[derive(Debug)]
pub struct MemoryStore {
    maps: Mutex<Maps>,
    writer: Mutex<()>,
}

impl MemoryStore {
    /// An empty store at the current [`SCHEMA_VERSION`](super::SCHEMA_VERSION).
    pub fn new() -> Self {
        let store = Self {
            maps: Mutex::new(BTreeMap::new()),
            writer: Mutex::new(()),
        };
        // Only a write into fresh, unshared maps: cannot fail.
        let _ = kv::check_schema(&store);
        store
    }

    fn maps(&self) -> Result<MutexGuard<'_, Maps>, StoreError> {
        self.maps.lock().map_err(|_| StoreError::Poisoned)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl Kv for MemoryStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.maps()?.get(&cf).and_then(|m| m.get(key)).cloned())
    }

    fn scan(
        &self,
        cf: Cf,
        lower: &[u8],
        upper: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Entries, StoreError> {
        if upper.is_some_and(|upper| upper <= lower) {
            return Ok(Vec::new()); // empty range (and `BTreeMap::range` would panic)
        }
        let maps = self.maps()?;
        let Some(map) = maps.get(&cf) else {
            return Ok(Vec::new());
        };
        let upper = upper.map_or(Bound::Unbounded, Bound::Excluded);
        let range = map.range::<[u8], _>((Bound::Included(lower), upper));
        let clone = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        Ok(if reverse {
            range.rev().take(limit).map(clone).collect()
        } else {
            range.take(limit).map(clone).collect()
        })
    }

    fn write(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let mut maps = self.maps()?;
        for op in ops {
            match op {
                Op::Put(cf, key, value) => {
                    maps.entry(cf).or_default().insert(key, value);
                }
                Op::Delete(cf, key) => {
                    if let Some(map) = maps.get_mut(&cf) {
                        map.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }

    fn writer(&self) -> &Mutex<()> {
        &self.writer
    }
}
