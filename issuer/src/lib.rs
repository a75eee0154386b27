//! `tollgate-issuer`: a minimal OAuth 2.0 authorization server for the client-credentials grant
//! (RFC 6749 §4.4) issuing JWT access tokens (RFC 9068), with its JWKS (RFC 7517) and metadata
//! (RFC 8414). For tests, demos and small deployments; the `tollgate` command wraps it.
#![forbid(unsafe_code)]

pub mod config;
mod conn;
pub mod endpoint;
pub mod explain;
pub mod form;
pub mod gate;
pub mod keys;
pub mod peer;
pub mod secrets;
pub mod server;
pub mod token;

pub use config::{Config, ConfigError};
pub use server::{Issuer, Running, serve};
