//! The bounded message queue between the fan-out and one client's stream.
//! Writers only ever `push` (never wait): a queue that reaches its bound
//! overflows, which drops the client (it reconnects) instead of letting a
//! slow reader hold memory or stall anyone. The reading side is a plain
//! `poll_next` so the HTTP layer can drive it from its response stream.
//! An idle queue owns no buffer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use super::client::Message;

/// How many messages may wait for one client before it is dropped.
pub const QUEUE_CAPACITY: usize = 1024;

/// A queue that grew beyond this is given a fresh buffer once it drains,
/// so a burst does not stay allocated on an idle client.
const SHRINK_ABOVE: usize = 16;

/// What happened to a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Waiting for the client's stream.
    Queued,
    /// The queue was full: it is now overflowed and the client must go.
    Full,
    /// The client is gone (discarded or overflowed before).
    Closed,
}

/// The stream's end: the queue overflowed and the connection should be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflowed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Discarded: what is queued is still delivered, then the stream ends.
    Closed,
    Overflowed,
}

struct Inner {
    items: VecDeque<Arc<Message>>,
    waker: Option<Waker>,
    state: State,
}

/// A single-reader, many-writer bounded queue.
pub struct Queue {
    inner: Mutex<Inner>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue { inner: Mutex::new(Inner { items: VecDeque::new(), waker: None, state: State::Open }) }
    }
}

impl Queue {
    /// Adds a message without waiting.
    pub fn push(&self, message: Arc<Message>) -> Pushed {
        let (result, waker) = {
            let mut q = self.inner.lock();
            if q.state != State::Open {
                return Pushed::Closed;
            }
            if q.items.len() >= QUEUE_CAPACITY {
                q.state = State::Overflowed;
                q.items = VecDeque::new();
                (Pushed::Full, q.waker.take())
            } else {
                q.items.push_back(message);
                (Pushed::Queued, q.waker.take())
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        result
    }

    /// Ends the queue: later pushes are refused, the reader gets what is
    /// already queued and then the end.
    pub fn close(&self) {
        let waker = {
            let mut q = self.inner.lock();
            if q.state == State::Open {
                q.state = State::Closed;
            }
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether pushes are refused.
    pub fn is_closed(&self) -> bool {
        self.inner.lock().state != State::Open
    }

    /// How many messages wait.
    pub fn len(&self) -> usize {
        self.inner.lock().items.len()
    }

    /// Whether no message waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next message; `None` once closed and drained, `Some(Err)` when
    /// the queue overflowed.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Arc<Message>, Overflowed>>> {
        let mut q = self.inner.lock();
        if let Some(m) = q.items.pop_front() {
            if q.items.is_empty() && q.items.capacity() > SHRINK_ABOVE {
                q.items = VecDeque::new();
            }
            return Poll::Ready(Some(Ok(m)));
        }
        match q.state {
            State::Overflowed => Poll::Ready(Some(Err(Overflowed))),
            State::Closed => Poll::Ready(None),
            State::Open => {
                if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    q.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(name: &str) -> Arc<Message> {
        Arc::new(Message::new(name, "{}"))
    }

    fn next(q: &Queue) -> Poll<Option<Result<Arc<Message>, Overflowed>>> {
        let mut cx = Context::from_waker(Waker::noop());
        q.poll_next(&mut cx)
    }

    #[test]
    fn delivers_in_order_then_waits() {
        let q = Queue::default();
        assert_eq!(q.push(msg("a")), Pushed::Queued);
        assert_eq!(q.push(msg("b")), Pushed::Queued);
        assert!(matches!(next(&q), Poll::Ready(Some(Ok(m))) if m.name == "a"));
        assert!(matches!(next(&q), Poll::Ready(Some(Ok(m))) if m.name == "b"));
        assert!(next(&q).is_pending());
    }

    #[test]
    fn a_full_queue_overflows_and_refuses_more() {
        let q = Queue::default();
        for _ in 0..QUEUE_CAPACITY {
            assert_eq!(q.push(msg("x")), Pushed::Queued);
        }
        assert_eq!(q.push(msg("x")), Pushed::Full);
        assert_eq!(q.push(msg("x")), Pushed::Closed);
        assert!(matches!(next(&q), Poll::Ready(Some(Err(Overflowed)))));
        assert_eq!(q.len(), 0, "an overflowed queue frees its messages");
    }

    #[test]
    fn close_drains_what_is_queued_then_ends() {
        let q = Queue::default();
        q.push(msg("a"));
        q.close();
        assert_eq!(q.push(msg("b")), Pushed::Closed);
        assert!(matches!(next(&q), Poll::Ready(Some(Ok(m))) if m.name == "a"));
        assert!(matches!(next(&q), Poll::Ready(None)));
    }
}
