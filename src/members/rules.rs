use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Id;

crate::text_enum! {
    /// How an organisation belongs to a partnership.
    pub enum MemberRole {
        StatutoryPartner => "statutory_partner",
        RelevantAgency => "relevant_agency",
    }
}

/// Body of `POST /v1/partnerships/{id}/members`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// The organisation's id or registered name.
    #[schema(schema_with = crate::names::organisation)]
    pub organisation_id: Id,
    pub role: MemberRole,
}

/// Body of `PATCH /v1/partnerships/{id}/members/{member_id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub role: Option<MemberRole>,
}
