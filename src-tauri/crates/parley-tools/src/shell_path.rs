//! The `PATH` a server would see from the user's terminal.
//!
//! An app started from a desktop launcher inherits a bare `PATH` (often `/usr/bin:/bin`), so
//! `npx`, `uvx` or anything in `~/.local/bin` is not found (`spawn npx ENOENT`). Parley asks the
//! user's login shell for its `PATH` once, and passes it to each server it starts. It never
//! changes its own environment (`set_var` is unsound with threads and would leak to everything).

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the shell may take to start: rc files can be slow, but a launch must not hang.
pub const SHELL_TIMEOUT: Duration = Duration::from_secs(3);

/// Marks around the value, so whatever rc files print on stdout is ignored.
const MARK: &str = "__PARLEY_PATH__";

/// The `PATH` to give child processes: computed once per process from `$SHELL` and `$HOME`
/// (blocking, up to a few seconds the first time; call it off the UI thread), then cached.
/// `None` only when neither the shell nor the process has any `PATH`.
pub fn login_shell_path() -> Option<String> {
    static PATH: OnceLock<Option<String>> = OnceLock::new();
    PATH.get_or_init(|| {
        let shell = std::env::var_os("SHELL").map(PathBuf::from);
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let process_path = std::env::var("PATH").ok();
        resolve_child_path(
            shell.as_deref(),
            home.as_deref(),
            process_path.as_deref(),
            SHELL_TIMEOUT,
        )
    })
    .clone()
}

/// The uncached computation behind [`login_shell_path`], with its inputs explicit for tests: the
/// login shell's `PATH` (or, when it fails or times out, `process_path`), followed by
/// `~/.local/bin`, `~/.cargo/bin` and `/usr/local/bin` where missing.
pub fn resolve_child_path(
    shell: Option<&Path>,
    home: Option<&Path>,
    process_path: Option<&str>,
    timeout: Duration,
) -> Option<String> {
    let from_shell = shell.and_then(|shell| {
        // Interactive first: many users set PATH in .zshrc/.bashrc, which only interactive
        // shells read; then a plain login shell, for shells that refuse `-i` without a tty.
        shell_path(shell, home, &["-i", "-l", "-c"], timeout)
            .or_else(|| shell_path(shell, home, &["-l", "-c"], timeout))
    });
    let base = from_shell.or_else(|| process_path.map(str::to_owned));
    let mut entries: Vec<String> = base
        .iter()
        .flat_map(|path| path.split(':'))
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect();
    let mut extras = Vec::new();
    if let Some(home) = home {
        extras.push(home.join(".local/bin").to_string_lossy().into_owned());
        extras.push(home.join(".cargo/bin").to_string_lossy().into_owned());
    }
    extras.push("/usr/local/bin".to_owned());
    for extra in extras {
        if !entries.contains(&extra) {
            entries.push(extra);
        }
    }
    if entries.is_empty() {
        None
    } else {
        Some(entries.join(":"))
    }
}

fn shell_path(
    shell: &Path,
    home: Option<&Path>,
    flags: &[&str],
    timeout: Duration,
) -> Option<String> {
    let script = format!("printf '{MARK}%s{MARK}' \"$PATH\"");
    let mut command = Command::new(shell);
    command
        .args(flags)
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own group, so a timeout ends whatever the rc files started too.
        .process_group(0);
    if let Some(home) = home {
        command.env("HOME", home);
    }
    let mut child = command.spawn().ok()?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                crate::process::kill_group(child.id());
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut output = String::new();
    child.stdout.take()?.read_to_string(&mut output).ok()?;
    let start = output.find(MARK)? + MARK.len();
    let end = start + output.get(start..)?.find(MARK)?;
    let path = output.get(start..end)?.trim();
    if path.is_empty() {
        None
    } else {
        Some(path.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_shell_path_comes_first_and_user_bins_are_added() {
        let home = tempfile::tempdir().unwrap();
        let path = resolve_child_path(
            Some(Path::new("/bin/sh")),
            Some(home.path()),
            Some("/usr/bin:/bin"),
            SHELL_TIMEOUT,
        )
        .unwrap();
        let local_bin = home
            .path()
            .join(".local/bin")
            .to_string_lossy()
            .into_owned();
        assert!(path.split(':').any(|entry| entry == local_bin), "{path}");
        assert!(
            path.split(':').any(|entry| entry == "/usr/local/bin"),
            "{path}"
        );
    }

    #[test]
    fn a_missing_shell_falls_back_to_the_process_path() {
        let path = resolve_child_path(
            Some(Path::new("/nonexistent/shell")),
            None,
            Some("/usr/bin:/bin"),
            SHELL_TIMEOUT,
        );
        assert_eq!(path.as_deref(), Some("/usr/bin:/bin:/usr/local/bin"));
    }

    #[test]
    fn a_shell_that_hangs_is_abandoned_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let shell = dir.path().join("slow-shell");
        std::fs::write(&shell, "#!/bin/sh\nsleep 30\n").unwrap();
        std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let started = Instant::now();
        let path = resolve_child_path(Some(&shell), None, Some("/bin"), Duration::from_millis(300));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "both attempts time out quickly"
        );
        assert_eq!(path.as_deref(), Some("/bin:/usr/local/bin"));
    }
}
