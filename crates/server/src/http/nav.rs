//! The top bar every page shows: its menus, the entries a person sees (what their role may
//! open), and which section the page being answered belongs to.
//!
//! The section comes from the request's path. Every page template extends `base.html`, which
//! asks [`top_bar`] for its menus; rather than handing the path to every page's template
//! struct, [`remember_path`] keeps it for the request's task while its handler runs.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use lodestar_domain::access::Actor;
use lodestar_domain::user::User;

tokio::task_local! {
    /// The path of the page request being answered.
    static PAGE_PATH: String;
}

/// Keeps the request's path for [`top_bar`] while the page is made.
pub(crate) async fn remember_path(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    PAGE_PATH.scope(path, next.run(request)).await
}

/// One destination of the top bar.
pub(crate) struct Link {
    pub label: &'static str,
    pub href: &'static str,
    /// The page being shown is this one or one below it.
    pub current: bool,
}

/// A top-bar entry: a menu of links, or a link of its own.
pub(crate) enum Entry {
    Menu {
        /// Names the menu in ids (`menu-portfolio`).
        key: &'static str,
        label: &'static str,
        links: Vec<Link>,
        /// One of its links is the page being shown.
        current: bool,
    },
    Link(Link),
}

/// The top bar for `me` on the page being answered: menus without an entry they may open
/// are left out.
pub(crate) fn top_bar(me: &User) -> Vec<Entry> {
    let path = PAGE_PATH.try_with(String::clone).unwrap_or_default();
    top_bar_at(me, &path)
}

