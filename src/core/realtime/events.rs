//! The realtime hook events: `onRealtimeConnectRequest`,
//! `onRealtimeSubscribeRequest` and `onRealtimeMessageSend`.

use std::sync::Arc;
use std::time::Duration;

use super::client::{Client, Message};
use crate::core::app::App;
use crate::core::hooks::Tagged;
use crate::core::request::RequestInfo;

/// PocketBase's idle timeout of a realtime connection (reset by each message).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// PocketBase's longest lifetime of a realtime connection.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A new SSE connection (`GET /api/realtime`). Handlers may change the
/// timeouts or the client before `next()`, which registers the client and
/// queues `PB_CONNECT`.
pub struct RealtimeConnectRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    pub client: Arc<Client>,
    pub idle_timeout: Duration,
    pub max_timeout: Duration,
    /// Set by the innermost action; false when a hook did not call next.
    pub handled: bool,
}

impl Tagged for RealtimeConnectRequestEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// A subscriptions change (`POST /api/realtime`): handlers may change
/// `subscriptions` before `next()` applies them.
pub struct RealtimeSubscribeRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    pub client: Arc<Client>,
    pub subscriptions: Vec<String>,
    pub handled: bool,
}

impl Tagged for RealtimeSubscribeRequestEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// A message about to be queued for a client (`PB_CONNECT`, record
/// events, custom messages). Handlers may change or drop it (no `next()`);
/// an error drops the client.
pub struct RealtimeMessageEvent {
    pub app: App,
    pub client: Arc<Client>,
    pub message: Message,
}

impl Tagged for RealtimeMessageEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}
