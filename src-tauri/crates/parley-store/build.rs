//! `sqlx::migrate!` embeds the migration files at compile time, so Cargo must
//! rebuild this crate whenever a file in `migrations/` is added or edited.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
