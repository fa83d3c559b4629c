//! The national-volume loader: partnerships as a national deployment holds
//! them, written through the model functions and the store's batch calls
//! (the path `POST /meetings/record` and `POST /submissions` take), never
//! raw SQL. Each partnership gets the same shape; `PARTNERSHIPS` sets how
//! many.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

use safeguarding_api::auth::tenant::{Contribute, Manage, Submit};
use safeguarding_api::auth::{Principal, Role, Tenant};
use safeguarding_api::db::counter::Scope;
use safeguarding_api::db::tx::Tx;
use safeguarding_api::db::{self, DbConnection, Id, UtcTime};
use safeguarding_api::error::ApiError;
use safeguarding_api::submissions::rules::{Batch, Entry, Flags, Submission};

/// Per partnership: 34 meetings × 20 actions ≈ 100,000 actions in 150.
pub const MEETINGS: usize = 34;
pub const ITEMS: usize = 8;
pub const ACTIONS_PER_ITEM: usize = 5;
/// Of the 8 items, those with actions (4 × 5 = 20 a meeting).
pub const ITEMS_WITH_ACTIONS: usize = 4;
pub const RISKS: usize = 134;
/// 100 metrics × 4 agencies × 17 quarters = 6,800 values: 1,020,000 in 150.
pub const METRICS: usize = 100;
pub const AGENCIES: usize = 4;
pub const QUARTERS: usize = 17;
pub const YEARS: usize = 5;
pub const PEOPLE: usize = 24;

/// What the driver needs of one loaded partnership.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub id: Id,
    pub agencies: Vec<Id>,
    pub meetings: Vec<Id>,
}

pub fn admin() -> Principal {
    Principal {
        subject: "bench-loader".to_owned(),
        organisation_id: None,
        platform_admin: true,
        roles: BTreeMap::new(),
        client: None,
        checked: Default::default(),
    }
}

fn form<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("the loader builds valid forms")
}

fn run<T>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>) -> T {
    match db::transaction(conn, f) {
        Ok(v) => v,
        Err(e) => panic!("loading failed: {e:?}"),
    }
}

pub fn quarter(q: usize) -> String {
    let year = 2019 + q / 4;
    format!("{}-{:02}-Q{}", year, (year + 1) % 100, q % 4 + 1)
}

