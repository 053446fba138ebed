//! SQLite state kept between runs: the analytics' baselines (per-entity blobs
//! such as a host's hourly volume ring), first-seen sets and small facts (when
//! the data began), so that "no prior communication history" and "median and MAD
//! per hour-of-week" mean the history of every run so far, not only the current
//! one.
//!
//! * The schema is created on open. The file is marked as exfilguard's
//!   (`PRAGMA application_id`) and versioned (`PRAGMA user_version`,
//!   [`SCHEMA_VERSION`]): a file of an older version is migrated, one of a newer
//!   version or of another application is refused with an error that names it.
//! * Keys are the analytics' 64-bit hashes, stored as SQLite integers (the bits of
//!   the `u64` as an `i64`). What a blob holds is the caller's business (the
//!   `analytics` crate versions its own encoding).
//! * [`Store::save`] writes a whole [`Snapshot`] in one transaction, so a run that
//!   stops halfway leaves the previous state intact, and keeps at most
//!   `max_rows` rows per scope, dropping the coldest (oldest `last_seen`).
#![deny(missing_docs)]

use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// The schema version this build writes and reads. 1: `seen` and `facts` only
/// (novelty, before the file was marked); 2: the `state` table of blobs.
pub const SCHEMA_VERSION: i64 = 2;

/// `PRAGMA application_id` of an exfilguard state file (`EXFG`).
pub const APPLICATION_ID: i64 = 0x4558_4647;

/// A state database error, with the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation (an unreadable or corrupt file among others).
    #[error("state database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The file is an SQLite database, but not an exfilguard state file.
    #[error(
        "state database {path}: not an exfilguard state file ({reason}); point the state key at a new file or remove this one"
    )]
    Foreign {
        /// The database file.
        path: PathBuf,
        /// What gave it away (application id, tables).
        reason: String,
    },
    /// The file was written by a newer exfilguard.
    #[error(
        "state database {path}: schema version {found} is newer than this exfilguard reads ({supported}); use the newer exfilguard or a new state file"
    )]
    Newer {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// A row could not be decoded by the detector that owns it.
    #[error("state database {path}: {scope} row {key:#018x}: {message}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The scope of the row.
        scope: String,
        /// The row's key.
        key: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// One remembered key of a scope (a destination, a (host, destination) pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The key (a hash made by the caller).
    pub key: u64,
    /// First time seen, seconds since the epoch.
    pub first_seen: i64,
    /// Last time seen, seconds since the epoch.
    pub last_seen: i64,
    /// A count the caller keeps with it (e.g. hosts using a destination).
    pub count: u32,
}

/// One entity's state as the caller encoded it (a host's volume baseline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// The key (a hash made by the caller).
    pub key: u64,
    /// When the entity was last active, seconds since the epoch: the coldest rows
    /// are dropped first when a scope is over its bound.
    pub last_seen: i64,
    /// The encoded state.
    pub data: Vec<u8>,
}

/// Everything a run saves, written by [`Store::save`] in one transaction.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// First-seen sets, merged into what the file holds (earliest first-seen,
    /// latest last-seen, larger count win).
    pub seen: Vec<(String, Vec<Seen>)>,
    /// Blob scopes, each replacing what the file holds for it (the caller loaded
    /// it at start, so its state includes the file's).
    pub blobs: Vec<(String, Vec<Blob>)>,
    /// Numbers, each replacing the file's.
    pub facts: Vec<(String, i64)>,
}

impl Snapshot {
    /// Adds a first-seen scope.
    pub fn seen(&mut self, scope: &str, rows: Vec<Seen>) {
        self.seen.push((scope.to_string(), rows));
    }

    /// Adds a blob scope.
    pub fn blobs(&mut self, scope: &str, rows: Vec<Blob>) {
        self.blobs.push((scope.to_string(), rows));
    }

    /// Adds a fact.
    pub fn fact(&mut self, name: &str, value: i64) {
        self.facts.push((name.to_string(), value));
    }
}

/// What [`Store::save`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveReport {
    /// Rows written (seen, blobs and facts).
    pub rows: u64,
    /// Rows dropped because a scope was over `max_rows` (the coldest).
    pub dropped: u64,
}

