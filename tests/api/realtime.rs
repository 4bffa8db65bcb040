//! Realtime over SSE: the stream and its subscriptions form, record events
//! from every source (REST, batch, JS) only after commit, rules per
//! subscriber and auth changes, options, slow clients and shutdown.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app, spawn_app_with_hooks};

/// One SSE connection to `/api/realtime`.
pub struct Sse {
    res: reqwest::Response,
    buf: String,
    pub client_id: String,
    pub connect_event_id: String,
}

/// One received SSE message.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub name: String,
    pub data: Value,
}

impl Sse {
    /// Opens a stream and reads its `PB_CONNECT`.
    pub async fn connect(t: &TestApp) -> Sse {
        let res = t.client.get(format!("{}/api/realtime", t.base)).send().await.expect("connect");
        if res.status() != 200 {
            panic!("connect: {} {}", res.status(), res.text().await.unwrap_or_default());
        }
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(ct, "text/event-stream");
        let mut sse = Sse { res, buf: String::new(), client_id: String::new(), connect_event_id: String::new() };
        let first = sse.next(Duration::from_secs(5)).await.expect("PB_CONNECT");
        assert_eq!(first.name, "PB_CONNECT");
        sse.client_id = first.data["clientId"].as_str().expect("clientId").to_string();
        sse.connect_event_id = first.id;
        sse
    }

    /// The next message, `None` on timeout or when the stream ended.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..i + 2).collect();
                let mut ev = Event { id: String::new(), name: String::new(), data: Value::Null };
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        ev.id = v.to_string();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        ev.name = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data = serde_json::from_str(v).unwrap_or(Value::String(v.to_string()));
                    }
                }
                return Some(ev);
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Whether the stream ends (cleanly or not) within `wait`.
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }

    /// Sets the subscriptions (as the SDK does), with an optional token.
    pub async fn subscribe(&self, t: &TestApp, subs: &[&str], token: Option<&str>) -> crate::common::Res {
        t.post("/api/realtime", token, json!({"clientId": self.client_id, "subscriptions": subs})).await
    }

    /// Subscribes and asserts 204.
    pub async fn subscribe_ok(&self, t: &TestApp, subs: &[&str], token: Option<&str>) {
        let r = self.subscribe(t, subs, token).await;
        assert_eq!(r.status, 204, "subscribe: {}", r.text);
    }

    /// Collects messages until none arrives for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = self.next(quiet).await {
            out.push(e);
        }
        out
    }
}

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);

async fn posts(t: &TestApp, tok: &str, list_rule: Value, view_rule: Value) {
    t.create_collection(
        tok,
        json!({"name": "posts", "type": "base", "listRule": list_rule, "viewRule": view_rule,
               "createRule": "", "updateRule": "", "deleteRule": "",
               "fields": [{"name": "title", "type": "text"}, {"name": "secret", "type": "text", "hidden": true},
                          {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}]}),
    )
    .await;
}

async fn create_post(t: &TestApp, tok: &str, body: Value) -> Value {
    let r = t.post("/api/collections/posts/records", Some(tok), body).await;
    assert_eq!(r.status, 200, "create: {}", r.text);
    r.json
}

