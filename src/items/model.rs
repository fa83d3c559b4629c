//! Agenda item rows and queries, redaction for viewers and the audit of
//! confidential reads.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateItem, ItemFields, UpdateItem, CONFIDENTIAL_TITLE};
use crate::access;
use crate::auth::{Access, Principal, Role};
use crate::db::schema::{actions, agenda_items, decisions, declarations, risk_escalations};
use crate::db::store::{self, Expected};
use crate::db::{DbConnection, Id, MultiBackend, Tx, UtcTime};
use crate::error::ApiError;
use crate::meetings::model::{begin_edit, find_for, Meeting};

/// An item of a meeting's agenda and what the minutes say of it.
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
#[diesel(table_name = agenda_items, treat_none_as_null = true)]
pub struct AgendaItem {
    pub id: Id,
    pub meeting_id: Id,
    pub partnership_id: Id,
    /// As written: "2.1", "4.2", "Item 7"; null when unnumbered.
    pub number: Option<String>,
    pub title: String,
    pub presenter_person_id: Option<Id>,
    /// Markdown.
    pub minutes: Option<String>,
    pub confidential: bool,
    /// Discussed but not minuted.
    pub not_minuted: bool,
    /// Position on the agenda.
    #[serde(rename = "order")]
    pub position: i32,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// An item as answered: `redacted` when a confidential item's content is
/// withheld from the caller (title "Confidential item", no presenter, no minutes).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: AgendaItem,
    pub redacted: bool,
}

crate::record!(AgendaItem, "agenda_item", agenda_items, unique: ["number" => "number"]);
crate::batch_insert!(AgendaItem, crate::db::schema::agenda_items);

crate::versioned_view!(ItemView, item);

impl AgendaItem {
    fn fields(&self) -> ItemFields {
        ItemFields {
            number: self.number.clone(),
            title: self.title.clone(),
            presenter_person_id: self.presenter_person_id,
            minutes: self.minutes.clone(),
            confidential: self.confidential,
            not_minuted: self.not_minuted,
            order: Some(self.position),
        }
    }

    /// The item as the public and viewers see it: a confidential item keeps
    /// only its number and place on the agenda.
    pub fn view(self, sees_confidential: bool) -> ItemView {
        if !self.confidential || sees_confidential {
            return ItemView {
                item: self,
                redacted: false,
            };
        }
        ItemView {
            item: AgendaItem {
                title: CONFIDENTIAL_TITLE.to_owned(),
                presenter_person_id: None,
                minutes: None,
                ..self
            },
            redacted: true,
        }
    }
}

fn check_presenter(
    conn: &mut DbConnection,
    meeting: &Meeting,
    fields: &ItemFields,
) -> Result<(), ApiError> {
    if let Some(p) = fields.presenter_person_id {
        crate::people::model::find(conn, meeting.partnership_id, p).map_err(
            ApiError::missing_as("presenter_person_id", "no such person in this partnership"),
        )?;
    }
    Ok(())
}

pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    form: CreateItem,
) -> Result<AgendaItem, ApiError> {
    let fields = rules::from_create(form)?;
    check_presenter(tx, meeting, &fields)?;
    let (count, last): (i64, Option<i32>) = agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting.id))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(agenda_items::position),
        ))
        .first(&mut **tx)?;
    if count >= rules::MAX_ITEMS_PER_MEETING {
        return Err(ApiError::conflict(format!(
            "a meeting has at most {} items",
            rules::MAX_ITEMS_PER_MEETING
        )));
    }
    begin_edit(tx, actor, meeting)?;
    let now = tx.now();
    let record = AgendaItem {
        id: Id::new(),
        meeting_id: meeting.id,
        partnership_id: meeting.partnership_id,
        number: fields.number,
        title: fields.title,
        presenter_person_id: fields.presenter_person_id,
        minutes: fields.minutes,
        confidential: fields.confidential,
        not_minuted: fields.not_minuted,
        position: fields
            .order
            .unwrap_or(last.map_or(1, |l| l.saturating_add(1).min(rules::MAX_ORDER))),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &record)?;
    Ok(record)
}

pub fn find(conn: &mut DbConnection, meeting_id: Id, id: Id) -> Result<AgendaItem, ApiError> {
    agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting_id))
        .filter(agenda_items::id.eq(id))
        .select(AgendaItem::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such agenda item"))
}

/// The whole agenda in order.
pub fn all(conn: &mut DbConnection, meeting_id: Id) -> Result<Vec<AgendaItem>, ApiError> {
    Ok(agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting_id))
        .order((agenda_items::position.asc(), agenda_items::id.asc()))
        .select(AgendaItem::as_select())
        .load(conn)?)
}

/// One page of the agenda in order: by `order`, then as created. The cursor
/// is the last item's id; the page resumes after that item's place in this
/// order (an item moved across the page boundary during a walk may be seen
/// twice or not at all; the next walk sees it where it now is).
pub fn page(
    conn: &mut DbConnection,
    meeting_id: Id,
    page: &crate::db::Page,
) -> Result<Vec<AgendaItem>, ApiError> {
    Ok(page_query(conn, meeting_id, page)?.load(conn)?)
}

/// A page of the agenda as [`page`] reads it.
pub type ItemQuery = agenda_items::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::AsSelect<AgendaItem, MultiBackend>,
>;

