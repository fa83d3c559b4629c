//! The action log: numbered actions agreed at meetings
//! (`/v1/partnerships/{id}/actions`, `/v1/actions/{id}`), their dated
//! updates (`/v1/actions/{id}/updates`), and the matters arising a meeting
//! reviews (`/v1/meetings/{id}/matters-arising`). Numbers come from the
//! partnership's counter: sequential, never reused, gap-free.

pub mod arising;
pub mod csv;
pub mod list;
pub mod model;
pub mod numbers;
pub mod owners;
pub mod routes;
pub mod rules;
pub mod updates;
pub mod view;

pub use model::Action;
pub use view::ActionView;
