//! The store's error type. Its variants are the cases a caller must tell
//! apart (show a "database damaged" screen, retry later, report a bug), not a
//! mirror of SQLite's result codes.

use std::io;

/// SQLite primary result codes that callers need to tell apart.
/// <https://www.sqlite.org/rescode.html>
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is not a SQLite database, or its pages are damaged. The store
    /// never deletes or recreates such a file: the user's history may still
    /// be recoverable with other tools.
    #[error("the database is damaged or is not a SQLite database: {0}")]
    Corrupt(String),
    /// Another process (usually a second copy of the app) holds a lock on the
    /// database for longer than the busy timeout.
    #[error("the database is locked by another process: {0}")]
    Locked(String),
    /// The schema could not be brought up to date, e.g. a migration failed or
    /// the database was written by a newer version of the app.
    #[error("the database schema could not be updated: {0}")]
    Migration(String),
    /// A file-system operation around the database failed.
    #[error("{context}: {source}")]
    Io {
        /// What the store was doing, including the path.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// No row has this id. The text names the kind of row and the id, e.g.
    /// `conversation 0193…`.
    #[error("{0} was not found")]
    NotFound(String),
    /// The caller asked for something the data model forbids, such as a
    /// parent message from another conversation.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Any other database error; seeing one is a bug or an environment issue.
    #[error("database error: {0}")]
    Sqlx(#[source] sqlx::Error),
}

impl StoreError {
    /// A stable, machine-readable name for the variant, for the IPC boundary
    /// where the UI branches on `kind` rather than on message text.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Locked(_) => "locked",
            StoreError::Migration(_) => "migration",
            StoreError::Io { .. } => "io",
            StoreError::NotFound(_) => "not_found",
            StoreError::Invalid(_) => "invalid",
            StoreError::Sqlx(_) => "database",
        }
    }

    pub(crate) fn not_found(entity: &str, id: &str) -> Self {
        StoreError::NotFound(format!("{entity} {id}"))
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The primary SQLite result code of a database error, if it is one.
fn primary_code(err: &sqlx::Error) -> Option<i32> {
    let code = err.as_database_error()?.code()?;
    // sqlx reports the extended code; its low byte is the primary code.
    code.parse::<i32>().ok().map(|code| code & 0xff)
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match primary_code(&err) {
            Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Locked(err.to_string()),
            Some(SQLITE_CORRUPT | SQLITE_NOTADB) => StoreError::Corrupt(err.to_string()),
            Some(SQLITE_CANTOPEN) => StoreError::io(
                "could not open the database file",
                io::Error::other(err.to_string()),
            ),
            _ => match err {
                sqlx::Error::Io(source) => StoreError::io("database I/O failed", source),
                other => StoreError::Sqlx(other),
            },
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError;
        // A lock or a damaged file met while migrating is still a lock or a
        // damaged file: the UI handles those differently from a bad migration.
        let inner = match &err {
            MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => Some(inner),
            _ => None,
        };
        match inner.and_then(primary_code) {
            Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Locked(err.to_string()),
            Some(SQLITE_CORRUPT | SQLITE_NOTADB) => StoreError::Corrupt(err.to_string()),
            _ => {
                let hint = match err {
                    MigrateError::VersionMissing(_) => {
                        " (the database was probably written by a newer version of Parley)"
                    }
                    _ => "",
                };
                StoreError::Migration(format!("{err}{hint}"))
            }
        }
    }
}

/// The rows of a statement that returns them as one JSON array (`json_group_array`). The
/// store reads long lists this way: sqlx hands SQLite's rows over from its worker thread one
/// at a time, which cost more than the statements themselves. SQLite does not promise an
/// aggregate's order, so each caller sorts what it gets (already sorted, so linear).
pub(crate) fn json_rows<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::Invalid(format!("{what}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stable_names() {
        assert_eq!(StoreError::not_found("message", "x").kind(), "not_found");
        assert_eq!(StoreError::Corrupt(String::new()).kind(), "corrupt");
        assert_eq!(StoreError::Locked(String::new()).kind(), "locked");
        assert_eq!(StoreError::Migration(String::new()).kind(), "migration");
        assert_eq!(StoreError::Invalid(String::new()).kind(), "invalid");
        assert_eq!(
            StoreError::io("x", io::Error::other("y")).kind(),
            "io",
            "the UI branches on these names"
        );
        assert_eq!(
            StoreError::Sqlx(sqlx::Error::RowNotFound).kind(),
            "database"
        );
    }

    #[test]
    fn version_missing_explains_a_downgrade() {
        let err = StoreError::from(sqlx::migrate::MigrateError::VersionMissing(7));
        assert_eq!(err.kind(), "migration");
        assert!(err.to_string().contains("newer version"), "{err}");
    }
}
