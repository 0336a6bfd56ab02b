//! Finding an address's mail servers, as Thunderbird does: Tern's provider table, the
//! domain's autoconfig documents, its mail exchangers, RFC 6186 SRV records, and guessed
//! host names checked with a real TLS handshake. The decisions (`plan`, `autoconfig`, `srv`,
//! `providers`, `address`) are pure; `dns`, `http` and `probe` only ask the network, and
//! `search` runs the steps at once within a deadline.

mod address;
mod autoconfig;
mod dns;
mod http;
mod plan;
mod probe;
mod providers;
mod race;
mod search;
mod srv;
mod types;

pub use address::{base_domain, is_host_name, split_address};
pub use autoconfig::{document_urls, parse as parse_autoconfig, Config as AutoconfigDocument};
pub use providers::{provider_for, provider_for_domain, provider_for_mx, Provider, PROVIDERS};
pub use search::{discover, DiscoverError, DiscoverOptions};
pub use types::{Attempt, Discovery, Found, Issuer, Security, Server, SignIn, Source};
