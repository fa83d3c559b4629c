//! Tenancy as a type. A handler of `/v1/partnerships/{id}/...` takes a
//! [`Tenant<A>`]: the caller, authenticated, holding access `A` to that
//! partnership. Without one the handler has no partnership id to give the
//! model, so it cannot forget the check. A caller with no role there gets
//! 404, the same as for a partnership that does not exist.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::extract::authenticate;
use super::principal::{Access, Principal, Role};
use crate::db::Id;
use crate::error::ApiError;

/// What a route needs of the caller, as a type.
pub trait Level {
    fn check(principal: &Principal, partnership_id: Id) -> Result<Role, ApiError>;
}

macro_rules! levels {
    ($($(#[$doc:meta])* $name:ident => $access:expr),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Level for $name {
            fn check(principal: &Principal, partnership_id: Id) -> Result<Role, ApiError> {
                principal.require(partnership_id, $access)
            }
        }
    )+};
}

levels! {
    /// Read governance records (admin, member, viewer).
    Read => Access::Read,
    /// Write actions, updates, risks (admin, member).
    Contribute => Access::Contribute,
    /// Manage the partnership's records (admin).
    Manage => Access::Manage,
    /// Submit performance data (admin, submitter).
    Submit => Access::Submit,
}

/// Any role in the partnership, submitters included (metrics, own values).
#[derive(Debug, Clone, Copy)]
pub struct Member;

impl Level for Member {
    fn check(principal: &Principal, partnership_id: Id) -> Result<Role, ApiError> {
        principal.role_in(partnership_id)
    }
}

/// Proof that the caller holds `A` in the partnership of the path's `{id}`.
#[derive(Debug, Clone)]
pub struct Tenant<A> {
    pub partnership_id: Id,
    pub role: Role,
    pub principal: Principal,
    level: PhantomData<A>,
}

impl<A: Level> Tenant<A> {
    pub fn check(principal: Principal, partnership_id: Id) -> Result<Self, ApiError> {
        let role = A::check(&principal, partnership_id)?;
        Ok(Tenant {
            partnership_id,
            role,
            principal,
            level: PhantomData,
        })
    }
}

impl<A: Level> FromRequest for Tenant<A> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|principal| {
            let partnership_id = req
                .match_info()
                .get("id")
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| ApiError::not_found("no such partnership"))?;
            Tenant::check(principal, partnership_id)
        }))
    }
}
