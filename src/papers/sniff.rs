//! Which files a paper may be, told by their first bytes, never by their
//! name: PDF, Word, Excel and PowerPoint (OOXML), OpenDocument, plain text,
//! PNG and JPEG. The `Content-Type` a client sends must be what the bytes
//! are (415 otherwise): an executable called `report.pdf` is refused.

/// The types a paper may be, as `Content-Type` names them.
pub const ALLOWED: &[&str] = &[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain",
    "image/png",
    "image/jpeg",
];

/// How many of the first bytes are looked at.
pub const HEAD: usize = 64 * 1024;

/// The allowed type a `Content-Type` header names (parameters such as
/// `charset` aside), or why it is refused.
pub fn declared(header: Option<&str>) -> Result<&'static str, String> {
    let Some(header) = header else {
        return Err("send the paper's Content-Type (application/pdf, ...)".into());
    };
    let essence = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    ALLOWED
        .iter()
        .find(|t| **t == essence)
        .copied()
        .ok_or_else(|| {
            format!(
                "{essence} is not a type a paper may be: PDF, Word, Excel, PowerPoint, \
                 OpenDocument, plain text, PNG or JPEG"
            )
        })
}

/// What the first bytes are, if one of the allowed types. `complete` says
/// whether `head` is the whole file (a text cut mid-character is then not
/// text).
pub fn sniffed(head: &[u8], complete: bool) -> Option<&'static str> {
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        return ALLOWED.iter().find(|t| **t == mime).copied();
    }
    if head.is_empty() || head.contains(&0) {
        return None;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Some("text/plain"),
        // Cut in the middle of a character by the end of the head.
        Err(e) if e.error_len().is_none() && !complete => Some("text/plain"),
        Err(_) => None,
    }
}

/// Whether the bytes are what was declared: the reason they are not.
pub fn check(declared: &str, head: &[u8], complete: bool) -> Result<(), String> {
    match sniffed(head, complete) {
        Some(found) if found == declared => Ok(()),
        Some(found) => Err(format!(
            "the file is {found}, not the {declared} its Content-Type says"
        )),
        None => Err(format!(
            "the file is not {declared}, nor any type a paper may be"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_told_by_their_bytes() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";
        assert_eq!(check("application/pdf", pdf, true), Ok(()));
        let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";
        assert!(
            check("application/pdf", elf, true).is_err(),
            "an executable named .pdf"
        );
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(check("image/png", png, true), Ok(()));
        assert!(check("image/jpeg", png, true).is_err());
        assert_eq!(
            check("text/plain", "Minutes – draft".as_bytes(), true),
            Ok(())
        );
        assert!(check("text/plain", b"bin\0ary", true).is_err());
        // "é" cut after its first byte: text unless it is the whole file.
        assert_eq!(sniffed(b"caf\xc3", false), Some("text/plain"));
        assert_eq!(sniffed(b"caf\xc3", true), None);
        assert!(check("application/pdf", b"", true).is_err());
    }

    #[test]
    fn the_declared_type_is_read_without_its_parameters() {
        assert_eq!(
            declared(Some("text/plain; charset=utf-8")),
            Ok("text/plain")
        );
        assert_eq!(declared(Some("Application/PDF")), Ok("application/pdf"));
        assert!(declared(Some("application/x-msdownload")).is_err());
        assert!(declared(Some("text/html")).is_err());
        assert!(declared(None).is_err());
    }
}
