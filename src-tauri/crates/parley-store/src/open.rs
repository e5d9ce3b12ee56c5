//! Opening the database: connection settings, refusing files that are not
//! SQLite, backing up before a schema change, and running migrations.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqlitePool};
use tokio::io::AsyncReadExt;

use crate::clock::Clock;
use crate::text_find;
use crate::{Store, StoreError};

/// The schema, embedded at compile time (see `build.rs`).
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another connection's lock before failing
/// with [`StoreError::Locked`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL lets readers run beside the one writer; a few connections are plenty
/// for a desktop app and keep file handles modest.
const MAX_CONNECTIONS: u32 = 4;

/// Memory-mapped reads (`PRAGMA mmap_size`) for up to this many bytes of
/// the file: pages come straight from the OS page cache, which every
/// connection shares, instead of being copied into each connection's own
/// small page cache. Reading is all it changes; writes still go through
/// the WAL. This is SQLite's default ceiling (`SQLITE_MAX_MMAP_SIZE`, just
/// under 2 GiB); it is address space, not memory.
const MMAP_BYTES: u64 = 0x7fff_0000;

/// The search connection's page cache, in KiB (`PRAGMA cache_size` takes a
/// negative number as KiB; the default is 2 MiB). A search in a large
/// history can read more index pages than 2 MiB hold (a rare word is looked
/// up in every one of its trigrams' doclists). On a million messages this
/// and the full-file `MMAP_BYTES` took the history benchmark's p50 ratio to
/// the sqlite3 shell from 1.15 and 1.37 to 1.05 and 1.14 (two paired runs
/// on a busy machine; 1 GiB of mmap and the default cache before).
const SEARCH_CACHE_KIB: i64 = 32 * 1024;

/// Every SQLite 3 database file starts with these 16 bytes.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How many pre-migration backups are kept: making a new one deletes those
/// older than the last this many. A backup is a whole copy of the history,
/// so one per upgrade forever would grow without bound.
const BACKUPS_KEPT: usize = 3;

/// Permissions of the folder the store creates and of every file that holds
/// the history (the database, its `-wal` and `-shm`, backups): the owner's
/// only. Conversations are private.
#[cfg(unix)]
const PRIVATE_DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const PRIVATE_FILE_MODE: u32 = 0o600;

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    ///
    /// The parent directory is created (`0700`). The connection uses WAL
    /// journaling, `synchronous = NORMAL`, foreign keys and a 5 s busy
    /// timeout. The database and the files SQLite makes beside it are `0600`
    /// (an older file readable to others is narrowed).
    ///
    /// A file that is not a SQLite database or is damaged yields
    /// [`StoreError::Corrupt`], one held by another process yields
    /// [`StoreError::Locked`]; in both cases the file is left exactly as it
    /// was. Before migrating a database that already has a schema, the file
    /// is copied to `<file name>.backup-<unix seconds>` beside it; only the
    /// last three such backups are kept.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_reporting(path, &|_| {}).await
    }

    /// [`Store::open`], telling `progress` what it is doing while it upgrades an existing
    /// database (backing up, migrating, indexing), so that the app can show an upgrade that
    /// takes long. An up-to-date database reports nothing.
    pub async fn open_reporting(
        path: &Path,
        progress: &(dyn Fn(OpenProgress) + Send + Sync),
    ) -> Result<Store, StoreError> {
        open_file(path, &MIGRATOR, BUSY_TIMEOUT, progress).await
    }

    /// Opens a private in-memory database with the full schema, for tests.
    ///
    /// The pool holds exactly one connection that is never recycled, because
    /// an in-memory database disappears with its last connection.
    pub async fn open_in_memory() -> Result<Store, StoreError> {
        // Foreign keys on once migrated: see [`migrate`].
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(false);
        let pool = with_parley_functions(SqlitePoolOptions::new())
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        {
            let mut conn = pool.acquire().await?;
            MIGRATOR.run(&mut *conn).await?;
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await?;
        }
        Ok(Store::from_pool(pool))
    }

    /// A store on `pool` alone: an in-memory database exists only on its one
    /// connection, so searches share it.
    fn from_pool(pool: SqlitePool) -> Store {
        Store {
            search_pool: pool.clone(),
            pool,
            clock: Arc::new(Clock::default()),
        }
    }
}

/// [`Store::open`] with the migrations and busy timeout as parameters, so
/// tests can simulate an upgrade and a lock without waiting 5 s.
pub(crate) async fn open_file(
    path: &Path,
    migrator: &Migrator,
    busy_timeout: Duration,
    progress: &(dyn Fn(OpenProgress) + Send + Sync),
) -> Result<Store, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir_all(parent)
            .await
            .map_err(|err| StoreError::io(format!("could not create {}", parent.display()), err))?;
    }
    // SQLite itself would refuse a foreign file too, but only once a
    // statement runs; checking the header first guarantees that nothing,
    // not even a journal-mode change, is attempted on it.
    check_header(path).await?;
    create_private_file(path).await?;

    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(busy_timeout)
        .pragma("mmap_size", MMAP_BYTES.to_string());
    let pool = with_parley_functions(SqlitePoolOptions::new())
        .max_connections(MAX_CONNECTIONS)
        .after_release(|conn, _meta| Box::pin(still_usable(conn)))
        .connect_with(options.clone())
        .await
        .map_err(|err| with_path(err.into(), path))?;

    let result = prepare_schema(&pool, &options, path, migrator, progress).await;
    if let Err(err) = result {
        // Release the file promptly so the user can move or inspect it.
        pool.close().await;
        return Err(with_path(err, path));
    }
    // Opened after the migrations, so it never sees an older schema.
    let search_pool = match search_pool(options).await {
        Ok(search_pool) => search_pool,
        Err(err) => {
            pool.close().await;
            return Err(with_path(err, path));
        }
    };
    // Only now, as a file that turned out damaged is left exactly as it was.
    narrow_to_owner(path).await;
    Ok(Store {
        pool,
        search_pool,
        clock: Arc::new(Clock::default()),
    })
}

/// `options` with the store's own SQL functions ([`text_find::SQL_FUNCTION`]) added to every
/// connection the pool opens, before any statement runs on it.
fn with_parley_functions(options: SqlitePoolOptions) -> SqlitePoolOptions {
    options.after_connect(|conn, _meta| {
        Box::pin(async move {
            let mut handle = conn.lock_handle().await?;
            // SAFETY: a locked handle is an open connection that no other thread uses while it is
            // held.
            unsafe { text_find::register(handle.as_raw_handle()) }
                .map_err(|message| sqlx::Error::Configuration(message.into()))
        })
    })
}

/// Whether a connection going back to the pool can be used again; `false` closes it and the
/// pool opens a fresh one when it needs one.
///
/// sqlx-sqlite (0.8) counts open transactions itself. When SQLite has already rolled a
/// transaction back on its own (it does on `SQLITE_FULL` and I/O errors: a full disk), sqlx's
/// `ROLLBACK` on drop fails, its count stays at one, and from then on every `BEGIN IMMEDIATE` on
/// that connection is refused ("attempted to call begin_with at non-zero transaction depth"), so
/// a reply could never be saved after the disk has space again. A `BEGIN` that sqlx accepts and
/// rolls back proves the count is zero; it takes no lock.
async fn still_usable(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    match conn.begin_with("BEGIN DEFERRED").await {
        Ok(probe) => Ok(probe.rollback().await.is_ok()),
        Err(error) => {
            tracing::warn!(%error, "closing a database connection left in a failed transaction");
            Ok(false)
        }
    }
}

