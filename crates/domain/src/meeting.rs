//! Meetings and notes (F-37): what a CSM logs of every conversation with a customer — when,
//! how long, who was there, what was said (Markdown) and what each side promised.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Invalid, Rules, Valid};
use crate::ids::{ContactId, UserId};
use crate::text::{Name, Note};
use crate::vocabulary::MeetingKind;

/// The longest meeting Lodestar accepts: a full-day workshop.
pub const MAX_DURATION_MINUTES: u32 = 12 * 60;

/// What a user sets on a meeting or a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingFields {
    pub kind: MeetingKind,
    pub title: Name,
    /// The instant it starts (a note: when it was written or the conversation happened).
    pub starts_at: DateTime<Utc>,
    /// Minutes; a note has none.
    pub duration_minutes: u32,
    /// The zone it was planned in: what its page and calendar entry show.
    pub time_zone: Tz,
    /// Markdown as written; rendered and sanitised only when shown.
    pub notes: Note,
    pub users: Vec<UserId>,
    pub contacts: Vec<ContactId>,
}

impl MeetingFields {
    /// An appointment lasts between one minute and [`MAX_DURATION_MINUTES`]; a note lasts
    /// nothing. Each attendee is listed once.
    pub fn validate(mut self) -> Result<Valid<MeetingFields>, Invalid> {
        let mut rules = Rules::default();
        if self.kind.is_appointment() {
            rules.require(
                (1..=MAX_DURATION_MINUTES).contains(&self.duration_minutes),
                "duration_minutes",
                || {
                    format!(
                        "a {} lasts between 1 and {MAX_DURATION_MINUTES} minutes",
                        self.kind.label()
                    )
                },
            );
        } else {
            self.duration_minutes = 0;
        }
        self.users.sort();
        self.users.dedup();
        self.contacts.sort();
        self.contacts.dedup();
        rules.finish(self)
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// The instant a wall-clock `time` on `day` is in `zone`. A time the clocks skip (spring
/// forward) does not exist and is refused; a time that happens twice (fall back) is the first.
pub fn local_start(day: NaiveDate, time: NaiveTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    match zone.from_local_datetime(&day.and_time(time)) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{day} {} does not exist in {zone} (the clocks skip it); pick another time",
            time.format("%H:%M")
        )),
    }
}

/// Reads an IANA time-zone name ("Europe/Berlin", "UTC").
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!(
            "unknown time zone {:?}; use an IANA name such as Europe/Berlin or America/New_York",
            name.trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: MeetingKind, minutes: u32) -> MeetingFields {
        MeetingFields {
            kind,
            title: Name::parse("Weekly status").unwrap(),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap(),
            duration_minutes: minutes,
            time_zone: Tz::UTC,
            notes: Note::default(),
            users: vec![UserId(2), UserId(1), UserId(2)],
            contacts: vec![ContactId(5), ContactId(5)],
        }
    }

    #[test]
    fn an_appointment_needs_a_length_and_a_note_has_none() {
        let err = fields(MeetingKind::Qbr, 0).validate().unwrap_err();
        assert_eq!(err.errors[0].field, "duration_minutes");
        assert!(fields(MeetingKind::Qbr, MAX_DURATION_MINUTES + 1).validate().is_err());
        let note = fields(MeetingKind::Note, 30).validate().unwrap();
        assert_eq!(note.duration_minutes, 0);
        assert_eq!(note.ends_at(), note.starts_at);
    }

    #[test]
    fn attendees_are_listed_once() {
        let m = fields(MeetingKind::Call, 30).validate().unwrap();
        assert_eq!(m.users, vec![UserId(1), UserId(2)]);
        assert_eq!(m.contacts, vec![ContactId(5)]);
        assert_eq!(m.ends_at(), Utc.with_ymd_and_hms(2026, 12, 2, 15, 30, 0).unwrap());
    }

    #[test]
    fn wall_clock_times_follow_the_zone_and_its_daylight_saving() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        // Winter: UTC+1; summer: UTC+2.
        let winter = local_start(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(), nine, berlin).unwrap();
        assert_eq!(winter, Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap());
        let summer = local_start(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), nine, berlin).unwrap();
        assert_eq!(summer, Utc.with_ymd_and_hms(2026, 7, 1, 7, 0, 0).unwrap());
        // 2026-03-29 02:30 is skipped in Berlin; 2026-10-25 02:30 happens twice (the first is CEST).
        let skipped = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        let err = local_start(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(), skipped, berlin).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        let twice = local_start(NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(), skipped, berlin).unwrap();
        assert_eq!(twice, Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(
            parse_time_zone(" America/New_York ").unwrap(),
            chrono_tz::America::New_York
        );
        assert!(parse_time_zone("CEST+2").unwrap_err().contains("IANA"));
    }
}
