//! Replacing a file that `fix --write` repaired, so that a crash, a kill or a concurrent
//! edit never leaves it half-written or silently overwritten.
//!
//! [`snapshot`] records a file as it was read (bytes as on disk, size, mtime, mode,
//! owner, SHA-256). [`replace`] then:
//!
//! 1. refuses with [`WriteError::Changed`] when the file on disk no longer matches the
//!    snapshot (size, mtime or SHA-256);
//! 2. locks the new content per the [`Seal`], in memory;
//! 3. copies the original bytes to `<name>.bak-YYYYMMDDTHHMMSSZ` in the same folder
//!    (`-1`, `-2`, … appended when taken; an existing file is never overwritten), with the
//!    original's mode and owner, fsynced;
//! 4. writes the new content to `.<name>.ise-doctor-tmp-<pid>-<n>` in the same folder
//!    (created exclusively, mode 0600 while written; a name left by a killed run is
//!    skipped), fsyncs it and gives it the original's owner and mode;
//! 5. checks the file once more, renames the temp file over it and fsyncs the folder.
//!
//! A failure before the rename removes the temp file and the backup and leaves the
//! original as it was. A symbolic link is followed: the file it points to is replaced and
//! the link kept. When the process may not give the file its owner back (not root), the
//! mode is still kept and [`Written::ownership_kept`] says so, for the caller to warn.
//!
//! Test-only fault injection: when the environment variable
//! `ISE_DOCTOR_FAULT_PAUSE_BEFORE_RENAME` names a path, [`replace`] creates that file (a
//! marker) once the temp file is complete and fsynced, then waits — until the marker is
//! removed, at most 30 s — before renaming, so a test can kill the process between the
//! write and the rename. It is not a user setting.
//!
//! Limitation: the rename gives the path a new inode, so hard links to the old file keep
//! the old content, and ACLs or extended attributes (SELinux labels) are not copied.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ring::digest;
use time::OffsetDateTime;
use time::macros::format_description;
use zeroize::Zeroizing;

use crate::input::MAX_BUNDLE_BYTES;
pub use crate::input::Seal;
use crate::model::Moment;

/// The environment variable of the test-only pause before the rename (see the module
/// documentation).
pub const FAULT_PAUSE_ENV: &str = "ISE_DOCTOR_FAULT_PAUSE_BEFORE_RENAME";

/// The longest the fault-injection hook waits for its marker to be removed.
const FAULT_PAUSE_MAX: Duration = Duration::from_secs(30);

/// How many names are tried for a backup or a temp file before giving up.
const MAX_NAME_ATTEMPTS: u32 = 1000;

/// A file as it was read, to detect a change before replacing it. `Debug` shows the
/// facts, never the bytes.
pub struct Original {
    /// The path as given (it may be a symbolic link).
    pub path: PathBuf,
    /// The content as on disk (possibly age ciphertext); zeroed when dropped.
    pub bytes: Zeroizing<Vec<u8>>,
    pub len: u64,
    pub modified: Option<SystemTime>,
    /// The permission bits (including setuid, setgid and sticky), e.g. `0o640`.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub sha256: [u8; 32],
}

impl fmt::Debug for Original {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sha256: String = self.sha256.iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("Original")
            .field("path", &self.path)
            .field("len", &self.len)
            .field("modified", &self.modified)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("sha256", &sha256)
            .finish_non_exhaustive()
    }
}

/// A completed replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The file that was replaced (the target of a symbolic link, when one was given).
    pub path: PathBuf,
    /// The copy of the original content.
    pub backup: PathBuf,
    /// False when the new file and the backup could not be given the original's owner
    /// and group (the process is not root); they belong to the user who ran the fix, with
    /// the original's mode.
    pub ownership_kept: bool,
    /// The SHA-256 of the bytes written (the ciphertext, for an `.age` file): lets the
    /// caller tell that the file still holds them without decrypting it.
    pub sha256: [u8; 32],
}