/// The connection searches run on, apart from the main pool. The main pool
/// hands back-to-back statements to whichever of its connections is idle
/// (sqlx returns a released connection from a background task, so the next
/// statement often gets another one), and each connection has its own page
/// and prepared-statement caches, so a search as you type kept landing on a
/// colder connection: measured on a million messages, "help me with" took
/// 2.6–3.3 ms that way and 1.4–1.7 ms on one connection. One connection
/// that is never closed keeps both caches hot; searches only read, so the
/// writes (a streaming reply every 250 ms) never wait for it, and in WAL
/// mode it never waits for them.
async fn search_pool(options: SqliteConnectOptions) -> Result<SqlitePool, StoreError> {
    let pool = with_parley_functions(SqlitePoolOptions::new())
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        // sqlx pings a connection before lending it by default: a round trip to its worker
        // thread before every search (a 1-character search, 50 hits on a million messages, 50
        // back to back: p50 447-595 µs with the ping, 338-477 without, interleaved). The
        // connection is never closed, and a ping of SQLite says nothing about it anyway.
        .test_before_acquire(false)
        .connect_with(options.pragma("cache_size", format!("-{SEARCH_CACHE_KIB}")))
        .await?;
    Ok(pool)
}

async fn prepare_schema(
    pool: &SqlitePool,
    options: &SqliteConnectOptions,
    path: &Path,
    migrator: &Migrator,
    progress: &(dyn Fn(OpenProgress) + Send + Sync),
) -> Result<(), StoreError> {
    let applied = applied_versions(pool).await?;
    let pending = applied.as_ref().is_none_or(|applied| {
        migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .any(|m| !applied.contains(&m.version))
    });
    // A brand-new database has nothing worth saving; an existing one
    // gets a copy before its schema changes, since migrations are one-way.
    let upgrading = pending && applied.is_some_and(|applied| !applied.is_empty());
    if upgrading {
        progress(OpenProgress::BackingUp);
        let backup = backup_database(pool, path).await?;
        tracing::info!(backup = %backup.display(), "backed up the database before migrating");
        // Only disk space is at stake: a backup that cannot be removed
        // never stops the upgrade.
        if let Err(err) = prune_backups(path, BACKUPS_KEPT).await {
            tracing::warn!(%err, "could not remove old database backups");
        }
        progress(OpenProgress::Migrating);
    }
    if pending {
        migrate(options, migrator, upgrading).await?;
    } else {
        // Nothing to apply, but sqlx still refuses a database from a newer app (a version it
        // does not know), on the pool: no connection of its own at every start-up.
        migrator.run(pool).await?;
    }
    let indexed = index_pending_messages(pool, options, progress).await?;
    // Every migration so far leaves much of the file free or half empty (0006 drops the old
    // search index, 0007 shrinks every message row), and an upgrade is rare, shown on a
    // progress screen, and already waited for.
    if upgrading || indexed {
        compact(options, progress).await?;
    }
    Ok(())
}

/// A connection of its own for an upgrade's long statements, without sqlx's statement logging:
/// each batch of the re-index and the `VACUUM` take a second or more by design, which sqlx would
/// log as a slow statement, fifty times over for a million messages.
async fn upgrade_connection(
    options: &SqliteConnectOptions,
) -> Result<sqlx::SqliteConnection, StoreError> {
    Ok(options
        .clone()
        .disable_statement_logging()
        .connect()
        .await?)
}

/// Runs `migrator`'s pending migrations on a connection of their own that opens with foreign
/// keys off; when `upgrading` a database that holds data, checks that they broke no reference
/// (0.6 s on a million messages; a new database has none to break).
///
/// Off, because a migration that rebuilds a table (0008) drops the old one, which with foreign
/// keys on would first delete its rows and cascade into the tables that refer to it; and
/// `PRAGMA foreign_keys` cannot be switched inside the transaction sqlx runs each migration in.
async fn migrate(
    options: &SqliteConnectOptions,
    migrator: &Migrator,
    upgrading: bool,
) -> Result<(), StoreError> {
    let mut conn = upgrade_connection(&options.clone().foreign_keys(false)).await?;
    let result = if upgrading {
        migrate_checking_references(&mut conn, migrator).await
    } else {
        migrator.run(&mut conn).await.map_err(StoreError::from)
    };
    conn.close().await?;
    result
}

/// [`migrate`]'s upgrade on `conn`, whose foreign keys are off: the migrations may leave no more
/// broken references than the file had before them, or none of them is kept (they run in one
/// transaction, each in a savepoint of it, and a refusal is a [`StoreError::Migration`]).
/// References the file had broken already (foreign keys were always on in the store, so only a
/// file edited by hand has them) do not block the upgrade, which would leave the user without
/// their history; they are logged.
async fn migrate_checking_references(
    conn: &mut sqlx::SqliteConnection,
    migrator: &Migrator,
) -> Result<(), StoreError> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let before = broken_references(&mut tx).await?;
    migrator.run(&mut *tx).await?;
    let after = broken_references(&mut tx).await?;
    if after.len() > before.len() {
        tx.rollback().await?;
        let (table, rowid, parent, _) = &after[0];
        return Err(StoreError::Migration(format!(
            "the upgrade would leave {} row(s) referring to rows that do not exist ({} before \
             it), the first in {table} (row {}) referring to {parent}",
            after.len(),
            before.len(),
            rowid.map_or_else(|| "?".to_owned(), |rowid| rowid.to_string()),
        )));
    }
    tx.commit().await?;
    if !after.is_empty() {
        tracing::warn!(
            count = after.len(),
            "the history holds rows referring to rows that do not exist, from before this upgrade"
        );
    }
    Ok(())
}

/// One row per broken reference in the file: (table, rowid, parent table, foreign key index).
async fn broken_references(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Vec<(String, Option<i64>, String, i64)>, StoreError> {
    Ok(sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?)
}

/// Gives the file's free and half-empty pages back to the file system (`VACUUM`). A failure (a
/// disk too full for the copy `VACUUM` writes) only leaves the space unused, and is logged.
async fn compact(
    options: &SqliteConnectOptions,
    progress: &(dyn Fn(OpenProgress) + Send + Sync),
) -> Result<(), StoreError> {
    progress(OpenProgress::Compacting);
    let mut conn = upgrade_connection(options).await?;
    if let Err(err) = sqlx::query("VACUUM").execute(&mut conn).await {
        tracing::warn!(%err, "could not compact the database after upgrading it");
    }
    // In WAL mode VACUUM writes the whole new file into the WAL, which SQLite copies back but
    // keeps at that size while the app runs: 794 MB beside a 790 MB history of a million
    // messages. Truncated here, it takes no space.
    if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
    {
        tracing::warn!(%err, "could not truncate the write-ahead log after compacting");
    }
    conn.close().await?;
    Ok(())
}

/// What [`Store::open_reporting`] is doing while it upgrades a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum OpenProgress {
    /// Copying the database beside itself before its schema changes.
    BackingUp,
    /// Changing the schema.
    Migrating,
    /// Adding stored messages to the search index: `done` of `total`.
    Indexing {
        /// Messages indexed so far by this open.
        done: u64,
        /// Messages this open had to index when it began.
        total: u64,
    },
    /// Giving the space an upgrade freed back to the file system (`VACUUM`).
    Compacting,
}

