//! Records API: CRUD, pagination, modifiers, expand, cascade, fields.

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};

async fn items_collection(t: &TestApp, tok: &str) {
    t.create_collection(
        tok,
        json!({"name": "items", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [
                {"name": "name", "type": "text"}, {"name": "qty", "type": "number"},
                {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
                {"name": "created", "type": "autodate", "onCreate": true},
                {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}]}),
    )
    .await;
}

#[tokio::test]
async fn create_returns_the_full_record_shape() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    let r = t.post("/api/collections/items/records", None, json!({"name": "first", "qty": 3, "unknown": 1})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let keys: Vec<&str> = r.json.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["collectionId", "collectionName", "created", "id", "name", "qty", "tags", "updated"]);
    let id = r.json["id"].as_str().expect("id");
    assert_eq!(id.len(), 15);
    assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(r.json["tags"], json!([]));
    assert!(r.json["created"].as_str().expect("created").ends_with('Z'));
}

#[tokio::test]
async fn client_ids_are_accepted_when_valid() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    let ok = t.post("/api/collections/items/records", None, json!({"id": "customid0000001"})).await;
    assert_eq!(ok.json["id"], "customid0000001");
    let short = t.post("/api/collections/items/records", None, json!({"id": "BAD"})).await;
    assert_eq!(code(&short, "id"), "validation_min_text_constraint");
    let bad = t.post("/api/collections/items/records", None, json!({"id": "UPPERCASE000001"})).await;
    assert_eq!(code(&bad, "id"), "validation_invalid_format");
    let dup = t.post("/api/collections/items/records", None, json!({"id": "customid0000001"})).await;
    assert_eq!(dup.status, 400);
}

#[tokio::test]
async fn update_modifiers_and_autodates() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    let r = t.post("/api/collections/items/records", None, json!({"name": "x", "qty": 3, "tags": ["a"]})).await;
    let id = r.json["id"].as_str().expect("id").to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let path = format!("/api/collections/items/records/{id}");
    let u = t.patch(&path, None, json!({"qty+": 5, "tags+": "b", "+tags": "c"})).await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(u.json["qty"], 8);
    assert_eq!(u.json["tags"], json!(["c", "a", "b"]));
    assert_eq!(u.json["name"], "x", "untouched fields keep their value");
    assert_eq!(u.json["created"], r.json["created"]);
    assert!(u.json["updated"].as_str() > r.json["updated"].as_str());
    let d = t.patch(&path, None, json!({"qty-": 10, "tags-": ["a", "c"]})).await;
    assert_eq!(d.json["qty"], -2);
    assert_eq!(d.json["tags"], json!(["b"]));
}

#[tokio::test]
async fn pagination_and_skip_total() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    for i in 0..12 {
        t.post("/api/collections/items/records", None, json!({"name": format!("n{i:02}")})).await;
    }
    let p1 = t.get("/api/collections/items/records?page=1&perPage=5", None).await;
    assert_eq!(
        (
            p1.json["page"].clone(),
            p1.json["perPage"].clone(),
            p1.json["totalItems"].clone(),
            p1.json["totalPages"].clone()
        ),
        (json!(1), json!(5), json!(12), json!(3))
    );
    assert_eq!(p1.json["items"].as_array().map(Vec::len), Some(5));
    let p3 = t.get("/api/collections/items/records?page=3&perPage=5", None).await;
    assert_eq!(p3.json["items"].as_array().map(Vec::len), Some(2));
    let all = t.get("/api/collections/items/records", None).await;
    assert_eq!(all.json["perPage"], 30);
    let skip = t.get("/api/collections/items/records?perPage=5&skipTotal=1", None).await;
    assert_eq!(skip.json["totalItems"], -1);
    assert_eq!(skip.json["totalPages"], -1);
}

#[tokio::test]
async fn delete_then_404() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    let r = t.post("/api/collections/items/records", None, json!({"name": "tmp"})).await;
    let path = format!("/api/collections/items/records/{}", r.json["id"].as_str().expect("id"));
    let d = t.delete(&path, None).await;
    assert_eq!(d.status, 204);
    assert_eq!(d.text, "");
    assert_eq!(t.get(&path, None).await.status, 404);
    assert_eq!(t.delete(&path, None).await.status, 404);
}

