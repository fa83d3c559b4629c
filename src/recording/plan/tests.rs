use super::*;
use crate::recording::document::{RecordedItem, RecordedMeeting, RecordedReview};
use crate::recording::names::KnownGroup;

fn context() -> Context {
    let group = Id::new();
    Context {
        partnership_id: Id::new(),
        meeting_id: Id::new(),
        now: UtcTime("2026-01-01T00:00:00Z".parse().unwrap()),
        directory: Directory {
            people: vec![KnownPerson {
                id: Id::new(),
                full_name: "Philippa Granthier".into(),
                initials: "PG".into(),
            }],
            groups: vec![KnownGroup {
                id: group,
                name: "Herefordshire Safeguarding Partners Board".into(),
                short_name: "SPB".into(),
            }],
            members: Vec::new(),
        },
        group: Some(Ok(group)),
        registry: HashMap::new(),
        held: HashMap::new(),
        earlier: HashMap::new(),
        earlier_items: HashMap::new(),
        existing_items: Vec::new(),
    }
}

fn action(owners: &[&str]) -> RecordedAction {
    RecordedAction {
        number: None,
        description: "Do it.".into(),
        owners: owners.iter().map(|o| o.to_string()).collect(),
        due_date: None,
        due_text: None,
        status: None,
        completed_on: None,
    }
}

fn document(items: Vec<RecordedItem>) -> MeetingRecord {
    MeetingRecord {
        group_name: "SPB".into(),
        meeting: RecordedMeeting {
            title: "Board".into(),
            starts_at: UtcTime("2019-11-18T15:00:00Z".parse().unwrap()),
            ends_at: None,
            location: None,
            status: None,
        },
        previous_meeting: None,
        present: vec![RecordedAttendee {
            name: Some("Liz Murphy".into()),
            initials: None,
            job_title: None,
            organisation: None,
            role: Some(AttendeeRole::Chair),
            attendance: None,
            deputising_for: None,
        }],
        in_attendance: Vec::new(),
        apologies: Vec::new(),
        absent: Vec::new(),
        declarations: Vec::new(),
        no_declarations: true,
        items,
        other_actions: Vec::new(),
        matters_arising: RecordedReview::default(),
    }
}

fn item(title: &str, actions: Vec<RecordedAction>) -> RecordedItem {
    RecordedItem {
        number: None,
        title: title.into(),
        presenter: None,
        minutes: None,
        confidential: false,
        not_minuted: false,
        decisions: Vec::new(),
        actions,
    }
}

#[test]
fn people_named_are_created_and_owners_resolved() {
    let ctx = context();
    let doc = document(vec![item("Plan", vec![action(&["PG", "LM", "ALL"])])]);
    let plan = plan(&doc, &ctx).unwrap();
    assert_eq!(plan.people.len(), 1);
    assert_eq!(plan.people[0].initials, "LM");
    assert_eq!(plan.actions[0].owners[0], OwnerId::AllPartners);
    assert_eq!(plan.attendees[0].role, AttendeeRole::Chair);
    assert_eq!(plan.meeting.unwrap().status, MeetingStatus::Held);
}

#[test]
fn every_fault_is_named_by_its_path() {
    let ctx = context();
    let mut doc = document(vec![
        item("Plan", vec![action(&["PG"]), action(&["PG", "XY"])]),
        item(" ", Vec::new()),
    ]);
    doc.group_name = "Nope".into();
    let errors = plan(&doc, &ctx).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"items[0].actions[1].owners[1]"),
        "{fields:?}"
    );
    assert!(fields.contains(&"items[1].title"), "{fields:?}");
    assert!(errors
        .iter()
        .any(|e| e.message.contains("no person with initials XY")));
}

#[test]
fn an_earlier_action_is_imported_on_a_meeting_of_its_day() {
    let ctx = context();
    let mut doc = document(Vec::new());
    doc.matters_arising
        .outstanding
        .push(RecordedReviewedAction {
            number: 14,
            meeting_date: Some(Day("2019-10-23".parse().unwrap())),
            item_number: Some("3.1".into()),
            item_title: Some("Case Review Final Sign Off".into()),
            description: "PG to amend the Terms of Reference.".into(),
            owners: vec!["PG".into()],
            due_date: None,
            due_text: None,
            status: None,
            completed_on: None,
            updates: Vec::new(),
        });
    let plan = plan(&doc, &ctx).unwrap();
    assert_eq!(plan.stubs.len(), 1);
    assert_eq!(
        plan.stubs[0].starts_at.0.to_rfc3339(),
        "2019-10-23T14:00:00+00:00"
    );
    assert_eq!(plan.stubs[0].items[0].1.as_deref(), Some("3.1"));
    assert_eq!(plan.actions[0].number, Some(14));
    assert_eq!(plan.actions[0].meeting_id, plan.stubs[0].id);
}

#[test]
fn a_line_is_never_dropped_without_a_fault() {
    let ctx = context();
    let mut doc = document(Vec::new());
    doc.present[0].initials = Some(String::new());
    doc.present[0].name = Some(String::new());
    let errors = plan(&doc, &ctx).unwrap_err();
    assert!(
        errors.iter().any(|e| e.field == "present[0].initials"),
        "{errors:?}"
    );
    // Known initials in lower case find the person.
    let mut doc = document(Vec::new());
    doc.present[0].initials = Some("pg".into());
    doc.present[0].name = None;
    let plan = plan(&doc, &ctx).unwrap();
    assert_eq!(
        plan.attendees[0].person_id,
        Some(ctx.directory.people[0].id)
    );
    assert!(plan.people.is_empty());
}
