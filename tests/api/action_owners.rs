//! Action owners as rows of `action_owners`: they keep their order, the
//! owner filter finds them by initials, `ALL` and id (through the indexes,
//! checked with `EXPLAIN` on PostgreSQL), a member organisation that owns
//! actions is not removed from the partnership, and the migration moves the
//! owners stored as JSON text into rows.

use diesel::pg::PgConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{Connection, QueryResult, RunQueryDsl};
use safeguarding_api::actions::list::{list_query, ActionFilter};
use safeguarding_api::actions::rules::{OwnerFilter, OwnerRef};
use safeguarding_api::auth::Role;
use safeguarding_api::db::{DbConnection, Id, MultiBackend, UtcTime};
use serde_json::{json, Value};

use crate::helpers::{fresh_database, id_of, migrate_up_to, spawn_app, spawn_app_on, TestApp};
use crate::seed::{self, Seed, HEREFORDSHIRE};

async fn create_action(app: &TestApp, seed: &Seed, owners: Value) -> Value {
    app.post_json(
        &format!("/v1/partnerships/{}/actions", seed.partnership_id),
        &app.platform_admin_token(),
        &json!({"description": "Circulate the revised threshold document.", "owners": owners}),
    )
    .await
    .expect_json(201)
}

/// The owners as (kind, id) pairs, in the order answered.
fn owners_of(action: &Value) -> Vec<(String, Option<String>)> {
    action["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_owned(),
                o["id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn numbers(list: &[Value]) -> Vec<i64> {
    list.iter().map(|a| a["number"].as_i64().unwrap()).collect()
}

/// The member organisation `key`'s membership, by its id.
async fn membership(app: &TestApp, seed: &Seed, key: &str) -> String {
    let members = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/members?organisation_id={}",
                seed.partnership_id, seed.organisations[key]
            ),
            &app.platform_admin_token(),
        )
        .await;
    members[0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn owners_round_trip_in_their_order_and_the_audit_shows_them() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let (eh, cb) = (seed.people["EH"], seed.people["CB"]);
    let dp = seed.groups["dp"];
    let police = seed.organisations["west-mercia-police"];
    let created = create_action(&app, &seed, json!(["EH", dp, police, "ALL", "cb"])).await;
    let s = |id: Id| Some(id.to_string());
    // All partners first (as before), the others in the order given.
    let expected = vec![
        ("all_partners".to_owned(), None),
        ("person".to_owned(), s(eh)),
        ("group".to_owned(), s(dp)),
        ("organisation".to_owned(), s(police)),
        ("person".to_owned(), s(cb)),
    ];
    assert_eq!(owners_of(&created), expected);
    assert_eq!(created["all_partners"], true);
    assert_eq!(created["owner_ids"], json!([eh, dp, police, cb]));
    assert_eq!(created["owners"][2]["initials"], "D&P");
    assert_eq!(created["owners"][3]["initials"], Value::Null);
    let path = format!("/v1/actions/{}", created["id"].as_str().unwrap());
    let read = app.get(&path, &admin).await.expect_json(200);
    assert_eq!(owners_of(&read), expected);

    // Reordered and narrowed: the new order is kept; the rest is unchanged.
    let changed = app
        .patch_json(
            &path,
            &admin,
            Some("\"1\""),
            &json!({"owners": ["CB", "EH"]}),
        )
        .await
        .expect_json(200);
    let reordered = vec![("person".to_owned(), s(cb)), ("person".to_owned(), s(eh))];
    assert_eq!(owners_of(&changed), reordered);
    assert_eq!(changed["all_partners"], false);
    let read = app.get(&path, &admin).await.expect_json(200);
    assert_eq!(owners_of(&read), reordered);
    // A change of something else leaves the owners as they are.
    let progressed = app
        .patch_json(
            &path,
            &admin,
            Some("\"2\""),
            &json!({"status": "in_progress"}),
        )
        .await
        .expect_json(200);
    assert_eq!(owners_of(&progressed), reordered);

    // The log's CSV writes them as the log does.
    let csv = app
        .get_accept(
            &format!(
                "/v1/partnerships/{}/actions?number={}",
                seed.partnership_id, created["number"]
            ),
            &admin,
            "text/csv",
        )
        .await;
    csv.expect_status(200);
    assert!(csv.text().contains("CB / EH"), "{}", csv.text());

    // The change log's events hold the owners before and after.
    let events = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/audit-events?resource_id={}",
                seed.partnership_id,
                created["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await;
    let owners_in = |state: &Value| -> Value { json!([state["all_partners"], state["owner_ids"]]) };
    let create = events.iter().find(|e| e["action"] == "create").unwrap();
    assert_eq!(
        owners_in(&create["after_state"]),
        json!([true, [eh, dp, police, cb]])
    );
    let update = events
        .iter()
        .find(|e| e["action"] == "update" && e["after_state"]["status"] == "open")
        .unwrap();
    assert_eq!(
        owners_in(&update["before_state"]),
        json!([true, [eh, dp, police, cb]])
    );
    assert_eq!(owners_in(&update["after_state"]), json!([false, [cb, eh]]));
}

#[tokio::test]
async fn the_owner_filter_finds_owners_by_initials_all_and_id() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let pid = seed.partnership_id;
    let dp = seed.groups["dp"];
    let police = seed.organisations["west-mercia-police"];
    let mut made = Vec::new();
    for owners in [
        json!(["CB"]),
        json!(["ALL", "EH"]),
        json!([dp]),
        json!([police]),
        json!(["EH", "CB"]),
    ] {
        made.push(
            create_action(&app, &seed, owners).await["number"]
                .as_i64()
                .unwrap(),
        );
    }
    let filtered = |owner: String| {
        let app = app.clone();
        let admin = admin.clone();
        async move {
            numbers(
                &app.get_all(
                    &format!("/v1/partnerships/{pid}/actions?owner={owner}"),
                    &admin,
                )
                .await,
            )
        }
    };
    assert_eq!(filtered("cb".into()).await, vec![made[0], made[4]]);
    assert_eq!(filtered("ALL".into()).await, vec![made[1]]);
    let eh = seed.people["EH"];
    assert_eq!(filtered(eh.to_string()).await, vec![made[1], made[4]]);
    assert_eq!(filtered(dp.to_string()).await, vec![made[2]]);
    assert_eq!(filtered(police.to_string()).await, vec![made[3]]);
    // Initials nobody has, and an id that owns nothing, own nothing.
    assert!(filtered("ZZ".into()).await.is_empty());
    assert!(filtered(Id::new().to_string()).await.is_empty());
    // The filter combines with the others.
    let open_cb = filtered("CB&status=complete".into()).await;
    assert!(open_cb.is_empty());
}

#[tokio::test]
async fn removing_a_member_organisation_that_owns_actions_is_409_naming_them() {
    let app = spawn_app().await;
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let admin = app.platform_admin_token();
    let police = seed.organisations["west-mercia-police"];
    let first = create_action(&app, &seed, json!([police])).await;
    let second = create_action(&app, &seed, json!(["CB", police])).await;
    create_action(&app, &seed, json!(["CB"])).await;
    let member = membership(&app, &seed, "west-mercia-police").await;
    let path = format!("/v1/partnerships/{}/members/{member}", seed.partnership_id);

    let refused = app
        .delete(&path, &admin, Some("*"))
        .await
        .expect_problem(409);
    let detail = refused["detail"].as_str().unwrap();
    let named = format!("owns actions {}, {}", first["number"], second["number"]);
    assert!(detail.contains(&named), "{detail}");
    // Still a member: an action can still name it.
    create_action(&app, &seed, json!([police])).await;

    // Given other owners, the membership goes.
    let owned = app
        .get_all(
            &format!(
                "/v1/partnerships/{}/actions?owner={police}",
                seed.partnership_id
            ),
            &admin,
        )
        .await;
    assert_eq!(owned.len(), 3);
    for action in &owned {
        app.patch_json(
            &format!("/v1/actions/{}", id_of(action)),
            &admin,
            Some("*"),
            &json!({"owners": ["ALL"]}),
        )
        .await
        .expect_json(200);
    }
    app.delete(&path, &admin, Some("*"))
        .await
        .expect_status(204);
    // A membership that owns nothing goes at once.
    let trust = membership(&app, &seed, "wye-valley-nhs-trust").await;
    app.delete(
        &format!("/v1/partnerships/{}/members/{trust}", seed.partnership_id),
        &admin,
        Some("*"),
    )
    .await
    .expect_status(204);
}

/// `EXPLAIN <query>`, run with the query's own binds on the service's
/// connection type, so the plan is the one of the SQL the service runs.
struct Explain<Q>(Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = diesel::sql_types::Text;
}

impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> RunQueryDsl<DbConnection> for Explain<Q> {}

/// The plan of the action log's page for `?owner=<owner>`.
fn plan(conn: &mut DbConnection, partnership_id: Id, owner: OwnerRef) -> String {
    let filter = ActionFilter {
        owner: Some(OwnerFilter(owner)),
        ..ActionFilter::default()
    };
    let query = list_query(
        conn,
        partnership_id,
        Role::Viewer,
        &filter,
        None,
        Some(50),
        UtcTime::now(),
    )
    .expect("the query builds");
    Explain(query)
        .load::<String>(conn)
        .expect("EXPLAIN runs")
        .join("\n")
}

#[tokio::test]
async fn the_owner_filter_over_ten_thousand_actions_uses_the_index() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        eprintln!("skipped: EXPLAIN plans are checked on PostgreSQL");
        return;
    }
    let seed = seed::load(&app, HEREFORDSHIRE).await;
    let pid = seed.partnership_id;
    let cb = seed.people["CB"];
    let dp = seed.groups["dp"];
    let mut pg = PgConnection::establish(&app.database_url).unwrap();
    // 10,000 actions in two statements: one in 500 owned by CB, the others
    // by groups of the partnership (in turn) or all partners.
    diesel::sql_query(format!(
        "INSERT INTO actions (id, partnership_id, number, description, status, version, \
         created_at, updated_at) \
         SELECT gen_random_uuid(), '{pid}', n, 'Bulk action ' || n, 'open', 1, now(), now() \
         FROM generate_series(1, 10000) AS n"
    ))
    .execute(&mut pg)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO action_owners (action_id, position, kind, person_id, group_id) \
         SELECT a.id, 0, \
                CASE WHEN a.number % 500 = 0 THEN 'person' \
                     WHEN a.number % 7 = 0 THEN 'all_partners' ELSE 'group' END, \
                CASE WHEN a.number % 500 = 0 THEN '{cb}'::uuid END, \
                CASE WHEN a.number % 500 <> 0 AND a.number % 7 <> 0 THEN \
                     (SELECT g.id FROM partnership_groups g WHERE g.partnership_id = a.partnership_id \
                      ORDER BY g.id OFFSET a.number % 9 LIMIT 1) END \
         FROM actions a WHERE a.partnership_id = '{pid}'"
    ))
    .execute(&mut pg)
    .unwrap();
    diesel::sql_query("ANALYZE").execute(&mut pg).unwrap();

    // The service answers from them.
    let admin = app.platform_admin_token();
    let owned = app
        .get_all(&format!("/v1/partnerships/{pid}/actions?owner=CB"), &admin)
        .await;
    assert_eq!(owned.len(), 20);
    assert!(owned.iter().all(|a| a["owners"][0]["initials"] == "CB"));

    let mut conn = DbConnection::establish(&app.database_url).unwrap();
    // A rare owner is found through the index on what it names; a common
    // one (a group owning a tenth) may be checked per action through the
    // primary key instead, but never by scanning the table.
    for (owner, index) in [
        (
            OwnerRef::Initials("CB".into()),
            Some("action_owners_person"),
        ),
        (OwnerRef::Id(cb), Some("action_owners_person")),
        (OwnerRef::Id(dp), None),
        (OwnerRef::AllPartners, None),
    ] {
        let plan = plan(&mut conn, pid, owner.clone());
        assert!(
            !plan.contains("Seq Scan on action_owners"),
            "{owner:?} scans action_owners:\n{plan}"
        );
        assert!(
            plan.contains("action_owners"),
            "{owner:?} does not use action_owners:\n{plan}"
        );
        if let Some(index) = index {
            assert!(
                plan.contains(index),
                "{owner:?} does not use {index}:\n{plan}"
            );
        }
    }
}

