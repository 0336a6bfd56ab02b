//! Reading mail: bodies fetched with BODY.PEEK[] (never setting \Seen) on open or by the
//! prefetcher, kept in the cache for offline reading within a size budget, decoded and made
//! safe by mail-message; attachments saved; list pages, threads and local full-text search.

mod bodies;
mod listing;
mod open;
mod partial;
mod prefetch;
mod previews;
mod render;
mod service;
mod snapshot;
mod threads;

pub use listing::MessagePage;
pub use open::OpenedMessage;
pub use prefetch::PrefetchReport;
pub use render::render;
pub(crate) use service::Reading;
pub use service::Searched;
pub use snapshot::{FolderState, Snapshot};
pub use threads::{conversations, Conversation};
