//! Presets: named bundles of model, system prompt and parameters (thinking included) that a
//! new conversation can start from.

use parley_store::{NewPreset, StoredPreset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::params::RequestParams;

/// The longest preset name, in characters: it has to fit a menu entry.
pub const MAX_PRESET_NAME_CHARS: usize = 100;

/// A saved preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub model: String,
    pub system_prompt: Option<String>,
    pub params: RequestParams,
    /// `Ctrl+N` starts a conversation from the default preset (at most one is).
    pub is_default: bool,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// A preset to create (`id` unset) or to replace (`id` set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresetDraft {
    pub id: Option<String>,
    pub name: String,
    pub model: String,
    pub system_prompt: Option<String>,
    pub params: RequestParams,
}

impl From<StoredPreset> for Preset {
    fn from(stored: StoredPreset) -> Self {
        Self {
            id: stored.id,
            name: stored.name,
            model: stored.model,
            system_prompt: stored.system_prompt,
            // Parameters that no longer parse (a newer version's) read as unset, as a
            // conversation's do.
            params: serde_json::from_str(&stored.params_json).unwrap_or_default(),
            is_default: stored.is_default,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }
}

impl Parley {
    /// Every preset, the default first, then by name.
    pub async fn list_presets(&self) -> CoreResult<Vec<Preset>> {
        let presets = self.store.list_presets().await?;
        Ok(presets.into_iter().map(Preset::from).collect())
    }

    /// Creates the preset (`draft.id` unset) or replaces the one with `draft.id`, and returns
    /// it as stored. Replacing keeps whether it is the default.
    ///
    /// The name is trimmed and must hold 1 to [`MAX_PRESET_NAME_CHARS`] characters, the model
    /// must be set, a blank system prompt is none, and the parameters must be ones the model
    /// can be sent (the checks of sending, [`params::validate`]); otherwise `invalid_input`
    /// naming the field. An unknown `draft.id` is `missing`.
    pub async fn save_preset(&self, draft: PresetDraft) -> CoreResult<Preset> {
        let name = draft.name.trim();
        if name.is_empty() {
            return Err(CoreError::InvalidInput("The preset name is empty".into()));
        }
        if name.chars().count() > MAX_PRESET_NAME_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "The preset name is longer than {MAX_PRESET_NAME_CHARS} characters"
            )));
        }
        let model = draft.model.trim();
        if model.is_empty() {
            return Err(CoreError::InvalidInput(
                "The preset has no model: choose one".into(),
            ));
        }
        let params = draft.params.normalized();
        let settings = self.settings().await?;
        // The same check as sending, with the endpoint's model limits.
        self.check_params(model, &params, &settings)
            .await
            .map_err(|error| CoreError::InvalidInput(format!("Preset parameters: {error}")))?;
        let params_json = serde_json::to_string(&params).map_err(|error| {
            CoreError::Internal(format!("could not encode parameters: {error}"))
        })?;
        let new = NewPreset {
            name: name.to_owned(),
            model: model.to_owned(),
            system_prompt: draft.system_prompt.filter(|s| !s.trim().is_empty()),
            params_json,
        };
        let stored = match draft.id.as_deref() {
            Some(id) => self.store.update_preset(id, &new).await?,
            None => self.store.insert_preset(&new).await?,
        };
        Ok(stored.into())
    }

    /// Deletes the preset and returns the presets left. Conversations started from it keep
    /// their settings.
    pub async fn delete_preset(&self, id: &str) -> CoreResult<Vec<Preset>> {
        self.store.delete_preset(id).await?;
        self.list_presets().await
    }

    /// Makes the preset `id` the default (the old one stops being it), or leaves none with
    /// `None`; returns every preset. An unknown id is `missing` and changes nothing.
    pub async fn set_default_preset(&self, id: Option<String>) -> CoreResult<Vec<Preset>> {
        self.store.set_default_preset(id.as_deref()).await?;
        self.list_presets().await
    }
}

