//! Notifications (F-52): what a message says, who may be sent one where, and when. Sending
//! is the server's (email over SMTP, Slack-compatible webhooks, through the job queue); the
//! rules are here: time zones and the digest's morning, which addresses a webhook may reach,
//! and how a notification reads as an email and as a webhook's JSON.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::text::{Email, Name, Text};
use crate::vocabulary::NotificationKind;

/// A person's time zone: an IANA name (`Europe/Berlin`), UTC unless they chose one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::Tz::UTC);

    /// The same names a meeting's time zone takes.
    pub fn parse(input: &str) -> Result<TimeZone, String> {
        crate::meeting::parse_time_zone(input).map(TimeZone)
    }

    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// The zone itself, for date arithmetic (a day's bounds, a meeting's local time).
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// The wall-clock time here at the instant `at`.
    pub fn local(self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.0).naive_local()
    }

    /// Every time zone name, for a picker.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl Default for TimeZone {
    fn default() -> TimeZone {
        TimeZone::UTC
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(s: String) -> Result<TimeZone, String> {
        TimeZone::parse(&s)
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.as_str().to_owned()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<TimeZone, String> {
        TimeZone::parse(s)
    }
}

/// The local hour from which a person's daily digest is sent.
pub const DIGEST_HOUR: u32 = 7;
/// The local hour until which it is still sent: a server that was down all morning skips the
/// day rather than sending the morning's news in the evening.
pub const DIGEST_UNTIL_HOUR: u32 = 12;

/// The local day whose digest is due for someone in `zone` at `now`: their date while it is
/// morning there (07:00 to noon), none otherwise.
pub fn digest_day(now: DateTime<Utc>, zone: TimeZone) -> Option<NaiveDate> {
    let local = zone.local(now);
    (DIGEST_HOUR..DIGEST_UNTIL_HOUR)
        .contains(&local.hour())
        .then(|| local.date())
}

/// How a person gets one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channels {
    /// By email (when the server has an SMTP server to send through).
    pub email: bool,
    /// On the webhooks an admin set up to carry this kind (a team's Slack channel).
    pub webhook: bool,
}

impl Default for Channels {
    /// Someone who chose nothing gets every kind by email and on the webhooks that carry it:
    /// an admin already chose which kinds each webhook carries.
    fn default() -> Channels {
        Channels {
            email: true,
            webhook: true,
        }
    }
}

/// Whether a webhook may connect to `ip` without an admin's leave: only addresses on the
/// public internet. Loopback, private (RFC 1918, unique-local), link-local (cloud metadata
/// services live there), carrier-grade NAT, unspecified, multicast, documentation and other
/// reserved ranges are refused; IPv4 carried inside IPv6 (mapped, compatible, NAT64, 6to4) is
/// judged as the IPv4 address it carries.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0 // "this network", 0.0.0.0 among it
        || a == 10
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT (shared address space)
        || a == 127
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation (TEST-NET-1)
        || (a == 192 && b == 88 && c == 99) // 6to4 relays
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation (TEST-NET-2)
        || (a == 203 && b == 0 && c == 113) // documentation (TEST-NET-3)
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    if let Some(v4) = carried_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let reserved = s[0] == 0 // the rest of ::/16: reserved, and translated IPv4 forms
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed by some)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard
        || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments, Teredo among them
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1); // local-use NAT64
    !reserved
}