/// Loads partnership `n` (0-based) without its performance values.
pub fn partnership(conn: &mut DbConnection, n: usize, now: UtcTime) -> Loaded {
    use safeguarding_api::{groups, members, metrics, organisations, partnerships, people};
    let actor = admin();
    let area = format!("Area {n:03}");
    let p = run(conn, |conn| {
        let f = json!({"name": format!("{area} Safeguarding Partnership"), "slug": format!("area-{n:03}"), "area": area});
        partnerships::model::create(conn, &actor, form(f), now)
    });
    let pid = p.id;
    let manage = Tenant::<Manage>::check(actor.clone(), pid).expect("admin");
    // A council of its own; police forces and health boards shared, as
    // 43 forces and 42 boards serve England's partnerships.
    let names = [
        (format!("{area} Council"), "local_authority"),
        (format!("Police Force {:02}", n % 43), "police"),
        (
            format!("Integrated Care Board {:02}", n % 42),
            "health_commissioner",
        ),
        (format!("{area} Education Trust"), "education"),
    ];
    let agencies: Vec<Id> = run(conn, |conn| {
        let mut tx = Tx::hold_all(conn, &[Scope::Platform, Scope::Partnership(pid)], now)?;
        let mut ids = Vec::new();
        for (name, kind) in &names {
            let id = match organisations::model::find_by_name(&mut tx, name)? {
                Some(o) => o.id,
                None => {
                    let f = json!({"name": name, "kind": kind});
                    organisations::model::create(&mut tx, &actor, form(f))?.id
                }
            };
            let role = if ids.is_empty() {
                "statutory_partner"
            } else {
                "relevant_agency"
            };
            members::model::create(
                &mut tx,
                &manage,
                form(json!({"organisation_id": id, "role": role})),
            )?;
            ids.push(id);
        }
        for i in 0..PEOPLE {
            let f = json!({"full_name": format!("Person {i} of {area}"), "initials": initials(i),
                           "job_title": "Safeguarding lead", "organisation_id": ids[i % ids.len()]});
            people::model::create(&mut tx, &manage, form(f))?;
        }
        let board = groups::model::create(
            &mut tx,
            &manage,
            form(json!({"name": "Safeguarding Partnership Board", "short_name": "SPB"})),
        )?;
        for (name, short) in [
            ("Quality and Effectiveness Group", "QEG"),
            ("Case Review Group", "CRG"),
        ] {
            let f = json!({"name": name, "short_name": short, "parent_group_id": board.id});
            groups::model::create(&mut tx, &manage, form(f))?;
        }
        for m in 0..METRICS {
            let f = json!({"code": format!("M{m:03}"), "name": format!("Measure {m}"), "unit": "count"});
            metrics::model::create(&mut tx, &manage, form(f))?;
        }
        Ok(ids)
    });
    let mut meetings = Vec::with_capacity(MEETINGS);
    for m in 0..MEETINGS {
        let doc = meeting_record(n, m);
        let id = run(conn, |conn| {
            let mut tx = Tx::referring(conn, pid, now)?;
            let (meeting, _) =
                safeguarding_api::recording::model::record(&mut tx, &actor, pid, &doc)?;
            Ok(meeting.id)
        });
        meetings.push(id);
    }
    let contribute = Tenant::<Contribute>::check(actor.clone(), pid).expect("admin");
    run(conn, |conn| {
        let mut tx = Tx::hold(conn, Scope::Partnership(pid), now)?;
        for r in 0..RISKS {
            let f = json!({"title": format!("Risk {r}: capacity of {area}'s front door"),
                "description": "Demand exceeds the capacity agreed in the plan.",
                "likelihood": 1 + r % 5, "impact": 1 + (r / 5) % 5, "status": "agreed",
                "owner": initials(r % PEOPLE), "next_review_date": "2027-03-31"});
            safeguarding_api::risks::model::create(&mut tx, &contribute, form(f))?;
        }
        Ok(())
    });
    budgets(conn, &manage, &agencies, now);
    Loaded {
        id: pid,
        agencies,
        meetings,
    }
}

fn budgets(conn: &mut DbConnection, manage: &Tenant<Manage>, agencies: &[Id], now: UtcTime) {
    use safeguarding_api::budgets::{contributions, lines, model, transactions};
    let actor = &manage.principal;
    for y in 0..YEARS {
        let year = 2019 + y;
        run(conn, |conn| {
            let mut tx = Tx::of(conn, manage, now)?;
            let mut f = json!({"financial_year": format!("{year}-{:02}", (year + 1) % 100),
                               "reserve_target_pence": 6_000_000, "published": true});
            if y == 0 {
                f["opening_reserve_pence"] = json!(4_000_000);
            }
            let budget = model::create(&mut tx, manage, form(f))?;
            for a in agencies {
                let f =
                    json!({"organisation_id": a, "amount_pence": 4_500_000, "status": "received"});
                contributions::create(&mut tx, actor, &budget, form(f))?;
            }
            for l in 0..10 {
                let kind = if l < 2 { "income" } else { "expenditure" };
                let f =
                    json!({"name": format!("Line {l}"), "kind": kind, "planned_pence": 1_000_000});
                let line = lines::create(&mut tx, actor, &budget, form(f))?;
                for t in 0..6 {
                    let f = json!({"line_id": line.id, "date": format!("{year}-{:02}-15", 4 + t),
                                   "amount_pence": 10_000 + 100 * t, "description": format!("Invoice {l}/{t}")});
                    transactions::create(&mut tx, actor, &budget, form(f))?;
                }
            }
            Ok(())
        });
    }
}

pub fn initials(i: usize) -> String {
    format!("P{}", i % PEOPLE)
}

