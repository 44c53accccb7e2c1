//! Meetings and promises in the web UI: the account page's section, the meeting form (log,
//! move), cancelling, and promises added and moved from any list.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use lodestar_domain::access::Actor;
use lodestar_domain::promise::PromiseOwner;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{ActionStatus, MeetingKind};
use lodestar_domain::{AccountId, MeetingId, PromiseId, UserId};
use lodestar_store::{Meeting, MeetingFilter, PromiseFilter, Store};

use super::ops::{self, MeetingInput, Start, meeting_fields, promise_fields};
use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::pages::{SignedIn, back_after_form, form_answer, render, user_problem};

/// A form's fields, repeated keys kept (attendee checkboxes).
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub(crate) fn parse(body: &Bytes) -> FormFields {
        FormFields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// A form's starting values.
    pub(crate) fn of(pairs: impl IntoIterator<Item = (&'static str, String)>) -> FormFields {
        FormFields(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// These values, with those `sent` in their place: a page holding several forms comes back
    /// with what one of them sent and the others as they were.
    pub(crate) fn overlaid(mut self, sent: Option<FormFields>) -> FormFields {
        if let Some(sent) = sent {
            self.0.retain(|(k, _)| !sent.0.iter().any(|(s, _)| s == k));
            self.0.extend(sent.0);
        }
        self
    }

    /// Whether `value` is among those sent under `key` (a ticked checkbox, a chosen option).
    pub(crate) fn has(&self, key: &str, value: &str) -> bool {
        self.all(key).any(|v| v == value)
    }

    pub(crate) fn text(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Ids ticked under `key`; anything that is not a number is ignored (not a choice offered).
    pub(crate) fn ids(&self, key: &str) -> Vec<i64> {
        self.all(key).filter_map(|v| v.parse().ok()).collect()
    }

    pub(crate) fn date(&self, key: &str) -> Option<NaiveDate> {
        self.text(key).parse().ok()
    }

    /// A count typed in a number field: `None` when left empty; anything that is not a whole
    /// number reads as 0, which every count's own rule then refuses with its message.
    pub(crate) fn count(&self, key: &str) -> Option<u32> {
        match self.text(key).trim() {
            "" => None,
            text => Some(text.parse().unwrap_or(0)),
        }
    }
}

pub(crate) struct MeetingRow {
    pub(crate) id: i64,
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    /// Day and time in the meeting's zone.
    pub(crate) when: String,
    /// The time alone, with its zone (a calendar's day already says the day).
    pub(crate) time: String,
    pub(crate) length: String,
    pub(crate) attendees: String,
    pub(crate) notes_html: String,
    pub(crate) cancelled: bool,
    /// An appointment still ahead: it can be moved and called off.
    pub(crate) ahead: bool,
    /// A QBR, EBR or check-in: it has an agenda (and, once held, a pack).
    pub(crate) review: bool,
}

impl MeetingRow {
    pub(crate) fn of(m: &Meeting, now: chrono::DateTime<chrono::Utc>) -> MeetingRow {
        let local = m.fields.starts_at.with_timezone(&m.fields.time_zone);
        MeetingRow {
            id: m.id.0,
            kind: m.fields.kind.label(),
            title: m.fields.title.to_string(),
            when: format!("{} {}", local.format("%a %Y-%m-%d %H:%M"), m.fields.time_zone.name()),
            time: format!("{} {}", local.format("%H:%M"), m.fields.time_zone.name()),
            length: if m.fields.kind.is_appointment() {
                format!("{} min", m.fields.duration_minutes)
            } else {
                String::new()
            },
            attendees: m.attendees.iter().map(|a| a.name()).collect::<Vec<_>>().join(", "),
            notes_html: super::markdown::render(m.fields.notes.as_str()),
            cancelled: m.cancelled_at.is_some(),
            ahead: m.fields.kind.is_appointment() && m.fields.ends_at() > now,
            review: lodestar_domain::qbr::is_review(m.fields.kind),
        }
    }
}

pub(crate) struct PromiseRow {
    pub(crate) id: i64,
    pub(crate) description: String,
    pub(crate) owner: String,
    pub(crate) ours: bool,
    pub(crate) due: NaiveDate,
    pub(crate) standing: &'static str,
    pub(crate) standing_class: &'static str,
    pub(crate) open: bool,
    pub(crate) can_move: bool,
    /// An open promise of the customer's: it can be reminded by email.
    pub(crate) remindable: bool,
}

impl PromiseRow {
    pub(crate) fn of(p: lodestar_store::Promise, actor: &Actor, today: NaiveDate) -> PromiseRow {
        let standing = p.standing(today);
        let owner_user = match p.owner {
            PromiseOwner::Us(u) => Some(u),
            PromiseOwner::Customer(_) => None,
        };
        PromiseRow {
            id: p.id.0,
            description: p.description,
            owner: p.owner_name,
            ours: owner_user.is_some(),
            due: p.due_on,
            standing: standing.label(),
            standing_class: match standing {
                lodestar_domain::promise::Standing::Overdue => "bad",
                lodestar_domain::promise::Standing::KeptLate => "warn",
                lodestar_domain::promise::Standing::KeptOnTime => "good",
                _ => "",
            },
            open: p.status == ActionStatus::Open,
            remindable: owner_user.is_none() && p.status == ActionStatus::Open,
            can_move: owner_user.is_some_and(|o| actor.user == Some(o)) || actor.can_write_account(p.account_owner_id),
        }
    }
}

/// The meetings-and-promises part of the account page.
pub(crate) struct AccountMeetings {
    pub(crate) meetings: Vec<MeetingRow>,
    pub(crate) promises: Vec<PromiseRow>,
    pub(crate) ours: String,
    pub(crate) theirs: String,
    pub(crate) kept: String,
    pub(crate) owners: Vec<(String, String)>,
    pub(crate) error: Option<String>,
    pub(crate) today: NaiveDate,
    /// The account's calendar feed, for those who may see it.
    pub(crate) feed_url: Option<String>,
}

/// Reads the account page's meetings, promises and each side's record.
pub(crate) async fn account_meetings(
    store: &Store,
    actor: &Actor,
    account: AccountId,
    today: NaiveDate,
    error: Option<String>,
) -> Result<AccountMeetings, ApiError> {
    let meetings = store
        .meetings(&MeetingFilter {
            account: Some(account),
            with_cancelled: true,
            ..MeetingFilter::default()
        })
        .await?;
    let promises = store
        .promises(&PromiseFilter {
            account: Some(account),
            ..PromiseFilter::default()
        })
        .await?;
    let (ours, theirs, kept) = super::api::tallies(&promises, today);
    let describe = |t: lodestar_domain::promise::Tally| {
        format!(
            "{} done on time, {} done late, {} overdue, {} open",
            t.on_time, t.late, t.overdue, t.open
        )
    };
    Ok(AccountMeetings {
        meetings: meetings.iter().map(|m| MeetingRow::of(m, store.now())).collect(),
        promises: promises.into_iter().map(|p| PromiseRow::of(p, actor, today)).collect(),
        ours: describe(ours),
        theirs: describe(theirs),
        kept: kept.describe(),
        owners: promise_owners(store, account, actor.user).await?,
        error,
        today,
        feed_url: None,
    })
}

/// Who may own a promise on `account`, as `user:ID` / `contact:ID` choices: `me` first (the
/// form's default), then the customer's people, then the rest of our team.
pub(crate) async fn promise_owners(
    store: &Store,
    account: AccountId,
    me: Option<UserId>,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut users = store.users().await?;
    users.sort_by_key(|u| Some(u.id) != me);
    let choice = |u: &User| {
        let side = if Some(u.id) == me { "me" } else { "us" };
        (format!("user:{}", u.id), format!("{} ({side})", u.fields.name))
    };
    let mut owners: Vec<(String, String)> = users.iter().take_while(|u| Some(u.id) == me).map(choice).collect();
    owners.extend(store.contacts_of(account).await?.into_iter().map(|c| {
        (
            format!("contact:{}", c.id),
            format!("{} (customer)", c.fields.display_name()),
        )
    }));
    owners.extend(users.iter().filter(|u| Some(u.id) != me).map(choice));
    Ok(owners)
}

/// Reads an owner choice (`user:ID` / `contact:ID`) into the promise input's two ids.
pub(crate) fn owner_ids(choice: &str) -> (Option<i64>, Option<i64>) {
    match choice.split_once(':') {
        Some(("user", id)) => (id.parse().ok(), None),
        Some(("contact", id)) => (None, id.parse().ok()),
        _ => (None, None),
    }
}

struct Checkbox {
    id: i64,
    label: String,
    checked: bool,
}

#[derive(askama::Template)]
#[template(path = "meetings/meeting_form.html")]
struct MeetingForm {
    me: User,
    account_id: i64,
    account_name: String,
    /// Where the form posts: a new meeting or an existing one.
    action: String,
    editing: bool,
    kinds: Vec<(&'static str, &'static str, bool)>,
    title: String,
    date: String,
    time: String,
    duration: String,
    time_zone: String,
    notes: String,
    users: Vec<Checkbox>,
    contacts: Vec<Checkbox>,
    owners: Vec<(String, String)>,
    promise_rows: Vec<(String, String, String)>,
    error: Option<String>,
}

/// How many promises the form offers to write at once.
const PROMISE_ROWS: usize = 3;

impl MeetingForm {
    /// The form for a new meeting on `account`, or for `meeting`; filled with what was sent
    /// (`values`) when it is shown again with its `error`.
    async fn new(
        store: &Store,
        me: User,
        account: AccountId,
        meeting: Option<&Meeting>,
        values: Option<&FormFields>,
        error: Option<String>,
    ) -> Result<MeetingForm, ApiError> {
        let (action, editing) = match meeting {
            Some(m) => (format!("/meetings/{}/edit", m.id), true),
            None => (format!("/accounts/{account}/meetings/new"), false),
        };
        let account_name = store
            .account(account)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("account {account} does not exist")))?
            .fields
            .name
            .to_string();
        let value = |key: &str, default: String| values.map_or(default, |v| v.text(key).to_owned());
        let local = meeting.map(|m| m.fields.starts_at.with_timezone(&m.fields.time_zone));
        let kind = value(
            "kind",
            meeting.map_or("check_in", |m| m.fields.kind.as_str()).to_owned(),
        );
        let ticked_users: Vec<i64> = values.map_or_else(
            || meeting.map_or_else(|| vec![me.id.0], |m| m.fields.users.iter().map(|u| u.0).collect()),
            |v| v.ids("user_ids"),
        );
        let ticked_contacts: Vec<i64> = values.map_or_else(
            || meeting.map_or_else(Vec::new, |m| m.fields.contacts.iter().map(|c| c.0).collect()),
            |v| v.ids("contact_ids"),
        );
        let users = store
            .users()
            .await?
            .into_iter()
            .map(|u| Checkbox {
                id: u.id.0,
                label: u.fields.name.to_string(),
                checked: ticked_users.contains(&u.id.0),
            })
            .collect();
        let contacts = store
            .contacts_of(account)
            .await?
            .into_iter()
            .map(|c| Checkbox {
                id: c.id.0,
                label: c.fields.display_name(),
                checked: ticked_contacts.contains(&c.id.0),
            })
            .collect();
        let promise_rows = (0..PROMISE_ROWS)
            .map(|i| {
                let v = |k: &str| values.map_or_else(String::new, |f| f.text(&format!("promise_{i}_{k}")).to_owned());
                (v("description"), v("owner"), v("due_on"))
            })
            .collect();
        Ok(MeetingForm {
            kinds: MeetingKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label(), k.as_str() == kind))
                .collect(),
            title: value(
                "title",
                meeting.map_or_else(String::new, |m| m.fields.title.to_string()),
            ),
            date: value(
                "date",
                local.map_or_else(|| store.today().to_string(), |l| l.format("%Y-%m-%d").to_string()),
            ),
            time: value(
                "time",
                local.map_or_else(|| "10:00".into(), |l| l.format("%H:%M").to_string()),
            ),
            duration: value(
                "duration_minutes",
                meeting.map_or("30".into(), |m| m.fields.duration_minutes.to_string()),
            ),
            time_zone: value(
                "time_zone",
                meeting.map_or_else(
                    || me.time_zone.tz().name().to_owned(),
                    |m| m.fields.time_zone.name().to_owned(),
                ),
            ),
            notes: value(
                "notes",
                meeting.map_or_else(String::new, |m| m.fields.notes.to_string()),
            ),
            owners: promise_owners(store, account, Some(me.id)).await?,
            me,
            account_id: account.0,
            account_name,
            action,
            editing,
            users,
            contacts,
            promise_rows,
            error,
        })
    }
}

