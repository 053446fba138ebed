//! `offhours`: a host sends data outside the business calendar (evenings, nights,
//! weekends, holidays in `[calendar] timezone`), more than `min_bytes` within one
//! hour, at an hour of day when it does not usually do so. A host that sent that
//! much at the same local hour on `habitual_days` earlier days (a nightly backup)
//! is following its routine. 1970 clocks are never judged (counted in [`Stats`]).

use crate::calendar::{CachedCalendar, Calendar, WorkTime};
use crate::config::OffhoursConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::U64Map;
use crate::state::{Stats, evict_coldest};
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};

const MAX_HOSTS: usize = 200_000;

#[derive(Clone, Debug, Default)]
struct HostHabit {
    hour_index: i64,
    hour_bytes: u64,
    alerted: bool,
    /// Days on which the host sent `min_bytes` in this local hour of day.
    days_at_hour: [u16; 24],
    /// The local day last counted per hour of day.
    last_day_at_hour: [i32; 24],
    last_seen: i64,
}

/// The `offhours` detector.
pub struct OffhoursDetector {
    config: OffhoursConfig,
    calendar: CachedCalendar,
    networks: FastNetworks,
    stats: Stats,
    hosts: U64Map<HostHabit>,
}

impl OffhoursDetector {
    /// Builds the detector.
    pub fn new(
        config: OffhoursConfig,
        calendar: Calendar,
        networks: Networks,
        stats: Stats,
    ) -> Self {
        OffhoursDetector {
            config,
            calendar: CachedCalendar::new(calendar),
            networks: FastNetworks::new(&networks),
            stats,
            hosts: U64Map::default(),
        }
    }

    fn signal(&self, t: &Transfer<'_>, when: WorkTime, bytes: u64, habit_days: u16) -> Signal {
        let local = self
            .calendar
            .calendar()
            .local(t.ts)
            .map(|l| l.format("%a %Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_default();
        let mut signal = new_signal(
            "offhours",
            "exfilguard.offhours.transfer",
            &format!(
                "{} sent outside business hours ({}, {local})",
                human_bytes(bytes as f64),
                when.as_str().replace('_', " ")
            ),
            t.ts,
            Stage::Exfiltration,
            &["T1020", "T1029"],
        );
        t.describe(&mut signal);
        let score = match when {
            WorkTime::Holiday | WorkTime::Weekend => 50,
            _ => 45,
        } + if bytes >= 100 * self.config.min_bytes {
            10
        } else {
            0
        };
        signal.set_score(score);
        signal.bytes_out = Some(bytes);
        let e = &mut signal.evidence;
        e.insert("calendar".into(), when.as_str().into());
        e.insert("local_time".into(), local.into());
        e.insert(
            "timezone".into(),
            self.calendar.calendar().timezone().name().into(),
        );
        e.insert("bytes_this_hour".into(), bytes.into());
        e.insert("days_host_sent_at_this_hour".into(), habit_days.into());
        signal.add_record(t.event.origin.as_ref());
        signal.assign_id();
        signal
    }
}

impl Detector for OffhoursDetector {
    fn name(&self) -> &str {
        "offhours"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network, EventKind::Http])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn advance(&mut self, _watermark: Timestamp, _out: &mut Vec<Signal>) {
        if self.hosts.len() > MAX_HOSTS {
            let evicted = evict_coldest(&mut self.hosts, 0.1, |h| h.last_seen);
            self.stats.add_evictions(evicted);
        }
    }
}

/// Scope of the hosts' habits in the state file.
const SCOPE_HOSTS: &str = "offhours.hosts";

impl HostHabit {
    fn encode(&self) -> Vec<u8> {
        let mut w = crate::persist::Writer::default();
        w.i64(self.hour_index)
            .u64(self.hour_bytes)
            .u8(self.alerted as u8)
            .i64(self.last_seen);
        for h in 0..24 {
            w.u16(self.days_at_hour[h])
                .u32(self.last_day_at_hour[h] as u32);
        }
        w.finish()
    }

    fn decode(data: &[u8]) -> Result<HostHabit, String> {
        let mut r = crate::persist::Reader::new(data)?;
        let mut h = HostHabit {
            hour_index: r.i64()?,
            hour_bytes: r.u64()?,
            alerted: r.u8()? != 0,
            last_seen: r.i64()?,
            ..HostHabit::default()
        };
        for hod in 0..24 {
            h.days_at_hour[hod] = r.u16()?;
            h.last_day_at_hour[hod] = r.u32()? as i32;
        }
        r.end()?;
        Ok(h)
    }
}

impl Member for OffhoursDetector {
    /// Each host's days with large sends per local hour (its routine).
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        store.each_blob(SCOPE_HOSTS, |row| {
            let habit = HostHabit::decode(&row.data)?;
            self.hosts.insert(row.key, habit);
            Ok(())
        })?;
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let rows = self
            .hosts
            .iter()
            .map(|(key, h)| store::Blob {
                key: *key,
                last_seen: h.last_seen,
                data: h.encode(),
            })
            .collect();
        snapshot.blobs(SCOPE_HOSTS, rows);
    }

    fn observe_with(
        &mut self,
        _event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        let Some(t) = transfer else {
            return;
        };
        if t.bytes_out == 0 {
            return;
        }
        let facts = self.calendar.facts(t.ts);
        let when = facts.work;
        if when == WorkTime::Unknown {
            self.stats.add_clock_unset();
            return;
        }
        let hour_index = t.ts.secs().div_euclid(3600);
        let hod = facts.hour_of_day;
        let day = facts.local_day as i32;
        let min_bytes = self.config.min_bytes;
        let habitual = self.config.habitual_days;
        let host = self.hosts.entry(t.host_key).or_default();
        host.last_seen = t.ts.secs();
        if hour_index != host.hour_index {
            host.hour_index = hour_index;
            host.hour_bytes = 0;
            host.alerted = false;
        }
        host.hour_bytes = host.hour_bytes.saturating_add(t.bytes_out);
        if host.hour_bytes < min_bytes || host.alerted {
            return;
        }
        host.alerted = true;
        let habit_days = host.days_at_hour[hod];
        if host.last_day_at_hour[hod] != day {
            host.last_day_at_hour[hod] = day;
            host.days_at_hour[hod] = host.days_at_hour[hod].saturating_add(1);
        }
        let bytes = host.hour_bytes;
        if when.is_off() && (habit_days as u32) < habitual {
            let signal = self.signal(t, when, bytes, habit_days);
            out.push(signal);
        }
    }
}
