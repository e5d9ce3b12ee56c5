//! `parley-bench-bare`: the floor that Parley's start-up and memory benchmarks compare against
//! (issue 13, goal 7). The same Tauri and WebKitGTK as Parley, one window like Parley's, and a
//! page with nothing in it but the marker the benchmark waits for: no commands, no plugins, no
//! state. Whatever Parley costs beyond this is Parley's own.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(err) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("parley-bench-bare: {err}");
        std::process::exit(1);
    }
}
