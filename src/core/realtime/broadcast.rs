//! Record changes → realtime messages. The model after-success hooks hand
//! creates and updates to the fan-out worker (after the commit, so a
//! rolled-back change never reaches it); deletes are resolved just before
//! the row goes (the rules must still see it) and sent after the commit.
//! For each client subscribed to `collection/*` (list rule) or
//! `collection/recordId` (view rule) the rule, the subscription's
//! `filter` and its `expand`/`fields` are applied with that client's auth;
//! clients with the same subscription and auth share one check and one
//! message, so ten thousand guests cost one rule query.
//!
//! Auth changes reach the clients here too: an updated auth record
//! replaces the clients' copy (or logs them out when its tokenKey
//! changed), a deleted one, a deleted auth collection or a changed token
//! secret logs its clients out.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Map;

use super::client::{Client, Message};
use super::topic::{Subscription, next_sequence};
use crate::core::app::App;
use crate::core::events::{CollectionEvent, Model, ModelEvent};
use crate::core::filter::{FilterContext, QueryBuilder, compile_filter};
use crate::core::hooks::Next;
use crate::core::records::Record;
use crate::core::records::expand::ExpandTree;
use crate::core::records::fields::pick;
use crate::core::request::RequestInfo;

/// Owner of the realtime handlers in the hook chains.
const OWNER: &str = "realtime";

/// Longest accepted subscription `filter` (PocketBase's list filter bound).
const MAX_FILTER_LENGTH: usize = 3500;

/// A record change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    /// The `action` of the message.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// Messages ready to be queued, one per (client, subscription).
pub type Prepared = Vec<(Arc<Client>, Arc<Message>)>;

/// The message of one (subscription string, auth key) pair, `None` when
/// that auth may not see the record: computed once per event.
type SharedMessages = HashMap<(Arc<str>, Arc<str>), Option<Arc<Message>>>;

/// Work of the fan-out thread, run in submission order.
pub(crate) enum Job {
    /// Check, build and queue the messages of a committed create/update.
    Record { app: App, action: Action, record: Record, sequence: u64 },
    /// Queue messages resolved earlier (a delete's).
    Deliver { app: App, messages: Prepared },
}

impl Job {
    pub(crate) fn run(self) {
        match self {
            Job::Record { app, action, record, sequence } => {
                let messages = prepare(&app, action, &record, sequence);
                deliver(&app, messages);
            }
            Job::Deliver { app, messages } => deliver(&app, messages),
        }
    }
}

fn deliver(app: &App, messages: Prepared) {
    for (client, message) in messages {
        app.realtime_deliver(&client, message);
    }
}

/// The messages of `action` on `record` for every client that subscribed
/// before `sequence` and may see it. Reads go through `app` (outside any
/// transaction).
pub fn prepare(app: &App, action: Action, record: &Record, sequence: u64) -> Prepared {
    let broker = app.realtime();
    if broker.is_empty() {
        return Vec::new();
    }
    let c = &record.collection;
    let id = record.id();
    let view_topics = [format!("{}/{id}", c.name), format!("{}/{id}", c.id)];
    // `collection` alone is PocketBase's deprecated form of `collection/*`
    let list_topics = [format!("{}/*", c.name), format!("{}/*", c.id), c.name.clone(), c.id.clone()];
    let topics: Vec<&str> = view_topics.iter().chain(list_topics.iter()).map(String::as_str).collect();
    let mut shared = SharedMessages::new();
    let mut out = Vec::new();
    for client in broker.clients() {
        let Some(matched) = client.matching(&topics, sequence) else {
            continue;
        };
        for sub in &matched.subscriptions {
            let key = (sub.raw.clone(), matched.auth_key.clone());
            let message = match shared.get(&key) {
                Some(m) => m.clone(),
                None => {
                    let view = view_topics.iter().any(|t| t == sub.topic());
                    let m = build_message(app, action, record, sub, matched.auth.clone(), view);
                    shared.insert(key, m.clone());
                    m
                }
            };
            if let Some(m) = message {
                out.push((client.clone(), m));
            }
        }
    }
    out
}

