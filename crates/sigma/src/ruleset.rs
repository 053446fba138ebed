//! Loading rule files into a [`RuleSet`]: lint rows per document, filters applied,
//! correlations resolved, detection rules compiled (in parallel) into a [`Matcher`].

use crate::compile::{self, Node};
use crate::correlation::{CorrelationDef, InputRef, InputSpec};
use crate::detector::{SigmaDetector, SignalMeta};
use crate::mapping::{Route, resolve_field};
use crate::matcher::{MatchRule, Matcher};
use crate::pipeline::Pipeline;
use crate::rule::{Body, LogsourceSpec, RuleDoc, RuleError, RuleKind, parse_doc};
use crate::selection::{self, Choice, RuleSelection, SelectionReport};
use crate::yaml;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How rules are loaded: pipelines to apply and placeholder values for `expand`.
#[derive(Clone, Debug, Default)]
pub struct SigmaOptions {
    /// pySigma-style pipeline files (`--pipeline`), applied in priority order.
    pub pipelines: Vec<PathBuf>,
    /// Values of `%name%` placeholders (`[sigma.placeholders]` in the config).
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// Whether answers for repeated events are remembered (`[sigma]
    /// remember_answers`, default false): it saves work only where whole
    /// events repeat in every field the rules read (floods of identical
    /// records); on the EVTX corpus it measured 5-15% slower than matching
    /// every event (see docs/sigma.md).
    pub remember_answers: bool,
    /// Which loaded rules are used (`[sigma] min_level`, `exclude_status`,
    /// `exclude_rules`, `include_tags`, `exclude_tags`, and the command
    /// line's flags of the same names); by default every rule.
    pub selection: RuleSelection,
}

impl SigmaOptions {
    /// Options from the config's `[sigma]` table (`placeholders`: name -> list of
    /// values, a single string also accepted; `pipelines`: list of files) plus the
    /// `--pipeline` files given on the command line (applied after the config's).
    pub fn from_config(config: &model::Config, extra_pipelines: &[PathBuf]) -> Self {
        let mut options = SigmaOptions::default();
        if let Some(toml::Value::Table(table)) = config.sigma.get("placeholders") {
            for (name, value) in table {
                let values = match value {
                    toml::Value::Array(items) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    toml::Value::String(s) => vec![s.clone()],
                    _ => Vec::new(),
                };
                options.placeholders.insert(name.clone(), values);
            }
        }
        if let Some(toml::Value::Boolean(remember)) = config.sigma.get("remember_answers") {
            options.remember_answers = *remember;
        }
        if let Some(toml::Value::Array(items)) = config.sigma.get("pipelines") {
            options
                .pipelines
                .extend(items.iter().filter_map(|v| v.as_str().map(PathBuf::from)));
        }
        options.pipelines.extend(extra_pipelines.iter().cloned());
        options.selection = selection_from_config(&config.sigma);
        options
    }
}

