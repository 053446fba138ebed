//! Cloud trails from the shared public data (`../shared/data/cloud`), when present;
//! skipped with a message otherwise.

use engine::{HuntOptions, hunt};
use std::path::PathBuf;

fn shared_cloud() -> Option<PathBuf> {
    let dir = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("cloud");
    dir.is_dir().then_some(dir)
}

/// OTRF's CloudTrail trail of an S3 theft: an EC2 instance role's credentials,
/// taken through a proxy, used from a macOS workstation to list the buckets and
/// copy objects out. It must become one escalated incident on the stolen role,
/// with the GetObject calls among its evidence.
#[test]
fn otrf_s3_theft_is_one_escalated_incident_on_the_stolen_role() {
    let Some(cloud) = shared_cloud() else {
        println!("skipped: shared cloud data not found");
        return;
    };
    let trail = cloud.join("aws-ec2-proxy-s3-exfil");
    let outcome = hunt(&[trail], &HuntOptions::default(), &mut |_| {}).expect("hunt runs");
    assert_eq!(outcome.incidents.len(), 1, "{:#?}", outcome.incidents);
    let incident = serde_json::to_value(&outcome.incidents[0]).unwrap();
    assert_eq!(incident["triage.decision"], "escalate");
    let user = incident["user.name"].as_str().unwrap_or_default();
    assert!(
        user.contains("MordorNginxStack-BankingWAFRole"),
        "incident keyed on {user}"
    );
    let text = serde_json::to_string(&outcome.alerts).unwrap();
    let get_objects = outcome
        .alerts
        .iter()
        .filter(|a| {
            serde_json::to_string(&a.evidence)
                .unwrap()
                .contains("GetObject")
        })
        .count();
    assert!(
        get_objects >= 2,
        "GetObject calls not in evidence: {text:.2000}"
    );
}
