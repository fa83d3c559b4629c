//! Minutes as people read them: Markdown in the shape of the seeds, and a
//! clean printable HTML page rendered from that Markdown. Times are shown in
//! UK local time (GMT/BST). Raw HTML and script links inside minutes text
//! are shown as text, never passed through, in the Markdown as in the page
//! (see `sanitise`), so no rendering of the minutes can carry script.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use pulldown_cmark::{html, CowStr, Event, Parser, Tag};

use super::document::{AttendeeLine, MinutesDocument};
use super::sanitise;
use crate::actions::arising::{MattersArising, ReviewedAction};
use crate::actions::ActionView;
use crate::attendees::rules::AttendeeRole;

/// "Monday 18 November 2019"
pub fn uk_date(t: DateTime<Utc>) -> String {
    t.with_timezone(&London).format("%A %-d %B %Y").to_string()
}

/// "3.00pm"
pub fn uk_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&London).format("%-I.%M%P").to_string()
}

/// Escapes what Markdown would read as formatting in names and titles.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(if matches!(c, '\n' | '\r') { ' ' } else { c });
    }
    out
}

fn attendee(line: &AttendeeLine) -> String {
    let mut text = inline(&line.name);
    if let Some(initials) = &line.initials {
        text.push_str(&format!(" ({initials})"));
    }
    for part in [&line.job_title, &line.organisation].into_iter().flatten() {
        text.push_str(", ");
        text.push_str(&inline(part));
    }
    let role = match line.role {
        AttendeeRole::Chair => Some("Chair"),
        AttendeeRole::MinuteTaker => Some("minutes"),
        AttendeeRole::Guest => Some("guest"),
        AttendeeRole::Member | AttendeeRole::InAttendance => None,
    };
    if let Some(role) = role {
        text.push_str(&format!(" **({role})**"));
    }
    if let Some(deputised) = &line.deputising_for {
        text.push_str(&format!(" (deputising for {})", inline(deputised)));
    }
    text
}

fn list(out: &mut String, heading: &str, lines: &[AttendeeLine]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("## {heading}\n\n"));
    for line in lines {
        out.push_str(&format!("- {}\n", attendee(line)));
    }
    out.push('\n');
}

/// The minutes as Markdown, safe for any CommonMark renderer.
pub fn markdown(doc: &MinutesDocument) -> String {
    sanitise::neutralise(&unchecked_markdown(doc))
}

fn unchecked_markdown(doc: &MinutesDocument) -> String {
    let meeting = &doc.meeting.meeting;
    let mut out = format!("# Minutes of the {}\n\n", inline(&meeting.title));
    let mut when = format!(
        "{} {}",
        uk_date(meeting.starts_at.0),
        uk_time(meeting.starts_at.0)
    );
    if let Some(end) = meeting.ends_at {
        when.push_str(&format!(" – {}", uk_time(end.0)));
    }
    out.push_str(&format!("**{when}**"));
    if let Some(location) = &meeting.location {
        out.push_str(&format!("  \n**{}**", inline(location)));
    }
    out.push_str("\n\n");
    if doc.redacted {
        out.push_str("*Confidential items are withheld from this copy.*\n\n");
    }
    list(&mut out, "Present", &doc.present);
    list(&mut out, "In attendance", &doc.in_attendance);
    list(&mut out, "Apologies", &doc.apologies);
    list(&mut out, "Absent", &doc.absent);

    if doc.no_declarations {
        out.push_str("## Declarations of interest\n\nThere were no declarations of interest.\n\n");
    } else if !doc.declarations.is_empty() {
        out.push_str("## Declarations of interest\n\n");
        for d in &doc.declarations {
            let item = d
                .item
                .as_ref()
                .map(|i| format!(" (item {})", inline(i)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- {}{item}: {}\n",
                inline(&d.name),
                inline(&d.text)
            ));
        }
        out.push('\n');
    }

    let review_under = review_item(doc);
    if review_under.is_none() && !doc.matters_arising.is_empty() {
        out.push_str("## Matters arising\n\n");
        matters_arising(&mut out, &doc.matters_arising);
    }
    let mut parent: Option<&str> = None;
    for entry in &doc.items {
        let item = &entry.item.item;
        if let Some(line) = next_meeting_line(entry) {
            out.push_str(&format!("{line}\n\n"));
            continue;
        }
        let level = match sub_item_of(parent, item.number.as_deref()) {
            true => "###",
            false => {
                parent = item.number.as_deref();
                "##"
            }
        };
        let number = item
            .number
            .as_ref()
            .map(|n| format!("{} ", inline(n)))
            .unwrap_or_default();
        out.push_str(&format!("{level} {number}{}\n\n", inline(&item.title)));
        if entry.item.redacted {
            continue;
        }
        if let Some(presenter) = &entry.presenter {
            out.push_str(&format!("*Presented by {}*\n\n", inline(presenter)));
        }
        papers(&mut out, &entry.papers);
        if item.not_minuted {
            out.push_str("*Discussed but not minuted.*\n\n");
        }
        if let Some(minutes) = &item.minutes {
            out.push_str(minutes.trim_end());
            out.push_str("\n\n");
        }
        if review_under == Some(item.id) {
            matters_arising(&mut out, &doc.matters_arising);
        }
        if !entry.decisions.is_empty() {
            out.push_str("**Decisions**\n\n");
            for d in &entry.decisions {
                out.push_str(&format!("- *{}*: {}\n", d.outcome, inline(&d.text)));
            }
            out.push('\n');
        }
        actions_table(&mut out, "**Actions**", &entry.actions);
    }
    actions_table(&mut out, "## Other actions agreed", &doc.other_actions);

    out.push_str("---\n\n");
    let quorum = if doc.meeting.quorate {
        "The meeting was quorate: every statutory partner was present or deputised.".to_owned()
    } else {
        "The meeting was not quorate: not every statutory partner was present or deputised."
            .to_owned()
    };
    out.push_str(&format!("{quorum}\n\n"));
    if let Some(at) = &doc.approved_at_meeting {
        out.push_str(&format!(
            "Approved as an accurate record at the meeting of {}.\n",
            uk_date(at.starts_at.0)
        ));
    }
    out
}

