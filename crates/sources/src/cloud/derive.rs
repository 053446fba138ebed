//! Facts derived from an audit record that a Sigma rule cannot compute by itself,
//! added to the native record under `eg.*` names (documented in `docs/cloud.md`):
//!
//! * `eg.forwarding_recipients`, `eg.external_recipients`: the addresses an Exchange
//!   cmdlet forwards, redirects or blind-copies mail to (`ForwardingSmtpAddress`,
//!   `ForwardTo`, `RedirectTo`, `RedirectMessageTo`, `BlindCopyTo`...), and those
//!   outside the organisation. A domain is the organisation's when it equals or is a
//!   subdomain of a configured `[organisation] domains` entry, the acting user's own
//!   domain, or the tenant name (`OrganizationName`); `eg.external_recipient` is the
//!   first of them as a single value, for correlations grouped by recipient.
//! * `eg.public_policy`, `eg.external_accounts`: whether a resource policy set by an
//!   AWS call allows everyone (`Principal: "*"` in an `Allow` statement without a
//!   `Condition`), and the AWS accounts other than the recipient account that the
//!   call names (policy principals, `resources[].accountId`).
//! * `eg.target_vip`, `eg.vip`: the operation targets a VIP mailbox of
//!   `[organisation] vip` (its `Identity`, `Mailbox`, `ExchangeLocation` or the
//!   mailbox owner of a mail access) and the actor is someone else: mailbox
//!   permission changes and mail searches of executives' mailboxes.

use super::flatten::{get, get_path, text};
use model::{Native, Value};
use serde_json::{Map, Value as Json};

/// What the cloud readers know of the organisation (`[organisation]`).
#[derive(Clone, Debug, Default)]
pub struct OrgFacts {
    /// Own mail domains.
    pub domains: Vec<String>,
    /// VIP mailboxes, lower-case.
    pub vips: Vec<String>,
}

impl OrgFacts {
    /// From the configuration.
    pub fn from_config(config: &model::Config) -> Self {
        OrgFacts {
            domains: config.organisation.domains.clone(),
            vips: config
                .organisation
                .vip
                .iter()
                .map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty())
                .collect(),
        }
    }
}

/// Where an Exchange or Purview record names the mailbox it acts on.
const MAILBOX_TARGETS: [&str; 6] = [
    "Parameters.Identity",
    "Parameters.Mailbox",
    "Parameters.ExchangeLocation",
    "Parameters.SourceMailbox",
    "MailboxOwnerUPN",
    "ObjectId",
];

/// Adds `eg.target_vip` and `eg.vip` when the record acts on a VIP's mailbox and
/// the actor is not that VIP (see the module docs).
pub fn add_vip_facts(record: &Map<String, Json>, vips: &[String], native: &mut Native) {
    if vips.is_empty() {
        return;
    }
    let actor = text(record, "UserId")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let parameters = exchange_parameters(record);
    let named = |path: &str| -> Option<String> {
        match path.strip_prefix("Parameters.") {
            Some(name) => parameters
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone()),
            None => text(record, path),
        }
    };
    let hit = MAILBOX_TARGETS
        .iter()
        .filter_map(|path| named(path))
        .flat_map(|value| {
            value
                .split([',', ';'])
                .map(|v| v.trim().trim_matches('"').to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .find_map(|target| vips.iter().find(|vip| is_vip(&target, vip)).cloned());
    if let Some(vip) = hit
        && !is_vip(&actor, &vip)
    {
        native.push("eg.target_vip", Value::Bool(true));
        native.push("eg.vip", Value::from(vip.as_str()));
    }
}

/// Whether a mailbox reference (address, alias, or `smtp:` form) is `vip`.
fn is_vip(target: &str, vip: &str) -> bool {
    let target = target.strip_prefix("smtp:").unwrap_or(target);
    if target.is_empty() {
        return false;
    }
    let local = |a: &str| a.split('@').next().unwrap_or(a).to_owned();
    target == vip || (!target.contains('@') && local(vip) == target)
}

/// Exchange cmdlet parameters that send mail somewhere.
const FORWARDING_PARAMETERS: [&str; 9] = [
    "ForwardingSmtpAddress",
    "ForwardingAddress",
    "ForwardTo",
    "ForwardAsAttachmentTo",
    "RedirectTo",
    "RedirectMessageTo",
    "BlindCopyTo",
    "CopyTo",
    "AddToRecipients",
];

/// Adds the `eg.*` mail facts of a unified audit record to `native`.
pub fn add_mail_facts(record: &Map<String, Json>, org_domains: &[String], native: &mut Native) {
    let recipients = forwarding_recipients(record);
    if recipients.is_empty() {
        return;
    }
    let mut own: Vec<String> = org_domains.iter().map(|d| d.to_ascii_lowercase()).collect();
    for actor in [text(record, "UserId"), text(record, "MailboxOwnerUPN")]
        .into_iter()
        .flatten()
    {
        if let Some((_, domain)) = actor.rsplit_once('@') {
            own.push(domain.to_ascii_lowercase());
        }
    }
    if let Some(tenant) = text(record, "OrganizationName") {
        own.push(tenant.to_ascii_lowercase());
    }
    let external: Vec<Value> = recipients
        .iter()
        .filter(|address| !is_own_address(address, &own))
        .map(|a| Value::from(a.as_str()))
        .collect();
    let all = recipients.iter().map(|a| Value::from(a.as_str())).collect();
    native.push("eg.forwarding_recipients", Value::List(all));
    if let Some(Value::Str(first)) = external.first() {
        // A scalar for correlations that group by the recipient.
        native.push("eg.external_recipient", Value::Str(first.clone()));
    }
    if !external.is_empty() {
        native.push("eg.external_recipients", Value::List(external));
    }
}

/// The mail addresses named by the forwarding parameters of a cmdlet record.
/// The `Parameters` of an Exchange cmdlet record as (name, value) pairs.
fn exchange_parameters(record: &Map<String, Json>) -> Vec<(String, String)> {
    get(record, "Parameters")
        .and_then(Json::as_array)
        .map(|parameters| {
            parameters
                .iter()
                .filter_map(Json::as_object)
                .filter_map(|p| Some((text(p, "Name")?, text(p, "Value")?)))
                .collect()
        })
        .unwrap_or_default()
}

fn forwarding_recipients(record: &Map<String, Json>) -> Vec<String> {
    let Some(parameters) = get(record, "Parameters").and_then(Json::as_array) else {
        return Vec::new();
    };
    let mut addresses = Vec::new();
    for parameter in parameters.iter().filter_map(Json::as_object) {
        let name = text(parameter, "Name").unwrap_or_default();
        if !FORWARDING_PARAMETERS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&name))
        {
            continue;
        }
        let value = text(parameter, "Value").unwrap_or_default();
        for token in value.split([';', ',', ' ', '\t']) {
            if let Some(address) = mail_address(token)
                && !addresses.contains(&address)
            {
                addresses.push(address);
            }
        }
    }
    addresses
}

