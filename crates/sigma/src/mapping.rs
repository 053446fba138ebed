//! Built-in field mappings and logsource routing.
//!
//! A Sigma field name resolves, once per rule, to an ordered list of
//! [`FieldRef`]s; per event the first one present is read. This one list serves
//! every source shape exfilguard reads:
//!
//! * EVTX and the evtx-crate JSON shape: `EventData`/`System` children are native
//!   keys under their Sigma names (`Image`, `CommandLine`, `Channel`...).
//! * Winlogbeat JSON: the reader strips `winlog.event_data.`, so the same names hold.
//! * ECS JSON: the typed fields (`process.executable`...) are the fallback for the
//!   Sysmon names, and ECS names in a rule resolve to them directly.
//! * Security 4688: `NewProcessName` / `ParentProcessName` stand in for `Image` /
//!   `ParentImage`, so `process_creation` rules work on both Sysmon 1 and 4688.
//! * Zeek: native keys keep Zeek's names (`id.orig_h`, `query`), as SigmaHQ's
//!   Zeek rules use them.

use crate::rule::LogsourceSpec;
use model::{Field, FieldRef, LogSource, Sym};

/// Native names tried before the canonical fallback, per Sigma field.
const ALIASES: &[(&str, &[&str], Option<Field>)] = &[
    ("EventID", &["EventID"], Some(Field::EventCode)),
    ("Channel", &["Channel"], Some(Field::EventChannel)),
    (
        "Provider_Name",
        &["Provider_Name"],
        Some(Field::EventProvider),
    ),
    ("Computer", &["Computer"], Some(Field::HostName)),
    (
        "ComputerName",
        &["ComputerName", "Computer"],
        Some(Field::HostName),
    ),
    (
        "Image",
        &["Image", "NewProcessName"],
        Some(Field::ProcessExecutable),
    ),
    (
        "NewProcessName",
        &["NewProcessName", "Image"],
        Some(Field::ProcessExecutable),
    ),
    (
        "ParentImage",
        &["ParentImage", "ParentProcessName"],
        Some(Field::ProcessParentExecutable),
    ),
    (
        "ParentProcessName",
        &["ParentProcessName", "ParentImage"],
        Some(Field::ProcessParentExecutable),
    ),
    (
        "CommandLine",
        &["CommandLine"],
        Some(Field::ProcessCommandLine),
    ),
    // Security 4688 writes the token's integrity as a SID (`MandatoryLabel`,
    // S-1-16-12288); SigmaHQ's rules list both forms, so the SID is enough.
    (
        "IntegrityLevel",
        &["IntegrityLevel", "MandatoryLabel"],
        None,
    ),
    // The `antivirus` category's `Signature` is Defender's `Threat Name`, its
    // `Filename` Defender's `Path` (`file:_C:\...`, matched by `contains`).
    ("Signature", &["Signature", "Threat Name"], None),
    ("Filename", &["Filename", "Path"], None),
    (
        "ParentCommandLine",
        &["ParentCommandLine"],
        Some(Field::ProcessParentCommandLine),
    ),
    (
        "OriginalFileName",
        &["OriginalFileName"],
        Some(Field::ProcessOriginalFileName),
    ),
    (
        "CurrentDirectory",
        &["CurrentDirectory"],
        Some(Field::ProcessWorkingDirectory),
    ),
    ("ProcessId", &["ProcessId"], Some(Field::ProcessPid)),
    ("User", &["User"], Some(Field::UserName)),
    // Sysmon 1's logon session; Security 4688 writes the new process's as
    // `TargetLogonId` (Windows 10+) and its creator's as `SubjectLogonId`.
    (
        "LogonId",
        &["LogonId", "TargetLogonId", "SubjectLogonId"],
        None,
    ),
    ("TargetFilename", &["TargetFilename"], Some(Field::FilePath)),
    (
        "DestinationIp",
        &["DestinationIp"],
        Some(Field::DestinationIp),
    ),
    (
        "DestinationPort",
        &["DestinationPort"],
        Some(Field::DestinationPort),
    ),
    (
        "DestinationHostname",
        &["DestinationHostname"],
        Some(Field::DestinationDomain),
    ),
    ("SourceIp", &["SourceIp"], Some(Field::SourceIp)),
    ("SourcePort", &["SourcePort"], Some(Field::SourcePort)),
    ("Protocol", &["Protocol"], Some(Field::NetworkTransport)),
    ("QueryName", &["QueryName"], Some(Field::DnsQuestionName)),
    (
        "ScriptBlockText",
        &["ScriptBlockText"],
        Some(Field::ScriptBlockText),
    ),
    ("c-uri", &["c-uri"], Some(Field::UrlFull)),
    ("cs-host", &["cs-host"], Some(Field::UrlDomain)),
    ("cs-method", &["cs-method"], Some(Field::HttpRequestMethod)),
    ("c-useragent", &["c-useragent"], Some(Field::UserAgent)),
];

/// Resolves a field name as a rule uses it to the references tried per event.
pub(crate) fn resolve_field(name: &str) -> Box<[FieldRef]> {
    if let Some(field) = Field::from_name(name) {
        return Box::new([FieldRef::Canonical(field)]);
    }
    let mut refs = Vec::with_capacity(3);
    if let Some((_, natives, canonical)) = ALIASES.iter().find(|(n, _, _)| *n == name) {
        if *name == *"EventID" {
            refs.extend(canonical.map(FieldRef::Canonical));
            refs.extend(
                natives
                    .iter()
                    .filter_map(|n| Sym::intern(n).map(FieldRef::Native)),
            );
        } else {
            refs.extend(
                natives
                    .iter()
                    .filter_map(|n| Sym::intern(n).map(FieldRef::Native)),
            );
            refs.extend(canonical.map(FieldRef::Canonical));
        }
    } else if let Some(sym) = Sym::intern(name) {
        refs.push(FieldRef::Native(sym));
    }
    if let Some(spaced) = spaced_name(name)
        && let Some(sym) = Sym::intern(&spaced)
    {
        refs.push(FieldRef::Native(sym));
    }
    refs.into_boxed_slice()
}

