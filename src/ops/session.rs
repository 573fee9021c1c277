//! What every operation works with: where the state is, and how hosts are reached. A front
//! end makes one per process (the CLI per command, the API server once) and passes it to
//! every operation.

use std::sync::Arc;

use crate::docker::transport::Transport;
use crate::state::State;
use crate::state::backend::Store;

#[derive(Clone)]
pub struct Session {
    pub store: Store,
    /// How hosts that are not local are reached (the SSH transport, one connection per host).
    pub transport: Arc<dyn Transport>,
}

impl Session {
    pub fn new(store: Store, transport: Arc<dyn Transport>) -> Self {
        Session { store, transport }
    }

    /// A session over `store` that reaches remote hosts with the system `ssh`, sharing
    /// connections with other commands through `store`.
    pub fn with_ssh(store: Store) -> Self {
        let transport = crate::docker::ssh::SshTransport::new(store.local_root());
        Session::new(store, Arc::new(transport))
    }

    /// The state, or an empty one when nothing was applied yet (for operations that only read).
    pub fn state_or_empty(&self) -> anyhow::Result<State> {
        Ok(self
            .store
            .read_state()?
            .unwrap_or_else(|| State::empty(String::new())))
    }
}
