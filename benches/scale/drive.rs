//! The load: the calls integrators make, each with the token of the role
//! that makes it, spread over every loaded partnership; per call, answers a
//! second and the latency distribution.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, ETAG, IF_MATCH};
use serde_json::json;

use safeguarding_api::db::Id;

use crate::load::{self, Loaded};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    Partnership,
    Meeting,
    Agenda,
    MinutesJson,
    MinutesMarkdown,
    ActionsPage1,
    ValuesPage1,
    ValuesPage200,
    Create,
    Patch,
    Submit,
}

impl Call {
    pub const ALL: [Call; 11] = [
        Call::Partnership,
        Call::Meeting,
        Call::Agenda,
        Call::MinutesJson,
        Call::MinutesMarkdown,
        Call::ActionsPage1,
        Call::ValuesPage1,
        Call::ValuesPage200,
        Call::Create,
        Call::Patch,
        Call::Submit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Call::Partnership => "GET partnership (viewer)",
            Call::Meeting => "GET meeting (viewer)",
            Call::Agenda => "GET agenda (viewer)",
            Call::MinutesJson => "GET minutes JSON (member)",
            Call::MinutesMarkdown => "GET minutes Markdown (viewer)",
            Call::ActionsPage1 => "GET open actions, page 1 (member)",
            Call::ValuesPage1 => "GET values, page 1 (member)",
            Call::ValuesPage200 => "GET values, page 200 (member)",
            Call::Create => "POST action + Idempotency-Key (member)",
            Call::Patch => "PATCH action + If-Match (member)",
            Call::Submit => "POST 100 values (submitter)",
        }
    }

    /// Its share of the mixed load, out of 100: reads first, as integrators'
    /// traffic is.
    pub fn weight(self) -> u32 {
        match self {
            Call::Partnership => 10,
            Call::Meeting => 18,
            Call::Agenda => 12,
            Call::MinutesJson => 6,
            Call::MinutesMarkdown => 4,
            Call::ActionsPage1 => 12,
            Call::ValuesPage1 => 10,
            Call::ValuesPage200 => 10,
            Call::Create => 8,
            Call::Patch => 8,
            Call::Submit => 2,
        }
    }
}

/// Idempotency keys of this run: each create sends a new one.
static KEYS: AtomicU64 = AtomicU64::new(0);

/// One partnership as the load sees it.
pub struct Target {
    pub loaded: Loaded,
    pub viewer: HeaderValue,
    pub member: HeaderValue,
    pub submitter: HeaderValue,
    /// Actions the PATCH calls change.
    pub actions: Vec<Id>,
    /// The cursor of its values' page 200 (25 a page).
    pub page200: String,
}

pub struct Plan {
    pub targets: Vec<Target>,
}

pub fn bearer(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Bearer {token}")).expect("token")
}

/// Small, fast, good enough to spread calls: xorshift64*.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// What one connection keeps between its calls: the action it changes and
/// the version it last saw, and a counter for its idempotency keys.
struct Connection {
    rng: Rng,
    patched: Option<(usize, Id, Option<String>)>,
    sent: u64,
    name: usize,
}

#[derive(Default)]
pub struct Tally {
    pub micros: BTreeMap<Call, Vec<u32>>,
    pub unexpected: BTreeMap<(Call, u16), u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (call, mut v) in other.micros {
            self.micros.entry(call).or_default().append(&mut v);
        }
        for (k, n) in other.unexpected {
            *self.unexpected.entry(k).or_default() += n;
        }
    }

    pub fn count(&self) -> usize {
        self.micros.values().map(Vec::len).sum()
    }
}

