//! Budgets: one per partnership per UK financial year
//! (`/v1/partnerships/{id}/budgets`, `/v1/budgets/{id}`), the partners'
//! contributions to it, its income and expenditure lines, the transactions
//! booked on them, and its summary to the penny: planned, committed and
//! paid, variance, and the reserve from opening to closing against its
//! target, year by year. Money is integer pence throughout; a closed year
//! is locked and corrected by reversing entries.

pub mod contributions;
pub mod csv;
pub mod figures;
pub mod ledger_routes;
pub mod lifecycle;
pub mod lines;
pub mod model;
pub mod money;
pub mod routes;
pub mod rules;
pub mod summary;
pub mod transactions;

pub use model::Budget;
