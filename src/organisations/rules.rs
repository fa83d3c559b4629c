use serde::Deserialize;
use utoipa::ToSchema;

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
}