/// Whether an item numbered `number` is a sub-item of the item numbered
/// `parent`: "2a" and "2.1" of "2." (or "2"), not "7" of "7.".
fn sub_item_of(parent: Option<&str>, number: Option<&str>) -> bool {
    let (Some(parent), Some(number)) = (parent, number) else {
        return false;
    };
    let stem = parent.trim_end_matches('.');
    let rest = number.trim_end_matches('.');
    !stem.is_empty()
        && rest.len() > stem.len()
        && rest.starts_with(stem)
        && !rest[stem.len()..].starts_with(|c: char| c.is_ascii_digit())
}

/// "Date of next meeting – 18 December 2019." as the seeds close: an
/// unnumbered item of that title, with only its line of minutes, is the
/// line, not a section.
fn next_meeting_line(entry: &super::document::MinutesItem) -> Option<String> {
    let item = &entry.item.item;
    let title = item.title.to_lowercase();
    let is_next = title.starts_with("date of next meeting") || title.starts_with("next meeting");
    if item.number.is_some()
        || !is_next
        || entry.item.redacted
        || !entry.decisions.is_empty()
        || !entry.actions.is_empty()
    {
        return None;
    }
    let minutes = item.minutes.as_deref()?.trim();
    if minutes.contains('\n') {
        return None;
    }
    Some(if minutes.to_lowercase().starts_with(&title) {
        minutes.to_owned()
    } else {
        format!("**{}**: {minutes}", inline(&item.title))
    })
}

/// The item whose minutes review the action log, as in the seeds' "Minutes
/// of the previous meeting, action log and matters arising"; none when no
/// item says so (the review then has a section of its own).
fn review_item(doc: &MinutesDocument) -> Option<crate::db::Id> {
    if doc.matters_arising.is_empty() {
        return None;
    }
    doc.items
        .iter()
        .filter(|e| !e.item.redacted)
        .map(|e| &e.item.item)
        .find(|i| {
            let title = i.title.to_lowercase();
            title.contains("matters arising") || title.contains("action log")
        })
        .map(|i| i.id)
}

/// The actions agreed under an item, as the seeds' Item | Action table.
/// The papers an item was taken on, as the seeds list them:
/// "Appendix D1: Violence Reduction Unit".
fn papers(out: &mut String, papers: &[crate::minutes::document::PaperLine]) {
    if papers.is_empty() {
        return;
    }
    out.push_str("**Papers**\n\n");
    for p in papers {
        let label = p
            .label
            .as_deref()
            .map(|l| format!("{}: ", inline(l)))
            .unwrap_or_default();
        let withdrawn = if p.withdrawn { " (withdrawn)" } else { "" };
        out.push_str(&format!("- {label}{}{withdrawn}\n", inline(&p.title)));
    }
    out.push('\n');
}