/// Rows as the service wrote them before owners were rows: a partnership,
/// its people CB and EH, a group, an organisation, and four actions owning
/// them in the JSON text column (CB last in the first), with or without ALL.
const BEFORE_OWNERS_FIXTURE: &str = r#"
INSERT INTO partnerships (id, name, slug, area, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-000000000001', 'P', 'p', 'A', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO organisations (id, name, kind, created_at, updated_at, name_key) VALUES
 ('00000000-0000-0000-0000-0000000000a1', 'Police', 'police', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 'police');
INSERT INTO people (id, partnership_id, full_name, initials, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-000000000001', 'Chris Baird', 'CB', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-000000000001', 'Ed Hughes', 'EH', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO partnership_groups (id, partnership_id, name, short_name, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-000000000001', 'Development and Practice', 'D&P', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO actions (id, partnership_id, number, description, owner_ids, all_partners, status, created_at, updated_at) VALUES
 ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-000000000001', 1, 'One', '["00000000-0000-0000-0000-0000000000b2","00000000-0000-0000-0000-0000000000c1","00000000-0000-0000-0000-0000000000a1","00000000-0000-0000-0000-0000000000b1"]', true, 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-000000000001', 2, 'Two', '[]', true, 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-000000000001', 3, 'Three', '["00000000-0000-0000-0000-0000000000b1"]', false, 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
 ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-000000000001', 4, 'Four', '[]', false, 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
"#;

#[tokio::test]
async fn the_migration_moves_owners_from_json_into_rows_in_order() {
    let (url, scratch) = fresh_database();
    // The last migration before owners were rows.
    migrate_up_to(&url, "20261202000102", BEFORE_OWNERS_FIXTURE);
    // The server runs the rest, this one included.
    let app = spawn_app_on(url, scratch, &[]).await;
    let admin = app.platform_admin_token();
    let log = "/v1/partnerships/00000000-0000-0000-0000-000000000001/actions";
    let all = app.get_all(log, &admin).await;
    let id = |n: u8| Some(format!("00000000-0000-0000-0000-0000000000{n:02x}"));
    let pair = |kind: &str, id: Option<String>| (kind.to_owned(), id);
    assert_eq!(
        owners_of(&all[0]),
        vec![
            pair("all_partners", None),
            pair("person", id(0xb2)),
            pair("group", id(0xc1)),
            pair("organisation", id(0xa1)),
            pair("person", id(0xb1)),
        ]
    );
    assert_eq!(owners_of(&all[1]), vec![pair("all_partners", None)]);
    assert_eq!(owners_of(&all[2]), vec![pair("person", id(0xb1))]);
    assert!(owners_of(&all[3]).is_empty());
    let filtered = |owner: &str| {
        let path = format!("{log}?owner={owner}");
        let (app, admin) = (app.clone(), admin.clone());
        async move { numbers(&app.get_all(&path, &admin).await) }
    };
    assert_eq!(filtered("CB").await, vec![1, 3]);
    assert_eq!(filtered("ALL").await, vec![1, 2]);
    assert_eq!(filtered(&id(0xc1).unwrap()).await, vec![1]);
}
