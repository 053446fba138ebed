//! The benign organisation: what every host does on an ordinary day.
//!
//! * Workstations on working days: the user arrives between 08:00 and 09:30 and
//!   leaves between 16:30 and 18:30; browsing of a personal set of favourite sites,
//!   mail polling and a few sent attachments, small cloud-sync uploads to the
//!   sanctioned tenant, and an IT inventory script on some hosts.
//! * Heavy uploaders (about one user in ten): two or three large uploads a day in
//!   business hours, alternately to the print shop and to the sanctioned sync tenant.
//! * Every night, every workstation's updater checks the update vendor at about
//!   03:00 (a scheduled, automated, off-hours transfer that must stay benign), and the
//!   backup server ships 12-20 GB to the same offsite vault at about 01:00.
//! * Linux servers run their daily cron jobs and fetch package lists over HTTP.
//! * Unmanaged devices browse a little and report to their vendor cloud.
//! * Weekends are quiet: only the nightly jobs and sync heartbeats.

use crate::build::{DAY, Flow, HOUR, MINUTE, Recorder, SEC, at, between, tag};
use crate::org::{self, Host, Role};
use crate::record::{EndpointKind, HostId};
use crate::rng::{Rng, label};
use model::Timestamp;

/// What benign generation needs to know about the run.
#[derive(Clone, Copy, Debug)]
pub struct DayContext {
    /// Run seed.
    pub seed: u64,
    /// Day index from the start.
    pub day: u64,
    /// Midnight UTC of the day.
    pub day_start: Timestamp,
    /// Monday to Friday.
    pub working_day: bool,
}

/// Generates one host's benign records for one day.
pub fn host_day(hosts: &[Host], id: HostId, ctx: DayContext, out: &mut Recorder) {
    let host = &hosts[id];
    let mut rng = Rng::derive(ctx.seed, &[label("benign"), id as u64, ctx.day]);
    match host.role {
        Role::Workstation => {
            nightly_update(&mut rng, host, id, ctx, out);
            if ctx.working_day {
                workstation_working_day(&mut rng, host, id, ctx, out);
            } else {
                sync_heartbeats(&mut rng, id, ctx, out);
            }
        }
        Role::BackupServer => nightly_backup(&mut rng, host, id, ctx, out),
        Role::LinuxServer => linux_daily(&mut rng, host, id, ctx, out),
        Role::Unmanaged => unmanaged_day(&mut rng, id, ctx, out),
    }
}

fn workstation_working_day(
    rng: &mut Rng,
    host: &Host,
    id: HostId,
    ctx: DayContext,
    out: &mut Recorder,
) {
    let arrive = Timestamp(at(ctx.day_start, 8, 0).0 + rng.range(0, 90) as i64 * MINUTE);
    let leave = Timestamp(at(ctx.day_start, 16, 30).0 + rng.range(0, 120) as i64 * MINUTE);
    let explorer = "C:\\Windows\\explorer.exe";
    let chrome = tag(
        rng,
        host,
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        None,
    );
    let outlook = tag(
        rng,
        host,
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        None,
    );
    let sync = tag(
        rng,
        host,
        "C:\\Program Files\\SyncCloud\\SyncCloud.exe",
        None,
    );
    out.process(
        id,
        Timestamp(arrive.0 + 20 * SEC),
        &sync,
        "\"C:\\Program Files\\SyncCloud\\SyncCloud.exe\" /background",
        explorer,
    );
    out.process(
        id,
        Timestamp(arrive.0 + 45 * SEC),
        &outlook,
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\"",
        explorer,
    );
    out.process(
        id,
        Timestamp(arrive.0 + 90 * SEC),
        &chrome,
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
        explorer,
    );
    let visits = rng.range(25, 45);
    browse(rng, id, arrive, leave, visits, out);
    mail(rng, id, arrive, leave, &outlook, out);
    sync_small(rng, id, arrive, leave, out);
    if host.heavy_uploader {
        heavy_uploads(rng, host, id, arrive, leave, &sync, out);
    }
    if id % 5 == 1 {
        inventory_script(rng, host, id, Timestamp(arrive.0 + 10 * MINUTE), out);
    }
}

/// Browsing: each visit is a lookup (once per site per visit) and one to three TLS
/// connections; mostly favourite sites, sometimes any of the catalogue.
fn browse(
    rng: &mut Rng,
    id: HostId,
    from: Timestamp,
    to: Timestamp,
    visits: u64,
    out: &mut Recorder,
) {
    let favourites: Vec<usize> = (0..12).map(|_| rng.range(0, 199) as usize).collect();
    for _ in 0..visits {
        let site = if rng.chance(0.8) {
            *rng.pick(&favourites)
        } else {
            rng.range(0, 199) as usize
        };
        let service = org::website(site);
        let start = between(rng, from, to);
        for n in 0..rng.range(1, 3) {
            let flow = Flow::new(
                Timestamp(start.0 + n as i64 * rng.range(50_000, 900_000) as i64),
                rng.uniform(0.2, 30.0),
                rng.log_uniform(600, 12_000),
                rng.log_uniform(5_000, 1_500_000),
            );
            out.tls_to(rng, id, &service, flow, None, n == 0);
        }
    }
}

