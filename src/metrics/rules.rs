//! Metric rules: codes, units, allowed ranges, and whether a value fits.

use serde::Deserialize;
use utoipa::ToSchema;

use super::quantity::Hundredths;
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
    /// At most two decimal places, held exactly.
    pub min_value: Option<Hundredths>,
    /// At most two decimal places, held exactly.
    pub max_value: Option<Hundredths>,
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
    #[schema(value_type = Option<Hundredths>)]
    pub min_value: Option<Option<Hundredths>>,
    #[serde(default, deserialize_with = "patch_nullable")]
    #[schema(value_type = Option<Hundredths>)]
    pub max_value: Option<Option<Hundredths>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricFields {
    pub code: String,
    pub name: String,
    pub unit: Unit,
    pub min_value: Option<Hundredths>,
    pub max_value: Option<Hundredths>,
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

/// Why `value` does not fit the metric, if it does not: a `count` is a
/// whole number, `currency` whole pence, `percent` and `days` have at most
/// two decimal places (as every value read has).
pub fn check_value(
    unit: Unit,
    min: Option<Hundredths>,
    max: Option<Hundredths>,
    value: Hundredths,
) -> Result<(), String> {
    match unit {
        Unit::Count if !value.is_whole() => {
            return Err(format!("a count must be a whole number, not {value}"))
        }
        Unit::Currency if !value.is_whole() => {
            return Err(format!("a currency value is whole pence, not {value}"))
        }
        Unit::Count | Unit::Days if value.0 < 0 => {
            return Err(format!("a {unit} value must not be negative"))
        }
        Unit::Percent if !(0..=10_000).contains(&value.0) => {
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
            min_value: Some(Hundredths(0)),
            max_value: None,
        };
        assert!(validate(fields("CP-PLANS")).is_ok());
        assert!(validate(fields("cp plans")).is_err());
        let mut bad = fields("X");
        bad.max_value = Some(Hundredths(-100));
        assert!(validate(bad).is_err());
    }

    #[test]
    fn values_fit_their_unit_and_range() {
        let h = |v: f64| Hundredths::from_json(&serde_json::json!(v)).unwrap();
        assert!(check_value(Unit::Count, None, None, h(12.0)).is_ok());
        assert!(check_value(Unit::Count, None, None, h(12.5)).is_err());
        assert!(check_value(Unit::Count, None, None, h(-1.0)).is_err());
        assert!(check_value(Unit::Percent, None, None, h(101.0)).is_err());
        assert!(check_value(Unit::Percent, None, None, h(12.5)).is_ok());
        assert!(check_value(Unit::Currency, None, None, h(6_000_000.0)).is_ok());
        assert!(check_value(Unit::Currency, None, None, h(10.5)).is_err());
        assert!(check_value(Unit::Days, Some(h(0.0)), Some(h(45.0)), h(46.0)).is_err());
        assert!(check_value(Unit::Days, None, None, h(3.5)).is_ok());
    }
}
