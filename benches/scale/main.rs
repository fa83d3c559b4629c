//! Proof at scale: a national deployment's volume, loaded through the store's
//! batch calls, then the calls integrators make with tokens of several roles.
//!
//! NOT a test: it prints figures and fails only when it cannot run. Start it
//! with `bench/scale` (both backends, the databases made for it), or by hand:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale JWT_SECRET=... \
//!   PARTNERSHIPS=150 cargo bench --bench scale
//! ```
//!
//! It prints:
//! - how long the load took, and the volume;
//! - list latency (one request at a time, p50/p99) as the values table grows
//!   from 1,000 to 1,000,000 rows (it must stay flat: keyset pages on indexes);
//! - per call, at each number of connections: answers a second, p50/p99,
//!   statements per answer, and the ratio to `pgbench -S` divided by those
//!   statements (the one-query ceiling: 1.0 is as fast as PostgreSQL alone);
//! - the mixed load through one instance and through two on one database, the
//!   CPU time each answer cost, and the instances' peak RSS.
//!
//! Environment: `DATABASE_URL` (the database to load; emptied first by
//! `bench/scale`), `JWT_SECRET`, `PARTNERSHIPS` (150), `BENCH_SECONDS` (5),
//! `CONNECTIONS` (`10,64`), `PGBENCH_URL` (a scratch database for pgbench).

mod drive;
mod load;
mod server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use safeguarding_api::auth::Role;
use safeguarding_api::config::Settings;
use safeguarding_api::db::{self, UtcTime};

use drive::{Call, Plan, Target};

