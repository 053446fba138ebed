//! Config patterns: the case-insensitive globs of `[[allow]]` and `[[sensitivity]]`
//! (host names, users, process images), shared by the analytics that re-score
//! signals and the triage that explains incidents, so both read an entry the same way.

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("ws-*", "WS-12"));
        assert!(glob_match("*@corp.example", "bob@corp.example"));
        assert!(glob_match("*.exe", "rclone.exe"));
        assert!(!glob_match("ws-?", "ws-12"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a", ""));
    }
}