/// Mail: a poll every 10-20 minutes while the user is in, and two to five sent
/// messages with attachments of 20 KB to 5 MB.
fn mail(
    rng: &mut Rng,
    id: HostId,
    from: Timestamp,
    to: Timestamp,
    outlook: &crate::record::ProcessTag,
    out: &mut Recorder,
) {
    let service = org::mail_service();
    let mut t = from;
    let mut first = true;
    while t < to {
        let flow = Flow::new(
            t,
            rng.uniform(0.5, 3.0),
            rng.range(1_000, 4_000),
            rng.log_uniform(2_000, 30_000),
        );
        out.tls_to(rng, id, &service, flow, None, first);
        first = false;
        t = Timestamp(t.0 + rng.range(10, 20) as i64 * MINUTE);
    }
    for _ in 0..rng.range(2, 5) {
        let start = between(rng, from, to);
        let flow = Flow::new(
            start,
            rng.uniform(1.0, 20.0),
            rng.log_uniform(20_000, 5_000_000),
            rng.range(800, 3_000),
        );
        out.tls_to(rng, id, &service, flow, Some(outlook.clone()), false);
    }
}

/// Small uploads to the sanctioned sync tenant every 15-30 minutes.
fn sync_small(rng: &mut Rng, id: HostId, from: Timestamp, to: Timestamp, out: &mut Recorder) {
    let service = org::sync_service();
    let mut t = Timestamp(from.0 + rng.range(1, 15) as i64 * MINUTE);
    let mut first = true;
    while t < to {
        let flow = Flow::new(
            t,
            rng.uniform(0.5, 8.0),
            rng.log_uniform(2_000, 300_000),
            rng.range(1_000, 20_000),
        );
        out.tls_to(rng, id, &service, flow, None, first);
        first = false;
        t = Timestamp(t.0 + rng.range(15, 30) as i64 * MINUTE);
    }
}

/// Weekend sync heartbeats every one to two hours.
fn sync_heartbeats(rng: &mut Rng, id: HostId, ctx: DayContext, out: &mut Recorder) {
    let service = org::sync_service();
    let mut t = Timestamp(ctx.day_start.0 + rng.range(0, 60) as i64 * MINUTE);
    let end = Timestamp(ctx.day_start.0 + DAY);
    while t < end {
        let flow = Flow::new(
            t,
            rng.uniform(0.2, 2.0),
            rng.range(500, 3_000),
            rng.range(500, 3_000),
        );
        out.tls_to(rng, id, &service, flow, None, true);
        t = Timestamp(t.0 + rng.range(60, 120) as i64 * MINUTE);
    }
}

/// The habitual large uploads of a heavy uploader: two or three a day in business
/// hours, 200 MB to 1.2 GB each, alternately to the print shop (browser) and the
/// sync tenant.
fn heavy_uploads(
    rng: &mut Rng,
    host: &Host,
    id: HostId,
    from: Timestamp,
    to: Timestamp,
    sync: &crate::record::ProcessTag,
    out: &mut Recorder,
) {
    let chrome = tag(
        rng,
        host,
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        None,
    );
    for n in 0..rng.range(2, 3) {
        let start = between(rng, Timestamp(from.0 + HOUR), Timestamp(to.0 - HOUR));
        let bytes = rng.range(200_000_000, 1_200_000_000);
        let flow = Flow::new(
            start,
            bytes as f64 / rng.uniform(4e6, 12e6),
            bytes,
            rng.range(20_000, 200_000),
        );
        if n % 2 == 0 {
            out.tls_to(
                rng,
                id,
                &org::print_shop_service(),
                flow,
                Some(chrome.clone()),
                true,
            );
        } else {
            out.tls_to(
                rng,
                id,
                &org::sync_service(),
                flow,
                Some(sync.clone()),
                true,
            );
        }
    }
}

/// An IT inventory script: PowerShell from a share, writing a CSV back to it.
fn inventory_script(rng: &mut Rng, host: &Host, id: HostId, ts: Timestamp, out: &mut Recorder) {
    let ps = tag(
        rng,
        host,
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        None,
    );
    let script = "\\\\fs01.corp.example\\it$\\inventory.ps1";
    out.process(
        id,
        ts,
        &ps,
        &format!("powershell.exe -NoProfile -ExecutionPolicy Bypass -File {script}"),
        "C:\\Windows\\System32\\svchost.exe",
    );
    out.endpoint(
        id,
        Timestamp(ts.0 + 2 * SEC),
        EndpointKind::ScriptBlock {
            text: "$os = Get-CimInstance Win32_OperatingSystem\r\n$sw = Get-ItemProperty HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\* | Select-Object DisplayName, DisplayVersion\r\n$sw | Export-Csv -NoTypeInformation \"\\\\fs01.corp.example\\inventory$\\$env:COMPUTERNAME.csv\"".into(),
            path: script.into(),
        },
    );
}

