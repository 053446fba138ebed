//! `port`: transfer protocols to the internet (FTP, SSH/SCP/SFTP, SMB, TFTP, rsync)
//! and protocols on a port they do not belong to (SSH on 443, raw TCP uploads to
//! odd ports). One signal per (host, destination, port) per `realert_hours`; one
//! seen on `routine_days` earlier days is the host's routine and is not raised.

use crate::config::PortConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::pair_key;
use crate::routine::Routine;
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage};

/// Most (host, destination, port) entries remembered for de-duplication.
const MAX_SEEN: usize = 200_000;

/// The transfer protocol a well-known port stands for.
pub fn transfer_protocol(port: u16) -> Option<(&'static str, u8)> {
    Some(match port {
        20 | 21 => ("FTP", 65),
        989 | 990 => ("FTPS", 60),
        22 => ("SSH (SCP/SFTP)", 45),
        69 => ("TFTP", 70),
        139 | 445 => ("SMB", 75),
        873 => ("rsync", 60),
        2049 => ("NFS", 70),
        _ => return None,
    })
}

/// Ports where an application protocol is expected.
fn expected_ports(protocol: &str) -> Option<&'static [u16]> {
    Some(match protocol {
        "http" => &[80, 8080, 8000, 8008, 8888, 3128, 591],
        "ssl" | "tls" | "https" => &[443, 8443, 993, 995, 465, 636, 853, 5061, 9443, 4443],
        "ssh" => &[22, 2222],
        "ftp" | "ftp-data" => &[20, 21],
        "dns" => &[53, 5353],
        "smtp" => &[25, 465, 587, 2525],
        "smb" => &[139, 445],
        _ => return None,
    })
}

const WEB_PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// The `port` detector.
pub struct PortDetector {
    config: PortConfig,
    networks: FastNetworks,
    routine: Routine,
}

impl PortDetector {
    /// Builds the detector.
    pub fn new(config: PortConfig, networks: Networks) -> Self {
        PortDetector {
            config,
            networks: FastNetworks::new(&networks),
            routine: Routine::new(MAX_SEEN),
        }
    }

    fn verdict(
        &self,
        t: &Transfer<'_>,
    ) -> Option<(&'static str, String, u8, &'static [&'static str])> {
        let port = t.port?;
        let protocol = t
            .event
            .network
            .as_deref()
            .and_then(|n| n.protocol.as_deref())
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty() && p != "-");
        if let Some(protocol) = &protocol {
            let first = protocol.split(',').next().unwrap_or(protocol);
            if let Some(ports) = expected_ports(first)
                && !ports.contains(&port)
            {
                return Some((
                    "exfilguard.port.protocol_mismatch",
                    format!(
                        "{} over port {port}, where it does not belong",
                        first.to_uppercase()
                    ),
                    60,
                    &["T1020", "T1571", "T1048"],
                ));
            }
        }
        if let Some((name, score)) = transfer_protocol(port) {
            return Some((
                "exfilguard.port.transfer_protocol",
                format!("{name} transfer to the internet (port {port})"),
                score,
                &["T1020", "T1048"],
            ));
        }
        let transport = t
            .event
            .network
            .as_deref()
            .and_then(|n| n.transport.as_deref());
        if protocol.is_none()
            && transport.is_some_and(|tr| tr.eq_ignore_ascii_case("tcp"))
            && !WEB_PORTS.contains(&port)
            && t.bytes_out >= self.config.min_bytes.saturating_mul(10)
        {
            return Some((
                "exfilguard.port.raw_tcp",
                format!("Upload over raw TCP to port {port} (no known protocol)"),
                50,
                &["T1020", "T1095", "T1048"],
            ));
        }
        None
    }
}

impl Detector for PortDetector {
    fn name(&self) -> &str {
        "port"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }
}

impl Member for PortDetector {
    /// The days each (host, destination, port) was seen: its routine.
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        self.routine.load(store, "port.routine")
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        self.routine.save(snapshot, "port.routine");
    }

    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        let Some(t) = transfer else {
            return;
        };
        if t.bytes_out < self.config.min_bytes {
            return;
        }
        let Some((rule_id, title, score, techniques)) = self.verdict(t) else {
            return;
        };
        let key = pair_key(pair_key(t.host_key, t.dest_key), t.port.unwrap_or(0) as u64);
        let now = t.ts.secs();
        let days_before = self.routine.observe(key, now);
        if days_before as u32 >= self.config.routine_days
            || !self
                .routine
                .should_alert(key, now, self.config.realert_hours as i64 * 3600)
        {
            return;
        }
        let mut signal = new_signal(
            "port",
            rule_id,
            &format!("{title}: {} out", human_bytes(t.bytes_out as f64)),
            t.ts,
            Stage::Exfiltration,
            techniques,
        );
        t.describe(&mut signal);
        signal.set_score(score);
        signal.bytes_out = Some(t.bytes_out);
        signal.transfers = Some(1);
        if let Some(n) = t.event.network.as_deref() {
            if let Some(p) = &n.protocol {
                signal.evidence.insert("protocol".into(), p.clone().into());
            }
            if let Some(tr) = &n.transport {
                signal
                    .evidence
                    .insert("transport".into(), tr.clone().into());
            }
        }
        signal.evidence.insert("bytes_in".into(), t.bytes_in.into());
        signal
            .evidence
            .insert("earlier_days_seen".into(), days_before.into());
        signal.add_record(event.origin.as_ref());
        signal.assign_id();
        out.push(signal);
    }
}