pub fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// Drives `calls` (by their weights) over `connections` connections shared
/// round-robin among `bases` for `seconds`.
pub async fn drive(
    client: &reqwest::Client,
    plan: Arc<Plan>,
    bases: &[String],
    calls: &[Call],
    connections: usize,
    seconds: u64,
) -> Tally {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (client, plan, base, calls) = (
            client.clone(),
            plan.clone(),
            bases[c % bases.len()].clone(),
            calls.to_vec(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection {
                rng: Rng::new(c as u64 + 1 + Instant::now().elapsed().as_nanos() as u64),
                patched: None,
                sent: 0,
                name: c,
            };
            let total: u32 = calls.iter().map(|c| c.weight()).sum();
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let mut pick = conn.rng.below(total as usize) as u32;
                let call = *calls
                    .iter()
                    .find(|c| {
                        if pick < c.weight() {
                            true
                        } else {
                            pick -= c.weight();
                            false
                        }
                    })
                    .unwrap_or(&calls[0]);
                let started = Instant::now();
                let status = one(&client, &plan, &base, call, &mut conn).await;
                let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                tally.micros.entry(call).or_default().push(micros);
                if !(200..300).contains(&status) {
                    *tally.unexpected.entry((call, status)).or_default() += 1;
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.expect("a load task"));
    }
    for v in all.micros.values_mut() {
        v.sort_unstable();
    }
    all
}

/// Sends one call; answers its status (0 when no answer came).
async fn one(
    client: &reqwest::Client,
    plan: &Plan,
    base: &str,
    call: Call,
    conn: &mut Connection,
) -> u16 {
    let ti = conn.rng.below(plan.targets.len());
    let t = &plan.targets[ti];
    let p = t.loaded.id;
    let meeting = t.loaded.meetings[conn.rng.below(t.loaded.meetings.len())];
    let request = match call {
        Call::Partnership => client
            .get(format!("{base}/v1/partnerships/{p}"))
            .header(AUTHORIZATION, &t.viewer),
        Call::Meeting => client
            .get(format!("{base}/v1/meetings/{meeting}"))
            .header(AUTHORIZATION, &t.viewer),
        Call::Agenda => client
            .get(format!("{base}/v1/meetings/{meeting}/items"))
            .header(AUTHORIZATION, &t.viewer),
        Call::MinutesJson => client
            .get(format!("{base}/v1/meetings/{meeting}/minutes"))
            .header(AUTHORIZATION, &t.member)
            .header(ACCEPT, "application/json"),
        Call::MinutesMarkdown => client
            .get(format!("{base}/v1/meetings/{meeting}/minutes"))
            .header(AUTHORIZATION, &t.viewer)
            .header(ACCEPT, "text/markdown"),
        Call::ActionsPage1 => client
            .get(format!(
                "{base}/v1/partnerships/{p}/actions?status=open&limit=50"
            ))
            .header(AUTHORIZATION, &t.member),
        Call::ValuesPage1 => client
            .get(format!("{base}/v1/partnerships/{p}/submissions?limit=25"))
            .header(AUTHORIZATION, &t.member),
        Call::ValuesPage200 => client
            .get(format!(
                "{base}/v1/partnerships/{p}/submissions?limit=25&cursor={}",
                t.page200
            ))
            .header(AUTHORIZATION, &t.member),
        Call::Create => {
            conn.sent += 1;
            client
                .post(format!("{base}/v1/partnerships/{p}/actions"))
                .header(AUTHORIZATION, &t.member)
                .header("Idempotency-Key", format!("bench-{}-{}", std::process::id(), KEYS.fetch_add(1, Ordering::Relaxed)))
                .json(&json!({"description": "Business manager to circulate the revised procedure.", "owners": ["P1"]}))
        }
        Call::Patch => return patch(client, plan, base, conn).await,
        Call::Submit => {
            conn.sent += 1;
            let body = load::submission_body(
                t.loaded.agencies[0],
                conn.rng.below(load::QUARTERS),
                conn.sent as i64,
            );
            client
                .post(format!("{base}/v1/partnerships/{p}/submissions"))
                .header(AUTHORIZATION, &t.submitter)
                .json(&body)
        }
    };
    match request.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let _ = r.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

/// A PATCH under `If-Match` of this connection's own action: the version it
/// last saw, read first when it has none (that read is not timed apart).
async fn patch(client: &reqwest::Client, plan: &Plan, base: &str, conn: &mut Connection) -> u16 {
    if conn.patched.is_none() {
        let ti = conn.name % plan.targets.len();
        let t = &plan.targets[ti];
        let action = t.actions[(conn.name / plan.targets.len()) % t.actions.len()];
        conn.patched = Some((ti, action, None));
    }
    let (ti, action, version) = conn.patched.clone().expect("set above");
    let t = &plan.targets[ti];
    let url = format!("{base}/v1/actions/{action}");
    let etag = match version {
        Some(v) => v,
        None => match client
            .get(&url)
            .header(AUTHORIZATION, &t.member)
            .send()
            .await
        {
            Ok(r) => r
                .headers()
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("*")
                .to_owned(),
            Err(_) => return 0,
        },
    };
    conn.sent += 1;
    let body = json!({"due_text": format!("revised {}", conn.sent)});
    match client
        .patch(&url)
        .header(AUTHORIZATION, &t.member)
        .header(IF_MATCH, &etag)
        .json(&body)
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            let next = r
                .headers()
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = r.bytes().await;
            conn.patched = Some((ti, action, next));
            status
        }
        Err(_) => 0,
    }
}

/// Latency of `path` one request at a time: p50 and p99 in ms of `n`.
pub async fn probe(
    client: &reqwest::Client,
    url: &str,
    auth: &HeaderValue,
    n: usize,
) -> (f64, f64) {
    let mut micros = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let r = client
            .get(url)
            .header(AUTHORIZATION, auth)
            .send()
            .await
            .expect("probe");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        let _ = r.bytes().await;
        micros.push(started.elapsed().as_micros() as u32);
    }
    micros.sort_unstable();
    (percentile(&micros, 0.5), percentile(&micros, 0.99))
}

/// The cursor after the first `rows` entries of a list, walked in pages of
/// up to 500 (a cursor is the last id a page gave, whatever its size).
pub async fn cursor_after(
    client: &reqwest::Client,
    url: &str,
    auth: &HeaderValue,
    rows: usize,
) -> String {
    let mut cursor: Option<String> = None;
    let mut left = rows;
    while left > 0 {
        let limit = left.min(500);
        let sep = if url.contains('?') { '&' } else { '?' };
        let mut full = format!("{url}{sep}limit={limit}");
        if let Some(c) = &cursor {
            full.push_str(&format!("&cursor={c}"));
        }
        let body: serde_json::Value = client
            .get(&full)
            .header(AUTHORIZATION, auth)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("list json");
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => panic!("{url} holds fewer than {rows} entries"),
        }
        left -= limit;
    }
    cursor.unwrap_or_default()
}

/// Ids of a partnership's first `n` actions.
pub async fn actions_of(client: &reqwest::Client, base: &str, t: &Target, n: usize) -> Vec<Id> {
    let body: serde_json::Value = client
        .get(format!(
            "{base}/v1/partnerships/{}/actions?limit={n}",
            t.loaded.id
        ))
        .header(AUTHORIZATION, &t.member)
        .send()
        .await
        .expect("actions")
        .json()
        .await
        .expect("actions json");
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|a| a["id"].as_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}
