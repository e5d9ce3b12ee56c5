//! `Environment::take_from_process` removes `ANTHROPIC_API_KEY` from the process environment, so
//! no child process (the link opener, tool servers) inherits the key. The check runs in a child
//! process of this test binary, started with the key set, because changing the environment is
//! only sound before other threads exist (this file holds one test, run alone in the child).

use std::process::Command;

use parley_core::Environment;

const CHILD_FLAG: &str = "PARLEY_ENVIRONMENT_TEST_CHILD";
const KEY: &str = "sk-ant-inherit-me-not-0123456789";

#[test]
fn the_environment_key_is_read_once_and_not_inherited_by_child_processes() {
    if std::env::var_os(CHILD_FLAG).is_some() {
        // SAFETY: this process runs this one test on one thread (`--test-threads=1`).
        let env = unsafe { Environment::take_from_process() };
        assert_eq!(env.api_key.as_deref(), Some(KEY), "the key is still read");
        let child = Command::new("sh")
            .args(["-c", "printf %s \"${ANTHROPIC_API_KEY-unset}\""])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&child.stdout), "unset");
        assert!(std::env::var_os("ANTHROPIC_API_KEY").is_none());
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_environment_key_is_read_once_and_not_inherited_by_child_processes",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_FLAG, "1")
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the child saw the key survive: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child really ran the check"
    );
}