/// Messages indexed per transaction by [`index_pending_messages`]: each commit is a point the
/// work resumes from, and a progress report. About 0.6 s of work on this machine (2 cores);
/// batches of 5,000 indexed 100,200 messages in 3.6 s instead of 3.3.
const INDEX_BATCH: i64 = 20_000;

/// Indexes the messages a migration left out of the search index (the rows of
/// `search_index_backfill`, see migrations/0006), in batches of [`INDEX_BATCH`], each its own
/// transaction that also moves the table's `next_seq` on: an app closed halfway resumes from the
/// last batch on its next start. No other writer runs meanwhile, since the store is not handed
/// out before this returns; so the triggers, which delete a row's old text from the index when
/// it changes, never meet a message the index does not hold yet.
///
/// FTS5's merging of index segments is off while batches come in, and the index is merged
/// into one segment at the end. Returns whether there was anything to index (the file is then
/// compacted: the migration that starts a backfill drops an index larger than the new one).
async fn index_pending_messages(
    pool: &SqlitePool,
    options: &SqliteConnectOptions,
    progress: &(dyn Fn(OpenProgress) + Send + Sync),
) -> Result<bool, StoreError> {
    // A schema from before migration 0006 (only in tests that stop there) has no such table.
    let has_backfill: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'search_index_backfill'",
    )
    .fetch_one(pool)
    .await?;
    if !has_backfill {
        return Ok(false);
    }
    let Some((mut next, last)) = sqlx::query_as::<_, (i64, i64)>(
        "SELECT next_seq, last_seq FROM search_index_backfill LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(false);
    };
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE seq BETWEEN ?1 AND ?2")
            .bind(next)
            .bind(last)
            .fetch_one(pool)
            .await?;
    let total = u64::try_from(total).unwrap_or(0);
    let mut done = 0u64;
    progress(OpenProgress::Indexing { done, total });
    let mut conn = upgrade_connection(options).await?;
    // FTS5 merges the index's segments as batches come in; merged once at the end instead, a
    // million messages took 33 s rather than 42 (the `sqlite3` shell, batches of 20,000).
    // A run stopped halfway leaves merging off until the run that finishes.
    sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0)")
        .execute(&mut conn)
        .await?;
    loop {
        let mut tx = conn.begin().await?;
        let (batch_end, batch_rows): (Option<i64>, i64) = sqlx::query_as(
            "SELECT max(seq), count(*) FROM (
                 SELECT seq FROM messages WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq LIMIT ?3)",
        )
        .bind(next)
        .bind(last)
        .bind(INDEX_BATCH)
        .fetch_one(&mut *tx)
        .await?;
        let Some(batch_end) = batch_end else {
            sqlx::query("DELETE FROM search_index_backfill")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            break;
        };
        // A reply still marked streaming is indexed by the trigger once it ends, as always.
        sqlx::query(
            "INSERT INTO messages_fts (rowid, text)
             SELECT seq, text FROM messages WHERE seq BETWEEN ?1 AND ?2 AND status <> 'streaming'",
        )
        .bind(next)
        .bind(batch_end)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE search_index_backfill SET next_seq = ?1")
            .bind(batch_end + 1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        next = batch_end + 1;
        done += u64::try_from(batch_rows).unwrap_or(0);
        progress(OpenProgress::Indexing { done, total });
    }
    sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 4)")
        .execute(&mut conn)
        .await?;
    sqlx::query("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(true)
}

/// Versions recorded as applied, or `None` if sqlx never migrated this file.
async fn applied_versions(pool: &SqlitePool) -> Result<Option<HashSet<i64>>, StoreError> {
    let has_table: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if has_table.is_none() {
        return Ok(None);
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(pool)
            .await?;
    Ok(Some(versions.into_iter().collect()))
}

/// Copies the database file to `<name>.backup-<unix seconds>` (with a numeric
/// suffix if that exists) after folding the WAL into it, and returns the copy's
/// path.
pub(crate) async fn backup_database(pool: &SqlitePool, path: &Path) -> Result<PathBuf, StoreError> {
    // With the WAL truncated, the main file alone holds every committed
    // transaction, so a plain file copy is a complete database.
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(pool)
        .await?;
    if busy != 0 {
        // Another process is reading or writing; copying now could miss its
        // commits, and migrating under it would be unsafe anyway.
        return Err(StoreError::Locked(
            "another process is using the database, so it cannot be backed up and updated"
                .to_owned(),
        ));
    }

    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "parley.db".to_owned());
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let mut target = path.with_file_name(format!("{name}.backup-{seconds}"));
    let mut attempt = 1;
    // Never overwrite an earlier backup, e.g. from two upgrades in one second.
    while tokio::fs::try_exists(&target).await.unwrap_or(true) {
        target = path.with_file_name(format!("{name}.backup-{seconds}-{attempt}"));
        attempt += 1;
    }
    let copied = tokio::fs::copy(path, &target).await;
    // The copy takes the database's permissions; an older database may have
    // been readable to others, its backup never is.
    #[cfg(unix)]
    let copied = match copied {
        Ok(_) => set_mode(&target, PRIVATE_FILE_MODE).await,
        Err(err) => Err(err),
    };
    copied.map_err(|err| {
        StoreError::io(
            format!(
                "could not back up {} to {}",
                path.display(),
                target.display()
            ),
            err,
        )
    })?;
    Ok(target)
}

/// Deletes the backups of the database at `path` (as [`backup_database`]
/// names them) except the newest `keep`. Files that only look similar are
/// left alone.
async fn prune_backups(path: &Path, keep: usize) -> std::io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.backup-", name.to_string_lossy());
    let mut backups = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if let Some(order) = file_name.strip_prefix(&prefix).and_then(backup_order) {
            backups.push((order, entry.path()));
        }
    }
    // Newest first: by the seconds in the name, then by the suffix that
    // tells apart two backups made in the same second.
    backups.sort_by_key(|(order, _)| std::cmp::Reverse(*order));
    for (_, old) in backups.into_iter().skip(keep) {
        tokio::fs::remove_file(&old).await?;
        tracing::info!(backup = %old.display(), "removed an old database backup");
    }
    Ok(())
}

/// `(seconds, attempt)` from the part of a backup's name after `.backup-`:
/// `1700000000` or `1700000000-2`; `None` for anything else.
fn backup_order(suffix: &str) -> Option<(u64, u64)> {
    let (seconds, attempt) = match suffix.split_once('-') {
        Some((seconds, attempt)) => (seconds, Some(attempt)),
        None => (suffix, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(seconds) || !attempt.is_none_or(digits) {
        return None;
    }
    Some((
        seconds.parse().ok()?,
        attempt.map_or(Some(0), |a| a.parse().ok())?,
    ))
}

/// Creates `dir` and its missing parents, owner-only.
async fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(PRIVATE_DIR_MODE);
    builder.create(dir).await
}

/// Creates the database file `0600` if it does not exist, before SQLite
/// would create it following the umask. SQLite gives the `-wal` and `-shm`
/// files it makes later the database file's permissions, so they follow.
/// (An empty file is a new database to SQLite.)
async fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(PRIVATE_FILE_MODE);
    match options.open(path).await {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::io(
            format!("could not create {}", path.display()),
            err,
        )),
    }
}