fn input_of(form: &FormFields) -> MeetingInput<'_> {
    MeetingInput {
        kind: form.text("kind"),
        title: form.text("title"),
        start: Start::Local {
            day: form.date("date"),
            time: NaiveTime::parse_from_str(form.text("time"), "%H:%M").ok(),
        },
        duration_minutes: form.text("duration_minutes").trim().parse().ok(),
        time_zone: form.text("time_zone"),
        notes: form.text("notes"),
        users: form.ids("user_ids"),
        contacts: form.ids("contact_ids"),
    }
}

/// The promise rows the form filled in (a row with no description is an unused one).
fn promises_of(form: &FormFields) -> Result<Vec<lodestar_domain::promise::PromiseFields>, ApiError> {
    (0..PROMISE_ROWS)
        .filter(|i| !form.text(&format!("promise_{i}_description")).trim().is_empty())
        .map(|i| {
            let (user, contact) = owner_ids(form.text(&format!("promise_{i}_owner")));
            promise_fields(
                form.text(&format!("promise_{i}_description")),
                user,
                contact,
                form.date(&format!("promise_{i}_due_on")),
            )
        })
        .collect()
}

/// The meeting form as a page: 422 when it comes back with a problem.
async fn form_page(
    store: &Store,
    me: User,
    account: AccountId,
    meeting: Option<&Meeting>,
    sent: Option<&FormFields>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let refused = problem.is_some();
    let page = MeetingForm::new(store, me, account, meeting, sent, problem).await?;
    Ok(form_answer(refused, render(&page)?))
}

