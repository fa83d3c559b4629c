//! The paginated lists stay flat at volume. Every list that pages with a
//! cursor is planned, for its first page and for a page after a cursor
//! (with the filters integrators use), as a walk of the one index that
//! serves its filter and its order: the listed table is never read in
//! full, its rows are never sorted, and a page after a cursor seeks past
//! the cursor in the index rather than walking from the start of the list.
//! Checked with `EXPLAIN (FORMAT JSON)` on PostgreSQL after `ANALYZE`, and
//! `EXPLAIN QUERY PLAN` on SQLite, of the very queries the service runs
//! (each module's `*_query` function), bound as the service binds them, on
//! a connection from the service's own pool.
//!
//! SQLite is planned without `ANALYZE`, as the service runs it (nothing
//! gathers `sqlite_stat1`), so its plans do not depend on the volume.
//! PostgreSQL's do: the lists that grow without bound are loaded until the
//! planner prefers an index on its own (thousands of rows, written through
//! the record and submission routes and the library's write functions,
//! three times as many of another partnership beside them), and planned
//! with `enable_seqscan` on. Lists that stay small by nature (a
//! partnership's groups, a meeting's attendees, a budget's lines...:
//! `small`), and filters that leave a fraction of the loaded rows
//! (`filtered`), are planned with `enable_seqscan` and `enable_bitmapscan`
//! off instead: at their size reading the rows whole and sorting them is
//! the planner's right choice, so those cases prove only that the index
//! *can* serve the order without a sort.
//!
//! The exceptions are named where they are checked: a filter whose few
//! rows are found by another index and sorted (`sorts`: a person's risks,
//! one agency's people...), and a filter's subquery that reads another
//! table whole (`scans`: the viewer's and `overdue` action log). Those are
//! not flat, and say why.
//!
//! With an index dropped the test fails naming each list, what went wrong
//! and the plan, e.g. with `budget_transactions_ledger` dropped (SQLite:
//! `SCAN budget_transactions`, `USE TEMP B-TREE FOR ORDER BY`; PostgreSQL:
//! `Sort` over `Seq Scan on budget_transactions`): `GET
//! /v1/budgets/{id}/transactions? (page 1): reads budget_transactions in
//! full; sorts budget_transactions's rows: no index serves the order;
//! budget_transactions has no index on (budget_id, date, id)`.

use std::collections::HashMap;
use std::marker::PhantomData;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Integer, Text};
use safeguarding_api::access::model::{self as access, AccessEntry, AccessOutcome};
use safeguarding_api::actions::list::{list_query as actions_query, ActionFilter};
use safeguarding_api::actions::updates::{self, ActionUpdate};
use safeguarding_api::auth::tenant::{Contribute, Manage, Tenant};
use safeguarding_api::auth::{Principal, Role};
use safeguarding_api::budgets::transactions::{self, TransactionFilter};
use safeguarding_api::changes::model::{self as changes, Reading};
use safeguarding_api::db::counter::Scope;
use safeguarding_api::db::schema::{actions, agenda_items};
use safeguarding_api::db::store::{self, BatchInsert};
use safeguarding_api::db::{self, Backend, Day, DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use safeguarding_api::error::ApiError;
use safeguarding_api::metrics::model::Metric;
use safeguarding_api::metrics::rules::Unit;
use safeguarding_api::people::model::Person;
use safeguarding_api::risks::assessments::{self, Scored};
use safeguarding_api::risks::list::{list_query as risks_query, RiskFilter};
use safeguarding_api::webhooks::deliveries::{self, Delivery, DeliveryStatus};
use safeguarding_api::{
    attendees, audit, budgets, clients, data_requests, decisions, declarations, groups, items,
    meetings, members, metrics, organisations, papers, partnerships, people, submissions, webhooks,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app_with, TestApp};
use crate::seed::{self, Seed, HEREFORDSHIRE, NOTTINGHAMSHIRE};

// --- EXPLAIN ---------------------------------------------------------------

/// `<prefix> <query>`, run with the query's own binds on the service's
/// connection type, so the plan is the one of the SQL the service runs.
struct Explain<Q, Row> {
    prefix: &'static str,
    query: Q,
    row: PhantomData<Row>,
}

impl<Q, Row> QueryId for Explain<Q, Row> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Row> Query for Explain<Q, Row> {
    type SqlType = Row;
}

impl<Q: QueryFragment<MultiBackend>, Row> QueryFragment<MultiBackend> for Explain<Q, Row> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        // Planned afresh with these binds each time, never from a cached statement.
        out.unsafe_to_cache_prepared();
        out.push_sql(self.prefix);
        self.query.walk_ast(out.reborrow())
    }
}

impl<Q, Row> RunQueryDsl<DbConnection> for Explain<Q, Row> {}

/// One read of a table in a plan.
#[derive(Debug)]
struct Read {
    table: String,
    /// The index it reads through; `None` for a read of the whole table.
    index: Option<String>,
    /// What bounds the read in the index: PostgreSQL's `Index Cond`,
    /// SQLite's `(partnership_id=? AND id>?)`.
    bounds: String,
    /// Whether the rows it reads are sorted afterwards (a `Sort` above it,
    /// SQLite's temporary B-tree for the `ORDER BY`).
    sorted: bool,
}

struct Plan {
    reads: Vec<Read>,
    text: String,
}

fn explain<Q: QueryFragment<MultiBackend>>(conn: &mut DbConnection, query: Q) -> Plan {
    if matches!(conn, DbConnection::Pg(_)) {
        let json: Vec<String> = Explain::<Q, Text> {
            prefix: "EXPLAIN (FORMAT JSON) ",
            query,
            row: PhantomData,
        }
        .load(conn)
        .expect("EXPLAIN runs");
        let plan: Value = serde_json::from_str(&json.concat()).expect("EXPLAIN answers JSON");
        let mut out = Plan {
            reads: Vec::new(),
            text: String::new(),
        };
        pg_walk(&plan[0]["Plan"], false, 0, &mut out);
        out
    } else {
        let rows: Vec<(i32, i32, i32, String)> = Explain::<Q, (Integer, Integer, Integer, Text)> {
            prefix: "EXPLAIN QUERY PLAN ",
            query,
            row: PhantomData,
        }
        .load(conn)
        .expect("EXPLAIN QUERY PLAN runs");
        sqlite_plan(&rows)
    }
}