fn env_num(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let partnerships = env_num("PARTNERSHIPS", 150).max(1);
    let seconds = env_num("BENCH_SECONDS", 5).max(1) as u64;
    let connections: Vec<usize> = std::env::var("CONNECTIONS")
        .unwrap_or_else(|_| "10,64".into())
        .split(',')
        .map(|c| {
            c.trim()
                .parse()
                .expect("CONNECTIONS: whole numbers, comma-separated")
        })
        .collect();
    let settings = Settings::from_env().expect("settings (DATABASE_URL, JWT_SECRET)");
    let work = std::env::temp_dir().join(format!("bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work directory");

    let pool = db::build_pool(&settings.database, 1, settings.db_waits).expect("database");
    let mut conn = pool.get().expect("a connection");
    db::run_migrations(&mut conn).expect("migrations");
    let now = UtcTime::now();

    // ------------------------------------------------------------ volume
    let started = Instant::now();
    let mut loaded = Vec::with_capacity(partnerships);
    // REUSE=1: the volume an earlier run loaded into this database is
    // driven again, without loading or the list-growth table.
    let reuse = std::env::var("REUSE").is_ok_and(|v| v == "1");
    if reuse {
        loaded.extend((0..partnerships).map_while(|n| load::loaded_before(&mut conn, n)));
        assert_eq!(
            loaded.len(),
            partnerships,
            "REUSE=1: this database holds fewer partnerships"
        );
    }
    for n in loaded.len()..partnerships {
        loaded.push(load::partnership(&mut conn, n, now));
        if (n + 1) % 10 == 0 || n + 1 == partnerships {
            eprintln!(
                "  loaded {}/{partnerships} partnerships ({:.0} s)",
                n + 1,
                load::secs(started)
            );
        }
    }
    let rest = load::secs(started);
    println!(
        "\n# scale: {} on {}",
        partnerships,
        match settings.database {
            db::Backend::Postgres(_) => "PostgreSQL",
            db::Backend::Sqlite(_) => "SQLite",
        }
    );
    println!(
        "loaded {partnerships} partnerships: {} meetings ({} items, {} actions), {} risks, {} budgets ({} transactions) in {rest:.0} s",
        partnerships * load::MEETINGS,
        partnerships * load::MEETINGS * load::ITEMS,
        partnerships * load::MEETINGS * load::ITEMS_WITH_ACTIONS * load::ACTIONS_PER_ITEM,
        partnerships * load::RISKS,
        partnerships * load::YEARS,
        partnerships * load::YEARS * 60,
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let a = server::Instance::start(18190, &work.join("a.log"));
    eprintln!("  instance A started: RSS {:.1} MiB", a.memory().0);
    let keys = &settings.token_keys;
    let token = |p: &load::Loaded, role: Role, org: Option<safeguarding_api::db::Id>| {
        let t = keys
            .issue(
                &format!("bench-{role:?}"),
                org,
                false,
                BTreeMap::from([(p.id, role)]),
                7200,
            )
            .expect("token");
        drive::bearer(&t)
    };

    // ------------------------------------------- lists as the table grows
    println!("\nlist latency, one request at a time (ms), as the values table grows:");
    println!("| values rows | values page 1 p50/p99 | values page 10 (of 100) p50/p99 | change log page 1 p50/p99 |");
    println!("|---:|---:|---:|---:|");
    let first = loaded[0].clone();
    let member0 = token(&first, Role::Member, None);
    let admin0 = token(&first, Role::Admin, None);
    let chunks: Vec<(usize, usize)> = (0..partnerships)
        .flat_map(|p| (0..load::QUARTERS).map(move |q| (p, q)))
        .collect();
    let per_chunk = load::METRICS * load::AGENCIES;
    let mut stored = 0usize;
    let mut next = 0usize;
    let mut values_seconds = 0.0;
    let stages: &[usize] = if reuse {
        &[]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000, usize::MAX]
    };
    for &target in stages {
        while stored < target && next < chunks.len() {
            let (p, q) = chunks[next];
            let t0 = Instant::now();
            load::values(&mut conn, &loaded[p], q, now);
            values_seconds += load::secs(t0);
            stored += per_chunk;
            next += 1;
        }
        let base = format!("{}/v1/partnerships/{}", a.base, first.id);
        runtime.block_on(async {
            let page1 = drive::probe(
                &client,
                &format!("{base}/submissions?limit=100"),
                &member0,
                200,
            )
            .await;
            let cursor =
                drive::cursor_after(&client, &format!("{base}/submissions"), &member0, 900).await;
            let url = format!("{base}/submissions?limit=100&cursor={cursor}");
            let page10 = drive::probe(&client, &url, &member0, 200).await;
            let log = drive::probe(
                &client,
                &format!("{base}/audit-events?limit=100"),
                &admin0,
                200,
            )
            .await;
            println!(
                "| {stored} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |",
                page1.0, page1.1, page10.0, page10.1, log.0, log.1
            );
        });
        if next == chunks.len() {
            break;
        }
    }
    println!("({stored} values stored through 100-value submissions in {values_seconds:.0} s)");

    // --------------------------------------------------------- the plan
    let plan = runtime.block_on(async {
        let mut targets = Vec::new();
        for p in &loaded {
            let mut t = Target {
                loaded: p.clone(),
                viewer: token(p, Role::Viewer, None),
                member: token(p, Role::Member, None),
                submitter: token(p, Role::Submitter, Some(p.agencies[0])),
                actions: Vec::new(),
                page200: String::new(),
            };
            t.actions = drive::actions_of(&client, &a.base, &t, 100).await;
            targets.push(t);
        }
        // Page 200 of 25 starts after the 4,975th value: its cursor is
        // found in pages of up to 500.
        for t in targets.iter_mut() {
            let url = format!("{}/v1/partnerships/{}/submissions", a.base, t.loaded.id);
            t.page200 = drive::cursor_after(&client, &url, &t.member, 199 * 25).await;
        }
        Arc::new(Plan { targets })
    });

    // ------------------------------------------------------- the ceiling
    let ceiling = server::ceiling(&connections, seconds);
    match &ceiling {
        Some(tps) => println!("\npgbench -S (one primary-key SELECT): {:?} transactions/s at {connections:?} connections", tps.iter().map(|t| t.round()).collect::<Vec<_>>()),
        None => println!("\npgbench -S: not run (pgbench or a local PostgreSQL missing): no ratios"),
    }

    // ---------------------------------------------------- call by call
    for (ci, &c) in connections.iter().enumerate() {
        println!("\n{c} connections, {seconds} s a call:");
        println!("| call | answers/s | p50 ms | p99 ms | p99/p50 | statements | ratio to pgbench -S ÷ statements | RSS after, MiB | not 2xx |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for call in Call::ALL {
            let plan = plan.clone();
            let (tally, statements) = runtime.block_on(async {
                let before = server::statements(&client, &a.base).await;
                let tally = drive::drive(
                    &client,
                    plan,
                    std::slice::from_ref(&a.base),
                    &[call],
                    c,
                    seconds,
                )
                .await;
                let after = server::statements(&client, &a.base).await;
                (tally, after - before)
            });
            let empty = Vec::new();
            let v = tally.micros.get(&call).unwrap_or(&empty);
            let rate = v.len() as f64 / seconds as f64;
            let per = statements / v.len().max(1) as f64;
            let ratio = ceiling
                .as_ref()
                .map(|tps| format!("{:.2}", rate / (tps[ci] / per.max(1.0))))
                .unwrap_or_else(|| "-".into());
            let (p50, p99) = (drive::percentile(v, 0.5), drive::percentile(v, 0.99));
            let bad: Vec<String> = tally
                .unexpected
                .iter()
                .map(|((_, s), n)| format!("{s}×{n}"))
                .collect();
            println!(
                "| {} | {rate:.0} | {p50:.2} | {p99:.2} | {:.1} | {per:.1} | {ratio} | {:.1} | {} |",
                call.name(),
                p99 / p50,
                a.memory().0,
                bad.join(" ")
            );
        }
        let (rss, peak) = a.memory();
        println!("instance RSS now {rss:.1} MiB, peak {peak:.1} MiB");
    }

    // ------------------------------------------ the mix, one instance and two
    let c = *connections.last().expect("a connection count");
    let mix = |bases: &[String], instances: &[&server::Instance]| {
        // A second of the same load first: every instance's pool open and warm.
        runtime.block_on(drive::drive(&client, plan.clone(), bases, &Call::ALL, c, 1));
        let cpu0: f64 = instances.iter().map(|i| i.cpu_seconds()).sum();
        let tally = runtime.block_on(drive::drive(
            &client,
            plan.clone(),
            bases,
            &Call::ALL,
            c,
            seconds * 2,
        ));
        let cpu = instances.iter().map(|i| i.cpu_seconds()).sum::<f64>() - cpu0;
        let n = tally.count();
        let bad: u64 = tally.unexpected.values().sum();
        (
            n as f64 / (seconds * 2) as f64,
            cpu * 1e3 / n.max(1) as f64,
            bad,
            tally,
        )
    };
    println!("\nmixed load ({c} connections, {} s, the weights in benches/scale/drive.rs, over {} partnerships):", seconds * 2, plan.targets.len());
    let (one_rate, one_cpu, one_bad, one_tally) = mix(std::slice::from_ref(&a.base), &[&a]);
    let b = server::Instance::start(18191, &work.join("b.log"));
    let (two_rate, two_cpu, two_bad, _) = mix(&[a.base.clone(), b.base.clone()], &[&a, &b]);
    println!("| instances | answers/s | service CPU ms an answer | not 2xx |");
    println!("|---:|---:|---:|---:|");
    println!("| 1 | {one_rate:.0} | {one_cpu:.3} | {one_bad} |");
    println!("| 2 | {two_rate:.0} | {two_cpu:.3} | {two_bad} |");
    println!("two instances against one: {:.2}×", two_rate / one_rate);
    println!("\nthe mix through one instance, per call:");
    println!("| call | share | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for (call, v) in &one_tally.micros {
        println!(
            "| {} | {:.0}% | {:.2} | {:.2} |",
            call.name(),
            100.0 * v.len() as f64 / one_tally.count().max(1) as f64,
            drive::percentile(v, 0.5),
            drive::percentile(v, 0.99)
        );
    }
    for ((call, status), n) in one_tally.unexpected.iter() {
        println!("  not 2xx: {} answered {status} ×{n}", call.name());
    }
    let (_, peak_a) = a.memory();
    let (_, peak_b) = b.memory();
    println!("peak RSS: instance A {peak_a:.1} MiB, instance B {peak_b:.1} MiB");
    drop(b);
    drop(a);
    let _ = std::fs::remove_dir_all(&work);
}
