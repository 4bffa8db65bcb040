//! API rules on every action for guests, the owner, another user and
//! superusers; rules that filter lists, hide records (404) and reject
//! creates (400); `@request.body` and validation of rules on save.

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};

struct World {
    t: TestApp,
    admin: String,
    alice: (String, String),
    bob: (String, String),
}

async fn world() -> World {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "docs",
            "listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id",
            "createRule": "@request.auth.id != '' && @request.body.owner = @request.auth.id && @request.body.status != 'approved'",
            "updateRule": "owner = @request.auth.id && @request.body.owner:isset = false",
            "deleteRule": "owner = @request.auth.id && status != 'locked'",
            "fields": [{"name": "title", "type": "text"}, {"name": "status", "type": "text"},
                       {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}]}),
    )
    .await;
    let (a, at) = t.user("alice@example.com", "alicepass1").await;
    let (b, bt) = t.user("bob@example.com", "bobpass123").await;
    let id = |v: Value| v["id"].as_str().expect("id").to_string();
    World { alice: (id(a), at), bob: (id(b), bt), admin, t }
}

async fn doc(w: &World, owner: &(String, String), title: &str, status: &str) -> String {
    let r =
        w.t.post(
            "/api/collections/docs/records",
            Some(&owner.1),
            json!({"title": title, "owner": owner.0, "status": status}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn list_rule_filters_per_caller() {
    let w = world().await;
    doc(&w, &w.alice, "a1", "draft").await;
    doc(&w, &w.bob, "b1", "draft").await;
    doc(&w, &w.bob, "b2", "draft").await;
    let titles = |r: crate::common::Res| -> Vec<String> {
        r.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["title"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(titles(w.t.get("/api/collections/docs/records?sort=title", Some(&w.alice.1)).await), ["a1"]);
    assert_eq!(titles(w.t.get("/api/collections/docs/records?sort=title", Some(&w.bob.1)).await), ["b1", "b2"]);
    let guest = w.t.get("/api/collections/docs/records", None).await;
    assert_eq!(guest.status, 200);
    assert_eq!(guest.json["totalItems"], 0);
    assert_eq!(w.t.get("/api/collections/docs/records", Some(&w.admin)).await.json["totalItems"], 3);
    // a client filter is ANDed with the rule
    let f = w.t.get("/api/collections/docs/records?filter=title~'b'", Some(&w.alice.1)).await;
    assert_eq!(f.json["totalItems"], 0);
}

#[tokio::test]
async fn view_rule_hides_other_users_records_as_404() {
    let w = world().await;
    let id = doc(&w, &w.alice, "a1", "draft").await;
    let path = format!("/api/collections/docs/records/{id}");
    assert_eq!(w.t.get(&path, Some(&w.alice.1)).await.status, 200);
    assert_eq!(w.t.get(&path, Some(&w.bob.1)).await.status, 404);
    assert_eq!(w.t.get(&path, None).await.status, 404);
    assert_eq!(w.t.get(&path, Some(&w.admin)).await.status, 200);
}

#[tokio::test]
async fn create_rule_checks_the_body_and_auth() {
    let w = world().await;
    let spoof =
        w.t.post("/api/collections/docs/records", Some(&w.alice.1), json!({"title": "x", "owner": w.bob.0})).await;
    assert_eq!(spoof.status, 400);
    let approved =
        w.t.post(
            "/api/collections/docs/records",
            Some(&w.alice.1),
            json!({"title": "x", "owner": w.alice.0, "status": "approved"}),
        )
        .await;
    assert_eq!(approved.status, 400);
    assert_eq!(w.t.post("/api/collections/docs/records", None, json!({"title": "x"})).await.status, 400);
    // superusers bypass the rule
    let su =
        w.t.post(
            "/api/collections/docs/records",
            Some(&w.admin),
            json!({"title": "x", "owner": w.bob.0, "status": "approved"}),
        )
        .await;
    assert_eq!(su.status, 200, "{}", su.text);
    // rejected creates leave nothing behind
    assert_eq!(w.t.get("/api/collections/docs/records", Some(&w.admin)).await.json["totalItems"], 1);
}

#[tokio::test]
async fn update_rule_uses_stored_record_and_body_isset() {
    let w = world().await;
    let id = doc(&w, &w.alice, "a1", "draft").await;
    let path = format!("/api/collections/docs/records/{id}");
    assert_eq!(w.t.patch(&path, Some(&w.bob.1), json!({"title": "hacked"})).await.status, 404);
    assert_eq!(w.t.patch(&path, None, json!({"title": "hacked"})).await.status, 404);
    assert_eq!(
        w.t.patch(&path, Some(&w.alice.1), json!({"owner": w.bob.0})).await.status,
        404,
        "owner change is refused by :isset"
    );
    let ok = w.t.patch(&path, Some(&w.alice.1), json!({"title": "edited"})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["title"], "edited");
    assert_eq!(w.t.patch(&path, Some(&w.admin), json!({"owner": w.bob.0})).await.status, 200);
}

#[tokio::test]
async fn delete_rule_per_caller() {
    let w = world().await;
    let id = doc(&w, &w.alice, "a1", "draft").await;
    let locked = doc(&w, &w.alice, "a2", "locked").await;
    let path = format!("/api/collections/docs/records/{id}");
    assert_eq!(w.t.delete(&path, Some(&w.bob.1)).await.status, 404);
    assert_eq!(w.t.delete(&path, None).await.status, 404);
    assert_eq!(w.t.delete(&format!("/api/collections/docs/records/{locked}"), Some(&w.alice.1)).await.status, 404);
    assert_eq!(w.t.delete(&path, Some(&w.alice.1)).await.status, 204);
    assert_eq!(w.t.delete(&format!("/api/collections/docs/records/{locked}"), Some(&w.admin)).await.status, 204);
}

#[tokio::test]
async fn null_rules_are_superuser_only_for_every_action() {
    let w = world().await;
    w.t.create_collection(&w.admin, json!({"name": "locked", "fields": [{"name": "t", "type": "text"}]})).await;
    let rec = w.t.post("/api/collections/locked/records", Some(&w.admin), json!({"t": "x"})).await;
    let path = format!("/api/collections/locked/records/{}", rec.json["id"].as_str().expect("id"));
    for token in [None, Some(w.alice.1.as_str())] {
        assert_eq!(w.t.get("/api/collections/locked/records", token).await.status, 403);
        assert_eq!(w.t.get(&path, token).await.status, 403);
        assert_eq!(w.t.post("/api/collections/locked/records", token, json!({"t": "y"})).await.status, 403);
        assert_eq!(w.t.patch(&path, token, json!({"t": "y"})).await.status, 403);
        assert_eq!(w.t.delete(&path, token).await.status, 403);
    }
    let r = w.t.get("/api/collections/locked/records", None).await;
    assert_eq!(r.json["message"], "Only superusers can perform this action.");
}

#[tokio::test]
async fn client_filters_cannot_read_request_or_hidden_fields() {
    let w = world().await;
    doc(&w, &w.alice, "a1", "draft").await;
    let r = w.t.get("/api/collections/docs/records?filter=@request.auth.id!=''", Some(&w.alice.1)).await;
    assert_eq!(r.status, 403);
    let su = w.t.get("/api/collections/docs/records?filter=@request.auth.id!=''", Some(&w.admin)).await;
    assert_eq!(su.status, 200);
}

#[tokio::test]
async fn invalid_rules_are_rejected_when_saving_the_collection() {
    let w = world().await;
    let r =
        w.t.post(
            "/api/collections",
            Some(&w.admin),
            json!({"name": "bad", "listRule": "nofield = 1", "viewRule": "title ="}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "listRule"), "validation_invalid_rule");
    assert_eq!(code(&r, "viewRule"), "validation_invalid_rule");
}

#[tokio::test]
async fn rules_through_relations_of_the_auth_record() {
    let w = world().await;
    w.t.create_collection(
        &w.admin,
        json!({"name": "orgs", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]}),
    )
    .await;
    let org =
        w.t.post("/api/collections/orgs/records", Some(&w.admin), json!({"name": "Acme"})).await.json["id"].clone();
    let users = w.t.get("/api/collections/users", Some(&w.admin)).await.json;
    let mut fields = users["fields"].as_array().expect("fields").clone();
    let orgs_id = w.t.get("/api/collections/orgs", Some(&w.admin)).await.json["id"].clone();
    fields.push(json!({"name": "org", "type": "relation", "collectionId": orgs_id, "maxSelect": 1}));
    assert_eq!(w.t.patch("/api/collections/users", Some(&w.admin), json!({"fields": fields})).await.status, 200);
    w.t.patch(&format!("/api/collections/users/records/{}", w.alice.0), Some(&w.admin), json!({"org": org})).await;
    w.t.create_collection(&w.admin, json!({"name": "memos", "listRule": "@request.auth.org.name = 'Acme'", "fields": [{"name": "t", "type": "text"}]})).await;
    w.t.post("/api/collections/memos/records", Some(&w.admin), json!({"t": "x"})).await;
    assert_eq!(w.t.get("/api/collections/memos/records", Some(&w.alice.1)).await.json["totalItems"], 1);
    assert_eq!(w.t.get("/api/collections/memos/records", Some(&w.bob.1)).await.json["totalItems"], 0);
}

#[tokio::test]
async fn request_body_is_cast_to_field_types_before_rules() {
    let w = world().await;
    w.t.create_collection(
        &w.admin,
        json!({"name": "flags", "createRule": "@request.body.on = true && @request.body.n > 5", "fields": [{"name": "on", "type": "bool"}, {"name": "n", "type": "number"}]}),
    )
    .await;
    let form =
        w.t.raw(
            "POST",
            "/api/collections/flags/records",
            None,
            "application/x-www-form-urlencoded",
            b"on=true&n=7".to_vec(),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert_eq!(form.json["on"], true);
    let low =
        w.t.raw(
            "POST",
            "/api/collections/flags/records",
            None,
            "application/x-www-form-urlencoded",
            b"on=true&n=3".to_vec(),
        )
        .await;
    assert_eq!(low.status, 400);
}