/// The IPv4 address an IPv6 address stands for: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
fn carried_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] | [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            Some(v4(hi, lo))
        }
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// Where a webhook posts: an http(s) URL without credentials in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub fn parse(input: &str) -> Result<WebhookUrl, String> {
        let text = input.trim();
        if text.chars().count() > 2000 {
            return Err("is longer than 2,000 characters".into());
        }
        let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!("must be an https:// or http:// URL, not {}:", url.scheme()));
        }
        if url.host().is_none() {
            return Err("names no host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password: receivers check Lodestar's signature instead".into());
        }
        Ok(WebhookUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The address the URL names directly, when its host is an address literal (as the HTTP
    /// client reads it: `http://2130706433/` is 127.0.0.1). Such a host is never looked up, so
    /// it is judged on its own; a name is judged by what it resolves to, when connecting.
    pub fn literal_address(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(ip) => Some(ip.into()),
            url::Host::Ipv6(ip) => Some(ip.into()),
            url::Host::Domain(_) => None,
        }
    }

    /// Whether the URL plainly names a host off the public internet: a private address
    /// literal, or `localhost`. (Other names are caught when the webhook connects.)
    pub fn names_private_host(&self) -> bool {
        match (self.literal_address(), self.0.host_str()) {
            (Some(ip), _) => !is_public_address(ip),
            (None, Some(name)) => {
                let name = name.trim_end_matches('.');
                name == "localhost" || name.ends_with(".localhost")
            }
            (None, None) => true,
        }
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = String;
    fn try_from(s: String) -> Result<WebhookUrl, String> {
        WebhookUrl::parse(&s)
    }
}

impl From<WebhookUrl> for String {
    fn from(url: WebhookUrl) -> String {
        url.0.into()
    }
}

impl std::str::FromStr for WebhookUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<WebhookUrl, String> {
        WebhookUrl::parse(s)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook target as an admin sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookFields {
    pub name: Name,
    pub url: WebhookUrl,
    pub enabled: bool,
    /// It may reach loopback, private and link-local addresses (a receiver inside the
    /// company's network). Off, such targets are refused, whatever their name resolves to.
    pub allow_private: bool,
    /// The kinds of notification it carries.
    pub kinds: BTreeSet<NotificationKind>,
}

impl WebhookFields {
    pub fn validate(self) -> Result<Valid<WebhookFields>, Invalid> {
        let mut rules = Rules::default();
        rules.require(!self.kinds.is_empty(), "kinds", || {
            "choose at least one kind of notification for it to carry".into()
        });
        rules.require(self.allow_private || !self.url.names_private_host(), "url", || {
            "names a loopback, private or link-local address; allow private addresses to post there".into()
        });
        rules.finish(self)
    }
}

/// An email's subject, and a notification's: one line.
pub type Subject = Text<200>;

/// Something to tell one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub subject: Subject,
    /// What it says, in plain text; may span lines.
    pub text: String,
    /// Where in Lodestar it is about: a path such as `/accounts/42`.
    pub link: Option<String>,
    /// Delivered once per key however often it is sent (a digest: per person and day).
    pub once_key: Option<String>,
}

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: Subject,
    pub text_body: String,
    pub html_body: Option<String>,
}

/// Slack refuses a section's text beyond 3,000 characters.
const SLACK_SECTION_LIMIT: usize = 3000;

impl Notification {
    /// Its link as a full URL, given the URL Lodestar is served at; none without one (a path
    /// alone means nothing in a mailbox or a chat).
    pub fn link_url(&self, public_url: Option<&str>) -> Option<String> {
        Some(format!(
            "{}{}",
            public_url?.trim_end_matches('/'),
            self.link.as_deref()?
        ))
    }

    /// The email that tells `to` about it.
    pub fn email_to(&self, to: Email, public_url: Option<&str>) -> EmailMessage {
        let link = self.link_url(public_url);
        let settings = public_url.map(|base| format!("{}/me/notifications", base.trim_end_matches('/')));
        let mut text = self.text.trim_end().to_owned();
        let mut html = String::from("<div style=\"font-family: sans-serif; line-height: 1.4\">");
        for paragraph in self.text.trim().split("\n\n") {
            html.push_str(&format!("<p>{}</p>", escape_html(paragraph).replace('\n', "<br>")));
        }
        if let Some(link) = &link {
            text.push_str(&format!("\n\nOpen in Lodestar: {link}"));
            html.push_str(&format!(
                "<p><a href=\"{0}\">Open in Lodestar</a></p>",
                escape_html(link)
            ));
        }
        let why = format!(
            "You get this because of your Lodestar notification settings ({}).",
            self.kind.label()
        );
        text.push_str(&format!("\n\n-- \n{why}"));
        html.push_str(&format!(
            "<p style=\"color: #666; font-size: small\">{}",
            escape_html(&why)
        ));
        if let Some(settings) = settings {
            text.push_str(&format!(" Change them at {settings}"));
            html.push_str(&format!(" <a href=\"{0}\">Change them</a>.", escape_html(&settings)));
        }
        text.push('\n');
        html.push_str("</p></div>");
        EmailMessage {
            to,
            subject: self.subject.clone(),
            text_body: text,
            html_body: Some(html),
        }
    }