/// The nightly update check at about 03:00: scheduled, automated and off-hours,
/// mostly downloads (5-120 MB in, 20-60 KB out) from the same vendor every night.
fn nightly_update(rng: &mut Rng, host: &Host, id: HostId, ctx: DayContext, out: &mut Recorder) {
    let start = Timestamp(at(ctx.day_start, 3, 0).0 + rng.range(0, 30 * 60) as i64 * SEC);
    let updater = tag(
        rng,
        host,
        "C:\\Program Files\\UpdateVendor\\updater.exe",
        Some("NT AUTHORITY\\SYSTEM"),
    );
    out.process(
        id,
        start,
        &updater,
        "\"C:\\Program Files\\UpdateVendor\\updater.exe\" /silent /check",
        "C:\\Windows\\System32\\svchost.exe",
    );
    let bytes_in = rng.log_uniform(5_000_000, 120_000_000);
    let flow = Flow::new(
        Timestamp(start.0 + 3 * SEC),
        bytes_in as f64 / 20e6,
        rng.range(20_000, 60_000),
        bytes_in,
    );
    out.tls_to(rng, id, &org::update_service(), flow, Some(updater), true);
}

/// The nightly offsite backup at about 01:00: four parallel streams, 12-20 GB in all,
/// always to the same vault.
fn nightly_backup(rng: &mut Rng, host: &Host, id: HostId, ctx: DayContext, out: &mut Recorder) {
    let start = Timestamp(at(ctx.day_start, 1, 0).0 + rng.range(0, 600) as i64 * SEC);
    let agent = tag(
        rng,
        host,
        "C:\\Program Files\\OffsiteBackup\\obagent.exe",
        Some("CORP\\svc_backup"),
    );
    out.process(
        id,
        start,
        &agent,
        "\"C:\\Program Files\\OffsiteBackup\\obagent.exe\" --job nightly --target vault.offsite-backup.example",
        "C:\\Windows\\System32\\services.exe",
    );
    let total = rng.range(12_000_000_000, 20_000_000_000);
    for stream in 0..4 {
        let bytes = total / 4;
        let flow = Flow::new(
            Timestamp(start.0 + (5 + stream) * SEC),
            bytes as f64 / rng.uniform(2.5e6, 3.5e6),
            bytes,
            rng.range(200_000, 2_000_000),
        );
        out.tls_to(
            rng,
            id,
            &org::backup_service(),
            flow,
            Some(agent.clone()),
            stream == 0,
        );
    }
}

/// A Linux server's day: cron.daily at 06:25 and an apt-get update over HTTP.
fn linux_daily(rng: &mut Rng, host: &Host, id: HostId, ctx: DayContext, out: &mut Recorder) {
    let start = Timestamp(at(ctx.day_start, 6, 25).0 + rng.range(0, 59) as i64 * SEC);
    let shell = tag(rng, host, "/bin/sh", Some("root"));
    out.process(
        id,
        start,
        &shell,
        "/bin/sh -c test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
        "/usr/sbin/cron",
    );
    let logrotate = tag(rng, host, "/usr/sbin/logrotate", Some("root"));
    out.process(
        id,
        Timestamp(start.0 + 2 * SEC),
        &logrotate,
        "/usr/sbin/logrotate /etc/logrotate.conf",
        "/bin/run-parts",
    );
    let apt = tag(rng, host, "/usr/lib/apt/methods/http", Some("_apt"));
    let bytes_in = rng.log_uniform(50_000, 30_000_000);
    let flow = Flow::new(
        Timestamp(start.0 + 30 * SEC),
        bytes_in as f64 / 10e6 + 0.3,
        rng.range(300, 900),
        bytes_in,
    );
    out.http_to(
        rng,
        id,
        &org::package_mirror(),
        flow,
        "GET",
        "/debian/dists/bookworm/InRelease",
        "Debian APT-HTTP/1.3 (2.6.1)",
        Some(apt),
    );
}

/// An unmanaged device: vendor-cloud reports every two hours, and some browsing in
/// business hours on working days.
fn unmanaged_day(rng: &mut Rng, id: HostId, ctx: DayContext, out: &mut Recorder) {
    let cloud = org::printer_cloud();
    let mut t = Timestamp(ctx.day_start.0 + rng.range(0, 120) as i64 * MINUTE);
    let end = Timestamp(ctx.day_start.0 + DAY);
    while t < end {
        let flow = Flow::new(
            t,
            rng.uniform(0.2, 1.5),
            rng.range(2_000, 8_000),
            rng.range(500, 2_000),
        );
        out.tls_to(rng, id, &cloud, flow, None, true);
        t = Timestamp(t.0 + 2 * HOUR + rng.range(0, 300) as i64 * SEC);
    }
    if ctx.working_day {
        let visits = rng.range(5, 15);
        browse(
            rng,
            id,
            at(ctx.day_start, 9, 0),
            at(ctx.day_start, 17, 0),
            visits,
            out,
        );
    }
}
