//! Process groups: a server is started as the leader of its own group, and ending it ends the
//! group, so helpers it spawned (`npx` → `node`, `uvx` → `python`) do not outlive it.

/// Sends SIGKILL to the process group led by `pid`. Errors (the group is already gone) are
/// ignored: the goal is that it no longer exists.
pub(crate) fn kill_group(pid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pgid <= 1 {
        // 0 or 1 would mean our own group or init: never what is meant.
        return;
    }
    // SAFETY: killpg takes plain integers and has no memory-safety preconditions.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Kills the group when dropped: whatever path ends a connection (stop, restart, a panic, the
/// runtime shutting down), the server's processes go with it.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    pub(crate) pid: u32,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.pid);
    }
}
