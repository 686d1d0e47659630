//! Points where a test may hold a password login, to make its races with a password
//! change deterministic.
//!
//! A login verifies a password, may then store a stronger hash of it, and opens a
//! session; a reset redeemed in between must still win. Those windows last a few
//! microseconds in production, so a test that wants to land a reset inside one installs a
//! hook here (through the service's state, which only in-process code reaches: nothing in
//! the configuration or over HTTP sets it) and the login awaits it at each step. Without a
//! hook, a step costs one atomic load.

use std::sync::{Arc, OnceLock};

use futures_util::future::BoxFuture;

/// Where a password login is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStep {
    /// The password matched the stored hash; nothing has been written yet.
    PasswordVerified,
    /// About to open the session (after any rehash).
    OpeningSession,
}

/// A hook awaited at every step of every password login.
pub type LoginHook = Arc<dyn Fn(LoginStep) -> BoxFuture<'static, ()> + Send + Sync>;

/// The hook, when a test installed one.
#[derive(Default)]
pub struct LoginPauses {
    hook: OnceLock<LoginHook>,
}

impl LoginPauses {
    /// Awaits the hook, if any, at `step`.
    pub async fn reached(&self, step: LoginStep) {
        if let Some(hook) = self.hook.get() {
            hook(step).await;
        }
    }

    /// Installs the hook; false when one is already installed. For tests only.
    #[doc(hidden)]
    pub fn install_for_tests(&self, hook: LoginHook) -> bool {
        self.hook.set(hook).is_ok()
    }
}
