use std::collections::HashMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::validate::{patch_nullable, Errors, Refusal};

/// Body of `POST /v1/partnerships/{id}/groups`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Quality and Effectiveness Group", "short_name": "Q&E"})))]
pub struct CreateGroup {
    /// e.g. "Quality and Effectiveness Group".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    /// Unique within the partnership, e.g. "Q&E".
    #[schema(schema_with = crate::validate::Text::<20>::line)]
    pub short_name: String,
    /// The group this one reports to: id or short name.
    #[schema(schema_with = crate::names::nullable_group)]
    pub parent_group_id: Option<Id>,
}

/// Body of `PATCH /v1/partnerships/{id}/groups/{group_id}`: fields left out are
/// kept; `parent_group_id: null` makes it a top-level group.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    #[schema(schema_with = crate::validate::Text::<20>::nullable_line)]
    pub short_name: Option<String>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::names::nullable_group)]
    pub parent_group_id: Option<Option<Id>>,
}

/// The validated, editable fields of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    pub name: String,
    pub short_name: String,
    pub parent_group_id: Option<Id>,
}

pub fn validate(
    name: &str,
    short_name: &str,
    parent_group_id: Option<Id>,
) -> Result<GroupFields, Refusal> {
    let mut errors = Errors::new();
    let name = errors.text("name", name, 200);
    let short_name = errors.text("short_name", short_name, 20);
    errors.finish()?;
    Ok(GroupFields {
        name,
        short_name,
        parent_group_id,
    })
}

pub fn apply(current: GroupFields, patch: UpdateGroup) -> Result<GroupFields, Refusal> {
    validate(
        patch.name.as_deref().unwrap_or(&current.name),
        patch.short_name.as_deref().unwrap_or(&current.short_name),
        patch.parent_group_id.unwrap_or(current.parent_group_id),
    )
}

/// Whether making `parent` the parent of `group` would make a group report to
/// itself, given every group's current parent.
pub fn creates_cycle(group: Id, parent: Id, parent_of: &HashMap<Id, Option<Id>>) -> bool {
    let mut next = Some(parent);
    let mut steps = 0;
    while let Some(current) = next {
        if current == group || steps > parent_of.len() {
            return true;
        }
        next = parent_of.get(&current).copied().flatten();
        steps += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_cycles() {
        let (spb, qe, dp) = (Id::new(), Id::new(), Id::new());
        let parents = HashMap::from([(spb, None), (qe, Some(spb)), (dp, Some(qe))]);
        assert!(creates_cycle(spb, dp, &parents));
        assert!(creates_cycle(qe, qe, &parents));
        assert!(!creates_cycle(dp, spb, &parents));
    }

    #[test]
    fn short_names_are_short() {
        assert!(validate("Quality and Effectiveness Group", "Q&E", None).is_ok());
        assert!(validate("x", "a much too long short name", None).is_err());
    }
}