/// Narrows the database, its `-wal` and its `-shm` to `0600` where an older
/// Parley left them readable to others. Best effort: a file system without
/// Unix permissions must not keep the history from opening.
async fn narrow_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;

        let mut files = vec![path.to_owned()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
        for file in files {
            let Ok(metadata) = tokio::fs::metadata(&file).await else {
                continue;
            };
            if metadata.permissions().mode() & 0o777 != PRIVATE_FILE_MODE
                && let Err(err) = set_mode(&file, PRIVATE_FILE_MODE).await
            {
                tracing::warn!(%err, file = %file.display(), "could not make the file private");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(unix)]
async fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).await
}

/// Fails with [`StoreError::Corrupt`] if `path` exists, is non-empty and does
/// not start with the SQLite header. (SQLite treats an empty file as an empty
/// database, so that is allowed.)
async fn check_header(path: &Path) -> Result<(), StoreError> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => {
            return Err(StoreError::io(
                format!("could not open {}", path.display()),
                err,
            ));
        }
    };
    let mut header = [0u8; 16];
    let mut filled = 0;
    while filled < header.len() {
        let read = file
            .read(&mut header[filled..])
            .await
            .map_err(|err| StoreError::io(format!("could not read {}", path.display()), err))?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    if filled == 0 || &header == SQLITE_HEADER {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{} is not a SQLite database (unexpected file header); it was left untouched",
            path.display()
        )))
    }
}

