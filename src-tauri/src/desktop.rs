//! Tern's place in the desktop session (freedesktop.org specifications): the autostart entry
//! that starts it hidden in the tray at login, and the desktop's handler of `mailto:` links
//! (`xdg-mime`). The entries and every choice are pure functions; `set_autostart` and
//! `make_default_mail_app` only write the files and run the programs.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The autostart entry's name under `$XDG_CONFIG_HOME/autostart/`.
pub const AUTOSTART_FILE: &str = "tern-app.desktop";
/// The packages' desktop entry (scripts/package.sh).
pub const PACKAGED_ENTRY: &str = "Tern.desktop";
/// The entry a build run from elsewhere (a checkout, another profile) writes for itself.
pub const OWN_ENTRY: &str = "org.tern.app.desktop";
/// Where the packages install the app.
pub const PACKAGED_APP: &str = "/usr/bin/tern-app";
const MAILTO: &str = "x-scheme-handler/mailto";

/// The XDG base directories this process sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xdg {
    pub config_home: PathBuf,
    pub data_home: PathBuf,
    pub data_dirs: Vec<PathBuf>,
}

impl Xdg {
    /// From the environment, with the specification's defaults; `None` without a home.
    pub fn from_env() -> Option<Xdg> {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let home = var("HOME").map(PathBuf::from)?;
        Some(Xdg {
            config_home: var("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from),
            data_home: var("XDG_DATA_HOME")
                .map_or_else(|| home.join(".local/share"), PathBuf::from),
            data_dirs: var("XDG_DATA_DIRS")
                .map(|dirs| std::env::split_paths(&dirs).collect())
                .unwrap_or_else(|| vec!["/usr/local/share".into(), "/usr/share".into()]),
        })
    }

    pub fn autostart_file(&self) -> PathBuf {
        self.config_home.join("autostart").join(AUTOSTART_FILE)
    }

    fn own_entry_file(&self) -> PathBuf {
        self.data_home.join("applications").join(OWN_ENTRY)
    }

    /// Whether the packages' entry is installed (in the data home or any data directory).
    fn packaged_entry_installed(&self) -> bool {
        std::iter::once(&self.data_home)
            .chain(&self.data_dirs)
            .any(|dir| dir.join("applications").join(PACKAGED_ENTRY).is_file())
    }
}

/// One argument of an `Exec` line, quoted where the Desktop Entry specification asks:
/// inside double quotes `"`, `` ` ``, `$` and `\` are escaped; `%` is doubled everywhere.
pub fn exec_arg(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c));
    if plain {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

fn exec_line(exe: &Path, data_dir: &Path, rest: &str) -> String {
    format!(
        "{} --data-dir {} {rest}",
        exec_arg(&exe.to_string_lossy()),
        exec_arg(&data_dir.to_string_lossy())
    )
}

/// The autostart entry: this app on this profile, hidden in the tray.
pub fn autostart_entry(exe: &Path, data_dir: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Tern\n\
         Comment=Keeps your mail current in the tray from the moment you log in\n\
         Exec={}\nIcon=tern-app\nTerminal=false\nNoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n",
        exec_line(exe, data_dir, "--hidden")
    )
}

/// The entry a build outside the packages writes so the desktop can hand it `mailto:` links.
pub fn own_handler_entry(exe: &Path, data_dir: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Tern\nGenericName=Mail Client\n\
         Exec={}\nIcon=tern-app\nTerminal=false\nNoDisplay=true\n\
         Categories=Network;Email;\nMimeType={MAILTO};\n",
        exec_line(exe, data_dir, "%u")
    )
}

/// Which entry to name as the `mailto:` handler: the packages' own when this is the packaged
/// app on the default profile (what that entry starts), else one written for this build.
pub fn handler_entry_for(
    packaged_installed: bool,
    packaged_app: bool,
    default_profile: bool,
) -> &'static str {
    if packaged_installed && packaged_app && default_profile {
        PACKAGED_ENTRY
    } else {
        OWN_ENTRY
    }
}

/// Whether the desktop hands `mailto:` links to Tern now (one of its entries is the default).
pub fn is_default_mail_app() -> bool {
    std::process::Command::new("xdg-mime")
        .args(["query", "default", MAILTO])
        .output()
        .map(|out| {
            let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
            id == PACKAGED_ENTRY || id == OWN_ENTRY
        })
        .unwrap_or(false)
}