/// One subscription's message, or `None` when its auth may not see the
/// record (or its filter does not match).
fn build_message(
    app: &App,
    action: Action,
    record: &Record,
    sub: &Subscription,
    auth: Option<Arc<Record>>,
    view: bool,
) -> Option<Arc<Message>> {
    let c = &record.collection;
    let rule = if view { &c.rules.view } else { &c.rules.list };
    let req = RequestInfo {
        method: "GET".into(),
        context: "realtime".into(),
        query: sub.options.query.clone(),
        headers: sub.options.headers.clone(),
        body: Map::new(),
        auth,
        http: None,
        files: Default::default(),
    };
    let filter = sub.options.query_param("filter");
    match can_access(app, record, &req, rule.as_deref(), filter) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => {
            tracing::debug!("realtime access check of {}/{} for {:?} failed: {e}", c.name, record.id(), &*sub.raw);
            return None;
        }
    }
    // a clean copy: no expand, custom data or visibility left by hooks
    let mut fresh = Record::from_stored(c.clone(), record.data.clone());
    let expand = sub.options.query_param("expand");
    if !expand.is_empty()
        && let Err(e) = app.expand_records(std::slice::from_mut(&mut fresh), &ExpandTree::parse(expand), &req)
    {
        tracing::debug!("realtime expand {expand:?} of {}/{} failed: {e}", c.name, record.id());
    }
    let mut json = app.record_export(&fresh, &req);
    let fields = sub.options.query_param("fields");
    if !fields.is_empty() {
        // like PocketBase, a bad `fields` sends the whole record
        match pick(json.clone(), fields) {
            Ok(picked) => json = picked,
            Err(e) => tracing::debug!("realtime fields {fields:?} of {}/{}: {e}", c.name, record.id()),
        }
    }
    // PocketBase's key order: record, then action
    let data = format!(r#"{{"record":{json},"action":"{}"}}"#, action.as_str());
    Some(Arc::new(Message::new(sub.raw.to_string(), data)))
}

/// PocketBase's realtime access check: superusers see everything, a null
/// rule nobody else, an empty rule everyone; otherwise the rule (and the
/// subscription's filter, as a client filter) must match the stored row.
fn can_access(
    app: &App,
    record: &Record,
    req: &RequestInfo,
    rule: Option<&str>,
    filter: &str,
) -> crate::core::Result<bool> {
    let su = req.is_superuser();
    if !su && rule.is_none() {
        return Ok(false);
    }
    let rule = rule.filter(|r| !su && !r.trim().is_empty());
    let filter = filter.trim();
    if rule.is_none() && filter.is_empty() {
        return Ok(true);
    }
    if filter.len() > MAX_FILTER_LENGTH {
        return Ok(false);
    }
    let c = &record.collection;
    let schema = app.collections();
    let mut b = QueryBuilder::default();
    let mut conds = Vec::new();
    if let Some(rule) = rule {
        let ctx = FilterContext { base: c, schema: &schema, request: req, allow_hidden: true, allow_request: true };
        let sql = compile_filter(&mut b, &ctx, rule, None).map_err(|e| crate::core::Error::BadRequest(e.0))?;
        conds.push(format!("({sql})"));
    }
    if !filter.is_empty() {
        // a client filter: no hidden fields, no @request/@collection for non-superusers
        let ctx = FilterContext { base: c, schema: &schema, request: req, allow_hidden: su, allow_request: su };
        let sql = compile_filter(&mut b, &ctx, filter, None).map_err(|e| crate::core::Error::BadRequest(e.0))?;
        conds.push(format!("({sql})"));
    }
    let query = b.into_select(&c.name).where_eq("id", record.id()).and_where_all(conds);
    Ok(query.exists(app.executor())?)
}

/// Queues a committed create/update for the fan-out worker.
fn publish(app: &App, action: Action, record: &Record) {
    let broker = app.realtime();
    if broker.is_empty() {
        return;
    }
    let sequence = next_sequence();
    broker.dispatch(Job::Record { app: app.without_tx(), action, record: record.clone(), sequence });
}

fn same_auth(a: &Record, b: &Record) -> bool {
    a.id() == b.id() && a.collection.id == b.collection.id
}