fn pg_walk(node: &Value, sorted: bool, depth: usize, out: &mut Plan) {
    let field = |name: &str| node[name].as_str().unwrap_or_default();
    let kind = field("Node Type");
    let sorted = sorted || kind == "Sort" || kind == "Incremental Sort";
    let mut line = format!("{}{kind}", "  ".repeat(depth));
    for (name, label) in [
        ("Relation Name", " on "),
        ("Index Name", " using "),
        ("Index Cond", " | index: "),
        ("Filter", " | filter: "),
        ("Sort Key", " | key: "),
        ("Presorted Key", " | presorted: "),
    ] {
        match &node[name] {
            Value::String(s) => line += &format!("{label}{s}"),
            Value::Array(keys) => line += &format!("{label}{keys:?}"),
            _ => {}
        }
    }
    out.text += &line;
    out.text += "\n";
    if let Some(table) = node["Relation Name"].as_str() {
        // An index scan, or a bitmap heap scan (its indexes are the scans under it).
        let index = match kind {
            "Seq Scan" => None,
            _ => pg_find(node, "Index Name"),
        };
        let bounds = pg_find(node, "Index Cond").unwrap_or_default();
        out.reads.push(Read {
            table: table.to_owned(),
            index,
            bounds: bounds.to_owned(),
            sorted,
        });
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        // A subquery's rows are not the ones a sort above it orders.
        let subquery = matches!(
            child["Parent Relationship"].as_str(),
            Some("SubPlan" | "InitPlan")
        );
        pg_walk(child, sorted && !subquery, depth + 1, out);
    }
}

/// The first `field` of the node or, for a bitmap heap scan, of the
/// bitmap scans under it (not of a subquery's).
fn pg_find(node: &Value, field: &str) -> Option<String> {
    if let Some(value) = node[field].as_str() {
        return Some(value.to_owned());
    }
    node["Plans"]
        .as_array()?
        .iter()
        .filter(|child| {
            child["Node Type"]
                .as_str()
                .is_some_and(|k| k.starts_with("Bitmap"))
        })
        .find_map(|child| pg_find(child, field))
}

/// SQLite's rows: `SEARCH people USING INDEX people_partnership
/// (partnership_id=? AND id>?)`, `SCAN people`, `USE TEMP B-TREE FOR ORDER BY`.
fn sqlite_plan(rows: &[(i32, i32, i32, String)]) -> Plan {
    let depth = |mut parent: i32| {
        let mut depth = 0;
        while let Some(row) = rows.iter().find(|r| r.0 == parent) {
            depth += 1;
            parent = row.1;
        }
        depth
    };
    let text = rows
        .iter()
        .map(|(_, parent, _, detail)| format!("{}{detail}\n", "  ".repeat(depth(*parent))))
        .collect();
    // The outer query's own sort (the lists' subqueries have no ORDER BY).
    let sorted = rows
        .iter()
        .any(|r| r.1 == 0 && r.3.starts_with("USE TEMP B-TREE") && r.3.contains("ORDER BY"));
    let reads = rows
        .iter()
        .filter_map(|(_, parent, _, detail)| {
            let rest = detail
                .strip_prefix("SCAN ")
                .or_else(|| detail.strip_prefix("SEARCH "))?;
            let table = rest.split_whitespace().next()?.to_owned();
            // An automatic index is built by reading the whole table.
            let index = if detail.contains(" AUTOMATIC ") {
                None
            } else if let Some((_, after)) = detail
                .split_once(" USING COVERING INDEX ")
                .or_else(|| detail.split_once(" USING INDEX "))
            {
                after.split_whitespace().next().map(str::to_owned)
            } else if detail.contains(" PRIMARY KEY") {
                Some("PRIMARY KEY".to_owned())
            } else {
                None
            };
            let bounds = detail
                .rsplit_once(" (")
                .map(|(_, b)| b.trim_end_matches(')').to_owned())
                .unwrap_or_default();
            Some(Read {
                table,
                index,
                bounds,
                sorted: sorted && *parent == 0,
            })
        })
        .collect();
    Plan { reads, text }
}

/// The indexes of `table` with their columns in order, as the catalogue has them.
fn indexes_of(conn: &mut DbConnection, table: &str) -> Vec<(String, Vec<String>)> {
    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        columns: String,
    }
    let rows: Vec<IndexRow> = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(format!(
            "SELECT i.relname::text AS name, \
                    array_to_string(array(SELECT a.attname::text \
                        FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                        ORDER BY k.ord), ',') AS columns \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                             JOIN pg_class t ON t.oid = x.indrelid \
             WHERE t.relname = '{table}' AND t.relkind = 'r'"
        ))
        .load(pg),
        DbConnection::Sqlite(lite) => diesel::sql_query(format!(
            "SELECT il.name AS name, \
                    coalesce((SELECT group_concat(ii.name, ',') FROM \
                        (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) AS ii), '') \
                        AS columns \
             FROM pragma_index_list('{table}') AS il"
        ))
        .load(lite),
    }
    .expect("the catalogue is read");
    rows.into_iter()
        .map(|r| (r.name, r.columns.split(',').map(str::to_owned).collect()))
        .collect()
}

// --- expectations ------------------------------------------------------------

/// How a list must be planned.
#[derive(Clone, Copy)]
struct Expect {
    /// The listed table.
    table: &'static str,
    /// The columns of the index that serves the list's filter and order.
    index: &'static [&'static str],
    /// The column a page after a cursor seeks on in that index.
    seek: Option<&'static str>,
    /// Why the rows may be sorted: the filter leaves few, and a bounded
    /// number of them, so the planner rightly reads them by another index.
    sorts: Option<&'static str>,
    /// Other tables a filter's subquery reads in full (reported, not refused).
    scans: &'static [&'static str],
    /// Why PostgreSQL plans it with `enable_seqscan` and `enable_bitmapscan`
    /// off: at this volume reading the rows whole (and sorting them) is its
    /// right choice, so the check proves only that the index can serve the
    /// order without a sort.
    seqscan_off: Option<&'static str>,
}

const fn on(table: &'static str, index: &'static [&'static str]) -> Expect {
    Expect {
        table,
        index,
        seek: None,
        sorts: None,
        scans: &[],
        seqscan_off: None,
    }
}

impl Expect {
    const fn seek(mut self, column: &'static str) -> Self {
        self.seek = Some(column);
        self
    }
    /// A list that stays small by nature (a partnership's groups, a
    /// meeting's attendees): read whole, a sequential scan is cheapest.
    const fn small(mut self) -> Self {
        self.seqscan_off = Some("small by nature");
        self
    }
    /// A filter that leaves a fraction of the list: at this volume
    /// PostgreSQL rightly reads that fraction whole and sorts it.
    const fn filtered(mut self) -> Self {
        self.seqscan_off = Some("a filter's fraction of this volume");
        self
    }
    const fn sorts(mut self, why: &'static str) -> Self {
        self.sorts = Some(why);
        self
    }
    const fn scans(mut self, tables: &'static [&'static str]) -> Self {
        self.scans = tables;
        self
    }
}

struct Checker<'c> {
    conn: &'c mut DbConnection,
    postgres: bool,
    indexes: HashMap<String, Vec<(String, Vec<String>)>>,
    failures: Vec<String>,
    /// What each list reads through, for the log.
    seen: Vec<String>,
}

