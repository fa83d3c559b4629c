//! Actions as answered: the reference in the partnership's format, the
//! owners by name, and `overdue` at the service's clock. A batch of actions
//! is viewed in a fixed number of queries, whatever its size.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Action;
use super::owners::OwnerId;
use super::rules;
use crate::db::schema::{agenda_items, meetings, organisations, partnership_groups, people};
use crate::db::{Day, DbConnection, Id, UtcTime};
use crate::error::ApiError;
use crate::partnerships::rules::{ReferenceFormat, ReferenceParts};

pub use super::owners::OwnerKind;

/// One owner of an action, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The person's, group's or organisation's id; null for all partners.
    pub id: Option<Id>,
    /// "Philippa Granthier", "Development and Practice Group", "All partners".
    pub name: String,
    /// As a log writes the owner: a person's initials, a group's short name
    /// ("D&P"), or `ALL`; null for an organisation.
    pub initials: Option<String>,
}

/// An action as answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionView {
    #[serde(flatten)]
    pub action: Action,
    /// As the partnership writes it: "Action No 14 (23.10.19 ref 3.1)".
    pub reference: String,
    /// The day (UK) of the meeting that agreed it: "2019-10-23".
    #[serde(default)]
    pub meeting_date: Option<Day>,
    /// The number of the item it was agreed under, as written: "3.1".
    pub item_number: Option<String>,
    /// That item's title: "Case Review Final Sign Off".
    pub item_title: Option<String>,
    pub owners: Vec<Owner>,
    /// Outstanding and past its due date (or its due meeting).
    pub overdue: bool,
    /// Agreed under a confidential item: viewers and the public never see it.
    pub confidential: bool,
}

crate::versioned_view!(ActionView, action);

