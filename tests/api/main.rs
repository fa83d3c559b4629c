mod clients;
mod helpers;
mod mechanisms;
mod openapi_drift;
mod problems;
mod resilience;
mod resources;
mod tokens;
