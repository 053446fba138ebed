#!/usr/bin/env python3
"""Writes docs/rules.md from the rule files: one section per rule with id, level, ATT&CK,
what it catches (the rule's description), known false positives and how to tune it.

Run after adding or changing a rule:  python3 rules/tests/make_docs.py
The false-positive run's figures (FP_RUN below) come from
`cargo test -p rulepack --test evtx_samples -- --nocapture`.
"""
import glob
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.path.join(REPO, "rules")
TUNE={
'proc_rclone_cloud_transfer':"Allow-list by user and remote name when a team uses rclone for sanctioned sync (`filter_allowed: {User: 'CORP\\\\svc-backup'}`). Never allow-list by image path alone: attackers drop rclone anywhere.",
'proc_rclone_renamed':"Add a filter on the install folder of a vetted product that bundles rclone. Keep the rule high: a renamed transfer tool has no benign reason.",
'proc_curl_file_upload':"Filter known internal upload endpoints (`CommandLine|contains: 'https://artifacts.corp.example'`) or the service accounts of build agents.",
'proc_restic_backup_to_remote':"Filter the repository URL of the organisation's backup bucket and the backup service account.",
'proc_megacmd_upload':"If MEGA is sanctioned for a team, filter its users; otherwise keep as is.",
'proc_winscp_scripted_upload':"Filter the script paths of approved transfer jobs (`CommandLine|contains: '/script=D:\\\\jobs\\\\'`).",
'proc_pscp_upload':"Filter the admin jump hosts or the destination hosts of deployments.",
'proc_openssh_scp_sftp_batch':"Filter deployment destinations (`CommandLine|contains: '@deploy.corp.example:'`).",
'proc_ftp_script_mode':"Filter the script file of a documented partner FTP job; better, move that job to SFTP.",
'proc_wget_post_file':"Filter internal reporting endpoints.",
'proc_bitsadmin_upload_job':"Filter the log-collection script that creates the job, by parent command line.",
'proc_certreq_post_upload':"Filter the PKI team's test hosts.",
'proc_powershell_cmdline_upload':"Filter the signed admin script or destination host of a known report upload.",
'proc_archiver_password_or_split':"Filter the paths of sanctioned packaging jobs; look for archives of shares or user profiles first.",
'proc_archive_utility_create':"Building block: do not tune for noise (it raises nothing alone); widen it if your staff use other archivers.",
'proc_transfer_tool_execution':"Building block: add tools your environment could abuse (for example a vendor's sync client).",
'proc_schtasks_create_transfer_action':"Filter the task names and creating accounts of documented backup or upload jobs.",
'proc_at_job_transfer':"Rarely needs tuning; at.exe is deprecated.",
'proc_transfer_tool_from_task_scheduler':"Filter known scheduled jobs by the tool path plus command line (destination), not by the tool alone.",
'proc_nslookup_encoded_query':"Filter domains whose host names legitimately carry hashes (`CommandLine|contains: '.example-cdn.net'`).",
'proc_dns_lookup_loop':"Filter the troubleshooting scripts of the network team by parent or path.",
'ps_webclient_upload':"Filter by the script path (`Path` field of 4104) of vetted management scripts.",
'ps_web_request_upload':"Filter internal API hosts in the script text (`ScriptBlockText|contains: 'api.corp.example'`).",
'ps_socket_file_send':"Filter the monitoring agent's script path.",
'ps_ftpwebrequest_upload':"Filter the partner FTP server of a documented job.",
'ps_dns_resolve_file_read':"Rarely needs tuning.",
'ps_compress_archive_staging':"Filter installers and support tools by script path; archives of user documents into Public are the case to keep.",
'ps_register_scheduled_task_transfer':"Filter the task names of sanctioned jobs.",
'file_archive_in_staging_folder':"Add the writing process or folder of legitimate software that caches archives under ProgramData to the filters.",
'file_split_archive_volume':"Filter packaging build servers by host.",
'file_rclone_config_written':"Filter the users allowed to configure rclone.",
'net_transfer_tool_external_connection':"Filter destinations of sanctioned services with `DestinationHostname` or address ranges.",
'dns_file_sharing_service_by_non_browser':"Add sanctioned sync clients and browsers in use (Vivaldi, Arc...) to `filter_browsers`.",
'dns_encoded_long_label':"Add reputation-lookup domains of your security products to the filter.",
'lnx_transfer_tool_from_cron':"Filter the cron jobs of sanctioned backups by destination in the command line; keep external destinations you do not know.",
'lnx_curl_wget_upload':"Filter CI runners and configuration management by parent image or user.",
'lnx_rclone_transfer':"Filter the remote names of sanctioned backup jobs.",
'lnx_noninteractive_scp_rsync':"Filter legacy deployment hosts while moving them to key-based accounts.",
'lnx_cron_entry_with_transfer_tool':"Filter the provisioning tool (Ansible, Puppet) as parent when it installs vetted jobs.",
'lnx_systemd_run_timer_transfer':"Rarely needs tuning.",
'lnx_archive_encrypt_or_split':"Filter backup scripts by parent command line.",
'lnx_dns_lookup_encoded_label':"Filter domains whose host names legitimately carry hashes.",
'lnx_archive_utility_create':"Building block: raises nothing alone.",
'lnx_transfer_tool_execution':"Building block: raises nothing alone.",
'zeek_dns_encoded_long_label':"Add domains whose host names legitimately carry long hashes (`filter_*: {query|endswith: '.vendor.example'}`); keep the hex threshold above 40 so SHA-1-keyed names stay quiet.",
'zeek_http_large_upload':"Allow-list sanctioned upload destinations by `host`; lower the 10 MiB threshold (`request_body_len|gte`) on networks where large uploads are rare.",
'corr_win_archive_then_transfer':"Tune the building blocks' filters, or the timespan (1 h) if your adversary model needs longer gaps.",
'corr_lnx_archive_then_transfer':"Filter hosts whose backup job archives then copies (by excluding its account in the building blocks).",
'corr_scheduled_transfer_repeated':"Raise `gte` (4) for hosts with hourly jobs, or filter the known job in the base rules.",
}

