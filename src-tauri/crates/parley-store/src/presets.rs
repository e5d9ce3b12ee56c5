//! The `presets` table: named bundles of model, system prompt and request
//! parameters that a new conversation can start from. At most one is the
//! default; the partial unique index `presets_one_default` enforces it.

use serde::{Deserialize, Serialize};

use crate::{Store, StoreError, new_id};

/// The columns of [`StoredPreset`], shared by every query that returns one.
macro_rules! preset_columns {
    () => {
        "id, name, model, system_prompt, params_json, is_default, created_at, updated_at"
    };
}

/// One preset as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredPreset {
    /// UUID v7 (any non-empty text when imported).
    pub id: String,
    /// Shown in the preset picker.
    pub name: String,
    /// The model a conversation started from it uses.
    pub model: String,
    /// The system prompt, if any.
    pub system_prompt: Option<String>,
    /// Request parameters as a JSON object, owned by the caller (the same
    /// shape as `conversations.params_json`).
    pub params_json: String,
    /// Whether new conversations start from this preset; at most one is.
    pub is_default: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last change of its content, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// The fields a caller chooses when creating or replacing a preset; the
/// store assigns the id and times. A new preset is not the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPreset {
    /// Shown in the preset picker.
    pub name: String,
    /// The model a conversation started from it uses.
    pub model: String,
    /// The system prompt, if any.
    pub system_prompt: Option<String>,
    /// Request parameters as a JSON object, owned by the caller.
    pub params_json: String,
}