/// The query [`page`] runs (public so that a test can `EXPLAIN` it).
pub fn page_query(
    conn: &mut DbConnection,
    meeting_id: Id,
    page: &crate::db::Page,
) -> Result<ItemQuery, ApiError> {
    let mut query = agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting_id))
        .order((agenda_items::position.asc(), agenda_items::id.asc()))
        .select(AgendaItem::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(after) = page.after {
        let Some(last) = agenda_items::table
            .filter(agenda_items::meeting_id.eq(meeting_id))
            .filter(agenda_items::id.eq(after))
            .select(agenda_items::position)
            .first::<i32>(conn)
            .optional()?
        else {
            // A cursor this list did not hand out, or an item removed since:
            // its place is unknown, and an empty page would read as the end.
            return Err(ApiError::bad_request(
                "cursor: it names no item of this agenda (removed since?); start again without it",
            ));
        };
        // The first condition is implied by the second; said outright, it
        // lets the index seek to the cursor's place rather than read the
        // list from its start on every page.
        query = query.filter(agenda_items::position.ge(last)).filter(
            agenda_items::position.gt(last).or(agenda_items::position
                .eq(last)
                .and(agenda_items::id.gt(after))),
        );
    }
    Ok(query)
}

pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    id: Id,
    expected: Expected,
    patch: UpdateItem,
) -> Result<AgendaItem, ApiError> {
    let before = find(tx, meeting.id, id)?;
    store::check(expected, before.version)?;
    let fields = rules::apply(before.fields(), patch)?;
    check_presenter(tx, meeting, &fields)?;
    begin_edit(tx, actor, meeting)?;
    let after = AgendaItem {
        number: fields.number,
        title: fields.title,
        presenter_person_id: fields.presenter_person_id,
        minutes: fields.minutes,
        confidential: fields.confidential,
        not_minuted: fields.not_minuted,
        position: fields.order.unwrap_or(before.position),
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Removes an item added in error; its decisions and declarations go first.
pub fn delete(
    tx: &mut Tx<'_>,
    actor: &Principal,
    meeting: &Meeting,
    id: Id,
    expected: Expected,
) -> Result<(), ApiError> {
    let before = find(tx, meeting.id, id)?;
    store::check(expected, before.version)?;
    // Counted once the edit holds the partnership's change log, so that no
    // decision, declaration or action is recorded on the item meanwhile.
    begin_edit(tx, actor, meeting)?;
    let decided: i64 = decisions::table
        .filter(decisions::item_id.eq(id))
        .count()
        .get_result(&mut **tx)?;
    let declared: i64 = declarations::table
        .filter(declarations::item_id.eq(id))
        .count()
        .get_result(&mut **tx)?;
    let agreed: i64 = actions::table
        .filter(actions::item_id.eq(id))
        .count()
        .get_result(&mut **tx)?;
    let escalated: i64 = risk_escalations::table
        .filter(risk_escalations::item_id.eq(id))
        .count()
        .get_result(&mut **tx)?;
    if decided + declared + agreed > 0 {
        return Err(ApiError::conflict(
            "the item has decisions, declarations or actions; delete those first (or move the actions)",
        ));
    }
    if escalated > 0 {
        return Err(ApiError::conflict(
            "the item is an escalated risk, kept for the record; change its title or minutes instead",
        ));
    }
    let papered: i64 = crate::db::schema::papers::table
        .filter(crate::db::schema::papers::item_id.eq(id))
        .count()
        .get_result(&mut **tx)?;
    if papered > 0 {
        return Err(ApiError::conflict(
            "the item has papers, kept for the record (withdraw them instead)",
        ));
    }
    store::delete(tx, actor, &before, expected)
}

/// Logs in the access log that `actor` was shown these confidential items
/// (DPA 2018 s.62 consultation log): one entry per item, naming where. Not a
/// change: no counter, no audit event.
pub fn log_confidential_reads<'a>(
    conn: &mut DbConnection,
    actor: &Principal,
    items: impl IntoIterator<Item = &'a AgendaItem>,
    operation: &str,
    at: UtcTime,
) -> Result<(), ApiError> {
    let shown = items.into_iter().filter(|i| i.confidential);
    access::record_reads(conn, actor, shown, operation, at)
}

/// The meeting, the caller's role and one of its items.
pub fn item_for(
    conn: &mut DbConnection,
    principal: &Principal,
    meeting_id: Id,
    item_id: Id,
    access: Access,
) -> Result<(Meeting, Role, AgendaItem), ApiError> {
    let (meeting, role) = find_for(conn, principal, meeting_id, access)?;
    let item = find(conn, meeting_id, item_id)?;
    Ok((meeting, role, item))
}

/// Lets the caller see one item's content: 403 for a viewer on a confidential
/// item (logged as refused by `access::refusals`), and an access log entry
/// for anyone else.
pub fn open_confidential(
    conn: &mut DbConnection,
    principal: &Principal,
    role: Role,
    item: &AgendaItem,
    operation: &str,
    at: UtcTime,
) -> Result<(), ApiError> {
    if !item.confidential {
        return Ok(());
    }
    if !role.sees_confidential() {
        return Err(ApiError::forbidden(
            "this item is confidential; the viewer role does not see it",
        ));
    }
    log_confidential_reads(conn, principal, [item], operation, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(confidential: bool) -> AgendaItem {
        let now = UtcTime::now();
        AgendaItem {
            id: Id::new(),
            meeting_id: Id::new(),
            partnership_id: Id::new(),
            number: Some("4.3".into()),
            title: "Serious Case Review 'Harry' Report".into(),
            presenter_person_id: Some(Id::new()),
            minutes: Some("EF presented the report.".into()),
            confidential,
            not_minuted: false,
            position: 3,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn confidential_items_keep_only_their_number_for_viewers() {
        let view = item(true).view(false);
        assert!(view.redacted);
        assert_eq!(view.item.number.as_deref(), Some("4.3"));
        assert_eq!(view.item.title, CONFIDENTIAL_TITLE);
        assert!(view.item.minutes.is_none() && view.item.presenter_person_id.is_none());
        assert!(!item(true).view(true).redacted);
        assert!(!item(false).view(false).redacted);
    }
}