/// After a meeting form's post: to the meeting on its account, or the form again with the
/// problem (an error not the person's to fix is handed back).
async fn after_post(
    store: &Store,
    me: User,
    account: AccountId,
    meeting: Option<&Meeting>,
    form: &FormFields,
    result: Result<Meeting, ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/accounts/{}#meeting-{}", m.account_id, m.id)).into_response()),
        Err(e) => form_page(store, me, account, meeting, Some(form), Some(user_problem(e)?)).await,
    }
}

pub(crate) async fn new_meeting(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    form_page(&state.store, me, account, None, None, None).await
}

pub(crate) async fn create_meeting(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let fields = meeting_fields(input_of(&form))?;
        let promises = promises_of(&form)?;
        ops::create(&state.store, &actor, account, fields, promises).await
    }
    .await;
    after_post(&state.store, me, account, None, &form, result).await
}

pub(crate) async fn edit_meeting(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let meeting = ops::changeable(&state.store, &actor, MeetingId(id)).await?;
    form_page(&state.store, me, meeting.account_id, Some(&meeting), None, None).await
}

pub(crate) async fn update_meeting(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let meeting = ops::changeable(&state.store, &actor, MeetingId(id)).await?;
    let form = FormFields::parse(&body);
    let result =
        async { ops::update(&state.store, &actor, MeetingId(id), meeting_fields(input_of(&form))?).await }.await;
    after_post(&state.store, me, meeting.account_id, Some(&meeting), &form, result).await
}

