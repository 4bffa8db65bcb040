//! The hook mechanism: a typed chain of handlers with `next()` semantics.
//! Core actions run as the innermost step, so a handler that does not call
//! `next` stops the action. Rust and JS handlers share the same chains.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

use super::app::App;
use super::error::{Error, Result};
use super::events::{ActionHooks, Hooks, ModelEvent};

/// Continues a hook chain.
pub type Next<'a, E> = &'a mut dyn FnMut(&mut E) -> Result<()>;

/// A hook handler: gets the event and the continuation.
pub type HandlerFn<E> = Arc<dyn Fn(&mut E, Next<'_, E>) -> Result<()> + Send + Sync>;

/// Events that can be filtered by tags (collection names or ids).
pub trait Tagged {
    /// Whether the event matches any of `tags`.
    fn matches_tags(&self, tags: &[String]) -> bool;
}

struct Entry<E> {
    id: u64,
    owner: String,
    priority: i32,
    tags: Vec<String>,
    func: HandlerFn<E>,
}

impl<E> Clone for Entry<E> {
    fn clone(&self) -> Self {
        Entry {
            id: self.id,
            owner: self.owner.clone(),
            priority: self.priority,
            tags: self.tags.clone(),
            func: self.func.clone(),
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An ordered chain of handlers for one event type.
pub struct Hook<E> {
    entries: ArcSwap<Vec<Entry<E>>>,
}

impl<E> Default for Hook<E> {
    fn default() -> Self {
        Hook { entries: ArcSwap::from_pointee(Vec::new()) }
    }
}

impl<E: Tagged> Hook<E> {
    /// Adds a handler. `owner` groups handlers for removal (e.g. `"js"`);
    /// lower `priority` runs first, equal priorities keep registration order;
    /// untagged handlers run before tagged ones of the same priority.
    pub fn bind(&self, owner: &str, priority: i32, tags: Vec<String>, func: HandlerFn<E>) -> u64 {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        self.entries.rcu(|cur| {
            let mut v: Vec<Entry<E>> = cur.as_ref().clone();
            v.push(Entry { id, owner: owner.to_string(), priority, tags: tags.clone(), func: func.clone() });
            v.sort_by_key(|e| (e.priority, !e.tags.is_empty()));
            v
        });
        id
    }

    /// Removes one handler.
    pub fn unbind(&self, id: u64) {
        self.entries.rcu(|cur| cur.iter().filter(|e| e.id != id).cloned().collect::<Vec<_>>());
    }

    /// Removes every handler of an owner.
    pub fn unbind_owner(&self, owner: &str) {
        self.entries.rcu(|cur| cur.iter().filter(|e| e.owner != owner).cloned().collect::<Vec<_>>());
    }

    /// Atomically replaces every handler of `owner` with `handlers`
    /// (`(priority, tags, func)`, in registration order), so a reload never
    /// leaves the chain without them or with both sets. Returns the new ids.
    pub fn replace_owner(&self, owner: &str, handlers: Vec<(i32, Vec<String>, HandlerFn<E>)>) -> Vec<u64> {
        let new: Vec<Entry<E>> = handlers
            .into_iter()
            .map(|(priority, tags, func)| Entry {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                owner: owner.to_string(),
                priority,
                tags,
                func,
            })
            .collect();
        let ids = new.iter().map(|e| e.id).collect();
        self.entries.rcu(|cur| {
            let mut v: Vec<Entry<E>> = cur.iter().filter(|e| e.owner != owner).cloned().collect();
            v.extend(new.iter().cloned());
            v.sort_by_key(|e| (e.priority, !e.tags.is_empty()));
            v
        });
        ids
    }

    /// Whether any handler is bound.
    pub fn is_empty(&self) -> bool {
        self.entries.load().is_empty()
    }

    /// Runs the chain, ending with `action`.
    pub fn trigger(&self, e: &mut E, action: Next<'_, E>) -> Result<()> {
        let entries = self.entries.load_full();
        if entries.is_empty() {
            return action(e);
        }
        run(&entries, 0, e, action)
    }
}

fn run<E: Tagged>(entries: &[Entry<E>], idx: usize, e: &mut E, action: Next<'_, E>) -> Result<()> {
    let Some(entry) = entries.get(idx) else {
        return action(e);
    };
    if !entry.tags.is_empty() && !e.matches_tags(&entry.tags) {
        return run(entries, idx + 1, e, action);
    }
    let mut next = |ev: &mut E| run(entries, idx + 1, ev, action);
    (entry.func)(e, &mut next)
}

// ---------------------------------------------------------------------------
// The model action chain
// ---------------------------------------------------------------------------

/// What after-error handlers see as `e.error`: the failure of the action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionError {
    pub status: u16,
    pub message: String,
}

impl From<&Error> for ActionError {
    fn from(e: &Error) -> Self {
        ActionError { status: e.status(), message: e.to_string() }
    }
}

/// A model event (record, collection, …) that PocketBase runs through its
/// typed chains (`onRecordCreate`, …) and, inside each, the generic
/// `onModel*` chain of the same step.
pub trait ModelActionEvent: Tagged + Clone + Send + 'static {
    /// Runs `inner` inside the generic model chain `hook`.
    fn through_model(hook: &Hook<ModelEvent>, e: &mut Self, inner: Next<'_, Self>) -> Result<()>;
    /// The app handle the handlers get (a transaction's during the action).
    fn set_app(&mut self, app: &App);
    /// Sets `e.error` for the after-error handlers.
    fn set_error(&mut self, error: Option<ActionError>);
}

/// The typed and generic chains of one action, picked from the app's hooks
/// (a plain function, so after-commit work can look them up again).
pub type ChainsOf<E> = for<'h> fn(&'h Hooks) -> (&'h ActionHooks<E>, &'h ActionHooks<ModelEvent>);

/// One model action: which chains, and the work they wrap.
pub struct ModelAction<'a, E> {
    pub chains: ChainsOf<E>,
    /// Runs the before and execute steps in one transaction.
    pub in_transaction: bool,
    /// Work inside the before chain, ahead of the execute chain (prepare, validate).
    pub before_execute: Next<'a, E>,
    /// The storage step, innermost in the execute chain.
    pub execute: Next<'a, E>,
}

impl App {
    /// Runs a model action through PocketBase's whole chain: before →
    /// (before_execute) → execute → storage, then after-success once the
    /// transaction commits, or after-error with `e.error` when anything
    /// failed. A handler that does not call `next()` stops the action: no
    /// after hooks then. A failing after-error handler is logged; the
    /// action's own error is what the caller gets.
    pub fn run_model_action<E: ModelActionEvent>(&self, ev: &mut E, action: ModelAction<'_, E>) -> Result<()> {
        let ModelAction { chains, in_transaction, before_execute, execute } = action;
        let mut executed = false;
        let mut steps = |app: &App, ev: &mut E| -> Result<()> {
            ev.set_app(app);
            let (typed, generic) = chains(app.hooks());
            typed.before.trigger(ev, &mut |e| {
                E::through_model(&generic.before, e, &mut |e| {
                    before_execute(e)?;
                    typed.execute.trigger(e, &mut |e| {
                        E::through_model(&generic.execute, e, &mut |e| {
                            executed = true;
                            execute(e)
                        })
                    })
                })
            })
        };
        let res = if in_transaction { self.run_in_transaction(|tx| steps(tx, ev)) } else { steps(self, ev) };
        ev.set_app(self);
        match res {
            Ok(()) if !executed => Ok(()),
            Ok(()) => {
                let app = self.without_tx();
                let mut after = ev.clone();
                self.after_commit(move || {
                    after.set_app(&app);
                    let (typed, generic) = chains(app.hooks());
                    typed
                        .after_success
                        .trigger(&mut after, &mut |e| E::through_model(&generic.after_success, e, &mut |_| Ok(())))
                })
            }
            Err(err) => {
                let mut after = ev.clone();
                after.set_error(Some(ActionError::from(&err)));
                let (typed, generic) = chains(self.hooks());
                if let Err(hook_err) = typed
                    .after_error
                    .trigger(&mut after, &mut |e| E::through_model(&generic.after_error, e, &mut |_| Ok(())))
                {
                    tracing::error!("an after-error hook failed: {hook_err} (while handling: {err})");
                    self.log(
                        8,
                        "After-error hook failed",
                        serde_json::json!({"error": hook_err.to_string(), "actionError": err.to_string()}),
                    );
                }
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ev {
        tag: String,
        log: Vec<String>,
    }

    impl Tagged for Ev {
        fn matches_tags(&self, tags: &[String]) -> bool {
            tags.contains(&self.tag)
        }
    }

    #[test]
    fn handlers_run_in_order_and_can_stop_the_action() {
        let hook: Hook<Ev> = Hook::default();
        hook.bind(
            "t",
            0,
            vec![],
            Arc::new(|e: &mut Ev, next: Next<'_, Ev>| {
                e.log.push("a".into());
                next(e)?;
                e.log.push("a-after".into());
                Ok(())
            }),
        );
        let stopper = hook.bind(
            "t",
            0,
            vec!["posts".into()],
            Arc::new(|e: &mut Ev, _next: Next<'_, Ev>| {
                e.log.push("stop".into());
                Ok(())
            }),
        );
        let mut ev = Ev { tag: "posts".into(), log: vec![] };
        hook.trigger(&mut ev, &mut |e| {
            e.log.push("action".into());
            Ok(())
        })
        .expect("chain runs");
        assert_eq!(ev.log, ["a", "stop", "a-after"]);

        let mut other = Ev { tag: "users".into(), log: vec![] };
        hook.trigger(&mut other, &mut |e| {
            e.log.push("action".into());
            Ok(())
        })
        .expect("chain runs");
        assert_eq!(other.log, ["a", "action", "a-after"], "tagged handler skipped");

        hook.replace_owner(
            "x",
            vec![(
                0,
                vec![],
                Arc::new(|e: &mut Ev, next: Next<'_, Ev>| {
                    e.log.push("x".into());
                    next(e)
                }),
            )],
        );
        let mut replaced = Ev { tag: "users".into(), log: vec![] };
        hook.trigger(&mut replaced, &mut |e| {
            e.log.push("action".into());
            Ok(())
        })
        .expect("chain runs");
        assert_eq!(replaced.log, ["a", "x", "action", "a-after"]);
        hook.replace_owner("x", vec![]);

        hook.unbind(stopper);
        let mut again = Ev { tag: "posts".into(), log: vec![] };
        hook.trigger(&mut again, &mut |e| {
            e.log.push("action".into());
            Ok(())
        })
        .expect("chain runs");
        assert_eq!(again.log, ["a", "action", "a-after"]);
    }
}
