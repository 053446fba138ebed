#!/usr/bin/env python3
"""Writes the test events of the cloud rules (rules/cloud/**): rules/tests/<stem>.pos.jsonl
and .neg.jsonl, one record per line in the vendor's own export shape, which exfilguard's
cloud readers sniff and read: CloudTrail records, Microsoft 365 unified audit records
(Management Activity API shape), Entra ID audit records (Graph and Sentinel shapes) and
GitHub audit-log events.

Positives must fire their rule; negatives are near misses (the same API doing something
harmless, a failed call, an internal recipient) that must not. All records are made up by
the exfilguard team; account ids, domains and addresses are documentation values.
Run from anywhere:
    python3 rules/tests/make_cloud_events.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
TIME = "2026-01-05T02:00:00Z"


def ct(name, source, request=None, response=None, error=None, resources=None):
    """A CloudTrail record of an assumed-role call from the internet."""
    record = {
        "eventVersion": "1.09",
        "eventTime": TIME,
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.77",
        "userAgent": "aws-cli/2.15.0",
        "recipientAccountId": ACCOUNT,
        "eventType": "AwsApiCall",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops-admin/mallory",
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ops-admin"}},
        },
        "requestParameters": request,
        "responseElements": response,
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "denied"
    if resources:
        record["resources"] = resources
    return record


def instance_call(name, agent):
    """An S3 call made with an EC2 instance role's session credentials."""
    record = ct(name, "s3.amazonaws.com", {"Host": "s3.amazonaws.com"})
    record["userAgent"] = agent
    record["userIdentity"] = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/web-proxy-role/i-0317f6c6b66ae9c40",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "web-proxy-role"}},
    }
    return record


def rds(name, request=None, response=None, error=None):
    return ct(name, "rds.amazonaws.com", request, response, error)


def ec2(name, request=None, error=None):
    return ct(name, "ec2.amazonaws.com", request, None, error)


def s3(name, request=None, error=None, resources=None):
    return ct(name, "s3.amazonaws.com", request, None, error, resources)


