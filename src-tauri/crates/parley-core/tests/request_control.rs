//! Request control against the mock Claude server over real HTTP/SSE with a real SQLite file:
//! what each parameter puts in the body, what is refused before sending, prefill, Continue,
//! stop reasons, `pause_turn` and prompt caching, checked in what was sent and what was stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use parley_core::params::RequestParams;
use parley_core::tokens::{TokenCountRequest, TokenSource};
use parley_core::{
    CollectingSink, ComposerImage, Environment, ErrorKind, ImagePlacement, MessageView, Parley,
    SendRequest, SendStarted, Settings,
};
use parley_mock_claude::MockServer;
use parley_mock_claude::magic::{PAUSE_REST, PAUSE_TEXT, long_text};
use parley_secrets::MemorySecretStore;
use serde_json::{Value, json};

const KEY: &str = "sk-ant-test-key-request-control";
const HAIKU: &str = "claude-haiku-4-5-20251001";
const SONNET: &str = "claude-sonnet-4-5-20250929";

struct Harness {
    parley: Parley,
    server: MockServer,
    dir: tempfile::TempDir,
}

async fn harness(configure: impl FnOnce(&mut Settings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let secrets = Arc::new(MemorySecretStore::with_key_for(&server.base_url(), KEY).unwrap());
    let parley = Parley::open(dir.path(), secrets, Environment::default())
        .await
        .unwrap();
    let mut settings = Settings::defaults(None);
    settings.base_url = server.base_url();
    settings.title_model = None;
    configure(&mut settings);
    parley.save_settings(settings).await.unwrap();
    Harness {
        parley,
        server,
        dir,
    }
}

fn request(text: &str, model: &str, params: Option<RequestParams>) -> SendRequest {
    SendRequest {
        conversation_id: None,
        text: text.into(),
        model: model.into(),
        system_prompt: None,
        images: Vec::new(),
        image_placement: ImagePlacement::BeforeText,
        params,
        prefill: None,
    }
}

async fn finished(sink: &CollectingSink) -> MessageView {
    tokio::time::timeout(Duration::from_secs(20), sink.finished())
        .await
        .expect("the reply finishes")
}

async fn send(h: &Harness, req: SendRequest) -> (SendStarted, MessageView) {
    let sink = CollectingSink::default();
    let started = h
        .parley
        .send_message(req, Arc::new(sink.clone()))
        .await
        .unwrap();
    (started, finished(&sink).await)
}

fn text_of(message: &MessageView) -> String {
    parley_claude::plain_text(&message.blocks)
}

fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .message_requests()
        .iter()
        .map(|r| r.json().unwrap())
        .collect()
}

#[tokio::test]
async fn each_parameter_set_reaches_the_body_and_stays_with_the_conversation() {
    let h = harness(|s| s.metadata_user_id = Some("user-7".into())).await;
    let params = RequestParams {
        max_tokens: Some(300),
        temperature: Some(0.2),
        top_k: Some(5),
        stop_sequences: vec!["END".into()],
        ..Default::default()
    };
    let (started, reply) = send(&h, request("Hello", HAIKU, Some(params.clone()))).await;
    assert_eq!(reply.stop_reason.as_deref(), Some("end_turn"));
    let body = &bodies(&h.server)[0];
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["temperature"].as_f64().unwrap() as f32, 0.2);
    assert_eq!(body["top_k"], 5);
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["metadata"], json!({"user_id": "user-7"}));
    assert!(body.get("top_p").is_none() && body.get("thinking").is_none());

    let view = h
        .parley
        .open_conversation(&started.conversation.id)
        .await
        .unwrap();
    assert_eq!(
        view.conversation.params, params,
        "stored with the conversation"
    );
    // A later send without parameters uses the conversation's.
    let mut next = request("Again", HAIKU, None);
    next.conversation_id = Some(started.conversation.id.clone());
    send(&h, next).await;
    assert_eq!(bodies(&h.server)[1]["top_k"], 5);
}

