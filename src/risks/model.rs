//! Risk rows and their writes: numbers from the partnership's counter, the
//! owner resolved from initials or an id, the actions that mitigate it
//! (rows of `risk_mitigations`, written with the risk), and the score of
//! its latest assessment.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, CreateRisk, RiskFields, RiskStatus, UpdateRisk};
use super::{assessments, mitigations};
use crate::actions::rules::OwnerRef;
use crate::auth::tenant::{Contribute, Tenant};
use crate::auth::{Access, Principal, Role};
use crate::db::counter::Scope;
use crate::db::schema::{actions, partnership_members, people, risks};
use crate::db::store::{self, Expected};
use crate::db::{Day, DbConnection, Id, Tx, UtcTime};
use crate::error::ApiError;
use crate::validate::Errors;

/// The counter risks are numbered from, per partnership.
pub const NUMBERS: &str = "risk";

/// A risk of the partnership's register: what its audit events hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Risk {
    pub id: Id,
    pub partnership_id: Id,
    /// Sequential within the partnership, never reused.
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    /// The person who owns it.
    pub owner_person_id: Option<Id>,
    /// The agency that owns it (a member organisation).
    pub owner_organisation_id: Option<Id>,
    pub status: RiskStatus,
    /// Of the latest assessment, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub likelihood: i32,
    /// Of the latest assessment, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub impact: i32,
    /// Likelihood × impact, 1 to 25.
    #[schema(minimum = 1, maximum = 25)]
    pub score: i32,
    /// The score of the assessment before the latest; null when there is one.
    #[schema(minimum = 1, maximum = 25)]
    pub previous_score: Option<i32>,
    /// The date of the latest assessment.
    pub assessed_on: Day,
    pub controls: Option<String>,
    pub planned_mitigations: Option<String>,
    /// The actions of the log that mitigate it, in order.
    pub mitigation_action_ids: Vec<Id>,
    #[schema(minimum = 1, maximum = 25)]
    pub target_score: Option<i32>,
    pub next_review_date: Option<Day>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

/// A risk's row of `risks`: the risk without its mitigations.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = risks, treat_none_as_null = true)]
pub struct RiskRow {
    pub id: Id,
    pub partnership_id: Id,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub owner_person_id: Option<Id>,
    pub owner_organisation_id: Option<Id>,
    pub status: RiskStatus,
    pub likelihood: i32,
    pub impact: i32,
    pub score: i32,
    pub previous_score: Option<i32>,
    pub assessed_on: Day,
    pub controls: Option<String>,
    pub planned_mitigations: Option<String>,
    pub target_score: Option<i32>,
    pub next_review_date: Option<Day>,
    pub version: i32,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
}

