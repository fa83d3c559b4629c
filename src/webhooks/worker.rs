//! The delivery worker: a task of each instance (`WEBHOOK_WORKER`, on by
//! default), acting as the system, never a request. Each round it raises the
//! scheduled events that are due (every `WEBHOOK_SCHEDULE_MS`), then, for
//! each active webhook no instance holds, takes its lease, turns the changes
//! after its cursor into deliveries, sends the deliveries that are due, in
//! `seq` order, and lets the lease go. It is woken by the change log's bell,
//! or looks every `WEBHOOK_POLL_MS`.

use std::sync::Arc;
use std::time::Instant;

use super::deliveries::{self, Attempt, Delivery, LEASE};
use super::model::Webhook;
use super::{scheduled, signing};
use crate::db::{self, bell, DbPool, Id, UtcTime};
use crate::error::ApiError;
use crate::state::{Clock, Integrations};

/// Deliveries fetched at a time.
const BATCH: i64 = 20;

/// How long past its time limit an attempt keeps a delivery from being
/// taken again (by any instance, clocks a little apart included).
const HOLD_MARGIN: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Worker {
    pool: DbPool,
    integrations: Integrations,
    clock: Clock,
    /// Who holds a lease: this instance, by a name of its own.
    owner: String,
    client: reqwest::Client,
    /// The webhooks this instance is delivering now.
    in_hand: std::sync::Mutex<std::collections::HashSet<Id>>,
}

impl Worker {
    pub fn new(pool: DbPool, integrations: Integrations, clock: Clock) -> Result<Self, String> {
        let client = super::target::client(integrations.reach, integrations.timeout)
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Worker {
            pool,
            integrations,
            clock,
            owner: format!("instance-{}", Id::new()),
            client,
            in_hand: Default::default(),
        })
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        let this = Arc::new(self);
        let mut waiter = bell::waiter();
        let mut next_schedule = Instant::now();
        loop {
            if Instant::now() >= next_schedule {
                next_schedule = Instant::now() + this.integrations.schedule;
                let now = this.clock.now();
                if let Err(e) = db::read(&this.pool, move |conn| scheduled::raise(conn, now)).await
                {
                    log::warn!("webhooks: raising scheduled events failed: {e}");
                }
            }
            if let Err(e) = this.round().await {
                log::warn!("webhooks: {e}");
            }
            waiter.wait(None, this.integrations.poll).await;
        }
    }

    /// Starts a task for each webhook with work that no instance holds and
    /// this one is not delivering already, so a slow receiver holds up
    /// only its own webhook.
    async fn round(self: &Arc<Self>) -> Result<(), ApiError> {
        let free = db::read(&self.pool, |conn| deliveries::free(conn, UtcTime::now())).await?;
        for id in free {
            if !self.busy(id, true) {
                continue;
            }
            let this = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(e) = this.deliver(id).await {
                    log::warn!("webhooks: webhook {id}: {e}");
                }
                this.busy(id, false);
            });
        }
        Ok(())
    }

    /// Marks `id` in hand (`true`: whether it was not already) or done.
    fn busy(&self, id: Id, start: bool) -> bool {
        let mut in_hand = self.in_hand.lock().unwrap_or_else(|e| e.into_inner());
        if start {
            in_hand.insert(id)
        } else {
            in_hand.remove(&id)
        }
    }

    /// Delivers one webhook under its lease, if this instance gets it.
    async fn deliver(&self, id: Id) -> Result<(), ApiError> {
        let owner = self.owner.clone();
        let claimed = db::read(&self.pool, move |conn| {
            deliveries::claim(conn, id, &owner, UtcTime::now())
        })
        .await?;
        if !claimed {
            return Ok(());
        }
        let result = self.deliver_held(id).await;
        let owner = self.owner.clone();
        db::read(&self.pool, move |conn| {
            deliveries::release(conn, id, &owner)
        })
        .await?;
        result
    }

    async fn deliver_held(&self, id: Id) -> Result<(), ApiError> {
        let started = Instant::now();
        let owner = self.owner.clone();
        let webhook = db::run(&self.pool, move |conn| {
            deliveries::follow_log(conn, id, &owner, UtcTime::now())
        })
        .await?;
        let Some(webhook) = webhook else {
            return Ok(());
        };
        // A secret that no longer opens (the key changed) fails each
        // attempt with the reason, so the delivery log says what to fix.
        let secret: Result<String, String> = match &self.integrations.sealing_key {
            Some(key) => key.open(webhook.id, &webhook.secret_sealed),
            None => Err("WEBHOOK_SECRET_KEY is not set".to_owned()),
        };
        loop {
            let due = db::read(&self.pool, move |conn| {
                deliveries::due(conn, id, UtcTime::now(), BATCH)
            })
            .await?;
            if due.is_empty() {
                return Ok(());
            }
            for delivery in due {
                // Well inside the lease: what is left waits for the next round.
                if started.elapsed() > LEASE / 2 {
                    return Ok(());
                }
                let hold = self.integrations.timeout + HOLD_MARGIN;
                let taken = delivery.clone();
                let taken = db::read(&self.pool, move |conn| {
                    deliveries::take(conn, &taken, UtcTime::now(), hold)
                })
                .await?;
                if !taken {
                    continue;
                }
                let outcome = self.send(&webhook, secret.as_deref(), &delivery).await;
                let (max, base) = (self.integrations.max_attempts, self.integrations.retry_base);
                db::read(&self.pool, move |conn| {
                    deliveries::record(conn, &delivery, &outcome, UtcTime::now(), max, base)
                })
                .await?;
            }
        }
    }

    /// One attempt, signed as Standard Webhooks says.
    async fn send(
        &self,
        webhook: &Webhook,
        secret: Result<&str, &String>,
        delivery: &Delivery,
    ) -> Attempt {
        let secret = match secret {
            Ok(secret) => secret,
            Err(reason) => return Attempt::Failed(None, format!("cannot sign: {reason}")),
        };
        let reach = self.integrations.reach;
        let url = match reach.check(&webhook.url) {
            Ok(url) => url,
            Err(reason) => return Attempt::Failed(None, format!("the URL {reason}")),
        };
        if let Err(reason) = reach.check_resolved(&url).await {
            return Attempt::Failed(None, format!("the URL {reason}"));
        }
        let message_id = delivery.id.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature =
            match signing::sign(secret, &message_id, timestamp, delivery.payload.as_bytes()) {
                Ok(s) => s,
                Err(e) => return Attempt::Failed(None, e),
            };
        let sent = self
            .client
            .post(&webhook.url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => {
                Attempt::Delivered(answer.status().as_u16())
            }
            Ok(answer) => Attempt::Failed(
                Some(answer.status().as_u16()),
                format!("the receiver answered {}", answer.status()),
            ),
            Err(e) => Attempt::Failed(None, describe(&e)),
        }
    }
}

/// A failed request in words, with its causes (reqwest's own is terse).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