impl Checker<'_> {
    fn index_named(&mut self, table: &str, columns: &[&str]) -> Option<String> {
        let conn = &mut *self.conn;
        self.indexes
            .entry(table.to_owned())
            .or_insert_with(|| indexes_of(conn, table))
            .iter()
            .find(|(_, cols)| cols.iter().map(String::as_str).eq(columns.iter().copied()))
            .map(|(name, _)| name.clone())
    }

    /// Plans `query` (the list at `label`) and checks it against `expect`.
    fn check<Q: QueryFragment<MultiBackend>>(&mut self, label: &str, query: Q, expect: Expect) {
        let small = self.postgres && expect.seqscan_off.is_some();
        if small {
            // Only to prove that the index can serve the order without a
            // sort: a plain index scan is the one path left that might.
            self.conn
                .batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
                .unwrap();
        }
        let plan = explain(self.conn, query);
        if small {
            self.conn
                .batch_execute("RESET enable_seqscan; RESET enable_bitmapscan")
                .unwrap();
        }
        let wanted = self.index_named(expect.table, expect.index);
        let table = expect.table;
        let mut problems = Vec::new();
        let own: Vec<&Read> = plan.reads.iter().filter(|r| r.table == table).collect();
        if own.is_empty() {
            problems.push(format!("does not read {table}"));
        }
        if own.iter().any(|r| r.index.is_none()) {
            problems.push(format!("reads {table} in full"));
        }
        let sorted = own.iter().any(|r| r.sorted);
        if sorted && expect.sorts.is_none() {
            problems.push(format!("sorts {table}'s rows: no index serves the order"));
        }
        let through = own
            .iter()
            .find(|r| wanted.is_some() && r.index == wanted && !r.sorted);
        match (&wanted, through) {
            (None, _) => problems.push(format!(
                "{table} has no index on ({})",
                expect.index.join(", ")
            )),
            // A filter that leaves a bounded few may read them by another
            // index, and sort them.
            (Some(_), None) if expect.sorts.is_some() => {}
            (Some(name), None) => {
                problems.push(format!("does not read {table} in order through {name}"))
            }
            _ => {}
        }
        if let (Some(column), Some(read), None) = (expect.seek, through, expect.sorts) {
            // `>` or `>=`: PostgreSQL's `(id > ...)`, SQLite's `id>?`.
            let seeks = if self.postgres {
                read.bounds.contains(&format!("({column} >"))
                    || read.bounds.contains(&format!("(\"{column}\" >"))
            } else {
                read.bounds.contains(&format!("{column}>?"))
            };
            if !seeks {
                problems.push(format!(
                    "does not seek past the cursor on {column} in {}: it walks from the start",
                    read.index.as_deref().unwrap_or_default()
                ));
            }
        }
        for read in &plan.reads {
            if read.table != table && read.index.is_none() {
                if expect.scans.contains(&read.table.as_str()) {
                    eprintln!("known: {label} reads {} in full", read.table);
                } else {
                    problems.push(format!("reads {} in full", read.table));
                }
            }
        }
        let used: Vec<String> = own
            .iter()
            .map(|r| {
                format!(
                    "{}{}",
                    r.index.as_deref().unwrap_or("(whole table)"),
                    if r.sorted { " + sort" } else { "" }
                )
            })
            .collect();
        let mut notes = Vec::new();
        if let (true, Some(why)) = (small, expect.seqscan_off) {
            notes.push(format!("seq and bitmap scans off: {why}"));
        }
        if let (true, Some(why)) = (sorted, expect.sorts) {
            notes.push(format!("sorted: {why}"));
        }
        self.seen.push(format!(
            "{label}: {table} via {} {notes:?}",
            used.join(", ")
        ));
        if !problems.is_empty() {
            self.failures
                .push(format!("{label}: {}\n{}", problems.join("; "), plan.text));
        }
    }
}

/// A list's filter as the service reads it from the query string.
fn filter<T: DeserializeOwned>(query: &str) -> T {
    serde_urlencoded::from_str(query).unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn first(limit: i64) -> Page {
    Page { limit, after: None }
}

fn after(id: Id) -> Page {
    Page {
        limit: 50,
        after: Some(id),
    }
}

// --- the volume --------------------------------------------------------------

fn setup_actor() -> Principal {
    Principal {
        subject: "volume-setup".to_owned(),
        organisation_id: None,
        platform_admin: true,
        roles: Default::default(),
        client: None,
        checked: Default::default(),
    }
}

/// Runs `f` in the write scope of `partnership_id`, as a route does.
fn write<T>(
    conn: &mut DbConnection,
    partnership_id: Id,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, ApiError>,
) -> T {
    db::transaction(conn, |c| {
        let mut tx = Tx::hold(c, Scope::Partnership(partnership_id), UtcTime::now())?;
        f(&mut tx)
    })
    .unwrap_or_else(|e| panic!("the setup write fails: {e:?}"))
}

fn form<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the form parses")
}

/// One meeting of `group` recorded in one request, with 20 items of 50
/// actions each (owners, statuses and due dates in turn).
async fn record_meeting(app: &TestApp, pid: Id, group: &str, month: u32, owners: &[Value]) {
    let statuses = ["open", "in_progress", "open", "complete"];
    let items: Vec<Value> = (0..20)
        .map(|i| {
            let actions: Vec<Value> = (0..50)
                .map(|j| {
                    let n = i * 50 + j;
                    let status = statuses[n % statuses.len()];
                    json!({
                        "description": format!("Action {n} agreed in month {month}."),
                        "owners": owners[n % owners.len()],
                        "due_date": (n % 5 != 0).then(|| format!("2021-{:02}-{:02}", n % 12 + 1, n % 28 + 1)),
                        "status": status,
                        "completed_on": (status == "complete").then(|| format!("2020-{month:02}-20")),
                    })
                })
                .collect();
            json!({
                "number": format!("{}.", i + 1),
                "title": format!("Item {}", i + 1),
                "decisions": [{"outcome": "noted", "text": "The report was noted."}],
                "actions": actions,
            })
        })
        .collect();
    let body = json!({
        "group_name": group,
        "meeting": {"title": format!("{group} board"), "starts_at": format!("2020-{month:02}-20T15:00:00Z"), "status": "held"},
        "no_declarations": true,
        "items": items,
    });
    app.post_json(
        &format!("/v1/partnerships/{pid}/meetings/record"),
        &app.platform_admin_token(),
        &body,
    )
    .await
    .expect_json(201);
}

