//! Opening the history at launch, and the window that shows its upgrade when that takes long.
//!
//! The window normally appears only once the history is open, so a process refused the data
//! folder never shows one. An upgrade that re-indexes every message takes about 40 s for a
//! million messages, though, and a launch that shows nothing for that long looks broken. So the
//! history opens on its own thread: if it is not open within [`UPGRADE_WINDOW_AFTER`], the
//! window appears in upgrade mode (a progress page polling `startup_status`) and the app is
//! built in it once the history is open.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_core::upgrade::{StartupStatus, UpgradeStep};
use parley_core::{CoreResult, Environment, Parley};
use parley_secrets::KeyringSecretStore;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::{data_dir, window};

/// How long the launch waits for the history before it shows the upgrade window.
const UPGRADE_WINDOW_AFTER: Duration = Duration::from_secs(1);

/// Overrides [`UPGRADE_WINDOW_AFTER`], in milliseconds, so end-to-end tests can see the upgrade
/// window on a history that upgrades in less than a second.
const UPGRADE_WINDOW_AFTER_VAR: &str = "PARLEY_UPGRADE_WINDOW_AFTER_MS";

/// The latest upgrade step, for `startup_status`.
#[derive(Default)]
pub struct Startup {
    step: Mutex<Option<UpgradeStep>>,
}

impl Startup {
    fn record(&self, step: UpgradeStep) {
        *self.step.lock().unwrap_or_else(|e| e.into_inner()) = Some(step);
    }

    /// Whether the history is open, and the upgrade's latest step.
    pub fn status<R: Runtime>(&self, app: &AppHandle<R>) -> StartupStatus {
        StartupStatus {
            ready: app.try_state::<Parley>().is_some(),
            step: *self.step.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// Opens the history in `data_dir` and shows the main window: at once if the history opens
/// within [`UPGRADE_WINDOW_AFTER`], else in upgrade mode while it goes on opening. A history
/// that cannot be opened ends the process with a message, as before.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: PathBuf,
    env: Environment,
) -> tauri::Result<()> {
    let (opened_tx, opened_rx) = mpsc::channel::<CoreResult<Parley>>();
    let opener = app.clone();
    let dir = data_dir.clone();
    std::thread::Builder::new()
        .name("parley-open".into())
        .spawn(move || {
            let startup = opener.state::<Startup>();
            let opened = tauri::async_runtime::block_on(Parley::open_reporting(
                &dir,
                Arc::new(KeyringSecretStore::default()),
                env,
                &|step| startup.record(step),
            ));
            // The launch thread may have stopped waiting; then this goes nowhere, as intended.
            let _ = opened_tx.send(opened);
        })?;
    match opened_rx.recv_timeout(upgrade_window_after()) {
        Ok(opened) => {
            let parley = finish(&data_dir, opened);
            app.manage(parley);
            // Only now: a process refused the data folder never shows a window.
            window::create_main(app, data_dir::webview_dir(&data_dir), false)
        }
        Err(RecvTimeoutError::Timeout) => {
            tracing::info!("the history is upgrading; showing its progress");
            window::create_main(app, data_dir::webview_dir(&data_dir), true)?;
            let app = app.clone();
            std::thread::Builder::new()
                .name("parley-open-wait".into())
                .spawn(move || {
                    let opened = opened_rx.recv().unwrap_or_else(|_| Err(opener_died()));
                    match opened {
                        // The progress page sees `ready` and builds the app.
                        Ok(parley) => {
                            app.manage(parley);
                        }
                        // The dialog belongs on the main thread, which runs the event loop now.
                        Err(error) => {
                            let message = data_dir::open_failure_message(&data_dir, &error);
                            let _ = app.run_on_main_thread(move || fatal(&message));
                        }
                    }
                })?;
            Ok(())
        }
        Err(RecvTimeoutError::Disconnected) => {
            finish(&data_dir, Err(opener_died()));
            Ok(())
        }
    }
}

/// The opened history, or the end of the process with a message saying why not.
fn finish(data_dir: &Path, opened: CoreResult<Parley>) -> Parley {
    match opened {
        Ok(parley) => parley,
        // A database Parley cannot open is never replaced by an empty one, and a data folder
        // another Parley uses is not touched: say why and stop. Exiting here, rather than
        // failing the setup hook (which Tauri turns into a panic with a backtrace), ends the
        // process with status 1 and nothing opened.
        Err(error) => fatal(&data_dir::open_failure_message(data_dir, &error)),
    }
}

fn fatal(message: &str) -> ! {
    data_dir::report_fatal(message);
    std::process::exit(1)
}

/// The opener thread ended without an answer: it panicked (the panic is logged).
fn opener_died() -> parley_core::CoreError {
    parley_core::CoreError::Internal("opening the history stopped unexpectedly".into())
}

fn upgrade_window_after() -> Duration {
    std::env::var(UPGRADE_WINDOW_AFTER_VAR)
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(UPGRADE_WINDOW_AFTER, Duration::from_millis)
}

/// Where the launch stands: polled by the upgrade window.
#[tauri::command]
pub fn startup_status<R: Runtime>(app: AppHandle<R>, startup: State<'_, Startup>) -> StartupStatus {
    startup.status(&app)
}
