//! Finding input files: files and folders given by the user, walked recursively in a
//! deterministic (sorted) order. Entries that cannot be read are reported, not fatal.

use std::path::{Path, PathBuf};

/// The files found under the given paths, and what could not be listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discovery {
    /// Regular files, sorted by path, without duplicates.
    pub files: Vec<PathBuf>,
    /// Paths that could not be read (missing, permission denied, …) and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Walks `paths` (files or folders, recursively) and lists the regular files in
/// sorted order. Symbolic links to files are followed; links to folders are not (so
/// a link cycle cannot loop). Hidden files are included: logs are often dot-files.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut found = Discovery::default();
    for path in paths {
        walk(path, &mut found);
    }
    found.files.sort();
    found.files.dedup();
    found.unreadable.sort();
    found
}

fn walk(path: &Path, found: &mut Discovery) {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return;
        }
    };
    if meta.is_file() {
        found.files.push(path.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        found
            .unreadable
            .push((path.to_path_buf(), "not a regular file or folder".into()));
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return;
        }
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => children.push(entry),
            Err(e) => found.unreadable.push((path.to_path_buf(), e.to_string())),
        }
    }
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let child_path = child.path();
        let is_dir_link = child.file_type().map(|t| t.is_symlink()).unwrap_or(false)
            && std::fs::metadata(&child_path)
                .map(|m| m.is_dir())
                .unwrap_or(false);
        if is_dir_link {
            continue;
        }
        walk(&child_path, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_recursively_sorted_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        for name in ["b/c/z.log", "b/a.log", "a.log", ".hidden"] {
            std::fs::write(root.join(name), "x").unwrap();
        }
        let missing = root.join("missing");
        let found = discover(&[root.to_path_buf(), missing.clone(), root.join("a.log")]);
        let names: Vec<_> = found
            .files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [".hidden", "a.log", "b/a.log", "b/c/z.log"]);
        assert_eq!(found.unreadable.len(), 1);
        assert_eq!(found.unreadable[0].0, missing);
    }
}