async fn blog(t: &TestApp, tok: &str) -> (String, String) {
    let people = t
        .create_collection(
            tok,
            json!({"name": "people", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]}),
        )
        .await;
    let posts = t
        .create_collection(
            tok,
            json!({"name": "posts", "listRule": "", "viewRule": "", "fields": [
                {"name": "title", "type": "text"},
                {"name": "author", "type": "relation", "collectionId": people["id"], "maxSelect": 1, "cascadeDelete": true},
                {"name": "fans", "type": "relation", "collectionId": people["id"], "maxSelect": 5}]}),
        )
        .await;
    t.create_collection(
        tok,
        json!({"name": "comments", "listRule": "", "viewRule": "", "fields": [
            {"name": "body", "type": "text"},
            {"name": "post", "type": "relation", "collectionId": posts["id"], "maxSelect": 1, "required": true}]}),
    )
    .await;
    let ann = t.post("/api/collections/people/records", Some(tok), json!({"name": "Ann"})).await.json["id"]
        .as_str()
        .expect("id")
        .to_string();
    let bob = t.post("/api/collections/people/records", Some(tok), json!({"name": "Bob"})).await.json["id"]
        .as_str()
        .expect("id")
        .to_string();
    let post = t
        .post("/api/collections/posts/records", Some(tok), json!({"title": "Hello", "author": ann, "fans": [bob, ann]}))
        .await;
    assert_eq!(post.status, 200, "{}", post.text);
    let post_id = post.json["id"].as_str().expect("id").to_string();
    for body in ["c1", "c2"] {
        t.post("/api/collections/comments/records", Some(tok), json!({"body": body, "post": post_id})).await;
    }
    (ann, post_id)
}

#[tokio::test]
async fn expand_single_multi_nested_and_back_relations() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let (ann, post) = blog(&t, &tok).await;
    let r = t.get(&format!("/api/collections/posts/records/{post}?expand=author,fans,comments_via_post"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["expand"]["author"]["id"], ann);
    let fans: Vec<&str> =
        r.json["expand"]["fans"].as_array().expect("fans").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(fans, ["Bob", "Ann"], "multi relations keep their order");
    assert_eq!(r.json["expand"]["comments_via_post"].as_array().map(Vec::len), Some(2));
    let nested = t.get("/api/collections/comments/records?expand=post.author", None).await;
    assert_eq!(nested.json["items"][0]["expand"]["post"]["expand"]["author"]["name"], "Ann");
    let none = t.get(&format!("/api/collections/posts/records/{post}"), None).await;
    assert!(none.json.get("expand").is_none());
}

#[tokio::test]
async fn missing_relation_ids_are_rejected() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    blog(&t, &tok).await;
    let r =
        t.post("/api/collections/posts/records", Some(&tok), json!({"title": "x", "author": "nonexistent0000"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "author"), "validation_missing_rel_records");
}

#[tokio::test]
async fn delete_cascades_and_required_references_block() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let (ann, post) = blog(&t, &tok).await;
    // comments.post is required: deleting the post is refused while comments exist
    let blocked = t.delete(&format!("/api/collections/posts/records/{post}"), Some(&tok)).await;
    assert_eq!(blocked.status, 400, "{}", blocked.text);
    assert_eq!(t.get(&format!("/api/collections/posts/records/{post}"), None).await.status, 200);
    let comments = t.get("/api/collections/comments/records", None).await;
    for c in comments.json["items"].as_array().expect("items") {
        t.delete(&format!("/api/collections/comments/records/{}", c["id"].as_str().expect("id")), Some(&tok)).await;
    }
    // posts.author has cascadeDelete: deleting Ann deletes her post
    assert_eq!(t.delete(&format!("/api/collections/people/records/{ann}"), Some(&tok)).await.status, 204);
    assert_eq!(t.get(&format!("/api/collections/posts/records/{post}"), None).await.status, 404);
}

#[tokio::test]
async fn fields_param_limits_keys_and_excerpts() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    items_collection(&t, &tok).await;
    let r =
        t.post("/api/collections/items/records?fields=id,name:excerpt(3,true)", None, json!({"name": "Carrot"})).await;
    let keys: Vec<&String> = r.json.as_object().expect("obj").keys().collect();
    assert_eq!(keys, ["id", "name"]);
    assert_eq!(r.json["name"], "Car...");
    let list = t.get("/api/collections/items/records?fields=name", None).await;
    assert_eq!(list.json["items"][0], json!({"name": "Carrot"}));
    assert!(list.json.get("totalItems").is_some());
}