/// Turns starting at login on (writes the entry) or off (removes it).
pub fn set_autostart(xdg: &Xdg, on: bool, exe: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let path = xdg.autostart_file();
    if !on {
        return match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("Removing {}", path.display()))
            }
            _ => Ok(()),
        };
    }
    write_entry(&path, &autostart_entry(exe, data_dir))
}

fn write_entry(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("Creating {}", dir.display()))?;
    }
    let temporary = path.with_extension("desktop.tmp");
    std::fs::write(&temporary, text).with_context(|| format!("Writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("Writing {}", path.display()))
}

/// Makes Tern the desktop's mail app (`xdg-mime default … x-scheme-handler/mailto`) and says
/// what the desktop answers now.
pub fn make_default_mail_app(
    xdg: &Xdg,
    exe: &Path,
    data_dir: &Path,
    default_profile: bool,
) -> anyhow::Result<String> {
    let id = handler_entry_for(
        xdg.packaged_entry_installed(),
        exe == Path::new(PACKAGED_APP),
        default_profile,
    );
    if id == OWN_ENTRY {
        let path = xdg.own_entry_file();
        write_entry(&path, &own_handler_entry(exe, data_dir))?;
        // Refreshes the desktop's cache of handlers where the tool is there (not required).
        if let Some(dir) = path.parent() {
            let _ = std::process::Command::new("update-desktop-database")
                .arg(dir)
                .output();
        }
    }
    let set = std::process::Command::new("xdg-mime")
        .args(["default", id, MAILTO])
        .output()
        .context("Running xdg-mime (install xdg-utils)")?;
    if !set.status.success() {
        anyhow::bail!(
            "xdg-mime could not make {id} the mail app: {}",
            String::from_utf8_lossy(&set.stderr).trim()
        );
    }
    if !is_default_mail_app() {
        anyhow::bail!("The desktop still hands mailto: links to another program");
    }
    Ok(format!("Tern now opens mailto: links ({id})."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_arguments_are_quoted_as_the_spec_says() {
        assert_eq!(exec_arg("/usr/bin/tern-app"), "/usr/bin/tern-app");
        assert_eq!(exec_arg("/home/a b/tern"), "\"/home/a b/tern\"");
        assert_eq!(exec_arg("/x/$HOME\"`\\"), "\"/x/\\$HOME\\\"\\`\\\\\"");
        assert_eq!(exec_arg("100%"), "\"100%%\"");
        assert_eq!(exec_arg(""), "\"\"");
    }

    #[test]
    fn the_autostart_entry_starts_this_profile_hidden() {
        let entry = autostart_entry(Path::new("/opt/my apps/tern-app"), Path::new("/data/tern"));
        assert!(entry.starts_with("[Desktop Entry]\n"), "{entry}");
        assert!(
            entry.contains("\nExec=\"/opt/my apps/tern-app\" --data-dir /data/tern --hidden\n"),
            "{entry}"
        );
        assert!(entry.contains("\nType=Application\n"), "{entry}");
    }

    #[test]
    fn the_own_handler_entry_takes_the_link() {
        let entry = own_handler_entry(Path::new("/src/tern-app"), Path::new("/d"));
        assert!(
            entry.contains("\nExec=/src/tern-app --data-dir /d %u\n"),
            "{entry}"
        );
        assert!(
            entry.contains("\nMimeType=x-scheme-handler/mailto;\n"),
            "{entry}"
        );
    }

    #[test]
    fn the_packaged_entry_is_named_only_for_what_it_starts() {
        assert_eq!(handler_entry_for(true, true, true), PACKAGED_ENTRY);
        assert_eq!(handler_entry_for(false, true, true), OWN_ENTRY);
        assert_eq!(handler_entry_for(true, false, true), OWN_ENTRY);
        assert_eq!(handler_entry_for(true, true, false), OWN_ENTRY);
    }

    #[test]
    fn autostart_is_written_and_removed() {
        let home = tempfile::tempdir().expect("dir");
        let xdg = Xdg {
            config_home: home.path().join("config"),
            data_home: home.path().join("share"),
            data_dirs: vec![],
        };
        set_autostart(&xdg, true, Path::new("/bin/tern-app"), Path::new("/d")).expect("on");
        let written = std::fs::read_to_string(xdg.autostart_file()).expect("entry");
        assert!(written.contains("--hidden"), "{written}");
        set_autostart(&xdg, false, Path::new("/bin/tern-app"), Path::new("/d")).expect("off");
        assert!(!xdg.autostart_file().exists());
        // Off when already off is no error.
        set_autostart(&xdg, false, Path::new("/bin/tern-app"), Path::new("/d")).expect("off");
    }
}
