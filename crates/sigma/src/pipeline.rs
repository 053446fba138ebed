//! pySigma-style processing pipelines (YAML), applied to rules before compilation.
//!
//! Supported transformations: `field_name_mapping` (one-to-one and one-to-many),
//! `field_name_prefix_mapping`, `change_logsource`, `replace_string` and
//! `add_condition`; each may carry `rule_conditions` of type `logsource`,
//! `is_sigma_rule` or `is_sigma_correlation_rule` (combined with `rule_cond_op`,
//! `and` by default) and `field_name_conditions` of type
//! `include_fields`/`exclude_fields`. Pipelines run in `priority` order.

use crate::compile::field_spec;
use crate::rule::{Body, Detection, FieldSpec, RuleDoc, RuleError, Scalar, Selection};
use crate::yaml::{self, Node, Yaml};
use std::collections::BTreeMap;

/// A loaded pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The pipeline's `name`, or its file.
    pub name: String,
    priority: i64,
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
struct Step {
    action: Action,
    logsource_conditions: Vec<(Option<String>, Option<String>, Option<String>)>,
    kind_condition: Option<bool>,
    any_condition: bool,
    include_fields: Option<Vec<String>>,
    exclude_fields: Vec<String>,
}

#[derive(Clone, Debug)]
enum Action {
    FieldMap(BTreeMap<String, Vec<String>>),
    PrefixMap(Vec<(String, String)>),
    ChangeLogsource(Option<String>, Option<String>, Option<String>),
    ReplaceString(regex::Regex, String),
    AddCondition(Vec<(String, Scalar)>),
}

impl Pipeline {
    /// Parses a pipeline document; errors name the line.
    pub fn parse(text: &str, origin: &str) -> Result<Pipeline, RuleError> {
        let docs = yaml::load(text).map_err(|e| RuleError {
            line: e.line,
            message: e.message,
        })?;
        let doc = docs
            .first()
            .ok_or_else(|| RuleError::new("empty pipeline file"))?;
        let name = doc
            .get("name")
            .and_then(Node::as_text)
            .unwrap_or_else(|| origin.to_owned());
        let priority = match doc.get("priority").map(|n| &n.value) {
            Some(Yaml::Int(p)) => *p,
            _ => 0,
        };
        let mut steps = Vec::new();
        if let Some(Yaml::Seq(items)) = doc.get("transformations").map(|n| &n.value) {
            for item in items {
                steps.push(parse_step(item)?);
            }
        } else {
            return Err(RuleError::at(
                doc,
                "pipeline without a `transformations` list",
            ));
        }
        Ok(Pipeline {
            name,
            priority,
            steps,
        })
    }

    /// Orders pipelines as pySigma does: by priority, then as given.
    pub fn sort(pipelines: &mut [Pipeline]) {
        pipelines.sort_by_key(|p| p.priority);
    }

    /// Applies every step whose conditions hold to `doc`.
    pub(crate) fn apply(&self, doc: &mut RuleDoc) {
        for (index, step) in self.steps.iter().enumerate() {
            if step.applies(doc) {
                step.run(doc, index);
            }
        }
    }
}

