//! Metric rules: codes, units, allowed ranges, and whether a value fits.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::validate::{patch_nullable, Errors, Refusal};

crate::text_enum! {
    /// What a metric counts: `currency` values are whole pence.
    pub enum Unit {
        Count => "count",
        Percent => "percent",
        Days => "days",
        Currency => "currency",
    }
}

/// Body of `POST /v1/partnerships/{id}/metrics`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"code": "CP-PLANS", "name": "Children subject to a child protection plan", "unit": "count", "min_value": 0})))]
pub struct CreateMetric {
    /// Unique within the partnership: capitals, digits, `-` and `_`, e.g. `CP-PLANS`.
    #[schema(pattern = "^[A-Z0-9_-]{1,40}$")]
    pub code: String,
    #[schema(schema_with = crate::validate::Text::<200>::line)]
    pub name: String,
    pub unit: Unit,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
}

/// Body of `PATCH /v1/partnerships/{id}/metrics/{metric_id}`; the code is
/// fixed once data refers to it; `null` clears a bound.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMetric {
    #[schema(schema_with = crate::validate::Text::<200>::nullable_line)]
    pub name: Option<String>,
    pub unit: Option<Unit>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<f64>)]
    pub min_value: Option<Option<f64>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<f64>)]
    pub max_value: Option<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricFields {
    pub code: String,
    pub name: String,
    pub unit: Unit,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
}

pub fn validate(fields: MetricFields) -> Result<MetricFields, Refusal> {
    let mut errors = Errors::new();
    let code = fields.code.clone();
    let code_ok = (1..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !code_ok {
        errors.add(
            "code",
            "1 to 40 capitals, digits, '-' or '_', e.g. CP-PLANS",
        );
    }
    let name = errors.text("name", &fields.name, 200);
    for (field, bound) in [
        ("min_value", fields.min_value),
        ("max_value", fields.max_value),
    ] {
        if bound.is_some_and(|b| !b.is_finite()) {
            errors.add(field, "must be a finite number");
        }
    }
    if let (Some(min), Some(max)) = (fields.min_value, fields.max_value) {
        if min > max {
            errors.add("max_value", "must not be below min_value");
        }
    }
    errors.finish()?;
    Ok(MetricFields {
        code,
        name,
        ..fields
    })
}

pub fn apply(current: MetricFields, patch: UpdateMetric) -> Result<MetricFields, Refusal> {
    validate(MetricFields {
        name: patch.name.unwrap_or(current.name),
        unit: patch.unit.unwrap_or(current.unit),
        min_value: patch.min_value.unwrap_or(current.min_value),
        max_value: patch.max_value.unwrap_or(current.max_value),
        ..current
    })
}

/// Why `value` does not fit the metric, if it does not.
pub fn check_value(
    unit: Unit,
    min: Option<f64>,
    max: Option<f64>,
    value: f64,
) -> Result<(), String> {
    if !value.is_finite() {
        return Err("must be a finite number".into());
    }
    match unit {
        Unit::Count | Unit::Currency if value.fract() != 0.0 => {
            return Err(format!("a {unit} value must be a whole number"))
        }
        Unit::Count | Unit::Days if value < 0.0 => {
            return Err(format!("a {unit} value must not be negative"))
        }
        Unit::Percent if !(0.0..=100.0).contains(&value) => {
            return Err("a percent value must be between 0 and 100".into())
        }
        _ => {}
    }
    if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
        return Err(format!(
            "must be within the allowed range {} to {}",
            min.map_or("-".to_owned(), |m| m.to_string()),
            max.map_or("-".to_owned(), |m| m.to_string())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_capitals_digits_and_dashes() {
        let fields = |code: &str| MetricFields {
            code: code.into(),
            name: "Children on a child protection plan".into(),
            unit: Unit::Count,
            min_value: Some(0.0),
            max_value: None,
        };
        assert!(validate(fields("CP-PLANS")).is_ok());
        assert!(validate(fields("cp plans")).is_err());
        let mut bad = fields("X");
        bad.max_value = Some(-1.0);
        assert!(validate(bad).is_err());
    }

    #[test]
    fn values_fit_their_unit_and_range() {
        assert!(check_value(Unit::Count, None, None, 12.0).is_ok());
        assert!(check_value(Unit::Count, None, None, 12.5).is_err());
        assert!(check_value(Unit::Count, None, None, -1.0).is_err());
        assert!(check_value(Unit::Percent, None, None, 101.0).is_err());
        assert!(check_value(Unit::Currency, None, None, 6_000_000.0).is_ok());
        assert!(check_value(Unit::Days, Some(0.0), Some(45.0), 46.0).is_err());
        assert!(check_value(Unit::Days, None, None, 3.5).is_ok());
    }
}
