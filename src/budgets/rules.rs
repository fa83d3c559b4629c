//! Budget rules as plain functions: the states of a year, a contribution,
//! a line and a transaction; the bodies of every write and their checks;
//! what a closed year still allows.

use serde::Deserialize;
use utoipa::ToSchema;

use super::money::{FinancialYear, MAX_PENCE};
use crate::db::{Day, Id};
use crate::error::ApiError;
use crate::validate::{patch_nullable, Errors};

crate::text_enum! {
    /// An `open` year takes transactions; a `closed` one is locked, its
    /// closing reserve fixed, and is never reopened.
    pub enum BudgetStatus {
        Open => "open",
        Closed => "closed",
    }
}

crate::text_enum! {
    /// Where a partner's contribution stands.
    pub enum ContributionStatus {
        Pledged => "pledged",
        Invoiced => "invoiced",
        Received => "received",
    }
}

crate::text_enum! {
    /// Money in or money out.
    pub enum LineKind {
        Income => "income",
        Expenditure => "expenditure",
    }
}

crate::text_enum! {
    /// A `commitment` is money ordered or promised and not yet paid; a
    /// `payment` is money paid (or, on an income line, received).
    pub enum TransactionKind {
        Commitment => "commitment",
        Payment => "payment",
    }
}

/// Most lines one budget holds.
pub const MAX_LINES: i64 = 1_000;

/// Body of `POST /v1/partnerships/{id}/budgets`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"financial_year": "2020-21", "reserve_target_pence": 6000000})))]
pub struct CreateBudget {
    pub financial_year: FinancialYear,
    /// The reserve the partnership aims to hold ("a target for the reserve
    /// of £60,000" is 6000000).
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub reserve_target_pence: Option<i64>,
    /// Left out or null: carried from the previous year's closing reserve.
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(value_type = Option<i64>, minimum = -10_000_000_000_000_i64, maximum = 10_000_000_000_000_i64)]
    pub opening_reserve_pence: Option<i64>,
    /// Whether viewers may read it; false when left out.
    pub published: Option<bool>,
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub notes: Option<String>,
}

/// Body of `PATCH /v1/budgets/{id}`: fields left out are kept; `null`
/// clears the nullable ones. Closing is `"status": "closed"`; once closed,
/// only `published` changes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBudget {
    pub status: Option<BudgetStatus>,
    pub published: Option<bool>,
    #[serde(default, deserialize_with = "super::money::patch_pence")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub reserve_target_pence: Option<Option<i64>>,
    /// `null`: carried from the previous year's closing reserve.
    #[serde(default, deserialize_with = "super::money::patch_pence")]
    #[schema(value_type = Option<i64>, minimum = -10_000_000_000_000_i64, maximum = 10_000_000_000_000_i64)]
    pub opening_reserve_pence: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub notes: Option<Option<String>>,
}

impl UpdateBudget {
    /// Whether it sends what a closed year keeps: its target, opening
    /// reserve and notes.
    pub fn changes_figures(&self) -> bool {
        self.reserve_target_pence.is_some()
            || self.opening_reserve_pence.is_some()
            || self.notes.is_some()
    }
}

/// Body of `POST /v1/budgets/{id}/contributions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"organisation_id": "0191c1a0-0000-7000-8000-000000000001", "amount_pence": 4500000, "status": "pledged"})))]
pub struct CreateContribution {
    /// A member organisation of the partnership; one contribution each a year.
    pub organisation_id: Id,
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(required = true, value_type = i64, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub amount_pence: Option<i64>,
    /// `pledged` when left out.
    pub status: Option<ContributionStatus>,
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub note: Option<String>,
}

/// Body of `PATCH /v1/budgets/{id}/contributions/{contribution_id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContribution {
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub amount_pence: Option<i64>,
    pub status: Option<ContributionStatus>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub note: Option<Option<String>>,
}

/// Body of `POST /v1/budgets/{id}/contributions/copy`: "contributions for
/// 2020/21 remain at the same level as 2019/20".
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"from": "2019-20"})))]
pub struct CopyContributions {
    /// The year whose contributions are copied, at the same amounts.
    pub from: FinancialYear,
    /// The status the copies take; `pledged` when left out.
    pub status: Option<ContributionStatus>,
}

/// Body of `POST /v1/budgets/{id}/lines`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Multi-agency training", "kind": "expenditure", "planned_pence": 1500000})))]
pub struct CreateLine {
    /// "Home Start contribution", "Multi-agency training"; unique in the year.
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    pub kind: LineKind,
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(required = true, value_type = i64, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub planned_pence: Option<i64>,
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub description: Option<String>,
}

/// Body of `PATCH /v1/budgets/{id}/lines/{line_id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLine {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    pub kind: Option<LineKind>,
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000_i64)]
    pub planned_pence: Option<i64>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<2000>::optional_paragraph)]
    pub description: Option<Option<String>>,
}

