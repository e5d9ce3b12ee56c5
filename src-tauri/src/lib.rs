//! The Tauri shell of Parley: wiring only. Every command is a thin adapter over one method of
//! [`parley_core::Parley`]; the logic and its tests live in the core crates.

mod commands;
mod data_dir;
mod startup;
mod window;

use parley_core::{Environment, Parley};
use tauri::{Manager, Runtime};

/// Builds and runs the app.
pub fn run() {
    // SAFETY: first thing in the process, before any thread is spawned (logging set-up below
    // spawns none, Tauri's runtime comes later). Taking the environment here removes
    // ANTHROPIC_API_KEY from it, so no child process inherits the key.
    let env = unsafe { Environment::take_from_process() };
    data_dir::restrict_umask();
    init_logging();
    let app = match wire(tauri::Builder::default(), env).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "Parley could not start");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(parley) = handle.try_state::<Parley>()
        {
            // Streams still running store their partial replies as cancelled before we exit.
            tauri::async_runtime::block_on(parley.shutdown(std::time::Duration::from_secs(2)));
        }
    });
}

/// Plugins, state set-up, commands and window events, generic over the runtime so a test can
/// boot the same wiring with `tauri::test::mock_builder()`.
pub fn wire<R: Runtime>(builder: tauri::Builder<R>, env: Environment) -> tauri::Builder<R> {
    builder
        // First, as its docs require: a second launch on this data folder hands over to the
        // running Parley (its window comes forward) and exits here, before anything is opened.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(data_dir::instance_id())
                .callback(|app, _args, _cwd| window::bring_forward(app))
                .build(),
        )
        .plugin(tauri_plugin_opener::init())
        .manage(startup::Startup::default())
        .setup(move |app| {
            let data_dir = data_dir::resolve(app.handle())?;
            startup::open(app.handle(), data_dir, env)?;
            Ok(())
        })
        // Files the user picks or drops are the only ones `prepare_image_file` reads.
        .manage(parley_core::images::GrantedPaths::default())
        .on_window_event(commands::images::remember_dropped_paths)
        .invoke_handler(tauri::generate_handler![
            startup::startup_status,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::test_connection,
            commands::settings::set_proxy_password,
            commands::settings::test_proxy,
            commands::keys::api_key_status,
            commands::keys::set_api_key,
            commands::keys::clear_api_key,
            commands::conversations::open_conversation,
            commands::conversations::branch_before,
            commands::conversations::read_rendered,
            commands::conversations::write_rendered,
            commands::conversations::update_conversation,
            commands::conversations::select_branch,
            commands::history::list_history,
            commands::history::conversation_summary,
            commands::history::rename_conversation,
            commands::history::set_pinned,
            commands::history::create_folder,
            commands::history::rename_folder,
            commands::history::delete_folder,
            commands::history::move_to_folder,
            commands::history::trash_conversations,
            commands::history::restore_conversations,
            commands::history::purge_trash,
            commands::history::search_history,
            commands::history::open_search_hit,
            commands::gallery::list_gallery,
            commands::export::export_conversations,
            commands::export::import_conversations,
            commands::images::pick_image_files,
            commands::images::prepare_image_file,
            commands::images::prepare_image_bytes,
            commands::images::paste_clipboard_image,
            commands::images::read_image,
            commands::chat::send_message,
            commands::chat::regenerate_reply,
            commands::chat::edit_and_resend,
            commands::chat::cancel_stream,
            commands::chat::continue_reply,
            commands::chat::count_tokens,
            commands::conversations::update_conversation_params,
            commands::conversations::conversation_totals,
            commands::settings::refresh_models,
            commands::settings::spend_summary,
            commands::presets::list_presets,
            commands::presets::save_preset,
            commands::presets::delete_preset,
            commands::presets::set_default_preset,
            commands::tools::start_mcp_servers,
            commands::tools::list_mcp_servers,
            commands::tools::save_mcp_server,
            commands::tools::delete_mcp_server,
            commands::tools::import_mcp_servers,
            commands::tools::restart_mcp_server,
            commands::tools::set_mcp_server_enabled,
            commands::tools::set_mcp_tool_enabled,
            commands::tools::list_tool_permissions,
            commands::tools::revoke_tool_permission,
            commands::tools::decide_tool_call,
            commands::tools::submit_tool_result,
            commands::tools::live_tool_calls,
            commands::tools::resume_tool_loop,
        ])
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PARLEY_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
