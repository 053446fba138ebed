//! The simulated organisation: its hosts (name, address, operating system, user,
//! whether an endpoint agent reports from it) and the internet services it uses.
//!
//! One host has one name and one address in every output format, so a detector
//! that joins endpoint and network data (host name <-> IP) can do so; the mapping is
//! also written to `labels.json`.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

/// The organisation's DNS suffix.
pub const DOMAIN: &str = "corp.example";
/// The NetBIOS domain in Windows user names (`CORP\a.becker`).
pub const NETBIOS_DOMAIN: &str = "CORP";
/// The internal DNS resolver every host asks.
pub const RESOLVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 53);

/// What a host is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A Windows workstation with Sysmon, Security and PowerShell logging.
    Workstation,
    /// A Linux server with Sysmon for Linux.
    LinuxServer,
    /// The Windows backup server that ships the nightly offsite copy.
    BackupServer,
    /// A device with no endpoint agent (printer, phone, contractor laptop).
    Unmanaged,
}

/// One host.
#[derive(Clone, Debug, Serialize)]
pub struct Host {
    /// Fully qualified name, as Sysmon's `Computer` field carries it.
    pub name: String,
    /// Its address, as network data sees it.
    pub ip: IpAddr,
    /// What it is.
    pub role: Role,
    /// The user normally logged on (`a.becker`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether endpoint telemetry (Sysmon and friends) is collected from it.
    pub managed: bool,
    /// Whether this user habitually uploads large files in business hours.
    pub heavy_uploader: bool,
}

impl Host {
    /// The Windows account as Sysmon writes it (`CORP\a.becker`).
    pub fn windows_account(&self) -> String {
        match &self.user {
            Some(user) => format!("{NETBIOS_DOMAIN}\\{user}"),
            None => "NT AUTHORITY\\SYSTEM".to_string(),
        }
    }

    /// Whether the host runs Windows.
    pub fn is_windows(&self) -> bool {
        matches!(self.role, Role::Workstation | Role::BackupServer)
    }
}

const FIRST_NAMES: [&str; 24] = [
    "anna", "ben", "carla", "david", "eva", "felix", "greta", "hugo", "ines", "jonas", "klara",
    "lars", "mia", "noah", "olga", "paul", "rita", "sven", "tara", "uwe", "vera", "wim", "yara",
    "zoe",
];
const LAST_NAMES: [&str; 16] = [
    "becker", "schmidt", "novak", "jensen", "moreau", "rossi", "kowalski", "silva", "weber",
    "dubois", "larsen", "meyer", "costa", "horvat", "fischer", "nagy",
];

/// Builds the host list for `count` hosts: about 85% Windows workstations, one
/// backup server, about 8% Linux servers (at least one), and about 5% unmanaged
/// devices (at least one once there are five hosts). Names and addresses follow the
/// index, so the same count always gives the same organisation.
pub fn hosts(count: usize) -> Vec<Host> {
    let count = count.max(3);
    let linux = (count * 8 / 100).max(1);
    let unmanaged = if count >= 5 {
        (count * 5 / 100).max(1)
    } else {
        0
    };
    let workstations = count - linux - unmanaged - 1;
    let mut hosts = Vec::with_capacity(count);
    for i in 0..workstations {
        let user = format!(
            "{}.{}",
            FIRST_NAMES[i % FIRST_NAMES.len()],
            LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()]
        );
        let user = if i >= FIRST_NAMES.len() * LAST_NAMES.len() {
            format!("{user}{}", i / (FIRST_NAMES.len() * LAST_NAMES.len()))
        } else {
            user
        };
        hosts.push(Host {
            name: format!("ws{:03}.{DOMAIN}", i + 1),
            ip: IpAddr::V4(Ipv4Addr::new(10, 10, (i / 250) as u8, (i % 250 + 2) as u8)),
            role: Role::Workstation,
            user: Some(user),
            managed: true,
            heavy_uploader: i % 10 == 3 || (workstations <= 3 && i + 1 == workstations),
        });
    }
    hosts.push(Host {
        name: format!("bkp01.{DOMAIN}"),
        ip: IpAddr::V4(Ipv4Addr::new(10, 20, 0, 5)),
        role: Role::BackupServer,
        user: Some("svc_backup".into()),
        managed: true,
        heavy_uploader: false,
    });
    for i in 0..linux {
        hosts.push(Host {
            name: format!("lnx{:02}.{DOMAIN}", i + 1),
            ip: IpAddr::V4(Ipv4Addr::new(
                10,
                20,
                1 + (i / 250) as u8,
                (i % 250 + 10) as u8,
            )),
            role: Role::LinuxServer,
            user: Some("root".into()),
            managed: true,
            heavy_uploader: false,
        });
    }
    for i in 0..unmanaged {
        hosts.push(Host {
            name: format!("dev{:02}.{DOMAIN}", i + 1),
            ip: IpAddr::V4(Ipv4Addr::new(10, 30, (i / 250) as u8, (i % 250 + 20) as u8)),
            role: Role::Unmanaged,
            user: None,
            managed: false,
            heavy_uploader: false,
        });
    }
    hosts
}

