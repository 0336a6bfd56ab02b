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
    /// Add, list, edit or remove accounts.
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
        /// Afterwards, keep bodies for offline reading as POLICY says, this once: `none`,
        /// `days:N` (the last N days of every synced folder) or `all` (default: the
        /// account's policy, see `tern account offline`).
        #[arg(long, value_name = "POLICY", value_parser = parse_offline_policy)]
        bodies: Option<mail_sync::OfflinePolicy>,
        /// Afterwards, fetch the bodies of INBOX messages from the last DAYS days for offline
        /// reading, instead of following the account's policy (0: none).
        #[arg(long, value_name = "DAYS", conflicts_with = "bodies")]
        prefetch_days: Option<u32>,
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
        /// IMAP connections to use at most, the one for requests included: the first
        /// folders get IDLE (one connection each), the rest are checked by STATUS
        /// (default: the account's setting, 4 unless `tern account connections` changed it).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        connections: Option<u16>,
        /// How often folders without a connection of their own are checked, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        check_every: u64,
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
        /// Index every message that waits first (a search otherwise indexes for under a
        /// second, answers from what is indexed and says so on stderr).
        #[arg(long)]
        wait: bool,
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
    /// The cache itself (`tern cache rebuild` when it is damaged or from a newer Tern).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Changes made here that wait for the server (offline, or not sent yet).
    Pending {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a message: written to the outbox first (it survives a crash or a missing
    /// network), then sent now when the SMTP server is reachable, else retried later (by
    /// `tern outbox --flush`, `tern watch` or the app). Exits non-zero when the server
    /// refuses it for good.
    Send(SendArgs),
    /// The outbox: messages waiting to be sent, refused, or sent (with their Sent copy).
    Outbox {
        /// Send everything waiting now (ignoring the retry schedule).
        #[arg(long, conflicts_with_all = ["retry", "discard"])]
        flush: bool,
        /// Queue a refused or maybe-sent message again (its id from `tern outbox`).
        #[arg(long, value_name = "ID", conflicts_with = "discard")]
        retry: Option<i64>,
        /// Remove a message that is not being sent.
        #[arg(long, value_name = "ID")]
        discard: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A folder's newest messages, from the cache only (works offline); with --unified,
    /// every account's INBOX merged.
    List {
        #[arg(long, value_name = "NAME", required_unless_present = "unified")]
        folder: Option<String>,
        /// Every account's INBOX merged, newest first (each row names its account).
        #[arg(long, conflicts_with = "folder")]
        unified: bool,
        /// How many messages.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `tern send`'s message.
#[derive(Debug, ClapArgs)]
pub struct SendArgs {
    /// Recipients (repeatable; each may hold several, comma-separated: `Name <a@b>, c@d`).
    #[arg(long, value_name = "ADDR")]
    pub to: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub cc: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub bcc: Vec<String>,
    #[arg(long, default_value = "")]
    pub subject: String,
    /// The plain-text body from a file (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// An HTML version of the body from a file (sent as an alternative to the text).
    #[arg(long, value_name = "FILE")]
    pub html_file: Option<PathBuf>,
    /// Attach a file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Reply to this message (with --folder): recipients, Re: subject, threading headers
    /// and the quoted text come from it; --to/--cc add to them; the body goes above the quote.
    #[arg(
        long,
        value_name = "U",
        requires = "folder",
        conflicts_with = "forward_uid"
    )]
    pub reply_uid: Option<u64>,
    /// With --reply-uid: reply to everyone (To and Cc of the original, without you).
    #[arg(long, requires = "reply_uid")]
    pub all: bool,
    /// Forward this message (with --folder): its text inline, its attachments attached.
    #[arg(long, value_name = "U", requires = "folder")]
    pub forward_uid: Option<u64>,
    /// Fill the message from a `mailto:` link (RFC 6068): its recipients, subject, body and
    /// In-Reply-To. Anything else the link holds (`attach=`, `from=`, other headers) is
    /// ignored. --to/--cc/--bcc add to its recipients; --subject and --body-file replace its own.
    #[arg(long, value_name = "URI", conflicts_with_all = ["reply_uid", "forward_uid"])]
    pub mailto: Option<String>,
    /// Leave the account's signature out.
    #[arg(long)]
    pub no_signature: bool,
    /// The folder of --reply-uid / --forward-uid.
    #[arg(long, value_name = "NAME")]
    pub folder: Option<String>,
    /// Only write it to the outbox; do not try to send now.
    #[arg(long)]
    pub queue_only: bool,
    /// Print JSON (`id`, `message_id`, `state`, `error`, `ms`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Read the whole cache and check it is sound (damage a command never reads goes
    /// unnoticed until then); exits 1 with what to do when it is not.
    Check,
    /// Rebuild the cache from the server: what only exists here (accounts, queued changes,
    /// the outbox, drafts) is saved to a file first and kept; the old cache is set aside,
    /// never deleted; then every account is synced again (offline: at the next sync).
    Rebuild {
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
    /// Set the account's SMTP (sending) server and the name shown in From.
    Smtp(AccountSmtp),
    /// Set the signature put under new messages and above quotes in replies.
    Signature(AccountSignature),
    /// Set the most IMAP connections Tern holds for the account at once, the one for
    /// requests included (default 4; Gmail allows 15 and Dovecot 10 for all of the person's
    /// clients together). Folders beyond it are checked instead of watched.
    Connections {
        /// How many, 1 to 64.
        #[arg(value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        most: u16,
    },
    /// Set which message bodies the account keeps for offline reading: `none` (headers
    /// only; bodies come when opened), `days:N` (the last N days of every folder; the
    /// default is days:90) or `all`. `tern sync`, `tern watch` and the app follow it.
    Offline {
        /// none, days:N or all.
        #[arg(value_name = "POLICY", value_parser = parse_offline_policy)]
        policy: mail_sync::OfflinePolicy,
        /// Messages larger than this many MiB keep their text offline; their attachments
        /// are fetched when saved (default: the account's setting, 2 MiB at first).
        #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        max_size: Option<u32>,
    },
    /// Sign in again (an OAuth2 account whose sign-in expired or was withdrawn).
    Signin {
        /// The account's address.
        email: String,
        /// Sign in with a code entered on another device instead of this machine's browser.
        #[arg(long)]
        device_code: bool,
    },
    /// Find an address's servers (the provider table, autoconfig, MX, SRV, guesses) and
    /// say where from and what was tried; sends no password anywhere.
    Discover {
        /// The address.
        email: String,
        /// Extra CA certificate(s) (PEM) to trust for autoconfig documents and guesses.
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
        /// Also look for autoconfig documents over plain http.
        #[arg(long)]
        allow_http: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account: its cached mail, drafts, queued changes and keyring entry. With
    /// changes not yet on the server or unsent mail, it refuses and names them (--force
    /// removes anyway).
    Remove {
        /// The account's address.
        email: String,
        /// Remove even with changes or mail that exist only here.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, ClapArgs)]
#[group(required = true, multiple = false)]
pub struct AccountSignature {
    /// The signature's text (`\n` for a line break is not interpreted: use --file for
    /// several lines).
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
    /// Read the signature from a file (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// No signature.
    #[arg(long)]
    pub none: bool,
}

#[derive(Debug, ClapArgs)]
pub struct AccountSmtp {
    #[arg(long, value_name = "HOST")]
    pub host: String,
    /// Default: 465 for tls, 587 for starttls, 25 for plain.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    #[arg(long, value_enum, default_value_t = SecurityArg::Starttls)]
    pub security: SecurityArg,
    /// Login name (default: the account's IMAP user name).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The server files sent mail in Sent itself (Gmail, Outlook): Tern does not append a copy.
    #[arg(long)]
    pub server_saves_sent: bool,
    /// Allow plaintext SMTP to a host that is not a loopback address.
    #[arg(long)]
    pub allow_plaintext: bool,
    /// The name shown in From.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct AccountAdd {
    #[arg(long, value_name = "ADDR")]
    pub email: String,
    /// The IMAP server; without it, the servers are found from the address (the provider
    /// table, autoconfig, MX, SRV, guesses) and shown before any password is sent.
    #[arg(long, value_name = "HOST")]
    pub imap_host: Option<String>,
    #[arg(long, value_name = "PORT", requires = "imap_host")]
    pub imap_port: Option<u16>,
    /// Default: tls.
    #[arg(long, value_enum, requires = "imap_host")]
    pub security: Option<SecurityArg>,
    /// Use the servers found from the address without asking.
    #[arg(long, conflicts_with = "imap_host")]
    pub yes: bool,
    /// Also look for autoconfig documents over plain http (their settings are shown, never
    /// used with a password).
    #[arg(long, conflicts_with = "imap_host")]
    pub allow_http: bool,
    /// Login name (default: the email address).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Extra CA certificate(s) (PEM) to trust: a private CA, or the server's own self-signed certificate.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Read the password from this environment variable at each run; it is stored nowhere.
    #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
    pub password_env: Option<String>,
    /// Read the password from standard input and store it in the OS keyring.
    #[arg(long)]
    pub password_stdin: bool,
    /// Sign in with OAuth2 at this issuer instead of a password: `google`, `microsoft`, or an
    /// RFC 8414 issuer URL (with --oauth2-client-id). Found by itself for providers that need
    /// it when the servers are found from the address.
    #[arg(long, value_name = "ISSUER", conflicts_with_all = ["password_env", "password_stdin"])]
    pub oauth2_issuer: Option<String>,
    /// The client ID registered at a custom OAuth2 issuer.
    #[arg(long, value_name = "ID", requires = "oauth2_issuer")]
    pub oauth2_client_id: Option<String>,
    /// Sign in with a code entered on another device (RFC 8628) instead of this machine's
    /// browser.
    #[arg(long)]
    pub device_code: bool,
    /// Allow plaintext IMAP to a host that is not a loopback address (the password crosses the network unencrypted).
    #[arg(long)]
    pub allow_plaintext: bool,
    /// Save without first logging in to check the settings.
    #[arg(long)]
    pub no_verify: bool,
    /// The name shown in From of mail you send.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// SMTP (sending) server; default: the provider's, for well-known domains.
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// Default: 465 for tls, 587 for starttls, 25 for plain.
    #[arg(long, value_name = "PORT", requires = "smtp_host")]
    pub smtp_port: Option<u16>,
    #[arg(long, value_enum, default_value_t = SecurityArg::Starttls, requires = "smtp_host")]
    pub smtp_security: SecurityArg,
    /// SMTP login name (default: the IMAP user name).
    #[arg(long, value_name = "NAME", requires = "smtp_host")]
    pub smtp_user: Option<String>,
    /// The SMTP server files sent mail in Sent itself (no copy appended by Tern).
    #[arg(long, requires = "smtp_host")]
    pub server_saves_sent: bool,
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

/// Reads an offline policy: `none`, `days:N` or `all`.
pub fn parse_offline_policy(text: &str) -> Result<mail_sync::OfflinePolicy, String> {
    text.parse()
}
