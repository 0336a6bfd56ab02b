//! Running sync plans on a connection: the initial sync and the three delta strategies, and
//! the service that runs a folder's fallback chain on the request connection.

mod check;
mod delta;
mod initial;
mod report;
mod service;

pub use check::CheckReport;
pub use report::{NewMessage, SyncReport};
pub(crate) use service::{Depth, FolderSync};