/// Why a file could not be replaced. Each message names the file and what to do; none
/// holds file content.
#[derive(Debug)]
pub enum WriteError {
    /// The file could not be read (for the snapshot, or to check it again).
    Read { path: PathBuf, source: io::Error },
    /// The path names a directory, a device or a pipe.
    NotAFile { path: PathBuf },
    /// The file is larger than any bundle should be.
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The file on disk differs from the snapshot: someone changed (or removed) it.
    Changed { path: PathBuf },
    /// The new content could not be encrypted (e.g. no age recipient).
    Seal { path: PathBuf, reason: String },
    /// The backup could not be written.
    Backup {
        path: PathBuf,
        backup: PathBuf,
        source: io::Error,
    },
    /// The temp file with the new content could not be written.
    Temp {
        path: PathBuf,
        temp: PathBuf,
        source: io::Error,
    },
    /// The test-only fault-injection marker could not be created.
    FaultHook {
        path: PathBuf,
        marker: PathBuf,
        source: io::Error,
    },
    /// Renaming the temp file over the file failed.
    Rename {
        path: PathBuf,
        temp: PathBuf,
        source: io::Error,
    },
    /// The file was replaced, but its folder could not be fsynced: the change may not
    /// survive a crash.
    NotDurable {
        path: PathBuf,
        backup: PathBuf,
        source: io::Error,
    },
}

