use lodestar_domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record breaks a rule; names the field and the reason.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{what} {key} does not exist")]
    NotFound { what: &'static str, key: String },
    /// The write would break a uniqueness rule (e.g. an email already in use).
    #[error("{0}")]
    Conflict(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("the database schema is at version {found}, newer than this lodestar knows ({known}); upgrade lodestar")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the database is not empty ({table} has rows); {action} needs an empty database")]
    NotEmpty { table: String, action: &'static str },
    #[error("the cursor is not one this list gave out (or belongs to another sort order)")]
    BadCursor,
    #[error("backup file: {0}")]
    Backup(String),
    /// A backup made by another version of the schema; restoring it would put rows in the
    /// wrong columns.
    #[error("backup file: {file}:1: {}", backup_schema_advice(*.found, *.known))]
    BackupSchema { file: String, found: i64, known: i64 },
    #[error("stored data breaks a rule ({0}); was the database edited by hand?")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// An error of a statement run on SQLite's own handle (the bulk writes of an import).
    #[error("database error: {message} (SQLite code {code})")]
    Sqlite { code: i32, message: String },
}

fn backup_schema_advice(found: i64, known: i64) -> String {
    if found > known {
        format!(
            "the backup has schema version {found}, newer than this lodestar's {known}; restore it with a lodestar at least as new as the one that made it"
        )
    } else {
        format!(
            "the backup has schema version {found}, older than this lodestar's {known}; restore it with the lodestar version that made it, then upgrade"
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    let message = crate::conflicts::unique_violation_message(db.constraint(), db.message());
                    return StoreError::Conflict(message.to_owned());
                }
                // SQLite does not say which reference failed, so neither does PostgreSQL's
                // answer: a 409 reads the same on both.
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::Conflict("a record this one refers to does not exist".to_owned());
                }
                _ => {}
            }
        }
        StoreError::Database(e)
    }
}
