//! A faithful simulator of Confluence Cloud and Data Center and of the Atlassian authorization servers, for
//! tests, benchmarks and `confluence-sql --demo`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), confluence_sim::SimError> {
//! use confluence_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::cloud()).await?;
//! println!("Confluence Cloud at {} ({})", sim.base_url(), sim.info().connection_string);
//! // ... run a client against it, then:
//! assert!(sim.counters().get("GET /wiki/api/v2/pages") <= 10);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! What it serves (see each module): Cloud REST v2 under `/wiki/api/v2` ([`api::v2`]), Cloud REST v1 under
//! `/wiki/rest/api` ([`api::v1`]), both also behind the API gateway at `/ex/confluence/{cloudid}/wiki/...` for OAuth
//! tokens; Data Center REST under `/rest/api` ([`api::dc`]); Atlassian's 3LO server ([`oauth::cloud`]) and Data
//! Center's OAuth 2.0 provider ([`oauth::dc`]); CQL ([`cql`]); control endpoints under `/__sim/` ([`control`]).
//! The data set is generated on demand from a seed ([`dataset`]), so a million pages start instantly.

#![deny(missing_docs)]

pub mod api;
mod auth;
pub mod config;
pub mod control;
pub mod cql;
pub mod dataset;
mod errors;
pub mod faults;
mod hash;
pub mod hostile;
pub mod metrics;
pub mod oauth;
mod pagination;
mod params;
mod search;
mod server;
mod state;
pub mod store;

pub use config::{Credentials, OAuthClient, OAuthConfig, SimConfig, SimDeployment};
pub use dataset::size::DatasetSize;
pub use dataset::Dataset;
pub use faults::FaultRule;
pub use metrics::{Counters, RequestRecord};
pub use server::{SimError, SimHandle, SimInfo, Simulator};
pub use store::{ContentUpdate, Store};
