//! Sigma documents parsed into a typed form that pipelines may rewrite before
//! compilation: detection rules, correlation rules and filters (spec v2.1).

use crate::yaml::{Node, Yaml};
use std::collections::BTreeMap;

/// A rule-level error: the message and, when known, the 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Line in the file, when the problem sits at a known node.
    pub line: Option<usize>,
    /// What is wrong, in words a rule author can act on.
    pub message: String,
}

impl RuleError {
    pub(crate) fn at(node: &Node, message: impl Into<String>) -> Self {
        RuleError {
            line: Some(node.line),
            message: message.into(),
        }
    }

    pub(crate) fn new(message: impl Into<String>) -> Self {
        RuleError {
            line: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The `logsource` of a rule: lower-cased names, absent keys `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogsourceSpec {
    /// e.g. `windows`.
    pub product: Option<String>,
    /// e.g. `process_creation`.
    pub category: Option<String>,
    /// e.g. `security`.
    pub service: Option<String>,
}

impl std::fmt::Display for LogsourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [&self.product, &self.category, &self.service];
        let text: Vec<&str> = parts.iter().map(|p| p.as_deref().unwrap_or("*")).collect();
        f.write_str(&text.join("/"))
    }
}

/// A scalar value of a detection item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Scalar {
    pub fn text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null => None,
        }
    }
}

/// One `field|modifiers: values` entry; `field` is `None` for keywords.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldSpec {
    pub field: Option<String>,
    /// More names tried when `field` is absent (one-to-many pipeline mappings).
    pub fallbacks: Vec<String>,
    pub modifiers: Vec<String>,
    pub values: Vec<Scalar>,
    pub line: usize,
}

/// A named search identifier: an OR of AND-groups of field specs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Selection {
    pub groups: Vec<Vec<FieldSpec>>,
    pub line: usize,
}

/// The `detection` section.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Detection {
    pub selections: Vec<(String, Selection)>,
    pub conditions: Vec<(String, usize)>,
}

/// Which kind of document a rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A detection rule matched per event.
    Detection,
    /// A correlation (meta) rule over other rules' matches.
    Correlation,
    /// A filter that narrows other rules.
    Filter,
}

/// Correlation types of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
    ValueSum,
    ValueAvg,
    ValuePercentile,
}

/// A comparison of a correlation condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl CmpOp {
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Gt => left > right,
            CmpOp::Gte => left >= right,
            CmpOp::Lt => left < right,
            CmpOp::Lte => left <= right,
            CmpOp::Eq => left == right,
            CmpOp::Neq => left != right,
        }
    }
}

/// The `correlation` section.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CorrelationSpec {
    pub kind: CorrelationType,
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan_s: i64,
    pub bounds: Vec<(CmpOp, f64)>,
    pub field: Option<String>,
    pub percentile: Option<f64>,
    /// alias -> (rule reference -> field)
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    pub generate: bool,
}

/// The `filter` section of a filter document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FilterSpec {
    pub rules: Vec<String>,
    pub detection: Detection,
}

/// What a document holds beyond its metadata.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body {
    Detection(Detection),
    Correlation(CorrelationSpec),
    Filter(FilterSpec),
}

/// One parsed Sigma document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RuleDoc {
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub status: Option<String>,
    pub level: Option<String>,
    pub tags: Vec<String>,
    pub author: Option<String>,
    pub logsource: LogsourceSpec,
    pub body: Body,
}

impl RuleDoc {
    pub fn kind(&self) -> RuleKind {
        match self.body {
            Body::Detection(_) => RuleKind::Detection,
            Body::Correlation(_) => RuleKind::Correlation,
            Body::Filter(_) => RuleKind::Filter,
        }
    }
}

/// Reads the metadata every document kind shares; an error carries what is known.
pub(crate) fn parse_doc(doc: &Node) -> Result<RuleDoc, (RuleError, String, String)> {
    let id = doc.get("id").and_then(Node::as_text).unwrap_or_default();
    let title = doc.get("title").and_then(Node::as_text).unwrap_or_default();
    let fail = |e: RuleError| (e, id.clone(), title.clone());
    if !matches!(doc.value, Yaml::Map(_)) {
        return Err(fail(RuleError::at(
            doc,
            "a Sigma document must be a mapping",
        )));
    }
    if title.is_empty() {
        return Err(fail(RuleError::at(doc, "missing `title`")));
    }
    let logsource = parse_logsource(doc.get("logsource"));
    let body = if let Some(corr) = doc.get("correlation") {
        Body::Correlation(parse_correlation(corr).map_err(fail)?)
    } else if let Some(filter) = doc.get("filter") {
        Body::Filter(parse_filter(filter).map_err(fail)?)
    } else if let Some(detection) = doc.get("detection") {
        if doc.get("logsource").is_none() {
            return Err(fail(RuleError::at(doc, "missing `logsource`")));
        }
        Body::Detection(parse_detection(detection).map_err(fail)?)
    } else {
        return Err(fail(RuleError::at(
            doc,
            "no `detection`, `correlation` or `filter` section",
        )));
    };
    let author = doc.get("author").and_then(|a| {
        let list = a.as_text_list();
        (!list.is_empty()).then(|| list.join(", "))
    });
    Ok(RuleDoc {
        id: id.clone(),
        name: doc.get("name").and_then(Node::as_text),
        title: title.clone(),
        status: doc.get("status").and_then(Node::as_text),
        level: doc.get("level").and_then(Node::as_text),
        tags: doc.get("tags").map(Node::as_text_list).unwrap_or_default(),
        author,
        logsource,
        body,
    })
}

fn parse_logsource(node: Option<&Node>) -> LogsourceSpec {
    let get = |key: &str| {
        node.and_then(|n| n.get(key))
            .and_then(Node::as_text)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    LogsourceSpec {
        product: get("product"),
        category: get("category"),
        service: get("service"),
    }
}

/// Parses a `detection` (or a filter's `filter`) mapping.
pub(crate) fn parse_detection(node: &Node) -> Result<Detection, RuleError> {
    let Yaml::Map(pairs) = &node.value else {
        return Err(RuleError::at(node, "`detection` must be a mapping"));
    };
    let mut detection = Detection::default();
    for (key, value) in pairs {
        let Some(name) = key.as_text() else {
            return Err(RuleError::at(key, "detection keys must be names"));
        };
        if name == "condition" {
            match &value.value {
                Yaml::Seq(items) => {
                    for item in items {
                        let text = item
                            .as_text()
                            .ok_or_else(|| RuleError::at(item, "a condition must be text"))?;
                        detection.conditions.push((text, item.line));
                    }
                }
                _ => {
                    let text = value
                        .as_text()
                        .ok_or_else(|| RuleError::at(value, "a condition must be text"))?;
                    detection.conditions.push((text, value.line));
                }
            }
        } else if name == "timeframe" {
            // Sigma v1 aggregation window; correlations replace it. Ignored.
        } else {
            let selection = parse_selection(value)?;
            detection.selections.push((name, selection));
        }
    }
    if detection.conditions.is_empty() {
        return Err(RuleError::at(node, "missing `condition`"));
    }
    Ok(detection)
}

fn parse_selection(node: &Node) -> Result<Selection, RuleError> {
    let mut groups = Vec::new();
    match &node.value {
        Yaml::Map(pairs) => groups.push(parse_field_map(pairs)?),
        Yaml::Seq(items) => {
            let mut keywords = Vec::new();
            for item in items {
                match &item.value {
                    Yaml::Map(pairs) => groups.push(parse_field_map(pairs)?),
                    Yaml::Seq(_) => {
                        return Err(RuleError::at(item, "nested lists are not a selection"));
                    }
                    _ => keywords.push(scalar(item)?),
                }
            }
            if !keywords.is_empty() {
                groups.push(vec![FieldSpec {
                    field: None,
                    fallbacks: Vec::new(),
                    modifiers: Vec::new(),
                    values: keywords,
                    line: node.line,
                }]);
            }
        }
        _ => groups.push(vec![FieldSpec {
            field: None,
            fallbacks: Vec::new(),
            modifiers: Vec::new(),
            values: vec![scalar(node)?],
            line: node.line,
        }]),
    }
    Ok(Selection {
        groups,
        line: node.line,
    })
}

fn parse_field_map(pairs: &[(Node, Node)]) -> Result<Vec<FieldSpec>, RuleError> {
    let mut specs = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        let key_text = key
            .as_text()
            .ok_or_else(|| RuleError::at(key, "a field name must be text"))?;
        let mut parts = key_text.split('|');
        let field = parts.next().unwrap_or("").trim().to_owned();
        let modifiers: Vec<String> = parts.map(|m| m.trim().to_ascii_lowercase()).collect();
        let values = match &value.value {
            Yaml::Seq(items) => items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
            _ => vec![scalar(value)?],
        };
        specs.push(FieldSpec {
            field: (!field.is_empty()).then_some(field),
            fallbacks: Vec::new(),
            modifiers,
            values,
            line: key.line,
        });
    }
    Ok(specs)
}

fn scalar(node: &Node) -> Result<Scalar, RuleError> {
    Ok(match &node.value {
        Yaml::Str(s) => Scalar::Str(s.clone()),
        Yaml::Int(i) => Scalar::Int(*i),
        Yaml::Float(f) => Scalar::Float(*f),
        Yaml::Bool(b) => Scalar::Bool(*b),
        Yaml::Null => Scalar::Null,
        Yaml::Seq(_) | Yaml::Map(_) => {
            return Err(RuleError::at(node, "expected a single value here"));
        }
    })
}

/// Parses a timespan such as `30s`, `5m`, `1h`, `2d`, `1w` (also `1M`, `1y`) to seconds.
pub(crate) fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let unit_s = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "M" => 2_592_000,
        "y" => 31_536_000,
        _ => return None,
    };
    n.checked_mul(unit_s).filter(|s| *s > 0)
}

fn parse_correlation(node: &Node) -> Result<CorrelationSpec, RuleError> {
    let kind_text = node
        .get("type")
        .and_then(Node::as_text)
        .ok_or_else(|| RuleError::at(node, "correlation without `type`"))?;
    let kind = match kind_text.as_str() {
        "event_count" => CorrelationType::EventCount,
        "value_count" => CorrelationType::ValueCount,
        "temporal" => CorrelationType::Temporal,
        "temporal_ordered" => CorrelationType::TemporalOrdered,
        "value_sum" => CorrelationType::ValueSum,
        "value_avg" => CorrelationType::ValueAvg,
        "value_percentile" => CorrelationType::ValuePercentile,
        other => {
            return Err(RuleError::at(
                node,
                format!("unknown correlation type `{other}`"),
            ));
        }
    };
    let rules = node
        .get("rules")
        .map(Node::as_text_list)
        .unwrap_or_default();
    if rules.is_empty() {
        return Err(RuleError::at(node, "correlation without `rules`"));
    }
    let timespan_node = node
        .get("timespan")
        .or_else(|| node.get("timeframe"))
        .ok_or_else(|| RuleError::at(node, "correlation without `timespan`"))?;
    let timespan_text = timespan_node.as_text().unwrap_or_default();
    let timespan_s = parse_timespan(&timespan_text).ok_or_else(|| {
        RuleError::at(
            timespan_node,
            format!("bad timespan `{timespan_text}` (expected e.g. 30s, 5m, 1h, 1d)"),
        )
    })?;
    let (bounds, field, percentile) = parse_corr_condition(node, kind)?;
    let mut aliases = BTreeMap::new();
    if let Some(alias_node) = node.get("aliases") {
        for (alias, mapping) in alias_node.pairs() {
            let name = alias.as_text().unwrap_or_default();
            let mut per_rule = BTreeMap::new();
            for (rule, field) in mapping.pairs() {
                if let (Some(r), Some(f)) = (rule.as_text(), field.as_text()) {
                    per_rule.insert(r, f);
                }
            }
            aliases.insert(name, per_rule);
        }
    }
    Ok(CorrelationSpec {
        kind,
        rules,
        group_by: node
            .get("group-by")
            .map(Node::as_text_list)
            .unwrap_or_default(),
        timespan_s,
        bounds,
        field,
        percentile,
        aliases,
        generate: matches!(
            node.get("generate").map(|n| &n.value),
            Some(Yaml::Bool(true))
        ),
    })
}

type CorrCondition = (Vec<(CmpOp, f64)>, Option<String>, Option<f64>);

fn parse_corr_condition(node: &Node, kind: CorrelationType) -> Result<CorrCondition, RuleError> {
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    let Some(cond) = node.get("condition") else {
        if temporal {
            return Ok((Vec::new(), None, None));
        }
        return Err(RuleError::at(node, "correlation without `condition`"));
    };
    let mut bounds = Vec::new();
    let mut field = None;
    let mut percentile = None;
    for (key, value) in cond.pairs() {
        let key_text = key.as_text().unwrap_or_default();
        let number = || {
            value
                .as_text()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .ok_or_else(|| RuleError::at(value, format!("`{key_text}` needs a number")))
        };
        let op = match key_text.as_str() {
            "gt" => CmpOp::Gt,
            "gte" => CmpOp::Gte,
            "lt" => CmpOp::Lt,
            "lte" => CmpOp::Lte,
            "eq" => CmpOp::Eq,
            "neq" => CmpOp::Neq,
            "field" => {
                field = value.as_text();
                continue;
            }
            "percentile" => {
                percentile = Some(number()?);
                continue;
            }
            other => {
                return Err(RuleError::at(
                    key,
                    format!("unknown correlation condition `{other}`"),
                ));
            }
        };
        bounds.push((op, number()?));
    }
    if bounds.is_empty() && !temporal {
        return Err(RuleError::at(
            cond,
            "correlation condition has no comparison",
        ));
    }
    let needs_field = matches!(
        kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
    );
    if needs_field && field.is_none() {
        return Err(RuleError::at(cond, "this correlation type needs `field`"));
    }
    if kind == CorrelationType::ValuePercentile && percentile.is_none() {
        percentile = node
            .get("percentile")
            .and_then(Node::as_text)
            .and_then(|t| t.parse().ok());
        if percentile.is_none() {
            return Err(RuleError::at(cond, "value_percentile needs `percentile`"));
        }
    }
    Ok((bounds, field, percentile))
}

fn parse_filter(node: &Node) -> Result<FilterSpec, RuleError> {
    let rules = node
        .get("rules")
        .map(Node::as_text_list)
        .unwrap_or_default();
    let detection = parse_detection(node)?;
    Ok(FilterSpec { rules, detection })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load;

    #[test]
    fn parses_detection_rule() {
        let docs = load(
            "title: T\nid: 1\nlogsource: {product: Windows, category: process_creation}\n\
             detection:\n  sel:\n    Image|endswith: ['\\\\a.exe', '\\\\b.exe']\n  kw: [x, y]\n  condition: sel or kw\nlevel: high\ntags: [attack.t1020]\nauthor: A\n",
        )
        .unwrap();
        let doc = parse_doc(&docs[0]).unwrap();
        assert_eq!(doc.logsource.product.as_deref(), Some("windows"));
        let Body::Detection(det) = &doc.body else {
            panic!("detection expected")
        };
        assert_eq!(det.selections.len(), 2);
        let spec = &det.selections[0].1.groups[0][0];
        assert_eq!(spec.field.as_deref(), Some("Image"));
        assert_eq!(spec.modifiers, vec!["endswith"]);
        assert_eq!(spec.values.len(), 2);
        assert_eq!(det.selections[1].1.groups[0][0].field, None);
    }

    #[test]
    fn parses_correlation() {
        let docs = load(
            "title: C\ncorrelation:\n  type: value_count\n  rules: [a]\n  group-by: [User]\n  timespan: 15m\n  condition: {gte: 3, field: Host}\n",
        )
        .unwrap();
        let doc = parse_doc(&docs[0]).unwrap();
        let Body::Correlation(c) = doc.body else {
            panic!("correlation expected")
        };
        assert_eq!(c.timespan_s, 900);
        assert_eq!(c.field.as_deref(), Some("Host"));
        assert_eq!(c.bounds, vec![(CmpOp::Gte, 3.0)]);
    }

    #[test]
    fn missing_condition_has_line() {
        let docs = load("title: T\nlogsource: {product: x}\ndetection:\n  sel: {a: b}\n").unwrap();
        let (err, _, title) = parse_doc(&docs[0]).unwrap_err();
        assert_eq!(title, "T");
        assert!(err.message.contains("condition"));
        assert_eq!(err.line, Some(4));
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("90s"), Some(90));
        assert_eq!(parse_timespan("2h"), Some(7200));
        assert_eq!(parse_timespan("h"), None);
        assert_eq!(parse_timespan("5x"), None);
    }
}