FP_RUN = """Command: `cargo test -p rulepack --test evtx_samples -- --nocapture` (skips when
`../shared/data/evtx` is absent; `EXFILGUARD_SHARED_DATA` points elsewhere). The whole
pack runs over each sample file with a fresh detector, in event-time order.

Result (2026-11-23, RULE_COUNT rules): **593 EVTX files, 24,661 events, 0 unreadable; 0
alerts of any level**, so no high or critical alert on benign samples and no medium or
low one to explain. Per rule: every rule 0.

What the samples hold and why silence is the right answer:

| sample | activity | pack |
|---|---|---|
| `ID4688-BITS transfer initiated.evtx` | `bitsadmin /transfer` **download** of a .jpg from a `/wp-content/uploads/` URL | 0 alerts. The first run raised the high "BITS Upload Job" rule here because `/upload` matched the URL path; the rule now matches the `/upload` switch only, and this exact shape is a negative test event. |
| `ID3-59-60-BITS job created.evtx`, `T1197_BitsClient.evtx`, `bits_openvpn.evtx`, `ID60-High volume file downloaded with BITS.evtx` | BITS client jobs (downloads, background updates) | 0: no upload |
| `ID800-4103-4104-PowerShell BITS job started.evtx`, `ID4103-4104-Payload download via PowerShell.evtx` | `Start-BitsTransfer` and `DownloadString` download cradles | 0: no upload method, no `-InFile` |
| `PanacheSysmon_vs_AtomicRedTeam01.evtx` | Atomic Red Team run incl. `cmd /c rar a -r exfilthis.rar *.docx` | 0 alerts; the archive building block matches (1), no transfer tool follows within an hour, so the archive-then-transfer correlation stays quiet. The first run missed this archiver call (only the `cmd.exe` wrapper is logged); the building block and the password/split rule now read archivers started through `cmd /c`. |
| `smbmap_upload_exec_sysmon.evtx` | inbound SMB write of a DLL (lateral movement, not exfiltration) | 0 |
| `exec_sysmon_1_ftp.evtx` | `ftp.exe` started without a command script | 0: `-s:` absent |
| 4 UAC-bypass samples (`sysmon_1_7_11_*`, `sysmon_11_1_15_WScriptBypassUAC.evtx`) | `makecab` packing a DLL for `wusa` | archive building block only (6 matches), no alert |

Second corpus, report only: the 202 EVTX files of SigmaHQ's regression data (238 events,
one attack behaviour each, including `bitsadmin /transfer` downloads, `curl -O`, a
renamed `ftp.exe`, `sftp -o ProxyCommand`, `certutil -encode`): 0 alerts; the transfer
building block matches the `sftp` sample once. Command:
`EXFILGUARD_SHARED_DATA=DIR cargo test -p rulepack --test evtx_samples -- --nocapture`
with `DIR/evtx` a link to `sigmahq/regression_data`.

Network rules over the public Zeek logs (command: `exfilguard hunt
../shared/data/zeek-rita --format jsonl`, then the `sigma` alerts counted by rule; the
same for `zeek-stratosphere`): zeek-stratosphere (a normal Windows PC for 24 h, Simda,
Kovter): 0 alerts. zeek-rita (an internet-facing sensor, a proxied network): the first
run raised 6 medium "Zeek DNS Query With a Long Hex or Base32 Label" alerts, all for one
video-analytics service whose host names start with a 40-character SHA-1 in hex. The hex
threshold is now 48 characters (longer than SHA-1 and MD5 hashes; exfiltration tools fill
labels towards the 63-character limit), such a name is a negative test event, and the
run gives 0 alerts.

The public samples hold no real upload by a transfer tool (the data set's manifest lists
rclone, PowerShell upload code, AMSI and scheduled uploads as gaps), so the detection side
is proven by the positive test events of every rule and by `exfilguard simulate`
scenarios, not by these files.
"""