/// Meeting `m` of partnership `n` as `POST /meetings/record` takes it: eight
/// items, four of them with five actions, attendance of twelve.
pub fn meeting_record(n: usize, m: usize) -> safeguarding_api::recording::document::MeetingRecord {
    let day = chrono::NaiveDate::from_ymd_opt(2019, 4, 10).unwrap()
        + chrono::Duration::days(45 * m as i64);
    let starts = format!("{day}T10:00:00Z");
    let group = ["SPB", "QEG", "CRG"][m % 3];
    let person = |i: usize| json!({"initials": initials(i % PEOPLE)});
    let present: Vec<Value> = (0..8).map(|i| person(i + m)).collect();
    let in_attendance: Vec<Value> = (8..12).map(|i| person(i + m)).collect();
    let items: Vec<Value> = (0..ITEMS)
        .map(|i| {
            let actions: Vec<Value> = if i < ITEMS_WITH_ACTIONS {
                (0..ACTIONS_PER_ITEM)
                    .map(|a| json!({"description": format!("{} to report back on item {} point {a}", initials(a + i), i + 1),
                                    "owners": [initials(a + i + m)], "due_text": "next meeting"}))
                    .collect()
            } else {
                Vec::new()
            };
            json!({"number": format!("{}.", i + 1), "title": format!("Item {} of partnership {n}", i + 1),
                   "presenter": initials(i + m),
                   "minutes": "The board discussed the report and **agreed** the recommendations.\n\nPartners noted the figures.",
                   "decisions": [{"outcome": "agreed", "text": "The recommendations were agreed."}],
                   "confidential": i == ITEMS - 1, "actions": actions})
        })
        .collect();
    form(json!({
        "group_name": group,
        "meeting": {"title": format!("{group} meeting {m}"), "starts_at": starts, "status": "held",
                    "location": "Council Chamber"},
        "present": present, "in_attendance": in_attendance, "no_declarations": true,
        "items": items,
    }))
}

/// One agency's values of one quarter (every metric), as a submitter sends them.
pub fn submission_body(agency: Id, q: usize, bump: i64) -> Value {
    let values: Vec<Value> = (0..METRICS)
        .map(|m| json!({"metric": format!("M{m:03}"), "value": (m as i64 * 7 + q as i64 + bump) % 500}))
        .collect();
    json!({"period": quarter(q), "organisation_id": agency, "values": values})
}

fn submission(agency: Id, q: usize) -> Submission {
    form(submission_body(agency, q, 0))
}

/// Stores quarter `q` of every agency of `p`: 400 values, one transaction.
pub fn values(conn: &mut DbConnection, p: &Loaded, q: usize, now: UtcTime) {
    let mut principal = admin();
    principal.platform_admin = false;
    principal.roles = BTreeMap::from([(p.id, Role::Admin)]);
    let tenant = Tenant::<Submit>::check(principal, p.id).expect("admin submits");
    run(conn, |conn| {
        let mut tx = Tx::of(conn, &tenant, now)?;
        for a in &p.agencies {
            let s = submission(*a, q);
            let batch = Batch {
                period: s.period.clone(),
                organisation_id: *a,
                entries: s
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Entry::of_json(i, v))
                    .collect(),
            };
            safeguarding_api::submissions::model::submit(
                &mut tx,
                &tenant,
                batch,
                Flags::default(),
            )?;
        }
        Ok(())
    });
}

/// Partnership `n` as an earlier run loaded it (`REUSE=1`), if it did.
pub fn loaded_before(conn: &mut DbConnection, n: usize) -> Option<Loaded> {
    use diesel::prelude::*;
    use safeguarding_api::db::schema::{meetings, partnership_members};
    let p =
        safeguarding_api::partnerships::model::find_by_slug(conn, &format!("area-{n:03}")).ok()?;
    let agencies: Vec<Id> = partnership_members::table
        .filter(partnership_members::partnership_id.eq(p.id))
        .order(partnership_members::id)
        .select(partnership_members::organisation_id)
        .load(conn)
        .ok()?;
    let meetings: Vec<Id> = meetings::table
        .filter(meetings::partnership_id.eq(p.id))
        .order(meetings::id)
        .select(meetings::id)
        .load(conn)
        .ok()?;
    Some(Loaded {
        id: p.id,
        agencies,
        meetings,
    })
}

/// Time since `start`, in seconds, for the loader's progress lines.
pub fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
