//! YAML loading into a small tree that remembers the line of every node, so that
//! lint errors can point at the line of the offending key.
//!
//! Built on yaml-rust2's event parser. Hostile input is bounded: files over
//! [`MAX_YAML_BYTES`] are refused before parsing, the scanner limits nesting, and
//! alias expansion (the "billion laughs" attack) stops after [`MAX_NODES`] nodes.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Largest rule or pipeline file accepted, in bytes (SigmaHQ's largest is ~40 kB).
pub const MAX_YAML_BYTES: usize = 4 << 20;
/// Most nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 1 << 20;

/// A YAML value with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub value: Yaml,
    pub line: usize,
}

/// A YAML value, resolved by the core schema (plain scalars become numbers,
/// booleans or null; quoted scalars stay strings).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Yaml {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Yaml::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(&k.value, Yaml::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar as text (numbers and booleans printed), `None` for null and collections.
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A scalar or a list of scalars, as texts.
    pub fn as_text_list(&self) -> Vec<String> {
        match &self.value {
            Yaml::Seq(items) => items.iter().filter_map(Node::as_text).collect(),
            _ => self.as_text().into_iter().collect(),
        }
    }

    /// The mapping's pairs (empty for other kinds).
    pub fn pairs(&self) -> &[(Node, Node)] {
        match &self.value {
            Yaml::Map(pairs) => pairs,
            _ => &[],
        }
    }
}

/// A YAML syntax error with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses every document of `text`.
pub(crate) fn load(text: &str) -> Result<Vec<Node>, YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError {
            line: None,
            message: format!(
                "file is {} bytes, over the {} byte limit for a rule file",
                text.len(),
                MAX_YAML_BYTES
            ),
        });
    }
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        return Err(YamlError {
            line: Some(e.marker().line()),
            message: e.info().to_owned(),
        });
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.docs)
}

#[derive(Default)]
struct TreeBuilder {
    docs: Vec<Node>,
    /// Open collections; maps keep a pending key.
    stack: Vec<(Node, usize, Option<Node>)>,
    anchors: Vec<(usize, Node)>,
    nodes: usize,
    error: Option<YamlError>,
}

impl TreeBuilder {
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((parent, _, pending)) => match &mut parent.value {
                Yaml::Seq(items) => items.push(node),
                Yaml::Map(pairs) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => pairs.push((key, node)),
                },
                _ => {}
            },
        }
    }

    fn count(node: &Node) -> usize {
        match &node.value {
            Yaml::Seq(items) => 1 + items.iter().map(Self::count).sum::<usize>(),
            Yaml::Map(pairs) => {
                1 + pairs
                    .iter()
                    .map(|(k, v)| Self::count(k) + Self::count(v))
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.error = Some(YamlError {
                line: Some(line),
                message: format!("document expands to more than {MAX_NODES} YAML nodes"),
            });
            return;
        }
        match event {
            Event::SequenceStart(anchor, _) => {
                let node = Node {
                    value: Yaml::Seq(Vec::new()),
                    line,
                };
                self.stack.push((node, anchor, None));
            }
            Event::MappingStart(anchor, _) => {
                let node = Node {
                    value: Yaml::Map(Vec::new()),
                    line,
                };
                self.stack.push((node, anchor, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor, _)) = self.stack.pop() {
                    self.insert(node, anchor);
                }
            }
            Event::Scalar(text, style, anchor, _) => {
                let value = if style == TScalarStyle::Plain {
                    resolve_plain(text)
                } else {
                    Yaml::Str(text)
                };
                self.insert(Node { value, line }, anchor);
            }
            Event::Alias(id) => {
                let found = self.anchors.iter().rev().find(|(a, _)| *a == id);
                match found.map(|(_, n)| n.clone()) {
                    Some(node) => {
                        self.nodes += Self::count(&node);
                        if self.nodes > MAX_NODES {
                            self.error = Some(YamlError {
                                line: Some(line),
                                message: format!(
                                    "aliases expand to more than {MAX_NODES} YAML nodes"
                                ),
                            });
                            return;
                        }
                        self.insert(node, 0);
                    }
                    None => {
                        self.error = Some(YamlError {
                            line: Some(line),
                            message: "alias to an unknown anchor".into(),
                        })
                    }
                }
            }
            Event::DocumentEnd => {
                if self.stack.is_empty() && self.docs.is_empty() {
                    // An empty document: nothing to keep.
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(text: String) -> Yaml {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Yaml::Null,
        "true" | "True" | "TRUE" => return Yaml::Bool(true),
        "false" | "False" | "FALSE" => return Yaml::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Yaml::Int(i);
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Yaml::Int(i);
    }
    let bytes = text.as_bytes();
    let numeric_shape = bytes.iter().any(u8::is_ascii_digit)
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if numeric_shape && let Ok(f) = text.parse::<f64>() {
        return Yaml::Float(f);
    }
    Yaml::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_types() {
        let docs =
            load("title: x\ndetection:\n  sel:\n    EventID: 1\n    Image: '5'\n---\na: b\n")
                .unwrap();
        assert_eq!(docs.len(), 2);
        let sel = docs[0].get("detection").unwrap().get("sel").unwrap();
        assert_eq!(sel.line, 4);
        assert_eq!(sel.get("EventID").unwrap().value, Yaml::Int(1));
        assert_eq!(sel.get("Image").unwrap().value, Yaml::Str("5".into()));
    }

    #[test]
    fn syntax_error_has_line() {
        let err = load("a: b\nc: [1, 2\n").unwrap_err();
        assert!(err.line.is_some());
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = load(&text).unwrap_err();
        assert!(err.message.contains("expand"), "{}", err.message);
    }

    #[test]
    fn oversized_file_is_refused() {
        let text = "a: b\n".repeat(MAX_YAML_BYTES / 4);
        assert!(load(&text).unwrap_err().message.contains("limit"));
    }
}
