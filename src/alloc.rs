//! The allocator's side of a long-running process. glibc's malloc gives each thread that
//! contends an arena of its own (up to eight per core) and keeps the memory freed in them: a
//! `watch` of 300 tasks kept about half again its idle size after a rollout, most of it free
//! memory held by malloc. [`limit_arenas`] bounds the arenas; [`release_free_memory`] hands
//! the pages that freed memory occupies back to the system, as a watch does every few
//! seconds. `benches/watch_memory.sh` measures it (mimalloc measured larger, idle and after).
//! Elsewhere than glibc both do nothing.

/// Arenas glibc may create: ecsctl's runtime has two worker threads.
pub const MAX_ARENAS: i32 = 2;

/// Bounds glibc's arenas. Call it first, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MAX_ARENAS);
    }
}

/// Gives the pages of freed memory back to the system (glibc's `malloc_trim`, every arena).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes malloc's own locks; it is safe from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Releases freed memory every `interval`, for as long as the runtime runs it.
pub async fn release_free_memory_every(interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        release_free_memory();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn releasing_keeps_what_is_in_use() {
        super::limit_arenas();
        let kept: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        let freed: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        drop(freed);
        super::release_free_memory();
        assert!(
            kept.iter()
                .enumerate()
                .all(|(i, v)| v.iter().all(|b| *b == i as u8))
        );
    }
}