fn parse_step(node: &Node) -> Result<Step, RuleError> {
    let kind = node
        .get("type")
        .and_then(Node::as_text)
        .ok_or_else(|| RuleError::at(node, "transformation without `type`"))?;
    let action = match kind.as_str() {
        "field_name_mapping" => {
            let mut map = BTreeMap::new();
            for (k, v) in node.get("mapping").map(Node::pairs).unwrap_or_default() {
                if let Some(k) = k.as_text() {
                    map.insert(k, v.as_text_list());
                }
            }
            Action::FieldMap(map)
        }
        "field_name_prefix_mapping" => {
            let pairs = node.get("mapping").map(Node::pairs).unwrap_or_default();
            Action::PrefixMap(
                pairs
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_text()?, v.as_text().unwrap_or_default())))
                    .collect(),
            )
        }
        "change_logsource" => {
            let get = |k: &str| {
                node.get(k)
                    .and_then(Node::as_text)
                    .map(|s| s.to_ascii_lowercase())
            };
            Action::ChangeLogsource(get("product"), get("category"), get("service"))
        }
        "replace_string" => {
            let pattern = node
                .get("regex")
                .and_then(Node::as_text)
                .unwrap_or_default();
            let regex = regex::RegexBuilder::new(&pattern)
                .size_limit(crate::pattern::REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| RuleError::at(node, format!("bad `regex`: {e}")))?;
            let replacement = node
                .get("replacement")
                .and_then(Node::as_text)
                .unwrap_or_default();
            Action::ReplaceString(regex, replacement)
        }
        "add_condition" => {
            let mut conditions = Vec::new();
            for (k, v) in node.get("conditions").map(Node::pairs).unwrap_or_default() {
                let field = k.as_text().unwrap_or_default();
                let value = match &v.value {
                    Yaml::Int(i) => Scalar::Int(*i),
                    Yaml::Bool(b) => Scalar::Bool(*b),
                    Yaml::Null => Scalar::Null,
                    _ => Scalar::Str(v.as_text().unwrap_or_default()),
                };
                conditions.push((field, value));
            }
            Action::AddCondition(conditions)
        }
        other => {
            return Err(RuleError::at(
                node,
                format!("unsupported pipeline transformation `{other}`"),
            ));
        }
    };
    let mut step = Step {
        action,
        logsource_conditions: Vec::new(),
        kind_condition: None,
        any_condition: node
            .get("rule_cond_op")
            .and_then(Node::as_text)
            .is_some_and(|op| op == "or"),
        include_fields: None,
        exclude_fields: Vec::new(),
    };
    if let Some(Yaml::Seq(conds)) = node.get("rule_conditions").map(|n| &n.value) {
        for cond in conds {
            let get = |k: &str| {
                cond.get(k)
                    .and_then(Node::as_text)
                    .map(|s| s.to_ascii_lowercase())
            };
            match cond.get("type").and_then(Node::as_text).as_deref() {
                Some("logsource") => step.logsource_conditions.push((
                    get("product"),
                    get("category"),
                    get("service"),
                )),
                Some("is_sigma_rule") => step.kind_condition = Some(true),
                Some("is_sigma_correlation_rule") => step.kind_condition = Some(false),
                other => {
                    return Err(RuleError::at(
                        cond,
                        format!("unsupported rule condition `{}`", other.unwrap_or("")),
                    ));
                }
            }
        }
    }
    if let Some(Yaml::Seq(conds)) = node.get("field_name_conditions").map(|n| &n.value) {
        for cond in conds {
            let fields = cond
                .get("fields")
                .map(Node::as_text_list)
                .unwrap_or_default();
            match cond.get("type").and_then(Node::as_text).as_deref() {
                Some("include_fields") => step.include_fields = Some(fields),
                Some("exclude_fields") => step.exclude_fields = fields,
                other => {
                    return Err(RuleError::at(
                        cond,
                        format!("unsupported field name condition `{}`", other.unwrap_or("")),
                    ));
                }
            }
        }
    }
    Ok(step)
}

impl Step {
    fn applies(&self, doc: &RuleDoc) -> bool {
        let is_rule = !matches!(doc.body, Body::Correlation(_));
        let mut results = Vec::new();
        if let Some(want_rule) = self.kind_condition {
            results.push(want_rule == is_rule);
        }
        for (p, c, s) in &self.logsource_conditions {
            let ls = &doc.logsource;
            let ok = |want: &Option<String>, have: &Option<String>| want.is_none() || want == have;
            results.push(ok(p, &ls.product) && ok(c, &ls.category) && ok(s, &ls.service));
        }
        if results.is_empty() {
            return true;
        }
        if self.any_condition {
            results.iter().any(|r| *r)
        } else {
            results.iter().all(|r| *r)
        }
    }

