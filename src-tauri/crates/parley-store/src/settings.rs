//! The `settings` table: a string key-value map for app preferences. Values
//! are opaque to the store (callers may store JSON).

use crate::{Store, StoreError};

impl Store {
    /// The value stored under `key`, or `None` if it was never set.
    pub async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(value)
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::memory_store;

    #[tokio::test]
    async fn a_missing_setting_is_none() {
        let store = memory_store().await;
        assert_eq!(store.get_setting("model").await.unwrap(), None);
    }

    #[tokio::test]
    async fn setting_twice_keeps_the_latest_value() {
        let store = memory_store().await;
        store.set_setting("model", "claude-a").await.unwrap();
        store.set_setting("model", "claude-b").await.unwrap();
        store.set_setting("theme", "").await.unwrap();
        assert_eq!(
            store.get_setting("model").await.unwrap().as_deref(),
            Some("claude-b")
        );
        assert_eq!(
            store.get_setting("theme").await.unwrap().as_deref(),
            Some(""),
            "an empty value is a value, not an absence"
        );
    }
}
