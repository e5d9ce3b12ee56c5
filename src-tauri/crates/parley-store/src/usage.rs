//! Token counts summed per model: what a conversation's replies used, and
//! what all replies of a period used. Prices are the caller's business; the
//! store only adds up what the API reported.

use serde::{Deserialize, Serialize};

use crate::messages::conversation_seq_of;
use crate::{Store, StoreError};

/// The replies of one model and the tokens they used. Sums of the stored
/// counts, a count the API did not report adding 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ModelUsage {
    /// The model that wrote the replies; empty for replies stored without one.
    pub model: String,
    /// How many replies.
    pub replies: i64,
    /// Uncached input tokens.
    pub input_tokens: i64,
    /// Generated tokens.
    pub output_tokens: i64,
    /// Input tokens written to the prompt cache.
    pub cache_creation_input_tokens: i64,
    /// Input tokens read from the prompt cache.
    pub cache_read_input_tokens: i64,
}

/// The select list and the filter shared by both queries: replies that have
/// token counts, grouped by model. A reply "has token counts" when the API
/// reported input or output tokens, the same test the message view uses to
/// show a reply's usage, so the totals agree with what each reply shows.
macro_rules! usage_select {
    () => {
        "SELECT COALESCE(model, '') AS model,
                COUNT(*) AS replies,
                COALESCE(SUM(input_tokens), 0) AS input_tokens,
                COALESCE(SUM(output_tokens), 0) AS output_tokens,
                COALESCE(SUM(cache_creation_input_tokens), 0) AS cache_creation_input_tokens,
                COALESCE(SUM(cache_read_input_tokens), 0) AS cache_read_input_tokens
         FROM messages
         WHERE role = 'assistant'
           AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL)"
    };
}

