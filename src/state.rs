//! State shared by every request, below the resources and the HTTP
//! mechanisms so that they can all use it without depending on the file that
//! assembles the application.

use crate::db::DbPool;

pub struct AppState {
    pub pool: DbPool,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
}
