//! Escalation ("red risks to be escalated to the SPB"): a risk put on the
//! agenda of a group's next scheduled meeting, as an item numbered with the
//! meeting's next free number, once per risk and meeting. A retry answers
//! the escalation already made; the partnership's write scope serialises
//! concurrent ones, and a unique constraint backs it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Risk;
use super::rules::{self, CreateEscalation, RiskStatus};
use crate::auth::Principal;
use crate::db::schema::{agenda_items, risk_escalations};
use crate::db::store;
use crate::db::{DbConnection, Id, MultiBackend, Page, Tx, UtcTime};
use crate::error::ApiError;
use crate::items::rules::CreateItem;
use crate::meetings::rules::MinutesStatus;

/// A risk put on a meeting's agenda.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    ToSchema,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
)]
#[diesel(table_name = risk_escalations)]
pub struct Escalation {
    pub id: Id,
    pub risk_id: Id,
    pub partnership_id: Id,
    /// The group it was escalated to.
    pub group_id: Id,
    /// The group's meeting whose agenda took it.
    pub meeting_id: Id,
    /// The agenda item it became.
    pub item_id: Id,
    /// The API client or user that escalated it.
    pub escalated_by: String,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

crate::record!(Escalation, "risk_escalation", risk_escalations, unique: ["meeting_id" => "meeting_id"]);

/// An escalation as answered, with its item's number on the agenda.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EscalationView {
    #[serde(flatten)]
    pub escalation: Escalation,
    /// The item's number on the agenda: "8".
    pub item_number: Option<String>,
}

crate::versioned_view!(EscalationView, escalation);

/// Escalates `risk` to the group's next scheduled meeting; answers the
/// escalation and whether this request made it (false: it was there).
pub fn escalate(
    tx: &mut Tx<'_>,
    actor: &Principal,
    risk: &Risk,
    form: CreateEscalation,
) -> Result<(EscalationView, bool), ApiError> {
    let pid = risk.partnership_id;
    crate::groups::model::find(tx, pid, form.group_id).map_err(ApiError::missing_as(
        "group_id",
        "no such group in this partnership",
    ))?;
    let now = tx.now();
    let Some(meeting) = crate::meetings::model::next_of_group(tx, pid, form.group_id, now)? else {
        return Err(ApiError::conflict(
            "the group has no scheduled meeting ahead: schedule one, then escalate the risk to it",
        ));
    };
    let existing: Option<Escalation> = risk_escalations::table
        .filter(risk_escalations::risk_id.eq(risk.id))
        .filter(risk_escalations::meeting_id.eq(meeting.id))
        .select(Escalation::as_select())
        .first(&mut **tx)
        .optional()?;
    if let Some(existing) = existing {
        return Ok((view(tx, existing)?, false));
    }
    if risk.status == RiskStatus::Closed {
        return Err(ApiError::conflict(
            "the risk is closed; reopen it to escalate it",
        ));
    }
    if matches!(
        meeting.minutes_status,
        MinutesStatus::Approved | MinutesStatus::Published
    ) {
        return Err(ApiError::conflict(format!(
            "the minutes of the group's next meeting ({}) are approved: its agenda is locked",
            meeting.title
        )));
    }
    let numbers: Vec<Option<String>> = agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting.id))
        .select(agenda_items::number)
        .load(&mut **tx)?;
    let number = rules::next_item_number(numbers.iter().map(Option::as_deref));
    let item = CreateItem {
        number: Some(number),
        title: rules::escalated_title(risk.number, &risk.title),
        presenter_person_id: None,
        minutes: None,
        // A draft is for members and admins: its item too.
        confidential: Some(risk.status == RiskStatus::Draft),
        not_minuted: None,
        order: None,
    };
    let item = crate::items::model::create(tx, actor, &meeting, item)?;
    let escalation = Escalation {
        id: Id::new(),
        risk_id: risk.id,
        partnership_id: pid,
        group_id: form.group_id,
        meeting_id: meeting.id,
        item_id: item.id,
        escalated_by: actor.subject.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &escalation)?;
    Ok((
        EscalationView {
            escalation,
            item_number: item.number,
        },
        true,
    ))
}

fn view(conn: &mut DbConnection, escalation: Escalation) -> Result<EscalationView, ApiError> {
    Ok(views(conn, vec![escalation])?
        .pop()
        .unwrap_or_else(|| unreachable!()))
}

fn views(conn: &mut DbConnection, list: Vec<Escalation>) -> Result<Vec<EscalationView>, ApiError> {
    let item_ids = list.iter().map(|e| e.item_id);
    let numbers: std::collections::HashMap<Id, Option<String>> =
        crate::db::by_ids(item_ids, |ids| {
            agenda_items::table
                .filter(agenda_items::id.eq_any(ids))
                .select((agenda_items::id, agenda_items::number))
                .load::<(Id, Option<String>)>(conn)
        })?
        .into_iter()
        .collect();
    Ok(list
        .into_iter()
        .map(|escalation| EscalationView {
            item_number: numbers.get(&escalation.item_id).cloned().flatten(),
            escalation,
        })
        .collect())
}

/// One page of the risk's escalations, oldest first (by id).
pub fn page(
    conn: &mut DbConnection,
    risk_id: Id,
    page: &Page,
) -> Result<Vec<EscalationView>, ApiError> {
    let rows = page_query(risk_id, page).load(conn)?;
    views(conn, rows)
}

/// A page of escalations as [`page`] reads it.
pub type EscalationQuery = risk_escalations::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<Escalation, MultiBackend>,
>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it).
pub fn page_query(risk_id: Id, page: &Page) -> EscalationQuery {
    let mut query = risk_escalations::table
        .filter(risk_escalations::risk_id.eq(risk_id))
        .order(risk_escalations::id.asc())
        .select(Escalation::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(risk_escalations::id.gt(after));
    }
    query
}

/// One escalation of the risk.
pub fn find(conn: &mut DbConnection, risk_id: Id, id: Id) -> Result<EscalationView, ApiError> {
    let found = risk_escalations::table
        .filter(risk_escalations::risk_id.eq(risk_id))
        .filter(risk_escalations::id.eq(id))
        .select(Escalation::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such escalation of this risk"))?;
    view(conn, found)
}