pub(crate) async fn cancel_meeting(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let meeting = ops::changeable(&state.store, &actor, MeetingId(id)).await?;
    let result = ops::cancel(&state.store, &actor, MeetingId(id)).await.map(|_| ());
    back_after_form(
        &format!("/accounts/{}", meeting.account_id),
        "meetings_error",
        &format!("meeting-{id}"),
        result,
    )
}

pub(crate) async fn add_promise(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = AccountId(id);
    writable(&state.store, &actor, account).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let (user, contact) = owner_ids(form.text("owner"));
        let fields = promise_fields(form.text("description"), user, contact, form.date("due_on"))?;
        ops::add_promise(&state.store, &actor, account, fields)
            .await
            .map(|_| ())
    }
    .await;
    back_after_form(&format!("/accounts/{id}"), "meetings_error", "promises", result)
}

/// Marks a promise done, dropped or open again, then goes back to the page it was moved from
/// (`back`: one of our own paths, never another site).
pub(crate) async fn set_promise_status(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let promise = ops::movable(&state.store, &actor, PromiseId(id)).await?;
    let form = FormFields::parse(&body);
    let result = async {
        let status: ActionStatus = form
            .text("status")
            .parse()
            .map_err(|e| lodestar_domain::Invalid::field("status", e))?;
        ops::set_status(&state.store, &actor, PromiseId(id), status)
            .await
            .map(|_| ())
    }
    .await;
    back_to(&form, &promise, result)
}

/// Emails the customer a reminder of their promise, then back where it was asked from.
pub(crate) async fn remind_customer(
    State(state): State<AppState>,
    SignedIn { actor, .. }: SignedIn,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let promise = ops::movable(&state.store, &actor, PromiseId(id)).await?;
    let form = FormFields::parse(&body);
    let result = ops::remind(&state.store, &actor, PromiseId(id)).await.map(|_| ());
    back_to(&form, &promise, result)
}

/// Back to the page a promise was acted on from (`back`: one of our own paths, never another
/// site), its problem in the flash of that page's slot.
fn back_to(
    form: &FormFields,
    promise: &lodestar_store::Promise,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    let back = form.text("back");
    let url = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.split('#').next().unwrap_or(back).to_owned()
    } else {
        format!("/accounts/{}", promise.account_id)
    };
    let slot = if url == "/today" {
        "today_error"
    } else {
        "meetings_error"
    };
    back_after_form(&url, slot, &format!("promise-{}", promise.id), result)
}
