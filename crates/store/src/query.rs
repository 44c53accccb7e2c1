//! A query built once — SQL text and the values it binds, in order — and run on either backend
//! by a few helpers that are generic over the row type only. Dynamic filters push conditions
//! and values together, so nobody counts placeholders by hand; each backend gets its own
//! spelling of them (SQLite anonymous `?`, which binds in linear time however long the
//! statement; PostgreSQL `$n`, typed where a `VALUES` list needs it).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::bulk::{Value, bind_values};
use crate::{Backend, Result, Store, Tx, on_pool, on_tx};

#[derive(Debug, Clone)]
enum Part {
    Sql(String),
    /// A placeholder; PostgreSQL casts it to the type when one is given.
    Param(Option<&'static str>),
}

/// SQL with its values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    parts: Vec<Part>,
    values: Vec<Value>,
}

/// A row type both drivers can read.
pub(crate) trait Row:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

impl Query {
    pub(crate) fn sql(text: impl Into<String>) -> Query {
        Query::default().push(text)
    }

    pub(crate) fn push(mut self, text: impl Into<String>) -> Query {
        self.parts.push(Part::Sql(text.into()));
        self
    }

    /// A placeholder for `value`.
    pub(crate) fn value(mut self, value: impl Into<Value>) -> Query {
        self.parts.push(Part::Param(None));
        self.values.push(value.into());
        self
    }