/// Body of `POST /v1/budgets/{id}/transactions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "line_id": "0191c1a0-0000-7000-8000-000000000002",
    "date": "2019-11-20",
    "amount_pence": 850000,
    "description": "NSPCC Support Package for HSB",
    "kind": "payment",
    "from_reserve": true
})))]
pub struct CreateTransaction {
    /// A line of this budget.
    pub line_id: Id,
    /// Inside the financial year (1 April to 31 March).
    pub date: Day,
    /// Pence, not zero; negative for a refund or a correction.
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(required = true, schema_with = super::money::nonzero_pence)]
    pub amount_pence: Option<i64>,
    #[schema(schema_with = crate::validate::Text::<500>::line)]
    pub description: String,
    /// `payment` when left out.
    pub kind: Option<TransactionKind>,
    /// Paid from the partnership's reserve rather than the year's income.
    pub from_reserve: Option<bool>,
    /// An invoice or order number.
    #[schema(schema_with = crate::validate::Text::<100>::optional_line)]
    pub reference: Option<String>,
}

/// Body of `PATCH /v1/budgets/{id}/transactions/{transaction_id}` (open
/// years only; a closed year's transactions are reversed instead).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTransaction {
    pub line_id: Option<Id>,
    pub date: Option<Day>,
    #[serde(default, deserialize_with = "super::money::pence")]
    #[schema(schema_with = super::money::nullable_nonzero_pence)]
    pub amount_pence: Option<i64>,
    #[schema(schema_with = crate::validate::Text::<500>::nullable_line)]
    pub description: Option<String>,
    pub kind: Option<TransactionKind>,
    pub from_reserve: Option<bool>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(schema_with = crate::validate::Text::<100>::optional_line)]
    pub reference: Option<Option<String>>,
}

/// Body of `POST /v1/budgets/{id}/transactions/{transaction_id}/reversal`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"description": "Reversal: invoice paid twice"})))]
pub struct CreateReversal {
    /// Inside the year; the reversed transaction's date when left out.
    pub date: Option<Day>,
    /// "Reversal of: ..." when left out.
    #[schema(schema_with = crate::validate::Text::<500>::optional_line)]
    pub description: Option<String>,
}

/// A required amount: present (the schema says so) and not below `min`.
pub fn amount(errors: &mut Errors, field: &str, value: Option<i64>, min: i64) -> i64 {
    match value {
        None => {
            errors.add(field, "is required");
            0
        }
        Some(v) => {
            in_range(errors, field, v, min);
            v
        }
    }
}

/// An amount from `min` to [`MAX_PENCE`] (the deserializer refused beyond).
pub fn in_range(errors: &mut Errors, field: &str, value: i64, min: i64) {
    if value < min {
        errors.add(field, format!("must be at least {min} pence"));
    }
}

/// A transaction's amount: not zero.
pub fn transaction_amount(errors: &mut Errors, field: &str, value: i64) {
    if value == 0 {
        errors.add(field, "must not be zero");
    }
    in_range(errors, field, value, -MAX_PENCE);
}

/// A transaction's date: inside the year.
pub fn date_in(errors: &mut Errors, field: &str, year: FinancialYear, date: Day) {
    if !year.contains(date) {
        errors.add(
            field,
            format!(
                "{date} is outside the financial year {year} ({} to {})",
                year.first_day(),
                year.last_day()
            ),
        );
    }
}

/// What a closed year refuses: every change but publishing.
pub fn locked(year: FinancialYear, what: &str) -> ApiError {
    ApiError::conflict(format!(
        "{year} is closed: {what} (a closed year's transactions are corrected by reversing entries)"
    ))
}

/// The move from `from` to `to`: open to closed once; never back.
pub fn status_change(from: BudgetStatus, to: BudgetStatus) -> Result<(), ApiError> {
    match (from, to) {
        (BudgetStatus::Closed, BudgetStatus::Open) => Err(ApiError::conflict(
            "a closed year is never reopened: correct it by reversing entries",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Refusal;

    #[test]
    fn a_closed_year_stays_closed() {
        assert!(status_change(BudgetStatus::Open, BudgetStatus::Closed).is_ok());
        assert!(status_change(BudgetStatus::Closed, BudgetStatus::Closed).is_ok());
        assert!(matches!(
            status_change(BudgetStatus::Closed, BudgetStatus::Open),
            Err(ApiError::Conflict(_))
        ));
    }

    #[test]
    fn dates_and_amounts() {
        let year = FinancialYear::parse("2019-20").unwrap();
        let mut errors = Errors::new();
        date_in(
            &mut errors,
            "date",
            year,
            Day::try_from("2020-04-01".to_owned()).unwrap(),
        );
        transaction_amount(&mut errors, "amount_pence", 0);
        amount(&mut errors, "planned_pence", Some(-1), 0);
        amount(&mut errors, "amount_pence", None, 0);
        let Err(Refusal::Invalid(fields)) = errors.finish() else {
            panic!("refused");
        };
        assert_eq!(fields.len(), 4);
        assert!(fields[0].message.contains("2019-04-01 to 2020-03-31"));
        let mut fine = Errors::new();
        date_in(
            &mut fine,
            "date",
            year,
            Day::try_from("2020-03-31".to_owned()).unwrap(),
        );
        transaction_amount(&mut fine, "amount_pence", -1);
        assert!(fine.finish().is_ok());
    }
}
