//! The `condition` expression language: `and`, `or`, `not`, brackets, `1 of`,
//! `all of`, `N of`, `them`, and search identifiers with `*` wildcards.

use crate::rule::RuleError;

/// Deepest nesting of brackets and `not` accepted; deeper conditions are refused
/// with a message instead of risking the stack.
pub const MAX_CONDITION_DEPTH: usize = 128;

/// How many selections an `of` expression needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantifier {
    All,
    AtLeast(usize),
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Ident(String),
    /// `1 of sel*` / `all of them` (pattern `None` for `them`).
    Of(Quantifier, Option<String>),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    tokens
}

/// Parses a condition; errors say which token was unexpected.
pub(crate) fn parse(text: &str) -> Result<Cond, RuleError> {
    let tokens = tokenize(text);
    let mut parser = CondParser { tokens, pos: 0 };
    let cond = parser.or_expr(0)?;
    if parser.pos != parser.tokens.len() {
        return Err(RuleError::new(format!(
            "unexpected `{}` in condition",
            parser.describe(parser.pos)
        )));
    }
    Ok(cond)
}

struct CondParser {
    tokens: Vec<Token>,
    pos: usize,
}

impl CondParser {
    fn describe(&self, pos: usize) -> String {
        match self.tokens.get(pos) {
            Some(Token::Open) => "(".into(),
            Some(Token::Close) => ")".into(),
            Some(Token::Word(w)) => w.clone(),
            None => "end of condition".into(),
        }
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or_expr(&mut self, depth: usize) -> Result<Cond, RuleError> {
        let mut parts = vec![self.and_expr(depth)?];
        while self.keyword("or") {
            self.pos += 1;
            parts.push(self.and_expr(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and_expr(&mut self, depth: usize) -> Result<Cond, RuleError> {
        let mut parts = vec![self.not_expr(depth)?];
        while self.keyword("and") {
            self.pos += 1;
            parts.push(self.not_expr(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not_expr(&mut self, depth: usize) -> Result<Cond, RuleError> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(RuleError::new(format!(
                "condition nested deeper than {MAX_CONDITION_DEPTH} levels"
            )));
        }
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not_expr(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, RuleError> {
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or_expr(depth + 1)?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err(RuleError::new(format!(
                        "expected `)` in condition, found `{}`",
                        self.describe(self.pos)
                    )));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let lower = word.to_ascii_lowercase();
                if matches!(lower.as_str(), "and" | "or" | "of" | "them") {
                    return Err(RuleError::new(format!("unexpected `{word}` in condition")));
                }
                let quantifier = if lower == "all" {
                    Some(Quantifier::All)
                } else {
                    lower.parse::<usize>().ok().map(Quantifier::AtLeast)
                };
                self.pos += 1;
                match quantifier {
                    Some(q) if self.keyword("of") => {
                        self.pos += 1;
                        let target = match self.tokens.get(self.pos) {
                            Some(Token::Word(w)) => w.clone(),
                            _ => {
                                return Err(RuleError::new(format!(
                                    "`of` must be followed by `them` or a name pattern, found `{}`",
                                    self.describe(self.pos)
                                )));
                            }
                        };
                        self.pos += 1;
                        let pattern = (!target.eq_ignore_ascii_case("them")).then_some(target);
                        Ok(Cond::Of(q, pattern))
                    }
                    _ => Ok(Cond::Ident(word)),
                }
            }
            Some(Token::Close) => Err(RuleError::new("unexpected `)` in condition")),
            None => Err(RuleError::new("condition ends too early")),
        }
    }
}

/// Whether a search identifier matches an `of` pattern (`*` wildcards only).
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    fn rec(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| rec(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && rec(rest, &n[1..]),
        }
    }
    if pattern.matches('*').count() > 8 {
        return pattern == name;
    }
    rec(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_of() {
        let cond = parse("sel and not 1 of filter_* or all of them").unwrap();
        assert_eq!(
            cond,
            Cond::Or(vec![
                Cond::And(vec![
                    Cond::Ident("sel".into()),
                    Cond::Not(Box::new(Cond::Of(
                        Quantifier::AtLeast(1),
                        Some("filter_*".into())
                    )))
                ]),
                Cond::Of(Quantifier::All, None),
            ])
        );
    }

    #[test]
    fn brackets() {
        let cond = parse("(a or b) and c").unwrap();
        assert!(matches!(cond, Cond::And(ref v) if matches!(v[0], Cond::Or(_))));
        assert!(parse("(a or b").is_err());
        assert!(parse("a and").is_err());
        assert!(parse("a b").is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{}", err.message);
        let nots = format!("{}a", "not ".repeat(10_000));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn name_patterns() {
        assert!(name_matches("filter_*", "filter_main"));
        assert!(!name_matches("filter_*", "sel"));
        assert!(name_matches("*", "x"));
    }
}