/// An auth record changed: its clients get the new copy, or lose their
/// auth when its tokenKey changed (password change, "log out everywhere").
fn update_clients_auth(app: &App, record: &Record) {
    let broker = app.realtime();
    if broker.is_empty() {
        return;
    }
    let fresh = Arc::new(record.clone());
    for client in broker.clients() {
        let Some(auth) = client.auth() else { continue };
        if !same_auth(&auth, record) {
            continue;
        }
        if auth.token_key() == record.token_key() {
            client.set_auth(Some(fresh.clone()));
        } else {
            client.set_auth(None);
        }
    }
}

/// Logs out the clients whose auth matches `pred`.
fn unset_clients_auth(app: &App, pred: impl Fn(&Record) -> bool) {
    let broker = app.realtime();
    if broker.is_empty() {
        return;
    }
    for client in broker.clients() {
        if client.auth().is_some_and(|a| pred(&a)) {
            client.set_auth(None);
        }
    }
}

fn record_of(e: &ModelEvent) -> Option<&Record> {
    match &e.model {
        Model::Record(r) => Some(r),
        Model::Collection(_) => None,
    }
}

fn auth_secret(c: &crate::core::collections::Collection) -> Option<String> {
    c.auth.as_ref().map(|a| a.auth_token.secret.clone())
}

/// Binds the realtime handlers into the app's hook chains (at bootstrap).
pub(crate) fn bind_system_hooks(app: &App) {
    let h = app.hooks();
    h.on_model_create.after_success.bind(
        OWNER,
        -99,
        vec![],
        Arc::new(|e: &mut ModelEvent, next: Next<'_, ModelEvent>| {
            if let Some(r) = record_of(e) {
                publish(&e.app, Action::Create, r);
            }
            next(e)
        }),
    );
    h.on_model_update.after_success.bind(
        OWNER,
        -99,
        vec![],
        Arc::new(|e: &mut ModelEvent, next: Next<'_, ModelEvent>| {
            if let Some(r) = record_of(e) {
                if r.collection.is_auth() {
                    update_clients_auth(&e.app, r);
                }
                publish(&e.app, Action::Update, r);
            }
            next(e)
        }),
    );
    // as late as possible before the row goes, with reads outside the
    // transaction (a cascade may already have removed a parent the rule reads)
    h.on_model_delete.before.bind(
        OWNER,
        99,
        vec![],
        Arc::new(|e: &mut ModelEvent, next: Next<'_, ModelEvent>| {
            let prepared = match record_of(e) {
                Some(r) if !e.app.realtime().is_empty() => {
                    prepare(&e.app.without_tx(), Action::Delete, r, next_sequence())
                }
                _ => Vec::new(),
            };
            next(e)?;
            if !prepared.is_empty() {
                let app = e.app.without_tx();
                e.app.after_commit(move || {
                    app.realtime().dispatch(Job::Deliver { app: app.clone(), messages: prepared });
                    Ok(())
                })?;
            }
            Ok(())
        }),
    );
    h.on_model_delete.after_success.bind(
        OWNER,
        -99,
        vec![],
        Arc::new(|e: &mut ModelEvent, next: Next<'_, ModelEvent>| {
            if let Some(r) = record_of(e)
                && r.collection.is_auth()
            {
                unset_clients_auth(&e.app, |a| same_auth(a, r));
            }
            next(e)
        }),
    );
    h.on_collection_update.before.bind(
        OWNER,
        -99,
        vec![],
        Arc::new(|e: &mut CollectionEvent, next: Next<'_, CollectionEvent>| {
            let old = e.app.collections().get(&e.collection.id).and_then(|c| auth_secret(&c));
            next(e)?;
            let new = auth_secret(&e.collection);
            if old.is_some() && old != new {
                let app = e.app.without_tx();
                let id = e.collection.id.clone();
                e.app.after_commit(move || {
                    unset_clients_auth(&app, |a| a.collection.id == id);
                    Ok(())
                })?;
            }
            Ok(())
        }),
    );
    h.on_collection_delete.after_success.bind(
        OWNER,
        -99,
        vec![],
        Arc::new(|e: &mut CollectionEvent, next: Next<'_, CollectionEvent>| {
            if e.collection.is_auth() {
                let id = e.collection.id.clone();
                unset_clients_auth(&e.app, |a| a.collection.id == id);
            }
            next(e)
        }),
    );
}
