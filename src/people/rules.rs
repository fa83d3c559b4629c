use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::validate::{patch_nullable, Errors, Refusal};

/// A person's initials as minutes use them: "PG", "EH", "LM2". Letters and
/// digits only, 1 to 8 of them, kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initials(String);

impl Initials {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        // ASCII only before upper-casing: 'ı'.to_uppercase() is 'I'.
        if !raw.is_ascii() {
            return Err("must be letters or digits only (owners like CB/EH are two people)");
        }
        let value = raw.to_ascii_uppercase();
        if value.is_empty() || value.chars().count() > 8 {
            return Err("must be 1 to 8 letters or digits, e.g. PG");
        }
        if !value.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            return Err("must start with a letter");
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err("must be letters or digits only (owners like CB/EH are two people)");
        }
        Ok(Initials(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Body of `POST /v1/partnerships/{id}/people`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"full_name": "Sue Thomas", "initials": "ST", "job_title": "Superintendent, Local Policing Commander for Herefordshire"})))]
pub struct CreatePerson {
    /// e.g. "Philippa Granthier".
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub full_name: String,
    /// Unique within the partnership, e.g. "PG"; kept in upper case.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9]{0,7}$")]
    pub initials: String,
    /// e.g. "Interim Business Manager, Safeguarding Business Unit".
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub job_title: Option<String>,
    /// The organisation's id or registered name.
    #[schema(schema_with = crate::names::nullable_organisation)]
    pub organisation_id: Option<Id>,
}

/// Body of `PATCH /v1/partnerships/{id}/people/{person_id}`: fields left out are
/// kept; `null` clears `job_title` or `organisation_id`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub full_name: Option<String>,
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9]{0,7}$")]
    pub initials: Option<String>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<300>::optional_line)]
    pub job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::names::nullable_organisation)]
    pub organisation_id: Option<Option<Id>>,
}

/// The validated, editable fields of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFields {
    pub full_name: String,
    pub initials: String,
    pub job_title: Option<String>,
    pub organisation_id: Option<Id>,
}

pub fn validate(
    full_name: &str,
    initials: &str,
    job_title: Option<&str>,
    organisation_id: Option<Id>,
) -> Result<PersonFields, Refusal> {
    let mut errors = Errors::new();
    let full_name = errors.text("full_name", full_name, 200);
    let job_title = errors.optional_text("job_title", job_title, 300);
    let initials = match Initials::parse(initials) {
        Ok(i) => i.into_inner(),
        Err(message) => {
            errors.add("initials", message);
            String::new()
        }
    };
    errors.finish()?;
    Ok(PersonFields {
        full_name,
        initials,
        job_title,
        organisation_id,
    })
}

pub fn apply(current: PersonFields, patch: UpdatePerson) -> Result<PersonFields, Refusal> {
    let job_title = match patch.job_title {
        Some(v) => v,
        None => current.job_title,
    };
    validate(
        patch.full_name.as_deref().unwrap_or(&current.full_name),
        patch.initials.as_deref().unwrap_or(&current.initials),
        job_title.as_deref(),
        patch.organisation_id.unwrap_or(current.organisation_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_from_the_seeds_parse() {
        for ok in ["PG", "EH", "LM", "ST", "ef", "AB2"] {
            assert!(Initials::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Initials::parse("ef").unwrap().as_str(), "EF");
    }

    #[test]
    fn bad_initials_are_refused() {
        // Exactly what the published pattern ^[A-Za-z][A-Za-z0-9]{0,7}$ refuses:
        // no surrounding spaces, and no letter that only upper-cases to ASCII.
        for bad in ["", "CB/EH", "D&P", "2PG", "ABCDEFGHI", "P G", " PG", "ıX"] {
            assert!(Initials::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_can_clear_job_title() {
        let current = validate(
            "Ed Hughes",
            "EH",
            Some("Business Support Co-ordinator"),
            None,
        )
        .unwrap();
        let patch = UpdatePerson {
            job_title: Some(None),
            ..Default::default()
        };
        assert_eq!(apply(current.clone(), patch).unwrap().job_title, None);
        assert_eq!(
            apply(current.clone(), UpdatePerson::default()).unwrap(),
            current
        );
    }
}