/// Names the file in errors where the user has to act on it.
fn with_path(err: StoreError, path: &Path) -> StoreError {
    let at = |detail: String| format!("{} ({detail})", path.display());
    match err {
        StoreError::Corrupt(detail) if !detail.contains(&*path.to_string_lossy()) => {
            StoreError::Corrupt(at(detail))
        }
        StoreError::Locked(detail) => StoreError::Locked(at(detail)),
        StoreError::Migration(detail) => StoreError::Migration(at(detail)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::test_support::{conversation, ids, message};

    fn db_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("nested").join("parley.db")
    }

    fn backups_in(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.to_string_lossy().contains(".backup-"))
            .collect()
    }

    #[tokio::test]
    async fn open_creates_the_parent_directory_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        let store = Store::open(&path).await.unwrap();
        assert!(path.exists());

        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal", "WAL lets the UI read while a reply is saved");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(foreign_keys, 1, "cascading deletes depend on foreign keys");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(synchronous, 1, "NORMAL is 1");
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(busy_timeout, 5000);
        store.close().await;
    }

    #[tokio::test]
    async fn reopening_a_file_keeps_its_data_and_makes_no_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        let store = Store::open(&path).await.unwrap();
        let id = conversation(&store, "kept").await;
        store.set_setting("theme", "dark").await.unwrap();
        store.close().await;

        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.get_conversation(&id).await.unwrap().title, "kept");
        assert_eq!(
            store.get_setting("theme").await.unwrap().as_deref(),
            Some("dark")
        );
        store.close().await;
        assert!(
            backups_in(path.parent().unwrap()).is_empty(),
            "no migration was pending, so no backup is needed"
        );
    }

    #[tokio::test]
    async fn a_garbage_file_is_corrupt_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let garbage = b"this is a text file, not a database, and it is long enough".repeat(100);
        std::fs::write(&path, &garbage).unwrap();

        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "got {err:?}");
        assert!(err.to_string().contains("parley.db"), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "the user's file must never be rewritten"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no -wal, -shm or backup files appear");
    }

    #[tokio::test]
    async fn a_damaged_database_is_corrupt_and_not_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        conversation(&store, "soon damaged").await;
        store.close().await;

        // Keep the valid header but overwrite the rest of the first page,
        // which holds the schema: SQLite reports the file as malformed.
        let mut bytes = std::fs::read(&path).unwrap();
        for byte in bytes.iter_mut().take(4096).skip(100) {
            *byte = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();

        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "got {err:?}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a damaged file is kept for recovery"
        );
    }

    #[tokio::test]
    async fn a_database_held_by_another_connection_is_locked() {
        use sqlx::{Connection, Executor};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        Store::open(&path).await.unwrap().close().await;

        // An exclusive write transaction in exclusive locking mode stands in
        // for a second copy of the app busy with the file.
        let mut holder = sqlx::SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .pragma("locking_mode", "EXCLUSIVE"),
        )
        .await
        .unwrap();
        holder.execute("BEGIN EXCLUSIVE").await.unwrap();

        let err = open_file(&path, &MIGRATOR, Duration::from_millis(100), &|_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "got {err:?}");
        holder.execute("ROLLBACK").await.unwrap();
    }

    /// Searches run on a connection of their own; it must see every commit
    /// at once, not wait for an open write transaction, and close with the
    /// store.
    #[tokio::test]
    async fn the_search_connection_sees_commits_at_once_and_closes_with_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        let conv = conversation(&store, "c").await;
        assert!(
            store
                .search_messages("otters", 10)
                .await
                .unwrap()
                .is_empty()
        );
        let first = message(&store, &conv, None, Role::User, "tell me about otters").await;
        let search_cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&store.search_pool)
            .await
            .unwrap();
        assert_eq!(search_cache, -SEARCH_CACHE_KIB);
        for pool in [&store.pool, &store.search_pool] {
            let mmap: i64 = sqlx::query_scalar("PRAGMA mmap_size")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mmap, MMAP_BYTES as i64);
        }
        let hits = store.search_messages("otters", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "a committed message is found at once");
        assert_eq!(hits[0].message_id, first.id);

        // A write in progress (as while a reply streams) neither blocks a
        // search nor shows in it before it commits.
        let mut tx = store.pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("UPDATE conversations SET title = 'renamed' WHERE id = ?")
            .bind(&conv)
            .execute(&mut *tx)
            .await
            .unwrap();
        let during =
            tokio::time::timeout(Duration::from_secs(2), store.search_messages("otters", 10))
                .await
                .expect("a search must not wait for the writer")
                .unwrap();
        assert_eq!(during.len(), 1);
        assert_eq!(during[0].conversation_title, "c", "uncommitted rename");
        tx.rollback().await.unwrap();

        store.close().await;
        assert!(
            store.search_messages("otters", 10).await.is_err(),
            "the search connection is closed too"
        );
    }

    #[tokio::test]
    async fn close_leaves_the_whole_database_in_the_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        for i in 0..20 {
            conversation(&store, &format!("c{i}")).await;
        }
        store.close().await;
        let wal = dir.path().join("parley.db-wal");
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal_len, 0, "a copy of the main file alone must be complete");
    }

    #[tokio::test]
    async fn an_empty_file_is_initialised_as_a_new_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path).await.unwrap();
        conversation(&store, "fresh").await;
        store.close().await;
    }

    /// Writes the shipped migrations plus a made-up 9999, so a database
    /// created by the real schema sees a pending migration. This is the
    /// upgrade path a future release takes.
    async fn migrator_with_pending_migration(dir: &Path) -> Migrator {
        migrator_with_pending_sql(
            dir,
            "ALTER TABLE conversations ADD COLUMN future_column TEXT;\n",
        )
        .await
    }

    /// Every shipped migration and one more, `sql`.
    async fn migrator_with_pending_sql(dir: &Path, sql: &str) -> Migrator {
        // Every shipped migration: a database made by `Store::open` has them all applied, and
        // sqlx refuses a migrator that lacks one of them.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for entry in std::fs::read_dir(&shipped).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        std::fs::write(dir.join("9999_future.sql"), sql).unwrap();
        Migrator::new(dir).await.unwrap()
    }

    /// Migrations run with foreign keys off (see `migrate`): one that would leave a message
    /// without its conversation is refused and undone, so the file opens as it was; a broken
    /// reference the file already had does not block an upgrade.
    #[tokio::test]
    async fn an_upgrade_that_breaks_references_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        let id = conversation(&store, "kept").await;
        message(&store, &id, None, Role::User, "hello").await;
        store.close().await;

        let migrations = tempfile::tempdir().unwrap();
        let breaking =
            migrator_with_pending_sql(migrations.path(), "DELETE FROM conversations;\n").await;
        let err = open_file(&path, &breaking, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "migration", "{err}");
        assert!(err.to_string().contains("in messages"), "{err}");

        // A file edited by hand, with a message whose conversation is gone: it opens, and an
        // upgrade that breaks nothing more goes through.
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.get_conversation(&id).await.unwrap().title, "kept");
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .foreign_keys(false)
            .connect()
            .await
            .unwrap();
        let other = conversation(&store, "deleted by hand").await;
        message(&store, &other, None, Role::User, "orphan").await;
        sqlx::query("DELETE FROM conversations WHERE id = ?")
            .bind(&other)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        store.close().await;
        let migrations = tempfile::tempdir().unwrap();
        let harmless = migrator_with_pending_migration(migrations.path()).await;
        let upgraded = open_file(&path, &harmless, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap();
        assert_eq!(upgraded.get_conversation(&id).await.unwrap().title, "kept");
        upgraded.close().await;
    }

    #[tokio::test]
    async fn a_pending_migration_on_an_existing_database_is_preceded_by_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        let id = conversation(&store, "before the upgrade").await;
        // Leave the row in the WAL only (no close, which would checkpoint),
        // so the test shows the backup folds the WAL in first.
        let migrations = tempfile::tempdir().unwrap();
        let upgraded = migrator_with_pending_migration(migrations.path()).await;

        let reopened = open_file(&path, &upgraded, BUSY_TIMEOUT, &|_| {}).await;
        store.close().await;
        let reopened = reopened.unwrap();

        let backups = backups_in(dir.path());
        assert_eq!(backups.len(), 1, "exactly one backup: {backups:?}");
        let name = backups[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let seconds = name.strip_prefix("parley.db.backup-").unwrap();
        assert!(
            seconds.parse::<u64>().is_ok(),
            "suffix is unix seconds: {name}"
        );

        // The backup is a complete database at the old schema.
        let backup = Store::open(&backups[0]).await.unwrap();
        assert_eq!(
            backup.get_conversation(&id).await.unwrap().title,
            "before the upgrade"
        );
        let old_columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('conversations')")
                .fetch_all(&backup.pool)
                .await
                .unwrap();
        assert!(!old_columns.iter().any(|c| c == "future_column"));
        backup.close().await;

        // The original was migrated and kept its data.
        let new_columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('conversations')")
                .fetch_all(&reopened.pool)
                .await
                .unwrap();
        assert!(new_columns.iter().any(|c| c == "future_column"));
        assert_eq!(
            reopened.get_conversation(&id).await.unwrap().title,
            "before the upgrade"
        );
        reopened.close().await;
    }

    /// The shipped migrations whose file names sort before `first_left_out` (e.g. "0006"): the
    /// schema an earlier release made. The folder must live as long as the migrator is used.
    async fn shipped_migrations_before(first_left_out: &str) -> (tempfile::TempDir, Migrator) {
        let migrations = tempfile::tempdir().unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for entry in std::fs::read_dir(&shipped).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().as_ref() < first_left_out {
                std::fs::copy(entry.path(), migrations.path().join(entry.file_name())).unwrap();
            }
        }
        let migrator = Migrator::new(migrations.path()).await.unwrap();
        (migrations, migrator)
    }

    /// A store on `path` with the shipped migrations before `first_left_out` applied, holding
    /// what `statements` wrote in that schema.
    async fn store_before(first_left_out: &str, path: &Path, statements: &[&str]) -> Store {
        let (_migrations, before) = shipped_migrations_before(first_left_out).await;
        let old = open_file(path, &before, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap();
        for statement in statements {
            sqlx::query(statement).execute(&old.pool).await.unwrap();
        }
        old
    }

    /// The store on `path`, checking that opening it backed the file up, migrated it and
    /// compacted it, and did nothing else (no re-index).
    async fn open_migrating(path: &Path) -> Store {
        let (seen, progress) = recorder();
        let store = Store::open_reporting(path, &progress).await.unwrap();
        assert_eq!(
            seen.lock().unwrap().clone(),
            [
                OpenProgress::BackingUp,
                OpenProgress::Migrating,
                OpenProgress::Compacting
            ]
        );
        store
    }

    /// A database made by the first release (only 0001) is upgraded by the
    /// real migrations: backed up first, then given the history columns,
    /// keeping its data.
    #[tokio::test]
    async fn a_first_release_database_is_backed_up_and_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let (_migrations, first_release) = shipped_migrations_before("0002").await;
        let old = open_file(&path, &first_release, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO conversations (id, title, model, created_at, updated_at)
             VALUES ('c1', 'from 0001', 'm', 1, 1)",
        )
        .execute(&old.pool)
        .await
        .unwrap();
        old.close().await;

        let store = Store::open(&path).await.unwrap();
        let backups = backups_in(dir.path());
        assert_eq!(backups.len(), 1, "{backups:?}");
        let history = store.list_history().await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].title, "from 0001");
        assert_eq!(history[0].folder_id, None);
        assert!(!history[0].pinned);
        let folder = store.create_folder("f").await.unwrap();
        store
            .move_to_folder(&["c1".to_owned()], Some(&folder.id))
            .await
            .unwrap();
        store.delete_folder(&folder.id).await.unwrap();
        assert_eq!(
            store.get_summary("c1").await.unwrap().folder_id,
            None,
            "the added column's ON DELETE SET NULL works"
        );
        store.close().await;

        // The backup is the database as it was: old schema, old data.
        use sqlx::Connection;
        let mut backup = sqlx::SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&backups[0])
                .read_only(true),
        )
        .await
        .unwrap();
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('conversations')")
                .fetch_all(&mut backup)
                .await
                .unwrap();
        assert!(!columns.iter().any(|c| c == "deleted_at"), "{columns:?}");
        let title: String = sqlx::query_scalar("SELECT title FROM conversations WHERE id = 'c1'")
            .fetch_one(&mut backup)
            .await
            .unwrap();
        assert_eq!(title, "from 0001");
        backup.close().await.unwrap();
    }

    /// A database at the schema before migration 0006 (positions in the search index), holding
    /// `count` messages in one conversation: "note N", with " quokka" where N % 1000 == 7; and
    /// one reply still marked streaming that says quokka too.
    async fn database_before_positionless_index(path: &Path, count: i64) {
        let (_migrations, before) = shipped_migrations_before("0006").await;
        let old = open_file(path, &before, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO conversations (id, title, model, created_at, updated_at)
             VALUES ('c1', 'notes', 'm', 1, 1)",
        )
        .execute(&old.pool)
        .await
        .unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO messages (id, conversation_id, role, content_json, text, status,
                                   created_at, updated_at)
             SELECT 'm' || i, 'c1', 'user', '',
                    'note ' || i || CASE i % 1000 WHEN 7 THEN ' quokka' ELSE '' END,
                    'done', i, i
             FROM n",
        )
        .bind(count)
        .execute(&old.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, role, content_json, text, status,
                                   created_at, updated_at)
             VALUES ('live', 'c1', 'assistant', '', 'a quokka, still streaming', 'streaming',
                     ?1, ?1)",
        )
        .bind(count + 1)
        .execute(&old.pool)
        .await
        .unwrap();
        old.close().await;
    }

    fn recorder() -> (
        Arc<std::sync::Mutex<Vec<OpenProgress>>>,
        impl Fn(OpenProgress) + Send + Sync,
    ) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        (seen, move |step| sink.lock().unwrap().push(step))
    }

    async fn search_index_is_consistent(store: &Store) {
        // A streaming reply is indexed when it ends, by the trigger: end it, so that every
        // message should be in the index. FTS5's own check then fails if the index and the
        // messages disagree (a message indexed twice, or missing).
        sqlx::query("UPDATE messages SET status = 'done' WHERE status = 'streaming'")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM search_index_backfill")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(pending, 0, "nothing is left to index");
        let automerge: i64 =
            sqlx::query_scalar("SELECT v FROM messages_fts_config WHERE k = 'automerge'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(
            automerge, 4,
            "FTS5 merges new segments again, as by default"
        );
    }

    #[tokio::test]
    async fn an_upgrade_indexes_the_stored_messages_in_batches_and_reports_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let stored = 2 * INDEX_BATCH + 2_000;
        database_before_positionless_index(&path, stored).await;
        let size_before = std::fs::metadata(&path).unwrap().len();

        let (seen, progress) = recorder();
        let store = Store::open_reporting(&path, &progress).await.unwrap();

        let seen = seen.lock().unwrap().clone();
        // The streaming reply counts among the messages looked at, but is not indexed.
        let total = (stored + 1) as u64;
        let batch = INDEX_BATCH as u64;
        let indexing = |done| OpenProgress::Indexing { done, total };
        assert_eq!(
            seen,
            [
                OpenProgress::BackingUp,
                OpenProgress::Migrating,
                indexing(0),
                indexing(batch),
                indexing(2 * batch),
                indexing(total),
                OpenProgress::Compacting,
            ]
        );
        assert_eq!(backups_in(dir.path()).len(), 1);
        let hits = store.search_messages("quokka", 50).await.unwrap();
        let ids: Vec<_> = hits.iter().map(|hit| hit.message_id.clone()).collect();
        let expected: Vec<_> = (1..=stored)
            .rev()
            .filter(|i| i % 1000 == 7)
            .map(|i| format!("m{i}"))
            .collect();
        assert_eq!(
            ids, expected,
            "every stored quokka, newest first, none streaming"
        );
        assert!(
            hits[0].snippet.contains("\u{2}quokka\u{3}"),
            "{:?}",
            hits[0].snippet
        );
        search_index_is_consistent(&store).await;
        let wal = std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
        assert!(
            wal < size_before / 10,
            "the WAL does not keep the compacted file's size: {wal} bytes"
        );
        store.close().await;
        let size_after = std::fs::metadata(&path).unwrap().len();
        assert!(
            size_after < size_before,
            "the space of the dropped index is given back: {size_before} -> {size_after}"
        );

        // Up to date now: opening again reports nothing and indexes nothing.
        let (seen, progress) = recorder();
        Store::open_reporting(&path, &progress)
            .await
            .unwrap()
            .close()
            .await;
        assert!(seen.lock().unwrap().is_empty());
    }

    /// Migration 0007 turns each message's links to its parent and visible child from UUID text
    /// into the other message's `seq`: the tree, the visible branch and a dangling link must
    /// read back as before, the old columns are gone (the last with 0008), and the file gets
    /// smaller.
    #[tokio::test]
    async fn an_upgrade_keeps_every_link_of_the_message_tree_in_less_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let old = store_before("0007", &path, &[
            "INSERT INTO conversations (id, title, model, active_root_id, created_at, updated_at)
             VALUES ('c1', 'tree', 'm', 'q', 1, 1), ('c2', 'chain', 'm', 'chain-1', 1, 1)",
            // q has two replies, the older one visible; its follow-up names a child that is
            // gone; a newer root is not the visible one.
            "INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role,
                                   content_json, text, status, created_at, updated_at)
             VALUES ('q', 'c1', NULL, 'a1', 'user', '', 'question', 'done', 1, 1),
                    ('a1', 'c1', 'q', 'f', 'assistant', '', 'first answer', 'done', 2, 2),
                    ('a2', 'c1', 'q', NULL, 'assistant', '', 'second answer', 'done', 3, 3),
                    ('f', 'c1', 'a1', 'gone', 'user', '', 'follow-up', 'done', 4, 4),
                    ('r2', 'c1', NULL, NULL, 'user', '', 'other root: ÉCOLE', 'done', 5, 5)",
            // A long chain, so the file has something to shrink.
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role,
                                   content_json, text, status, created_at, updated_at)
             SELECT printf('chain-%d', i), 'c2', CASE WHEN i > 1 THEN printf('chain-%d', i - 1) END,
                    CASE WHEN i < 5000 THEN printf('chain-%d', i + 1) END, 'user', '',
                    'link ' || i, 'done', 10 + i, 10 + i
             FROM n",
        ])
        .await;
        old.close().await;
        let size_before = std::fs::metadata(&path).unwrap().len();

        let store = open_migrating(&path).await;
        // Compacted, with the WAL truncated: the file is the whole history.
        let size_after = std::fs::metadata(&path).unwrap().len();
        assert!(
            size_after < size_before * 3 / 4,
            "the links take less space: {size_before} -> {size_after}"
        );

        let links = store.conversation_links("c1").await.unwrap().links;
        let link = |id: &str| {
            let link = links.iter().find(|link| link.id == id).unwrap();
            (link.parent_id.as_deref(), link.active_child_id.as_deref())
        };
        assert_eq!(link("q"), (None, Some("a1")));
        assert_eq!(link("a1"), (Some("q"), Some("f")));
        assert_eq!(link("a2"), (Some("q"), None));
        assert_eq!(
            link("f"),
            (Some("a1"), None),
            "a dangling child reads as none"
        );
        assert_eq!(link("r2"), (None, None));
        let a1 = store.get_message("a1").await.unwrap();
        assert_eq!(
            (a1.parent_id.as_deref(), a1.active_child_id.as_deref()),
            (Some("q"), Some("f"))
        );
        assert_eq!(
            ids(&store.active_path("c1").await.unwrap()),
            ["q", "a1", "f"],
            "the visible branch is kept"
        );
        // A store on a file searches on its own connection, which has `parley_find` too.
        for query in ["école", "éc"] {
            let hits = store.search_messages(query, 10).await.unwrap();
            let ids: Vec<_> = hits.iter().map(|hit| hit.message_id.as_str()).collect();
            assert_eq!(ids, ["r2"], "{query:?}");
        }
        let chain = store.active_path("c2").await.unwrap();
        assert_eq!(chain.len(), 5000);
        assert_eq!(chain[4999].parent_id.as_deref(), Some("chain-4999"));

        assert_eq!(
            [
                columns_of(&store, "messages", "%parent%").await,
                columns_of(&store, "messages", "%child%").await
            ],
            [["parent_seq"], ["active_child_seq"]],
            "the UUID text links are gone (parent_id with 0008)"
        );

        // New replies link by seq too, and a branch found by search can still be selected:
        // the reply under a2 leaves q showing a1 until it is selected.
        let reply = message(&store, "c1", Some("a2"), Role::User, "more").await;
        assert_eq!(reply.parent_id.as_deref(), Some("a2"));
        let a2 = store.get_message("a2").await.unwrap();
        assert_eq!(a2.active_child_id.as_deref(), Some(reply.id.as_str()));
        store.select_branch(&reply.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path("c1").await.unwrap()),
            ["q", "a2", reply.id.as_str()]
        );
        store.delete_conversation("c2").await.unwrap();
        assert!(store.active_path("c2").await.is_err());
        store.close().await;
    }

    /// The names of `table`'s columns that match the `LIKE` pattern, in table order.
    async fn columns_of(store: &Store, table: &str, pattern: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM pragma_table_info(?) WHERE name LIKE ? ORDER BY cid")
            .bind(table)
            .bind(pattern)
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    /// Every stored column of every row of `conversations`, `messages` (its conversation as the
    /// SQL expression `conversation`) and `attachments`, as JSON text to compare.
    async fn stored_rows(pool: &SqlitePool, conversation: &str) -> [String; 3] {
        let queries = [
            "SELECT json_group_array(json_array(id, title, title_source, model, system_prompt,
                        params_json, active_root_id, pinned, created_at, updated_at, folder_id,
                        deleted_at, title_input_tokens, title_output_tokens))
             FROM (SELECT * FROM conversations ORDER BY id)"
                .to_owned(),
            format!(
                "SELECT json_group_array(json_array(seq, id, {conversation}, parent_seq,
                        active_child_seq, role, content_json, text, model, status, stop_reason,
                        stop_sequence, input_tokens, output_tokens, cache_creation_input_tokens,
                        cache_read_input_tokens, error_kind, error_message, request_id, prefill,
                        created_at, updated_at))
                 FROM (SELECT * FROM messages ORDER BY seq) AS messages"
            ),
            "SELECT json_group_array(json_array(id, message_id, position, sha256, media_type,
                        width, height, byte_len, blob_path, created_at, message_created_at))
             FROM (SELECT * FROM attachments ORDER BY id)"
                .to_owned(),
        ];
        let mut rows = [String::new(), String::new(), String::new()];
        for (query, rows) in queries.iter().zip(&mut rows) {
            *rows = sqlx::query_scalar(query).fetch_one(pool).await.unwrap();
        }
        rows
    }

    /// Migration 0008 rebuilds `conversations` (with an integer `seq`) and `messages` (naming
    /// its conversation by that `seq`) with foreign keys off: every column of every row must
    /// come through, and above all no attachment may be lost to the cascade that dropping the
    /// old `messages` would run with them on; the search index, its triggers, the indexes and
    /// the cascades must work on the new tables.
    #[tokio::test]
    async fn an_upgrade_rebuilds_conversations_and_messages_keeping_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let old = store_before("0008", &path, &[
            "INSERT INTO folders (id, name, created_at, updated_at) VALUES ('f1', 'work', 1, 1)",
            r#"INSERT INTO conversations
                   (id, title, title_source, model, system_prompt, params_json, active_root_id,
                    pinned, created_at, updated_at, folder_id, deleted_at, title_input_tokens,
                    title_output_tokens)
               VALUES ('c1', 'quokkas', 'user', 'm1', 'be brief', '{"temperature":0.5}', 'q1',
                       1, 1, 9, 'f1', NULL, 12, 3),
                      ('c2', 'trashed', 'auto', 'm2', NULL, '{}', 't1', 0, 2, 8, NULL, 7, NULL,
                       NULL),
                      ('c3', 'images', 'auto', 'm1', NULL, '{}', 'i1', 0, 3, 7, NULL, NULL, NULL,
                       NULL)"#,
            r#"INSERT INTO messages
                   (seq, id, conversation_id, parent_seq, active_child_seq, role, content_json,
                    text, model, status, stop_reason, stop_sequence, input_tokens,
                    output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
                    error_kind, error_message, request_id, prefill, created_at, updated_at)
               VALUES (1, 'q1', 'c1', NULL, 2, 'user', '', 'where do quokkas live', NULL,
                       'done', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 10,
                       10),
                      (2, 'a1', 'c1', 1, NULL, 'assistant',
                       '[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Rottnest"}]',
                       'Rottnest', 'm1', 'done', 'stop_sequence', 'END', 5, 7, 1, 2, NULL, NULL,
                       'req_1', 'quokkas live on', 11, 12),
                      (3, 't1', 'c2', NULL, 4, 'user', '', 'quokka in the bin', NULL, 'done',
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 20, 20),
                      (4, 't2', 'c2', 3, NULL, 'assistant', '', 'cut off', 'm2', 'error', NULL,
                       NULL, NULL, NULL, NULL, NULL, 'overloaded', 'try again', NULL, NULL, 21,
                       21),
                      (5, 'i1', 'c3', NULL, 6, 'user', '', 'look', NULL, 'done', NULL, NULL,
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 30, 30),
                      (6, 'i2', 'c3', 5, NULL, 'assistant', '', 'a wombat, still typing',
                       'm1', 'streaming', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                       NULL, 31, 31)"#,
            "INSERT INTO attachments (id, message_id, position, sha256, media_type, width,
                                      height, byte_len, blob_path, created_at)
             VALUES ('x1', 'i1', 0, 'h1', 'image/png', 640, 480, 100, NULL, 30),
                    ('x2', 'i1', 1, 'h2', 'image/jpeg', 10, 20, 200, 'h2.jpg', 30),
                    ('x3', 't1', 0, 'h3', 'image/png', NULL, NULL, 300, NULL, 20)",
        ])
        .await;
        let rows_before = stored_rows(&old.pool, "conversation_id").await;
        old.close().await;

        let store = open_migrating(&path).await;
        let rows_after = stored_rows(
            &store.pool,
            "(SELECT c.id FROM conversations c WHERE c.seq = messages.conversation_seq)",
        )
        .await;
        assert_eq!(rows_after, rows_before, "every column of every row is kept");
        let [_, _, attachments] = &rows_after;
        assert!(attachments.contains("h3"), "{attachments}");
        assert_eq!(
            columns_of(&store, "messages", "%conversation%").await,
            ["conversation_seq"]
        );
        assert_eq!(
            columns_of(&store, "messages", "parent%").await,
            ["parent_seq"]
        );
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(
            foreign_keys, 1,
            "the store's own connections check them again"
        );

        // The store reads and writes the new tables.
        let tree = store.conversation_tree("c1").await.unwrap();
        assert_eq!(tree.conversation.system_prompt.as_deref(), Some("be brief"));
        assert_eq!(tree.messages[1].conversation_id, "c1");
        assert_eq!(tree.messages[1].parent_id.as_deref(), Some("q1"));
        let reply = message(&store, "c1", Some("a1"), Role::User, "and quokka food?").await;
        assert_eq!(reply.conversation_id, "c1");
        let hits = store.search_messages("quokka", 10).await.unwrap();
        let ids: Vec<_> = hits.iter().map(|hit| hit.message_id.as_str()).collect();
        assert_eq!(
            ids,
            [reply.id.as_str(), "q1"],
            "the index and its insert trigger work, the trashed conversation stays hidden"
        );
        assert_eq!(hits[1].conversation_id, "c1");
        assert_eq!(hits[1].conversation_title, "quokkas");
        let firsts = store.first_images().await.unwrap();
        assert_eq!(firsts.get("c3").map(String::as_str), Some("h1"));
        assert_eq!(firsts.get("c2").map(String::as_str), Some("h3"));
        let usage = store.conversation_usage("c1").await.unwrap();
        assert_eq!((usage[0].input_tokens, usage[0].output_tokens), (5, 7));

        // The streaming reply is indexed when it ends (the update trigger), and the index
        // agrees with the messages.
        sqlx::query("UPDATE messages SET status = 'done' WHERE id = 'i2'")
            .execute(&store.pool)
            .await
            .unwrap();
        let hits = store.search_messages("wombat", 10).await.unwrap();
        assert_eq!(hits.len(), 1);
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();

        // Deleting a conversation cascades to its messages and their attachments, finding
        // the messages through the per-conversation index.
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "EXPLAIN QUERY PLAN SELECT seq FROM messages WHERE conversation_seq = ?",
        )
        .bind(3)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.3.contains("messages_conversation")),
            "{plan:?}"
        );
        let mut unused = store.delete_conversation("c3").await.unwrap();
        unused.sort();
        assert_eq!(unused, ["h1", "h2"]);
        let left: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM attachments)",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(left, (5, 1));
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
        store.close().await;
    }

    #[tokio::test]
    async fn an_upgrade_stopped_halfway_resumes_after_the_last_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let stored = INDEX_BATCH + 4_000;
        database_before_positionless_index(&path, stored).await;
        // The state an app closed during indexing leaves: migrated, and the first 3,000
        // messages indexed and recorded as such, in one transaction as a batch is.
        {
            let options = SqliteConnectOptions::new().filename(&path);
            migrate(&options, &MIGRATOR, true).await.unwrap();
            let pool = SqlitePool::connect_with(options).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO messages_fts (rowid, text)
                 SELECT seq, text FROM messages WHERE seq <= 3000",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query("UPDATE search_index_backfill SET next_seq = 3001")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            pool.close().await;
        }

        let (seen, progress) = recorder();
        let store = Store::open_reporting(&path, &progress).await.unwrap();

        // The rest, and the streaming reply.
        let total = (stored - 3_000 + 1) as u64;
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [
                OpenProgress::Indexing { done: 0, total },
                OpenProgress::Indexing {
                    done: INDEX_BATCH as u64,
                    total
                },
                OpenProgress::Indexing { done: total, total },
                OpenProgress::Compacting,
            ],
            "only the messages after the last batch are indexed"
        );
        assert_eq!(
            store.search_messages("quokka", 50).await.unwrap().len(),
            (stored / 1000) as usize
        );
        search_index_is_consistent(&store).await;
        store.close().await;
    }

    #[tokio::test]
    async fn a_new_database_gets_no_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let migrations = tempfile::tempdir().unwrap();
        let upgraded = migrator_with_pending_migration(migrations.path()).await;
        open_file(&path, &upgraded, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap()
            .close()
            .await;
        assert!(backups_in(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_database_from_a_newer_app_is_a_migration_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let migrations = tempfile::tempdir().unwrap();
        let upgraded = migrator_with_pending_migration(migrations.path()).await;
        open_file(&path, &upgraded, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap()
            .close()
            .await;

        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Migration(_)), "got {err:?}");
        assert!(err.to_string().contains("newer version"), "{err}");
    }

    #[tokio::test]
    async fn backups_never_overwrite_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        let first = backup_database(&store.pool, &path).await.unwrap();
        let second = backup_database(&store.pool, &path).await.unwrap();
        assert_ne!(first, second);
        assert!(first.exists() && second.exists());
        store.close().await;
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_its_wal_and_shm_and_its_folder_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        let store = Store::open(&path).await.unwrap();
        conversation(&store, "private").await;

        let folder = path.parent().unwrap();
        assert_eq!(mode_of(folder), 0o700, "the folder the store creates");
        for name in ["parley.db", "parley.db-wal", "parley.db-shm"] {
            let file = folder.join(name);
            assert!(file.exists(), "{name} exists while the store is open");
            assert_eq!(
                mode_of(&file),
                0o600,
                "{name} holds conversations: no one else may read it"
            );
        }
        store.close().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_older_database_readable_to_others_is_narrowed_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        conversation(&store, "kept").await;
        store.close().await;
        // Closing folded the WAL in; an empty one (as a crash can leave) is still a WAL.
        let wal = dir.path().join("parley.db-wal");
        std::fs::write(&wal, b"").unwrap();
        for file in [&path, &wal] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }

        let store = Store::open(&path).await.unwrap();
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(mode_of(&wal), 0o600);
        assert_eq!(store.list_history().await.unwrap().len(), 1);
        store.close().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_backup_is_owner_only_even_from_a_database_readable_to_others() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let backup = backup_database(&store.pool, &path).await.unwrap();
        assert_eq!(mode_of(&backup), 0o600);
        store.close().await;
    }

    #[tokio::test]
    async fn an_upgrade_keeps_only_the_last_three_backups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        Store::open(&path).await.unwrap().close().await;
        // Backups of earlier upgrades (the seconds are long past), two from
        // one second, and files that only look like backups.
        for name in [
            "parley.db.backup-100",
            "parley.db.backup-300",
            "parley.db.backup-200",
            "parley.db.backup-300-1",
            "parley.db.backup-notes.txt",
            "parley.db.backup-",
            "other.db.backup-50",
        ] {
            std::fs::write(dir.path().join(name), b"old").unwrap();
        }

        let migrations = tempfile::tempdir().unwrap();
        let upgraded = migrator_with_pending_migration(migrations.path()).await;
        open_file(&path, &upgraded, BUSY_TIMEOUT, &|_| {})
            .await
            .unwrap()
            .close()
            .await;

        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".backup-"))
            .collect();
        left.sort();
        let new = left
            .iter()
            .find(|name| {
                backup_order(&name["parley.db.backup-".len()..])
                    .unwrap_or((0, 0))
                    .0
                    > 300
            })
            .cloned()
            .expect("the upgrade made a new backup");
        let mut expected = vec![
            "other.db.backup-50".to_owned(),
            "parley.db.backup-".to_owned(),
            "parley.db.backup-300".to_owned(),
            "parley.db.backup-300-1".to_owned(),
            "parley.db.backup-notes.txt".to_owned(),
            new,
        ];
        expected.sort();
        assert_eq!(
            left, expected,
            "the newest three backups stay; the older ones and unrelated files are not touched"
        );
    }

    #[test]
    fn backup_names_order_by_seconds_then_attempt() {
        assert_eq!(backup_order("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(backup_order("1700000000-2"), Some((1_700_000_000, 2)));
        assert!(backup_order("1700000000-2") > backup_order("1700000000"));
        assert!(backup_order("1700000000-10") > backup_order("1700000000-9"));
        for other in ["", "-", "12-", "-3", "12a", "notes.txt", "1-2-3"] {
            assert_eq!(backup_order(other), None, "{other:?} is not a backup");
        }
    }

    #[tokio::test]
    async fn in_memory_stores_are_independent() {
        let a = Store::open_in_memory().await.unwrap();
        let b = Store::open_in_memory().await.unwrap();
        conversation(&a, "only in a").await;
        assert_eq!(a.list_conversations(10).await.unwrap().len(), 1);
        assert!(b.list_conversations(10).await.unwrap().is_empty());
    }
}