    fn field_selected(&self, name: &str) -> bool {
        self.include_fields
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x == name))
            && !self.exclude_fields.iter().any(|x| x == name)
    }

    fn run(&self, doc: &mut RuleDoc, index: usize) {
        match &self.action {
            Action::ChangeLogsource(p, c, s) => {
                if p.is_some() {
                    doc.logsource.product = p.clone();
                }
                if c.is_some() {
                    doc.logsource.category = c.clone();
                }
                if s.is_some() {
                    doc.logsource.service = s.clone();
                }
            }
            Action::AddCondition(conditions) => {
                if let Some(detection) = detection_mut(doc) {
                    let name = format!("_pipeline_condition_{index}");
                    let group: Vec<FieldSpec> = conditions
                        .iter()
                        .map(|(f, v)| field_spec(f, v.clone()))
                        .collect();
                    detection.selections.push((
                        name.clone(),
                        Selection {
                            groups: vec![group],
                            line: 0,
                        },
                    ));
                    for (cond, _) in &mut detection.conditions {
                        *cond = format!("({cond}) and {name}");
                    }
                }
            }
            _ => self.rewrite_specs(doc),
        }
    }

    fn rewrite_specs(&self, doc: &mut RuleDoc) {
        let Some(detection) = detection_mut(doc) else {
            return;
        };
        for (_, selection) in &mut detection.selections {
            for spec in selection.groups.iter_mut().flatten() {
                let Some(field) = spec.field.clone() else {
                    continue;
                };
                if !self.field_selected(&field) {
                    continue;
                }
                match &self.action {
                    Action::FieldMap(map) => {
                        if let Some(targets) = map.get(&field)
                            && let Some((first, rest)) = targets.split_first()
                        {
                            spec.field = Some(first.clone());
                            spec.fallbacks = rest.to_vec();
                        }
                    }
                    Action::PrefixMap(prefixes) => {
                        if let Some((from, to)) =
                            prefixes.iter().find(|(p, _)| field.starts_with(p.as_str()))
                        {
                            spec.field = Some(format!("{to}{}", &field[from.len()..]));
                        }
                    }
                    Action::ReplaceString(regex, replacement) => {
                        for value in &mut spec.values {
                            if let Scalar::Str(s) = value {
                                *s = regex.replace_all(s, replacement.as_str()).into_owned();
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn detection_mut(doc: &mut RuleDoc) -> Option<&mut Detection> {
    match &mut doc.body {
        Body::Detection(d) => Some(d),
        Body::Filter(f) => Some(&mut f.detection),
        Body::Correlation(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::parse_doc;

    #[test]
    fn maps_fields_and_logsource() {
        let pipeline = Pipeline::parse(
            "name: p\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      Image: process.executable\n    rule_conditions:\n      - type: logsource\n        category: process_creation\n  - type: change_logsource\n    product: linux\n  - type: add_condition\n    conditions:\n      host.name: ws1\n  - type: replace_string\n    regex: 'x'\n    replacement: 'y'\n",
            "p.yml",
        )
        .unwrap();
        let docs = yaml::load(
            "title: T\nlogsource: {category: process_creation}\ndetection:\n  sel: {Image: ax}\n  condition: sel\n",
        )
        .unwrap();
        let mut doc = parse_doc(&docs[0]).unwrap();
        pipeline.apply(&mut doc);
        assert_eq!(doc.logsource.product.as_deref(), Some("linux"));
        let Body::Detection(d) = &doc.body else {
            panic!()
        };
        let spec = &d.selections[0].1.groups[0][0];
        assert_eq!(spec.field.as_deref(), Some("process.executable"));
        assert_eq!(spec.values, vec![Scalar::Str("ay".into())]);
        assert_eq!(d.conditions[0].0, "(sel) and _pipeline_condition_2");
    }

    #[test]
    fn unknown_transformation_is_an_error() {
        let err = Pipeline::parse("transformations:\n  - type: teleport\n", "p").unwrap_err();
        assert!(err.message.contains("teleport"));
        assert_eq!(err.line, Some(2));
    }
}
