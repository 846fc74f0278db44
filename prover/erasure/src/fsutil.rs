//! Crash-safe file writes: everything is written under a temporary name, fsynced and renamed
//! into place, so a killed process leaves at most a `*.tmp` file, never a half-written slot
//! under its real name.

use crate::error::{io_err, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of slot `i` in a dataset directory (as in the fixtures: `slot_<i>.bin`).
pub fn slot_file_name(slot: usize) -> String {
    format!("slot_{slot}.bin")
}

/// `<path>.tmp`, in the same directory so the rename stays on one file system.
fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// A file being written under `<final>.tmp`; [`TmpFile::commit`] moves it into place, and
/// dropping it uncommitted deletes it.
pub(crate) struct TmpFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl TmpFile {
    /// Creates (truncating) the temporary file for `dest`.
    pub(crate) fn create(dest: &Path) -> Result<Self> {
        let tmp = tmp_path(dest);
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            file: Some(file),
        })
    }

    /// The open temporary file.
    pub(crate) fn file(&mut self) -> Result<&mut File> {
        match self.file.as_mut() {
            Some(f) => Ok(f),
            None => Err(io_err(&self.tmp)(std::io::Error::other(
                "file already closed",
            ))),
        }
    }

    /// The temporary file's path, for error messages.
    pub(crate) fn path(&self) -> &Path {
        &self.tmp
    }

    /// Appends `bytes`.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let tmp = self.tmp.clone();
        self.file()?.write_all(bytes).map_err(io_err(&tmp))
    }

    /// Flushes the data to disk and renames the file into place.
    pub(crate) fn commit(mut self) -> Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(io_err(&self.tmp))?;
        }
        std::fs::rename(&self.tmp, &self.dest).map_err(io_err(&self.dest))?;
        // The rename itself is durable once the directory is synced; best effort, since not
        // every platform can open a directory.
        if let Some(dir) = self.dest.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = TmpFile::create(path)?;
    tmp.write_all(bytes)?;
    tmp.commit()
}
