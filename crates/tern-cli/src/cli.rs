//! Command-line syntax (clap). Names here are a public interface: extend, never rename.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "tern",
    version,
    about = "Tern: an offline-first mail client (command line)"
)]
pub struct Args {
    /// Where the cache and settings live (default: the OS data directory).
    #[arg(long, global = true, env = "TERN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The account to use when there is more than one.
    #[arg(long, global = true, value_name = "EMAIL")]
    pub account: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add or list accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The account's folders with role, total and unread counts (from the cache).
    Folders {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring folders up to date with the server (initial or delta sync).
    Sync {
        /// A folder to sync (repeatable; default: every folder).
        #[arg(long = "folder", value_name = "NAME")]
        folders: Vec<String>,
        /// Force a strategy (degraded to what the server supports); `initial` refetches.
        #[arg(long, value_enum)]
        strategy: Option<StrategyArg>,
        /// Afterwards, fetch the bodies of INBOX messages from the last DAYS days for offline
        /// reading (0: none).
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        prefetch_days: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Watch folders for changes (IMAP IDLE) and print each event until interrupted.
    Watch {
        /// A folder to watch (repeatable; default: INBOX).
        #[arg(long = "folder", value_name = "NAME")]
        folders: Vec<String>,
        /// Print one JSON object per line per event.
        #[arg(long)]
        json: bool,
    },
    /// Mark messages read (at once in the cache; sent to the server now or when it is back).
    MarkRead(ActionArgs),
    /// Mark messages unread.
    MarkUnread(ActionArgs),
    /// Flag messages (star).
    Flag(ActionArgs),
    /// Remove the flag (star).
    Unflag(ActionArgs),
    /// Move messages to the account's Archive folder.
    Archive(ActionArgs),
    /// Move messages to Trash; in Trash, delete them for good.
    Delete(ActionArgs),
    /// Move messages to another folder.
    Move {
        #[command(flatten)]
        messages: ActionArgs,
        /// The folder to move them to.
        #[arg(long, value_name = "NAME")]
        to: String,
    },
    /// Show a message: headers, body (HTML made safe), attachments. Fetches the body when it
    /// is not cached (without marking the message read).
    Show {
        #[arg(long, value_name = "NAME")]
        folder: String,
        #[arg(long, value_name = "U")]
        uid: u64,
        /// Print JSON (`subject`, `from`, `to`, `cc`, `date`, `text`, `html`, `attachments`, `remote_blocked`, ...).
        #[arg(long, conflicts_with_all = ["text", "html"])]
        json: bool,
        /// Print only the plain-text body.
        #[arg(long, conflicts_with = "html")]
        text: bool,
        /// Print only the sanitized HTML body.
        #[arg(long)]
        html: bool,
        /// Let remote images and other remote content load (blocked by default: tracking).
        #[arg(long)]
        allow_remote: bool,
    },
    /// Save an attachment (decoded) to a file or into a directory.
    SaveAttachment {
        #[arg(long, value_name = "NAME")]
        folder: String,
        #[arg(long, value_name = "U")]
        uid: u64,
        /// Which attachment (0 is the first; `tern show` lists them).
        #[arg(long, value_name = "I")]
        index: usize,
        /// A file to create, or a directory to save into under the attachment's name.
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        overwrite: bool,
    },
    /// Search the cached messages (works offline): every word must match, the last as a prefix.
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON (the objects of `tern list`, plus `folder`).
        #[arg(long)]
        json: bool,
    },
    /// Conversations with messages in a folder (messages from every folder), newest first;
    /// from the cache only.
    Threads {
        #[arg(long, value_name = "NAME")]
        folder: String,
        /// At most this many conversations.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Which senders' messages may load remote images when shown (blocked by default).
    #[command(subcommand)]
    RemoteImages(RemoteImagesCommand),
    /// Changes made here that wait for the server (offline, or not sent yet).
    Pending {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A folder's newest messages, from the cache only (works offline).
    List {
        #[arg(long, value_name = "NAME")]
        folder: String,
        /// How many messages.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RemoteImagesCommand {
    /// Always load remote images in messages from this address.
    Allow { address: String },
    /// Block them again (the default).
    Block { address: String },
    /// The addresses allowed.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// Which messages an action is for.
#[derive(Debug, ClapArgs)]
pub struct ActionArgs {
    /// The folder the messages are in.
    #[arg(long, value_name = "NAME")]
    pub folder: String,
    /// UIDs: comma-separated, ranges allowed (`3,5,10:12`). `tern list` shows them.
    #[arg(long = "uid", value_name = "U[,U...]", value_parser = parse_uids, required = true)]
    pub uids: Vec<Vec<u64>>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl ActionArgs {
    pub fn uid_list(&self) -> Vec<u64> {
        let mut uids: Vec<u64> = self.uids.iter().flatten().copied().collect();
        uids.sort_unstable();
        uids.dedup();
        uids
    }
}

/// Parses `3,5,10:12` (at most 100,000 UIDs).
fn parse_uids(text: &str) -> Result<Vec<u64>, String> {
    let mut uids = Vec::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let number = |text: &str| {
            text.parse::<u64>()
                .ok()
                .filter(|uid| *uid > 0)
                .ok_or_else(|| format!("{text:?} is not a UID (a positive number)"))
        };
        match part.split_once(':') {
            Some((low, high)) => {
                let (low, high) = (number(low)?, number(high)?);
                let (low, high) = (low.min(high), low.max(high));
                if high - low >= 100_000 {
                    return Err(format!("{part}: too many UIDs at once"));
                }
                uids.extend(low..=high);
            }
            None => uids.push(number(part)?),
        }
    }
    if uids.is_empty() {
        return Err("no UID given".into());
    }
    Ok(uids)
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Store an account; the password goes to the OS keyring (or is read from a variable).
    Add(AccountAdd),
    /// The configured accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, ClapArgs)]
pub struct AccountAdd {
    #[arg(long, value_name = "ADDR")]
    pub email: String,
    #[arg(long, value_name = "HOST")]
    pub imap_host: String,
    #[arg(long, value_name = "PORT")]
    pub imap_port: Option<u16>,
    #[arg(long, value_enum, default_value_t = SecurityArg::Tls)]
    pub security: SecurityArg,
    /// Login name (default: the email address).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Extra CA certificate(s) (PEM) to trust: a private CA, or the server's own self-signed certificate.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Read the password from this environment variable at each run; it is stored nowhere.
    #[arg(
        long,
        value_name = "VAR",
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    pub password_env: Option<String>,
    /// Read the password from standard input and store it in the OS keyring.
    #[arg(long)]
    pub password_stdin: bool,
    /// Allow plaintext IMAP to a host that is not a loopback address (the password crosses the network unencrypted).
    #[arg(long)]
    pub allow_plaintext: bool,
    /// Save without first logging in to check the settings.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SecurityArg {
    Tls,
    Starttls,
    Plain,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    Initial,
    Qresync,
    Condstore,
    UidFlags,
}
