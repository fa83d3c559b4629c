//! The authenticated caller and the one place roles are checked.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::db::Id;
use crate::error::ApiError;

crate::text_enum! {
    /// A caller's role within one partnership: `admin` (the business unit:
    /// everything in its partnership), `member` (partner representatives: read
    /// everything including confidential items; write actions, updates and
    /// risks), `submitter` (an agency's data system: submits performance data
    /// for its own organisation), `viewer` (read, never confidential items).
    pub enum Role {
        Admin => "admin",
        Member => "member",
        Submitter => "submitter",
        Viewer => "viewer",
    }
}

impl Role {
    /// Whether the role sees confidential agenda items: everyone who reads
    /// but viewers (submitters do not read governance records at all).
    pub fn sees_confidential(self) -> bool {
        matches!(self, Role::Admin | Role::Member)
    }
}

/// What a route needs of the caller within a partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See the partnership's governance records (admin, member, viewer).
    Read,
    /// Change actions, updates and risks (admin, member).
    Contribute,
    /// Manage the partnership's own records (admin).
    Manage,
    /// Submit performance data (admin for any agency, submitter for its own).
    Submit,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Read => matches!(role, Role::Admin | Role::Member | Role::Viewer),
            Access::Contribute => matches!(role, Role::Admin | Role::Member),
            Access::Manage => role == Role::Admin,
            Access::Submit => matches!(role, Role::Admin | Role::Submitter),
        }
    }
}

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The API client id or external subject.
    pub subject: String,
    pub organisation_id: Option<Id>,
    /// Creates partnerships and their first clients; acts as admin everywhere.
    pub platform_admin: bool,
    pub roles: BTreeMap<Id, Role>,
    /// Set when the token was issued by this service to an API client: its
    /// tokens end when it is revoked or its secret rotated.
    pub client: Option<ClientToken>,
    /// The partnership this request's access was last checked in, shared by
    /// every copy of the request's principal: a refusal (403) is logged
    /// against it in the access log (`access::refusals`).
    pub checked: Checked,
}

/// The partnership a request's access was last checked in (see
/// [`Principal::checked`]); empty until the caller is found to hold a role
/// somewhere.
#[derive(Debug, Clone, Default)]
pub struct Checked(Arc<Mutex<Option<Id>>>);

impl Checked {
    fn set(&self, partnership_id: Id) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(partnership_id);
    }

    pub fn get(&self) -> Option<Id> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The API client a token of this service was issued to, and the client's
/// secret generation then (absent in tokens issued before it was carried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientToken {
    pub id: Id,
    pub generation: Option<i32>,
}

impl Principal {
    /// The caller's role in a partnership. A caller with no role there learns
    /// nothing, not even that the partnership exists: 404, never 403.
    pub fn role_in(&self, partnership_id: Id) -> Result<Role, ApiError> {
        let role = if self.platform_admin {
            Role::Admin
        } else {
            self.roles
                .get(&partnership_id)
                .copied()
                .ok_or_else(|| ApiError::not_found("no such partnership"))?
        };
        self.checked.set(partnership_id);
        Ok(role)
    }

