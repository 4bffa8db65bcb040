//! Which core chain each `on*` registration goes into, and swapping the
//! JS handlers of all chains on (re)load.

use std::collections::HashMap;
use std::sync::Arc;

use super::hook_table::{HOOKS, Target};
use super::{BridgeEvent, JS_OWNER, rust_handler};
use crate::core::App;
use crate::core::hooks::Hook;
use crate::jsvm::pool::Pool;

/// The registrations of a load by hook name: (index, priority, tags).
pub(super) type Regs<'a> = HashMap<&'a str, Vec<(usize, i32, Vec<String>)>>;

/// Swaps the JS handlers of one chain for the ones registered under `name`.
pub(super) fn rebind<E: BridgeEvent>(hook: &Hook<E>, name: &'static str, regs: &Regs<'_>, pool: Option<&Arc<Pool>>) {
    let handlers = regs
        .get(name)
        .zip(pool)
        .map(|(list, pool)| {
            list.iter()
                .map(|(index, priority, tags)| (*priority, tags.clone(), rust_handler::<E>(pool.clone(), *index, name)))
                .collect()
        })
        .unwrap_or_default();
    hook.replace_owner(JS_OWNER, handlers);
}

/// Replaces the JS handlers in every chain of `app` with the ones `pool`
/// registered (each chain swapped atomically).
pub fn bind_hooks(app: &App, pool: &Arc<Pool>) {
    bind(app, Some(pool));
}

/// Removes every JS handler from `app` (the engine stopped). This also
/// ends the pools, whose handlers keep them alive.
pub fn unbind_hooks(app: &App) {
    bind(app, None);
}

fn bind(app: &App, pool: Option<&Arc<Pool>>) {
    crate::jsvm::jobs::bind_crons(app, pool);
    let mut regs: Regs<'_> = HashMap::new();
    let defs = pool.map(|p| p.registry.hooks.as_slice()).unwrap_or_default();
    for (index, def) in defs.iter().enumerate() {
        if def.name.is_empty() {
            continue;
        }
        regs.entry(def.name.as_str()).or_default().push((index, def.priority, def.tags.clone()));
    }
    let h = app.hooks();
    for spec in HOOKS {
        match spec.target {
            Target::Chain(bind) => bind(h, &regs, pool),
            Target::Unsupported if regs.contains_key(spec.name) => {
                tracing::warn!("{} is not supported yet: its JS handlers will not run", spec.name);
            }
            Target::Unsupported | Target::Serve => {}
        }
    }
}