/// An internet service the organisation talks to.
#[derive(Clone, Debug)]
pub struct Service {
    /// Its DNS name.
    pub domain: String,
    /// Its address.
    pub ip: IpAddr,
}

impl Service {
    /// A service at a fixed address.
    pub fn new(domain: &str, ip: [u8; 4]) -> Self {
        Service {
            domain: domain.to_string(),
            ip: IpAddr::V4(Ipv4Addr::from(ip)),
        }
    }
}

/// The organisation's mail service.
pub fn mail_service() -> Service {
    Service::new("outlook.mailhost.example", [198, 18, 10, 25])
}

/// The sanctioned cloud sync tenant (allow-listed in the generated config).
pub fn sync_service() -> Service {
    Service::new("corpexample.synccloud.example", [198, 18, 20, 40])
}

/// The software update vendor (allow-listed).
pub fn update_service() -> Service {
    Service::new("dl.update-vendor.example", [198, 18, 30, 80])
}

/// The Linux package mirror.
pub fn package_mirror() -> Service {
    Service::new("deb.mirror-net.example", [198, 18, 31, 10])
}

/// The offsite backup vault (allow-listed).
pub fn backup_service() -> Service {
    Service::new("vault.offsite-backup.example", [192, 0, 2, 10])
}

/// The print shop some designers upload artwork to every working day.
pub fn print_shop_service() -> Service {
    Service::new("upload.printshop.example", [198, 18, 40, 12])
}

/// The printer vendor's cloud, which unmanaged printers report to.
pub fn printer_cloud() -> Service {
    Service::new("telemetry.printer-vendor.example", [198, 18, 50, 7])
}

/// The `index`-th website of the browsing catalogue (200 sites, 198.18.100.0 up).
pub fn website(index: usize) -> Service {
    const WORDS: [&str; 20] = [
        "news", "weather", "maps", "shop", "docs", "wiki", "video", "travel", "bank", "forum",
        "jobs", "sports", "cooking", "music", "photos", "learn", "health", "market", "tech",
        "books",
    ];
    let index = index % 200;
    let domain = format!(
        "www.{}-{}.example",
        WORDS[index % WORDS.len()],
        index / WORDS.len()
    );
    let ip = [198, 18, 100 + (index / 200) as u8, (index % 200 + 10) as u8];
    Service::new(&domain, ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_addresses_are_unique_and_roles_are_mixed() {
        let hosts = hosts(1000);
        assert_eq!(hosts.len(), 1000);
        let names: HashSet<_> = hosts.iter().map(|h| h.name.clone()).collect();
        let ips: HashSet<_> = hosts.iter().map(|h| h.ip).collect();
        let users: HashSet<_> = hosts.iter().filter_map(|h| h.user.clone()).collect();
        assert_eq!(names.len(), 1000);
        assert_eq!(ips.len(), 1000);
        let workstations = hosts.iter().filter(|h| h.role == Role::Workstation).count();
        assert_eq!(
            users.len(),
            workstations + 2,
            "one user per workstation, plus service users"
        );
        assert!(hosts.iter().any(|h| h.role == Role::LinuxServer));
        assert!(hosts.iter().any(|h| !h.managed));
    }

    #[test]
    fn tiny_organisations_still_have_every_role_they_need() {
        let hosts = hosts(5);
        assert!(hosts.iter().filter(|h| h.role == Role::Workstation).count() >= 2);
        assert_eq!(
            hosts
                .iter()
                .filter(|h| h.role == Role::BackupServer)
                .count(),
            1
        );
        assert_eq!(
            hosts.iter().filter(|h| h.role == Role::LinuxServer).count(),
            1
        );
        assert_eq!(hosts.iter().filter(|h| !h.managed).count(), 1);
    }

    #[test]
    fn websites_have_distinct_names_and_addresses() {
        let sites: Vec<_> = (0..200).map(website).collect();
        let names: HashSet<_> = sites.iter().map(|s| s.domain.clone()).collect();
        let ips: HashSet<_> = sites.iter().map(|s| s.ip).collect();
        assert_eq!(names.len(), 200);
        assert_eq!(ips.len(), 200);
    }
}