/// The state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS seen (
    scope TEXT NOT NULL,
    key INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS state (
    scope TEXT NOT NULL,
    key INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
";

impl Store {
    /// Opens (or creates) the database at `path`: creates the schema in a new
    /// file, migrates one of an older version, refuses a newer or foreign one.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare_schema()?;
        // Up to 64 MiB of page cache (used only as needed): a save of millions of
        // rows otherwise re-reads the B-tree's pages from the file. Set once the
        // file is known to be ours, so a corrupt one is reported as such.
        store
            .conn
            .execute_batch("PRAGMA cache_size = -65536;")
            .map_err(wrap)?;
        Ok(store)
    }

    /// An in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let store = Store { conn, path };
        store.prepare_schema()?;
        Ok(store)
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn wrap(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// An error about a row the caller could not decode.
    fn corrupt(&self, scope: &str, key: u64, message: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            scope: scope.to_string(),
            key,
            message: message.into(),
        }
    }

    /// Recognises the file, then creates or migrates the schema.
    fn prepare_schema(&self) -> Result<(), StoreError> {
        let pragma = |name: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .map_err(|e| self.wrap(e))
        };
        // The first read of the header: a file that is not SQLite fails here.
        let application_id = match pragma("application_id") {
            Err(StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            }) if e.code == rusqlite::ErrorCode::NotADatabase => {
                return Err(StoreError::Foreign {
                    path: self.path.clone(),
                    reason: "not an SQLite database: corrupt, or another kind of file".into(),
                });
            }
            other => other?,
        };
        let version = pragma("user_version")?;
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .map_err(|e| self.wrap(e))?;
        let tables: Vec<String> = stmt
            .query_map([], |row| row.get(0))
            .map_err(|e| self.wrap(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.wrap(e))?;
        drop(stmt);
        let known = ["facts", "seen", "state"];
        let version = if application_id == APPLICATION_ID {
            version
        } else if application_id != 0 {
            return Err(StoreError::Foreign {
                path: self.path.clone(),
                reason: format!("application id {application_id:#x}"),
            });
        } else if tables.is_empty() {
            0
        } else if tables.iter().all(|t| known.contains(&t.as_str()))
            && tables.iter().any(|t| t == "seen")
        {
            // Written before files were marked: novelty's sets only.
            1
        } else {
            return Err(StoreError::Foreign {
                path: self.path.clone(),
                reason: format!("it holds the tables {}", tables.join(", ")),
            });
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION || tables.is_empty() {
            // 0 -> 2 creates everything; 1 -> 2 adds the state table. One
            // transaction, so a failed migration leaves the file as it was.
            self.conn
                .execute_batch(&format!(
                    "BEGIN;{SCHEMA_V1}{SCHEMA_V2}PRAGMA application_id = {APPLICATION_ID};PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
                ))
                .map_err(|e| self.wrap(e))?;
        }
        Ok(())
    }

    /// The schema version of the open file (after any migration).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.wrap(e))
    }

    /// Every key remembered under `scope`.
    pub fn load_seen(&self, scope: &str) -> Result<Vec<Seen>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, first_seen, last_seen, count FROM seen WHERE scope = ?1")
            .map_err(|e| self.wrap(e))?;
        let rows = stmt
            .query_map(params![scope], |row| {
                Ok(Seen {
                    key: row.get::<_, i64>(0)? as u64,
                    first_seen: row.get(1)?,
                    last_seen: row.get(2)?,
                    count: row.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                })
            })
            .map_err(|e| self.wrap(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.wrap(e))
    }

    /// Every blob of `scope`.
    pub fn load_blobs(&self, scope: &str) -> Result<Vec<Blob>, StoreError> {
        let mut out = Vec::new();
        self.each_blob(scope, |blob| {
            out.push(blob);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each blob of `scope` in turn, without holding them all (a
    /// scope can have millions of rows). `f` returns why a blob cannot be
    /// decoded; the first such reason stops the walk as a
    /// [`StoreError::Corrupt`] naming the file, the scope and the blob's key.
    pub fn each_blob(
        &self,
        scope: &str,
        mut f: impl FnMut(Blob) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, last_seen, data FROM state WHERE scope = ?1")
            .map_err(|e| self.wrap(e))?;
        let mut rows = stmt.query(params![scope]).map_err(|e| self.wrap(e))?;
        while let Some(row) = rows.next().map_err(|e| self.wrap(e))? {
            let blob = (|| {
                Ok::<_, rusqlite::Error>(Blob {
                    key: row.get::<_, i64>(0)? as u64,
                    last_seen: row.get(1)?,
                    data: row.get(2)?,
                })
            })()
            .map_err(|e| self.wrap(e))?;
            let key = blob.key;
            f(blob).map_err(|message| self.corrupt(scope, key, message))?;
        }
        Ok(())
    }

    /// Merges `rows` into `scope`: the earliest first-seen and latest last-seen win,
    /// the count is the larger one. One transaction.
    pub fn save_seen(&mut self, scope: &str, rows: &[Seen]) -> Result<(), StoreError> {
        let mut snapshot = Snapshot::default();
        snapshot.seen(scope, rows.to_vec());
        self.save(&snapshot, usize::MAX).map(|_| ())
    }

    /// Writes `snapshot` in one transaction; afterwards each scope holds at most
    /// `max_rows` rows, the coldest (oldest `last_seen`) dropped first.
    pub fn save(&mut self, snapshot: &Snapshot, max_rows: usize) -> Result<SaveReport, StoreError> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let max_rows = i64::try_from(max_rows).unwrap_or(i64::MAX);
        let mut report = SaveReport::default();
        let tx = self.conn.transaction().map_err(wrap)?;
        {
            let mut upsert = tx
                .prepare(
                    "INSERT INTO seen (scope, key, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (scope, key) DO UPDATE SET
                       first_seen = min(first_seen, excluded.first_seen),
                       last_seen = max(last_seen, excluded.last_seen),
                       count = max(count, excluded.count)",
                )
                .map_err(wrap)?;
            for (scope, rows) in &snapshot.seen {
                // In key order, the B-tree's order: appends instead of a random
                // walk over the pages (five times faster for millions of rows).
                let mut rows: Vec<&Seen> = rows.iter().collect();
                rows.sort_unstable_by_key(|r| r.key as i64);
                for row in &rows {
                    upsert
                        .execute(params![
                            scope,
                            row.key as i64,
                            row.first_seen,
                            row.last_seen,
                            row.count as i64
                        ])
                        .map_err(wrap)?;
                }
                report.rows += rows.len() as u64;
                report.dropped += tx
                    .execute(
                        "DELETE FROM seen WHERE scope = ?1 AND key IN (
                           SELECT key FROM seen WHERE scope = ?1
                           ORDER BY last_seen ASC, key ASC
                           LIMIT max(0, (SELECT count(*) FROM seen WHERE scope = ?1) - ?2))",
                        params![scope, max_rows],
                    )
                    .map_err(wrap)? as u64;
            }
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO state (scope, key, last_seen, data) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(wrap)?;
            for (scope, rows) in &snapshot.blobs {
                tx.execute("DELETE FROM state WHERE scope = ?1", params![scope])
                    .map_err(wrap)?;
                let mut order: Vec<&Blob> = rows.iter().collect();
                let keep = usize::try_from(max_rows).unwrap_or(usize::MAX);
                if order.len() > keep {
                    // Hottest first; ties by key so the same state drops the same rows.
                    order.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.key.cmp(&b.key)));
                    report.dropped += (order.len() - keep) as u64;
                    order.truncate(keep);
                }
                order.sort_unstable_by_key(|r| r.key as i64);
                for row in order {
                    insert
                        .execute(params![scope, row.key as i64, row.last_seen, row.data])
                        .map_err(wrap)?;
                    report.rows += 1;
                }
            }
            let mut fact = tx
                .prepare(
                    "INSERT INTO facts (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .map_err(wrap)?;
            for (name, value) in &snapshot.facts {
                fact.execute(params![name, value]).map_err(wrap)?;
                report.rows += 1;
            }
        }
        tx.commit().map_err(wrap)?;
        Ok(report)
    }

    /// Drops keys of `scope` last seen before `horizon` (seconds); returns how many.
    pub fn forget_before(&mut self, scope: &str, horizon: i64) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM seen WHERE scope = ?1 AND last_seen < ?2",
                params![scope, horizon],
            )
            .map_err(|e| self.wrap(e))
    }

    /// A remembered number (e.g. `novelty.first_event`).
    pub fn fact(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM facts WHERE name = ?1",
                params![name],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.wrap(e))
    }

    /// Remembers a number.
    pub fn set_fact(&mut self, name: &str, value: i64) -> Result<(), StoreError> {
        let mut snapshot = Snapshot::default();
        snapshot.fact(name, value);
        self.save(&snapshot, usize::MAX).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_rows_merge_and_persist() {
        let dir = std::env::temp_dir().join(format!("exfilguard-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let mut store = Store::open(&path).unwrap();
            let rows = [
                Seen {
                    key: u64::MAX,
                    first_seen: 100,
                    last_seen: 200,
                    count: 1,
                },
                Seen {
                    key: 7,
                    first_seen: 50,
                    last_seen: 60,
                    count: 3,
                },
            ];
            store.save_seen("dest", &rows).unwrap();
            store
                .save_seen(
                    "dest",
                    &[Seen {
                        key: 7,
                        first_seen: 70,
                        last_seen: 900,
                        count: 2,
                    }],
                )
                .unwrap();
            store.set_fact("novelty.first_event", 42).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let mut rows = store.load_seen("dest").unwrap();
        rows.sort_by_key(|r| r.key);
        assert_eq!(
            rows[0],
            Seen {
                key: 7,
                first_seen: 50,
                last_seen: 900,
                count: 3
            }
        );
        assert_eq!(rows[1].key, u64::MAX);
        assert!(store.load_seen("other").unwrap().is_empty());
        assert_eq!(store.fact("novelty.first_event").unwrap(), Some(42));
        assert_eq!(store.fact("missing").unwrap(), None);
        assert_eq!(store.forget_before("dest", 500).unwrap(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn temp(name: &str) -> (PathBuf, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("exfilguard-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        (dir, path)
    }

    #[test]
    fn a_new_file_is_marked_and_versioned() {
        let (dir, path) = temp("new");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let id: i64 = store
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        drop(store);
        // Reopening a current file changes nothing.
        assert_eq!(
            Store::open(&path).unwrap().schema_version().unwrap(),
            SCHEMA_VERSION
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_file_is_migrated_and_keeps_its_rows() {
        let (dir, path) = temp("v1");
        {
            // What exfilguard wrote before files were marked: no id, no version.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO seen VALUES ('novelty.destinations', 5, 10, 20, 2)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.load_seen("novelty.destinations").unwrap().len(), 1);
        assert!(store.load_blobs("volume.entities").unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn foreign_corrupt_and_newer_files_are_refused_with_their_name() {
        let (dir, path) = temp("refuse");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE customers (id INTEGER);")
                .unwrap();
        }
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(err.to_string().contains("customers"), "{err}");

        std::fs::write(&path, b"this is not a database, just text...........................................................................................").unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(err.to_string().contains("not an SQLite database"), "{err}");

        std::fs::remove_file(&path).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 99;"
            ))
            .unwrap();
        }
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::Newer { found: 99, .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_snapshot_replaces_blobs_merges_seen_and_drops_the_coldest() {
        let (dir, path) = temp("snapshot");
        let mut store = Store::open(&path).unwrap();
        let blob = |key: u64, last_seen: i64| Blob {
            key,
            last_seen,
            data: vec![key as u8; 3],
        };
        let mut first = Snapshot::default();
        first.blobs(
            "volume.entities",
            (0..5).map(|k| blob(k, 100 + k as i64)).collect(),
        );
        first.seen(
            "novelty.pairs",
            (0..5)
                .map(|k| Seen {
                    key: k,
                    first_seen: 1,
                    last_seen: 10 + k as i64,
                    count: 0,
                })
                .collect(),
        );
        first.fact("volume.first_event", 7);
        let report = store.save(&first, 3).unwrap();
        assert_eq!(report.dropped, 4, "two blobs and two pairs over the bound");
        let mut keys: Vec<u64> = store
            .load_blobs("volume.entities")
            .unwrap()
            .iter()
            .map(|b| b.key)
            .collect();
        keys.sort();
        assert_eq!(keys, vec![2, 3, 4], "the hottest three");
        let mut pairs: Vec<u64> = store
            .load_seen("novelty.pairs")
            .unwrap()
            .iter()
            .map(|s| s.key)
            .collect();
        pairs.sort();
        assert_eq!(pairs, vec![2, 3, 4]);
        // A later save replaces the scope's blobs.
        let mut second = Snapshot::default();
        second.blobs("volume.entities", vec![blob(9, 500)]);
        store.save(&second, 3).unwrap();
        let rows = store.load_blobs("volume.entities").unwrap();
        assert_eq!(rows, vec![blob(9, 500)]);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.fact("volume.first_event").unwrap(), Some(7));
        assert_eq!(store.load_blobs("volume.entities").unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unopenable_path_names_the_file() {
        let err = Store::open(Path::new("/nonexistent-dir/x/state.sqlite"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent-dir/x/state.sqlite"));
    }
}
