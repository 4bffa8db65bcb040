//! Attacks on the record API that PocketBase refuses, each tried for real:
//! an owner changing system auth fields, hidden fields written or probed by
//! guests and owners, a failing create rule that leaks uniqueness or fires
//! hooks.

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app, spawn_app_with_hooks};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// `users` with a hidden `role` field and a manage rule for "admins".
async fn users_with_role(t: &TestApp, admin: &str) {
    let users = t.get("/api/collections/users", Some(admin)).await.json;
    let mut fields = users["fields"].as_array().expect("fields").clone();
    fields.push(json!({"name": "role", "type": "text", "hidden": true}));
    fields.push(json!({"name": "bio", "type": "text"}));
    let r = t
        .patch(
            "/api/collections/users",
            Some(admin),
            json!({"fields": fields, "manageRule": "@request.auth.bio = 'manager'"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn stored(t: &TestApp, admin: &str, user_id: &str) -> Value {
    t.get(&format!("/api/collections/users/records/{user_id}"), Some(admin)).await.json
}

#[tokio::test]
async fn owner_cannot_change_own_email_directly() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (user, token) = t.user("owner@example.com", "ownerpass1").await;
    let uid = id(&user);
    // the superuser marks the account verified
    let r = t.patch(&format!("/api/collections/users/records/{uid}"), Some(&admin), json!({"verified": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = t
        .patch(&format!("/api/collections/users/records/{uid}"), Some(&token), json!({"email": "admin@corp.test"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "email"), "validation_values_mismatch");
    let s = stored(&t, &admin, &uid).await;
    assert_eq!(s["email"], "owner@example.com");
    assert_eq!(s["verified"], true);

    // nor unverify or re-verify itself
    let r = t.patch(&format!("/api/collections/users/records/{uid}"), Some(&token), json!({"verified": false})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "verified"), "validation_values_mismatch");

    // the same email, or other fields, are fine
    let r = t
        .patch(
            &format!("/api/collections/users/records/{uid}"),
            Some(&token),
            json!({"email": "owner@example.com", "name": "Owner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn superuser_and_manager_may_change_email_directly() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    users_with_role(&t, &admin).await;
    let (user, _) = t.user("plain@example.com", "plainpass1").await;
    let (manager, manager_token) = t.user("manager@example.com", "managerpw1").await;
    let r = t
        .patch(&format!("/api/collections/users/records/{}", id(&manager)), Some(&admin), json!({"bio": "manager"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // the manager's token still works (bio is not a token field)
    let path = format!("/api/collections/users/records/{}", id(&user));
    let r = t.patch(&path, Some(&manager_token), json!({"email": "moved@example.com", "verified": true})).await;
    // users' updateRule only lets owners update: a manager still needs it
    assert_eq!(r.status, 404, "{}", r.text);
    let r = t.patch("/api/collections/users", Some(&admin), json!({"updateRule": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t.patch(&path, Some(&manager_token), json!({"email": "moved@example.com", "verified": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored(&t, &admin, &id(&user)).await["email"], "moved@example.com");
    let r = t.patch(&path, Some(&admin), json!({"email": "again@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn guest_signup_cannot_claim_verified() {
    let t = spawn_app().await;
    let r = t
        .post(
            "/api/collections/users/records",
            None,
            json!({"email": "new@example.com", "password": "newpass123", "passwordConfirm": "newpass123", "verified": true}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "verified"), "validation_values_mismatch");
}

#[tokio::test]
async fn hidden_fields_are_ignored_from_guests_and_owners() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    users_with_role(&t, &admin).await;
    let r = t
        .post(
            "/api/collections/users/records",
            None,
            json!({"email": "g@example.com", "password": "guestpass1", "passwordConfirm": "guestpass1", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let uid = id(&r.json);
    assert_eq!(stored(&t, &admin, &uid).await["role"], "");

    let token = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "g@example.com", "password": "guestpass1"}),
        )
        .await
        .json["token"]
        .as_str()
        .expect("token")
        .to_string();
    let r = t.patch(&format!("/api/collections/users/records/{uid}"), Some(&token), json!({"role": "admin"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored(&t, &admin, &uid).await["role"], "");

    // superusers may set hidden fields
    let r = t.patch(&format!("/api/collections/users/records/{uid}"), Some(&admin), json!({"role": "editor"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored(&t, &admin, &uid).await["role"], "editor");
    // and a tokenKey sent by the owner is ignored (its token keeps working)
    let r = t
        .patch(&format!("/api/collections/users/records/{uid}"), Some(&token), json!({"tokenKey": "x".repeat(40)}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(t.get(&format!("/api/collections/users/records/{uid}"), Some(&token)).await.status, 200);
}

#[tokio::test]
async fn rules_cannot_probe_hidden_fields_through_request_body() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "notes", "listRule": "", "viewRule": "",
            // the rule would accept anything that carries a secret
            "createRule": "@request.body.secret:isset = false",
            "fields": [{"name": "title", "type": "text"}, {"name": "secret", "type": "text", "hidden": true}]}),
    )
    .await;
    let r = t.post("/api/collections/notes/records", None, json!({"title": "a", "secret": "s"})).await;
    assert_eq!(r.status, 200, "hidden keys are dropped before rules see the body: {}", r.text);
    let stored = t.get(&format!("/api/collections/notes/records/{}", id(&r.json)), Some(&admin)).await;
    assert_eq!(stored.json["secret"], "");
}

async fn unique_codes(t: &TestApp) {
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "codes", "listRule": null, "viewRule": null,
            "createRule": "@request.auth.id != ''",
            "fields": [{"name": "code", "type": "text"}],
            "indexes": ["CREATE UNIQUE INDEX idx_code ON codes (code)"]}),
    )
    .await;
    let r = t.post("/api/collections/codes/records", Some(&admin), json!({"code": "EXISTING"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn failing_create_rule_does_not_reveal_unique_values() {
    let t = spawn_app().await;
    unique_codes(&t).await;
    let taken = t.post("/api/collections/codes/records", None, json!({"code": "EXISTING"})).await;
    let free = t.post("/api/collections/codes/records", None, json!({"code": "FREE"})).await;
    assert_eq!(taken.status, 400, "{}", taken.text);
    assert_eq!(free.status, 400, "{}", free.text);
    assert_eq!(taken.json, free.json, "same answer whether the value exists or not");
    assert_eq!(taken.json["data"], json!({}));
    assert_eq!(taken.json["message"], "Failed to create record.");
}

#[tokio::test]
async fn create_hooks_do_not_run_when_the_rule_rejects() {
    let t = spawn_app_with_hooks(
        &[(
            "count.pb.js",
            r#"
            onRecordCreate((e) => { $app.store().set("creates", ($app.store().get("creates") || 0) + 1); e.next(); }, "codes");
            onRecordCreateRequest((e) => { $app.store().set("requests", ($app.store().get("requests") || 0) + 1); e.next(); }, "codes");
            routerAdd("GET", "/counts", (e) => e.json(200, {creates: $app.store().get("creates") || 0, requests: $app.store().get("requests") || 0}));
            "#,
        )],
        |_| {},
    )
    .await;
    unique_codes(&t).await;
    assert_eq!(t.get("/counts", None).await.json, json!({"creates": 1, "requests": 1}));
    let r = t.post("/api/collections/codes/records", None, json!({"code": "NEW"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(t.get("/counts", None).await.json, json!({"creates": 1, "requests": 1}));
    let (_, user) = t.user("u@example.com", "userpass12").await;
    let r = t.post("/api/collections/codes/records", Some(&user), json!({"code": "NEW"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(t.get("/counts", None).await.json, json!({"creates": 2, "requests": 2}));
}

#[tokio::test]
async fn create_rule_sees_the_submitted_values_and_relations() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (alice, alice_token) = t.user("alice@example.com", "alicepass1").await;
    let (bob, _) = t.user("bob@example.com", "bobpass123").await;
    t.create_collection(
        &admin,
        json!({"name": "msgs", "listRule": "", "viewRule": "",
            "createRule": "author = @request.auth.id && author.email ~ 'example.com' && tags:length < 3 && @request.body.tags:length < 3",
            "fields": [{"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                       {"name": "tags", "type": "select", "values": ["a", "b", "c", "d"], "maxSelect": 4}]}),
    )
    .await;
    let ok = t
        .post("/api/collections/msgs/records", Some(&alice_token), json!({"author": id(&alice), "tags": ["a", "b"]}))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let forged =
        t.post("/api/collections/msgs/records", Some(&alice_token), json!({"author": id(&bob), "tags": ["a"]})).await;
    assert_eq!(forged.status, 400, "{}", forged.text);
    let too_many = t
        .post(
            "/api/collections/msgs/records",
            Some(&alice_token),
            json!({"author": id(&alice), "tags": ["a", "b", "c"]}),
        )
        .await;
    assert_eq!(too_many.status, 400, "{}", too_many.text);
    // modifiers are resolved before the rule: `tags+` counts as the result
    let msg = id(&ok.json);
    t.patch("/api/collections/msgs", Some(&admin), json!({"updateRule": "@request.body.tags:length < 3"})).await;
    let r = t.patch(&format!("/api/collections/msgs/records/{msg}"), Some(&alice_token), json!({"tags+": ["c"]})).await;
    assert_eq!(r.status, 404, "the resolved tags (a, b, c) fail the update rule: {}", r.text);
    let r = t.patch(&format!("/api/collections/msgs/records/{msg}"), Some(&alice_token), json!({"tags-": ["a"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["tags"], json!(["b"]));
}

/// `nodes` with a self-relation: `n` records, each related to the next `k`.
async fn dense_nodes(t: &TestApp, admin: &str, n: usize, k: usize) -> Vec<String> {
    let c = t
        .create_collection(
            admin,
            json!({"name": "nodes", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}]}),
        )
        .await;
    let mut fields = c["fields"].as_array().expect("fields").clone();
    fields.push(json!({"name": "rel", "type": "relation", "collectionId": c["id"], "maxSelect": k}));
    let r = t.patch("/api/collections/nodes", Some(admin), json!({ "fields": fields })).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let app = t.app.clone();
    tokio::task::spawn_blocking(move || {
        let c = app.find_collection("nodes").expect("nodes");
        let mut ids = Vec::new();
        for i in 0..n {
            let mut r = ferrobase::core::records::Record::new(c.clone());
            r.set("title", &json!(format!("n{i}"))).expect("set");
            app.save_record(&mut r).expect("save");
            ids.push(r.id().to_string());
        }
        for (i, id) in ids.iter().enumerate() {
            let mut r = app.find_record_by_id(&c, id).expect("find");
            let rel: Vec<&String> = (1..=k).map(|j| &ids[(i + j) % n]).collect();
            r.set("rel", &json!(rel)).expect("set");
            app.save_record(&mut r).expect("save");
        }
        ids
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn deep_expand_on_a_dense_relation_is_refused_not_built() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    dense_nodes(&t, &admin, 60, 40).await;
    // 1 + 40 + 1,600 related records: served
    let r = t.get("/api/collections/nodes/records?perPage=1&expand=rel.rel", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = &r.json["items"][0]["expand"]["rel"];
    assert_eq!(first.as_array().map(Vec::len), Some(40));
    assert_eq!(first[0]["expand"]["rel"].as_array().map(Vec::len), Some(40));
    // 40 + 1,600 + 64,000: over the budget, a 400 in PocketBase's shape
    let r = t.get("/api/collections/nodes/records?perPage=1&expand=rel.rel.rel", None).await;
    assert_eq!(r.status, 400, "{}", r.text.chars().take(300).collect::<String>());
    assert_eq!(r.json["status"], 400);
    assert!(r.json["message"].as_str().unwrap_or_default().contains("expand"), "{}", r.text);
    assert_eq!(r.json["data"], json!({}));
    // and the same on a single record view
    let list = t.get("/api/collections/nodes/records?perPage=1", None).await;
    let rid = list.json["items"][0]["id"].as_str().expect("id").to_string();
    let r = t.get(&format!("/api/collections/nodes/records/{rid}?expand=rel.rel.rel.rel"), None).await;
    assert_eq!(r.status, 400, "view: {}", r.text.chars().take(300).collect::<String>());
}

#[tokio::test]
async fn back_relation_expand_lists_at_most_1000_records() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "parents", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}]}),
    )
    .await;
    let parent = t.post("/api/collections/parents/records", Some(&admin), json!({"title": "p"})).await;
    let pid = id(&parent.json);
    let parents = t.get("/api/collections/parents", Some(&admin)).await.json;
    t.create_collection(
        &admin,
        json!({"name": "kids", "listRule": "", "viewRule": "",
            "fields": [{"name": "n", "type": "number"},
                       {"name": "parent", "type": "relation", "collectionId": parents["id"], "maxSelect": 1}]}),
    )
    .await;
    let app = t.app.clone();
    let p = pid.clone();
    tokio::task::spawn_blocking(move || {
        let c = app.find_collection("kids").expect("kids");
        app.run_in_transaction(|tx| {
            for i in 0..1500 {
                let mut r = ferrobase::core::records::Record::new(c.clone());
                r.set("n", &json!(i))?;
                r.set("parent", &json!(p))?;
                tx.save_record(&mut r)?;
            }
            Ok(())
        })
        .expect("kids saved");
    })
    .await
    .expect("join");
    let r = t.get(&format!("/api/collections/parents/records/{pid}?expand=kids_via_parent"), None).await;
    assert_eq!(r.status, 200, "{}", r.text.chars().take(300).collect::<String>());
    let kids = r.json["expand"]["kids_via_parent"].as_array().expect("kids");
    assert_eq!(kids.len(), 1000);
    // the first 1000 in insertion order
    assert_eq!(kids[0]["n"], 0);
    assert_eq!(kids[999]["n"], 999);
}

/// Teams with a multi-relation to users: T1 = alice + bob, T2 = alice.
async fn teams(t: &TestApp, admin: &str) -> (String, String, String) {
    let (alice, alice_token) = t.user("alice@example.com", "alicepass1").await;
    let (bob, _) = t.user("bob@example.com", "bobpass123").await;
    for (u, name) in [(&alice, "alice"), (&bob, "bob")] {
        let r = t.patch(&format!("/api/collections/users/records/{}", id(u)), Some(admin), json!({"name": name})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    t.create_collection(
        admin,
        json!({"name": "teams", "listRule": "", "viewRule": "",
            "fields": [{"name": "title", "type": "text"},
                       {"name": "members", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 10}]}),
    )
    .await;
    for (title, members) in [("T1", vec![id(&alice), id(&bob)]), ("T2", vec![id(&alice)])] {
        let r =
            t.post("/api/collections/teams/records", Some(admin), json!({"title": title, "members": members})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (id(&alice), alice_token, id(&bob))
}

async fn titles(t: &TestApp, token: Option<&str>, filter: &str) -> Vec<String> {
    let q: String = url_escape(filter);
    let r = t.get(&format!("/api/collections/teams/records?sort=title&filter={q}"), token).await;
    assert_eq!(r.status, 200, "{filter}: {}", r.text);
    r.json["items"].as_array().expect("items").iter().map(|i| i["title"].as_str().unwrap_or_default().into()).collect()
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

#[tokio::test]
async fn every_item_filters_cannot_probe_rows_the_caller_cannot_list() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (_, alice_token, _) = teams(&t, &admin).await;
    // alice may list only herself in users (the default list rule); bob's
    // name must not change which teams her filters return
    let probe_hit = titles(&t, Some(&alice_token), "members.name !~ 'b%'").await;
    let probe_miss = titles(&t, Some(&alice_token), "members.name !~ 'q%'").await;
    assert_eq!(probe_hit, probe_miss, "a hidden row decided an every-item comparison");
    assert_eq!(probe_miss, ["T1", "T2"]);
    let probe_hit = titles(&t, Some(&alice_token), "members.name != 'bob'").await;
    let probe_miss = titles(&t, Some(&alice_token), "members.name != 'carl'").await;
    assert_eq!(probe_hit, probe_miss);
    // the superuser sees every member
    assert_eq!(titles(&t, Some(&admin), "members.name !~ 'b%'").await, ["T2"]);
}

#[tokio::test]
async fn every_item_filters_cannot_probe_hidden_emails() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = t.patch("/api/collections/users", Some(&admin), json!({"listRule": "", "viewRule": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (alice, alice_token, _) = teams(&t, &admin).await;
    let r = t
        .patch(&format!("/api/collections/users/records/{alice}"), Some(&admin), json!({"emailVisibility": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // bob keeps emailVisibility false
    let hit = titles(&t, Some(&alice_token), "members.email != 'bob@example.com'").await;
    let miss = titles(&t, Some(&alice_token), "members.email != 'nobody@example.com'").await;
    assert_eq!(hit, miss, "a hidden email decided an every-item comparison");
    let hit = titles(&t, None, "members.email !~ 'bob'").await;
    let miss = titles(&t, None, "members.email !~ 'zed'").await;
    assert_eq!(hit, miss);
    assert_eq!(titles(&t, Some(&admin), "members.email != 'bob@example.com'").await, ["T2"]);
}