fn actions_table(out: &mut String, heading: &str, actions: &[ActionView]) {
    if actions.is_empty() {
        return;
    }
    out.push_str(&format!(
        "{heading}\n\n| No | Action | Owner | Due |\n| --- | --- | --- | --- |\n"
    ));
    for a in actions {
        let due = a
            .action
            .due_text
            .clone()
            .or(a
                .action
                .due_date
                .map(|d| d.0.format("%-d %B %Y").to_string()))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            a.action.number,
            inline(&a.action.description),
            inline(&a.owner_initials()),
            inline(&due)
        ));
    }
    out.push('\n');
}

/// "Members considered the following outstanding actions from the action
/// log: (updates in bold)", then each action with its reference, item and
/// description in italics, and the updates reported at this meeting in bold.
fn matters_arising(out: &mut String, review: &MattersArising) {
    out.push_str(
        "*Action log*\n\nMembers considered the following outstanding actions from the action log: (updates in bold)\n\n",
    );
    let mut all: Vec<&ReviewedAction> = review
        .outstanding
        .iter()
        .chain(review.completed.iter())
        .collect();
    all.sort_by_key(|r| r.action.action.number);
    for reviewed in all {
        let a = &reviewed.action;
        let what = match &a.item_title {
            Some(title) => format!("{} - {}", inline(title), inline(&a.action.description)),
            None => inline(&a.action.description),
        };
        let owners = a.owner_initials();
        let owners = if owners.is_empty() {
            String::new()
        } else {
            format!(" ({})", inline(&owners))
        };
        out.push_str(&format!("{} *{}*{owners}\n\n", inline(&a.reference), what));
        if reviewed.updates.is_empty() {
            out.push_str(&format!("**{}.**\n\n", a.action.status.label()));
        }
        for update in &reviewed.updates {
            for paragraph in update
                .note
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                out.push_str(&format!("**{}**\n\n", inline(paragraph)));
            }
        }
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    if sanitise::is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;max-width:48rem;margin:2rem auto;\
padding:0 1rem;line-height:1.45;color:#111}h1{font-size:1.5rem}h2{font-size:1.15rem;\
border-bottom:1px solid #999;padding-bottom:.2rem;margin-top:1.6rem}ul{padding-left:1.2rem}\
hr{margin-top:2rem}@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}}";

/// The minutes as a standalone, printable HTML page.
pub fn html_page(doc: &MinutesDocument) -> String {
    let source = markdown(doc);
    // The Markdown has none left, but the page does not rely on it: raw HTML
    // becomes visible text, never markup, and links and images keep only web
    // and mail addresses (no `javascript:`).
    let events = Parser::new_ext(&source, sanitise::options()).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut body = String::with_capacity(source.len() * 2);
    html::push_html(&mut body, events);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>Minutes of the {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = escape_html(&doc.meeting.meeting.title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_local_time_follows_british_summer_time() {
        let november: DateTime<Utc> = "2019-11-18T15:00:00Z".parse().unwrap();
        assert_eq!(uk_date(november), "Monday 18 November 2019");
        assert_eq!(uk_time(november), "3.00pm");
        let august: DateTime<Utc> = "2019-08-22T12:30:00Z".parse().unwrap();
        assert_eq!(uk_time(august), "1.30pm");
    }

    #[test]
    fn only_web_and_mail_links_survive() {
        assert_eq!(&*safe_url("javascript:alert(1)".into()), "#");
        assert_eq!(&*safe_url(" JavaScript:alert(1)".into()), "#");
        assert_eq!(
            &*safe_url("https://example.org".into()),
            "https://example.org"
        );
        assert_eq!(&*safe_url("/v1/meetings".into()), "/v1/meetings");
    }

    #[test]
    fn sub_items_follow_their_parent_number() {
        assert!(sub_item_of(Some("2."), Some("2a")));
        assert!(sub_item_of(Some("4"), Some("4.1")));
        assert!(!sub_item_of(Some("7."), Some("7")));
        assert!(!sub_item_of(Some("2."), Some("3.")));
        assert!(!sub_item_of(None, Some("2a")));
        assert!(!sub_item_of(Some("1."), Some("12")));
    }

    #[test]
    fn names_cannot_inject_markdown() {
        assert_eq!(inline("Q&E *urgent* [x](y)"), "Q&E \\*urgent\\* \\[x\\](y)");
        assert!(!inline("Noted.\r\r## 4.3 Forged").contains('\r'));
    }
}