#[tokio::test]
async fn hidden_fields_show_only_to_superusers() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(&tok, json!({"name": "h", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "secret", "type": "text", "hidden": true}, {"name": "t", "type": "text"}]})).await;
    let r = t.post("/api/collections/h/records", Some(&tok), json!({"secret": "s", "t": "x"})).await;
    assert_eq!(r.json["secret"], "s");
    let guest = t.get("/api/collections/h/records", None).await;
    assert!(guest.json["items"][0].get("secret").is_none());
    let admin = t.get("/api/collections/h/records", Some(&tok)).await;
    assert_eq!(admin.json["items"][0]["secret"], "s");
}

#[tokio::test]
async fn auth_records_hide_email_from_others() {
    let t = spawn_app().await;
    let (user, token) = t.user("jane@example.com", "janepass123").await;
    assert!(user.get("email").is_none(), "guest sees no email");
    let id = user["id"].as_str().expect("id");
    let own = t.get(&format!("/api/collections/users/records/{id}"), Some(&token)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.json["email"], "jane@example.com");
    assert!(own.json.get("password").is_none() && own.json.get("tokenKey").is_none());
}

#[tokio::test]
async fn auth_signup_form_checks() {
    let t = spawn_app().await;
    let mismatch = t
        .post(
            "/api/collections/users/records",
            None,
            json!({"email": "a@b.co", "password": "12345678", "passwordConfirm": "x"}),
        )
        .await;
    assert_eq!(code(&mismatch, "passwordConfirm"), "validation_values_mismatch");
    let missing = t.post("/api/collections/users/records", None, json!({"email": "a@b.co"})).await;
    assert_eq!(code(&missing, "password"), "validation_required");
    let no_email = t
        .post("/api/collections/users/records", None, json!({"password": "12345678", "passwordConfirm": "12345678"}))
        .await;
    assert_eq!(code(&no_email, "email"), "validation_required");
    t.user("dup@example.com", "password123").await;
    let dup = t
        .post(
            "/api/collections/users/records",
            None,
            json!({"email": "dup@example.com", "password": "12345678", "passwordConfirm": "12345678"}),
        )
        .await;
    assert_eq!(code(&dup, "email"), "validation_not_unique");
    let verified = t
        .post(
            "/api/collections/users/records",
            None,
            json!({"email": "v@b.co", "password": "12345678", "passwordConfirm": "12345678", "verified": true}),
        )
        .await;
    assert_eq!(code(&verified, "verified"), "validation_values_mismatch");
}

#[tokio::test]
async fn password_change_needs_old_password() {
    let t = spawn_app().await;
    let (user, token) = t.user("jane@example.com", "janepass123").await;
    let path = format!("/api/collections/users/records/{}", user["id"].as_str().expect("id"));
    let missing =
        t.patch(&path, Some(&token), json!({"password": "newpass1234", "passwordConfirm": "newpass1234"})).await;
    assert_eq!(code(&missing, "oldPassword"), "validation_required");
    let wrong = t
        .patch(
            &path,
            Some(&token),
            json!({"oldPassword": "nope12345", "password": "newpass1234", "passwordConfirm": "newpass1234"}),
        )
        .await;
    assert_eq!(code(&wrong, "oldPassword"), "validation_invalid_old_password");
    let _: Value = wrong.json;
}

#[tokio::test]
async fn expand_of_many_ids_stays_within_sqlite_limits() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let tags = t
        .create_collection(
            &tok,
            json!({"name": "tags", "listRule": "", "viewRule": "", "fields": [{"name": "n", "type": "number"}]}),
        )
        .await;
    t.create_collection(&tok, json!({"name": "boxes", "listRule": "", "fields": [{"name": "tags", "type": "relation", "collectionId": tags["id"], "maxSelect": 999}]})).await;
    let mut requests = Vec::new();
    for i in 0..600 {
        requests.push(json!({"method": "POST", "url": "/api/collections/tags/records", "body": {"id": format!("tag{i:012}"), "n": i}}));
    }
    t.patch("/api/settings", Some(&tok), json!({"batch": {"enabled": true, "maxRequests": 1000}})).await;
    assert_eq!(t.post("/api/batch", Some(&tok), json!({"requests": requests})).await.status, 200);
    let ids: Vec<String> = (0..600).map(|i| format!("tag{i:012}")).collect();
    let r = t.post("/api/collections/boxes/records?expand=tags", Some(&tok), json!({"tags": ids})).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.json["expand"]["tags"].as_array().map(Vec::len), Some(600));
    assert_eq!(r.json["expand"]["tags"][599]["n"], 599, "order kept");
}