    /// The Slack-compatible JSON a webhook posts about it, for the person `for_whom`.
    pub fn webhook_body(&self, for_whom: &str, public_url: Option<&str>) -> serde_json::Value {
        let mut markdown = format!(
            "*{}* (for {})\n{}",
            escape_slack(self.subject.as_str()),
            escape_slack(for_whom),
            escape_slack(self.text.trim())
        );
        let link = self.link_url(public_url);
        let link_markup = link.map(|url| format!("\n<{}|Open in Lodestar>", escape_slack(&url)));
        let room = SLACK_SECTION_LIMIT - link_markup.as_ref().map_or(0, |l| l.chars().count()) - 1;
        if markdown.chars().count() > room {
            markdown = markdown.chars().take(room).collect::<String>() + "…";
        }
        markdown.push_str(link_markup.as_deref().unwrap_or_default());
        slack_message(&format!("{} (for {for_whom})", self.subject), &markdown)
    }
}

/// A Slack-compatible message: `text` for clients and notifications that show no blocks, and
/// one section block with `markdown` (Slack's mrkdwn, already escaped).
pub fn slack_message(text: &str, markdown: &str) -> serde_json::Value {
    serde_json::json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": markdown}}],
    })
}

/// Text safe inside Slack's mrkdwn: `&`, `<` and `>` are its control characters.
pub fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public_address(text.parse().unwrap())
    }

    #[test]
    fn only_public_addresses_are_reachable_without_leave() {
        for open in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(open), "{open} is public");
        }
        for closed in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::ffff:0:127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
        ] {
            assert!(!public(closed), "{closed} is not public");
        }
    }

    #[test]
    fn webhook_urls_are_http_without_credentials() {
        assert!(WebhookUrl::parse(" https://hooks.slack.com/services/T0/B0/x ").is_ok());
        assert!(
            WebhookUrl::parse("ftp://example.com/")
                .unwrap_err()
                .contains("https://")
        );
        assert!(
            WebhookUrl::parse("https://u:p@example.com/")
                .unwrap_err()
                .contains("password")
        );
        assert!(WebhookUrl::parse("not a url").is_err());
        assert!(WebhookUrl::parse(&format!("https://example.com/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn private_hosts_are_seen_as_the_http_client_reads_them() {
        let private = |u: &str| WebhookUrl::parse(u).unwrap().names_private_host();
        assert!(private("http://127.0.0.1:8080/hook"));
        assert!(private("http://2130706433/"), "a decimal IPv4 is 127.0.0.1");
        assert!(private("http://0x7f.1/"), "so is hex shorthand");
        assert!(private("http://[::ffff:7f00:1]/"));
        assert!(private("http://localhost/"));
        assert!(private("http://api.localhost./"));
        assert!(private("http://169.254.169.254/latest/meta-data"));
        assert!(!private("https://hooks.example.com/"));
        assert!(!private("https://93.184.215.14/"));
    }

    fn fields(url: &str, allow_private: bool) -> WebhookFields {
        WebhookFields {
            name: Name::parse("Team channel").unwrap(),
            url: WebhookUrl::parse(url).unwrap(),
            enabled: true,
            allow_private,
            kinds: [NotificationKind::AccountTurnedRed].into(),
        }
    }

    #[test]
    fn a_private_target_needs_leave_and_every_target_a_kind() {
        assert!(fields("https://hooks.example.com/", false).validate().is_ok());
        let refused = fields("http://10.0.0.5/hook", false).validate().unwrap_err();
        assert_eq!(refused.errors[0].field, "url");
        assert!(fields("http://10.0.0.5/hook", true).validate().is_ok());
        let no_kinds = WebhookFields {
            kinds: BTreeSet::new(),
            ..fields("https://hooks.example.com/", false)
        };
        assert_eq!(no_kinds.validate().unwrap_err().errors[0].field, "kinds");
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(TimeZone::parse(" Europe/Berlin ").unwrap().as_str(), "Europe/Berlin");
        assert_eq!(TimeZone::default().as_str(), "UTC");
        assert!(TimeZone::parse("Mars/Olympus").unwrap_err().contains("IANA name"));
        assert!(TimeZone::parse("").is_err());
        assert!(TimeZone::names().any(|n| n == "Asia/Kathmandu"));
    }

    #[test]
    fn the_digest_is_due_in_the_local_morning() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(digest_day(at("2026-12-02T05:59:00Z"), berlin), None, "06:59 in Berlin");
        assert_eq!(
            digest_day(at("2026-12-02T06:00:00Z"), berlin),
            Some(day),
            "07:00 in Berlin"
        );
        assert_eq!(digest_day(at("2026-12-02T10:59:00Z"), berlin), Some(day));
        assert_eq!(digest_day(at("2026-12-02T11:00:00Z"), berlin), None, "noon");
        let auckland = TimeZone::parse("Pacific/Auckland").unwrap();
        assert_eq!(
            digest_day(at("2026-12-01T18:30:00Z"), auckland),
            Some(day),
            "07:30 on the 2nd in Auckland is still the 1st in UTC"
        );
        let kathmandu = TimeZone::parse("Asia/Kathmandu").unwrap();
        assert_eq!(
            digest_day(at("2026-12-02T01:14:00Z"), kathmandu),
            None,
            "06:59 at +05:45"
        );
        assert_eq!(digest_day(at("2026-12-02T01:15:00Z"), kathmandu), Some(day));
    }

    fn notification() -> Notification {
        Notification {
            kind: NotificationKind::AccountTurnedRed,
            subject: Subject::parse("Acme <Corp> turned red").unwrap(),
            text: "Health fell to 31.\n\nUsage & logins dropped.".into(),
            link: Some("/accounts/42".into()),
            once_key: None,
        }
    }

    #[test]
    fn a_notification_reads_as_an_email_with_its_link() {
        let to = Email::parse("jo@vendor.io").unwrap();
        let email = notification().email_to(to.clone(), Some("https://cs.vendor.io/"));
        assert_eq!(email.to, to);
        assert_eq!(email.subject.as_str(), "Acme <Corp> turned red");
        assert!(
            email
                .text_body
                .starts_with("Health fell to 31.\n\nUsage & logins dropped.")
        );
        assert!(
            email
                .text_body
                .contains("Open in Lodestar: https://cs.vendor.io/accounts/42")
        );
        assert!(
            email
                .text_body
                .contains("Change them at https://cs.vendor.io/me/notifications")
        );
        let html = email.html_body.unwrap();
        assert!(html.contains("<p>Usage &amp; logins dropped.</p>"));
        assert!(html.contains("<a href=\"https://cs.vendor.io/accounts/42\">"));
        let bare = notification().email_to(to, None);
        assert!(!bare.text_body.contains("Open in Lodestar"), "no public URL, no link");
    }

    #[test]
    fn a_notification_reads_as_slack_json() {
        let body = notification().webhook_body("Jo <Ops>", Some("https://cs.vendor.io"));
        assert_eq!(body["text"], "Acme <Corp> turned red (for Jo <Ops>)");
        let markdown = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(markdown.starts_with("*Acme &lt;Corp&gt; turned red* (for Jo &lt;Ops&gt;)\nHealth fell"));
        assert!(markdown.ends_with("\n<https://cs.vendor.io/accounts/42|Open in Lodestar>"));
        let long = Notification {
            text: "x".repeat(5000),
            ..notification()
        };
        let markdown = long.webhook_body("Jo", Some("https://cs.vendor.io"))["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(markdown.chars().count() <= SLACK_SECTION_LIMIT);
        assert!(markdown.ends_with("|Open in Lodestar>"), "the link survives the cut");
    }
}