/// `smtp:User@Example.com`, `[SMTP:u@x.y]`, `"u@x.y"` as `user@example.com`.
fn mail_address(token: &str) -> Option<String> {
    let token = token.trim_matches(|c: char| "[]<>\"'()".contains(c));
    let token = match token.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("smtp:") => &token[5..],
        _ => token,
    };
    let (local, domain) = token.rsplit_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.ends_with('.'))
        .then(|| token.to_ascii_lowercase())
}

fn is_own_address(address: &str, own: &[String]) -> bool {
    let Some((_, domain)) = address.rsplit_once('@') else {
        return true;
    };
    own.iter().any(|own| {
        domain == own
            || domain
                .strip_suffix(own.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Request parameters that carry a resource policy, as object or JSON text.
const POLICY_PATHS: [&str; 7] = [
    "requestParameters.bucketPolicy",
    "requestParameters.policy",
    "requestParameters.policyText",
    "requestParameters.policyDocument",
    "requestParameters.resourcePolicy",
    "requestParameters.accessPolicies",
    "requestParameters.attributes.Policy",
];

/// Adds the `eg.*` exposure facts of a CloudTrail record to `native`.
pub fn add_exposure_facts(record: &Map<String, Json>, native: &mut Native) {
    let own = text(record, "recipientAccountId");
    let mut public = false;
    let mut accounts: Vec<String> = Vec::new();
    for path in POLICY_PATHS {
        let Some(policy) = get_path(record, path).and_then(as_policy) else {
            continue;
        };
        for statement in statements(&policy) {
            let allows = text(statement, "Effect").is_some_and(|e| e.eq_ignore_ascii_case("allow"));
            let conditional = get(statement, "Condition").is_some_and(|c| !c.is_null());
            for principal in principals(statement) {
                if principal == "*" {
                    public |= allows && !conditional;
                } else if let Some(account) = account_of(&principal) {
                    accounts.push(account);
                }
            }
        }
    }
    if let Some(resources) = get(record, "resources").and_then(Json::as_array) {
        accounts.extend(
            resources
                .iter()
                .filter_map(Json::as_object)
                .filter_map(|r| text(r, "accountId")),
        );
    }
    accounts.retain(|a| Some(a) != own.as_ref() && a.len() == 12);
    accounts.sort();
    accounts.dedup();
    if public {
        native.push("eg.public_policy", Value::Bool(true));
    }
    if !accounts.is_empty() {
        native.push(
            "eg.external_accounts",
            Value::List(accounts.into_iter().map(Value::from).collect()),
        );
    }
}

fn as_policy(value: &Json) -> Option<Json> {
    match value {
        Json::Object(_) => Some(value.clone()),
        Json::String(text) => serde_json::from_str(text).ok(),
        _ => None,
    }
}

fn statements(policy: &Json) -> Vec<&Map<String, Json>> {
    match policy.get("Statement") {
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_object).collect(),
        Some(Json::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

/// Every principal string of a statement (`"*"`, `{"AWS": [...]}`...).
fn principals(statement: &Map<String, Json>) -> Vec<String> {
    let mut out = Vec::new();
    let mut collect = |value: &Json| match value {
        Json::String(s) => out.push(s.clone()),
        Json::Array(items) => out.extend(items.iter().filter_map(Json::as_str).map(str::to_owned)),
        _ => {}
    };
    match get(statement, "Principal") {
        Some(Json::Object(kinds)) => {
            if let Some(aws) = kinds.get("AWS") {
                collect(aws);
            }
        }
        Some(other) => collect(other),
        None => {}
    }
    out
}

/// The account of `arn:aws:iam::123456789012:root` or a bare account id.
fn account_of(principal: &str) -> Option<String> {
    let candidate = if principal.starts_with("arn:") {
        principal.split(':').nth(4)?
    } else {
        principal
    };
    (candidate.len() == 12 && candidate.bytes().all(|b| b.is_ascii_digit()))
        .then(|| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn native_of(record: serde_json::Value, domains: &[String]) -> Native {
        let mut native = Native::default();
        let record = record.as_object().unwrap();
        add_mail_facts(record, domains, &mut native);
        add_exposure_facts(record, &mut native);
        native
    }

    #[test]
    fn external_mail_recipients() {
        let record = json!({"UserId": "homer@simpsons.com", "OrganizationName": "simpsons.onmicrosoft.com",
            "Parameters": [{"Name": "ForwardTo", "Value": "a@example.com;bart@springfield.simpsons.com"},
                           {"Name": "ForwardingSmtpAddress", "Value": "SMTP:Evil@Simpsons2.com"},
                           {"Name": "Identity", "Value": "x@elsewhere.example"}]});
        let native = native_of(record, &["corp.example".into()]);
        assert_eq!(
            native.get_by_name("eg.external_recipients"),
            Some(model::ValueRef::List(&[
                "a@example.com".into(),
                "evil@simpsons2.com".into()
            ]))
        );
        assert_eq!(
            native.get_by_name("eg.external_recipient"),
            Some(model::ValueRef::Str("a@example.com"))
        );
        let internal = json!({"UserId": "a@corp.example",
            "Parameters": [{"Name": "RedirectTo", "Value": "b@mail.corp.example"}]});
        let native = native_of(internal, &[]);
        assert!(native.get_by_name("eg.forwarding_recipients").is_some());
        assert_eq!(native.get_by_name("eg.external_recipients"), None);
    }

    #[test]
    fn public_and_cross_account_policies() {
        let record = json!({"recipientAccountId": "111111111111", "requestParameters": {"bucketPolicy":
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}},
                           {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}}]}}});
        let native = native_of(record, &[]);
        assert_eq!(
            native.get_by_name("eg.public_policy"),
            Some(model::ValueRef::Bool(true))
        );
        assert_eq!(
            native.get_by_name("eg.external_accounts"),
            Some(model::ValueRef::List(&["222222222222".into()]))
        );
        let scoped = json!({"requestParameters": {"policy": "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-1\"}}}}"}});
        assert_eq!(native_of(scoped, &[]).get_by_name("eg.public_policy"), None);
    }
}

#[cfg(test)]
mod vip_tests {
    use super::*;

    fn facts(record: &str) -> Vec<(String, Value)> {
        let record: Map<String, Json> = serde_json::from_str(record).unwrap();
        let mut native = Native::default();
        add_vip_facts(&record, &["ceo@corp.example".into()], &mut native);
        native
            .iter()
            .map(|(k, v)| (k.name().to_owned(), v.to_owned_value()))
            .collect()
    }

    #[test]
    fn permission_on_a_vip_mailbox_by_someone_else() {
        let granted = facts(
            r#"{"Operation":"Add-MailboxPermission","UserId":"it.admin@corp.example","Parameters":[{"Name":"Identity","Value":"ceo"},{"Name":"User","Value":"x@corp.example"},{"Name":"AccessRights","Value":"FullAccess"}]}"#,
        );
        assert_eq!(granted[0], ("eg.target_vip".into(), Value::Bool(true)));
        assert_eq!(
            granted[1],
            ("eg.vip".into(), Value::from("ceo@corp.example"))
        );
        let search = facts(
            r#"{"Operation":"New-ComplianceSearch","UserId":"it.admin@corp.example","Parameters":[{"Name":"ExchangeLocation","Value":"cfo@corp.example,CEO@corp.example"}]}"#,
        );
        assert_eq!(search.len(), 2);
    }

    #[test]
    fn the_vip_themselves_or_another_mailbox_is_not() {
        assert!(facts(r#"{"Operation":"MailItemsAccessed","UserId":"ceo@corp.example","MailboxOwnerUPN":"ceo@corp.example"}"#).is_empty());
        assert!(facts(r#"{"Operation":"Add-MailboxPermission","UserId":"it.admin@corp.example","Parameters":[{"Name":"Identity","Value":"ceo.assistant"}]}"#).is_empty());
    }
}
