//! Reading a password typed or piped into the CLI (the keyring side lives in tern-profile).

use anyhow::Context;
use mail_engine::Password;

/// Reads one line (the password) from standard input.
pub fn read_password_stdin() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("Reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!("No password on standard input");
    }
    Ok(Password::new(password))
}
