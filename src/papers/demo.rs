//! `demo`: each Nottinghamshire appendix ("Violence Reduction Unit (Appendix
//! D1)") gets a small generated PDF, as the partnership circulated them.

use super::model::{self, Described};
use super::storage::PaperStore;
use crate::auth::Principal;
use crate::db::counter::Scope;
use crate::db::{self, DbConnection, Id, Tx, UtcTime};
use crate::error::ApiError;

/// "Violence Reduction Unit (Appendix D1)" as its label and title.
pub fn appendix(title: &str) -> Option<(String, String)> {
    let start = title.rfind(" (Appendix ")?;
    let label = title[start + 2..].strip_suffix(')')?;
    Some((label.to_owned(), title[..start].trim().to_owned()))
}

/// A one-page PDF with `lines` of text (Helvetica), its cross-reference
/// table at the right offsets.
pub fn pdf(lines: &[&str]) -> Vec<u8> {
    let escape = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    };
    let mut text = String::from("BT /F1 14 Tf 72 770 Td 18 TL\n");
    for line in lines {
        text.push_str(&format!("({}) Tj T*\n", escape(line)));
    }
    text.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

/// Attaches a generated PDF to each item of `meeting_id` whose title names
/// an appendix; answers how many.
pub fn attach_appendices(
    conn: &mut DbConnection,
    store: &PaperStore,
    runtime: &tokio::runtime::Runtime,
    actor: &Principal,
    meeting_id: Id,
    now: UtcTime,
) -> Result<usize, ApiError> {
    let meeting = crate::meetings::model::find_any(conn, meeting_id)?;
    let mut attached = 0;
    for item in crate::items::model::all(conn, meeting_id)? {
        let Some((label, title)) = appendix(&item.title) else {
            continue;
        };
        let bytes = pdf(&[&meeting.title, &format!("{label}: {title}")]);
        let stored = runtime.block_on(store.put(&bytes))?;
        db::transaction(conn, |conn| {
            let mut tx = Tx::hold(conn, Scope::Partnership(meeting.partnership_id), now)?;
            let described = Described {
                file_name: format!("{label}.pdf"),
                label: Some(label.clone()),
                title: title.clone(),
            };
            model::create(
                &mut tx,
                actor,
                &meeting,
                &item,
                described,
                "application/pdf",
                &stored,
            )
        })?;
        attached += 1;
    }
    Ok(attached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendices_are_read_from_titles_and_made_into_pdfs() {
        assert_eq!(
            appendix("Violence Reduction Unit (Appendix D1)"),
            Some(("Appendix D1".into(), "Violence Reduction Unit".into()))
        );
        assert_eq!(appendix("Risk Log"), None);
        let bytes = pdf(&["Learning from 'Early Adopters' (F)"]);
        assert_eq!(
            super::super::sniff::sniffed(&bytes, true),
            Some("application/pdf")
        );
        let text = String::from_utf8(bytes).unwrap();
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            text[xref..].starts_with("xref\n"),
            "the trailer points at the table"
        );
        assert!(text.contains("(Learning from 'Early Adopters' \\(F\\)) Tj"));
    }
}
