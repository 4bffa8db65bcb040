//! What create and update rules see of the request, as PocketBase's own
//! scenarios (`apis/record_crud_test.go`, collections `demo5` and
//! `nologin`) and the real 0.40.6 binary answer: `@request.body` holds the
//! values that `field+` / `field-` modifiers compute (from the stored value
//! on update), and a record with manage access may create records of an
//! auth collection with `verified` set, still under the create rule.

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};

/// A collection whose rules accept only a computed total of 3 with two tags.
async fn counters(t: &TestApp, admin: &str) {
    let rule = "@request.body.total = 3 && @request.body.tags:length = 2";
    t.create_collection(
        admin,
        json!({
            "name": "counters",
            "type": "base",
            "createRule": rule,
            "updateRule": rule,
            "viewRule": "",
            "fields": [
                {"name": "total", "type": "number"},
                {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]}
            ]
        }),
    )
    .await;
}

async fn stored_count(t: &TestApp, admin: &str, collection: &str) -> i64 {
    let r = t.get(&format!("/api/collections/{collection}/records"), Some(admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["totalItems"].as_i64().expect("totalItems")
}

#[tokio::test]
async fn create_rule_sees_the_values_compute_modifiers_produce() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    counters(&t, &admin).await;
    let path = "/api/collections/counters/records";

    // 0 + 4 - 2 = 2: the rule fails and nothing is written
    let r = t.post(path, None, json!({"total+": 4, "total-": 2, "tags+": ["a", "b"]})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["data"], json!({}));
    // one tag appended: `:length` sees one
    let r = t.post(path, None, json!({"total+": 4, "total-": 1, "tags+": ["a"]})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(stored_count(&t, &admin, "counters").await, 0);

    // 0 + 4 - 1 = 3 with two tags appended (or prepended)
    let r = t.post(path, None, json!({"total+": 4, "total-": 1, "tags+": ["a", "b"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["total"], 3);
    assert_eq!(r.json["tags"], json!(["a", "b"]));
    let r = t.post(path, None, json!({"total+": 4, "total-": 1, "+tags": ["a", "b"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored_count(&t, &admin, "counters").await, 2);
}

#[tokio::test]
async fn update_rule_sees_modifiers_applied_to_the_stored_values() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    counters(&t, &admin).await;
    let r = t.post("/api/collections/counters/records", Some(&admin), json!({"total": 2, "tags": ["a", "b"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let path = format!("/api/collections/counters/records/{}", r.json["id"].as_str().expect("id"));

    // 2 + 3 - 1 = 4: PocketBase answers 404 and keeps the record as it was
    let r = t.patch(&path, None, json!({"total+": 3, "total-": 1, "tags-": "a", "tags+": "c"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // ["a","b"] - "a" is one tag
    let r = t.patch(&path, None, json!({"total+": 2, "total-": 1, "tags-": "a"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = t.get(&path, None).await;
    assert_eq!((r.json["total"].clone(), r.json["tags"].clone()), (json!(2), json!(["a", "b"])));

    // 2 + 2 - 1 = 3 and ["b","c"]
    let r = t.patch(&path, None, json!({"total+": 2, "total-": 1, "tags-": "a", "tags+": "c"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["total"].clone(), r.json["tags"].clone()), (json!(3), json!(["b", "c"])));
}

/// `members`, an auth collection that records of `users` manage.
async fn members(t: &TestApp, admin: &str, create_rule: Value) {
    t.create_collection(
        admin,
        json!({
            "name": "members",
            "type": "auth",
            "createRule": create_rule,
            "manageRule": "@request.auth.collectionName = 'users'",
            "fields": [{"name": "name", "type": "text"}]
        }),
    )
    .await;
}

fn new_member(email: &str) -> Value {
    json!({
        "email": email,
        "password": "12345678",
        "passwordConfirm": "12345678",
        "name": "test_name",
        "emailVisibility": true,
        "verified": true
    })
}

#[tokio::test]
async fn a_record_with_manage_access_creates_verified_auth_records() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    members(&t, &admin, json!("")).await;
    let (_, manager) = t.user("manager@example.com", "managerpass1").await;
    let path = "/api/collections/members/records";

    let r = t.post(path, Some(&manager), new_member("new@example.com")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email"], "new@example.com");
    assert_eq!(r.json["emailVisibility"], true);
    assert_eq!(r.json["verified"], true);
    assert_eq!(r.json["name"], "test_name");
    for secret in ["password", "passwordConfirm", "tokenKey"] {
        assert!(r.json.get(secret).is_none(), "{secret} in {}", r.text);
    }
    // the created account works with its password
    let login = t
        .post(
            "/api/collections/members/auth-with-password",
            None,
            json!({"identity": "new@example.com", "password": "12345678"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.json["record"]["verified"], true);

    // a password still needs its confirmation
    let r = t.post(path, Some(&manager), json!({"email": "nc@example.com", "password": "12345678"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "passwordConfirm"), "validation_required");
}

#[tokio::test]
async fn without_manage_access_verified_cannot_be_claimed_on_create() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    members(&t, &admin, json!("")).await;
    let path = "/api/collections/members/records";

    let r = t.post(path, None, new_member("guest@example.com")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "verified"), "validation_values_mismatch");
    // a member is not a manager of its own collection
    let mut plain = new_member("member@example.com");
    plain["verified"] = json!(false);
    assert_eq!(t.post(path, None, plain).await.status, 200);
    let login = t
        .post(
            "/api/collections/members/auth-with-password",
            None,
            json!({"identity": "member@example.com", "password": "12345678"}),
        )
        .await;
    let member = login.json["token"].as_str().expect("token").to_string();
    let r = t.post(path, Some(&member), new_member("other@example.com")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "verified"), "validation_values_mismatch");
    assert_eq!(stored_count(&t, &admin, "members").await, 1);
}

#[tokio::test]
async fn manage_access_does_not_bypass_the_create_rule() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    members(&t, &admin, Value::Null).await;
    let (_, manager) = t.user("manager@example.com", "managerpass1").await;
    let path = "/api/collections/members/records";

    let r = t.post(path, Some(&manager), new_member("a@example.com")).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.json["message"], "Only superusers can perform this action.");

    let r = t.patch("/api/collections/members", Some(&admin), json!({"createRule": "@request.body.name = 'ok'"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t.post(path, Some(&manager), new_member("a@example.com")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["data"], json!({}));
    let mut named = new_member("a@example.com");
    named["name"] = json!("ok");
    let r = t.post(path, Some(&manager), named).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["verified"], true);
    assert_eq!(stored_count(&t, &admin, "members").await, 1);
}
