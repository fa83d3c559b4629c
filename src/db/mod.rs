//! Database access: the connection enum over both backends, the pool, the
//! embedded migrations, and [`run`], the one way handlers reach the database.

pub mod bell;
pub mod counter;
pub mod page;
pub mod schema;
pub mod store;
pub mod tx;
pub mod types;
pub mod waits;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use page::Page;
pub use tx::Tx;
pub use types::{CodeList, Day, Id, IdList, UtcTime};
pub use waits::Waits;

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Queries are written once against this enum.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// A pooled connection that remembers when the database went away under it,
/// so the pool drops it instead of handing it out again.
pub struct PoolConnection {
    conn: DbConnection,
    lost: bool,
}

impl std::ops::Deref for PoolConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Which database a URL names, decided by its scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    /// A file path, or `:memory:`.
    Sqlite(String),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_owned()))
        } else if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            Ok(Backend::Sqlite(":memory:".to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                Err("a sqlite URL needs a file path, e.g. sqlite://data/safeguarding.db".into())
            } else {
                Ok(Backend::Sqlite(path.to_owned()))
            }
        } else {
            Err("must start with postgres://, postgresql:// or sqlite://".into())
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}

/// r2d2 manager that opens the backend named by the URL (never by trial) and
/// applies the settings every connection needs (the SQLite pragmas, the
/// PostgreSQL timeouts).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
    waits: Waits,
}

impl ConnectionManager {
    pub fn new(backend: Backend, waits: Waits) -> Self {
        Self { backend, waits }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PoolConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PoolConnection, Self::Error> {
        self.open().map(|conn| PoolConnection { conn, lost: false })
    }

    fn is_valid(&self, conn: &mut PoolConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConnection) -> bool {
        conn.lost || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// Statements sent to the database by every connection of the process since
/// it started (`db_statements_total` in `/metrics`): what a request costs,
/// read before and after it by the benchmarks.
pub static STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_statements(event: diesel::connection::InstrumentationEvent<'_>) {
    if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
        STATEMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(&self.waits.postgres_url(url))
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.set_instrumentation(count_statements);
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.set_instrumentation(count_statements);
                // WAL lets readers run beside the one writer; busy_timeout makes a
                // second writer wait (a bounded time) instead of failing; foreign
                // keys are off by default.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
                    self.waits.busy_timeout_ms()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Builds the pool. Connections are opened lazily, so the service starts (and
/// answers `/readyz` with 503) while the database is still coming up.
pub fn build_pool(backend: &Backend, max_size: u32, waits: Waits) -> Result<DbPool, String> {
    if let Backend::Sqlite(path) = backend {
        if path != ":memory:" {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
                }
            }
        }
    }
    // An in-memory SQLite database exists once per connection: one connection only.
    let max_size = match backend {
        Backend::Sqlite(path) if path == ":memory:" => 1,
        _ => max_size,
    };
    Ok(Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(waits.checkout)
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::new(backend.clone(), waits)))
}

/// Applies the embedded migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Pg(c) => {
            // A migration may rewrite a large table: no request timeouts for
            // it; RESET returns to the connection's own (see [`Waits`]).
            c.batch_execute("SET lock_timeout = 0; SET statement_timeout = 0")
                .map_err(|e| e.to_string())?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(|v| v.to_string()).collect::<Vec<_>>());
            c.batch_execute("RESET lock_timeout; RESET statement_timeout")
                .map_err(|e| e.to_string())?;
            applied
        }
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect()),
    }
    .map_err(|e| e.to_string())?;
    Ok(applied)
}

/// Runs `f` inside one transaction. On SQLite the transaction takes the write
/// lock up front (`BEGIN IMMEDIATE`): a deferred transaction that reads, then
/// writes, fails at once when another writer committed in between.
pub fn transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    bell::forget();
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(_) => {
            <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)?
        }
    }
    let result = f(conn).and_then(|value| {
        bell::before_commit(conn)?;
        Ok(value)
    });
    match result {
        Ok(value) => {
            if let Err(e) =
                <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)
            {
                bell::forget();
                return Err(e.into());
            }
            bell::after_commit();
            Ok(value)
        }
        Err(e) => {
            bell::forget();
            if let Err(rollback) =
                <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn)
            {
                log::warn!("rollback failed: {rollback}");
            }
            Err(e)
        }
    }
}

/// After an "unavailable" error the connection may be dead: let the pool
/// discard it unless it still answers (a lock wait that ran out leaves it whole).
fn mark_if_lost<T>(conn: &mut PooledConn, result: &Result<T, ApiError>) {
    if matches!(result, Err(ApiError::Unavailable)) && conn.batch_execute("SELECT 1").is_err() {
        conn.lost = true;
    }
}

/// Runs `$body` with `$c` bound to the backend's own connection: for the
/// few statements diesel builds per backend (`ON CONFLICT`), written once.
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// `INSERT ... ON CONFLICT DO NOTHING` of `$values` into `$table`: answers
/// the rows inserted (0 when the key was taken).
#[macro_export]
macro_rules! insert_ignoring {
    ($conn:expr, $table:expr, $values:expr) => {
        $crate::on_each_backend!($conn, c => diesel::insert_into($table)
            .values($values)
            .on_conflict_do_nothing()
            .execute(c))
    };
}

/// Ids per `eq_any`: far under SQLite's (32,766) and PostgreSQL's (65,535)
/// bind-parameter limits.
pub const IDS_PER_QUERY: usize = 1_000;

/// Runs `load` over `ids`, each once, in chunks of [`IDS_PER_QUERY`], and
/// answers all the rows: a list built from data (the meetings and items of a
/// whole action log) never outgrows one statement.
pub fn by_ids<T>(
    ids: impl IntoIterator<Item = Id>,
    mut load: impl FnMut(&[Id]) -> diesel::QueryResult<Vec<T>>,
) -> diesel::QueryResult<Vec<T>> {
    let ids: Vec<Id> = ids
        .into_iter()
        .collect::<std::collections::BTreeSet<Id>>()
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        rows.extend(load(chunk)?);
    }
    Ok(rows)
}

/// The one way request handlers reach the database: take a pooled connection
/// on the blocking thread pool and run `f` in one transaction, so a request
/// either writes everything or nothing.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (pool, asked) = (pool.clone(), waits::Asked::now());
    actix_web::web::block(move || {
        let mut conn = waits::checkout(&pool, asked)?;
        let result = transaction(&mut conn, f);
        mark_if_lost(&mut conn, &result);
        result
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// Like [`run`] but without a transaction, for plain reads.
pub async fn read<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (pool, asked) = (pool.clone(), waits::Asked::now());
    actix_web::web::block(move || {
        let mut conn = waits::checkout(&pool, asked)?;
        let result = f(&mut conn);
        mark_if_lost(&mut conn, &result);
        result
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}
