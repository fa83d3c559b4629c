//! Decision rules: the outcome, and the text as minuted.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::validate::{Errors, Refusal};

crate::text_enum! {
    /// What the meeting decided on an item.
    pub enum Outcome {
        Agreed => "agreed",
        Approved => "approved",
        Noted => "noted",
        Deferred => "deferred",
        Rejected => "rejected",
    }
}

/// Body of `POST /v1/meetings/{id}/items/{item_id}/decisions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"outcome": "approved", "text": "The minutes of the previous meeting on 23 October were approved as an accurate record."})))]
pub struct CreateDecision {
    pub outcome: Outcome,
    /// What was decided, e.g. "The minutes of 11 April 2019 were agreed as an accurate record."
    #[schema(schema_with = crate::validate::Text::<5000>::paragraph)]
    pub text: String,
}

/// Body of `PATCH .../decisions/{decision_id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDecision {
    pub outcome: Option<Outcome>,
    #[schema(schema_with = crate::validate::Text::<5000>::nullable_paragraph)]
    pub text: Option<String>,
}

pub fn decision_text(text: &str) -> Result<String, Refusal> {
    let mut errors = Errors::new();
    let value = errors.optional_long_text("text", Some(text), 5_000);
    if value.is_none() {
        errors.add("text", "must not be blank");
    }
    errors.finish()?;
    Ok(value.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_text_must_not_be_blank() {
        assert!(decision_text("  ").is_err());
        assert_eq!(decision_text(" Noted. ").unwrap(), "Noted.");
    }
}
