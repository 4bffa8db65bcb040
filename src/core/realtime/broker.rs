//! The subscriptions broker (`$app.subscriptionsBroker()`): the registry of
//! connected clients, message delivery through the `onRealtimeMessageSend`
//! hooks, and the fan-out worker that turns record changes into messages
//! off the writers' threads.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use parking_lot::{Mutex, RwLock};

use super::broadcast::Job;
use super::client::{Client, Message};
use super::events::RealtimeMessageEvent;
use super::queue::Pushed;
use super::requests::Sent;
use crate::core::app::App;

/// The registry of realtime clients.
#[derive(Default)]
pub struct Broker {
    clients: RwLock<HashMap<Arc<str>, Arc<Client>>>,
    count: AtomicUsize,
    closed: AtomicBool,
    /// Feeds the fan-out worker thread, started on first use.
    worker: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Broker {
    /// Adds a client. After [`Broker::close`] the client is discarded
    /// instead (its stream ends at once).
    pub fn register(&self, client: Arc<Client>) {
        if self.closed.load(Ordering::Acquire) {
            client.discard();
            return;
        }
        let previous = self.clients.write().insert(client.id_arc(), client);
        match previous {
            Some(old) => old.discard(),
            None => {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Removes a client and discards it (no-op for unknown ids).
    pub fn unregister(&self, id: &str) {
        let removed = self.clients.write().remove(id);
        if let Some(client) = removed {
            self.count.fetch_sub(1, Ordering::Relaxed);
            client.discard();
        }
    }

    /// Removes `client` only if it is still the one registered under its id.
    pub fn unregister_client(&self, client: &Arc<Client>) {
        let mut clients = self.clients.write();
        if clients.get(client.id()).is_some_and(|c| Arc::ptr_eq(c, client)) {
            clients.remove(client.id());
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        drop(clients);
        client.discard();
    }

    /// A registered client by id.
    pub fn client_by_id(&self, id: &str) -> Option<Arc<Client>> {
        self.clients.read().get(id).cloned()
    }

    /// A snapshot of all registered clients.
    pub fn clients(&self) -> Vec<Arc<Client>> {
        self.clients.read().values().cloned().collect()
    }

    /// The clients split into chunks of `size`.
    pub fn chunked_clients(&self, size: usize) -> Vec<Vec<Arc<Client>>> {
        self.clients().chunks(size.max(1)).map(<[Arc<Client>]>::to_vec).collect()
    }

    /// How many clients are registered.
    pub fn total_clients(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether no client is registered (the fast path of every record save).
    pub fn is_empty(&self) -> bool {
        self.total_clients() == 0
    }

    /// Server shutdown: discards every client (their streams end, which
    /// lets the HTTP server finish) and refuses new ones.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let all: Vec<Arc<Client>> = self.clients.write().drain().map(|(_, c)| c).collect();
        self.count.store(0, Ordering::Relaxed);
        for c in all {
            c.discard();
        }
    }

    /// Whether [`Broker::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Hands work to the fan-out worker (never waits for it).
    pub(crate) fn dispatch(&self, job: Job) {
        let mut worker = self.worker.lock();
        let job = match worker.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new().name("realtime-fanout".into()).spawn(move || {
            while let Ok(job) = rx.recv() {
                // a panic in one job must not end realtime for everyone
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run())).is_err() {
                    tracing::error!("realtime fan-out job panicked");
                }
            }
        });
        match spawned {
            Ok(_) => {
                if tx.send(job).is_ok() {
                    *worker = Some(tx);
                }
            }
            Err(e) => tracing::error!("cannot start the realtime fan-out thread: {e}"),
        }
    }
}

impl App {
    /// Queues a message for a client through the `onRealtimeMessageSend`
    /// hooks. A client whose queue overflows, or whose message hook
    /// fails, is dropped (it reconnects).
    pub fn realtime_deliver(&self, client: &Arc<Client>, message: Arc<Message>) -> Sent {
        let hook = &self.hooks().on_realtime_message_send;
        let pushed = if hook.is_empty() {
            Some(client.push(message))
        } else {
            let mut ev = RealtimeMessageEvent {
                app: self.without_tx(),
                client: client.clone(),
                message: Arc::unwrap_or_clone(message),
            };
            let mut pushed = None;
            let res = hook.trigger(&mut ev, &mut |e| {
                pushed = Some(e.client.push(Arc::new(e.message.clone())));
                Ok(())
            });
            if let Err(err) = res {
                tracing::debug!("realtime message to {} refused by a hook: {err}", client.id());
                self.realtime().unregister_client(client);
                return Sent::Dropped;
            }
            pushed
        };
        match pushed {
            None => Sent::Skipped,
            Some(Pushed::Queued) => Sent::Queued,
            Some(Pushed::Full) => {
                tracing::debug!("realtime client {} is too slow: dropped", client.id());
                self.realtime().unregister_client(client);
                Sent::Dropped
            }
            Some(Pushed::Closed) => Sent::Dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_unregister_and_close() {
        let b = Broker::default();
        let c1 = Client::new();
        let c2 = Client::new();
        b.register(c1.clone());
        b.register(c2.clone());
        assert_eq!(b.total_clients(), 2);
        assert!(b.client_by_id(c1.id()).is_some());
        b.unregister(c1.id());
        assert!(c1.is_discarded());
        assert_eq!(b.total_clients(), 1);
        assert_eq!(b.chunked_clients(1).len(), 1);
        b.close();
        assert!(c2.is_discarded());
        assert!(b.is_empty());
        let late = Client::new();
        b.register(late.clone());
        assert!(late.is_discarded() && b.is_empty(), "no new clients after close");
    }

    #[test]
    fn unregister_client_leaves_a_newer_client_with_the_same_id() {
        let b = Broker::default();
        let old = Arc::new(Client::with_id("same"));
        let new = Arc::new(Client::with_id("same"));
        b.register(old.clone());
        b.register(new.clone());
        assert!(old.is_discarded());
        b.unregister_client(&old);
        assert_eq!(b.total_clients(), 1);
        assert!(!new.is_discarded());
    }
}