impl Risk {
    pub fn from_row(r: RiskRow, mitigation_action_ids: Vec<Id>) -> Risk {
        Risk {
            id: r.id,
            partnership_id: r.partnership_id,
            number: r.number,
            title: r.title,
            description: r.description,
            category: r.category,
            owner_person_id: r.owner_person_id,
            owner_organisation_id: r.owner_organisation_id,
            status: r.status,
            likelihood: r.likelihood,
            impact: r.impact,
            score: r.score,
            previous_score: r.previous_score,
            assessed_on: r.assessed_on,
            controls: r.controls,
            planned_mitigations: r.planned_mitigations,
            mitigation_action_ids,
            target_score: r.target_score,
            next_review_date: r.next_review_date,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    pub fn row(&self) -> RiskRow {
        RiskRow {
            id: self.id,
            partnership_id: self.partnership_id,
            number: self.number,
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            owner_person_id: self.owner_person_id,
            owner_organisation_id: self.owner_organisation_id,
            status: self.status,
            likelihood: self.likelihood,
            impact: self.impact,
            score: self.score,
            previous_score: self.previous_score,
            assessed_on: self.assessed_on,
            controls: self.controls.clone(),
            planned_mitigations: self.planned_mitigations.clone(),
            target_score: self.target_score,
            next_review_date: self.next_review_date,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn fields(&self) -> RiskFields {
        RiskFields {
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            owner: self.owner_person_id.map(|id| id.to_string()),
            owner_organisation_id: self.owner_organisation_id,
            status: self.status,
            controls: self.controls.clone(),
            planned_mitigations: self.planned_mitigations.clone(),
            mitigation_action_ids: self.mitigation_action_ids.clone(),
            target_score: self.target_score,
            next_review_date: self.next_review_date,
        }
    }

    /// Whether a caller of `role` may learn it exists: a viewer is not told
    /// of a draft (a submitter, who reads no risk, is refused either way).
    pub fn visible_to(&self, role: Role) -> bool {
        self.status != RiskStatus::Draft || role != Role::Viewer
    }
}

impl crate::audit::Audited for Risk {
    const RESOURCE: &'static str = "risk";
    fn id(&self) -> Id {
        self.id
    }
    fn partnership_id(&self) -> Option<Id> {
        Some(self.partnership_id)
    }
    fn logged_version(&self) -> Option<i32> {
        Some(self.version)
    }
}

impl store::Versioned for Risk {
    fn version(&self) -> i32 {
        self.version
    }
}

/// Written by hand rather than with `record!`: a risk is its row and its
/// mitigations' rows, written together so the audit event names them.
impl store::Record for Risk {
    const UNIQUE: &'static [(&'static str, &'static str)] = &[("number", "number")];
    fn stamp(&mut self, version: i32, now: UtcTime) {
        self.version = version;
        self.updated_at = now;
    }
    fn insert_row(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        let rows = diesel::insert_into(risks::table)
            .values(self.row())
            .execute(conn)?;
        mitigations::insert(conn, self.id, &self.mitigation_action_ids)?;
        Ok(rows)
    }
    fn update_row(&self, conn: &mut DbConnection, at: i32) -> QueryResult<usize> {
        let rows = diesel::update(risks::table.find(self.id).filter(risks::version.eq(at)))
            .set(self.row())
            .execute(conn)?;
        if rows == 1 {
            mitigations::replace(conn, self.id, &self.mitigation_action_ids)?;
        }
        Ok(rows)
    }
    fn delete_row(&self, _conn: &mut DbConnection) -> QueryResult<usize> {
        // Risks are closed, never deleted.
        Err(diesel::result::Error::NotFound)
    }
}

/// Risks from their rows, each with its mitigations.
pub fn with_mitigations(
    conn: &mut DbConnection,
    rows: Vec<RiskRow>,
) -> Result<Vec<Risk>, ApiError> {
    let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let mut of = mitigations::of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let ids = of.remove(&row.id).unwrap_or_default();
            Risk::from_row(row, ids)
        })
        .collect())
}

/// A risk by id, whatever its partnership.
fn find_any(conn: &mut DbConnection, id: Id) -> Result<Risk, ApiError> {
    let row = risks::table
        .find(id)
        .select(RiskRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such risk"))?;
    with_mitigations(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::not_found("no such risk"))
}

/// The risk as stored now (after a write took the partnership's lock).
pub fn reload(conn: &mut DbConnection, id: Id) -> Result<Risk, ApiError> {
    find_any(conn, id)
}

/// A risk the caller may `access`, with the caller's role: another
/// partnership's risk, and a draft to a viewer, are 404 like a missing one.
pub fn find_for(
    conn: &mut DbConnection,
    principal: &Principal,
    id: Id,
    access: Access,
) -> Result<(Risk, Role), ApiError> {
    let risk = find_any(conn, id)?;
    // Visibility before the role's rights: a viewer's write to a draft is
    // 404, as to a missing risk, not a 403 that would confirm it.
    let role = principal
        .role_in(risk.partnership_id)
        .map_err(|_| ApiError::not_found("no such risk"))?;
    if !risk.visible_to(role) {
        return Err(ApiError::not_found("no such risk"));
    }
    principal.require(risk.partnership_id, access)?;
    Ok((risk, role))
}

/// A person of the partnership as written (initials or id) in `field`.
pub fn resolve_person(
    conn: &mut DbConnection,
    partnership_id: Id,
    errors: &mut Errors,
    field: &str,
    raw: Option<&str>,
) -> Result<Option<Id>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let person = match rules::parse_person(raw) {
        Err(message) => {
            errors.add(field, message);
            return Ok(None);
        }
        Ok(person) => person,
    };
    let query = people::table
        .filter(people::partnership_id.eq(partnership_id))
        .select(people::id)
        .into_boxed();
    let found: Option<Id> = match &person {
        OwnerRef::Initials(initials) => query.filter(people::initials.eq(initials)).first(conn),
        OwnerRef::Id(id) => query.filter(people::id.eq(*id)).first(conn),
        OwnerRef::AllPartners => return Ok(None),
    }
    .optional()?;
    if found.is_none() {
        match person {
            OwnerRef::Initials(i) => errors.add(
                field,
                format!("no person with initials {i} in this partnership"),
            ),
            _ => errors.missing(field, "no such person in this partnership"),
        }
    }
    Ok(found)
}

/// Checks what the fields name: the owner (resolved to a person's id), the
/// owning agency (a member of the partnership), the mitigating actions (of
/// the partnership). Every fault at once.
fn check_references(
    conn: &mut DbConnection,
    partnership_id: Id,
    fields: &RiskFields,
    errors: &mut Errors,
) -> Result<Option<Id>, ApiError> {
    let owner = resolve_person(
        conn,
        partnership_id,
        errors,
        "owner",
        fields.owner.as_deref(),
    )?;
    if let Some(org) = fields.owner_organisation_id {
        let member: i64 = partnership_members::table
            .filter(partnership_members::partnership_id.eq(partnership_id))
            .filter(partnership_members::organisation_id.eq(org))
            .count()
            .get_result(conn)?;
        if member == 0 {
            errors.missing(
                "owner_organisation_id",
                "no such member organisation in this partnership",
            );
        }
    }
    if !fields.mitigation_action_ids.is_empty() {
        let known: Vec<Id> = actions::table
            .filter(actions::partnership_id.eq(partnership_id))
            .filter(actions::id.eq_any(&fields.mitigation_action_ids))
            .select(actions::id)
            .load(conn)?;
        for (i, id) in fields.mitigation_action_ids.iter().enumerate() {
            if !known.contains(id) {
                errors.missing(
                    &format!("mitigation_action_ids[{i}]"),
                    "no such action in this partnership",
                );
            }
        }
    }
    Ok(owner)
}

/// Records a new risk of the tenant's partnership with its first
/// assessment, in the write scope `tx` opened for it.
pub fn create(
    tx: &mut Tx<'_>,
    tenant: &Tenant<Contribute>,
    form: CreateRisk,
) -> Result<Risk, ApiError> {
    let (actor, partnership_id, now) = (&tenant.principal, tenant.partnership_id, tx.now());
    let (fields, likelihood, impact) = rules::from_create(&form)?;
    if form.number.is_some() && tenant.role != Role::Admin {
        return Err(ApiError::forbidden(
            "only an admin imports a risk with its own number",
        ));
    }
    let mut errors = Errors::new();
    let owner = check_references(tx, partnership_id, &fields, &mut errors)?;
    let assessor = resolve_person(
        tx,
        partnership_id,
        &mut errors,
        "assessor",
        form.assessor.as_deref(),
    )?;
    errors.finish()?;
    // Taken last of all checks: a refused request gives its number back.
    let scope = Scope::Partnership(partnership_id);
    let number = match form.number {
        Some(number) => {
            tx.raise(scope, NUMBERS, number)?;
            number
        }
        None => tx.next(scope, NUMBERS)?,
    };
    let assessed_on = form.assessed_on.unwrap_or(Day::in_uk(now));
    let risk = Risk {
        id: Id::new(),
        partnership_id,
        number,
        title: fields.title,
        description: fields.description,
        category: fields.category,
        owner_person_id: owner,
        owner_organisation_id: fields.owner_organisation_id,
        status: fields.status,
        likelihood,
        impact,
        score: likelihood * impact,
        previous_score: None,
        assessed_on,
        controls: fields.controls,
        planned_mitigations: fields.planned_mitigations,
        mitigation_action_ids: fields.mitigation_action_ids,
        target_score: fields.target_score,
        next_review_date: fields.next_review_date,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, actor, &risk)?;
    let first = assessments::Scored {
        assessed_on,
        likelihood,
        impact,
        note: form
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        assessor_person_id: assessor,
    };
    assessments::insert(tx, actor, &risk, first)?;
    Ok(risk)
}

/// Changes a risk, in the write scope of its partnership.
pub fn update(
    tx: &mut Tx<'_>,
    actor: &Principal,
    before: Risk,
    expected: Expected,
    patch: UpdateRisk,
) -> Result<Risk, ApiError> {
    store::check(expected, before.version)?;
    let owner_sent = patch.owner.is_some();
    let fields = rules::apply(before.fields(), patch)?;
    let mut errors = Errors::new();
    let owner = check_references(tx, before.partnership_id, &fields, &mut errors)?;
    errors.finish()?;
    let after = Risk {
        title: fields.title,
        description: fields.description,
        category: fields.category,
        owner_person_id: if owner_sent {
            owner
        } else {
            before.owner_person_id
        },
        owner_organisation_id: fields.owner_organisation_id,
        status: fields.status,
        controls: fields.controls,
        planned_mitigations: fields.planned_mitigations,
        mitigation_action_ids: fields.mitigation_action_ids,
        target_score: fields.target_score,
        next_review_date: fields.next_review_date,
        ..before.clone()
    };
    store::update(tx, actor, &before, after, expected)
}

/// Makes the risk's score that of its latest assessment (and its previous
/// score that of the one before), after an assessment was recorded.
pub fn rescore(tx: &mut Tx<'_>, actor: &Principal, risk_id: Id) -> Result<Risk, ApiError> {
    let before = reload(tx, risk_id)?;
    let latest = assessments::latest_two(tx, risk_id)?;
    let Some(current) = latest.first() else {
        return Ok(before);
    };
    let after = Risk {
        likelihood: current.likelihood,
        impact: current.impact,
        score: current.score,
        assessed_on: current.assessed_on,
        previous_score: latest.get(1).map(|a| a.score),
        ..before.clone()
    };
    if after == before {
        return Ok(before);
    }
    store::update(tx, actor, &before, after, Expected::Any)
}

/// Refuses (409, naming them by number) to remove an organisation from the
/// partnership while it owns risks of it.
pub fn refuse_if_owning(
    conn: &mut DbConnection,
    partnership_id: Id,
    organisation_id: Id,
) -> Result<(), ApiError> {
    let numbers: Vec<i64> = risks::table
        .filter(risks::partnership_id.eq(partnership_id))
        .filter(risks::owner_organisation_id.eq(organisation_id))
        .order(risks::number.asc())
        .select(risks::number)
        .limit(11)
        .load(conn)?;
    if numbers.is_empty() {
        return Ok(());
    }
    let mut named: Vec<String> = numbers.iter().take(10).map(i64::to_string).collect();
    if numbers.len() > 10 {
        named.push("more".to_owned());
    }
    Err(ApiError::conflict(format!(
        "this member organisation owns risks {}: give them another owner first",
        named.join(", ")
    )))
}
