//! SQLite state kept between runs: first-seen sets and small facts (when the
//! data began), so that "no prior communication history" means the history of
//! every run so far, not only the current one.
//!
//! The schema is created on open. Keys are the analytics' 64-bit hashes, stored as
//! SQLite integers (the bits of the `u64` as an `i64`). Writes of one call happen in
//! one transaction, so a run that stops halfway leaves the previous state intact.
#![deny(missing_docs)]

use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};

/// A state database error, with the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("state database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
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

/// The state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
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

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// An in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        conn.execute_batch(SCHEMA)
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        Ok(Store { conn, path })
    }

    fn wrap(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
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

    /// Merges `rows` into `scope`: the earliest first-seen and latest last-seen win,
    /// the count is the larger one. One transaction.
    pub fn save_seen(&mut self, scope: &str, rows: &[Seen]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO seen (scope, key, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (scope, key) DO UPDATE SET
                       first_seen = min(first_seen, excluded.first_seen),
                       last_seen = max(last_seen, excluded.last_seen),
                       count = max(count, excluded.count)",
                )
                .map_err(wrap)?;
            for row in rows {
                stmt.execute(params![
                    scope,
                    row.key as i64,
                    row.first_seen,
                    row.last_seen,
                    row.count as i64
                ])
                .map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
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
        let mut stmt = self
            .conn
            .prepare("SELECT value FROM facts WHERE name = ?1")
            .map_err(|e| self.wrap(e))?;
        let mut rows = stmt.query(params![name]).map_err(|e| self.wrap(e))?;
        match rows.next().map_err(|e| self.wrap(e))? {
            Some(row) => Ok(Some(row.get(0).map_err(|e| self.wrap(e))?)),
            None => Ok(None),
        }
    }

    /// Remembers a number.
    pub fn set_fact(&mut self, name: &str, value: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO facts (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(|_| ())
            .map_err(|e| self.wrap(e))
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

    #[test]
    fn unopenable_path_names_the_file() {
        let err = Store::open(Path::new("/nonexistent-dir/x/state.sqlite"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent-dir/x/state.sqlite"));
    }
}