/// The rule selection of the config's `[sigma]` table (its keys and types
/// were checked when the config was read; a value of another type is
/// ignored here).
fn selection_from_config(table: &toml::Table) -> RuleSelection {
    let strings = |key: &str| -> Vec<String> {
        table
            .get(key)
            .and_then(toml::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut selection = RuleSelection {
        min_level: table
            .get("min_level")
            .and_then(toml::Value::as_str)
            .and_then(model::Severity::from_sigma_level),
        exclude_rules: strings("exclude_rules"),
        ..RuleSelection::default()
    };
    // Statuses and tags are compared in lower case: `merge` lowers them.
    selection.merge(&RuleSelection {
        exclude_status: strings("exclude_status"),
        include_tags: strings("include_tags"),
        exclude_tags: strings("exclude_tags"),
        ..RuleSelection::default()
    });
    selection
}

/// The outcome of loading one rule document (or one unreadable file): the
/// `rules lint --format jsonl` record of DESIGN.md's output contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LintRow {
    /// The file as given (or the built-in pack's path).
    pub path: String,
    /// The rule's `id` (empty when the document has none or did not parse).
    pub id: String,
    /// The rule's `title` (empty when unknown).
    pub title: String,
    /// `ok` or `error`.
    pub status: &'static str,
    /// Why it failed, with `line N:` when the line is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LintRow {
    fn ok(path: &str, id: &str, title: &str) -> Self {
        LintRow {
            path: path.to_owned(),
            id: id.to_owned(),
            title: title.to_owned(),
            status: "ok",
            error: None,
        }
    }

    fn error(path: &str, id: &str, title: &str, error: &RuleError) -> Self {
        LintRow {
            path: path.to_owned(),
            id: id.to_owned(),
            title: title.to_owned(),
            status: "error",
            error: Some(error.to_string()),
        }
    }

    /// Whether the document loaded.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// What `rules list` shows about a loaded rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleInfo {
    /// Sigma `id`.
    pub id: String,
    /// Sigma `title`.
    pub title: String,
    /// Sigma `level` (`informational`..`critical`), when given.
    pub level: Option<String>,
    /// Sigma `tags`.
    pub tags: Vec<String>,
    /// `product/category/service`, `*` for absent parts.
    pub logsource: String,
    /// Rule author(s).
    pub author: Option<String>,
    /// File the rule came from.
    pub path: String,
    /// Sigma `status` (stable, test, experimental...), when given.
    pub status: Option<String>,
    /// Detection, correlation or filter.
    pub kind: RuleKind,
    /// It raises no alerts of its own: a building block that a correlation
    /// reads without `generate: true`, or a rule the rule selection keeps
    /// only for a selected correlation that reads it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub quiet: bool,
}

/// A document that loaded, kept until [`RuleSetBuilder::build`].
#[derive(Debug)]
struct Loaded {
    doc: RuleDoc,
    path: String,
    /// Compiled detection (rules and filters).
    node: Option<Node>,
    /// Kept only because a selected correlation reads it: raises no alerts
    /// of its own (see [`crate::selection`]).
    quiet: bool,
}

/// Sigma v1 multi-document files: a document with `action: global` is merged
/// into every document after it (until `action: reset`), and `action: repeat`
/// repeats the document before it with its own keys on top. Mappings merge key by
/// key, recursively; anything else in the later document replaces the earlier
/// value. Files without `action` keys are returned unchanged.
fn expand_v1_actions(docs: Vec<yaml::Node>) -> Vec<yaml::Node> {
    let action = |doc: &yaml::Node| doc.get("action").and_then(yaml::Node::as_text);
    if !docs.iter().any(|d| action(d).is_some()) {
        return docs;
    }
    let mut out = Vec::with_capacity(docs.len());
    let mut global: Option<yaml::Node> = None;
    let mut previous: Option<yaml::Node> = None;
    for doc in docs.into_iter().filter(|d| d.value != yaml::Yaml::Null) {
        let kind = action(&doc);
        let body = without_key(doc, "action");
        let merged = match kind.as_deref() {
            Some("global") => {
                global = Some(body);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => match &previous {
                Some(prev) => merge_yaml(prev.clone(), body),
                None => body,
            },
            _ => match &global {
                Some(g) => merge_yaml(g.clone(), body),
                None => body,
            },
        };
        previous = Some(merged.clone());
        out.push(merged);
    }
    out
}

/// `node` without the mapping key `key`.
fn without_key(mut node: yaml::Node, key: &str) -> yaml::Node {
    if let yaml::Yaml::Map(pairs) = &mut node.value {
        pairs.retain(|(k, _)| !matches!(&k.value, yaml::Yaml::Str(s) if s == key));
    }
    node
}

/// `over` merged onto `base` (see [`expand_v1_actions`]).
fn merge_yaml(mut base: yaml::Node, over: yaml::Node) -> yaml::Node {
    match (&mut base.value, over.value) {
        (yaml::Yaml::Map(pairs), yaml::Yaml::Map(overs)) => {
            for (key, value) in overs {
                match pairs.iter_mut().find(|(k, _)| k.value == key.value) {
                    Some((_, existing)) => {
                        let old = std::mem::replace(
                            existing,
                            yaml::Node {
                                value: yaml::Yaml::Null,
                                line: value.line,
                            },
                        );
                        *existing = merge_yaml(old, value);
                    }
                    None => pairs.push((key, value)),
                }
            }
            base
        }
        (_, value) => yaml::Node {
            value,
            line: over.line,
        },
    }
}

/// Collects rule files, reporting each document as a [`LintRow`], then builds a
/// [`RuleSet`].
#[derive(Debug)]
pub struct RuleSetBuilder {
    options: SigmaOptions,
    pipelines: Vec<Pipeline>,
    loaded: Vec<Loaded>,
}

/// A pipeline file that could not be used (a configuration error).
#[derive(Debug, thiserror::Error)]
pub enum SigmaError {
    /// The pipeline file could not be read.
    #[error("cannot read pipeline {path}: {source}")]
    PipelineRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The pipeline file is not a valid pipeline.
    #[error("pipeline {path}: {error}")]
    PipelineInvalid {
        /// The file.
        path: PathBuf,
        /// Why, with line.
        error: String,
    },
}

impl RuleSetBuilder {
    /// A builder with the given options; reads and checks the pipeline files.
    pub fn new(options: SigmaOptions) -> Result<Self, SigmaError> {
        let mut pipelines = Vec::new();
        for path in &options.pipelines {
            let text =
                std::fs::read_to_string(path).map_err(|source| SigmaError::PipelineRead {
                    path: path.clone(),
                    source,
                })?;
            let pipeline = Pipeline::parse(&text, &path.display().to_string()).map_err(|e| {
                SigmaError::PipelineInvalid {
                    path: path.clone(),
                    error: e.to_string(),
                }
            })?;
            pipelines.push(pipeline);
        }
        Pipeline::sort(&mut pipelines);
        Ok(RuleSetBuilder {
            options,
            pipelines,
            loaded: Vec::new(),
        })
    }

    /// Adds a rule file, or every `.yml`/`.yaml` file under a folder (recursively,
    /// in path order, parsed and compiled in parallel).
    pub fn add_path(&mut self, path: &Path) -> Vec<LintRow> {
        let mut files = Vec::new();
        let mut rows = Vec::new();
        if path.is_dir() {
            collect_rule_files(path, &mut files, &mut rows);
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let results: Vec<(Vec<LintRow>, Vec<Loaded>)> = files
            .par_iter()
            .map(|file| {
                let origin = file.display().to_string();
                match read_rule_file(file) {
                    Ok(text) => self.parse_text(&text, &origin),
                    Err(error) => (vec![LintRow::error(&origin, "", "", &error)], Vec::new()),
                }
            })
            .collect();
        for (file_rows, loaded) in results {
            rows.extend(file_rows);
            self.loaded.extend(loaded);
        }
        rows
    }

    /// Adds rules from YAML text (one or more documents); `origin` names them.
    pub fn add_yaml(&mut self, text: &str, origin: &str) -> Vec<LintRow> {
        let (rows, loaded) = self.parse_text(text, origin);
        self.loaded.extend(loaded);
        rows
    }

    fn parse_text(&self, text: &str, origin: &str) -> (Vec<LintRow>, Vec<Loaded>) {
        let docs = match yaml::load(text) {
            Ok(docs) => docs,
            Err(e) => {
                let error = RuleError {
                    line: e.line,
                    message: format!("YAML: {}", e.message),
                };
                return (vec![LintRow::error(origin, "", "", &error)], Vec::new());
            }
        };
        let docs = expand_v1_actions(docs);
        let mut rows = Vec::new();
        let mut loaded = Vec::new();
        for node in docs.iter().filter(|d| d.value != yaml::Yaml::Null) {
            match self.load_doc(node, origin) {
                Ok(entry) => {
                    rows.push(LintRow::ok(origin, &entry.doc.id, &entry.doc.title));
                    loaded.push(entry);
                }
                Err((error, id, title)) => rows.push(LintRow::error(origin, &id, &title, &error)),
            }
        }
        (rows, loaded)
    }

    fn load_doc(
        &self,
        node: &yaml::Node,
        origin: &str,
    ) -> Result<Loaded, (RuleError, String, String)> {
        let mut doc = parse_doc(node)?;
        for pipeline in &self.pipelines {
            pipeline.apply(&mut doc);
        }
        // The compiled conditions are read at every event for the whole run:
        // long-lived memory (see [`allocator::long_lived`]); the YAML and
        // its temporaries are not.
        let compiled = allocator::long_lived(|| match &doc.body {
            Body::Detection(d) => Some(compile::compile_detection(d, &self.options.placeholders)),
            Body::Filter(f) => Some(compile::compile_detection(
                &f.detection,
                &self.options.placeholders,
            )),
            Body::Correlation(_) => None,
        });
        let node = match compiled {
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => return Err((e, doc.id.clone(), doc.title.clone())),
            None => None,
        };
        Ok(Loaded {
            doc,
            path: origin.to_owned(),
            node,
            quiet: false,
        })
    }

    /// Applies filters, resolves correlations and compiles the matcher. Problems
    /// found here (a correlation naming an unknown rule...) are in
    /// [`RuleSet::problems`].
    pub fn build(self) -> RuleSet {
        let (loaded, selection) = select(self.loaded, &self.options.selection);
        let unset = unset_placeholders(&loaded, &self.options.placeholders);
        let remember = self.options.remember_answers;
        let mut set = allocator::long_lived(|| Assembly::new(loaded, remember).finish());
        set.unset_placeholders = unset;
        set.selection = selection;
        set
    }
}

/// The documents `selection` uses (those kept quietly marked so), and what it
/// left out.
fn select(loaded: Vec<Loaded>, selection: &RuleSelection) -> (Vec<Loaded>, SelectionReport) {
    if selection.is_everything() {
        return (loaded, SelectionReport::default());
    }
    let docs: Vec<&RuleDoc> = loaded.iter().map(|l| &l.doc).collect();
    let choices = selection::choose(selection, &docs);
    let report = selection::report(&docs, &choices);
    let kept = loaded
        .into_iter()
        .zip(choices)
        .filter_map(|(mut entry, choice)| match choice {
            Choice::Used => Some(entry),
            Choice::Quiet | Choice::Silent => {
                entry.quiet = true;
                Some(entry)
            }
            Choice::Dropped(_) => None,
        })
        .collect();
    (kept, report)
}

/// Placeholders that `expand` values name but `[sigma] placeholders` does not
/// define, with the ids of the rules that use them: such values match nothing.
fn unset_placeholders(
    loaded: &[Loaded],
    defined: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    let mut unset: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in loaded {
        let detection = match &entry.doc.body {
            Body::Detection(d) => d,
            Body::Filter(f) => &f.detection,
            Body::Correlation(_) => continue,
        };
        let specs = detection
            .selections
            .iter()
            .flat_map(|(_, selection)| selection.groups.iter().flatten());
        for spec in specs.filter(|s| s.modifiers.iter().any(|m| m == "expand")) {
            for text in spec.values.iter().filter_map(|v| v.text()) {
                for name in text.split('%').skip(1).step_by(2) {
                    if !name.is_empty() && !defined.contains_key(name) {
                        let ids = unset.entry(name.to_owned()).or_default();
                        if !ids.contains(&entry.doc.id) {
                            ids.push(entry.doc.id.clone());
                        }
                    }
                }
            }
        }
    }
    unset
}

fn read_rule_file(path: &Path) -> Result<String, RuleError> {
    let len = std::fs::metadata(path)
        .map_err(|e| RuleError::new(format!("cannot read: {e}")))?
        .len();
    if len > yaml::MAX_YAML_BYTES as u64 {
        return Err(RuleError::new(format!(
            "file is {len} bytes, over the {} byte limit for a rule file",
            yaml::MAX_YAML_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| RuleError::new(format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        RuleError::new(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn collect_rule_files(dir: &Path, files: &mut Vec<PathBuf>, rows: &mut Vec<LintRow>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let error = RuleError::new(format!("cannot read folder: {e}"));
            rows.push(LintRow::error(&dir.display().to_string(), "", "", &error));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_rule_files(&path, files, rows);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        {
            files.push(path);
        }
    }
}

/// The loaded rules, ready to match.
#[derive(Debug)]
pub struct RuleSet {
    infos: Vec<RuleInfo>,
    shared: Arc<Shared>,
    problems: Vec<LintRow>,
    unset_placeholders: BTreeMap<String, Vec<String>>,
    selection: SelectionReport,
}

/// What every detector of one rule set shares (immutable, `Sync`).
#[derive(Debug)]
pub(crate) struct Shared {
    pub matcher: Matcher,
    pub detection_meta: Vec<SignalMeta>,
    /// Whether a detection rule raises its own alerts (`false` when a correlation
    /// uses it without `generate: true`).
    pub generate: Vec<bool>,
    pub correlations: Vec<CorrelationDef>,
    /// Whether a correlation raises its own alerts (`false` when the rule
    /// selection kept it only for a selected correlation that reads it).
    pub correlation_generate: Vec<bool>,
    pub correlation_meta: Vec<SignalMeta>,
}

impl RuleSet {
    /// The title of the detection rule the matcher numbers `index` (the
    /// numbers [`Matcher::match_event`] pushes), for profiling output.
    pub fn detection_title(&self, index: u32) -> Option<&str> {
        let meta = self.shared.detection_meta.get(index as usize)?;
        Some(meta.title())
    }

    /// Every loaded rule (detections, correlations, filters), in load order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// Problems found when building (unknown rule references, cycles).
    pub fn problems(&self) -> &[LintRow] {
        &self.problems
    }

    /// `expand` placeholders that rules use but `[sigma] placeholders` does not
    /// define (name -> ids of the rules): those values match nothing, which a
    /// user should be told rather than find out from a silent rule.
    pub fn unset_placeholders(&self) -> &BTreeMap<String, Vec<String>> {
        &self.unset_placeholders
    }

    /// What the rule selection left out, and what it kept quietly.
    pub fn selection(&self) -> &SelectionReport {
        &self.selection
    }

    /// The shared per-event matcher (`Sync`): for callers that parallelise matching
    /// themselves; pair it with [`Matcher::scratch`] per thread.
    pub fn matcher(&self) -> &Matcher {
        &self.shared.matcher
    }

    /// A detector over this rule set (its own correlation state and scratch).
    pub fn detector(&self) -> SigmaDetector {
        SigmaDetector::new(self.shared.clone())
    }
}

/// Turns loaded documents into the shared rule set.
struct Assembly {
    loaded: Vec<Loaded>,
    problems: Vec<LintRow>,
    remember_answers: bool,
}

impl Assembly {
    fn new(loaded: Vec<Loaded>, remember_answers: bool) -> Self {
        Assembly {
            loaded,
            problems: Vec::new(),
            remember_answers,
        }
    }

    fn problem(&mut self, entry: usize, message: String) {
        let l = &self.loaded[entry];
        self.problems.push(LintRow::error(
            &l.path,
            &l.doc.id,
            &l.doc.title,
            &RuleError::new(message),
        ));
    }

    fn finish(mut self) -> RuleSet {
        let mut infos: Vec<RuleInfo> = self.loaded.iter().map(info_of).collect();
        self.apply_filters();
        // Detection rules in load order become the matcher's rule indices.
        let detections: Vec<usize> = (0..self.loaded.len())
            .filter(|&i| matches!(self.loaded[i].doc.body, Body::Detection(_)))
            .collect();
        let correlation_entries: Vec<usize> = (0..self.loaded.len())
            .filter(|&i| matches!(self.loaded[i].doc.body, Body::Correlation(_)))
            .collect();
        let mut names: HashMap<&str, InputRef> = HashMap::new();
        for (index, &entry) in detections.iter().enumerate() {
            let doc = &self.loaded[entry].doc;
            for key in [Some(doc.id.as_str()), doc.name.as_deref()]
                .into_iter()
                .flatten()
            {
                names.entry(key).or_insert(InputRef::Rule(index as u32));
            }
        }
        for (index, &entry) in correlation_entries.iter().enumerate() {
            let doc = &self.loaded[entry].doc;
            for key in [Some(doc.id.as_str()), doc.name.as_deref()]
                .into_iter()
                .flatten()
            {
                names
                    .entry(key)
                    .or_insert(InputRef::Correlation(index as u32));
            }
        }
        let names: HashMap<String, InputRef> =
            names.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let mut generate: Vec<bool> = detections.iter().map(|&e| !self.loaded[e].quiet).collect();
        let correlation_generate: Vec<bool> = correlation_entries
            .iter()
            .map(|&e| !self.loaded[e].quiet)
            .collect();
        let mut correlations = Vec::new();
        let mut correlation_meta = Vec::new();
        let mut labels = Vec::new();
        for (index, &entry) in correlation_entries.iter().enumerate() {
            // Correlations refer to each other by position: one that cannot be
            // resolved keeps its place as an inert definition (no inputs).
            let def = match self.resolve_correlation(entry, index, &names) {
                Ok((def, suppress)) => {
                    for rule in suppress {
                        generate[rule as usize] = false;
                    }
                    def
                }
                Err(message) => {
                    self.problem(entry, message);
                    CorrelationDef::inert(index)
                }
            };
            correlations.push(def);
            correlation_meta.push(SignalMeta::of(&self.loaded[entry].doc, Vec::new()));
            let doc = &self.loaded[entry].doc;
            labels.push((
                self.loaded[entry].path.clone(),
                doc.id.clone(),
                doc.title.clone(),
            ));
        }
        let correlations = drop_cycles(correlations, &labels, &mut self.problems);
        // `rules list` says which rules raise no alerts of their own.
        for (&entry, &alerts) in detections.iter().zip(&generate) {
            infos[entry].quiet = !alerts;
        }
        for (&entry, &alerts) in correlation_entries.iter().zip(&correlation_generate) {
            infos[entry].quiet = !alerts;
        }
        let mut detection_meta = Vec::with_capacity(detections.len());
        let mut rules = Vec::with_capacity(detections.len());
        for &entry in &detections {
            let loaded = &mut self.loaded[entry];
            let node = loaded.node.take().unwrap_or(Node::Const(false));
            let mut items = Vec::new();
            node.collect_fields(&mut items);
            let evidence = items
                .iter()
                .take(6)
                .map(|item| (item.name.clone(), item.fields.clone()))
                .collect();
            detection_meta.push(SignalMeta::of(&loaded.doc, evidence));
            let mut codes = node.required_codes();
            if let Some(codes) = &mut codes {
                codes.sort_unstable();
                codes.dedup();
            }
            rules.push(MatchRule {
                route: Route::new(&loaded.doc.logsource),
                codes: codes.map(Vec::into_boxed_slice),
                node,
            });
        }
        let shared = Shared {
            matcher: Matcher::new(rules, self.remember_answers),
            detection_meta,
            generate,
            correlations,
            correlation_generate,
            correlation_meta,
        };
        RuleSet {
            infos,
            shared: Arc::new(shared),
            problems: self.problems,
            unset_placeholders: BTreeMap::new(),
            selection: SelectionReport::default(),
        }
    }

    /// ANDs each filter into the rules it names (or, with no `rules`, every rule of
    /// a matching logsource).
    fn apply_filters(&mut self) {
        let filters: Vec<(Vec<String>, LogsourceSpec, Node)> = self
            .loaded
            .iter_mut()
            .filter_map(|l| match &l.doc.body {
                Body::Filter(f) => Some((f.rules.clone(), l.doc.logsource.clone(), l.node.take()?)),
                _ => None,
            })
            .collect();
        for (targets, logsource, filter) in filters {
            for loaded in &mut self.loaded {
                if !matches!(loaded.doc.body, Body::Detection(_)) {
                    continue;
                }
                let doc = &loaded.doc;
                let named = targets.is_empty()
                    || targets
                        .iter()
                        .any(|t| *t == doc.id || doc.name.as_deref() == Some(t.as_str()));
                if !named || !logsource_covers(&logsource, &doc.logsource) {
                    continue;
                }
                if let Some(node) = loaded.node.take() {
                    loaded.node = Some(Node::And(Box::new([node, filter.clone()])));
                }
            }
        }
    }

    /// Resolves references and group-by aliases; returns the definition and the
    /// rules whose own alerts it suppresses.
    fn resolve_correlation(
        &self,
        entry: usize,
        meta: usize,
        names: &HashMap<String, InputRef>,
    ) -> Result<(CorrelationDef, Vec<u32>), String> {
        let Body::Correlation(spec) = &self.loaded[entry].doc.body else {
            return Err("not a correlation".into());
        };
        let mut inputs = Vec::new();
        let mut suppress = Vec::new();
        for reference in &spec.rules {
            let source = *names
                .get(reference)
                .ok_or_else(|| format!("correlation names unknown rule `{reference}`"))?;
            let field_of = |name: &str| -> String {
                spec.aliases
                    .get(name)
                    .and_then(|per_rule| per_rule.get(reference))
                    .cloned()
                    .unwrap_or_else(|| name.to_owned())
            };
            let group_fields = spec
                .group_by
                .iter()
                .map(|g| {
                    let field = field_of(g);
                    let refs = resolve_field(&field);
                    match source {
                        InputRef::Rule(_) => (field, refs),
                        InputRef::Correlation(_) => (g.clone(), refs),
                    }
                })
                .collect();
            let value_field = spec.field.as_ref().map(|f| {
                let field = field_of(f);
                let refs = resolve_field(&field);
                (field, refs)
            });
            if let (InputRef::Rule(r), false) = (source, spec.generate) {
                suppress.push(r);
            }
            inputs.push(InputSpec {
                source,
                group_fields,
                value_field,
            });
        }
        Ok((
            CorrelationDef {
                meta,
                kind: spec.kind,
                group_by: spec.group_by.clone(),
                timespan_us: spec.timespan_s.saturating_mul(1_000_000),
                bounds: spec.bounds.clone(),
                percentile: spec.percentile,
                inputs,
            },
            suppress,
        ))
    }
}

/// Removes correlations that (transitively) reference themselves, reporting each
/// with its chain (`a -> b -> a`, by id). `labels` are (path, id, title) by
/// position.
fn drop_cycles(
    defs: Vec<CorrelationDef>,
    labels: &[(String, String, String)],
    problems: &mut Vec<LintRow>,
) -> Vec<CorrelationDef> {
    let refs: Vec<Vec<usize>> = defs
        .iter()
        .map(|d| {
            d.inputs
                .iter()
                .filter_map(|i| match i.source {
                    InputRef::Correlation(c) => Some(c as usize),
                    InputRef::Rule(_) => None,
                })
                .collect()
        })
        .collect();
    let cycles: Vec<Option<Vec<usize>>> = (0..defs.len()).map(|i| cycle_from(i, &refs)).collect();
    if cycles.iter().all(Option::is_none) {
        return defs;
    }
    let name = |i: usize| {
        labels
            .get(i)
            .map(|(_, id, title)| {
                if id.is_empty() {
                    title.clone()
                } else {
                    id.clone()
                }
            })
            .unwrap_or_else(|| format!("#{i}"))
    };
    // Positions are kept: cyclic correlations become inert (no inputs).
    defs.into_iter()
        .zip(cycles)
        .enumerate()
        .map(|(i, (mut def, cycle))| {
            if let Some(chain) = cycle {
                let chain: Vec<String> = chain.into_iter().map(name).collect();
                let (path, id, title) = labels.get(i).cloned().unwrap_or_default();
                problems.push(LintRow {
                    path,
                    id,
                    title,
                    status: "error",
                    error: Some(format!(
                        "correlation chain refers back to itself: {}",
                        chain.join(" -> ")
                    )),
                });
                def.inputs.clear();
            }
            def
        })
        .collect()
}

/// The chain `start -> ... -> start` through correlation references, if any
/// (depth-first, bounded by the number of correlations).
fn cycle_from(start: usize, refs: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut seen = vec![false; refs.len()];
    let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, vec![start])];
    while let Some((node, path)) = stack.pop() {
        for &next in refs.get(node).into_iter().flatten() {
            if next == start {
                let mut chain = path.clone();
                chain.push(start);
                return Some(chain);
            }
            if next < refs.len() && !seen[next] {
                seen[next] = true;
                let mut longer = path.clone();
                longer.push(next);
                stack.push((next, longer));
            }
        }
    }
    None
}

/// Whether a filter's logsource covers a rule's (every part the filter names agrees).
fn logsource_covers(filter: &LogsourceSpec, rule: &LogsourceSpec) -> bool {
    let ok = |f: &Option<String>, r: &Option<String>| f.is_none() || f == r;
    ok(&filter.product, &rule.product)
        && ok(&filter.category, &rule.category)
        && ok(&filter.service, &rule.service)
}

fn info_of(loaded: &Loaded) -> RuleInfo {
    let doc = &loaded.doc;
    RuleInfo {
        id: doc.id.clone(),
        title: doc.title.clone(),
        level: doc.level.clone(),
        tags: doc.tags.clone(),
        logsource: doc.logsource.to_string(),
        author: doc.author.clone(),
        path: loaded.path.clone(),
        status: doc.status.clone(),
        kind: doc.kind(),
        // Set from what the assembly decides (see `Assembly::finish`).
        quiet: false,
    }
}