fn top_bar_at(me: &User, path: &str) -> Vec<Entry> {
    let actor = Actor {
        role: me.fields.role,
        user: Some(me.id),
    };
    let link = |label, href| Link {
        label,
        href,
        current: under(path, href),
    };
    let menu = |key, label, links: Vec<Option<Link>>| {
        let links: Vec<Link> = links.into_iter().flatten().collect();
        (!links.is_empty()).then(|| Entry::Menu {
            key,
            label,
            current: links.iter().any(|l| l.current),
            links,
        })
    };
    let admin = |label, href| actor.can_administer().then(|| link(label, href));
    [
        menu(
            "my-work",
            "My work",
            vec![
                Some(link("Today", "/today")),
                Some(link("Calendar", "/calendar")),
                Some(link("Tasks", "/tasks")),
            ],
        ),
        menu(
            "portfolio",
            "Portfolio",
            vec![
                Some(link("Accounts", "/accounts")),
                Some(link("Handoffs", "/handoffs")),
                Some(link("Sprint board", "/sprints")),
                Some(link("Usage", "/usage")),
                Some(link("Risk", "/risk")),
                Some(link("Goals at risk", "/goals/at-risk")),
                Some(link("Sponsor programme", "/sponsors")),
                Some(link("Champion alerts", "/champions")),
                Some(link("Requests", "/requests")),
            ],
        ),
        menu(
            "reviews",
            "Reviews",
            vec![
                Some(link("QBRs and check-ins", "/reviews")),
                Some(link("LxL", "/lxl")),
                Some(link("Churns", "/retrospectives")),
                Some(link("Playbooks", "/playbooks")),
                Some(link("Surveys", "/surveys")),
            ],
        ),
        menu(
            "revenue",
            "Revenue",
            vec![
                Some(link("Renewals", "/renewals")),
                Some(link("Forecast", "/forecast")),
                Some(link("Expansion", "/opportunities")),
                // Retention figures are the leaders' and a CSM's own book's (F-63, F-64).
                actor.revenue_scope().map(|_| link("Retention", "/revenue/retention")),
                actor
                    .revenue_scope()
                    .map(|_| link("Retention curves", "/revenue/curves")),
            ],
        ),
        menu(
            "leadership",
            "Leadership",
            vec![
                actor.can_see_team().then(|| link("Capacity", "/capacity")),
                actor.can_see_team().then(|| link("Segmentation", "/segmentation")),
                // Everyone has 1:1s (with their leader) and the feedback form.
                Some(link("1:1s", "/one-on-ones")),
            ],
        ),
        menu(
            "admin",
            "Admin",
            vec![
                // Leaders set the risk settings on the health page; admins the scorecards.
                actor
                    .can_manage_all_accounts()
                    .then(|| link("Health scoring", "/admin/health")),
                admin("Users", "/admin/users"),
                admin("API tokens", "/admin/tokens"),
                admin("Milestones", "/admin/usage"),
                admin("Jobs", "/admin/jobs"),
                admin("Audit", "/admin/audit"),
                admin("Webhooks", "/admin/webhooks"),
                admin("Trigger rules", "/admin/triggers"),
            ],
        ),
        Some(Entry::Link(link("Team", "/team"))),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `path` is `href` or a page below it (`/accounts/42` is under `/accounts`).
fn under(path: &str, href: &str) -> bool {
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lodestar_domain::UserId;
    use lodestar_domain::text::{Email, Name};
    use lodestar_domain::user::UserFields;
    use lodestar_domain::vocabulary::Role;

    fn person(role: Role) -> User {
        User {
            id: UserId(7),
            fields: UserFields {
                email: Email::parse("p@example.com").unwrap(),
                name: Name::parse("P").unwrap(),
                role,
                manager_id: None,
                capacity: None,
            },
            time_zone: lodestar_domain::notify::TimeZone::UTC,
        }
    }

    /// Each entry as `Label` or `Label: Link, Link`, the current ones marked with `*`.
    fn shown(entries: &[Entry]) -> Vec<String> {
        let mark = |label: &str, current: bool| format!("{label}{}", if current { "*" } else { "" });
        entries
            .iter()
            .map(|e| match e {
                Entry::Menu {
                    label, links, current, ..
                } => {
                    let links: Vec<String> = links.iter().map(|l| mark(l.label, l.current)).collect();
                    format!("{}: {}", mark(label, *current), links.join(", "))
                }
                Entry::Link(l) => mark(l.label, l.current),
            })
            .collect()
    }

    #[test]
    fn menus_hold_what_the_role_may_open_and_mark_the_current_section() {
        assert_eq!(
            shown(&top_bar_at(&person(Role::Admin), "/admin/usage")),
            [
                "My work: Today, Calendar, Tasks",
                "Portfolio: Accounts, Handoffs, Sprint board, Usage, Risk, Goals at risk, Sponsor programme, Champion alerts, Requests",
                "Reviews: QBRs and check-ins, LxL, Churns, Playbooks, Surveys",
                "Revenue: Renewals, Forecast, Expansion, Retention, Retention curves",
                "Leadership: Capacity, Segmentation, 1:1s",
                "Admin*: Health scoring, Users, API tokens, Milestones*, Jobs, Audit, Webhooks, Trigger rules",
                "Team",
            ]
        );
        assert_eq!(
            shown(&top_bar_at(&person(Role::Leader), "/accounts/42/contracts/new"))[1..=5],
            [
                "Portfolio*: Accounts*, Handoffs, Sprint board, Usage, Risk, Goals at risk, Sponsor programme, Champion alerts, Requests",
                "Reviews: QBRs and check-ins, LxL, Churns, Playbooks, Surveys",
                "Revenue: Renewals, Forecast, Expansion, Retention, Retention curves",
                "Leadership: Capacity, Segmentation, 1:1s",
                "Admin: Health scoring",
            ]
        );
        let csm = shown(&top_bar_at(&person(Role::Csm), "/team"));
        assert!(
            !csm.iter().any(|e| e.starts_with("Admin")),
            "no empty Admin menu: {csm:?}"
        );
        assert_eq!(csm.last().unwrap(), "Team*");
        assert!(
            csm.contains(&"Revenue: Renewals, Forecast, Expansion, Retention, Retention curves".to_owned()),
            "their own book's"
        );
        let ae = shown(&top_bar_at(&person(Role::Ae), "/revenue/retention"));
        assert!(
            !ae.iter().any(|e| e.contains("Retention")),
            "retention figures are not the AE's: {ae:?}"
        );
        assert!(!under("/accounts-archive", "/accounts"));
        assert!(top_bar(&person(Role::Viewer)).iter().all(|e| match e {
            Entry::Menu { current, .. } => !current,
            Entry::Link(l) => !l.current,
        }));
    }
}
