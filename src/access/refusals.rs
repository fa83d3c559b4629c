//! Refused attempts, logged in one place: a 403 answered on a partnership's
//! record (the `Tenant` extractor's, a top-level record's, a confidential
//! item's) is written to the access log after the handler, outside its
//! transaction (which the refusal rolled back), without the change log's
//! counter. The partnership is the one the request's access was last checked
//! in ([`crate::auth::Principal::checked`]); what was asked for is read from
//! the route.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::model::{self, AccessEntry, AccessOutcome};
use crate::auth::Principal;
use crate::db::{self, Id};
use crate::state::AppState;

/// Logs a 403 on a partnership's record; other answers pass untouched. A
/// refusal that cannot be logged (the database gone) is still answered 403
/// and the failure logged.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    if res.status() == StatusCode::FORBIDDEN {
        if let Some((entry, state)) = refusal(res.request()) {
            let written = db::read(&state.pool, move |conn| model::write(conn, &[entry])).await;
            if let Err(e) = written {
                log::warn!("a refusal could not be written to the access log: {e}");
            }
        }
    }
    Ok(res)
}

fn refusal(req: &HttpRequest) -> Option<(AccessEntry, web::Data<AppState>)> {
    let state = req.app_data::<web::Data<AppState>>()?.clone();
    let principal = req.extensions().get::<Principal>()?.clone();
    let partnership_id = principal.checked.get()?;
    let pattern = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    let params: Vec<(String, String)> = req
        .match_info()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let (resource_type, resource_id) =
        resource(&pattern, &params).unwrap_or(("partnership".to_owned(), partnership_id));
    let operation = format!("{} {}", req.method(), req.path());
    let entry = AccessEntry::new(
        &principal,
        partnership_id,
        AccessOutcome::Refused,
        (&resource_type, resource_id),
        &operation,
        state.clock.now(),
    );
    Some((entry, state))
}

/// The record a route names last: the last `{param}` of its pattern that
/// holds an id, typed by the collection before it (`/v1/meetings/{id}/items/{item_id}`
/// names an `agenda_item`; `/v1/partnerships/{id}/access-log` the `partnership`).
pub fn resource(pattern: &str, params: &[(String, String)]) -> Option<(String, Id)> {
    let segments: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    segments.iter().enumerate().rev().find_map(|(i, segment)| {
        let name = segment.strip_prefix('{')?.strip_suffix('}')?;
        let name = name.split(':').next()?;
        let value = params.iter().find(|(k, _)| k == name)?;
        let id: Id = value.1.parse().ok()?;
        let collection = segments.get(i.checked_sub(1)?)?;
        Some((singular(collection), id))
    })
}

/// The resource type a collection's records have in the audit trail.
fn singular(collection: &str) -> String {
    match collection {
        "people" => "person".to_owned(),
        "items" => "agenda_item".to_owned(),
        "updates" => "action_update".to_owned(),
        "clients" => "api_client".to_owned(),
        c => c.strip_suffix('s').unwrap_or(c).replace('-', "_"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, Id)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_last_id_of_the_route_is_the_record() {
        let (m, i) = (Id::new(), Id::new());
        assert_eq!(
            resource(
                "/v1/meetings/{id}/items/{item_id}",
                &params(&[("id", m), ("item_id", i)])
            ),
            Some(("agenda_item".to_owned(), i))
        );
        assert_eq!(
            resource("/v1/meetings/{id}/minutes", &params(&[("id", m)])),
            Some(("meeting".to_owned(), m))
        );
        assert_eq!(
            resource("/v1/partnerships/{id}/people", &params(&[("id", m)])),
            Some(("partnership".to_owned(), m))
        );
        assert_eq!(
            resource("/v1/people/{id}", &params(&[("id", m)])),
            Some(("person".to_owned(), m))
        );
    }

    #[test]
    fn a_parameter_that_is_not_an_id_is_passed_over() {
        let m = Id::new();
        let mut p = params(&[("id", m)]);
        p.push(("number".to_owned(), "14".to_owned()));
        assert_eq!(
            resource("/v1/partnerships/{id}/actions/by-number/{number}", &p),
            Some(("partnership".to_owned(), m))
        );
        assert_eq!(resource("/v1/partnerships", &[]), None);
    }
}