impl ActionView {
    /// Owners as a log writes them: "CB / EH", "ALL", "D&P".
    pub fn owner_initials(&self) -> String {
        self.owners
            .iter()
            .map(|o| o.initials.clone().unwrap_or_else(|| o.name.clone()))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// Views actions of one partnership.
pub fn views(
    conn: &mut DbConnection,
    partnership_id: Id,
    list: Vec<Action>,
    now: UtcTime,
) -> Result<Vec<ActionView>, ApiError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let partnership = crate::partnerships::model::find(conn, partnership_id)?;
    let format = ReferenceFormat::stored(&partnership.action_reference_format);
    // Each id once, in chunks (`db::by_ids`): a whole log's meetings and
    // items stay under the backends' bind-parameter limits. A kind of owner
    // no action has costs no statement.
    let owned = |kind: OwnerKind| {
        list.iter()
            .flat_map(|a| a.owners.iter())
            .filter(move |o| o.kind() == kind)
            .filter_map(|o| o.id())
    };
    let persons: HashMap<Id, (String, String)> =
        crate::db::by_ids(owned(OwnerKind::Person), |ids| {
            people::table
                .filter(people::id.eq_any(ids))
                .select((people::id, people::full_name, people::initials))
                .load::<(Id, String, String)>(conn)
        })?
        .into_iter()
        .map(|(id, name, initials)| (id, (name, initials)))
        .collect();
    let orgs: HashMap<Id, String> = crate::db::by_ids(owned(OwnerKind::Organisation), |ids| {
        organisations::table
            .filter(organisations::id.eq_any(ids))
            .select((organisations::id, organisations::name))
            .load::<(Id, String)>(conn)
    })?
    .into_iter()
    .collect();
    let meeting_ids = list
        .iter()
        .flat_map(|a| [a.meeting_id, a.due_meeting_id])
        .flatten();
    let meeting_of: HashMap<Id, (UtcTime, Id)> = crate::db::by_ids(meeting_ids, |ids| {
        meetings::table
            .filter(meetings::id.eq_any(ids))
            .select((meetings::id, meetings::starts_at, meetings::group_id))
            .load::<(Id, UtcTime, Id)>(conn)
    })?
    .into_iter()
    .map(|(id, starts, group)| (id, (starts, group)))
    .collect();
    // Groups owning actions, and, when references name it, the group of
    // each agreeing meeting.
    let meeting_groups = format
        .uses_group()
        .then(|| meeting_of.values().map(|(_, group)| *group))
        .into_iter()
        .flatten();
    let group_ids: Vec<Id> = owned(OwnerKind::Group).chain(meeting_groups).collect();
    let groups: HashMap<Id, (String, String)> = crate::db::by_ids(group_ids, |ids| {
        partnership_groups::table
            .filter(partnership_groups::partnership_id.eq(partnership_id))
            .filter(partnership_groups::id.eq_any(ids))
            .select((
                partnership_groups::id,
                partnership_groups::name,
                partnership_groups::short_name,
            ))
            .load::<(Id, String, String)>(conn)
    })?
    .into_iter()
    .map(|(id, name, short)| (id, (name, short)))
    .collect();
    let item_ids = list.iter().filter_map(|a| a.item_id);
    let item_of: HashMap<Id, (Option<String>, String, bool)> =
        crate::db::by_ids(item_ids, |ids| {
            agenda_items::table
                .filter(agenda_items::id.eq_any(ids))
                .select((
                    agenda_items::id,
                    agenda_items::number,
                    agenda_items::title,
                    agenda_items::confidential,
                ))
                .load::<(Id, Option<String>, String, bool)>(conn)
        })?
        .into_iter()
        .map(|(id, number, title, confidential)| (id, (number, title, confidential)))
        .collect();

    Ok(list
        .into_iter()
        .map(|action| {
            let source = action.meeting_id.and_then(|m| meeting_of.get(&m));
            let date = source.map(|(starts, _)| rules::reference_date(*starts));
            let item_row = action.item_id.and_then(|i| item_of.get(&i));
            let confidential = item_row.is_some_and(|(_, _, c)| *c);
            let item_title = item_row.map(|(_, t, _)| t.clone());
            let item = item_row.and_then(|(n, _, _)| n.clone());
            let group = source.and_then(|(_, g)| groups.get(g)).map(|(_, s)| s);
            let reference = format.render(&ReferenceParts {
                number: action.number,
                date: date.as_deref(),
                item: item.as_deref().map(rules::reference_item),
                group: group.map(String::as_str),
            });
            let owners = action
                .owners
                .iter()
                .map(|owner| named(*owner, &persons, &groups, &orgs))
                .collect();
            let due_meeting_starts = action
                .due_meeting_id
                .and_then(|m| meeting_of.get(&m))
                .map(|(starts, _)| *starts);
            let overdue = rules::overdue(action.status, action.due_date, due_meeting_starts, now);
            ActionView {
                action,
                reference,
                meeting_date: source.map(|(starts, _)| Day::in_uk(*starts)),
                item_number: item,
                item_title,
                confidential,
                owners,
                overdue,
            }
        })
        .collect())
}

/// An owner by name, from the names loaded for a batch.
fn named(
    owner: OwnerId,
    persons: &HashMap<Id, (String, String)>,
    groups: &HashMap<Id, (String, String)>,
    orgs: &HashMap<Id, String>,
) -> Owner {
    let (name, initials) = match owner {
        OwnerId::AllPartners => ("All partners".to_owned(), Some("ALL".to_owned())),
        OwnerId::Person(id) => persons
            .get(&id)
            .map(|(name, initials)| (name.clone(), Some(initials.clone())))
            .unwrap_or_default(),
        OwnerId::Group(id) => groups
            .get(&id)
            .map(|(name, short)| (name.clone(), Some(short.clone())))
            .unwrap_or_default(),
        OwnerId::Organisation(id) => (orgs.get(&id).cloned().unwrap_or_default(), None),
    };
    Owner {
        kind: owner.kind(),
        id: owner.id(),
        name,
        initials,
    }
}