/// `n` people of the partnership, written as one batch.
fn people_of(conn: &mut DbConnection, pid: Id, n: usize) {
    let now = UtcTime::now();
    let rows: Vec<Person> = (0..n)
        .map(|i| Person {
            id: Id::new(),
            partnership_id: pid,
            full_name: format!("Person {i}"),
            initials: format!("P{i:04}"),
            job_title: None,
            organisation_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    write(conn, pid, |tx| {
        store::insert_many(tx, &setup_actor(), &rows)
    });
}

/// `n` meetings of the partnership's groups in turn, created one by one as
/// the route creates them.
fn meetings_of(conn: &mut DbConnection, seed: &Seed, n: usize) {
    let tenant = Tenant::<Manage>::check(setup_actor(), seed.partnership_id).unwrap();
    let groups: Vec<Id> = seed.groups.values().copied().collect();
    write(conn, seed.partnership_id, |tx| {
        for i in 0..n {
            let starts = format!(
                "{}-{:02}-{:02}T10:00:00Z",
                2000 + i / 120,
                i / 10 % 12 + 1,
                i % 10 + 1
            );
            meetings::model::create(
                tx,
                &tenant,
                form(json!({
                    "group_id": groups[i % groups.len()],
                    "title": format!("Meeting {i}"),
                    "starts_at": starts,
                    "status": if i % 3 == 0 { "held" } else { "scheduled" },
                })),
            )?;
        }
        Ok(())
    });
}

/// `n` risks of the partnership, created one by one as the route creates
/// them (each with its first assessment); answers the first.
fn risks_of(conn: &mut DbConnection, pid: Id, owners: &[&str], n: usize) -> Id {
    let tenant = Tenant::<Contribute>::check(setup_actor(), pid).unwrap();
    let statuses = ["agreed", "agreed", "draft", "closed"];
    let mut first = None;
    write(conn, pid, |tx| {
        for i in 0..n {
            let risk = safeguarding_api::risks::model::create(
                tx,
                &tenant,
                form(json!({
                    "title": format!("Risk {i}"),
                    "owner": owners[i % owners.len()],
                    "status": statuses[i % statuses.len()],
                    "likelihood": i % 5 + 1,
                    "impact": i / 5 % 5 + 1,
                    "assessed_on": "2020-01-06",
                    "next_review_date": format!("2020-{:02}-01", i % 12 + 1),
                })),
            )?;
            first.get_or_insert(risk.id);
        }
        Ok(())
    });
    first.unwrap()
}

/// Performance data: `metrics` metrics of the partnership (one batch), and
/// each member agency's values of the first `submitted` for each of
/// `periods`, submitted as agencies submit them.
async fn submissions_of(
    app: &TestApp,
    conn: &mut DbConnection,
    pid: Id,
    (metrics, submitted): (usize, usize),
    periods: &[&str],
) {
    let now = UtcTime::now();
    let rows: Vec<Metric> = (0..metrics)
        .map(|i| Metric {
            id: Id::new(),
            partnership_id: pid,
            code: format!("M{i:04}"),
            name: format!("Metric {i}"),
            unit: Unit::Count,
            min_value: None,
            max_value: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    write(conn, pid, |tx| {
        store::insert_many(tx, &setup_actor(), &rows)
    });
    let admin = app.platform_admin_token();
    let members = app
        .get_all(&format!("/v1/partnerships/{pid}/members"), &admin)
        .await;
    for member in &members {
        for period in periods {
            let values: Vec<Value> = (0..submitted)
                .map(|i| json!({"metric": format!("M{i:04}"), "value": i}))
                .collect();
            let body = json!({"period": period, "organisation_id": member["organisation_id"], "values": values});
            app.post_json(
                &format!("/v1/partnerships/{pid}/submissions"),
                &admin,
                &body,
            )
            .await
            .expect_json(200);
        }
    }
}

/// A budget for 2019-20 with one line; answers their ids.
async fn budget_of(app: &TestApp, pid: Id) -> (Id, Id) {
    let admin = app.platform_admin_token();
    let budget = app
        .post_json(
            &format!("/v1/partnerships/{pid}/budgets"),
            &admin,
            &json!({"financial_year": "2019-20"}),
        )
        .await
        .expect_json(201);
    let line = app
        .post_json(
            &format!("/v1/budgets/{}/lines", budget["id"].as_str().unwrap()),
            &admin,
            &json!({"name": "Training", "kind": "expenditure", "planned_pence": 100_000}),
        )
        .await
        .expect_json(201);
    (id_of(&budget), id_of(&line))
}

/// `n` transactions of the year's ledger, booked one by one as the route books them.
fn ledger_of(conn: &mut DbConnection, pid: Id, (budget_id, line_id): (Id, Id), n: usize) {
    write(conn, pid, |tx| {
        let budget = budgets::model::find_any(tx, budget_id)?;
        for i in 0..n {
            transactions::create(
                tx,
                &setup_actor(),
                &budget,
                form(json!({
                    "line_id": line_id,
                    "date": format!("2019-{:02}-{:02}", i % 9 + 4, i % 28 + 1),
                    "amount_pence": 1_000 + i,
                    "description": format!("Course {i}"),
                    "kind": if i % 4 == 0 { "commitment" } else { "payment" },
                })),
            )?;
        }
        Ok(())
    });
}

/// A webhook (inactive: nothing is sent) of the partnership.
async fn webhook_of(app: &TestApp, pid: Id) -> Id {
    let hook = app
        .post_json(
            &format!("/v1/partnerships/{pid}/webhooks"),
            &app.platform_admin_token(),
            &json!({"url": "http://127.0.0.1:9/hook", "event_types": ["action.created"], "active": false}),
        )
        .await
        .expect_json(201);
    id_of(&hook)
}

/// `n` deliveries of the webhook, one in 50 failed, written as the worker
/// writes them (multi-row inserts).
fn deliveries_of(conn: &mut DbConnection, pid: Id, webhook_id: Id, n: i64) {
    let now = UtcTime::now();
    let rows: Vec<Delivery> = (0..n)
        .map(|i| Delivery {
            id: Id::new(),
            webhook_id,
            partnership_id: pid,
            seq: i + 1,
            event_type: "action.created".to_owned(),
            payload: "{}".to_owned(),
            status: if i % 50 == 0 {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Delivered
            },
            attempts: 1,
            next_attempt_at: None,
            last_status_code: Some(204),
            last_error: None,
            created_at: now,
            delivered_at: Some(now),
        })
        .collect();
    for chunk in rows.chunks(500) {
        Delivery::insert_rows(chunk, conn).unwrap();
    }
}

/// `n` entries of the access log: reads of the seed meeting's items, one
/// in a hundred refused.
fn access_log_of(conn: &mut DbConnection, seed: &Seed, n: usize) {
    let items: Vec<Id> = seed.items.values().copied().collect();
    let entries: Vec<AccessEntry> = (0..n)
        .map(|i| {
            let outcome = if i % 100 == 0 {
                AccessOutcome::Refused
            } else {
                AccessOutcome::Allowed
            };
            let item = ("agenda_item", items[i % items.len()]);
            let operation = "GET /v1/meetings/{id}/items/{item_id}";
            AccessEntry::new(
                &setup_actor(),
                seed.partnership_id,
                outcome,
                item,
                operation,
                UtcTime::now(),
            )
        })
        .collect();
    access::write(conn, &entries).unwrap();
}

/// Herefordshire's lists are checked; Nottinghamshire holds three times as
/// many rows beside them, as the other tenants of a deployment do, so a
/// plan that reads past other partnerships' rows costs what it would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paginated_lists_are_planned_on_their_indexes_at_volume() {
    let app = spawn_app_with(&[("WEBHOOK_ALLOW_PRIVATE", "1")]).await;
    let a = seed::load(&app, HEREFORDSHIRE).await;
    let b = seed::load(&app, NOTTINGHAMSHIRE).await;
    let (pa, pb) = (a.partnership_id, b.partnership_id);
    let backend = Backend::from_url(&app.database_url).unwrap();
    let pool = db::build_pool(&backend, 1, Default::default()).unwrap();
    let mut pooled = pool.get().unwrap();
    let conn: &mut DbConnection = &mut pooled;
    let postgres = matches!(conn, DbConnection::Pg(_));

    // Through the API first (the library's writes below hold the
    // partnerships' write scopes): the action logs, each meeting's 1,000
    // actions recorded in one request.
    let owners_a = [
        json!(["CB"]),
        json!(["EH", "ALL"]),
        json!(["D&P"]),
        json!(["ALL"]),
        json!(["PG", "Q&E"]),
        json!(["West Mercia Police"]),
    ];
    record_meeting(&app, pa, "SPB", 1, &owners_a).await;
    for month in 1..=3 {
        record_meeting(&app, pb, "SLG", month, &[json!(["ALL"]), json!(["CP"])]).await;
    }
    submissions_of(&app, conn, pa, (400, 400), &["2019-20-Q2"]).await;
    let quarters = ["2019-20-Q2", "2019-20-Q3"];
    submissions_of(&app, conn, pb, (1_200, 400), &quarters).await;
    let budget_a = budget_of(&app, pa).await;
    let budget_b = budget_of(&app, pb).await;
    let hook_a = webhook_of(&app, pa).await;
    let hook_b = webhook_of(&app, pb).await;

    // Through the library: what the API writes one record a request.
    let action_ids: Vec<Id> = actions::table
        .filter(actions::partnership_id.eq(pa))
        .order(actions::number.asc())
        .select(actions::id)
        .load(conn)
        .unwrap();
    assert_eq!(action_ids.len(), 1_000);
    // Two updates each for half of the actions, 300 for the first.
    let now = UtcTime::now();
    let update = |action_id: Id, day: String| ActionUpdate {
        id: Id::new(),
        action_id,
        partnership_id: pa,
        noted_on: form(json!(day)),
        note: "Progress reported.".to_owned(),
        author_person_id: None,
        status: None,
        reported_at_meeting_id: None,
        recorded_by: "volume-setup".to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut rows: Vec<ActionUpdate> = action_ids[..500]
        .iter()
        .flat_map(|&id| {
            [
                update(id, "2020-06-01".into()),
                update(id, "2020-07-01".into()),
            ]
        })
        .collect();
    rows.extend((0..300).map(|i| {
        let day = format!("2020-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
        update(action_ids[0], day)
    }));
    write(conn, pa, |tx| store::insert_many(tx, &setup_actor(), &rows));

    people_of(conn, pa, 1_000);
    people_of(conn, pb, 3_000);
    meetings_of(conn, &a, 300);
    meetings_of(conn, &b, 900);
    let risk = risks_of(conn, pa, &["CB", "EH", "PG", "LM"], 400);
    risks_of(conn, pb, &["CP", "RW"], 1_200);
    // One risk reviewed 200 times.
    write(conn, pa, |tx| {
        let first = safeguarding_api::risks::model::reload(tx, risk)?;
        for i in 0..200 {
            let scored = Scored {
                assessed_on: form(json!(format!("{}-{:02}-01", 2001 + i / 12, i % 12 + 1))),
                likelihood: 3,
                impact: 4,
                note: None,
                assessor_person_id: None,
            };
            assessments::insert(tx, &setup_actor(), &first, scored)?;
        }
        Ok(())
    });
    ledger_of(conn, pa, budget_a, 500);
    ledger_of(conn, pb, budget_b, 1_500);
    deliveries_of(conn, pa, hook_a, 1_000);
    deliveries_of(conn, pb, hook_b, 3_000);
    access_log_of(conn, &a, 1_000);
    access_log_of(conn, &b, 3_000);

    if postgres {
        conn.batch_execute("ANALYZE").unwrap();
    }

    let mut c = Checker {
        conn,
        postgres,
        indexes: HashMap::new(),
        failures: Vec::new(),
        seen: Vec::new(),
    };
    check_actions(&mut c, &a, &action_ids);
    check_risks(&mut c, pa, risk);
    check_meetings(&mut c, &a);
    check_registers(&mut c, &a, pb);
    check_logs(&mut c, pa);
    check_data(&mut c, pa, budget_a.0, hook_a);

    eprintln!("{}", c.seen.join("\n"));
    assert!(
        c.failures.is_empty(),
        "{} list queries are not planned on their indexes:\n\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

/// The id of a page's last row, the cursor the service hands out (the nil
/// id, before every row, when the list is empty: an id cursor need not
/// name a row).
fn last_id<T>(rows: &[T], id: impl Fn(&T) -> Id) -> Id {
    rows.last().map_or(Id(uuid::Uuid::nil()), id)
}

fn check_actions(c: &mut Checker<'_>, a: &Seed, action_ids: &[Id]) {
    let pa = a.partnership_id;
    let now = UtcTime::now();
    let recorded: Id = actions::table
        .find(action_ids[0])
        .select(actions::meeting_id.assume_not_null())
        .first(c.conn)
        .unwrap();
    let log = on("actions", &["partnership_id", "number"]);
    // Not flat, and known: which items are confidential, and which meetings
    // have started, are read for the whole platform (a hashed subquery).
    let viewer = log.scans(&["agenda_items"]);
    let overdue = log.scans(&["meetings"]);
    // Not flat, and known: an owner's (a group's meetings') actions are
    // found through action_owners (meetings): PostgreSQL reads the
    // partnership's actions by its index, joins and sorts them; SQLite walks
    // the log in order and looks each action up. Either way a page costs
    // the partnership's whole log when the owner has few actions.
    let owned = log.sorts("an owner's actions, joined from action_owners");
    let of_group = log.sorts("a group's actions, joined from its meetings");
    let cases = [
        (String::new(), Role::Admin, log),
        (String::new(), Role::Viewer, viewer),
        ("status=open".to_owned(), Role::Admin, log),
        ("owner=CB".to_owned(), Role::Admin, owned),
        ("owner=ALL".to_owned(), Role::Admin, owned),
        (format!("owner={}", a.groups["dp"]), Role::Admin, owned),
        ("due_before=2021-03-01".to_owned(), Role::Admin, log),
        ("due_after=2021-10-01".to_owned(), Role::Admin, log),
        ("overdue=true".to_owned(), Role::Admin, overdue),
        (
            "status=in_progress&owner=CB&overdue=true".to_owned(),
            Role::Admin,
            owned.scans(&["meetings"]),
        ),
        (
            format!("group_id={}", a.groups["spb"]),
            Role::Admin,
            of_group,
        ),
        (format!("meeting_id={recorded}"), Role::Admin, log),
        (
            "numbers=3,14,15".to_owned(),
            Role::Admin,
            log.sorts("the numbers asked for, looked up one by one"),
        ),
    ];
    for (query, role, expect) in cases {
        let f: ActionFilter = filter(&query);
        let label = format!("GET /v1/partnerships/{{id}}/actions?{query} as {role:?}");
        let q = actions_query(c.conn, pa, role, &f, None, Some(51), now).unwrap();
        c.check(&format!("{label} (page 1)"), q, expect);
        let rows = safeguarding_api::actions::list::list(c.conn, pa, role, &f, None, Some(50), now)
            .unwrap();
        let after = rows.last().map_or(50, |r| r.number);
        let q = actions_query(c.conn, pa, role, &f, Some(after), Some(51), now).unwrap();
        c.check(
            &format!("{label} (after a cursor)"),
            q,
            expect.seek("number"),
        );
    }

    // An action's updates, by date then as recorded.
    let history = on("action_updates", &["action_id", "noted_on", "id"]);
    let label = "GET /v1/actions/{id}/updates";
    let q = updates::of_action_query(c.conn, action_ids[0], &first(50))
        .unwrap()
        .unwrap();
    c.check(&format!("{label} (page 1)"), q, history);
    let rows = updates::of_action(c.conn, action_ids[0], &first(50)).unwrap();
    let page = after(last_id(&rows, |u| u.id));
    let q = updates::of_action_query(c.conn, action_ids[0], &page)
        .unwrap()
        .unwrap();
    c.check(
        &format!("{label} (after a cursor)"),
        q,
        history.seek("noted_on"),
    );
}

fn check_risks(c: &mut Checker<'_>, pa: Id, risk: Id) {
    let register = on("risks", &["partnership_id", "number"]);
    let today: Day = form(json!("2020-06-01"));
    // A rating is a range of scores: SQLite reads the rated risks by
    // risks_score and sorts them by number (PostgreSQL walks the register).
    let rated = register.sorts("one rating's risks of one register, read by risks_score");
    let cases = [
        ("", Role::Admin, register),
        ("", Role::Viewer, register),
        ("status=agreed", Role::Admin, register),
        ("rating=red", Role::Admin, rated),
        ("rating=red&status=agreed", Role::Admin, rated),
        (
            "owner=PG",
            Role::Admin,
            register.sorts("a person's risks, read by risks_owner_person"),
        ),
        ("review_overdue=true", Role::Admin, register),
    ];
    for (query, role, expect) in cases {
        let f: RiskFilter = filter(query);
        let label = format!("GET /v1/partnerships/{{id}}/risks?{query} as {role:?}");
        let q = risks_query(c.conn, pa, role, &f, today, None, Some(51)).unwrap();
        c.check(&format!("{label} (page 1)"), q, expect);
        let rows = safeguarding_api::risks::list::list(c.conn, pa, role, &f, today, None, Some(50))
            .unwrap();
        let after = rows.last().map_or(50, |r| r.number);
        let q = risks_query(c.conn, pa, role, &f, today, Some(after), Some(51)).unwrap();
        c.check(
            &format!("{label} (after a cursor)"),
            q,
            expect.seek("number"),
        );
    }

    let history = on(
        "risk_assessments",
        &["risk_id", "assessed_on", "created_at", "id"],
    );
    let since: Day = form(json!("2005-01-01"));
    for (query, since) in [("", None), ("?since=2005-01-01", Some(since))] {
        let label = format!("GET /v1/risks/{{id}}/assessments{query}");
        let q = assessments::page_query(c.conn, risk, since, &first(50))
            .unwrap()
            .unwrap();
        c.check(&format!("{label} (page 1)"), q, history);
        let rows = assessments::page(c.conn, risk, since, &first(50)).unwrap();
        let page = after(last_id(&rows, |r| r.id));
        let q = assessments::page_query(c.conn, risk, since, &page)
            .unwrap()
            .unwrap();
        c.check(
            &format!("{label} (after a cursor)"),
            q,
            history.seek("assessed_on"),
        );
    }

    use safeguarding_api::risks::escalations;
    let escalated = on("risk_escalations", &["risk_id", "id"]).small();
    let label = "GET /v1/risks/{id}/escalations";
    c.check(
        &format!("{label} (page 1)"),
        escalations::page_query(risk, &first(50)),
        escalated,
    );
    c.check(
        &format!("{label} (after a cursor)"),
        escalations::page_query(risk, &after(Id::new())),
        escalated.seek("id"),
    );
}

fn check_meetings(c: &mut Checker<'_>, a: &Seed) {
    let pa = a.partnership_id;
    let listed = on("meetings", &["partnership_id", "id"]);
    let cases = [
        (String::new(), listed),
        (
            format!("group_id={}", a.groups["spb"]),
            listed.sorts("a group's meetings (a dozen a year), read by meetings_group_starts"),
        ),
        ("status=held".to_owned(), listed),
        (
            "from=2002-01-01T00:00:00Z&to=2003-01-01T00:00:00Z".to_owned(),
            listed.filtered(),
        ),
    ];
    for (query, listed) in cases {
        let f: meetings::model::MeetingFilter = filter(&query);
        let label = format!("GET /v1/partnerships/{{id}}/meetings?{query}");
        c.check(
            &format!("{label} (page 1)"),
            meetings::model::list_query(pa, &f, &first(50)),
            listed,
        );
        let rows = meetings::model::list(c.conn, pa, &f, &first(50)).unwrap();
        let page = after(last_id(&rows, |m| m.id));
        c.check(
            &format!("{label} (after a cursor)"),
            meetings::model::list_query(pa, &f, &page),
            listed.seek("id"),
        );
    }

    // What a meeting holds: a few rows each, many meetings.
    let meeting = a.meeting_id;
    let item = a.items.values().copied().next().unwrap();
    let agenda = on("agenda_items", &["meeting_id", "position", "id"]).small();
    let label = "GET /v1/meetings/{id}/items";
    let q = items::model::page_query(c.conn, meeting, &first(50)).unwrap();
    c.check(&format!("{label} (page 1)"), q, agenda);
    let rows = items::model::page(c.conn, meeting, &first(10)).unwrap();
    let page = after(last_id(&rows, |i| i.id));
    let q = items::model::page_query(c.conn, meeting, &page).unwrap();
    c.check(
        &format!("{label} (after a cursor)"),
        q,
        agenda.seek("position"),
    );

    id_pages(
        c,
        "GET /v1/meetings/{id}/attendees",
        on("attendees", &["meeting_id", "id"]).small(),
        |p| attendees::model::list_query(meeting, p),
    );
    id_pages(
        c,
        "GET /v1/meetings/{id}/items/{item_id}/decisions",
        on("decisions", &["item_id", "id"]).small(),
        |p| decisions::model::of_item_query(item, p),
    );
    id_pages(
        c,
        "GET /v1/meetings/{id}/declarations",
        on("declarations", &["meeting_id", "id"]).small(),
        |p| declarations::model::page_of_meeting_query(meeting, p),
    );
    id_pages(
        c,
        "GET /v1/meetings/{id}/items/{item_id}/papers",
        on("papers", &["item_id", "id"]).small(),
        |p| papers::model::page_of_item_query(item, p),
    );
}

/// `SELECT id FROM (<page>) ORDER BY id LIMIT 1 OFFSET 1`: the cursor the
/// service hands out with a page of two (the second row's id).
struct SecondId<Q>(Q);

impl<Q> QueryId for SecondId<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for SecondId<Q> {
    type SqlType = safeguarding_api::db::types::UuidSql;
}

impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for SecondId<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("SELECT page.id FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS page ORDER BY page.id LIMIT 1 OFFSET 1");
        Ok(())
    }
}

impl<Q> RunQueryDsl<DbConnection> for SecondId<Q> {}

/// Checks page 1 of an id-ordered list, and the page after the cursor of
/// a page of two (the nil id, before every row, when the list has fewer
/// rows: an id cursor need not name a row).
fn id_pages<Q: QueryFragment<MultiBackend>>(
    c: &mut Checker<'_>,
    label: &str,
    expect: Expect,
    query: impl Fn(&Page) -> Q,
) {
    c.check(&format!("{label} (page 1)"), query(&first(50)), expect);
    let cursor: Option<Id> = SecondId(query(&first(2)))
        .get_result(c.conn)
        .optional()
        .expect("the cursor is read");
    c.check(
        &format!("{label} (after a cursor)"),
        query(&after(cursor.unwrap_or(Id(uuid::Uuid::nil())))),
        expect.seek("id"),
    );
}

fn check_registers(c: &mut Checker<'_>, a: &Seed, pb: Id) {
    let pa = a.partnership_id;
    let police = a.organisations["west-mercia-police"];
    let spb = a.groups["spb"];

    let people_list = on("people", &["partnership_id", "id"]);
    let cases = [
        (String::new(), people_list),
        (
            format!("organisation_id={police}"),
            people_list.sorts("an agency's people, among the partnership's"),
        ),
    ];
    for (query, expect) in cases {
        let f: people::model::PersonFilter = filter(&query);
        id_pages(
            c,
            &format!("GET /v1/partnerships/{{id}}/people?{query}"),
            expect,
            |p| people::model::list_query(pa, &f, p),
        );
    }
    let f: people::model::PersonFilter = filter("initials=CB");
    id_pages(
        c,
        "GET /v1/partnerships/{id}/people?initials=CB",
        on("people", &["partnership_id", "initials"])
            .sorts("initials are unique in a partnership: one person at most"),
        |p| people::model::list_query(pa, &f, p),
    );

    let groups_list = on("partnership_groups", &["partnership_id", "id"]).small();
    for query in [String::new(), format!("parent_group_id={spb}")] {
        let f: groups::model::GroupFilter = filter(&query);
        id_pages(
            c,
            &format!("GET /v1/partnerships/{{id}}/groups?{query}"),
            groups_list,
            |p| groups::model::list_query(pa, &f, p),
        );
    }
    let f: groups::model::GroupFilter = filter("short_name=SPB");
    id_pages(
        c,
        "GET /v1/partnerships/{id}/groups?short_name=SPB",
        on("partnership_groups", &["partnership_id", "short_name"])
            .small()
            .sorts("short names are unique in a partnership: one group at most"),
        |p| groups::model::list_query(pa, &f, p),
    );

    let members_list = on("partnership_members", &["partnership_id", "id"]).small();
    for query in ["", "role=statutory_partner"] {
        let f: members::model::MemberFilter = filter(query);
        id_pages(
            c,
            &format!("GET /v1/partnerships/{{id}}/members?{query}"),
            members_list,
            |p| members::model::list_query(pa, &f, p),
        );
    }
    let f: members::model::MemberFilter = filter(&format!("organisation_id={police}"));
    id_pages(
        c,
        "GET /v1/partnerships/{id}/members?organisation_id=",
        on(
            "partnership_members",
            &["partnership_id", "organisation_id"],
        )
        .small()
        .sorts("an organisation is a member once: one membership at most"),
        |p| members::model::list_query(pa, &f, p),
    );

    let registry = on("organisations", &["id"]).small();
    for query in ["", "kind=police", "q=mercia"] {
        let f: organisations::model::OrganisationFilter = filter(query);
        id_pages(
            c,
            &format!("GET /v1/organisations?{query}"),
            registry,
            |p| organisations::model::list_query(&f, p),
        );
    }
    let f: organisations::model::OrganisationFilter = filter("name=West%20Mercia%20Police");
    id_pages(
        c,
        "GET /v1/organisations?name=West Mercia Police",
        on("organisations", &["name_key"])
            .small()
            .sorts("names are unique in the registry: one organisation at most"),
        |p| organisations::model::list_query(&f, p),
    );

    let tenants = on("partnerships", &["id"]).small();
    let f: partnerships::model::PartnershipFilter = filter("");
    id_pages(c, "GET /v1/partnerships (platform)", tenants, |p| {
        partnerships::model::list_query(None, &f, p)
    });
    let granted = tenants.sorts("the partnerships a client holds roles in, looked up one by one");
    id_pages(c, "GET /v1/partnerships (a client's)", granted, |p| {
        partnerships::model::list_query(Some(vec![pa, pb]), &f, p)
    });
    let f: partnerships::model::PartnershipFilter = filter("slug=herefordshire");
    id_pages(
        c,
        "GET /v1/partnerships?slug=herefordshire",
        on("partnerships", &["slug"])
            .small()
            .sorts("slugs are unique: one partnership at most"),
        |p| partnerships::model::list_query(None, &f, p),
    );

    id_pages(
        c,
        "GET /v1/partnerships/{id}/clients",
        on("api_clients", &["partnership_id", "id"]).small(),
        |p| clients::model::list_query(pa, p),
    );
    id_pages(
        c,
        "GET /v1/partnerships/{id}/webhooks",
        on("webhooks", &["partnership_id", "id"]).small(),
        |p| webhooks::model::list_query(pa, p),
    );
    id_pages(
        c,
        "GET /v1/partnerships/{id}/metrics",
        on("metrics", &["partnership_id", "id"]),
        |p| metrics::model::list_query(pa, p),
    );
}

fn check_logs(c: &mut Checker<'_>, pa: Id) {
    let log = on("audit_events", &["partnership_id", "seq"]);
    let some_action: Id = actions::table
        .filter(actions::partnership_id.eq(pa))
        .select(actions::id)
        .first(c.conn)
        .unwrap();
    let history = on("audit_events", &["resource_id", "seq"]);
    let cases = [
        (String::new(), log),
        ("resource_type=action".to_owned(), log),
        (format!("resource_id={some_action}"), history),
        ("actor=volume-setup".to_owned(), log),
    ];
    for (query, log) in cases {
        let f: audit::model::AuditFilter = filter(&query);
        let label = format!("GET /v1/partnerships/{{id}}/audit-events?{query}");
        c.check(
            &format!("{label} (page 1)"),
            audit::model::list_query(Some(pa), &f, &first(50)),
            log,
        );
        let rows = audit::model::list(c.conn, Some(pa), &f, &first(50)).unwrap();
        let page = after(Page::position(rows.last().map_or(50, |e| e.seq)));
        c.check(
            &format!("{label} (after a cursor)"),
            audit::model::list_query(Some(pa), &f, &page),
            log.seek("seq"),
        );
    }
    let platform = on("audit_events", &["seq"]).small();
    let f: audit::model::AuditFilter = filter("");
    c.check(
        "GET /v1/audit-events (page 1)",
        audit::model::list_query(None, &f, &first(50)),
        platform,
    );
    c.check(
        "GET /v1/audit-events (after a cursor)",
        audit::model::list_query(None, &f, &after(Page::position(10))),
        platform.seek("seq"),
    );

    // The change feed: the same log, by its own cursor.
    for (label, after_seq) in [("from the start", 0), ("after_seq=2000", 2_000)] {
        let reading = Reading {
            after_seq,
            limit: 100,
            wait: 0,
        };
        c.check(
            &format!("GET /v1/partnerships/{{id}}/changes ({label})"),
            changes::page_query(pa, reading),
            log.seek("seq"),
        );
    }

    let accessed = on("access_log", &["partnership_id", "id"]);
    let item: Id = agenda_items::table
        .filter(agenda_items::partnership_id.eq(pa))
        .select(agenda_items::id)
        .first(c.conn)
        .unwrap();
    let disclosures = on("access_log", &["resource_id", "id"]);
    let cases = [
        (String::new(), accessed),
        (
            "outcome=refused".to_owned(),
            accessed.sorts("the refusals, among the partnership's disclosures"),
        ),
        ("resource_type=agenda_item".to_owned(), accessed),
        (format!("resource_id={item}"), disclosures.filtered()),
        ("subject=volume-setup".to_owned(), accessed),
    ];
    for (query, accessed) in cases {
        let f: access::AccessFilter = filter(&query);
        let label = format!("GET /v1/partnerships/{{id}}/access-log?{query}");
        c.check(
            &format!("{label} (page 1)"),
            access::list_query(pa, &f, &first(50)),
            accessed,
        );
        let rows = access::list(c.conn, pa, &f, &first(50)).unwrap();
        let page = after(last_id(&rows, |e| e.id));
        c.check(
            &format!("{label} (after a cursor)"),
            access::list_query(pa, &f, &page),
            accessed.seek("id"),
        );
    }
}

fn check_data(c: &mut Checker<'_>, pa: Id, budget: Id, hook: Id) {
    let metric: Id = safeguarding_api::db::schema::metrics::table
        .filter(safeguarding_api::db::schema::metrics::partnership_id.eq(pa))
        .select(safeguarding_api::db::schema::metrics::id)
        .first(c.conn)
        .unwrap();
    let org: Id = safeguarding_api::db::schema::metric_values::table
        .select(safeguarding_api::db::schema::metric_values::organisation_id)
        .first(c.conn)
        .unwrap();
    let values = on("metric_values", &["partnership_id", "id"]);
    let cases = [
        (String::new(), values),
        ("period=2019-20-Q2".to_owned(), values),
        (format!("organisation_id={org}"), values),
        (
            format!("metric_id={metric}"),
            values.sorts("a metric's values, one an agency a period, read by their unique key"),
        ),
    ];
    for (query, values) in cases {
        let f: submissions::model::ValueFilter = filter(&query);
        let label = format!("GET /v1/partnerships/{{id}}/submissions?{query}");
        let q = submissions::model::list_query(pa, &f, Some(&first(50))).unwrap();
        c.check(&format!("{label} (page 1)"), q, values);
        let rows = submissions::model::list(c.conn, pa, &f, Some(&first(50))).unwrap();
        let page = after(last_id(&rows, |v| v.id));
        let q = submissions::model::list_query(pa, &f, Some(&page)).unwrap();
        c.check(&format!("{label} (after a cursor)"), q, values.seek("id"));
    }

    let requests = on("data_requests", &["partnership_id", "id"]).small();
    for query in ["", "status=open", "period=2019-20-Q2"] {
        let f: data_requests::model::RequestFilter = filter(query);
        let label = format!("GET /v1/partnerships/{{id}}/data-requests?{query}");
        let q = data_requests::model::list_query(pa, &f, &first(50)).unwrap();
        c.check(&format!("{label} (page 1)"), q, requests);
        let q = data_requests::model::list_query(pa, &f, &after(Id::new())).unwrap();
        c.check(&format!("{label} (after a cursor)"), q, requests.seek("id"));
    }

    // Budgets: one a year, read whole and paged in memory.
    for role in [Role::Admin, Role::Viewer] {
        c.check(
            &format!("GET /v1/partnerships/{{id}}/budgets as {role:?}"),
            budgets::model::of_partnership_query(pa, role, None, None),
            on("budgets", &["partnership_id", "financial_year"]).small(),
        );
    }
    id_pages(
        c,
        "GET /v1/budgets/{id}/lines",
        on("budget_lines", &["budget_id", "id"]).small(),
        |p| budgets::lines::page_query(budget, p),
    );
    id_pages(
        c,
        "GET /v1/budgets/{id}/contributions",
        on("budget_contributions", &["budget_id", "id"]).small(),
        |p| budgets::contributions::page_query(budget, p),
    );
    let ledger = on("budget_transactions", &["budget_id", "date", "id"]);
    let line: Id = safeguarding_api::db::schema::budget_lines::table
        .filter(safeguarding_api::db::schema::budget_lines::budget_id.eq(budget))
        .select(safeguarding_api::db::schema::budget_lines::id)
        .first(c.conn)
        .unwrap();
    let cases = [
        (String::new(), ledger),
        ("kind=commitment".to_owned(), ledger.filtered()),
        (
            format!("line_id={line}"),
            ledger.sorts("a line's transactions, read by budget_transactions_line"),
        ),
        ("from=2019-06-01&to=2019-09-30".to_owned(), ledger),
    ];
    for (query, ledger) in cases {
        let f: TransactionFilter = filter(&query);
        let label = format!("GET /v1/budgets/{{id}}/transactions?{query}");
        let q = transactions::list_query(c.conn, budget, &f, None, Some(51))
            .unwrap()
            .unwrap();
        c.check(&format!("{label} (page 1)"), q, ledger);
        let rows = transactions::list(c.conn, budget, &f, None, Some(50)).unwrap();
        let cursor = last_id(&rows, |t| t.id);
        let q = transactions::list_query(c.conn, budget, &f, Some(cursor), Some(51))
            .unwrap()
            .unwrap();
        c.check(&format!("{label} (after a cursor)"), q, ledger.seek("date"));
    }

    let sent = on("webhook_deliveries", &["webhook_id", "id"]);
    let failed = sent.sorts("a webhook's failed deliveries, read by webhook_deliveries_due");
    for (query, sent) in [("", sent), ("status=failed", failed)] {
        let f: deliveries::DeliveryFilter = filter(query);
        let label =
            format!("GET /v1/partnerships/{{id}}/webhooks/{{webhook_id}}/deliveries?{query}");
        c.check(
            &format!("{label} (page 1)"),
            deliveries::list_query(hook, &f, &first(50)),
            sent,
        );
        let rows = deliveries::list(c.conn, hook, &f, &first(50)).unwrap();
        let page = after(last_id(&rows, |d| d.id));
        c.check(
            &format!("{label} (after a cursor)"),
            deliveries::list_query(hook, &f, &page),
            sent.seek("id"),
        );
    }
}
