//! The service under load: the release binary started on a port against the
//! loaded database, its memory and CPU read from /proc, its statement count
//! from /metrics; and PostgreSQL's own ceiling (`pgbench -S`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Instance {
    pub base: String,
    child: Child,
}

impl Instance {
    /// Starts the service on `port` with the bench's environment (the
    /// database, the signing secret) and waits until it answers.
    pub fn start(port: u16, log: &std::path::Path) -> Instance {
        let out = std::fs::File::create(log).expect("server log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_safeguarding-api"))
            .arg("serve")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env("WEBHOOK_WORKER", "0")
            // The load is a few tokens' worth of clients: what is measured is
            // the service, not each client's rate limit.
            .env("RATE_LIMIT_PER_MINUTE", "1000000000")
            .env("RATE_LIMIT_BURST", "1000000")
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("start the service");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Instance { base, child };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "the service did not listen on {port}; see {}",
            log.display()
        );
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak since start (VmRSS, VmHWM), MiB.
    pub fn memory(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    /// CPU time used so far (user + system), seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / clock_ticks()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// `db_statements_total` of an instance's /metrics.
pub async fn statements(client: &reqwest::Client, base: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("db_statements_total "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn pgbench() -> Option<String> {
    if Command::new("pgbench").arg("--version").output().is_ok() {
        return Some("pgbench".into());
    }
    let dir = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    dir.flatten()
        .map(|d| d.path().join("bin/pgbench"))
        .find(|p| p.exists())
        .map(|p| p.display().to_string())
}

/// `pgbench -S` transactions a second at each number of connections, on a
/// database of its own (`PGBENCH_URL`, default the local server's
/// `bench_pgbench`), or None when pgbench or the server is missing.
pub fn ceiling(connections: &[usize], seconds: u64) -> Option<Vec<f64>> {
    let bin = pgbench()?;
    let url = std::env::var("PGBENCH_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/bench_pgbench".into());
    let (server, db) = url.rsplit_once('/')?;
    let _ = Command::new("psql")
        .args([
            &format!("{server}/postgres"),
            "-qc",
            &format!("DROP DATABASE IF EXISTS {db}"),
        ])
        .output();
    let created = Command::new("psql")
        .args([
            &format!("{server}/postgres"),
            "-qc",
            &format!("CREATE DATABASE {db}"),
        ])
        .output()
        .ok()?;
    if !created.status.success() {
        return None;
    }
    let init = Command::new(&bin)
        .args(["-i", "-q", "-s", "10", &url])
        .output()
        .ok()?;
    if !init.status.success() {
        return None;
    }
    let mut tps = Vec::new();
    for c in connections {
        let out = Command::new(&bin)
            .args([
                "-S",
                "-n",
                "-c",
                &c.to_string(),
                "-j",
                "2",
                "-T",
                &seconds.to_string(),
                &url,
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let value = text
            .lines()
            .find(|l| l.starts_with("tps"))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|v| v.parse().ok())?;
        tps.push(value);
    }
    Some(tps)
}
