//! The SQLite file's permissions. It holds password hashes and, when no
//! `TOKEN_SIGNING_KEY` is configured, the key that signs every access token: anyone who
//! can read it can mint an integration token. So it is created readable and writable by
//! the service's user only (0600), in a folder only that user can enter (0700) when the
//! service creates the folder; a file that already exists with looser modes is
//! tightened at start, and a log line says so.
//!
//! SQLite creates the `-wal`, `-shm` and `-journal` companions with the database file's
//! own mode, so creating that file first is what keeps them private too. Companions
//! left behind by an earlier run with looser modes are tightened with it.

use std::path::{Path, PathBuf};

/// The companions SQLite keeps beside a database file.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Creates the database's folder and file when missing, private to this user, and
/// tightens the modes of an existing file and its companions. Call before SQLite opens
/// the file.
pub fn prepare_sqlite_file(path: &Path) -> std::io::Result<()> {
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    create_private_file(path)?;
    for file in std::iter::once(path.to_owned()).chain(COMPANIONS.map(|s| with_suffix(path, s))) {
        tighten(&file);
    }
    Ok(())
}

/// Opens (creating it, private, when missing) a file beside the database, such as the
/// migrations' lock file.
pub fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    // Only the folders created here get this mode: an existing folder is the operator's.
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    // An empty file is a valid empty database to SQLite, which writes its header later.
    open_private(path).map(drop)
}

/// Takes every permission away from the group and others, saying so when there were any.
/// A file this user may not change (another owner) is left with a warning: refusing to
/// start would not make it any safer.
#[cfg(unix)]
fn tighten(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(file) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return;
    }
    let private = mode & 0o700;
    match std::fs::set_permissions(file, std::fs::Permissions::from_mode(private)) {
        Ok(()) => tracing::warn!(
            file = %file.display(),
            was = format!("{mode:o}"),
            now = format!("{private:o}"),
            "database file was open to other users: permissions tightened"
        ),
        Err(error) => tracing::warn!(
            file = %file.display(),
            mode = format!("{mode:o}"),
            %error,
            "database file is open to other users and its permissions could not be tightened"
        ),
    }
}

#[cfg(not(unix))]
fn tighten(_: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_and_folder_are_private_and_an_old_file_is_tightened() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join("a/b/db.sqlite");
        prepare_sqlite_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&home.path().join("a")), 0o700);
        assert_eq!(mode(&home.path().join("a/b")), 0o700);

        let wal = with_suffix(&file, "-wal");
        std::fs::write(&wal, b"").unwrap();
        for path in [&file, &wal] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o664)).unwrap();
        }
        prepare_sqlite_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }
}