impl WriteError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            WriteError::Read { path, .. }
            | WriteError::NotAFile { path }
            | WriteError::TooLarge { path, .. }
            | WriteError::Changed { path }
            | WriteError::Seal { path, .. }
            | WriteError::Backup { path, .. }
            | WriteError::Temp { path, .. }
            | WriteError::FaultHook { path, .. }
            | WriteError::Rename { path, .. }
            | WriteError::NotDurable { path, .. } => path,
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        let folder = folder_of(path);
        let folder = folder.display();
        let shown = path.display();
        const LEFT: &str = "the file was left as it was";
        match self {
            WriteError::Read { source, .. } => {
                let advice = match source.kind() {
                    io::ErrorKind::NotFound => "check the path",
                    io::ErrorKind::PermissionDenied => {
                        "run ise-doctor as a user that can read and write it"
                    }
                    _ => "check that the file is readable",
                };
                write!(f, "cannot read `{shown}`: {source}; {advice}")
            }
            WriteError::NotAFile { .. } => write!(
                f,
                "cannot replace `{shown}`: it is not a regular file; name the bundle file \
                 itself"
            ),
            WriteError::TooLarge { size, limit, .. } => write!(
                f,
                "cannot replace `{shown}`: it is {size} bytes, more than the {} MiB limit \
                 for a bundle; check that the right file is named",
                limit / (1024 * 1024)
            ),
            WriteError::Changed { .. } => write!(
                f,
                "cannot replace `{shown}`: it changed since it was read; re-run fix"
            ),
            WriteError::Seal { reason, .. } => {
                write!(f, "cannot replace `{shown}`: {reason}; {LEFT}")
            }
            WriteError::Backup { backup, source, .. } => write!(
                f,
                "cannot replace `{shown}`: writing the backup `{}` failed ({source}); {}; \
                 {LEFT}",
                backup.display(),
                io_advice(source, &folder)
            ),
            WriteError::Temp { temp, source, .. } => write!(
                f,
                "cannot replace `{shown}`: writing the new content to `{}` failed \
                 ({source}); {}; {LEFT}",
                temp.display(),
                io_advice(source, &folder)
            ),
            WriteError::FaultHook { marker, source, .. } => write!(
                f,
                "cannot replace `{shown}`: the test hook {FAULT_PAUSE_ENV} could not create \
                 `{}` ({source}); unset {FAULT_PAUSE_ENV}; {LEFT}",
                marker.display()
            ),
            WriteError::Rename { temp, source, .. } => write!(
                f,
                "cannot replace `{shown}`: renaming `{}` over it failed ({source}); {}; \
                 {LEFT}",
                temp.display(),
                io_advice(source, &folder)
            ),
            WriteError::NotDurable { backup, source, .. } => write!(
                f,
                "`{shown}` was replaced (backup `{}`), but syncing its folder failed \
                 ({source}); the change may not survive a crash: run `sync` and check the \
                 file",
                backup.display()
            ),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Read { source, .. }
            | WriteError::Backup { source, .. }
            | WriteError::Temp { source, .. }
            | WriteError::FaultHook { source, .. }
            | WriteError::Rename { source, .. }
            | WriteError::NotDurable { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads the file at `path` (following symbolic links) and records what [`replace`]
/// checks before replacing it.
pub fn snapshot(path: &Path) -> Result<Original, WriteError> {
    let failed = |source| WriteError::Read {
        path: path.to_path_buf(),
        source,
    };

    // Checked before opening: opening a FIFO blocks until a writer appears.
    if !fs::metadata(path).map_err(failed)?.is_file() {
        return Err(WriteError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(failed)?;
    let metadata = file.metadata().map_err(failed)?;
    if metadata.len() > MAX_BUNDLE_BYTES {
        return Err(WriteError::TooLarge {
            path: path.to_path_buf(),
            size: metadata.len(),
            limit: MAX_BUNDLE_BYTES,
        });
    }

    // Sized up front so the buffer never reallocates (leaving an un-zeroed copy).
    let capacity = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;

    Ok(Original {
        path: path.to_path_buf(),
        len: bytes.len() as u64,
        modified: metadata.modified().ok(),
        mode: metadata.mode() & 0o7777,
        uid: metadata.uid(),
        gid: metadata.gid(),
        sha256: sha256(&bytes),
        bytes,
    })
}

/// Replaces the file of `original` with `new_plaintext` locked per `seal`, keeping a
/// backup stamped with `now` (UTC). See the module documentation for the steps.
pub fn replace(
    original: &Original,
    new_plaintext: &[u8],
    seal: &Seal,
    now: Moment,
) -> Result<Written, WriteError> {
    let pause = std::env::var_os(FAULT_PAUSE_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from);
    replace_pausing(original, new_plaintext, seal, now, pause.as_deref())
}

/// [`replace`], with the fault-injection marker given rather than read from the
/// environment (tests cannot set environment variables without `unsafe`).
pub(super) fn replace_pausing(
    original: &Original,
    new_plaintext: &[u8],
    seal: &Seal,
    now: Moment,
    pause: Option<&Path>,
) -> Result<Written, WriteError> {
    let path = original.path.as_path();
    ensure_unchanged(original)?;
    let target = fs::canonicalize(path).map_err(|source| WriteError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (folder, name) = match (target.parent(), target.file_name()) {
        (Some(folder), Some(name)) => (folder, name),
        _ => {
            return Err(WriteError::NotAFile {
                path: path.to_path_buf(),
            });
        }
    };

    let content = crate::input::seal(new_plaintext, seal).map_err(|reason| WriteError::Seal {
        path: path.to_path_buf(),
        reason,
    })?;

    let mut backup_name = name.to_os_string();
    backup_name.push(format!(".bak-{}", stamp(now)));
    let (backup, backup_owned) = create_copy(folder, &backup_name, &original.bytes, original)
        .map_err(|(backup, source)| WriteError::Backup {
            path: path.to_path_buf(),
            backup,
            source,
        })?;
    let mut backup_guard = Removed(Some(backup.clone()));

    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".ise-doctor-tmp-{}", std::process::id()));
    let (temp, temp_owned) =
        create_copy(folder, &temp_name, &content, original).map_err(|(temp, source)| {
            WriteError::Temp {
                path: path.to_path_buf(),
                temp,
                source,
            }
        })?;
    let mut temp_guard = Removed(Some(temp.clone()));

    if let Some(marker) = pause {
        pause_before_rename(marker).map_err(|source| WriteError::FaultHook {
            path: path.to_path_buf(),
            marker: marker.to_path_buf(),
            source,
        })?;
    }
    ensure_unchanged(original)?;
    fs::rename(&temp, &target).map_err(|source| WriteError::Rename {
        path: path.to_path_buf(),
        temp: temp.clone(),
        source,
    })?;
    backup_guard.disarm();
    temp_guard.disarm();

    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|source| WriteError::NotDurable {
            path: path.to_path_buf(),
            backup: backup.clone(),
            source,
        })?;
    Ok(Written {
        path: target,
        backup,
        ownership_kept: backup_owned && temp_owned,
        sha256: sha256(&content),
    })
}

/// Refuses when the file no longer matches the snapshot (or is gone).
fn ensure_unchanged(original: &Original) -> Result<(), WriteError> {
    let changed = || WriteError::Changed {
        path: original.path.clone(),
    };
    let now = match snapshot(&original.path) {
        Ok(now) => now,
        Err(WriteError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Err(changed());
        }
        Err(e) => return Err(e),
    };
    if now.len != original.len || now.modified != original.modified || now.sha256 != original.sha256
    {
        return Err(changed());
    }
    Ok(())
}

/// Creates `folder/<base>` (or `<base>-1`, `<base>-2`, … when taken) exclusively with
/// mode 0600, writes `bytes`, gives it the owner and mode of `original` and fsyncs it.
/// Returns its path and whether the owner could be kept; on error, the path tried and
/// the cause, the file removed.
fn create_copy(
    folder: &Path,
    base: &OsString,
    bytes: &[u8],
    original: &Original,
) -> Result<(PathBuf, bool), (PathBuf, io::Error)> {
    let mut path = folder.join(base);
    let mut attempt = 0;
    let file = loop {
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match created {
            Ok(file) => break file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < MAX_NAME_ATTEMPTS => {
                attempt += 1;
                let mut name = base.clone();
                name.push(format!("-{attempt}"));
                path = folder.join(name);
            }
            Err(e) => return Err((path, e)),
        }
    };

    let mut guard = Removed(Some(path.clone()));
    match fill(&file, bytes, original) {
        Ok(owned) => {
            guard.disarm();
            Ok((path, owned))
        }
        Err(e) => Err((path, e)),
    }
}

/// Writes `bytes` to a new file, gives it the owner (when allowed) and the mode of
/// `original`, and fsyncs it. True when the owner was kept.
fn fill(mut file: &File, bytes: &[u8], original: &Original) -> io::Result<bool> {
    file.write_all(bytes)?;
    // The owner before the mode: a change of owner may clear the setuid and setgid bits.
    let owned = match std::os::unix::fs::fchown(file, Some(original.uid), Some(original.gid)) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => false,
        Err(e) => return Err(e),
    };
    file.set_permissions(fs::Permissions::from_mode(original.mode))?;
    file.sync_all()?;
    Ok(owned)
}

/// The test-only pause: creates `marker`, then waits until it is removed or
/// [`FAULT_PAUSE_MAX`] has passed.
fn pause_before_rename(marker: &Path) -> io::Result<()> {
    fs::write(marker, format!("{}\n", std::process::id()))?;
    let started = Instant::now();
    while marker.exists() && started.elapsed() < FAULT_PAUSE_MAX {
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// A file removed when dropped, unless disarmed: what a failed write leaves behind.
struct Removed(Option<PathBuf>);

impl Removed {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for Removed {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Best effort: the error being returned matters more than a leftover file.
            let _ = fs::remove_file(path);
        }
    }
}

/// `now` as `YYYYMMDDTHHMMSSZ` (UTC), for backup names.
fn stamp(now: Moment) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    OffsetDateTime::from_unix_timestamp(now.unix())
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| now.unix().to_string())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// The folder of `path`, `.` for a bare name.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What to do about a failed write in `folder`.
fn io_advice(error: &io::Error, folder: &dyn fmt::Display) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            format!("run ise-doctor as a user that can write to the folder `{folder}`")
        }
        io::ErrorKind::StorageFull => format!("free some space in `{folder}`"),
        _ => format!("check the folder `{folder}`"),
    }
}