#[cfg(test)]
mod tests {
    /// The preset new conversations start from (the UI finds it in the list the same way).
    async fn default_of(parley: &Parley) -> Option<Preset> {
        let presets = parley.list_presets().await.unwrap();
        presets.into_iter().find(|preset| preset.is_default)
    }

    use std::sync::Arc;

    use parley_secrets::MemorySecretStore;
    use parley_store::Store;

    use super::*;
    use crate::app::Environment;
    use crate::error::ErrorKind;
    use crate::images::ImageStore;

    async fn parley() -> Parley {
        let store = Store::open_in_memory().await.unwrap();
        Parley::with_store(
            store,
            // Presets never touch images: the folder is never created.
            ImageStore::new(std::path::PathBuf::from("/nonexistent/parley-test-images")),
            Arc::new(MemorySecretStore::default()),
            Environment::default(),
        )
        .unwrap()
    }

    fn draft(name: &str) -> PresetDraft {
        PresetDraft {
            id: None,
            name: name.into(),
            model: "claude-sonnet-4-5-20250929".into(),
            system_prompt: Some("Be brief.".into()),
            params: RequestParams {
                temperature: Some(0.2),
                ..Default::default()
            },
        }
    }

    fn invalid_input(error: CoreError) -> String {
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        error.to_string()
    }

    #[tokio::test]
    async fn a_saved_preset_is_trimmed_normalised_and_listed() {
        let parley = parley().await;
        let saved = parley
            .save_preset(PresetDraft {
                name: "  Terse  ".into(),
                model: " claude-haiku-4-5-20251001 ".into(),
                system_prompt: Some("   ".into()),
                params: RequestParams {
                    stop_sequences: vec!["END".into(), "  ".into()],
                    max_tokens: Some(1024),
                    ..Default::default()
                },
                ..draft("")
            })
            .await
            .unwrap();
        assert_eq!(saved.name, "Terse");
        assert_eq!(saved.model, "claude-haiku-4-5-20251001");
        assert_eq!(saved.system_prompt, None, "a blank system prompt is none");
        assert_eq!(
            saved.params.stop_sequences,
            ["END"],
            "blank stop sequences are dropped, not refused"
        );
        assert_eq!(saved.params.max_tokens, Some(1024));
        assert!(!saved.is_default);
        assert_eq!(
            parley.list_presets().await.unwrap(),
            std::slice::from_ref(&saved)
        );

        let json = serde_json::to_value(&saved).unwrap();
        for field in ["id", "name", "model", "systemPrompt", "params", "isDefault"] {
            assert!(json.get(field).is_some(), "the UI reads {field}: {json}");
        }
    }