/// Windows writes some EventData names with spaces (Defender's `Threat Name`,
/// `Process Name`); Sigma writes them without (`ThreatName`). The spaced form of a
/// CamelCase name, when it differs.
fn spaced_name(name: &str) -> Option<String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_ascii_lowercase();
        out.push(c);
    }
    (out.len() != name.len()).then_some(out)
}

/// A rule's logsource as interned names, with the event categories it accepts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Route {
    product: Option<Sym>,
    categories: Option<Box<[Sym]>>,
    service: Option<Sym>,
    /// Event ids the category implies (e.g. Sysmon 27 for `file_block_executable`).
    codes: Option<&'static [u32]>,
}

/// Rule categories that cover several event categories, or an id within one.
/// (rule category, event categories accepted, event ids implied).
type CategoryAlias = (
    &'static str,
    &'static [&'static str],
    Option<&'static [u32]>,
);

const CATEGORY_ALIASES: &[CategoryAlias] = &[
    // Sysmon 12 records both creation and deletion; the reader files each record
    // under `registry_add` or `registry_delete` by its EventType, so those two
    // categories route exactly (a `registry_delete` rule never sees a CreateKey:
    // found by the rsigma differential check, tools/sigma-diff).
    (
        "registry_event",
        &[
            "registry_event",
            "registry_add",
            "registry_delete",
            "registry_set",
            "registry_rename",
        ],
        None,
    ),
    (
        "file_block_executable",
        &["file_block_executable", "file_block"],
        Some(&[27]),
    ),
    (
        "file_block_shredding",
        &["file_block_shredding", "file_block"],
        Some(&[28]),
    ),
    (
        "file_executable_detected",
        &["file_executable_detected", "file_block"],
        Some(&[29]),
    ),
    (
        "file_delete_detected",
        &["file_delete_detected", "file_delete"],
        Some(&[26]),
    ),
];

impl Route {
    /// Interns a rule's logsource.
    pub fn new(spec: &LogsourceSpec) -> Route {
        let intern = |s: &Option<String>| s.as_deref().and_then(Sym::intern);
        let (categories, codes) = match spec.category.as_deref() {
            None => (None, None),
            Some(category) => match CATEGORY_ALIASES.iter().find(|(c, _, _)| *c == category) {
                Some((_, accepted, codes)) => (
                    Some(accepted.iter().filter_map(|c| Sym::intern(c)).collect()),
                    *codes,
                ),
                None => (Sym::intern(category).map(|s| Box::from([s])), None),
            },
        };
        Route {
            product: intern(&spec.product),
            categories,
            service: intern(&spec.service),
            codes,
        }
    }

    /// Whether an event of this logsource and id can match the rule.
    pub fn accepts(&self, logsource: &LogSource, code: Option<u32>) -> bool {
        let product_ok = self.product.is_none() || self.product == logsource.product;
        let service_ok = self.service.is_none() || self.service == logsource.service;
        let category_ok = match &self.categories {
            None => true,
            Some(accepted) => logsource.category.is_some_and(|c| accepted.contains(&c)),
        };
        let code_ok = match self.codes {
            None => true,
            Some(codes) => code.is_some_and(|c| codes.contains(&c)),
        };
        product_ok && service_ok && category_ok && code_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: Option<&str>, c: Option<&str>, s: Option<&str>) -> LogsourceSpec {
        LogsourceSpec {
            product: p.map(str::to_owned),
            category: c.map(str::to_owned),
            service: s.map(str::to_owned),
        }
    }

    #[test]
    fn routes_by_logsource() {
        let sysmon1 = LogSource::new(Some("windows"), Some("process_creation"), Some("sysmon"));
        let sec4688 = LogSource::new(Some("windows"), Some("process_creation"), Some("security"));
        let proc_rule = Route::new(&spec(Some("windows"), Some("process_creation"), None));
        assert!(proc_rule.accepts(&sysmon1, Some(1)));
        assert!(proc_rule.accepts(&sec4688, Some(4688)));
        let security = Route::new(&spec(Some("windows"), None, Some("security")));
        assert!(!security.accepts(&sysmon1, Some(1)));
        let reg = Route::new(&spec(Some("windows"), Some("registry_event"), None));
        let set = LogSource::new(Some("windows"), Some("registry_set"), Some("sysmon"));
        assert!(reg.accepts(&set, Some(13)));
        let linux = Route::new(&spec(Some("linux"), Some("process_creation"), None));
        assert!(!linux.accepts(&sysmon1, Some(1)));
    }

    #[test]
    fn fields_resolve_with_fallbacks() {
        let image = resolve_field("Image");
        assert_eq!(image.len(), 3);
        assert!(
            resolve_field("ThreatName")
                .contains(&FieldRef::Native(Sym::intern("Threat Name").unwrap()))
        );
        assert_eq!(image[2], FieldRef::Canonical(Field::ProcessExecutable));
        assert_eq!(
            resolve_field("EventID")[0],
            FieldRef::Canonical(Field::EventCode)
        );
        assert_eq!(
            resolve_field("process.command_line")[..],
            [FieldRef::Canonical(Field::ProcessCommandLine)]
        );
        assert!(matches!(resolve_field("id.orig_h")[0], FieldRef::Native(_)));
    }
}