impl Store {
    /// What the replies of one conversation used, per model (by model id).
    ///
    /// Every branch counts, not only the visible one: a regenerated or
    /// edited-away reply was paid for all the same. Fails with
    /// [`StoreError::NotFound`] for an unknown conversation; one without
    /// replies gives an empty list.
    pub async fn conversation_usage(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<ModelUsage>, StoreError> {
        let usage: Vec<ModelUsage> = sqlx::query_as(concat!(
            usage_select!(),
            " AND conversation_seq = ",
            conversation_seq_of!(),
            " GROUP BY 1 ORDER BY 1"
        ))
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        if usage.is_empty() {
            // Tell "nothing spent yet" from "no such conversation".
            self.get_conversation(conversation_id).await?;
        }
        Ok(usage)
    }

    /// What the replies created from `from_ms` (inclusive) to `to_ms`
    /// (exclusive) used, per model (by model id); milliseconds since the Unix
    /// epoch, by the reply's `created_at` (when its request was sent).
    ///
    /// Replies of conversations in the trash count: the money was spent. Only
    /// purging a conversation removes its replies from the sums. Reads the
    /// partial index `messages_replies_by_time`, so the cost follows the
    /// replies of the period, not the whole history.
    pub async fn usage_by_model_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ModelUsage>, StoreError> {
        let usage = sqlx::query_as(concat!(
            usage_select!(),
            " AND created_at >= ? AND created_at < ? GROUP BY 1 ORDER BY 1"
        ))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{conversation, memory_store, message};
    use crate::{MessageFinish, MessageStatus, NewMessage, Role, StoredUsage};

    /// A finished reply of `model` under `parent` with these counts, created at `at` ms.
    async fn reply(
        store: &Store,
        conversation_id: &str,
        parent: &str,
        model: Option<&str>,
        usage: StoredUsage,
        at: i64,
    ) -> String {
        let reply = store
            .insert_message(&NewMessage {
                model: model.map(str::to_owned),
                status: MessageStatus::Streaming,
                ..NewMessage::done(conversation_id, Some(parent), Role::Assistant, "")
            })
            .await
            .unwrap();
        store
            .finish_message(
                &reply.id,
                &MessageFinish {
                    status: MessageStatus::Done,
                    content_json: "[]".into(),
                    text: String::new(),
                    stop_reason: Some("end_turn".into()),
                    stop_sequence: None,
                    usage,
                    error_kind: None,
                    error_message: None,
                    request_id: None,
                },
            )
            .await
            .unwrap();
        sqlx::query("UPDATE messages SET created_at = ? WHERE id = ?")
            .bind(at)
            .bind(&reply.id)
            .execute(&store.pool)
            .await
            .unwrap();
        reply.id
    }

    fn tokens(input: i64, output: i64, write: Option<i64>, read: Option<i64>) -> StoredUsage {
        StoredUsage {
            input_tokens: Some(input),
            output_tokens: Some(output),
            cache_creation_input_tokens: write,
            cache_read_input_tokens: read,
        }
    }

    fn usage(model: &str, replies: i64, sums: [i64; 4]) -> ModelUsage {
        ModelUsage {
            model: model.to_owned(),
            replies,
            input_tokens: sums[0],
            output_tokens: sums[1],
            cache_creation_input_tokens: sums[2],
            cache_read_input_tokens: sums[3],
        }
    }

    #[tokio::test]
    async fn a_conversation_sums_every_branch_per_model() {
        let store = memory_store().await;
        let id = conversation(&store, "c").await;
        let other = conversation(&store, "other").await;
        let q = message(&store, &id, None, Role::User, "q").await;
        let (a, b) = ("claude-a", "claude-b");
        reply(
            &store,
            &id,
            &q.id,
            Some(a),
            tokens(10, 5, Some(100), None),
            1,
        )
        .await;
        // Regenerated: a sibling, so the first reply is no longer visible. Both count.
        reply(
            &store,
            &id,
            &q.id,
            Some(a),
            tokens(20, 7, None, Some(30)),
            2,
        )
        .await;
        reply(
            &store,
            &id,
            &q.id,
            Some(b),
            tokens(1, 2, Some(3), Some(4)),
            3,
        )
        .await;
        // A reply with no counts (failed before the API said anything) and the user's
        // message are not replies that used tokens.
        reply(&store, &id, &q.id, Some(b), StoredUsage::default(), 4).await;
        let q2 = message(&store, &other, None, Role::User, "q").await;
        reply(
            &store,
            &other,
            &q2.id,
            Some(a),
            tokens(1000, 1000, None, None),
            5,
        )
        .await;

        assert_eq!(
            store.conversation_usage(&id).await.unwrap(),
            [usage(a, 2, [30, 12, 100, 30]), usage(b, 1, [1, 2, 3, 4])],
            "a NULL cache count adds 0; other conversations do not count"
        );
    }

    #[tokio::test]
    async fn a_conversation_without_replies_has_no_usage_and_an_unknown_one_is_not_found() {
        let store = memory_store().await;
        let id = conversation(&store, "empty").await;
        message(&store, &id, None, Role::User, "q").await;
        assert!(store.conversation_usage(&id).await.unwrap().is_empty());
        assert!(matches!(
            store.conversation_usage("nope").await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn a_reply_stored_without_a_model_is_counted_under_an_empty_one() {
        let store = memory_store().await;
        let id = conversation(&store, "c").await;
        let q = message(&store, &id, None, Role::User, "q").await;
        reply(&store, &id, &q.id, None, tokens(3, 4, None, None), 1).await;
        assert_eq!(
            store.conversation_usage(&id).await.unwrap(),
            [usage("", 1, [3, 4, 0, 0])]
        );
    }

    #[tokio::test]
    async fn a_period_counts_replies_from_its_start_to_before_its_end() {
        let store = memory_store().await;
        let id = conversation(&store, "c").await;
        let q = message(&store, &id, None, Role::User, "q").await;
        let (a, b) = ("claude-a", "claude-b");
        reply(&store, &id, &q.id, Some(a), tokens(1, 1, None, None), 999).await;
        reply(
            &store,
            &id,
            &q.id,
            Some(a),
            tokens(2, 3, None, Some(5)),
            1000,
        )
        .await;
        reply(
            &store,
            &id,
            &q.id,
            Some(b),
            tokens(4, 5, Some(6), None),
            1500,
        )
        .await;
        reply(
            &store,
            &id,
            &q.id,
            Some(a),
            tokens(10, 10, None, None),
            1999,
        )
        .await;
        reply(
            &store,
            &id,
            &q.id,
            Some(a),
            tokens(100, 100, None, None),
            2000,
        )
        .await;

        assert_eq!(
            store.usage_by_model_between(1000, 2000).await.unwrap(),
            [usage(a, 2, [12, 13, 0, 5]), usage(b, 1, [4, 5, 6, 0])],
            "from is inclusive, to is exclusive"
        );
        assert!(
            store
                .usage_by_model_between(3000, 4000)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn replies_in_the_trash_count_until_purged() {
        let store = memory_store().await;
        let id = conversation(&store, "c").await;
        let q = message(&store, &id, None, Role::User, "q").await;
        reply(&store, &id, &q.id, Some("m"), tokens(7, 8, None, None), 10).await;
        store
            .trash_conversations(std::slice::from_ref(&id))
            .await
            .unwrap();
        assert_eq!(
            store.usage_by_model_between(0, 100).await.unwrap(),
            [usage("m", 1, [7, 8, 0, 0])],
            "trashing a conversation does not refund it"
        );
        assert_eq!(store.conversation_usage(&id).await.unwrap().len(), 1);
        store.purge_trash().await.unwrap();
        assert!(
            store
                .usage_by_model_between(0, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_period_is_read_through_the_replies_by_time_index() {
        let store = memory_store().await;
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(concat!(
            "EXPLAIN QUERY PLAN ",
            usage_select!(),
            " AND created_at >= ? AND created_at < ? GROUP BY 1 ORDER BY 1"
        ))
        .bind(0)
        .bind(1)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let details: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|detail| detail.contains("USING INDEX messages_replies_by_time")),
            "a month's spend must not scan every message: {details:?}"
        );
    }
}
