use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::validate::{Errors, Refusal};

crate::text_enum! {
    /// What kind of agency an organisation is.
    pub enum OrganisationKind {
        LocalAuthority => "local_authority",
        Police => "police",
        HealthCommissioner => "health_commissioner",
        NhsTrust => "nhs_trust",
        Education => "education",
        Voluntary => "voluntary",
        Other => "other",
    }
}

/// Body of `POST /v1/organisations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "West Mercia Police", "kind": "police"})))]
pub struct CreateOrganisation {
    /// e.g. "West Mercia Police".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    pub kind: OrganisationKind,
}

/// Body of `PATCH /v1/organisations/{id}`: fields left out are kept.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
}

pub fn validate_name(name: &str) -> Result<String, Refusal> {
    let mut errors = Errors::new();
    let name = errors.text("name", name, 200);
    errors.finish()?;
    Ok(name)
}

/// What two names are compared by: lowercase, trimmed, each run of white
/// space one space. "West  Mercia police" and "West Mercia Police" are one
/// agency; the registry keeps one of them (`name_key`, unique), and searches
/// and look-ups by name compare the same way.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `text` as a literal inside a `LIKE` pattern escaped by `\`.
pub fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Whether a caller may change (rename, re-classify) an organisation that
/// the partnerships `referrers` refer to: a platform administrator always; a
/// partnership admin only when no partnership but those it administers
/// refers to it, since the others would see their records renamed by someone
/// they never gave a role to. The reason is said without naming the others.
pub fn may_change(
    platform_admin: bool,
    administered: &[Id],
    referrers: &[Id],
) -> Result<(), &'static str> {
    if platform_admin || referrers.iter().all(|p| administered.contains(p)) {
        Ok(())
    } else {
        Err(
            "another partnership refers to this organisation (a member, or its people, clients \
             or submitted values name it); only a platform administrator changes an \
             organisation shared by several partnerships",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_as_text() {
        for kind in OrganisationKind::ALL {
            assert_eq!(kind.as_str().parse::<OrganisationKind>().unwrap(), *kind);
        }
        assert!("council".parse::<OrganisationKind>().is_err());
    }

    #[test]
    fn names_are_trimmed() {
        assert_eq!(
            validate_name("  West Mercia Police ").unwrap(),
            "West Mercia Police"
        );
        assert!(validate_name(" ").is_err());
    }

    #[test]
    fn names_compare_ignoring_case_and_runs_of_spaces() {
        assert_eq!(
            name_key("  West   Mercia\u{a0}POLICE "),
            "west mercia police"
        );
        assert_eq!(
            name_key("West Mercia Police"),
            name_key("west mercia  police")
        );
        assert_ne!(
            name_key("West Mercia Police"),
            name_key("WestMercia Police")
        );
    }

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(like_escaped(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn only_a_platform_admin_changes_a_shared_organisation() {
        let (own, other) = (Id::new(), Id::new());
        assert!(may_change(false, &[own], &[]).is_ok());
        assert!(may_change(false, &[own], &[own]).is_ok());
        assert!(may_change(false, &[own], &[own, other]).is_err());
        assert!(may_change(false, &[own], &[other]).is_err());
        assert!(may_change(true, &[], &[own, other]).is_ok());
    }
}
