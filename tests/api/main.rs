mod clients;
mod helpers;
mod mechanisms;
mod openapi_drift;
mod resilience;
mod resources;
