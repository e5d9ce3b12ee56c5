//! What the app shows while it opens a history whose upgrade takes long (a schema change that
//! re-indexes every message: about 40 s for a million messages on a 2-core machine).

use serde::Serialize;
use ts_rs::TS;

/// A step of upgrading the history at start-up ([`parley_store::OpenProgress`] for the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum UpgradeStep {
    /// Copying the history beside itself before its schema changes.
    BackingUp,
    /// Changing the schema.
    Migrating,
    /// Adding stored messages to the search index: `done` of `total`.
    Indexing {
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        total: u64,
    },
    /// Giving the space the old index took back to the disk.
    Compacting,
}

impl From<parley_store::OpenProgress> for UpgradeStep {
    fn from(progress: parley_store::OpenProgress) -> Self {
        use parley_store::OpenProgress;
        match progress {
            OpenProgress::BackingUp => Self::BackingUp,
            OpenProgress::Migrating => Self::Migrating,
            OpenProgress::Indexing { done, total } => Self::Indexing { done, total },
            OpenProgress::Compacting => Self::Compacting,
        }
    }
}

/// Where the app's start stands (`startup_status`): polled by the window shown while an upgrade
/// runs, which builds the app once `ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartupStatus {
    /// The history is open and every command works.
    pub ready: bool,
    /// The upgrade's latest step, if an upgrade ran.
    pub step: Option<UpgradeStep>,
}
