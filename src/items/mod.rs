//! Agenda items of a meeting with their minutes text (Markdown), and the
//! decisions taken on each. Confidential items are redacted for viewers and
//! every time their content is shown to anyone else, the read is audited.

pub mod model;
pub mod routes;
pub mod rules;

pub use model::{AgendaItem, ItemView};