def policy(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def m365(operation, parameters=(), workload="Exchange", **extra):
    """A unified audit record as the Management Activity API returns it."""
    record = {
        "CreationTime": "2026-01-05T02:00:00",
        "Id": "0b6c5f1e-1111-4222-8333-944455556666",
        "Operation": operation,
        "OrganizationId": "5f7e2b3c-0000-4000-8000-000000000001",
        "OrganizationName": "corpexample.onmicrosoft.com",
        "RecordType": 1,
        "ResultStatus": "True",
        "UserKey": "10032000AAAAAAAA",
        "UserType": 2,
        "Workload": workload,
        "ClientIP": "203.0.113.77:51234",
        "UserId": "jdoe@corp.example",
        "Parameters": [{"Name": n, "Value": v} for n, v in parameters],
    }
    record.update(extra)
    return record


def consent_m365(scope):
    return m365(
        "Consent to application.",
        workload="AzureActiveDirectory",
        RecordType=8,
        ModifiedProperties=[
            {"Name": "ConsentContext.IsAdminConsent", "NewValue": "False", "OldValue": ""},
            {
                "Name": "ConsentAction.Permissions",
                "NewValue": f"[] => [[Id: abc, ClientId: 9f1c, PrincipalId: 77aa, ResourceId: 00000003-0000-0000-c000-000000000000, ConsentType: Principal, Scope:  {scope}, CreatedDateTime: , LastModifiedDateTime ]]; ",
                "OldValue": "",
            },
        ],
    )


def entra_graph(activity, scope):
    """An Entra ID directoryAudit record as Microsoft Graph exports it."""
    return {
        "id": "Directory_8e1f0c2a",
        "category": "ApplicationManagement",
        "activityDateTime": TIME,
        "activityDisplayName": activity,
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "result": "success",
        "initiatedBy": {"user": {"userPrincipalName": "jdoe@corp.example", "ipAddress": "203.0.113.77"}},
        "targetResources": [
            {
                "displayName": "Mail Sync Helper",
                "type": "ServicePrincipal",
                "modifiedProperties": [
                    {"displayName": "ConsentAction.Permissions", "oldValue": "[]", "newValue": f"[[Scope: {scope}]]"}
                ],
            }
        ],
    }


def entra_sentinel(activity, scope):
    """The same in Sentinel's AuditLogs table, nested columns as JSON text."""
    return {
        "TimeGenerated": TIME,
        "OperationName": activity,
        "Category": "ApplicationManagement",
        "Result": "success",
        "Type": "AuditLogs",
        "LoggedByService": "Core Directory",
        "InitiatedBy": json.dumps({"user": {"userPrincipalName": "jdoe@corp.example"}}),
        "TargetResources": json.dumps(
            [{"displayName": "Mail Sync Helper", "modifiedProperties": [{"displayName": "DelegatedPermissionGrant.Scope", "newValue": scope}]}]
        ),
    }


def gh(action, **fields):
    """A GitHub organisation audit-log event (REST API / streaming shape)."""
    record = {
        "@timestamp": 1767578400000,
        "_document_id": "Xy12AbCdEf",
        "action": action,
        "actor": "mallory-gh",
        "actor_ip": "203.0.113.77",
        "org": "corp-example",
        "repo": "corp-example/payments-service",
    }
    record.update(fields)
    return record


CASES = {
    "aws_rds_master_password_change": {
        "pos": [
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "masterUserPassword": "****", "applyImmediately": True}),
            rds("ModifyDBCluster", {"dBClusterIdentifier": "aurora-prod", "masterUserPassword": "****"}),
        ],
        "neg": [
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "allocatedStorage": 200}),
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "masterUserPassword": "****"}, error="AccessDenied"),
        ],
    },
    "aws_rds_restore_public": {
        "pos": [
            rds("RestoreDBInstanceFromDBSnapshot", {"dBInstanceIdentifier": "copy", "dBSnapshotIdentifier": "snap"}, {"dBInstanceIdentifier": "copy", "publiclyAccessible": True}),
            rds("RestoreDBInstanceToPointInTime", {"targetDBInstanceIdentifier": "copy2", "publiclyAccessible": True}, {"publiclyAccessible": True}),
        ],
        "neg": [
            rds("RestoreDBInstanceFromDBSnapshot", {"dBInstanceIdentifier": "copy", "dBSnapshotIdentifier": "snap"}, {"dBInstanceIdentifier": "copy", "publiclyAccessible": False}),
            rds("CreateDBInstance", {"dBInstanceIdentifier": "new"}, {"publiclyAccessible": True}),
        ],
    },
    "aws_rds_made_public": {
        "pos": [
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "publiclyAccessible": True}),
            rds("ModifyDBCluster", {"dBClusterIdentifier": "aurora-prod", "publiclyAccessible": True}),
        ],
        "neg": [
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "publiclyAccessible": False}),
            rds("ModifyDBInstance", {"dBInstanceIdentifier": "prod-db", "publiclyAccessible": True}, error="AccessDenied"),
        ],
    },
    "aws_rds_cluster_modify_delete": {
        "pos": [
            rds("DeleteDBCluster", {"dBClusterIdentifier": "aurora-copy", "skipFinalSnapshot": True}),
            rds("DeleteDBSnapshot", {"dBSnapshotIdentifier": "exfil-snap"}),
        ],
        "neg": [
            rds("DescribeDBClusters", {"dBClusterIdentifier": "aurora-prod"}),
            rds("DeleteDBCluster", {"dBClusterIdentifier": "aurora-prod"}, error="InvalidDBClusterStateFault"),
        ],
    },
    "aws_rds_snapshot_shared": {
        "pos": [
            rds("ModifyDBSnapshotAttribute", {"dBSnapshotIdentifier": "prod-snap", "attributeName": "restore", "valuesToAdd": [OTHER_ACCOUNT]}),
            rds("ModifyDBClusterSnapshotAttribute", {"dBClusterSnapshotIdentifier": "aurora-snap", "attributeName": "restore", "valuesToAdd": ["all"]}),
        ],
        "neg": [
            rds("ModifyDBSnapshotAttribute", {"dBSnapshotIdentifier": "prod-snap", "attributeName": "restore", "valuesToAdd": []}),
            rds("ModifyDBSnapshotAttribute", {"dBSnapshotIdentifier": "prod-snap", "attributeName": "restore", "valuesToRemove": [OTHER_ACCOUNT]}),
        ],
    },
    "aws_rds_snapshot_export": {
        "pos": [
            rds("StartExportTask", {"exportTaskIdentifier": "x1", "sourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:prod-snap", "s3BucketName": "drop-7731", "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/export", "kmsKeyId": "k"}),
        ],
        "neg": [
            rds("StartExportTask", {"exportTaskIdentifier": "x1", "sourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:prod-snap", "s3BucketName": "drop-7731"}, error="AccessDenied"),
            rds("DescribeExportTasks", {"exportTaskIdentifier": "x1"}),
        ],
    },
    "aws_rds_snapshot_copied_cross_region": {
        "pos": [
            rds("CopyDBSnapshot", {"sourceDBSnapshotIdentifier": f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:prod-snap", "targetDBSnapshotIdentifier": "copy", "sourceRegion": "us-east-1"}),
        ],
        "neg": [
            rds("CopyDBSnapshot", {"sourceDBSnapshotIdentifier": "prod-snap", "targetDBSnapshotIdentifier": "copy"}),
            rds("CopyDBSnapshot", {"sourceDBSnapshotIdentifier": "prod-snap", "targetDBSnapshotIdentifier": "copy", "sourceRegion": "us-east-1"}, error="AccessDenied"),
        ],
    },
    "aws_instance_role_used_from_workstation": {
        "pos": [instance_call("ListBuckets", "aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64 prompt/off command/s3.ls")],
        "neg": [
            instance_call("ListBuckets", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0-1019-aws exe/x86_64.amzn.2023"),
            ct("ListBuckets", "s3.amazonaws.com", {"Host": "s3.amazonaws.com"}),
        ],
    },
    "aws_ebs_snapshot_ami_shared": {
        "pos": [
            ec2("ModifySnapshotAttribute", {"snapshotId": "snap-0a1b", "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": {"add": {"items": [{"group": "all"}]}}}),
            ec2("ModifyImageAttribute", {"imageId": "ami-0c2d", "attributeType": "launchPermission", "launchPermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}}),
        ],
        "neg": [
            ec2("ModifySnapshotAttribute", {"snapshotId": "snap-0a1b", "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": {"remove": {"items": [{"group": "all"}]}}}),
            ec2("ModifyImageAttribute", {"imageId": "ami-0c2d", "attributeType": "launchPermission", "launchPermission": {"add": {"items": [{"group": "all"}]}}}, error="UnauthorizedOperation"),
        ],
    },
    "aws_ec2_traffic_mirroring": {
        "pos": [
            ec2("CreateTrafficMirrorSession", {"CreateTrafficMirrorSessionRequest": {"NetworkInterfaceId": "eni-0f1e", "TrafficMirrorTargetId": "tmt-01", "TrafficMirrorFilterId": "tmf-01", "SessionNumber": 1}}),
            ec2("ModifyTrafficMirrorFilterRule", {"ModifyTrafficMirrorFilterRuleRequest": {"TrafficMirrorFilterRuleId": "tmfr-01", "DestinationCidrBlock": "0.0.0.0/0"}}),
        ],
        "neg": [
            ec2("DescribeTrafficMirrorSessions", {"DescribeTrafficMirrorSessionsRequest": {"MaxResults": 100}}),
            ec2("CreateFlowLogs", {"resourceIdSet": {"items": [{"resourceId": "vpc-01"}]}}),
        ],
    },
    "aws_s3_copy_object_external_account": {
        "pos": [
            s3(
                "CopyObject",
                {"bucketName": "drop-7731", "key": "customers.csv", "x-amz-copy-source": "corp-crm-exports/customers.csv"},
                resources=[
                    {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::corp-crm-exports/customers.csv"},
                    {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::corp-crm-exports"},
                    {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::drop-7731/customers.csv"},
                    {"accountId": OTHER_ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::drop-7731"},
                ],
            ),
        ],
        "neg": [
            s3(
                "CopyObject",
                {"bucketName": "corp-archive", "key": "customers.csv", "x-amz-copy-source": "corp-crm-exports/customers.csv"},
                resources=[
                    {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::corp-crm-exports"},
                    {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::corp-archive"},
                ],
            ),
        ],
    },
    "aws_s3_bucket_policy_public_or_external": {
        "pos": [
            s3("PutBucketPolicy", {"bucketName": "corp-crm-exports", "bucketPolicy": policy({"AWS": "*"})}),
            s3("PutBucketPolicy", {"bucketName": "corp-crm-exports", "bucketPolicy": policy({"AWS": [f"arn:aws:iam::{OTHER_ACCOUNT}:root"]})}),
            s3("PutBucketAcl", {"bucketName": "corp-crm-exports", "x-amz-acl": ["public-read"]}),
        ],
        "neg": [
            s3("PutBucketPolicy", {"bucketName": "corp-trail", "bucketPolicy": policy({"Service": "cloudtrail.amazonaws.com"})}),
            s3("PutBucketPolicy", {"bucketName": "corp-shared", "bucketPolicy": policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})}),
            s3("PutBucketAcl", {"bucketName": "corp-crm-exports", "x-amz-acl": ["private"]}),
        ],
    },
    "aws_resource_policy_public": {
        "pos": [
            ct("PutKeyPolicy", "kms.amazonaws.com", {"keyId": "1234abcd", "policyName": "default", "policy": json.dumps(policy("*"))}),
        ],
        "neg": [
            ct("SetQueueAttributes", "sqs.amazonaws.com", {"queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs", "attributes": {"Policy": json.dumps(policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))}}),
            ct("PutKeyPolicy", "kms.amazonaws.com", {"keyId": "1234abcd", "policy": json.dumps(policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))}),
        ],
    },
    "m365_inbox_rule_external_forwarding": {
        "pos": [
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("Name", "."), ("ForwardTo", "jd.archive@freemail.example"), ("DeleteMessage", "True")]),
            m365("Set-InboxRule", [("Identity", "jdoe\\invoices"), ("RedirectTo", "\"Billing\" [SMTP:billing@c0rp-example.net]")]),
        ],
        "neg": [
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("ForwardTo", "assistant@corp.example")]),
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("MoveToFolder", "Newsletters"), ("FromAddressContainsWords", "news")]),
        ],
    },
    "m365_mailbox_forwarding_external": {
        "pos": [
            m365("Set-Mailbox", [("Identity", "jdoe"), ("ForwardingSmtpAddress", "smtp:jd.private@freemail.example"), ("DeliverToMailboxAndForward", "True")]),
        ],
        "neg": [
            m365("Set-Mailbox", [("Identity", "jdoe"), ("ForwardingSmtpAddress", "smtp:team@sales.corp.example")]),
            m365("Set-Mailbox", [("Identity", "jdoe"), ("LitigationHoldEnabled", "True")]),
        ],
    },
    "corr_m365_shared_external_forwarding": {
        # One sequence each, in time order.
        "pos": [
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("ForwardTo", "drop@freemail.example")]),
            m365("Set-Mailbox", [("Identity", "asmith"), ("ForwardingSmtpAddress", "smtp:drop@freemail.example")], UserId="asmith@corp.example", CreationTime="2026-01-06T09:30:00"),
        ],
        "neg": [
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("ForwardTo", "jd.private@freemail.example")]),
            m365("New-InboxRule", [("Mailbox", "jdoe@corp.example"), ("ForwardTo", "drop@freemail.example")], CreationTime="2026-01-05T03:00:00"),
            m365("Set-Mailbox", [("Identity", "asmith"), ("ForwardingSmtpAddress", "smtp:as.home@othermail.example")], UserId="asmith@corp.example", CreationTime="2026-01-06T09:30:00"),
            m365("Set-Mailbox", [("Identity", "bking"), ("ForwardingSmtpAddress", "smtp:drop@freemail.example")], UserId="bking@corp.example", CreationTime="2026-01-20T09:30:00"),
        ],
    },
    "m365_mailbox_access_granted": {
        "pos": [
            m365("Add-MailboxPermission", [("Identity", "ceo@corp.example"), ("User", "jdoe@corp.example"), ("AccessRights", "FullAccess"), ("InheritanceType", "All")], UserId="admin@corp.example"),
            m365("Add-RecipientPermission", [("Identity", "cfo@corp.example"), ("Trustee", "jdoe@corp.example"), ("AccessRights", "SendAs")], UserId="admin@corp.example"),
        ],
        "neg": [
            m365("Add-MailboxPermission", [("Identity", "ceo@corp.example"), ("User", "jdoe@corp.example"), ("AccessRights", "ReadPermission")], UserId="admin@corp.example"),
            m365("Add-MailboxPermission", [("Identity", "ceo@corp.example"), ("User", "jdoe@corp.example"), ("AccessRights", "FullAccess")], UserId="admin@corp.example", ResultStatus="False"),
            m365("Add-MailboxFolderPermission", [("Identity", "ceo@corp.example:\\Calendar"), ("User", "assistant@corp.example"), ("AccessRights", "LimitedDetails")], UserId="admin@corp.example"),
        ],
    },
    # VIP mailboxes in the pack's tests: md@corp.example and gc@corp.example
    # (crates/rulepack/tests/pack_sigma.rs reads events with them configured).
    "m365_vip_mailbox_permission": {
        "pos": [
            m365("Add-MailboxPermission", [("Identity", "md"), ("User", "jdoe@corp.example"), ("AccessRights", "FullAccess")], UserId="admin@corp.example"),
            m365("Set-Mailbox", [("Identity", "gc@corp.example"), ("GrantSendOnBehalfTo", "jdoe@corp.example")], UserId="admin@corp.example"),
        ],
        "neg": [
            m365("Add-MailboxPermission", [("Identity", "md"), ("User", "jdoe@corp.example"), ("AccessRights", "FullAccess")], UserId="md@corp.example"),
            m365("Set-Mailbox", [("Identity", "gc@corp.example"), ("LitigationHoldEnabled", "True")], UserId="admin@corp.example"),
            m365("Add-MailboxPermission", [("Identity", "md"), ("User", "jdoe@corp.example"), ("AccessRights", "FullAccess")], UserId="admin@corp.example", ResultStatus="False"),
        ],
    },
    "m365_vip_mailbox_search": {
        "pos": [
            m365("New-ComplianceSearch", [("Name", "q3"), ("ExchangeLocation", "sales@corp.example,gc@corp.example"), ("ContentMatchQuery", "acquisition")], UserId="admin@corp.example", Workload="SecurityComplianceCenter"),
            m365("MailItemsAccessed", [], UserId="jdoe@corp.example", MailboxOwnerUPN="md@corp.example", Workload="Exchange"),
        ],
        "neg": [
            m365("MailItemsAccessed", [], UserId="md@corp.example", MailboxOwnerUPN="md@corp.example", Workload="Exchange"),
            m365("New-ComplianceSearch", [("Name", "q3"), ("ExchangeLocation", "sales@corp.example")], UserId="admin@corp.example", Workload="SecurityComplianceCenter"),
        ],
    },
    "m365_transport_rule_redirect_bcc": {
        "pos": [
            m365("New-TransportRule", [("Name", "Compliance copy"), ("SentToScope", "InOrganization"), ("BlindCopyTo", "collector@freemail.example")], UserId="admin@corp.example"),
            m365("Set-TransportRule", [("Identity", "Exec routing"), ("RedirectMessageTo", "exec-archive@corp.example")], UserId="admin@corp.example"),
        ],
        "neg": [
            m365("New-TransportRule", [("Name", "Disclaimer"), ("ApplyHtmlDisclaimerText", "Confidential"), ("SentToScope", "NotInOrganization")], UserId="admin@corp.example"),
            m365("Set-Mailbox", [("Identity", "jdoe"), ("CustomAttribute1", "BlindCopyTo")]),
        ],
    },
    "m365_oauth_consent_mail_file_scopes": {
        "pos": [consent_m365("Mail.Read Files.Read.All offline_access User.Read")],
        "neg": [consent_m365("openid profile User.Read email offline_access")],
    },
    "azure_oauth_consent_mail_file_scopes": {
        "pos": [
            entra_graph("Consent to application", "Mail.ReadWrite offline_access"),
            entra_sentinel("Add delegated permission grant", "Files.Read.All Sites.Read.All"),
        ],
        "neg": [
            entra_graph("Consent to application", "openid profile User.Read"),
            entra_graph("Update application", "Mail.Read"),
        ],
    },
    "github_repo_made_public": {
        "pos": [
            gh("repo.access", visibility="public", previous_visibility="private"),
            gh("repo.create", visibility="public", repo="corp-example/payments-dump"),
        ],
        "neg": [
            gh("repo.access", visibility="private", previous_visibility="public"),
            gh("repo.create", visibility="private"),
        ],
    },
    "github_repo_transfer": {
        "pos": [gh("repo.transfer_outgoing"), gh("repo.transfer_start")],
        "neg": [gh("repo.create", visibility="private"), gh("repo.rename")],
    },
    "github_private_fork_setting_changed": {
        "pos": [gh("private_repository_forking.enable", repo=None)],
        "neg": [gh("private_repository_forking.disable", repo=None), gh("repo.create", visibility="internal")],
    },
    "github_protected_branch_force_push": {
        "pos": [
            gh("protected_branch.policy_override", branch="refs/heads/main"),
            gh("protected_branch.update_allow_force_pushes_enforcement_level", branch="refs/heads/main", allow_force_pushes_enforcement_level=2),
        ],
        "neg": [gh("protected_branch.create", branch="refs/heads/main"), gh("git.push", branch="refs/heads/feature")],
    },
}


def main():
    for stem, polarities in CASES.items():
        for polarity, records in polarities.items():
            path = os.path.join(HERE, f"{stem}.{polarity}.jsonl")
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                for record in records:
                    record = {k: v for k, v in record.items() if v is not None}
                    out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