#[tokio::test]
async fn connect_sends_pb_connect_with_the_client_id() {
    let t = spawn_app().await;
    let res = t.client.get(format!("{}/api/realtime", t.base)).send().await.expect("connect");
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(res.headers().get("x-accel-buffering").and_then(|v| v.to_str().ok()), Some("no"));
    drop(res);
    let sse = Sse::connect(&t).await;
    assert_eq!(sse.client_id.len(), 40);
    assert_eq!(sse.connect_event_id, sse.client_id, "the SDK reads the client id from the event id");
    assert!(t.app.realtime().client_by_id(&sse.client_id).is_some());
    drop(sse);
    // the client goes away with its connection
    for _ in 0..50 {
        if t.app.realtime().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(t.app.realtime().is_empty(), "clients are removed when their connection closes");
}

#[tokio::test]
async fn subscribe_form_errors_match_pocketbase() {
    let t = spawn_app().await;
    let r = t.post("/api/realtime", None, json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["data"]["clientId"]["code"], "validation_required");
    let r = t.post("/api/realtime", None, json!({"clientId": "missing", "subscriptions": ["a"]})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["message"], "Missing or invalid client id.");
    let r = t.post("/api/realtime", None, json!({"clientId": 5})).await;
    assert_eq!(r.status, 400);
    let sse = Sse::connect(&t).await;
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let r = t.post("/api/realtime", None, json!({"clientId": sse.client_id, "subscriptions": many})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["data"]["subscriptions"]["code"], "validation_length_too_long");
    let long = "a".repeat(2501);
    let r = t.post("/api/realtime", None, json!({"clientId": sse.client_id, "subscriptions": ["abc", long]})).await;
    assert_eq!(r.json["data"]["subscriptions"]["1"]["code"], "validation_length_too_long");
    // a form body works too
    let r = t
        .raw(
            "POST",
            "/api/realtime",
            None,
            "application/x-www-form-urlencoded",
            format!("clientId={}&subscriptions=a", sse.client_id).into_bytes(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let client = t.app.realtime().client_by_id(&sse.client_id).expect("client");
    assert!(client.has_subscription("a"));
}

#[tokio::test]
async fn create_update_delete_reach_subscribers_in_order() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!(""), json!("")).await;
    let mut all = Sse::connect(&t).await;
    all.subscribe_ok(&t, &["posts/*"], None).await;
    let mut one = Sse::connect(&t).await;
    let a = create_post(&t, &tok, json!({"title": "a"})).await;
    let id = a["id"].as_str().expect("id");
    one.subscribe_ok(&t, &[&format!("posts/{id}")], None).await;
    assert_eq!(all.next(WAIT).await.expect("create").data["action"], "create");

    t.patch(&format!("/api/collections/posts/records/{id}"), Some(&tok), json!({"title": "a2"})).await;
    create_post(&t, &tok, json!({"title": "other"})).await;
    t.delete(&format!("/api/collections/posts/records/{id}"), Some(&tok)).await;

    let events = all.drain(QUIET).await;
    let actions: Vec<&str> = events.iter().map(|e| e.data["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions, ["update", "create", "delete"]);
    assert!(events.iter().all(|e| e.name == "posts/*" && e.id == all.client_id));
    assert_eq!(events[0].data["record"]["title"], "a2");
    assert_eq!(events[0].data["record"]["collectionName"], "posts");
    assert!(events[0].data["record"].get("secret").is_none(), "hidden fields stay hidden");
    let keys: Vec<&str> = events[0].data.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 2);

    let mine = one.drain(QUIET).await;
    let actions: Vec<&str> = mine.iter().map(|e| e.data["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions, ["update", "delete"], "a record topic only gets that record");
    assert_eq!(mine[0].name, format!("posts/{id}"));
}

#[tokio::test]
async fn rules_decide_per_subscriber_and_login_upgrades_a_guest() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!("@request.auth.id != ''"), json!("author = @request.auth.id")).await;
    let (alice, alice_tok) = t.user("alice@example.com", "password123").await;
    let (_bob, bob_tok) = t.user("bob@example.com", "password123").await;

    let mut guest = Sse::connect(&t).await;
    guest.subscribe_ok(&t, &["posts/*"], None).await;
    let mut su = Sse::connect(&t).await;
    su.subscribe_ok(&t, &["posts/*"], Some(&tok)).await;
    create_post(&t, &tok, json!({"title": "one", "secret": "s"})).await;
    let seen = su.next(WAIT).await.expect("superuser gets it");
    assert_eq!(seen.data["record"]["secret"], "s", "superusers see hidden fields");
    assert!(guest.next(QUIET).await.is_none(), "a guest fails the list rule");

    // guest -> auth upgrade on the same stream
    guest.subscribe_ok(&t, &["posts/*"], Some(&alice_tok)).await;
    create_post(&t, &tok, json!({"title": "two"})).await;
    let e = guest.next(WAIT).await.expect("after login");
    assert_eq!(e.data["record"]["title"], "two");
    assert!(e.data["record"].get("secret").is_none());

    // any other auth change is refused
    let r = guest.subscribe(&t, &["posts/*"], Some(&bob_tok)).await;
    assert_eq!(r.status, 403);
    let r = guest.subscribe(&t, &["posts/*"], None).await;
    assert_eq!(r.status, 403);

    // the view rule decides for record topics
    let mine = create_post(&t, &tok, json!({"title": "mine", "author": alice["id"]})).await;
    let theirs = create_post(&t, &tok, json!({"title": "theirs"})).await;
    guest.drain(QUIET).await;
    let mut bob = Sse::connect(&t).await;
    let subs = [
        format!("posts/{}", mine["id"].as_str().unwrap_or_default()),
        format!("posts/{}", theirs["id"].as_str().unwrap_or_default()),
    ];
    bob.subscribe_ok(&t, &[&subs[0], &subs[1]], Some(&bob_tok)).await;
    guest.subscribe_ok(&t, &[&subs[0], &subs[1]], Some(&alice_tok)).await;
    for id in [&mine["id"], &theirs["id"]] {
        let r = t
            .patch(
                &format!("/api/collections/posts/records/{}", id.as_str().unwrap_or_default()),
                Some(&tok),
                json!({"title": "x"}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let got = guest.drain(QUIET).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name, subs[0]);
    assert!(bob.drain(QUIET).await.is_empty(), "the view rule keeps bob out");
}

#[tokio::test]
async fn a_rolled_back_change_sends_nothing() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!(""), json!("")).await;
    t.patch("/api/settings", Some(&tok), json!({"batch": {"enabled": true}})).await;
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["posts/*"], None).await;
    // the second request fails, so the first create is rolled back
    let r = t
        .post(
            "/api/batch",
            Some(&tok),
            json!({"requests": [
                {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "rolled back"}},
                {"method": "POST", "url": "/api/collections/nope/records", "body": {}}
            ]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(sse.next(QUIET).await.is_none(), "nothing of a rolled-back batch is sent");
    let list = t.get("/api/collections/posts/records", Some(&tok)).await;
    assert_eq!(list.json["totalItems"], 0);

    let r = t
        .post(
            "/api/batch",
            Some(&tok),
            json!({"requests": [
                {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b1"}},
                {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b2"}}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = sse.drain(QUIET).await;
    let titles: Vec<&str> = got.iter().map(|e| e.data["record"]["title"].as_str().unwrap_or_default()).collect();
    assert_eq!(titles, ["b1", "b2"], "a committed batch is broadcast");
}

#[tokio::test]
async fn changes_made_by_js_hooks_are_broadcast_after_commit_only() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("POST", "/make/{title}", (e) => {
                const c = $app.findCollectionByNameOrId("posts");
                const r = new Record(c);
                r.set("title", e.request.pathValue("title"));
                $app.save(r);
                return e.json(200, { id: r.id });
            });
            routerAdd("POST", "/failing", (e) => {
                $app.runInTransaction((tx) => {
                    const r = new Record(tx.findCollectionByNameOrId("posts"));
                    r.set("title", "never");
                    tx.save(r);
                    throw new Error("rollback");
                });
            });
            onRecordAfterCreateSuccess((e) => {
                if (e.record.get("title") === "chain") {
                    const r = new Record(e.record.collection());
                    r.set("title", "from hook");
                    e.app.save(r);
                }
                e.next();
            }, "posts");
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!(""), json!("")).await;
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["posts/*"], None).await;

    let r = t.post("/make/hello", None, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let e = sse.next(WAIT).await.expect("JS save is broadcast");
    assert_eq!(e.data["record"]["title"], "hello");

    let r = t.post("/failing", None, Value::Null).await;
    assert!(r.status >= 400);
    assert!(sse.next(QUIET).await.is_none(), "a rolled-back JS transaction sends nothing");

    create_post(&t, &tok, json!({"title": "chain"})).await;
    let got = sse.drain(QUIET).await;
    let mut titles: Vec<&str> = got.iter().map(|e| e.data["record"]["title"].as_str().unwrap_or_default()).collect();
    titles.sort();
    assert_eq!(titles, ["chain", "from hook"]);
}

#[tokio::test]
async fn options_apply_filter_expand_and_fields_per_subscription() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!(""), json!("")).await;
    t.patch("/api/collections/users", Some(&tok), json!({"viewRule": "", "listRule": ""})).await;
    let (alice, _) = t.user("alice@example.com", "password123").await;
    let opts = |o: Value| {
        format!(
            "posts/*?options={}",
            percent_encoding::utf8_percent_encode(&o.to_string(), percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let filtered = opts(json!({"query": {"filter": "title ~ 'keep'"}}));
    let expanded =
        opts(json!({"query": {"expand": "author", "fields": "id,title,expand.author.email,expand.author.id"}}));
    let hidden_filter = opts(json!({"query": {"filter": "secret = 'x'"}}));
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &[&filtered, &expanded, &hidden_filter], None).await;

    create_post(&t, &tok, json!({"title": "drop me", "secret": "x", "author": alice["id"]})).await;
    create_post(&t, &tok, json!({"title": "keep me", "author": alice["id"]})).await;
    let got = sse.drain(QUIET).await;
    let by_name = |n: &str| got.iter().filter(|e| e.name == n).cloned().collect::<Vec<_>>();
    let f = by_name(&filtered);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].data["record"]["title"], "keep me");
    let x = by_name(&expanded);
    assert_eq!(x.len(), 2);
    let rec = x[0].data["record"].as_object().expect("record");
    let mut keys: Vec<&str> = rec.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["expand", "id", "title"]);
    assert_eq!(rec["expand"]["author"]["id"], alice["id"]);
    assert!(rec["expand"]["author"].get("email").is_none(), "emailVisibility is respected in expand");
    assert!(by_name(&hidden_filter).is_empty(), "a guest cannot filter on hidden fields");
}

#[tokio::test]
async fn auth_changes_take_effect_on_the_stream() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.patch("/api/collections/users", Some(&tok), json!({"fields": [{"name": "banned", "type": "bool"}]})).await;
    posts(&t, &tok, json!("@request.auth.id != '' && @request.auth.banned = false"), json!("")).await;
    let (alice, alice_tok) = t.user("alice@example.com", "password123").await;
    let alice_id = alice["id"].as_str().expect("id").to_string();
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["posts/*"], Some(&alice_tok)).await;
    create_post(&t, &tok, json!({"title": "1"})).await;
    assert!(sse.next(WAIT).await.is_some());

    // banned: the updated auth record is what later checks see
    let r = t.patch(&format!("/api/collections/users/records/{alice_id}"), Some(&tok), json!({"banned": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    create_post(&t, &tok, json!({"title": "2"})).await;
    assert!(sse.next(QUIET).await.is_none(), "a banned user gets nothing");
    t.patch(&format!("/api/collections/users/records/{alice_id}"), Some(&tok), json!({"banned": false})).await;
    create_post(&t, &tok, json!({"title": "3"})).await;
    assert!(sse.next(WAIT).await.is_some(), "unbanned again");

    // a password change (new tokenKey) logs the stream out
    let r = t
        .patch(
            &format!("/api/collections/users/records/{alice_id}"),
            Some(&tok),
            json!({"password": "newpassword1", "passwordConfirm": "newpassword1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let client = t.app.realtime().client_by_id(&sse.client_id).expect("client");
    assert!(client.auth().is_none());
    create_post(&t, &tok, json!({"title": "4"})).await;
    assert!(sse.next(QUIET).await.is_none(), "logged out by the tokenKey change");

    // re-login on the same stream, then the user is deleted
    let login = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "alice@example.com", "password": "newpassword1"}),
        )
        .await;
    let new_tok = login.json["token"].as_str().expect("token").to_string();
    sse.subscribe_ok(&t, &["posts/*"], Some(&new_tok)).await;
    create_post(&t, &tok, json!({"title": "5"})).await;
    assert!(sse.next(WAIT).await.is_some());
    let r = t.delete(&format!("/api/collections/users/records/{alice_id}"), Some(&tok)).await;
    assert_eq!(r.status, 204);
    assert!(client.auth().is_none(), "a deleted user's streams lose their auth");
    create_post(&t, &tok, json!({"title": "6"})).await;
    assert!(sse.next(QUIET).await.is_none());
}

#[tokio::test]
async fn email_visibility_follows_the_subscriber() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.patch(
        "/api/collections/users",
        Some(&tok),
        json!({"viewRule": "", "listRule": "", "updateRule": "id = @request.auth.id"}),
    )
    .await;
    let (alice, alice_tok) = t.user("alice@example.com", "password123").await;
    let (_bob, bob_tok) = t.user("bob@example.com", "password123").await;
    let topic = format!("users/{}", alice["id"].as_str().unwrap_or_default());
    let mut own = Sse::connect(&t).await;
    own.subscribe_ok(&t, &[&topic], Some(&alice_tok)).await;
    let mut other = Sse::connect(&t).await;
    other.subscribe_ok(&t, &[&topic], Some(&bob_tok)).await;
    let r = t
        .patch(
            &format!("/api/collections/users/records/{}", alice["id"].as_str().unwrap_or_default()),
            Some(&alice_tok),
            json!({"name": "Al"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mine = own.next(WAIT).await.expect("own update");
    assert_eq!(mine.data["record"]["email"], "alice@example.com");
    let theirs = other.next(WAIT).await.expect("other's view");
    assert!(theirs.data["record"].get("email").is_none());
    assert!(theirs.data["record"].get("tokenKey").is_none() && theirs.data["record"].get("password").is_none());
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_without_blocking_writers() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("POST", "/flood/{id}", (e) => {
                const client = $app.subscriptionsBroker().clientById(e.request.pathValue("id"));
                const data = "x".repeat(16 * 1024);
                for (let i = 0; i < 3000; i++) {
                    client.send(new SubscriptionMessage({ name: "flood", data: data }));
                }
                return e.json(200, { total: $app.subscriptionsBroker().totalClients() });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let stuck = Sse::connect(&t).await;
    let mut healthy = Sse::connect(&t).await;
    healthy.subscribe_ok(&t, &["x"], None).await;
    // `stuck` never reads: 3000 x 16 KB overflow its queue behind full socket buffers
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        t.post(&format!("/flood/{}", stuck.client_id), None, Value::Null),
    )
    .await
    .expect("the sender never waits for a slow client");
    assert_eq!(r.status, 200, "{}", r.text);
    let mut gone = false;
    for _ in 0..100 {
        if t.app.realtime().client_by_id(&stuck.client_id).is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the slow client was dropped");
    assert!(t.app.realtime().client_by_id(&healthy.client_id).is_some());
    drop(stuck);
    assert!(healthy.next(QUIET).await.is_none());
}

#[tokio::test]
async fn closing_the_broker_ends_the_streams() {
    let t = spawn_app().await;
    let mut a = Sse::connect(&t).await;
    let mut b = Sse::connect(&t).await;
    t.app.realtime().close();
    assert!(a.ends_within(WAIT).await);
    assert!(b.ends_within(WAIT).await);
    assert!(t.app.realtime().is_empty());
}

#[tokio::test]
async fn js_realtime_hooks_and_the_broker() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            // like PocketBase, the request is on e.requestEvent (e.request is unset)
            r#"
            onRealtimeConnectRequest((e) => {
                if (e.requestEvent.request.header.get("X-Refuse")) throw new BadRequestError("refused");
                e.client.set("tag", "t1");
                e.idleTimeout = 1500 * 1000 * 1000;
                e.next();
            });
            onRealtimeSubscribeRequest((e) => {
                e.subscriptions = e.subscriptions.concat(["extra"]);
                e.next();
            });
            onRealtimeMessageSend((e) => {
                if (e.message.name === "drop") return;
                if (e.message.name === "boom") throw new Error("boom");
                if (e.message.name === "custom") {
                    e.message.data = JSON.stringify({ changed: true, tag: e.client.get("tag"), user: e.client.get("auth")?.email() });
                }
                e.next();
            });
            routerAdd("POST", "/notify/{name}", (e) => {
                const clients = $app.subscriptionsBroker().clients();
                let n = 0;
                for (const id in clients) {
                    if (clients[id].hasSubscription("extra")) {
                        clients[id].send(new SubscriptionMessage({ name: "drop", data: "{}" }));
                        clients[id].send(new SubscriptionMessage({ name: e.request.pathValue("name"), data: "{}" }));
                        n++;
                    }
                }
                return e.json(200, { n: n, total: $app.subscriptionsBroker().totalClients() });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let refused = t.client.get(format!("{}/api/realtime", t.base)).header("X-Refuse", "1").send().await.expect("send");
    assert_eq!(refused.status(), 400, "a connect hook can refuse the connection");

    let (_user, tok) = t.user("alice@example.com", "password123").await;
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["a"], Some(&tok)).await;
    let client = t.app.realtime().client_by_id(&sse.client_id).expect("client");
    assert!(client.has_subscription("extra"), "the subscribe hook changed the subscriptions");

    let r = t.post("/notify/custom", None, Value::Null).await;
    assert_eq!(r.json, json!({"n": 1, "total": 1}), "{}", r.text);
    let e = sse.next(WAIT).await.expect("custom message");
    assert_eq!(e.name, "custom", "the hook skipped the dropped message");
    assert_eq!(e.data, json!({"changed": true, "tag": "t1", "user": "alice@example.com"}));

    // the idle timeout the connect hook set ends the stream
    assert!(sse.ends_within(Duration::from_secs(5)).await);

    // a failing message hook drops the client
    let mut other = Sse::connect(&t).await;
    other.subscribe_ok(&t, &["a"], None).await;
    let r = t.post("/notify/boom", None, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(other.ends_within(WAIT).await);
    assert!(t.app.realtime().client_by_id(&other.client_id).is_none());
}

#[tokio::test]
async fn the_realtime_hook_example_sends_notifications_to_logged_in_clients() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pb_hooks_examples/realtime.pb.js");
    let src = std::fs::read_to_string(path).expect("example");
    let t = spawn_app_with_hooks(&[("realtime.pb.js", &src)], |_| {}).await;
    let tok = t.admin_token().await;
    let (_u, user_tok) = t.user("alice@example.com", "password123").await;
    let mut member = Sse::connect(&t).await;
    member.subscribe_ok(&t, &["notifications"], Some(&user_tok)).await;
    let mut guest = Sse::connect(&t).await;
    guest.subscribe_ok(&t, &["notifications"], None).await;
    let r = t.post("/api/notify", None, json!({"text": "hi"})).await;
    assert_eq!(r.status, 401, "superusers only");
    let r = t.post("/api/notify", Some(&tok), json!({"text": "hi"})).await;
    assert_eq!(r.json, json!({"sent": 1}), "{}", r.text);
    let e = member.next(WAIT).await.expect("notification");
    assert_eq!((e.name.as_str(), e.data.clone()), ("notifications", json!({"text": "hi"})));
    assert!(guest.next(QUIET).await.is_none());
}

#[tokio::test]
async fn a_stream_works_on_a_reused_keep_alive_connection_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = spawn_app().await;
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    sock.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = sock.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("API is healthy"));
    // the second request of the connection is served by hyper, not the streaming writer
    sock.write_all(b"GET /api/realtime HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !text.contains("PB_CONNECT") && tokio::time::Instant::now() < deadline {
        let n = tokio::time::timeout(WAIT, sock.read(&mut buf)).await.expect("in time").expect("read");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("event:PB_CONNECT"));
    assert_eq!(t.app.realtime().total_clients(), 1);
}

#[tokio::test]
async fn graceful_shutdown_closes_the_streams_and_the_server_stops() {
    use ferrobase::api::{AppState, DEFAULT_BODY_LIMIT, HttpOptions, router};
    let t = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = AppState { app: t.app.clone(), body_limit: DEFAULT_BODY_LIMIT };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let broker = t.app.realtime().clone();
    let server =
        tokio::spawn(ferrobase::api::server::serve(listener, router(state, &HttpOptions::default()), async move {
            let _ = stop_rx.await;
            broker.close();
        }));
    let other = TestApp {
        base,
        app: t.app.clone(),
        client: reqwest::Client::new(),
        dir: tempfile::tempdir().expect("dir"),
        js: None,
    };
    let mut a = Sse::connect(&other).await;
    let mut b = Sse::connect(&other).await;
    let _ = stop_tx.send(());
    assert!(a.ends_within(WAIT).await && b.ends_within(WAIT).await);
    let stopped = tokio::time::timeout(WAIT, server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "the server finished: {stopped:?}");
}

#[tokio::test]
async fn attacks_on_subscriptions_get_nothing() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    posts(&t, &tok, json!(""), json!("")).await;
    let (alice, alice_tok) = t.user("alice@example.com", "password123").await;
    let opts = |o: Value| {
        format!(
            "posts/*?options={}",
            percent_encoding::utf8_percent_encode(&o.to_string(), percent_encoding::NON_ALPHANUMERIC)
        )
    };
    // probing other collections or the request through the filter, expanding
    // a relation the subscriber may not view (users: own record only)
    let probe = opts(json!({"query": {"filter": "@collection.users.email ?= 'alice@example.com'"}}));
    let probe_auth = opts(json!({"query": {"filter": "@request.auth.id = ''"}}));
    let expand = opts(json!({"query": {"expand": "author"}}));
    let mut guest = Sse::connect(&t).await;
    guest.subscribe_ok(&t, &[&probe, &probe_auth, &expand], None).await;
    let mut owner = Sse::connect(&t).await;
    owner.subscribe_ok(&t, &[&expand], Some(&alice_tok)).await;
    create_post(&t, &tok, json!({"title": "x", "author": alice["id"]})).await;
    let got = guest.drain(QUIET).await;
    assert_eq!(got.len(), 1, "only the plain expand subscription gets the event: {got:?}");
    assert_eq!(got[0].name, expand);
    // PocketBase answers `"expand":{}` for a requested relation it cannot expand
    assert_eq!(got[0].data["record"]["expand"], json!({}), "no expand of a record the guest may not view");
    let mine = owner.next(WAIT).await.expect("owner event");
    assert_eq!(mine.data["record"]["expand"]["author"]["id"], alice["id"], "the owner may view it");

    // another client's id from another IP is refused
    let client = t.app.realtime().client_by_id(&guest.client_id).expect("client");
    client.set_ip("10.1.2.3");
    let r = guest.subscribe(&t, &["posts/*"], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Invalid realtime client.");
}

/// A client that does not follow redirects (the OAuth2 redirect's answer
/// is the point).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

const SUCCESS: &str = "../_/#/auth/oauth2-redirect-success";
const FAILURE: &str = "../_/#/auth/oauth2-redirect-failure";

/// (status, Location) of a GET `/api/oauth2-redirect?{query}`.
async fn redirect_get(t: &TestApp, query: &str) -> (u16, String) {
    let res = no_redirects().get(format!("{}/api/oauth2-redirect?{query}", t.base)).send().await.expect("send");
    let loc = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (res.status().as_u16(), loc)
}

/// (status, Location) of a POST `/api/oauth2-redirect` with a body.
async fn redirect_post(t: &TestApp, content_type: &str, body: String) -> (u16, String) {
    let res = no_redirects()
        .post(format!("{}/api/oauth2-redirect", t.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let loc = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (res.status().as_u16(), loc)
}

fn has_oauth2(t: &TestApp, sse: &Sse) -> bool {
    t.app.realtime().client_by_id(&sse.client_id).is_some_and(|c| c.has_subscription("@oauth2"))
}

#[tokio::test]
async fn oauth2_redirect_hands_the_code_to_the_waiting_client_once() {
    let t = spawn_app().await;
    let mut sse = Sse::connect(&t).await;
    let mut other = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    other.subscribe_ok(&t, &["@oauth2"], None).await;

    let (status, loc) = redirect_get(&t, &format!("state={}&code=abc%2B1&code=second", sse.client_id)).await;
    assert_eq!((status, loc.as_str()), (307, SUCCESS));
    let ev = sse.next(WAIT).await.expect("@oauth2 message");
    assert_eq!(ev.name, "@oauth2");
    assert_eq!(ev.data, json!({"state": sse.client_id, "code": "abc+1"}), "first value, no error key");
    assert!(other.drain(QUIET).await.is_empty(), "only the client named by state gets it");
    assert!(!has_oauth2(&t, &sse), "the subscription is used up");
    assert!(has_oauth2(&t, &other));

    // a replayed redirect finds no waiting client
    let (status, loc) = redirect_get(&t, &format!("state={}&code=abc", sse.client_id)).await;
    assert_eq!((status, loc.as_str()), (307, FAILURE));
    assert!(sse.drain(QUIET).await.is_empty());

    // response_mode=form_post: 303 after a POST
    let body = format!("state={}&code=xyz", other.client_id);
    let (status, loc) = redirect_post(&t, "application/x-www-form-urlencoded", body).await;
    assert_eq!((status, loc.as_str()), (303, SUCCESS));
    let ev = other.next(WAIT).await.expect("@oauth2 message");
    assert_eq!(ev.data, json!({"state": other.client_id, "code": "xyz"}));
}

#[tokio::test]
async fn oauth2_redirect_failures_reach_the_failure_page() {
    let t = spawn_app().await;
    let mut sse = Sse::connect(&t).await;
    for query in ["", "code=abc", "state=&code=abc", "state=nobody&code=abc"] {
        let (status, loc) = redirect_get(&t, query).await;
        assert_eq!((status, loc.as_str()), (307, FAILURE), "{query}");
    }
    // as in PocketBase, only a GET reads the query: a HEAD gets the 303 of a body without state
    let res = no_redirects()
        .head(format!("{}/api/oauth2-redirect?state={}&code=abc", t.base, sse.client_id))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").and_then(|v| v.to_str().ok()), Some(FAILURE));
    // connected but not waiting for a redirect
    let (_, loc) = redirect_get(&t, &format!("state={}&code=abc", sse.client_id)).await;
    assert_eq!(loc, FAILURE);
    assert!(sse.drain(QUIET).await.is_empty(), "no message without an @oauth2 subscription");

    // the provider's error reaches the client, and the browser the failure page
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    let (_, loc) = redirect_get(&t, &format!("state={}&error=access_denied", sse.client_id)).await;
    assert_eq!(loc, FAILURE);
    let ev = sse.next(WAIT).await.expect("@oauth2 message");
    assert_eq!(ev.data, json!({"state": sse.client_id, "code": "", "error": "access_denied"}));

    // an unreadable body (a number, a JSON list, a wrong content type) is a failure
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    for (ct, body) in [
        ("application/json", json!({"state": sse.client_id, "code": 5}).to_string()),
        ("application/json", json!({"state": [sse.client_id], "code": "a"}).to_string()),
        ("application/json", "{not json".to_string()),
        ("text/plain", format!("state={}&code=a", sse.client_id)),
    ] {
        let (status, loc) = redirect_post(&t, ct, body).await;
        assert_eq!((status, loc.as_str()), (303, FAILURE), "{ct}");
    }
    assert!(sse.drain(QUIET).await.is_empty());
    assert!(has_oauth2(&t, &sse), "unreadable redirects do not use the subscription up");
    let body = json!({"state": sse.client_id, "code": "jsoncode"}).to_string();
    let (_, loc) = redirect_post(&t, "application/json", body).await;
    assert_eq!(loc, SUCCESS, "a JSON body is read too");
    assert_eq!(sse.next(WAIT).await.expect("message").data["code"], "jsoncode");
}

#[tokio::test]
async fn oauth2_redirect_from_another_ip_is_refused() {
    let t = spawn_app().await;
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    // the victim's client connected from elsewhere: an attacker's browser
    // completing the flow with the attacker's code must not reach it
    t.app.realtime().client_by_id(&sse.client_id).expect("client").set_ip("10.9.8.7");
    let (_, loc) = redirect_get(&t, &format!("state={}&code=attacker", sse.client_id)).await;
    assert_eq!(loc, FAILURE);
    assert!(sse.drain(QUIET).await.is_empty(), "no code delivered");
    assert!(!has_oauth2(&t, &sse), "the attempt uses the subscription up");
}

#[tokio::test]
async fn oauth2_redirect_keeps_apples_first_login_name_for_the_code() {
    let t = spawn_app().await;
    let mut sse = Sse::connect(&t).await;
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    let user = r#"{"name":{"firstName":"Ann","lastName":"Lee"},"email":"ann@example.com"}"#;
    let body = format!(
        "state={}&code=applecode&user={}",
        sse.client_id,
        percent_encoding::utf8_percent_encode(user, percent_encoding::NON_ALPHANUMERIC)
    );
    let (status, loc) = redirect_post(&t, "application/x-www-form-urlencoded", body).await;
    assert_eq!((status, loc.as_str()), (303, SUCCESS));
    let ev = sse.next(WAIT).await.expect("message");
    assert_eq!(ev.data, json!({"state": sse.client_id, "code": "applecode"}), "the name is not in the message");
    assert_eq!(t.app.store().lock().get("@redirect_name_applecode"), Some(&json!("Ann Lee")));

    // no name stored with an error, or from a JSON body
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    let body = format!(
        "state={}&code=c2&error=x&user={}",
        sse.client_id, "%7B%22name%22%3A%7B%22firstName%22%3A%22B%22%7D%7D"
    );
    redirect_post(&t, "application/x-www-form-urlencoded", body).await;
    sse.subscribe_ok(&t, &["@oauth2"], None).await;
    let body = json!({"state": sse.client_id, "code": "c3", "user": user}).to_string();
    redirect_post(&t, "application/json", body).await;
    let store = t.app.store().lock();
    assert!(store.get("@redirect_name_c2").is_none() && store.get("@redirect_name_c3").is_none());
}
