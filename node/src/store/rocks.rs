//! [`RocksStore`]: the production store, one RocksDB database with a column family per kind
//! of record. Every write is a `WriteBatch` written with `sync = true`, so it is on disk
//! (WAL fsynced) before the call returns and survives a crash or power loss.

use std::fs;
use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, ErrorKind, IteratorMode, Options, ReadOptions,
    WriteBatch, WriteOptions, DB,
};

use super::codec::Cf;
use super::kv::{self, Entries, Kv, Op};
use super::StoreError;

/// The node's durable [`Store`](super::Store), in a RocksDB directory. One process at a time
/// may open a directory (RocksDB's `LOCK` file); share one instance (`Arc`) within a process.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
    writer: Mutex<()>,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish()
    }
}

impl RocksStore {
    /// Opens the store at `path`, creating the directory and the column families if missing,
    /// and recording or checking the schema version. Refuses a directory locked by another
    /// process ([`StoreError::Locked`]), a non-empty directory that is not a proofmesh store
    /// ([`StoreError::NotAStore`]) and a store of another version ([`StoreError::Schema`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let exists = inspect_dir(path)?;
        let mut opts = Options::default();
        if exists {
            check_column_families(&opts, path)?;
        } else {
            fs::create_dir_all(path).map_err(|e| StoreError::Io {
                op: "create the data directory".into(),
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let descriptors = Cf::ALL
            .iter()
            .map(|cf| ColumnFamilyDescriptor::new(cf.name(), Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, descriptors).map_err(|e| {
            let message = e.to_string();
            if e.kind() == ErrorKind::IOError && message.contains("LOCK") {
                StoreError::Locked {
                    path: path.to_path_buf(),
                    message,
                }
            } else {
                rocks_error("open", path, e)
            }
        })?;
        let store = Self {
            db,
            path: path.to_path_buf(),
            writer: Mutex::new(()),
        };
        kv::check_schema(&store)?;
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn handle(&self, cf: Cf) -> Result<&ColumnFamily, StoreError> {
        self.db
            .cf_handle(cf.name())
            .ok_or_else(|| StoreError::Rocks {
                op: format!("find column family {}", cf.name()),
                path: self.path.clone(),
                message: "column family not open".into(),
            })
    }
}

/// Whether `path` holds a RocksDB database (`false`: missing or an empty directory, where a
/// new store may be created). Anything else is refused rather than written into.
fn inspect_dir(path: &Path) -> Result<bool, StoreError> {
    let not_a_store = |why: &str| StoreError::NotAStore {
        path: path.to_path_buf(),
        why: why.into(),
    };
    let io = |e: std::io::Error| StoreError::Io {
        op: "inspect the data directory".into(),
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    match fs::metadata(path) {
        Err(e) if e.kind() == IoKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
        Ok(meta) if !meta.is_dir() => return Err(not_a_store("not a directory")),
        Ok(_) => {}
    }
    if path.join("CURRENT").is_file() {
        return Ok(true);
    }
    match fs::read_dir(path).map_err(io)?.next() {
        None => Ok(false),
        Some(_) => Err(not_a_store(
            "the directory is not empty and holds no RocksDB database (no CURRENT file)",
        )),
    }
}

/// Refuses a RocksDB database that is not a proofmesh store: column families this store does
/// not know, or none of its own (another application's database).
fn check_column_families(opts: &Options, path: &Path) -> Result<(), StoreError> {
    let names =
        DB::list_cf(opts, path).map_err(|e| rocks_error("list column families", path, e))?;
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "default" && Cf::ALL.iter().all(|cf| cf.name() != *n))
        .collect();
    let why = if !unknown.is_empty() {
        format!("a RocksDB database with unknown column families {unknown:?}")
    } else if !names.iter().any(|n| n == Cf::Meta.name()) {
        "a RocksDB database without proofmesh's column families".to_owned()
    } else {
        return Ok(());
    };
    Err(StoreError::NotAStore {
        path: path.to_path_buf(),
        why,
    })
}

fn rocks_error(op: &str, path: &Path, e: rocksdb::Error) -> StoreError {
    StoreError::Rocks {
        op: op.into(),
        path: path.to_path_buf(),
        message: e.into_string(),
    }
}

impl Kv for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get_cf(self.handle(cf)?, key)
            .map_err(|e| rocks_error(&format!("read {}", cf.name()), &self.path, e))
    }

    fn scan(
        &self,
        cf: Cf,
        lower: &[u8],
        upper: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Entries, StoreError> {
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(lower.to_vec());
        if let Some(upper) = upper {
            read.set_iterate_upper_bound(upper.to_vec());
        }
        let mode = if reverse {
            IteratorMode::End
        } else {
            IteratorMode::Start
        };
        self.db
            .iterator_cf_opt(self.handle(cf)?, read, mode)
            .take(limit)
            .map(|item| {
                item.map(|(k, v)| (k.into_vec(), v.into_vec()))
                    .map_err(|e| rocks_error(&format!("scan {}", cf.name()), &self.path, e))
            })
            .collect()
    }

    fn write(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        for op in ops {
            match op {
                Op::Put(cf, key, value) => batch.put_cf(self.handle(cf)?, key, value),
                Op::Delete(cf, key) => batch.delete_cf(self.handle(cf)?, key),
            }
        }
        let mut sync = WriteOptions::default();
        sync.set_sync(true);
        self.db
            .write_opt(batch, &sync)
            .map_err(|e| rocks_error("write batch", &self.path, e))
    }

    fn writer(&self) -> &Mutex<()> {
        &self.writer
    }
}
