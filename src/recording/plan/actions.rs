//! Planning the actions a document holds: agreed at the meeting, or earlier
//! ones it reviewed (imported on a meeting of their day when not held).

use super::*;

impl Planner<'_> {
    pub(super) fn owners(&mut self, path: &str, written: &[String]) -> Vec<OwnerId> {
        let mut owners = Vec::new();
        if written.len() > action_rules::MAX_OWNERS {
            self.error(
                &format!("{path}.owners"),
                format!("at most {} owners", action_rules::MAX_OWNERS),
            );
            return owners;
        }
        for (i, w) in written.iter().enumerate() {
            let at = format!("{path}.owners[{i}]");
            match self.directory.owner(w) {
                Ok(owner) if owners.contains(&owner) => self.error(&at, "is named twice"),
                Ok(OwnerId::AllPartners) => owners.insert(0, OwnerId::AllPartners),
                Ok(owner) => owners.push(owner),
                Err(message) => self.error(&at, message),
            }
        }
        owners
    }

    /// Description, deadline text and status, by the action log's rules.
    pub(super) fn action_fields(
        &mut self,
        path: &str,
        description: &str,
        due_date: Option<Day>,
        due_text: Option<&str>,
        status: Option<ActionStatus>,
    ) -> Option<action_rules::ActionFields> {
        let form = CreateAction {
            number: None,
            meeting_id: None,
            item_id: None,
            description: description.to_owned(),
            owners: Vec::new(),
            due_date,
            due_meeting_id: None,
            due_text: due_text.map(str::to_owned),
            status,
        };
        match action_rules::from_create(&form) {
            Ok(fields) => Some(fields),
            Err(refusal) => {
                within(&mut self.errors, path, refusal);
                None
            }
        }
    }

    pub(super) fn number(&mut self, path: &str, number: i64, seen: &mut HashSet<i64>) -> bool {
        if !action_rules::NUMBERS.contains(&number) {
            self.error(
                &format!("{path}.number"),
                "must be between 1 and 1000000000",
            );
            return false;
        }
        if !seen.insert(number) {
            self.error(
                &format!("{path}.number"),
                format!("action {number} is given twice in this document"),
            );
            return false;
        }
        true
    }

    pub(super) fn agreed(
        &mut self,
        path: &str,
        a: &RecordedAction,
        item_id: Option<Id>,
        seen: &mut HashSet<i64>,
    ) {
        if let Some(n) = a.number {
            if !self.number(path, n, seen) {
                return;
            }
            if let Some(held) = self.ctx.held.get(&n) {
                if held.meeting_id != Some(self.ctx.meeting_id) {
                    self.error(
                        &format!("{path}.number"),
                        format!("action {n} is already on the log, agreed at another meeting"),
                    );
                }
            }
        }
        let owners = self.owners(path, &a.owners);
        let Some(fields) = self.action_fields(
            path,
            &a.description,
            a.due_date,
            a.due_text.as_deref(),
            a.status,
        ) else {
            return;
        };
        let completed_on =
            (fields.status == ActionStatus::Complete).then(|| a.completed_on.unwrap_or(self.day));
        self.plan.actions.push(ActionPlan {
            path: path.to_owned(),
            number: a.number,
            meeting_id: self.ctx.meeting_id,
            item_id,
            description: fields.description,
            owners,
            due_date: fields.due_date,
            due_text: fields.due_text,
            status: fields.status,
            completed_on,
            updates: Vec::new(),
        });
    }

    pub(super) fn update(&mut self, path: &str, u: &RecordedUpdate) -> Option<UpdatePlan> {
        let author = u
            .author
            .as_deref()
            .and_then(|a| self.person(&format!("{path}.author"), a));
        if u.author.is_some() && author.is_none() {
            return None;
        }
        match action_rules::update_note(&u.note) {
            Ok(note) => Some(UpdatePlan {
                noted_on: u.noted_on,
                note,
                status: u.status,
                author_person_id: author,
            }),
            Err(refusal) => {
                within(&mut self.errors, path, refusal);
                None
            }
        }
    }

    /// The earlier meeting of the group on `day`: held, or planned as a stub.
    pub(super) fn earlier_meeting(&mut self, day: Day) -> Id {
        if let Some(id) = self.ctx.earlier.get(&day) {
            return *id;
        }
        if let Some(stub) = self.plan.stubs.iter().find(|s| s.day == day) {
            return stub.id;
        }
        let meeting = self.plan.meeting.as_ref();
        let starts = meeting.map_or(self.ctx.now, |m| m.starts_at);
        let stub = StubMeeting {
            id: Id::new(),
            day,
            starts_at: on_day(day, starts),
            title: None,
            items: Vec::new(),
        };
        let id = stub.id;
        self.plan.stubs.push(stub);
        id
    }

    pub(super) fn earlier_item(
        &mut self,
        meeting: Id,
        number: Option<&str>,
        title: Option<&str>,
    ) -> Result<Option<Id>, String> {
        if number.is_none() && title.is_none() {
            return Ok(None);
        }
        if let Some(n) = number {
            if let Some(id) = self.ctx.earlier_items.get(&(meeting, n.to_owned())) {
                return Ok(Some(*id));
            }
        }
        // A meeting the partnership holds keeps its agenda as it is.
        let Some(stub) = self.plan.stubs.iter_mut().find(|s| s.id == meeting) else {
            return Err(format!(
                "the group's meeting of that day has no item numbered {}",
                number.unwrap_or(title.unwrap_or_default())
            ));
        };
        if let Some((id, _, _)) = stub.items.iter().find(|(_, n, t)| {
            n.as_deref() == number && (number.is_some() || Some(t.as_str()) == title)
        }) {
            return Ok(Some(*id));
        }
        let id = Id::new();
        let title = title.or(number).unwrap_or_default().to_owned();
        stub.items.push((id, number.map(str::to_owned), title));
        Ok(Some(id))
    }

    pub(super) fn reviewed(
        &mut self,
        path: &str,
        r: &RecordedReviewedAction,
        seen: &mut HashSet<i64>,
    ) {
        if !self.number(path, r.number, seen) {
            return;
        }
        let updates: Vec<UpdatePlan> = r
            .updates
            .iter()
            .enumerate()
            .filter_map(|(k, u)| self.update(&format!("{path}.updates[{k}]"), u))
            .collect();
        if let Some(held) = self.ctx.held.get(&r.number) {
            if held.meeting_id == Some(self.ctx.meeting_id) {
                self.error(
                    &format!("{path}.number"),
                    format!(
                        "action {} was agreed at this meeting, not reviewed by it",
                        r.number
                    ),
                );
            }
            let id = held.id;
            self.plan
                .reports
                .extend(updates.into_iter().map(|u| (id, u)));
            return;
        }
        // Imported: agreed at an earlier meeting of the group.
        let owners = self.owners(path, &r.owners);
        let Some(fields) = self.action_fields(
            path,
            &r.description,
            r.due_date,
            r.due_text.as_deref(),
            r.status,
        ) else {
            return;
        };
        let Some(day) = r.meeting_date else {
            self.error(
                &format!("{path}.meeting_date"),
                format!(
                    "action {} is not on the log: give the day of the meeting that agreed it",
                    r.number
                ),
            );
            return;
        };
        if day >= self.day {
            self.error(
                &format!("{path}.meeting_date"),
                "must be before the meeting that reviews it",
            );
            return;
        }
        // The item is created on a meeting the partnership does not hold:
        // its number and title by the agenda's rules.
        let mut errors = Errors::new();
        let item_number = errors.optional_text("item_number", r.item_number.as_deref(), 20);
        let item_title = errors.optional_text("item_title", r.item_title.as_deref(), 300);
        if let Err(refusal) = errors.finish() {
            within(&mut self.errors, path, refusal);
            return;
        }
        let meeting_id = self.earlier_meeting(day);
        let item_id =
            match self.earlier_item(meeting_id, item_number.as_deref(), item_title.as_deref()) {
                Ok(item) => item,
                Err(message) => {
                    self.error(&format!("{path}.item_number"), message);
                    return;
                }
            };
        let completed_on = (fields.status == ActionStatus::Complete).then(|| {
            r.completed_on
                .or(updates
                    .iter()
                    .rev()
                    .find(|u| u.status == Some(ActionStatus::Complete))
                    .map(|u| u.noted_on))
                .unwrap_or(self.day)
        });
        self.plan.actions.push(ActionPlan {
            path: path.to_owned(),
            number: Some(r.number),
            meeting_id,
            item_id,
            description: fields.description,
            owners,
            due_date: fields.due_date,
            due_text: fields.due_text,
            status: fields.status,
            completed_on,
            updates,
        });
    }
}
