//! Who is calling, and what they may do. Every `/v1` handler but the public
//! ones takes a [`Principal`]; role checks go through [`Principal::require`].

pub mod extract;
pub mod issuers;
pub mod keys;
pub mod principal;
pub mod tenant;
pub mod token;

pub use extract::authenticate;
pub use principal::{Access, ClientToken, Principal, Role};
pub use tenant::Tenant;
pub use token::{Claims, TokenKeys};
