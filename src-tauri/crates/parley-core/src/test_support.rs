//! Set-up shared by the unit tests of several modules.

use std::path::Path;
use std::sync::Arc;

use parley_secrets::MemorySecretStore;
use parley_store::{NewConversation, Store};

use crate::Parley;
use crate::app::Environment;
use crate::images::ImageStore;

/// A `Parley` on a real SQLite file and image folder in `dir`, with an in-memory keychain.
pub async fn parley(dir: &Path) -> Parley {
    let store = Store::open(&dir.join("parley.db")).await.unwrap();
    Parley::with_store(
        store,
        ImageStore::new(dir.join("images")),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .unwrap()
}

/// A new empty conversation titled `title`; its id.
pub async fn conversation(parley: &Parley, title: &str) -> String {
    parley
        .store()
        .create_conversation(&NewConversation {
            title: title.into(),
            model: "m".into(),
            system_prompt: None,
        })
        .await
        .unwrap()
        .id
}