#[tokio::test]
async fn invalid_combinations_are_refused_before_anything_is_stored_or_sent() {
    let h = harness(|_| {}).await;
    for params in [
        RequestParams {
            temperature: Some(0.5),
            top_p: Some(0.9),
            ..Default::default()
        },
        RequestParams {
            stop_sequences: (0..5).map(|i| format!("s{i}")).collect(),
            ..Default::default()
        },
        RequestParams {
            thinking: true,
            thinking_budget: Some(4096),
            max_tokens: Some(4096),
            ..Default::default()
        },
        RequestParams {
            max_tokens: Some(64_001),
            ..Default::default()
        },
    ] {
        let error = h
            .parley
            .send_message(
                request("Hello", SONNET, Some(params.clone())),
                Arc::new(CollectingSink::default()),
            )
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{params:?}");
    }
    assert!(h.server.requests().is_empty(), "nothing reached the API");
    assert!(
        h.parley
            .list_history()
            .await
            .unwrap()
            .conversations
            .is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn thinking_is_sent_without_what_the_api_refuses_with_it() {
    let h = harness(|_| {}).await;
    let params = RequestParams {
        thinking: true,
        thinking_budget: Some(1024),
        max_tokens: Some(2048),
        temperature: Some(0.3),
        top_k: Some(3),
        ..Default::default()
    };
    let (_, reply) = send(&h, request("Think [[thinking]]", SONNET, Some(params))).await;
    assert_eq!(reply.error, None, "the mock refuses what the API refuses");
    let body = &bodies(&h.server)[0];
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert!(body.get("temperature").is_none() && body.get("top_k").is_none());
    assert!(
        reply
            .blocks
            .iter()
            .any(|b| matches!(b, parley_claude::ContentBlock::Thinking { signature, .. } if !signature.is_empty())),
        "the thinking block is stored with its signature"
    );
}

#[tokio::test]
async fn a_prefill_and_its_continuation_are_stored_as_one_reply_and_regenerate_keeps_it() {
    let h = harness(|_| {}).await;
    let mut req = request("Hello there", HAIKU, None);
    req.prefill = Some("Echo: Hel".into());
    let (started, reply) = send(&h, req).await;
    let sent = &bodies(&h.server)[0];
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(
        messages.last().unwrap(),
        &json!({"role": "assistant", "content": [{"type": "text", "text": "Echo: Hel"}]})
    );
    assert_eq!(text_of(&reply), "Echo: Hello there");
    assert_eq!(reply.prefill.as_deref(), Some("Echo: Hel"));
    assert_eq!(reply.blocks.len(), 1, "one text block, not two");
    let stored = h
        .parley
        .open_conversation(&started.conversation.id)
        .await
        .unwrap();
    let stored_reply = stored.messages.last().unwrap();
    assert_eq!(text_of(stored_reply), "Echo: Hello there");
    assert_eq!(stored_reply.prefill.as_deref(), Some("Echo: Hel"));

    let sink = CollectingSink::default();
    h.parley
        .regenerate_reply(&reply.id, Arc::new(sink.clone()))
        .await
        .unwrap();
    let again = finished(&sink).await;
    assert_eq!(again.prefill.as_deref(), Some("Echo: Hel"));
    assert_eq!(text_of(&again), "Echo: Hello there");
    // The UI holds the prefill and the streamed rest in one block it did not see start: the
    // finish sends the blocks whole rather than leaving them out as for a plain reply.
    let sent_whole = sink.events().into_iter().any(|event| {
        matches!(event, parley_core::ChatEvent::Finished { message, blocks_streamed: false }
            if text_of(&message) == "Echo: Hello there")
    });
    assert!(sent_whole, "{:?}", sink.events());
    let resent = &bodies(&h.server)[1];
    assert_eq!(
        resent["messages"].as_array().unwrap().last().unwrap()["role"],
        "assistant"
    );
}

#[tokio::test]
async fn continue_after_max_tokens_gives_one_reply_with_both_parts_in_order() {
    let h = harness(|_| {}).await;
    let params = RequestParams {
        max_tokens: Some(5),
        ..Default::default()
    };
    let (started, first) = send(&h, request("[[long:12]]", HAIKU, Some(params))).await;
    assert_eq!(first.stop_reason.as_deref(), Some("max_tokens"));
    assert_eq!(text_of(&first), "w1 w2 w3 w4 w5");

    let mut reply = first.clone();
    for expected in ["w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", &long_text(12)] {
        let sink = CollectingSink::default();
        let continued = h
            .parley
            .continue_reply(&reply.id, Arc::new(sink.clone()))
            .await
            .unwrap();
        assert_eq!(continued.assistant_message.id, first.id, "the same reply");
        reply = finished(&sink).await;
        assert_eq!(text_of(&reply), expected);
    }
    assert_eq!(reply.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        reply.sibling_ids,
        vec![first.id.clone()],
        "no new alternative"
    );
    // Each leg was paid for: the counts add up.
    let usage = reply.usage.clone().unwrap();
    assert_eq!(usage.output_tokens, 12);
    let view = h
        .parley
        .open_conversation(&started.conversation.id)
        .await
        .unwrap();
    assert_eq!(view.messages.len(), 2);
    assert_eq!(text_of(&view.messages[1]), long_text(12));
    // The continuation was asked with the reply so far as its start.
    let last = bodies(&h.server).pop().unwrap();
    assert_eq!(
        last["messages"].as_array().unwrap().last().unwrap()["content"][0]["text"],
        "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"
    );
    // A reply still streaming, or one that ended normally, cannot be continued twice over.
    let error = h
        .parley
        .continue_reply(&view.messages[0].id, Arc::new(CollectingSink::default()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn every_stop_reason_is_kept_verbatim_and_pause_turn_is_continued() {
    let h = harness(|_| {}).await;
    let params = RequestParams {
        stop_sequences: vec!["there".into()],
        ..Default::default()
    };
    let (_, stopped) = send(&h, request("Hello there friend", HAIKU, Some(params))).await;
    assert_eq!(stopped.stop_reason.as_deref(), Some("stop_sequence"));
    assert_eq!(stopped.stop_sequence.as_deref(), Some("there"));
    assert_eq!(text_of(&stopped), "Echo: Hello ");

    let (_, refused) = send(&h, request("[[refusal]]", HAIKU, None)).await;
    assert_eq!(refused.stop_reason.as_deref(), Some("refusal"));
    let (_, odd) = send(
        &h,
        request("[[stop-reason:model_context_window_exceeded]]", HAIKU, None),
    )
    .await;
    assert_eq!(
        odd.stop_reason.as_deref(),
        Some("model_context_window_exceeded")
    );

    h.server.clear_requests();
    let (_, paused) = send(&h, request("[[pause]]", HAIKU, None)).await;
    assert_eq!(paused.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(text_of(&paused), format!("{PAUSE_TEXT}{PAUSE_REST}"));
    let sent = bodies(&h.server);
    assert_eq!(sent.len(), 2, "continued once by itself");
    assert_eq!(
        sent[1]["messages"].as_array().unwrap().last().unwrap()["content"][0]["text"],
        PAUSE_TEXT
    );
}

#[tokio::test]
async fn prompt_caching_marks_the_prefix_and_reports_cache_tokens() {
    let h = harness(|_| {}).await;
    let mut req = request("First question", HAIKU, None);
    req.system_prompt = Some("You are a careful assistant.".into());
    let (started, first) = send(&h, req).await;
    let first_usage = first.usage.clone().unwrap();
    assert!(first_usage.cache_creation_input_tokens.unwrap_or(0) > 0);
    let mut next = request("Second question", HAIKU, None);
    next.conversation_id = Some(started.conversation.id.clone());
    let (_, second) = send(&h, next).await;
    assert!(
        second
            .usage
            .clone()
            .unwrap()
            .cache_read_input_tokens
            .unwrap_or(0)
            > 0,
        "the second request reads what the first wrote"
    );
    let body = &bodies(&h.server)[1];
    assert_eq!(
        body["system"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    let marks = body.to_string().matches("cache_control").count();
    assert_eq!(marks, 3, "system and the last two user turns");
}

#[tokio::test]
async fn a_rejected_cache_control_is_sent_again_without_it() {
    let h = harness(|_| {}).await;
    h.server.set_cache_control_rejected(true);
    let (_, reply) = send(&h, request("Hello", HAIKU, None)).await;
    assert_eq!(reply.error, None, "the user never sees the refusal");
    assert_eq!(text_of(&reply), "Echo: Hello");
    let sent = bodies(&h.server);
    assert_eq!(sent.len(), 2, "retried once");
    assert!(sent[0].to_string().contains("cache_control"));
    assert!(!sent[1].to_string().contains("cache_control"));

    // Remembered for this endpoint: said once in settings, and not tried again.
    let view = h.parley.settings_view().await.unwrap();
    assert_eq!(view.capabilities.cache_control, Some(false));
    h.server.clear_requests();
    let (_, next) = send(&h, request("Again", HAIKU, None)).await;
    assert_eq!(next.error, None);
    let sent = bodies(&h.server);
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].to_string().contains("cache_control"));
}

#[tokio::test]
async fn the_next_request_is_counted_by_the_api_and_estimated_where_it_cannot_be() {
    let h = harness(|_| {}).await;
    let (started, _) = send(&h, request("An earlier question", HAIKU, None)).await;
    let draft = TokenCountRequest {
        conversation_id: Some(started.conversation.id.clone()),
        text: "And a new one, with 中文 in it".into(),
        images: Vec::new(),
        model: HAIKU.into(),
        system_prompt: None,
        params: None,
        prefill: None,
    };
    let counted = h.parley.count_tokens(&draft).await.unwrap();
    assert_eq!(counted.source, TokenSource::Api);
    assert!(counted.tokens > 0);
    let sent: Vec<Value> = h
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/messages/count_tokens")
        .map(|r| r.json().unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    let messages = sent[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "the history and the draft");
    assert_eq!(
        messages[2]["content"][0]["text"],
        "And a new one, with 中文 in it"
    );
    // The same draft again is answered from the cache.
    h.parley.count_tokens(&draft).await.unwrap();
    let counts = || {
        h.server
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/messages/count_tokens")
            .count()
    };
    assert_eq!(counts(), 1);

    h.server.set_count_tokens_enabled(false);
    let changed = TokenCountRequest {
        text: "Something else".into(),
        ..draft
    };
    let estimated = h.parley.count_tokens(&changed).await.unwrap();
    assert_eq!(estimated.source, TokenSource::Estimate);
    assert!(estimated.tokens > 0);
    // Remembered: no more requests to an endpoint that has none.
    h.parley.count_tokens(&changed).await.unwrap();
    assert_eq!(counts(), 2);

    let empty = TokenCountRequest {
        conversation_id: None,
        text: "  ".into(),
        images: Vec::new(),
        model: HAIKU.into(),
        system_prompt: None,
        params: None,
        prefill: None,
    };
    assert_eq!(h.parley.count_tokens(&empty).await.unwrap().tokens, 0);
}

#[tokio::test]
async fn caching_off_in_settings_sends_no_cache_control() {
    let h = harness(|s| s.prompt_caching = false).await;
    send(&h, request("Hello", HAIKU, None)).await;
    assert!(!bodies(&h.server)[0].to_string().contains("cache_control"));
}

#[tokio::test]
async fn update_conversation_params_refuses_invalid_values() {
    let h = harness(|_| {}).await;
    let (started, _) = send(&h, request("Hello", HAIKU, None)).await;
    let id = started.conversation.id;
    let meta = h
        .parley
        .update_conversation_params(
            &id,
            RequestParams {
                top_p: Some(0.9),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(meta.params.top_p, Some(0.9));
    let error = h
        .parley
        .update_conversation_params(
            &id,
            RequestParams {
                top_k: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("top_k"), "{error}");
}

#[tokio::test]
async fn a_count_the_cache_answers_reads_no_image() {
    let h = harness(|_| {}).await;
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        64,
        48,
        image::Rgb([9, 99, 199]),
    ))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let image = h
        .parley
        .prepare_image_bytes(png, "square.png".into())
        .await
        .unwrap();
    let draft = TokenCountRequest {
        conversation_id: None,
        text: "What colour is this?".into(),
        images: vec![ComposerImage::Stored {
            sha256: image.sha256.clone(),
        }],
        model: HAIKU.into(),
        system_prompt: None,
        params: None,
        prefill: None,
    };
    let first = h.parley.count_tokens(&draft).await.unwrap();
    assert_eq!(first.source, TokenSource::Api);
    let sent = h.server.last_request().unwrap().json().unwrap();
    assert_eq!(
        sent["messages"][0]["content"][0]["source"]["type"], "base64",
        "the endpoint gets the image itself"
    );
    // The image file goes away: a count the cache answers does not notice, because the
    // image's content hash, not its bytes, keys the cache.
    std::fs::remove_file(h.dir.path().join("images").join(&image.sha256)).unwrap();
    assert_eq!(h.parley.count_tokens(&draft).await.unwrap(), first);
    let changed = TokenCountRequest {
        text: "And now?".into(),
        ..draft
    };
    let error = h.parley.count_tokens(&changed).await.unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::ImageMissing,
        "a new count reads it"
    );
}
