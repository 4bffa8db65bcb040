//! Realtime: the subscriptions broker (clients, their topics, auth and
//! store), bounded per-client message queues, the realtime hook events and
//! the fan-out of record changes to the subscribers the collection's rules
//! let see them. The SSE endpoint lives in `api::realtime`; this module
//! knows nothing of HTTP.

pub mod broadcast;
pub mod broker;
pub mod client;
pub mod events;
pub mod oauth2;
pub mod queue;
pub mod requests;
pub mod topic;

pub use broker::Broker;
pub use client::{Client, Message, StoreValue};
pub use events::{RealtimeConnectRequestEvent, RealtimeMessageEvent, RealtimeSubscribeRequestEvent};
