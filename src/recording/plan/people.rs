//! Planning the people a document names: attendance lines, presenters,
//! deputies, declarations and update authors, found or created.

use super::*;

impl Planner<'_> {
    pub(super) fn new_person(
        &mut self,
        path: &str,
        name: &str,
        initials: String,
        job_title: Option<&str>,
        organisation: Option<&str>,
    ) -> Option<Id> {
        let organisation_id = match organisation {
            Some(org) => match self.ctx.registry.get(&name_key(org)) {
                Some(id) => Some(*id),
                None => {
                    self.error(
                        &format!("{path}.organisation"),
                        format!("no organisation named {org} in the registry"),
                    );
                    return None;
                }
            },
            None => None,
        };
        let fields =
            match crate::people::rules::validate(name, &initials, job_title, organisation_id) {
                Ok(fields) => fields,
                Err(refusal) => {
                    let mut found = Vec::new();
                    within(&mut found, path, refusal);
                    for f in &mut found {
                        f.field = f.field.replace(".full_name", ".name");
                    }
                    self.errors.extend(found);
                    return None;
                }
            };
        let id = Id::new();
        self.directory.people.push(KnownPerson {
            id,
            full_name: fields.full_name.clone(),
            initials: fields.initials.clone(),
        });
        self.plan.people.push(Person {
            id,
            partnership_id: self.ctx.partnership_id,
            full_name: fields.full_name,
            initials: fields.initials,
            job_title: fields.job_title,
            organisation_id: fields.organisation_id,
            version: 1,
            created_at: self.ctx.now,
            updated_at: self.ctx.now,
        });
        Some(id)
    }

    /// A person named by initials or name; someone named who is not yet a
    /// person of the partnership is created with initials made from the name.
    pub(super) fn person(&mut self, path: &str, written: &str) -> Option<Id> {
        match self.directory.person(written) {
            Ok(Some(id)) => Some(id),
            Ok(None) => match self.directory.free_initials(written) {
                Ok(initials) => self.new_person(path, written.trim(), initials, None, None),
                Err(message) => {
                    self.error(path, message);
                    None
                }
            },
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }

    /// The person an attendance line names (created with the line's job
    /// title and agency when new); `Ok(None)` for a guest, `Err` when the
    /// line is at fault (already named).
    pub(super) fn line_person(
        &mut self,
        path: &str,
        line: &RecordedAttendee,
        role: AttendeeRole,
    ) -> Result<Option<Id>, ()> {
        let role = line.role.unwrap_or(role);
        let guest = role == AttendeeRole::Guest && line.initials.is_none();
        let person_id = if guest {
            None
        } else {
            match (&line.initials, line.name.as_deref()) {
                (Some(written), name) => {
                    let initials = match crate::people::Initials::parse(written) {
                        Ok(initials) => initials,
                        Err(message) => {
                            self.error(&format!("{path}.initials"), message);
                            return Err(());
                        }
                    };
                    match (self.directory.person(initials.as_str()), name) {
                        (Ok(Some(id)), _) => Some(id),
                        (_, Some(name)) => self.new_person(
                            path,
                            name,
                            initials.into_inner(),
                            line.job_title.as_deref(),
                            line.organisation.as_deref(),
                        ),
                        (_, None) => {
                            self.error(
                                &format!("{path}.name"),
                                format!(
                                    "no person with initials {} in this partnership: give their name to create them",
                                    initials.as_str()
                                ),
                            );
                            return Err(());
                        }
                    }
                }
                (None, Some(name)) => match self.directory.person(name) {
                    Ok(Some(id)) => Some(id),
                    Ok(None) => match self.directory.free_initials(name) {
                        Ok(initials) => self.new_person(
                            path,
                            name,
                            initials,
                            line.job_title.as_deref(),
                            line.organisation.as_deref(),
                        ),
                        Err(message) => {
                            self.error(&format!("{path}.initials"), message);
                            return Err(());
                        }
                    },
                    Err(message) => {
                        self.error(&format!("{path}.name"), message);
                        return Err(());
                    }
                },
                (None, None) => {
                    self.error(path, "give a name or initials");
                    return Err(());
                }
            }
        };
        if !guest && person_id.is_none() {
            return Err(());
        }
        Ok(person_id)
    }

    pub(super) fn attendee(
        &mut self,
        path: &str,
        line: &RecordedAttendee,
        person_id: Option<Id>,
        list: Attendance,
        role: AttendeeRole,
    ) {
        let role = line.role.unwrap_or(role);
        let attendance = line.attendance.unwrap_or(list);
        let guest = person_id.is_none();
        let deputising = line
            .deputising_for
            .as_deref()
            .and_then(|d| self.person(&format!("{path}.deputising_for"), d));
        if let Some(id) = person_id {
            if self.plan.attendees.iter().any(|a| a.person_id == Some(id)) {
                self.error(path, "this person is listed twice");
                return;
            }
        }
        let form = crate::attendees::rules::CreateAttendee {
            person_id,
            guest_name: if guest { line.name.clone() } else { None },
            guest_organisation: if guest {
                line.organisation.clone()
            } else {
                None
            },
            attendance: Some(attendance),
            role: Some(role),
            deputising_for_person_id: deputising,
            arrived_at: None,
            left_at: None,
            attended_item_ids: None,
        };
        match attendee_rules::from_create(form) {
            Ok(fields) => self.plan.attendees.push(fields),
            Err(refusal) => within(&mut self.errors, path, refusal),
        }
    }
}