    /// A placeholder for each of `values`, separated by commas (the inside of an `IN (…)`).
    pub(crate) fn list<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Query {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self = self.push(", ");
            }
            self = self.value(v);
        }
        self
    }

    /// A value for the next of the numbered placeholders (`$1`, `$2`, …) written in a static
    /// statement's text. (A query uses either these or [`Query::value`], not both.)
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Query {
        self.values.push(value.into());
        self
    }

    /// A placeholder PostgreSQL reads as `sql_type` (`VALUES` lists carry no column types).
    pub(crate) fn typed_value(mut self, value: impl Into<Value>, sql_type: &'static str) -> Query {
        self.parts.push(Part::Param(Some(sql_type)));
        self.values.push(value.into());
        self
    }

    /// `other`'s SQL and values, after this one's.
    pub(crate) fn append(mut self, other: Query) -> Query {
        self.parts.extend(other.parts);
        self.values.extend(other.values);
        self
    }

    /// ` WHERE c1 AND c2 …`, or nothing for no conditions.
    pub(crate) fn where_all(self, conditions: Vec<Query>) -> Query {
        let mut q = self;
        for (i, condition) in conditions.into_iter().enumerate() {
            q = q.push(if i == 0 { " WHERE " } else { " AND " }).append(condition);
        }
        q
    }

    /// The text for `backend`.
    fn text(&self, backend: Backend) -> String {
        let mut text = String::new();
        let mut n = 0;
        for part in &self.parts {
            match (part, backend) {
                (Part::Sql(s), _) => text.push_str(s),
                (Part::Param(_), Backend::Sqlite) => text.push('?'),
                (Part::Param(cast), Backend::Postgres) => {
                    n += 1;
                    text.push_str(&format!("${n}"));
                    if let Some(t) = cast {
                        text.push_str(&format!("::{t}"));
                    }
                }
            }
        }
        text
    }

    pub(crate) async fn fetch_all<R: Row>(&self, tx: &mut Tx) -> Result<Vec<R>> {
        let sql = self.text(tx.backend());
        Ok(on_tx!(tx, |c| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_all(&mut *c).await?
        }))
    }

    /// [`Query::fetch_all`] on a pooled connection, outside a transaction.
    pub(crate) async fn fetch_all_on<R: Row>(&self, store: &Store) -> Result<Vec<R>> {
        let sql = self.text(store.backend());
        Ok(on_pool!(store, |p| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_all(p).await?
        }))
    }

    pub(crate) async fn fetch_optional_on<R: Row>(&self, store: &Store) -> Result<Option<R>> {
        let sql = self.text(store.backend());
        Ok(on_pool!(store, |p| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_optional(p).await?
        }))
    }

    pub(crate) async fn fetch_one_on<R: Row>(&self, store: &Store) -> Result<R> {
        let sql = self.text(store.backend());
        Ok(on_pool!(store, |p| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_one(p).await?
        }))
    }

    /// Runs a statement on a pooled connection; the rows it changed.
    pub(crate) async fn execute_on(&self, store: &Store) -> Result<u64> {
        let sql = self.text(store.backend());
        Ok(on_pool!(store, |p| {
            let mut q = sqlx::query(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.execute(p).await?.rows_affected()
        }))
    }

    pub(crate) async fn fetch_optional<R: Row>(&self, tx: &mut Tx) -> Result<Option<R>> {
        let sql = self.text(tx.backend());
        Ok(on_tx!(tx, |c| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_optional(&mut *c).await?
        }))
    }

    /// Runs a statement in `tx`; the rows it changed.
    pub(crate) async fn execute(&self, tx: &mut Tx) -> Result<u64> {
        let sql = self.text(tx.backend());
        Ok(on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.execute(&mut *c).await?.rows_affected()
        }))
    }

    /// The single column of the one row a query always answers (a count, a `RETURNING id`).
    pub(crate) async fn scalar_one<T>(&self, tx: &mut Tx) -> Result<T>
    where
        (T,): Row,
    {
        Ok(self.fetch_one::<(T,)>(tx).await?.0)
    }

    pub(crate) async fn scalar_optional<T>(&self, tx: &mut Tx) -> Result<Option<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional::<(T,)>(tx).await?.map(|(v,)| v))
    }

    pub(crate) async fn scalars<T>(&self, tx: &mut Tx) -> Result<Vec<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_all::<(T,)>(tx).await?.into_iter().map(|(v,)| v).collect())
    }

    pub(crate) async fn scalar_one_on<T>(&self, store: &Store) -> Result<T>
    where
        (T,): Row,
    {
        Ok(self.fetch_one_on::<(T,)>(store).await?.0)
    }

    pub(crate) async fn scalar_optional_on<T>(&self, store: &Store) -> Result<Option<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional_on::<(T,)>(store).await?.map(|(v,)| v))
    }

    /// The one row a query always answers (an aggregate).
    pub(crate) async fn fetch_one<R: Row>(&self, tx: &mut Tx) -> Result<R> {
        let sql = self.text(tx.backend());
        Ok(on_tx!(tx, |c| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, self.values.iter().cloned());
            q.fetch_one(&mut *c).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Query {
        Query::sql("SELECT id FROM accounts").where_all(vec![
            Query::sql("tier = ").value("enterprise"),
            Query::sql("(name LIKE ")
                .value("%a%")
                .push(" OR domain LIKE ")
                .value("%a%")
                .push(")"),
        ])
    }

    #[test]
    fn each_backend_gets_its_placeholders_in_the_order_values_were_pushed() {
        let q = built().push(" LIMIT ").value(10);
        assert_eq!(
            q.text(Backend::Sqlite),
            "SELECT id FROM accounts WHERE tier = ? AND (name LIKE ? OR domain LIKE ?) LIMIT ?"
        );
        assert_eq!(
            q.text(Backend::Postgres),
            "SELECT id FROM accounts WHERE tier = $1 AND (name LIKE $2 OR domain LIKE $3) LIMIT $4"
        );
        assert_eq!(q.values.len(), 4);
    }

    #[test]
    fn a_list_is_one_placeholder_per_value() {
        let q = Query::sql("SELECT 1 WHERE id IN (").list([1, 2, 3]).push(")");
        assert_eq!(q.text(Backend::Postgres), "SELECT 1 WHERE id IN ($1, $2, $3)");
        assert_eq!(q.text(Backend::Sqlite), "SELECT 1 WHERE id IN (?, ?, ?)");
    }

    #[test]
    fn no_conditions_means_no_where_and_typed_values_are_cast_on_postgres_only() {
        assert_eq!(
            Query::sql("SELECT 1").where_all(vec![]).text(Backend::Postgres),
            "SELECT 1"
        );
        let q = Query::sql("VALUES (").typed_value(1, "BIGINT").push(")");
        assert_eq!(q.text(Backend::Postgres), "VALUES ($1::BIGINT)");
        assert_eq!(q.text(Backend::Sqlite), "VALUES (?)");
    }
}
