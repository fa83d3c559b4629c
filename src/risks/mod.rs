//! The risk register: numbered risks scored by likelihood and impact
//! (`/v1/partnerships/{id}/risks`, `/v1/risks/{id}`), rated by the
//! partnership's bands (`/v1/partnerships/{id}/risk-scoring`), every
//! re-scoring a dated assessment with its trend (`/v1/risks/{id}/assessments`),
//! mitigated by actions of the log, escalated onto a group's next agenda
//! (`/v1/risks/{id}/escalations`), and shown as a heat map and as CSV.
//! Numbers come from the partnership's counter: sequential, gap-free.

pub mod assessments;
pub mod csv;
pub mod escalations;
pub mod list;
pub mod mitigations;
pub mod model;
pub mod routes;
pub mod rules;
pub mod scoring;
pub mod view;

pub use model::Risk;
pub use view::RiskView;