    #[tokio::test]
    async fn saving_with_an_id_replaces_that_preset() {
        let parley = parley().await;
        let first = parley.save_preset(draft("First")).await.unwrap();
        parley
            .set_default_preset(Some(first.id.clone()))
            .await
            .unwrap();
        let replaced = parley
            .save_preset(PresetDraft {
                id: Some(first.id.clone()),
                system_prompt: Some("Be thorough.".into()),
                ..draft("Renamed")
            })
            .await
            .unwrap();
        assert_eq!(replaced.id, first.id);
        assert_eq!(replaced.name, "Renamed");
        assert_eq!(replaced.system_prompt.as_deref(), Some("Be thorough."));
        assert!(replaced.is_default, "editing keeps the default");
        assert_eq!(parley.list_presets().await.unwrap().len(), 1);

        let error = parley
            .save_preset(PresetDraft {
                id: Some("nope".into()),
                ..draft("Ghost")
            })
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Missing);
    }

    #[tokio::test]
    async fn a_name_must_be_present_and_short() {
        let parley = parley().await;
        let message = invalid_input(parley.save_preset(draft("   ")).await.unwrap_err());
        assert!(message.contains("name"), "{message}");
        let longest = "é".repeat(MAX_PRESET_NAME_CHARS);
        assert_eq!(
            parley.save_preset(draft(&longest)).await.unwrap().name,
            longest,
            "the limit counts characters, not bytes"
        );
        let message = invalid_input(
            parley
                .save_preset(draft(&"x".repeat(MAX_PRESET_NAME_CHARS + 1)))
                .await
                .unwrap_err(),
        );
        assert!(message.contains("name"), "{message}");
    }

    #[tokio::test]
    async fn a_model_is_required() {
        let parley = parley().await;
        let error = parley
            .save_preset(PresetDraft {
                model: "  ".into(),
                ..draft("No model")
            })
            .await
            .unwrap_err();
        assert!(invalid_input(error).contains("model"));
        assert!(parley.list_presets().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn parameters_the_model_cannot_take_are_refused() {
        let parley = parley().await;
        let with = |model: &str, params: RequestParams| PresetDraft {
            model: model.into(),
            params,
            ..draft("P")
        };
        // Opus 4.1 writes at most 32,000 tokens.
        let error = parley
            .save_preset(with(
                "claude-opus-4-1-20250805",
                RequestParams {
                    max_tokens: Some(40_000),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        let message = invalid_input(error);
        assert!(message.contains("32000"), "{message}");
        // The settings' default max_tokens (4096) bounds the thinking budget when unset.
        let error = parley
            .save_preset(with(
                "claude-sonnet-4-5-20250929",
                RequestParams {
                    thinking: true,
                    thinking_budget: Some(8000),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert!(invalid_input(error).contains("thinking budget"));
        let error = parley
            .save_preset(with(
                "claude-sonnet-4-5-20250929",
                RequestParams {
                    temperature: Some(0.5),
                    top_p: Some(0.9),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert!(invalid_input(error).contains("not both"));
        assert!(parley.list_presets().await.unwrap().is_empty());

        // A model that thinks by its id ignores the toggle, as sending does.
        parley
            .save_preset(with(
                "claude-sonnet-4-5-20250929-thinking",
                RequestParams {
                    thinking: true,
                    thinking_budget: Some(8000),
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn one_default_at_most_and_delete_returns_what_is_left() {
        let parley = parley().await;
        assert_eq!(default_of(&parley).await, None);
        let a = parley.save_preset(draft("Alpha")).await.unwrap();
        let b = parley.save_preset(draft("beta")).await.unwrap();
        assert_eq!(
            default_of(&parley).await,
            None,
            "no preset is the default until chosen"
        );

        let listed = parley.set_default_preset(Some(b.id.clone())).await.unwrap();
        let order: Vec<(&str, bool)> = listed
            .iter()
            .map(|p| (p.name.as_str(), p.is_default))
            .collect();
        assert_eq!(order, [("beta", true), ("Alpha", false)], "default first");
        assert_eq!(default_of(&parley).await.map(|p| p.id), Some(b.id.clone()));
        let listed = parley.set_default_preset(Some(a.id.clone())).await.unwrap();
        assert_eq!(listed.iter().filter(|p| p.is_default).count(), 1);
        assert_eq!(default_of(&parley).await.map(|p| p.id), Some(a.id.clone()));
        let error = parley
            .set_default_preset(Some("nope".into()))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Missing);
        assert_eq!(
            default_of(&parley).await.map(|p| p.id),
            Some(a.id.clone()),
            "an unknown id changes nothing"
        );
        parley.set_default_preset(None).await.unwrap();
        assert_eq!(default_of(&parley).await, None);

        let left = parley.delete_preset(&a.id).await.unwrap();
        assert_eq!(left.iter().map(|p| &p.id).collect::<Vec<_>>(), [&b.id]);
        assert_eq!(
            parley.delete_preset(&a.id).await.unwrap_err().kind(),
            ErrorKind::Missing
        );
    }
}