def default_tuning(rule):
    """Tuning advice for rules without a written entry (cloud audit rules): filter the
    legitimate actors their false positives name."""
    return ("Add a `filter_*` selection for the legitimate cases named under false positives "
            "(account, role or application ids), or an `[[allow]]` entry in the configuration "
            "so the alert keeps its evidence at a lower score.")


def logsource_text(rule):
    if "logsource" in rule:
        ls = rule["logsource"]
        parts = [ls.get(k) for k in ("product", "category", "service") if ls.get(k)]
        return "logsource `" + "/".join(parts) + "`"
    corr = rule["correlation"]
    condition = corr.get("condition")
    cond = f", condition {condition}" if condition else ""
    return (f"correlation `{corr['type']}` over " + ", ".join("`" + x + "`" for x in corr["rules"])
            + ", grouped by " + ", ".join("`" + x + "`" for x in corr.get("group-by", []))
            + f" within {corr['timespan']}{cond}")


out=[]
rules=[]
for f in sorted(glob.glob(ROOT+'/**/*.yml', recursive=True)):
    r=yaml.safe_load(open(f)); stem=os.path.splitext(os.path.basename(f))[0]
    rules.append((os.path.relpath(f,REPO),stem,r))
out.append("# The built-in T1020 rule pack\n")
out.append("""exfilguard carries its own Sigma rules for automated exfiltration (MITRE ATT&CK
T1020) and the steps around it: staging data in archives, setting up scheduled
automation, and the transfer itself. They are written by the exfilguard team from
public documentation of the tools and log formats. The pack is embedded in the binary
(crate `rulepack`), loaded on every run unless `--no-builtin-rules` is given, and listed
with `exfilguard rules list --builtin`.

## How the pack is organised

* One rule per file under `rules/`, grouped by telemetry: `windows/process_creation`
  (Sysmon 1, Security 4688), `windows/powershell` (PowerShell 4104 script blocks),
  `windows/file_event` (Sysmon 11), `windows/network_connection` (Sysmon 3),
  `windows/dns_query` (Sysmon 22), `linux/process_creation` (Sysmon for Linux 1),
  `network/zeek` (Zeek dns.log and http.log from a border sensor),
  `correlation` (Sigma correlation rules) and `cloud` (AWS CloudTrail, Microsoft 365
  and Entra ID audit, GitHub audit log: data exposed or sent out through cloud and SaaS
  settings).
* Every rule has a fixed UUID `id` and a `name` (used by correlation rules to refer to
  it). Rule names start with `eg_`.
* Tags decide the chain stage of an alert: rules tagged `attack.exfiltration` /
  `attack.t1020` / T1048 / T1567 / T1041 / T1030 report the *exfiltration* stage; rules
  that only prepare (T1053 scheduled tasks and cron, T1059 PowerShell, T1197 BITS) carry
  their own technique and report *automation*; archive and staging rules (T1560, T1074)
  report *staging*. That is why setup rules such as "scheduled task created that runs a
  transfer tool" do not carry `attack.t1020` themselves: the incident chain would
  otherwise claim data already left. For the same reason the split-volume and
  encrypted-archive rules, which prepare a size-limited transfer (T1030), are tagged
  T1560.001 only: a split archive on disk is staging, not data that left.
* Building blocks: four rules at level `informational` ("archive utility creates an
  archive", "file transfer tool runs", for Windows and Linux) exist only to feed the
  archive-then-transfer correlations. Those correlations set `generate: false`, so the
  building blocks raise no alert on their own.
* Test events: `rules/tests/<rule-file-stem>.pos.jsonl` must fire the rule and
  `.neg.jsonl` (near misses: the same tool doing something harmless) must not. Endpoint
  events (the `evtx` crate's JSON shape, Sysmon for Linux in the same shape) are written
  by `rules/tests/make_events.py`, cloud events in their vendors' own record shapes by
  `rules/tests/make_cloud_events.py`. `cargo test -p rulepack` reads them with
  exfilguard's own readers and checks them with the Sigma engine: every rule loads with
  no lint problem; alone, each positive raises exactly its rule (a correlation also its
  base rules when it generates them) and no negative raises it; in the full pack each
  positive still raises its rule and the building blocks stay silent. This page is
  written by `rules/tests/make_docs.py`, and a test checks that it names every rule.
* AMSI: the Sigma taxonomy has no AMSI category, so exfilguard files AMSI scan events
  (Microsoft-Antimalware-Scan-Interface, content decoded from hex UTF-16LE) under
  `ps_script`: the script-block rules below read AMSI content exactly as they read 4104
  blocks (test `crates/engine/tests/amsi.rs`).
* macOS: no macOS process telemetry is read by exfilguard yet, so the pack has no macOS
  rules.

## Tuning

Rules are tuned the Sigma way: copy the rule into your own folder, give it a new `id`,
add a `filter_*` selection and `and not 1 of filter_*` to the condition, load it with
`--rules DIR` and disable the built-in one with `--no-builtin-rules` (or keep both and
allow-list in the config). For expected transfers prefer `[[allow]]` entries in the
configuration: they lower the score and keep the evidence instead of hiding it.

## False-positive run over the public EVTX samples
""")
out.append(FP_RUN.replace('RULE_COUNT', str(len(rules))))
out.append("""## Rules
""")
out.append("| level | title | ATT&CK | file |\n|---|---|---|---|")
for path,stem,r in rules:
    tech=", ".join(t.split('.',1)[1].upper() for t in r['tags'] if t.startswith('attack.t'))
    out.append(f"| {r['level']} | [{r['title']}](#{stem}) | {tech} | `{path}` |")
out.append("")
for path,stem,r in rules:
    tech=", ".join(t.split('.',1)[1].upper() for t in r['tags'] if t.startswith('attack.t'))
    out.append(f"### {stem}\n")
    out.append(f"**{r['title']}**  ")
    out.append(f"id `{r['id']}` · name `{r.get('name', '-')}` · level **{r['level']}** · ATT&CK {tech} · " + logsource_text(r) + "\n")
    out.append("What it catches: " + " ".join(r['description'].split()) + "\n")
    out.append("Known false positives: " + " ".join(" ".join(x.split()) for x in r['falsepositives']) + "\n")
    out.append("How to tune: " + TUNE.get(stem, default_tuning(r)) + "\n")
open(os.path.join(REPO,'docs','rules.md'),'w').write("\n".join(out))
print(f'documented {len(rules)} rules')