    /// The role the access log names for the caller in a partnership: its
    /// own there, else `platform_admin` for a platform administrator.
    pub fn logged_role(&self, partnership_id: Id) -> Option<&'static str> {
        match self.roles.get(&partnership_id) {
            Some(role) => Some(role.as_str()),
            None => self.platform_admin.then_some("platform_admin"),
        }
    }

    /// Checks that the caller may do `access` in the partnership: 404 without
    /// any role there, 403 with a role too low.
    pub fn require(&self, partnership_id: Id, access: Access) -> Result<Role, ApiError> {
        let role = self.role_in(partnership_id)?;
        if access.allows(role) {
            Ok(role)
        } else {
            Err(ApiError::forbidden(
                format!("the {role:?} role may not do this").to_lowercase(),
            ))
        }
    }

    /// The caller's role for a record found by a top-level id (`/v1/meetings/{id}`,
    /// `/v1/actions/{id}`): without any role in its partnership the record is
    /// `missing` (404, as if it did not exist); with a role too low, 403.
    pub fn require_for_record(
        &self,
        partnership_id: Id,
        access: Access,
        missing: &str,
    ) -> Result<Role, ApiError> {
        self.role_in(partnership_id)
            .map_err(|_| ApiError::not_found(missing))?;
        self.require(partnership_id, access)
    }

    /// Checks that the caller may submit data for `organisation_id`: an admin
    /// for any agency, a submitter only for the organisation its token names.
    pub fn require_submission(
        &self,
        partnership_id: Id,
        organisation_id: Id,
    ) -> Result<Role, ApiError> {
        let role = self.require(partnership_id, Access::Submit)?;
        if role == Role::Submitter && self.organisation_id != Some(organisation_id) {
            return Err(ApiError::forbidden(
                "a submitter submits data only for its own organisation",
            ));
        }
        Ok(role)
    }

    /// Checks that the caller may read performance data, and answers the
    /// organisation its reads are limited to: a submitter reads only its
    /// own (`asked` naming another is 403), every reading role everything.
    pub fn require_data_read(
        &self,
        partnership_id: Id,
        asked: Option<Id>,
    ) -> Result<Option<Id>, ApiError> {
        if self.role_in(partnership_id)? != Role::Submitter {
            self.require(partnership_id, Access::Read)?;
            return Ok(asked);
        }
        let own = self
            .organisation_id
            .ok_or_else(|| ApiError::forbidden("this submitter acts for no organisation"))?;
        if asked.is_some_and(|o| o != own) {
            return Err(ApiError::forbidden(
                "a submitter reads only its own organisation's data",
            ));
        }
        Ok(Some(own))
    }

    pub fn require_platform_admin(&self) -> Result<(), ApiError> {
        if self.platform_admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only a platform administrator may do this",
            ))
        }
    }

    /// Whether the caller administers at least one partnership (or the platform).
    pub fn is_any_admin(&self) -> bool {
        self.platform_admin || self.roles.values().any(|r| *r == Role::Admin)
    }

    /// Partnerships the caller may see at all, or `None` for all of them.
    pub fn visible_partnerships(&self) -> Option<Vec<Id>> {
        if self.platform_admin {
            None
        } else {
            Some(self.roles.keys().copied().collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[(Id, Role)]) -> Principal {
        Principal {
            subject: "t".into(),
            organisation_id: None,
            platform_admin: false,
            roles: roles.iter().copied().collect(),
            client: None,
            checked: Default::default(),
        }
    }

    #[test]
    fn other_partnership_is_not_found() {
        let (a, b) = (Id::new(), Id::new());
        let p = principal(&[(a, Role::Admin)]);
        assert!(matches!(
            p.require(b, Access::Read),
            Err(ApiError::NotFound(_))
        ));
        assert!(p.require(a, Access::Manage).is_ok());
    }

    #[test]
    fn a_submitter_reads_only_its_own_organisations_data() {
        let (a, b, police, council) = (Id::new(), Id::new(), Id::new(), Id::new());
        let mut submitter = principal(&[(a, Role::Submitter)]);
        submitter.organisation_id = Some(police);
        assert_eq!(submitter.require_data_read(a, None).unwrap(), Some(police));
        assert_eq!(
            submitter.require_data_read(a, Some(police)).unwrap(),
            Some(police)
        );
        assert!(matches!(
            submitter.require_data_read(a, Some(council)),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            submitter.require_data_read(b, None),
            Err(ApiError::NotFound(_))
        ));
        submitter.organisation_id = None;
        assert!(submitter.require_data_read(a, None).is_err());
        let member = principal(&[(a, Role::Member)]);
        assert_eq!(member.require_data_read(a, None).unwrap(), None);
        assert_eq!(
            member.require_data_read(a, Some(council)).unwrap(),
            Some(council)
        );
    }

    #[test]
    fn a_submitter_submits_only_for_its_own_organisation() {
        let (a, police, council) = (Id::new(), Id::new(), Id::new());
        let mut submitter = principal(&[(a, Role::Submitter)]);
        submitter.organisation_id = Some(police);
        assert!(submitter.require_submission(a, police).is_ok());
        assert!(matches!(
            submitter.require_submission(a, council),
            Err(ApiError::Forbidden(_))
        ));
        submitter.organisation_id = None;
        assert!(submitter.require_submission(a, police).is_err());
        assert!(principal(&[(a, Role::Admin)])
            .require_submission(a, council)
            .is_ok());
        assert!(matches!(
            principal(&[(a, Role::Member)]).require_submission(a, council),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            principal(&[(a, Role::Submitter)]).require_submission(Id::new(), police),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn only_admins_and_members_see_confidential_items() {
        assert!(Role::Admin.sees_confidential() && Role::Member.sees_confidential());
        assert!(!Role::Viewer.sees_confidential() && !Role::Submitter.sees_confidential());
    }

    #[test]
    fn low_role_is_forbidden() {
        let a = Id::new();
        assert!(matches!(
            principal(&[(a, Role::Viewer)]).require(a, Access::Contribute),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            principal(&[(a, Role::Submitter)]).require(a, Access::Read),
            Err(ApiError::Forbidden(_))
        ));
        assert!(principal(&[(a, Role::Member)])
            .require(a, Access::Contribute)
            .is_ok());
    }
}