impl Store {
    /// Every preset: the default first, then by name ignoring ASCII case
    /// (SQLite's `NOCASE`), ties by id so the order is stable.
    pub async fn list_presets(&self) -> Result<Vec<StoredPreset>, StoreError> {
        let presets = sqlx::query_as(concat!(
            "SELECT ",
            preset_columns!(),
            " FROM presets ORDER BY is_default DESC, name COLLATE NOCASE, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(presets)
    }

    /// The preset with this id; [`StoreError::NotFound`] if there is none.
    pub async fn get_preset(&self, id: &str) -> Result<StoredPreset, StoreError> {
        sqlx::query_as(concat!(
            "SELECT ",
            preset_columns!(),
            " FROM presets WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("preset", id))
    }

    /// Creates a preset (not the default) and returns it.
    pub async fn insert_preset(&self, new: &NewPreset) -> Result<StoredPreset, StoreError> {
        let now = self.now();
        let preset = sqlx::query_as(concat!(
            "INSERT INTO presets
                 (id, name, model, system_prompt, params_json, is_default, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 0, ?, ?)
             RETURNING ",
            preset_columns!()
        ))
        .bind(new_id())
        .bind(&new.name)
        .bind(&new.model)
        .bind(&new.system_prompt)
        .bind(&new.params_json)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(preset)
    }

    /// Replaces the name, model, system prompt and parameters of a preset;
    /// whether it is the default stays as it was. Returns the updated preset,
    /// or [`StoreError::NotFound`] if there is no such preset.
    pub async fn update_preset(
        &self,
        id: &str,
        new: &NewPreset,
    ) -> Result<StoredPreset, StoreError> {
        sqlx::query_as(concat!(
            "UPDATE presets SET name = ?, model = ?, system_prompt = ?, params_json = ?,
                 updated_at = ?
             WHERE id = ?
             RETURNING ",
            preset_columns!()
        ))
        .bind(&new.name)
        .bind(&new.model)
        .bind(&new.system_prompt)
        .bind(&new.params_json)
        .bind(self.now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("preset", id))
    }

    /// Deletes a preset; deleting the default leaves no default. Conversations
    /// started from it keep their own copy of its settings, so nothing else
    /// changes. [`StoreError::NotFound`] if there is no such preset.
    pub async fn delete_preset(&self, id: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM presets WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::not_found("preset", id));
        }
        Ok(())
    }

    /// Makes the preset `id` the default, or leaves none with `None`. One
    /// transaction clears the old default first (the unique index
    /// `presets_one_default` would refuse a second one); for an unknown id it
    /// fails with [`StoreError::NotFound`] and the old default stays.
    pub async fn set_default_preset(&self, id: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE presets SET is_default = 0 WHERE is_default = 1")
            .execute(&mut *tx)
            .await?;
        if let Some(id) = id {
            let result = sqlx::query("UPDATE presets SET is_default = 1 WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if result.rows_affected() == 0 {
                // Dropping the transaction rolls the clearing back.
                return Err(StoreError::not_found("preset", id));
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_store;

    fn draft(name: &str) -> NewPreset {
        NewPreset {
            name: name.to_owned(),
            model: "claude-test".to_owned(),
            system_prompt: Some("Be brief.".to_owned()),
            params_json: r#"{"temperature":0.2}"#.to_owned(),
        }
    }

    fn names(presets: &[StoredPreset]) -> Vec<&str> {
        presets.iter().map(|p| p.name.as_str()).collect()
    }

    fn default_of(presets: &[StoredPreset]) -> Vec<&str> {
        presets
            .iter()
            .filter(|p| p.is_default)
            .map(|p| p.name.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_preset_is_inserted_read_back_and_listed() {
        let store = memory_store().await;
        assert!(store.list_presets().await.unwrap().is_empty());
        let inserted = store.insert_preset(&draft("Terse")).await.unwrap();
        assert!(!inserted.is_default, "a new preset is not the default");
        assert_eq!(inserted.name, "Terse");
        assert_eq!(inserted.model, "claude-test");
        assert_eq!(inserted.system_prompt.as_deref(), Some("Be brief."));
        assert_eq!(inserted.params_json, r#"{"temperature":0.2}"#);
        assert_eq!(inserted.created_at, inserted.updated_at);
        assert_eq!(store.get_preset(&inserted.id).await.unwrap(), inserted);
        assert_eq!(store.list_presets().await.unwrap(), [inserted]);
        assert!(matches!(
            store.get_preset("nope").await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn the_default_comes_first_then_names_ignoring_case() {
        let store = memory_store().await;
        for name in ["beta", "Alpha", "gamma", "Delta"] {
            store.insert_preset(&draft(name)).await.unwrap();
        }
        assert_eq!(
            names(&store.list_presets().await.unwrap()),
            ["Alpha", "beta", "Delta", "gamma"],
            "a capital letter does not sort a name before every lower-case one"
        );
        let gamma = store.list_presets().await.unwrap()[3].id.clone();
        store.set_default_preset(Some(&gamma)).await.unwrap();
        assert_eq!(
            names(&store.list_presets().await.unwrap()),
            ["gamma", "Alpha", "beta", "Delta"]
        );
    }

    #[tokio::test]
    async fn update_replaces_the_content_and_keeps_the_default() {
        let store = memory_store().await;
        let preset = store.insert_preset(&draft("Old")).await.unwrap();
        store.set_default_preset(Some(&preset.id)).await.unwrap();
        let updated = store
            .update_preset(
                &preset.id,
                &NewPreset {
                    name: "New".into(),
                    model: "claude-other".into(),
                    system_prompt: None,
                    params_json: "{}".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(updated.id, preset.id);
        assert_eq!(
            (
                updated.name.as_str(),
                updated.model.as_str(),
                updated.system_prompt.as_deref(),
                updated.params_json.as_str()
            ),
            ("New", "claude-other", None, "{}")
        );
        assert!(updated.is_default, "editing a preset keeps it the default");
        assert_eq!(updated.created_at, preset.created_at);
        assert!(updated.updated_at > preset.updated_at);
        assert_eq!(store.get_preset(&preset.id).await.unwrap(), updated);
        assert!(matches!(
            store.update_preset("nope", &draft("x")).await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn delete_removes_one_preset_and_refuses_an_unknown_id() {
        let store = memory_store().await;
        let gone = store.insert_preset(&draft("Gone")).await.unwrap();
        let kept = store.insert_preset(&draft("Kept")).await.unwrap();
        store.set_default_preset(Some(&gone.id)).await.unwrap();
        store.delete_preset(&gone.id).await.unwrap();
        let left = store.list_presets().await.unwrap();
        assert_eq!(left, [kept]);
        assert!(default_of(&left).is_empty(), "the default went with it");
        assert!(matches!(
            store.delete_preset(&gone.id).await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn there_is_at_most_one_default_and_none_can_be_chosen() {
        let store = memory_store().await;
        let a = store.insert_preset(&draft("A")).await.unwrap();
        let b = store.insert_preset(&draft("B")).await.unwrap();

        store.set_default_preset(Some(&a.id)).await.unwrap();
        assert_eq!(default_of(&store.list_presets().await.unwrap()), ["A"]);
        store.set_default_preset(Some(&b.id)).await.unwrap();
        assert_eq!(
            default_of(&store.list_presets().await.unwrap()),
            ["B"],
            "choosing another default clears the old one"
        );
        store.set_default_preset(Some(&b.id)).await.unwrap();
        assert_eq!(default_of(&store.list_presets().await.unwrap()), ["B"]);

        let err = store.set_default_preset(Some("nope")).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        assert_eq!(
            default_of(&store.list_presets().await.unwrap()),
            ["B"],
            "a refused change keeps the old default"
        );

        store.set_default_preset(None).await.unwrap();
        assert!(default_of(&store.list_presets().await.unwrap()).is_empty());

        // The index itself refuses a second default, whoever writes it.
        store.set_default_preset(Some(&a.id)).await.unwrap();
        let second = sqlx::query("UPDATE presets SET is_default = 1 WHERE id = ?")
            .bind(&b.id)
            .execute(&store.pool)
            .await;
        assert!(second.is_err(), "presets_one_default allows one default");
    }

    #[tokio::test]
    async fn presets_live_in_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let store = Store::open(&path).await.unwrap();
        let preset = store.insert_preset(&draft("Saved")).await.unwrap();
        store.set_default_preset(Some(&preset.id)).await.unwrap();
        store.close().await;

        let reopened = Store::open(&path).await.unwrap();
        let listed = reopened.list_presets().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, preset.id);
        assert!(listed[0].is_default);
        reopened.close().await;
    }
}
