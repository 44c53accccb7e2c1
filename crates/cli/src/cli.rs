//! The command line: argument parsing and one function per subcommand.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use lodestar_domain::AccountId;
use lodestar_domain::text::{Email, ExternalId, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::{AuditKind, Role, TokenScope};
use lodestar_server::ServerConfig;
use lodestar_store::{AuditActor, AuditRecord, EventSelection, Store};

use crate::demo::DemoConfig;
use crate::transfer::audit_export::export_audit;
use crate::transfer::event_export::export_events;
use crate::transfer::events::import_events;
use crate::transfer::export::{Format, export};
use crate::transfer::handoffs::{export_handoffs, import_handoffs};
use crate::transfer::import::{ImportOptions, import};
use crate::transfer::kinds::Kind;
use crate::transfer::subscriptions::{export_subscriptions, import_subscriptions};
use crate::transfer::survey_answers::{export_survey_answers, import_survey_answers};

/// Lodestar: customer success on one binary — accounts, contacts, contracts and ARR history
/// on SQLite or PostgreSQL, with a JSON API.
#[derive(Debug, Parser)]
#[command(name = "lodestar", version, propagate_version = true)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, env = "LODESTAR_DB", default_value = "sqlite://lodestar.db")]
    pub db: String,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line) for
    /// log collectors. Which lines: LODESTAR_LOG, e.g. `info` (default) or `warn,lodestar_server=debug`.
    #[arg(long, global = true, env = "LODESTAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sends log lines to stderr in `format`, filtered by LODESTAR_LOG (`info`, sqlx's own lines
