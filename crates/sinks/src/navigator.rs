//! An ATT&CK Navigator layer (layer format 4.5) of the techniques seen, scored by
//! the number of incidents that show them.

use crate::{Collected, Record, RunSummary, Sink, SinkError};
use model::{Decision, Incident};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Writes a Navigator layer JSON file when the run finishes.
pub struct NavigatorSink {
    path: PathBuf,
    collected: Collected,
}

impl NavigatorSink {
    /// A layer written to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        NavigatorSink {
            path: path.into(),
            collected: Collected::default(),
        }
    }
}

impl Sink for NavigatorSink {
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        if let Record::Incident(_) = record {
            self.collected.add(record);
        }
        Ok(())
    }

    fn finish(&mut self, _summary: Option<&RunSummary>) -> Result<(), SinkError> {
        let layer = navigator_layer(&self.collected.incidents);
        let text = serde_json::to_string_pretty(&layer)?;
        std::fs::write(&self.path, text + "\n")
            .map_err(|e| SinkError::io(self.path.display().to_string(), e))
    }
}

#[derive(Default)]
struct Seen {
    incidents: u64,
    escalated: u64,
    hosts: std::collections::BTreeSet<String>,
}

/// The layer: one entry per technique id with `score` = incidents showing it and a
/// comment naming how many were escalated and on which hosts. Parents of
/// sub-techniques are listed with `showSubtechniques` so the sub-technique is
/// visible. Sorted by id, so the file is the same for the same incidents.
pub fn navigator_layer(incidents: &[Incident]) -> Value {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for incident in incidents {
        let host = incident
            .host_name
            .clone()
            .or_else(|| incident.host_ip.map(|ip| ip.to_string()))
            .or_else(|| incident.user_name.clone())
            .unwrap_or_else(|| "-".into());
        for technique in &incident.techniques {
            let entry = seen.entry(technique.clone()).or_default();
            entry.incidents += 1;
            entry.escalated += u64::from(incident.triage.decision == Decision::Escalate);
            entry.hosts.insert(host.clone());
        }
    }
    let max = seen.values().map(|s| s.incidents).max().unwrap_or(1);
    let parents: std::collections::BTreeSet<&str> = seen
        .keys()
        .filter_map(|t| t.split_once('.').map(|(p, _)| p))
        .collect();
    let mut techniques: Vec<Value> = seen
        .iter()
        .map(|(id, s)| {
            let hosts: Vec<&str> = s.hosts.iter().map(String::as_str).take(10).collect();
            json!({
                "techniqueID": id,
                "score": s.incidents,
                "color": "",
                "comment": format!(
                    "{}: {} incident(s), {} escalated; hosts: {}",
                    model::attack::technique_name(id).unwrap_or(id),
                    s.incidents,
                    s.escalated,
                    hosts.join(", ")
                ),
                "enabled": true,
                "metadata": [],
                "links": [],
                "showSubtechniques": parents.contains(id.as_str()),
            })
        })
        .collect();
    for parent in &parents {
        if !seen.contains_key(*parent) {
            techniques.push(json!({
                "techniqueID": parent,
                "enabled": true,
                "comment": "parent of a technique seen",
                "metadata": [],
                "links": [],
                "showSubtechniques": true,
            }));
        }
    }
    techniques.sort_by(|a, b| a["techniqueID"].as_str().cmp(&b["techniqueID"].as_str()));
    json!({
        "name": "exfilguard incidents",
        "versions": {"attack": "16", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!("Techniques seen in {} exfilguard incident(s); score = incidents showing the technique.", incidents.len()),
        "filters": {"platforms": ["Windows", "Linux", "macOS", "Network", "IaaS", "SaaS", "Office Suite", "Identity Provider"]},
        "sorting": 3,
        "layout": {"layout": "side", "aggregateFunction": "max", "showID": true, "showName": true, "showAggregateScores": false, "countUnscored": false},
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#fff7e6", "#ff8c42", "#c0262d"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "metadata": [],
        "links": [],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false
    })
}