/// `error`, when unset).
pub fn init_logs(format: LogFormat) -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter: tracing_subscriber::filter::Targets = match std::env::var("LODESTAR_LOG") {
        Ok(spec) => spec.parse().with_context(|| {
            format!("LODESTAR_LOG={spec:?} is not a log filter (e.g. info, or warn,lodestar_server=debug)")
        })?,
        // sqlx warns of every statement over a second: a backup's or a demo's table scans are
        // long by nature, so its lines are shown only when asked for (LODESTAR_LOG=info,sqlx=warn).
        Err(_) => tracing_subscriber::filter::Targets::new()
            .with_default(tracing::Level::INFO)
            .with_target("sqlx", tracing::Level::ERROR),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry.with(layer.with_ansi(false)).try_init()?,
        LogFormat::Json => registry.with(layer.json().flatten_event(true)).try_init()?,
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API (and its OpenAPI document) until SIGTERM or Ctrl-C.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load the demo data set first if the database is empty, and print an admin token.
        #[arg(long)]
        demo: bool,
        /// Sign-in sessions end after this many minutes without a request (and 12 hours
        /// after sign-in in any case).
        #[arg(long, env = "LODESTAR_SESSION_IDLE_MINUTES", default_value_t = 120,
              value_parser = clap::value_parser!(u32).range(1..=720))]
        session_idle_minutes: u32,
        /// Behind a reverse proxy: the header it writes the client address into (e.g.
        /// X-Forwarded-For). Only set this when a proxy you run overwrites or appends it;
        /// otherwise the TCP peer's address is used.
        #[arg(long, env = "LODESTAR_CLIENT_ADDRESS_HEADER")]
        client_address_header: Option<String>,
        /// The URL people open Lodestar at. When it is https, browsers are told to use https
        /// only (Strict-Transport-Security).
        #[arg(long, env = "LODESTAR_PUBLIC_URL")]
        public_url: Option<String>,
        /// Also serve GET /metrics without a token on this address (keep it private: a
        /// loopback or internal interface). On the main address /metrics needs a token of the
        /// metrics scope (`lodestar token create --scope metrics`).
        #[arg(long, env = "LODESTAR_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// The SMTP server notifications are emailed through: smtp://HOST:PORT (add
        /// ?tls=required for STARTTLS), smtps://HOST (TLS from the start), with USER:PASSWORD@
        /// before the host when it wants a login. Unset, no email is sent.
        #[arg(long, env = "LODESTAR_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// The address email comes from, e.g. "Lodestar <cs@example.com>" (with --smtp-url).
        #[arg(long, env = "LODESTAR_MAIL_FROM")]
        mail_from: Option<String>,
        /// The shared secret Zendesk's webhook sends in X-Lodestar-Webhook-Secret (POST
        /// /api/v1/webhooks/zendesk). Unset, that webhook answers 401.
        #[arg(long, env = "LODESTAR_ZENDESK_SECRET", hide_env_values = true)]
        zendesk_secret: Option<String>,
        /// The shared secret Jira signs its webhook bodies with (X-Hub-Signature: sha256=…,
        /// POST /api/v1/webhooks/jira). Unset, that webhook answers 401.
        #[arg(long, env = "LODESTAR_JIRA_SECRET", hide_env_values = true)]
        jira_secret: Option<String>,
    },
    /// Bring the database schema up to date (every command also does this first).
    Migrate,
    /// Load a realistic, deterministic demo data set into an empty database.
    Demo {
        /// How many customer accounts to generate.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        accounts: u32,
        /// Random seed: the same seed (and day) gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The day the data is generated around (renewals ahead, history behind); default today.
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Leave out the product usage (about 180 days of events for up to 1,000 accounts).
        #[arg(long)]
        no_usage: bool,
    },
    /// Manage the people on your team who use Lodestar.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens (sent as `Authorization: Bearer …`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage write keys: what event sources (Segment, RudderStack clients) send as the HTTP
    /// Basic user name to `/v1/…`.
    Writekey {
        #[command(subcommand)]
        command: WriteKeyCommand,
    },
    /// Import a CSV file of users, accounts, contacts, contracts or support tickets (import
    /// accounts before their contacts, contracts and tickets): any invalid row stops the import before anything is
    /// written, unless --skip-invalid is given. Or import usage events from Segment-format
    /// NDJSON or CSV (timestamp,user_id,account_id,event,…): refused lines are reported by
    /// number and the rest imported; events already stored are skipped.
    Import {
        kind: TransferKind,
        file: PathBuf,
        /// Column mapping: a preset (hubspot, salesforce) or a JSON mapping file.
        #[arg(long)]
        mapping: Option<String>,
        /// Import the valid rows and report the invalid ones.
        #[arg(long)]
        skip_invalid: bool,
        /// Accounts only: keep the columns nothing reads as custom fields, named after their
        /// headers ("Annual Revenue" → custom.annual_revenue). Without it they are listed and
        /// left out.
        #[arg(long)]
        keep_unmapped: bool,
        /// Effective date of ARR changes found when re-importing contracts; default today.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Events only: read and check every line, write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Export every record of a kind as CSV or JSON (users by email, the rest by external id),
    /// or the stored usage events as NDJSON exactly as they were received (in the order
    /// received), to stdout or a file. What an export writes imports again. `export audit`
    /// writes the audit log, oldest first, as CSV or JSON (it is never imported).
    Export {
        kind: TransferKind,
        /// Records and the audit log: csv (the default) or json. Events are always NDJSON.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Write to this file instead of stdout (it appears only when complete).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Events only: those on this account (its external id, or its numeric id).
        #[arg(long)]
        account: Option<String>,
        /// Events and the audit log: those of this day (UTC, YYYY-MM-DD) or later.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Events and the audit log: those of this day (UTC, YYYY-MM-DD) or earlier.
        #[arg(long)]
        to: Option<NaiveDate>,
    },
    /// Product usage: rebuild the rollups from the stored events.
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
    /// Health scores: recompute every account's score.
    Health {
        #[command(subcommand)]
        command: HealthCommand,
    },
    /// Revenue reports, as the API and the Revenue pages give them.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Write a consistent backup of the whole database to FILE (safe while Lodestar runs).
    Backup { file: PathBuf },
    /// Load a backup into an empty database — SQLite or PostgreSQL, whichever made it.
    Restore { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once: only its hash is stored.
    Create {
        /// What the token is for (shown in `token list`).
        #[arg(long)]
        name: String,
        /// The token's role (admin, leader, csm, associate_csm, ae, executive, viewer);
        /// ignored with --user, whose own role applies.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Act as this user (email), with their role and their book of accounts.
        #[arg(long)]
        user: Option<String>,
        /// api (the default): the API with the token's role; metrics: only GET /metrics.
        #[arg(long, default_value = "api")]
        scope: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id; it stops working at once.
    Revoke { id: i64 },
}

/// What `import` reads and `export` writes: one of the record kinds, usage events, or (export
/// only) the audit log. One list for both, so every kind that imports also exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransferKind {
    Users,
    Accounts,
    Contacts,
    Contracts,
    Tickets,
    Events,
    Audit,
    /// Past NPS, CSAT and micro-survey answers (CSV).
    SurveyAnswers,
    /// Closed deals from a CRM, each handed to CS (CSV).
    Handoffs,
    /// A billing history, one row per subscription period (CSV): it becomes contracts, line
    /// items and a typed MRR history, and feeds revenue retention and retention curves.
    Subscriptions,
}

impl TransferKind {
    fn records(self) -> Option<Kind> {
        match self {
            TransferKind::Users => Some(Kind::Users),
            TransferKind::Accounts => Some(Kind::Accounts),
            TransferKind::Contacts => Some(Kind::Contacts),
            TransferKind::Contracts => Some(Kind::Contracts),
            TransferKind::Tickets => Some(Kind::Tickets),
            TransferKind::Events
            | TransferKind::Audit
            | TransferKind::SurveyAnswers
            | TransferKind::Handoffs
            | TransferKind::Subscriptions => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Revenue retention of the period [from, to): NRR, GRR, logo churn and MRR churn with the
    /// counts and sums behind them, over time and by group (start-cohort definitions: see the
    /// API documentation of GET /api/v1/revenue/retention).
    Retention {
        #[arg(long)]
        from: NaiveDate,
        /// The day after the period.
        #[arg(long)]
        to: NaiveDate,
        /// tier (or segment), industry, csm or cohort.
        #[arg(long)]
        by: Option<String>,
        /// The series' step: month, quarter (default) or year.
        #[arg(long, default_value = "quarter")]
        step: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Kaplan–Meier retention curves by an account attribute, with 95 % log-log bands
    /// (Greenwood) and at-risk counts; accounts still subscribed on the as-of day are censored.
    Survival {
        /// all, tier, industry, size, region, csm, contract_size, had_qbr, or a custom field
        /// (channel, custom.KEY).
        #[arg(long, default_value = "all")]
        by: String,
        /// Default today.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
}

/// How `report` prints: a summary for people, or the API's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Recompute every usage rollup (per account, feature and person per day) from the
    /// stored events. Rollups are kept up to date as events arrive; this is for repairs.
    Rebuild,
    /// Apply the events acknowledged but not yet counted in the rollups and scores. A running
    /// `serve` does this within a second of each ingestion answer; this is for a database
    /// whose server is stopped (after a crash, say), or to wait for the backlog.
    Apply,
}

#[derive(Debug, Subcommand)]
pub enum HealthCommand {
    /// Rescore every account now. Scores follow their inputs as they change, and `serve`
    /// rescores all once a day (days to renewal and the usage windows move with time); this
    /// is for after a bulk change made outside Lodestar.
    Recompute {
        /// Score as of this day (YYYY-MM-DD) instead of today, e.g. to fill in a missed day.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WriteKeyCommand {
    /// Create a write key and print it once: only its hash is stored.
    Create {
        /// Which source sends with it (shown in `writekey list`).
        #[arg(long)]
        name: String,
    },
    /// List write keys (never the keys themselves).
    List,
    /// Revoke a write key by id; events sent with it are refused from then on.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person to the team.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, leader, csm, associate_csm, ae, executive or viewer.
        #[arg(long)]
        role: String,
        /// Email of their manager.
        #[arg(long)]
        manager: Option<String>,
        /// The most accounts they should own.
        #[arg(long)]
        capacity: Option<u32>,
        /// Read a sign-in password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the team.
    List,
    /// Set a person's password from the first line of standard input; their sessions end.
    Passwd {
        /// Their email.
        email: String,
    },
    /// Lock a person out at once: sign-in, sessions and their API tokens stop. Everything
    /// they own stays (hand it over later, or reactivate them).
    Deactivate {
        /// Their email.
        email: String,
    },
    /// Let a deactivated person sign in again.
    Reactivate {
        /// Their email.
        email: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let store = Store::open(&cli.db)
        .await
        .with_context(|| format!("cannot open the database {}", cli.db))?;
    let result = dispatch(&store, cli.command).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, command: Command) -> anyhow::Result<()> {
    let today = || store.today();
    match command {
        Command::Serve {
            listen,
            demo,
            session_idle_minutes,
            client_address_header,
            public_url,
            metrics_listen,
            smtp_url,
            mail_from,
            zendesk_secret,
            jira_secret,
        } => {
            let mut config = server_config(session_idle_minutes, client_address_header, public_url)?;
            config.mail = mail_config(smtp_url, mail_from)?;
            let secret = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
            config.zendesk_secret = secret(zendesk_secret);
            config.jira_secret = secret(jira_secret);
            serve(store, &listen, metrics_listen.as_deref(), demo, config).await?
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    name,
                    role,
                    user,
                    scope,
                },
        } => {
            let name = Name::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let scope: TokenScope = scope.parse().map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
            let (role, user) = match user {
                Some(email) => {
                    let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--user: {e}"))?;
                    let u = store
                        .user_by_email(&email)
                        .await?
                        .with_context(|| format!("--user: no user has the email {email}"))?;
                    (u.fields.role, Some(u.id))
                }
                None => (role.parse::<Role>().map_err(|e| anyhow::anyhow!("--role: {e}"))?, None),
            };
            let (token, secret) = lodestar_server::auth::issue_token(store, &name, role, user, scope).await?;
            let detail = format!("\"{}\", role {}, scope {}", token.name, token.role, token.scope);
            audit(
                store,
                AuditKind::TokenCreated,
                Some(format!("token {}", token.id)),
                detail,
            )
            .await?;
            eprintln!(
                "token {} ({}, {}) created; it is shown only now:",
                token.id,
                token.name,
                token.role.label()
            );
            println!("{secret}");
        }
        Command::Token {
            command: TokenCommand::List,
        } => {
            for t in store.tokens().await? {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}\t{}…\t{}\t{}\t{}\t{state}", t.id, t.prefix, t.role, t.scope, t.name);
            }
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            store.revoke_token(lodestar_domain::TokenId(id)).await?;
            audit(store, AuditKind::TokenRevoked, Some(format!("token {id}")), "").await?;
            println!("token {id} revoked");
        }
        Command::Writekey {
            command: WriteKeyCommand::Create { name },
        } => {
            let name = Name::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let (key, secret) = lodestar_server::auth::issue_write_key(store, &name).await?;
            let subject = Some(format!("write key {}", key.id));
            audit(store, AuditKind::WriteKeyCreated, subject, format!("\"{}\"", key.name)).await?;
            eprintln!("write key {} ({}) created; it is shown only now:", key.id, key.name);
            println!("{secret}");
        }
        Command::Writekey {
            command: WriteKeyCommand::List,
        } => {
            for k in store.write_keys().await? {
                let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}\t{}…\t{}\t{state}", k.id, k.prefix, k.name);
            }
        }
        Command::Writekey {
            command: WriteKeyCommand::Revoke { id },
        } => {
            store.revoke_write_key(lodestar_domain::WriteKeyId(id)).await?;
            audit(store, AuditKind::WriteKeyRevoked, Some(format!("write key {id}")), "").await?;
            println!("write key {id} revoked");
        }
        Command::Migrate => {
            println!("database schema is at version {}", store.schema_version().await?);
        }
        Command::Demo {
            accounts,
            seed,
            today: day,
            no_usage,
        } => {
            let started = Instant::now();
            let config = DemoConfig {
                accounts: accounts as usize,
                seed,
                today: day.unwrap_or_else(today),
            };
            // A demo made around another day is stamped and scored as of that day.
            let store = match day {
                Some(day) => store.with_clock(crate::demo::clock_on(day)),
                None => store.clone(),
            };
            let summary = crate::demo::load(&store, &config, !no_usage).await?;
            println!(
                "demo data loaded in {:.1}s: {summary} (seed {seed}, today {})",
                started.elapsed().as_secs_f64(),
                config.today
            );
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    manager,
                    capacity,
                    password_stdin,
                },
        } => {
            let manager_id = match manager {
                None => None,
                Some(m) => {
                    let m = Email::parse(&m).map_err(|e| anyhow::anyhow!("--manager: {e}"))?;
                    Some(
                        store
                            .user_by_email(&m)
                            .await?
                            .with_context(|| format!("--manager: no user has the email {m}"))?
                            .id,
                    )
                }
            };
            let fields = UserFields {
                email: Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?,
                name: Name::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?,
                role: role.parse::<Role>().map_err(|e| anyhow::anyhow!("--role: {e}"))?,
                manager_id,
                capacity,
            };
            let password = if password_stdin { Some(read_password()?) } else { None };
            let hash = password
                .as_deref()
                .map(lodestar_server::password::hash)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let user = store.create_user(fields.validate(None)?).await?;
            if let Some(hash) = hash {
                store.set_password_hash(user.id, &hash).await?;
            }
            let detail = format!("{} as {}", user.fields.email, user.fields.role);
            audit(store, AuditKind::UserCreated, Some(format!("user {}", user.id)), detail).await?;
            println!(
                "added {} <{}> as {}",
                user.fields.name,
                user.fields.email,
                user.fields.role.label()
            );
        }
        Command::User {
            command: UserCommand::List,
        } => {
            let deactivated = store.deactivated_users().await?;
            for u in store.users().await? {
                let state = if deactivated.contains(&u.id) {
                    "\tdeactivated"
                } else {
                    ""
                };
                println!("{}\t{}\t{}{state}", u.fields.email, u.fields.role, u.fields.name);
            }
        }
        Command::User {
            command: UserCommand::Passwd { email },
        } => {
            let user = user_by_email(store, &email).await?;
            let hash = lodestar_server::password::hash(&read_password()?).map_err(anyhow::Error::msg)?;
            store.set_password_hash(user.id, &hash).await?;
            let ended = store.end_sessions(user.id, None).await?;
            let detail = format!("{ended} session(s) ended");
            audit(
                store,
                AuditKind::PasswordReset,
                Some(format!("user {}", user.id)),
                detail,
            )
            .await?;
            println!("password of {} set; {ended} session(s) ended", user.fields.email);
        }
        Command::User {
            command: UserCommand::Deactivate { email },
        } => {
            let email = set_active(store, &email, false).await?;
            println!("{email} is deactivated: signed out, sign-in and API tokens refused; their records stay");
        }
        Command::User {
            command: UserCommand::Reactivate { email },
        } => {
            let email = set_active(store, &email, true).await?;
            println!("{email} may sign in again");
        }
        Command::Import {
            kind: TransferKind::Events,
            file,
            mapping,
            skip_invalid,
            keep_unmapped,
            as_of,
            check,
        } => {
            if mapping.is_some() || skip_invalid || keep_unmapped || as_of.is_some() {
                bail!(
                    "--mapping, --skip-invalid, --keep-unmapped and --as-of apply to records; an events import always imports the valid lines"
                );
            }
            let report = import_events(store, &file, check, true).await?;
            for line in report.error_lines() {
                eprintln!("{line}");
            }
            println!("{report}");
        }
        Command::Import {
            kind: kind @ (TransferKind::SurveyAnswers | TransferKind::Handoffs | TransferKind::Subscriptions),
            file,
            mapping,
            skip_invalid,
            keep_unmapped,
            as_of,
            check,
        } => {
            let what = match kind {
                TransferKind::SurveyAnswers => "survey answers",
                TransferKind::Handoffs => "handoffs",
                _ => "subscriptions",
            };
            own_columns_only(
                what,
                mapping.is_some() || skip_invalid || keep_unmapped || as_of.is_some() || check,
            )?;
            let added = |rows: usize, added: u64| {
                format!(
                    "{rows} rows, {added} {what} added ({} already there)",
                    rows as u64 - added
                )
            };
            match kind {
                TransferKind::SurveyAnswers => {
                    let report = import_survey_answers(store, &file).await?;
                    all_or_none(&file, &report.errors, report.added, |n| added(report.rows, n))?;
                }
                TransferKind::Handoffs => {
                    let report = import_handoffs(store, &file).await?;
                    all_or_none(&file, &report.errors, report.added, |n| added(report.rows, n))?;
                }
                _ => {
                    let report = import_subscriptions(store, &file).await?;
                    all_or_none(&file, &report.errors, report.added, |written| {
                        format!(
                            "{} rows; {} accounts' subscription history replaced: {} MRR movements, {} contracts",
                            report.rows, written.accounts, written.movements, written.contracts
                        )
                    })?;
                }
            }
        }
        Command::Import {
            kind: TransferKind::Audit,
            ..
        } => {
            bail!("the audit log is append-only and is never imported; `lodestar restore` moves a whole database");
        }
        Command::Import {
            kind,
            file,
            mapping,
            skip_invalid,
            keep_unmapped,
            as_of,
            check,
        } => {
            if check {
                bail!("--check applies to events; a records import checks every row before writing anyway");
            }
            let kind = kind.records().expect("events are imported above");
            let options = ImportOptions {
                mapping,
                skip_invalid,
                keep_unmapped,
                as_of: as_of.unwrap_or_else(today),
                progress: true,
            };
            let report = import(store, kind, &file, &options).await?;
            for line in report.error_lines() {
                eprintln!("{line}");
            }
            let Some(written) = report.written else {
                bail!("{report}");
            };
            if kind == Kind::Users && written.created + written.updated > 0 {
                // People who may get access: their creation (and any role an import changes)
                // is on the record like one made on the admin page.
                let detail = format!(
                    "import of {}: {} created, {} updated",
                    file.display(),
                    written.created,
                    written.updated
                );
                audit(store, AuditKind::UserCreated, None, detail).await?;
            }
            println!("{report}");
        }
        Command::Usage {
            command: UsageCommand::Rebuild,
        } => {
            let started = Instant::now();
            store.rebuild_usage_rollups().await?;
            println!("usage rollups rebuilt in {:.1} s", started.elapsed().as_secs_f64());
        }
        Command::Usage {
            command: UsageCommand::Apply,
        } => {
            let applied = store.apply_all_queued_usage().await?;
            println!(
                "{} events in {} blocks applied ({} wait for their account)",
                applied.events, applied.blocks, applied.unmatched
            );
        }
        Command::Health {
            command: HealthCommand::Recompute { as_of },
        } => {
            let started = Instant::now();
            let summary = store.recompute_health(as_of.unwrap_or_else(|| store.today())).await?;
            println!(
                "{} accounts scored, {} with nothing to score, in {:.2} s",
                summary.scored,
                summary.unscored,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Export {
            kind: TransferKind::Events,
            format,
            output,
            account,
            from,
            to,
        } => {
            if format.is_some() {
                bail!("--format applies to records; events are exported as NDJSON");
            }
            if let (Some(from), Some(to)) = (from, to)
                && from > to
            {
                bail!("--from {from} is after --to {to}: no day is in between");
            }
            let account = match account {
                Some(a) => Some(account_by_id_or_key(store, &a).await?),
                None => None,
            };
            let selection = EventSelection { account, from, to };
            write_export(output.as_deref(), "events", async |out| {
                export_events(store, &selection, out).await
            })
            .await?;
            let detail = format!("events to {}", destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Export {
            kind: TransferKind::SurveyAnswers,
            format,
            output,
            account,
            from,
            to,
        } => {
            if format == Some(Format::Json) || account.is_some() || from.is_some() || to.is_some() {
                bail!("survey answers are exported whole, as CSV");
            }
            write_export(output.as_deref(), "survey answers", async |out| {
                export_survey_answers(store, out).await
            })
            .await?;
            let detail = format!("survey answers to {}", destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Export {
            kind: TransferKind::Handoffs,
            format,
            output,
            account,
            from,
            to,
        } => {
            if format == Some(Format::Json) || account.is_some() || from.is_some() || to.is_some() {
                bail!("handoffs are exported whole, as CSV");
            }
            write_export(output.as_deref(), "handoffs", async |out| {
                export_handoffs(store, out).await
            })
            .await?;
            let detail = format!("handoffs to {}", destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Export {
            kind: TransferKind::Subscriptions,
            format,
            output,
            account,
            from,
            to,
        } => {
            if format == Some(Format::Json) || account.is_some() || from.is_some() || to.is_some() {
                bail!("subscriptions are exported whole, as CSV");
            }
            write_export(output.as_deref(), "subscriptions", async |out| {
                export_subscriptions(store, out).await
            })
            .await?;
            let detail = format!("subscriptions to {}", destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Export {
            kind: TransferKind::Audit,
            format,
            output,
            account,
            from,
            to,
        } => {
            if account.is_some() {
                bail!("--account applies to events");
            }
            let format = format.unwrap_or(Format::Csv);
            write_export(output.as_deref(), "audit log entries", async |out| {
                export_audit(store, from, to, format, out).await
            })
            .await?;
            let detail = format!("the audit log to {}", destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Export {
            kind,
            format,
            output,
            account,
            from,
            to,
        } => {
            if account.is_some() || from.is_some() || to.is_some() {
                bail!("--account, --from and --to apply to events; a records export writes every record");
            }
            let kind = kind.records().expect("events are exported above");
            let format = format.unwrap_or(Format::Csv);
            write_export(output.as_deref(), kind.name(), async |out| {
                export(store, kind, format, out).await
            })
            .await?;
            let detail = format!("{} to {}", kind.name(), destination(output.as_deref()));
            audit(store, AuditKind::Export, None, detail).await?;
        }
        Command::Report { command } => report(store, command).await?,
        Command::Backup { file } => {
            let s = store.backup(&file).await?;
            let detail = format!("{} rows to {}", s.rows, file.display());
            audit(store, AuditKind::Backup, None, detail).await?;
            println!(
                "backed up {} rows from {} tables to {}",
                s.rows,
                s.tables,
                file.display()
            );
        }
        Command::Restore { file } => {
            let s = store.restore(&file).await?;
            let detail = format!("{} rows from {}", s.rows, file.display());
            audit(store, AuditKind::Restore, None, detail).await?;
            println!(
                "restored {} rows into {} tables from {}",
                s.rows,
                s.tables,
                file.display()
            );
        }
    }
    Ok(())
}

/// Appends to the audit log what this command did, as the command line's user.
async fn audit(
    store: &Store,
    kind: AuditKind,
    subject: Option<String>,
    detail: impl Into<String>,
) -> anyhow::Result<()> {
    let actor = AuditActor::command_line();
    let record = AuditRecord {
        actor: &actor,
        client: None,
        kind,
        subject,
        detail: detail.into(),
    };
    Ok(store.audit(&record).await?)
}

/// Where an export went, for the audit log.
fn destination(output: Option<&Path>) -> String {
    output.map_or_else(|| "standard output".to_owned(), |p| p.display().to_string())
}

/// Deactivates or reactivates the user with `email`, in the audit log; their email.
async fn set_active(store: &Store, email: &str, active: bool) -> anyhow::Result<Email> {
    let user = user_by_email(store, email).await?;
    store.set_user_active(user.id, active).await?;
    let kind = if active {
        AuditKind::UserReactivated
    } else {
        AuditKind::UserDeactivated
    };
    let subject = Some(format!("user {}", user.id));
    audit(store, kind, subject, user.fields.email.to_string()).await?;
    Ok(user.fields.email)
}

/// The user with `email`, or an error naming it.
async fn user_by_email(store: &Store, email: &str) -> anyhow::Result<lodestar_domain::user::User> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("EMAIL: {e}"))?;
    store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user has the email {email}"))
}

/// Accounts in the data set `serve --demo` loads into an empty database.
const SERVE_DEMO_ACCOUNTS: usize = 1000;

/// The server's settings from `serve`'s flags, each checked.
fn server_config(
    session_idle_minutes: u32,
    client_address_header: Option<String>,
    public_url: Option<String>,
) -> anyhow::Result<ServerConfig> {
    let client_address_header = client_address_header
        .map(|h| lodestar_server::config::header_name(&h).map_err(|e| anyhow::anyhow!("--client-address-header: {e}")))
        .transpose()?;
    let https = match public_url.as_deref() {
        None => false,
        Some(url) if url.starts_with("https://") => true,
        Some(url) if url.starts_with("http://") => false,
        Some(url) => anyhow::bail!("--public-url: {url:?} must start with https:// or http://"),
    };
    let mut config = ServerConfig {
        client_address_header,
        https,
        public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
        ..ServerConfig::default()
    };
    config.sessions.idle = chrono::Duration::minutes(i64::from(session_idle_minutes));
    Ok(config)
}

/// Where email goes, from `--smtp-url` and `--mail-from`: both or neither.
fn mail_config(
    smtp_url: Option<String>,
    mail_from: Option<String>,
) -> anyhow::Result<Option<lodestar_server::config::MailConfig>> {
    match (smtp_url, mail_from) {
        (None, None) => Ok(None),
        (Some(url), Some(from)) => lodestar_server::config::MailConfig::new(&url, &from)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--smtp-url/--mail-from: {e}")),
        (Some(_), None) => bail!("--smtp-url needs --mail-from (LODESTAR_MAIL_FROM): the address email comes from"),
        (None, Some(_)) => bail!("--mail-from needs --smtp-url (LODESTAR_SMTP_URL): the server email goes through"),
    }
}

async fn serve(
    store: &Store,
    listen: &str,
    metrics_listen: Option<&str>,
    demo: bool,
    config: ServerConfig,
) -> anyhow::Result<()> {
    if demo {
        if store.count_accounts().await? == 0 && store.users().await?.is_empty() {
            let config = DemoConfig {
                accounts: SERVE_DEMO_ACCOUNTS,
                seed: 42,
                today: store.today(),
            };
            crate::demo::load(store, &config, true).await?;
            println!("loaded the demo data set ({SERVE_DEMO_ACCOUNTS} accounts)");
        }
        let admin = Email::parse(crate::demo::ADMIN_EMAIL).expect("a valid email");
        if let Some(admin) = store.user_by_email(&admin).await? {
            // A fresh password each start: the demo never ships a known credential.
            let password = random_password();
            let hash = lodestar_server::password::hash(&password).map_err(anyhow::Error::msg)?;
            store.set_password_hash(admin.id, &hash).await?;
            let subject = Some(format!("user {}", admin.id));
            audit(
                store,
                AuditKind::PasswordReset,
                subject,
                "serve --demo: a fresh password",
            )
            .await?;
            println!("Sign in as {} with the password {password}", admin.fields.email);
            let name = Name::parse("serve --demo").expect("a valid name");
            let (token, secret) =
                lodestar_server::auth::issue_token(store, &name, admin.fields.role, Some(admin.id), TokenScope::Api)
                    .await?;
            let subject = Some(format!("token {}", token.id));
            audit(
                store,
                AuditKind::TokenCreated,
                subject,
                "serve --demo: the admin's token",
            )
            .await?;
            println!("API token for {} (admin): {secret}", admin.fields.email);
        }
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let metrics_listener = match metrics_listen {
        Some(address) => {
            let l = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("--metrics-listen: cannot listen on {address}"))?;
            println!("Metrics: http://{}/metrics", l.local_addr()?);
            Some(l)
        }
        None => None,
    };
    // Last, as the line scripts and tests wait for: everything is listening when it appears.
    println!("Lodestar is listening on http://{addr}/ (API: http://{addr}/api/v1/openapi.json)");
    lodestar_server::serve(
        listener,
        metrics_listener,
        store.clone(),
        config,
        lodestar_server::shutdown_signal(),
    )
    .await?;
    println!("stopped");
    Ok(())
}

/// 16 letters and digits from the thread's cryptographic generator.
fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// The account `--account` names: by external id, else (CRM ids are often numbers) by id.
async fn account_by_id_or_key(store: &Store, given: &str) -> anyhow::Result<AccountId> {
    if let Ok(key) = ExternalId::parse(given)
        && let Some(account) = store.account_by_external_id(&key).await?
    {
        return Ok(account.id);
    }
    if let Ok(id) = given.trim().parse::<i64>()
        && store.account(AccountId(id)).await?.is_some()
    {
        return Ok(AccountId(id));
    }
    bail!("--account: no account has the external id or the id {given:?}")
}

/// Runs an export's `write` to stdout, or atomically to the file `output` (then says how many
/// `what` it wrote, on stderr, as stdout is not the data).
/// Runs a revenue report as the operator, who sees every account (as an admin would).
async fn report(store: &Store, command: ReportCommand) -> anyhow::Result<()> {
    use lodestar_server::error::ApiError;
    use lodestar_server::revenue as ops;
    let operator = lodestar_domain::access::Actor {
        role: lodestar_domain::vocabulary::Role::Admin,
        user: None,
    };
    let refused = |e: ApiError| match e {
        ApiError::Internal(cause) => anyhow::anyhow!(cause),
        other => anyhow::anyhow!(other.message()),
    };
    let rate = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0));
    match command {
        ReportCommand::Retention {
            from,
            to,
            by,
            step,
            format,
        } => {
            let by = by
                .as_deref()
                .map(ops::RetentionBy::parse)
                .transpose()
                .map_err(refused)?;
            let step = step.parse().map_err(|e: String| anyhow::anyhow!("--step: {e}"))?;
            let params = ops::RetentionParams::new(from, to, by, step).map_err(refused)?;
            let r = ops::retention(store, &operator, params).await.map_err(refused)?;
            if format == ReportFormat::Json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            let line = |label: &str, f: &ops::RetentionFigures| {
                println!(
                    "{label:<24} {:>6} accounts  NRR {:>8}  GRR {:>8}  logo churn {:>8}  MRR churn {:>8}",
                    f.accounts,
                    rate(f.nrr),
                    rate(f.grr),
                    rate(f.logo_churn),
                    rate(f.mrr_churn)
                )
            };
            line(&format!("{from} to {to}"), &r.total);
            for p in &r.series {
                line(&format!("  {} to {}", p.from, p.to), &p.figures);
            }
            for g in &r.groups {
                line(&g.label, &g.figures);
            }
        }
        ReportCommand::Survival { by, as_of, format } => {
            let by = ops::SurvivalBy::parse(&by).map_err(refused)?;
            let r = ops::survival(store, &operator, by, as_of).await.map_err(refused)?;
            if format == ReportFormat::Json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            println!("retention curves by {} as of {} ({} band)", r.by, r.as_of, r.band);
            for g in &r.groups {
                let median = g
                    .median_days
                    .map_or_else(|| "not reached".to_owned(), |d| format!("{d} days"));
                let last = g.steps.last().map_or(1.0, |s| s.survival);
                println!(
                    "{:<24} {:>6} accounts, {:>5} churned, median tenure {median}, {} still subscribed at the longest tenure",
                    g.label,
                    g.accounts,
                    g.churned,
                    rate(Some(last))
                );
            }
        }
    }
    Ok(())
}

async fn write_export<N: std::fmt::Display>(
    output: Option<&Path>,
    what: &str,
    write: impl AsyncFnOnce(&mut dyn Write) -> anyhow::Result<N>,
) -> anyhow::Result<()> {
    match output {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out).await?;
            out.flush()?;
        }
        Some(path) => {
            let n = write_atomically(path, write).await?;
            eprintln!("exported {n} {what} to {}", path.display());
        }
    }
    Ok(())
}

/// Writes through a temporary file that replaces `path` only when complete, so a failed
/// export never leaves half a file behind; the file is its owner's only (0600) throughout.
async fn write_atomically<T>(
    path: &Path,
    write: impl AsyncFnOnce(&mut dyn Write) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let partial = path.with_extension("partial");
    let file =
        lodestar_store::create_private(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let result = write(&mut out).await;
    let finished = result.and_then(|v| {
        let file = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        file.sync_all()?;
        std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(v)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished
}

/// Kinds read from their own columns, all or none, take none of the mapping options.
fn own_columns_only(what: &str, options_given: bool) -> anyhow::Result<()> {
    if options_given {
        bail!("{what} are imported from their own columns, all or none: no options apply");
    }
    Ok(())
}

/// An all-or-none import's problems on stderr (nothing was written), or `done` of what it wrote.
fn all_or_none<T>(
    file: &Path,
    errors: &[String],
    written: Option<T>,
    done: impl FnOnce(T) -> String,
) -> anyhow::Result<()> {
    for line in errors {
        eprintln!("{line}");
    }
    let Some(written) = written else {
        bail!("{}: {} problem(s); nothing imported", file.display(), errors.len());
    };
    println!("{}: {}", file.display(), done(written));
    Ok(())
}
