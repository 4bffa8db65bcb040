//! Members of PocketBase's JS API beyond the basics, each exercised from a
//! hook route and checked over HTTP: `$app` table/view helpers, auth
//! reference finders, `unsafeWithoutHooks`, `canAccessRecord`,
//! `expandRecord(s)`, `truncateCollection`, and the typed getters, setters,
//! expand family and token makers of a `Record`. Expected values follow
//! PocketBase 0.40.6's documented behaviour.

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

const HOOKS: &str = r#"
onRecordCreate((e) => {
    if (e.record.get("title") === "plain") e.record.set("title", "hooked");
    e.next();
}, "posts");

routerAdd("GET", "/t/app", (e) => {
    const out = {};
    out.hasPosts = $app.hasTable("posts");
    out.hasPostsUpper = $app.hasTable("POSTS");
    out.hasNope = $app.hasTable("nope");
    out.columns = $app.tableColumns("posts").sort();
    const idRow = $app.tableInfo("posts").find((r) => r.name === "id");
    out.idRow = { pk: idRow.pk, notNull: idRow.notNull, type: idRow.type };
    try { $app.tableInfo("nope"); out.infoMissing = "no error"; } catch (err) { out.infoMissing = "error"; }
    out.indexes = Object.keys($app.tableIndexes("posts")).sort();
    const posts = $app.findCollectionByNameOrId("posts");
    out.uniqueTaken = $app.isCollectionNameUnique("Posts");
    out.uniqueExcluded = $app.isCollectionNameUnique("Posts", posts.id);
    out.uniqueFree = $app.isCollectionNameUnique("fresh");
    const refs = $app.findCollectionReferences(posts);
    out.refs = Object.keys(refs).map((k) => k + ":" + refs[k].map((f) => f.name).join(","));
    $app.saveView("v_titles", "SELECT id, title FROM posts");
    out.viewRows = $app.db().newQuery("SELECT COUNT(*) AS n FROM v_titles").one().n;
    out.viewExists = $app.hasTable("v_titles");
    $app.deleteView("v_titles");
    out.viewGone = !$app.hasTable("v_titles");
    out.viewFields = $app.createViewFields("SELECT id, title, 1 + 1 AS two FROM posts").map((f) => f.name + ":" + f.type);
    out.bootstrapped = $app.isBootstrapped();
    out.encryptionEnv = $app.encryptionEnv();
    $app.reloadSettings();
    $app.reloadCachedCollections();
    return e.json(200, out);
});

routerAdd("POST", "/t/hooks", (e) => {
    const a = new Record($app.findCollectionByNameOrId("posts"), { title: "plain" });
    $app.save(a);
    const b = new Record($app.findCollectionByNameOrId("posts"), { title: "plain" });
    $app.unsafeWithoutHooks().save(b);
    const c = new Record($app.findCollectionByNameOrId("posts"), { title: "plain" });
    $app.saveWithContext(null, c);
    return e.json(200, {
        withHooks: $app.findRecordById("posts", a.id).get("title"),
        withoutHooks: $app.findRecordById("posts", b.id).get("title"),
        withContext: $app.findRecordById("posts", c.id).get("title"),
    });
});

routerAdd("POST", "/t/access/{id}", (e) => {
    const rec = $app.findRecordById("posts", e.request.pathValue("id"));
    const anon = new RequestInfo({ auth: null });
    const user = $app.findAuthRecordByEmail("users", "u@example.com");
    const asUser = new RequestInfo({ auth: user });
    const su = new RequestInfo({ auth: $app.findAuthRecordByEmail("_superusers", "admin@example.com") });
    return e.json(200, {
        nullRule: $app.canAccessRecord(rec, anon, null),
        emptyRule: $app.canAccessRecord(rec, anon, ""),
        matching: $app.canAccessRecord(rec, anon, "title = 'first'"),
        notMatching: $app.canAccessRecord(rec, anon, "title = 'other'"),
        authRuleAnon: $app.canAccessRecord(rec, anon, "@request.auth.id != ''"),
        authRuleUser: $app.canAccessRecord(rec, asUser, "@request.auth.id != ''"),
        superuserNullRule: $app.canAccessRecord(rec, su, null),
        requestInfoRule: $app.canAccessRecord(rec, e.requestInfo(), "@request.auth.id != ''"),
    });
});

routerAdd("GET", "/t/expand/{id}", (e) => {
    const comment = $app.findRecordById("comments", e.request.pathValue("id"));
    const before = comment.expandedOne("post");
    const failed = $app.expandRecord(comment, ["post", "nope"], null);
    const one = comment.expandedOne("post");
    const all = comment.expandedAll("post");
    const list = $app.findRecordsByFilter("comments", "id != ''", "", 0, 0);
    $app.expandRecords(list, ["post"], null);
    const other = new Record($app.findCollectionByNameOrId("comments"));
    other.setExpand({ post: one });
    other.mergeExpand({ extra: one });
    return e.json(200, {
        before: before,
        failed: Object.keys(failed),
        oneTitle: one.get("title"),
        oneIsRecord: one instanceof Record,
        allIds: all.map((r) => r.id),
        expandKeys: Object.keys(comment.expand()),
        exported: comment.publicExport().expand.post.title,
        listTitles: list.map((r) => r.expandedOne("post").get("title")),
        otherKeys: Object.keys(other.expand()).sort(),
    });
});

routerAdd("POST", "/t/truncate", (e) => {
    const c = $app.findCollectionByNameOrId("scratch");
    for (let i = 0; i < 3; i++) $app.save(new Record(c, { title: "x" + i }));
    const before = $app.countRecords(c);
    $app.truncateCollection(c);
    return e.json(200, { before: before, after: $app.countRecords(c) });
});

routerAdd("GET", "/t/record/{id}", (e) => {
    const rec = $app.findRecordById("posts", e.request.pathValue("id"));
    const out = {};
    out.created = rec.getDateTime("created").string() === rec.getString("created");
    out.createdZero = rec.getDateTime("created").isZero();
    out.emptyDateZero = rec.getDateTime("nothing").isZero();
    out.tags = rec.getStringSlice("tags");
    out.single = rec.getStringSlice("title");
    out.int64 = rec.getInt64("n");
    out.geo = rec.getGeoPoint("where");
    out.raw = rec.getRaw("data");
    out.pk = rec.pk() === rec.id;
    out.lastSavedPK = rec.lastSavedPK() === rec.id;
    out.hookTags = rec.hookTags();
    out.baseFilesPath = rec.baseFilesPath() === rec.collection().id + "/" + rec.id;
    out.replaced = rec.replaceModifiers({ "n+": 2, "tags-": "a", title: "t" });
    out.nUnchanged = rec.getInt("n");
    out.missingField = rec.setIfFieldExists("nope", 1);
    out.setField = rec.setIfFieldExists("title", "via setIfFieldExists").name;
    out.titleAfter = rec.getString("title");
    rec.setRaw("n", "not normalised");
    out.rawSet = rec.getRaw("n");
    rec.set("helper", 5);
    out.customData = rec.customData();
    out.fieldsKeys = Object.keys(rec.fieldsData()).sort();
    out.marshal = JSON.parse(toString(rec.marshalJSON())).title;
    const copy = new Record($app.findCollectionByNameOrId("posts"));
    copy.unmarshalJSON('{"title": "from json", "n": 7}');
    copy.unmarshalJSONField("data", toBytes('{"k": [1, 2]}'));
    out.unmarshaled = [copy.getString("title"), copy.getInt("n"), JSON.parse(toString(copy.get("data")))];
    out.newIsNew = [copy.isNew(), copy.lastSavedPK()];
    copy.markAsNotNew();
    out.afterMarkNotNew = copy.isNew();
    copy.markAsNew();
    out.afterMarkNew = copy.isNew();
    return e.json(200, out);
});

routerAdd("POST", "/t/auth", (e) => {
    const user = $app.findAuthRecordByEmail("users", "u@example.com");
    const out = {};
    const token = user.newAuthToken();
    out.tokenFindsUser = $app.findAuthRecordByToken(token, "auth").id === user.id;
    out.staticFindsUser = $app.findAuthRecordByToken(user.newStaticAuthToken(0), "auth").id === user.id;
    out.verification = $app.findAuthRecordByToken(user.newVerificationToken(), "verification").id === user.id;
    out.reset = $app.findAuthRecordByToken(user.newPasswordResetToken(), "passwordReset").id === user.id;
    out.emailChange = $app.findAuthRecordByToken(user.newEmailChangeToken("new@example.com"), "emailChange").id === user.id;
    out.file = $app.findAuthRecordByToken(user.newFileToken(), "file").id === user.id;
    const pass = user.setRandomPassword();
    out.randomLength = pass.length;
    out.validates = user.validatePassword(pass);
    out.mfas = $app.findAllMFAsByRecord(user).length;
    out.otps = $app.findAllOTPsByRecord(user).length;
    out.externalAuths = $app.findAllExternalAuthsByRecord(user).length;
    out.origins = $app.findAllAuthOriginsByRecord(user).length;
    out.originsOfCollection = $app.findAllAuthOriginsByCollection("users").length;
    $app.deleteAllOTPsByRecord(user);
    $app.deleteAllAuthOriginsByRecord(user);
    out.originsAfter = $app.findAllAuthOriginsByRecord(user).length;
    $app.deleteExpiredMFAs();
    $app.deleteExpiredOTPs();
    try { $app.findMFAById("nope"); out.mfaMissing = "found"; } catch (err) { out.mfaMissing = "not found"; }
    user.setTokenKey("changed-key");
    out.oldTokenAfterKeyChange = (() => { try { $app.save(user); $app.findAuthRecordByToken(token, "auth"); return "valid"; } catch (err) { return "invalid"; } })();
    return e.json(200, out);
});

routerAdd("POST", "/t/req/{name}", (e) => {
    const r = e.request;
    let missing;
    try { r.cookie("nope"); missing = "found"; } catch (err) { missing = String(err.message); }
    const ctxReq = r.withContext(new Context(null, "k", "v"));
    return e.json(200, {
        cookie: r.cookie("session").value,
        cookies: r.cookies().map((c) => c.name + "=" + c.value),
        missing: missing,
        userAgent: r.userAgent(),
        referer: r.referer(),
        basicAuth: r.basicAuth(),
        formValue: r.formValue("a"),
        formValues: r.form.values("a"),
        queryOnly: r.formValue("q"),
        postQuery: r.postFormValue("q"),
        postA: r.postFormValue("a"),
        body: toString(r.body),
        proto: [r.proto, r.protoMajor, r.protoMinor, r.protoAtLeast(1, 0), r.protoAtLeast(2, 0)],
        pattern: r.pattern,
        tls: r.tls,
        context: ctxReq.context().value("k"),
        cloneKeepsHeaders: r.clone().header.get("X-Test"),
    });
});

routerAdd("POST", "/t/rawbody", (e) => {
    return e.json(200, { text: toString(e.request.body), bytes: toBytes(e.request.getBody()).length });
});

routerAdd("GET", "/t/collection", (e) => {
    const posts = $app.findCollectionByNameOrId("posts");
    const users = $app.findCollectionByNameOrId("users");
    const out = {};
    out.baseAuthRule = posts.authRule;
    out.baseViewQuery = posts.viewQuery;
    out.baseOAuth2 = posts.oauth2.enabled;
    out.usersPasswordAuth = users.passwordAuth.enabled;
    out.getIndex = posts.getIndex("IDX_POSTS_TITLE");
    posts.addIndex("idx_n", true, "n", "n > 0");
    out.added = posts.getIndex("idx_n");
    posts.addIndex("idx_n", false, "n", "");
    out.replaced = posts.indexes.filter((i) => i.includes("idx_n"));
    posts.removeIndex("idx_posts_title");
    out.afterRemove = posts.indexes.length;
    out.isNew = [posts.isNew(), new Collection({ name: "x" }).isNew(), posts.lastSavedPK() === posts.id];
    out.string = JSON.parse(posts.string()).name;
    out.marshal = JSON.parse(toString(posts.marshalJSON())).name;
    out.baseFilesPath = posts.baseFilesPath() === posts.id;
    const title = posts.fields.getByName("title");
    out.fieldClass = [title instanceof TextField, title instanceof Field, title.getName(), title.columnType($app)];
    title.setName("heading");
    out.renamed = posts.fields.getByName("heading") !== null;
    const tags = posts.fields.getByName("tags");
    out.tags = [tags.isMultiple(), tags.columnType($app), tags.prepareValue(null, "a"), typeof tags.findSetter("tags+"), tags.findSetter("other")];
    const fresh = new RelationField({ name: "owner" });
    out.freshDefaults = [fresh.maxSelect, fresh.cascadeDelete, fresh.getHidden(), fresh.isMultiple(), Object.keys(fresh).sort()];
    out.number = new NumberField({ name: "n" }).prepareValue(null, "12.5");
    return e.json(200, out);
});

routerAdd("GET", "/t/template", (e) => {
    const html = $template
        .addFuncs({ shout: (s) => String(s).toUpperCase() + "!" })
        .loadString('<p>{{shout .name}}</p>')
        .render({ name: "hi" });
    return e.html(200, html);
});

onRecordCreateRequest((e) => {
    $app.store().set("requestHook", {
        tags: e.tags(),
        hasRequestKey: "request" in e,
        request: typeof e.request,
        response: typeof e.response,
    });
    e.next();
}, "scratch");

onRecordCreate((e) => {
    $app.store().set("modelTags", e.tags());
    e.next();
}, "scratch");

routerAdd("POST", "/t/aux", (e) => {
    $app.logger().info("a log line");
    const out = {};
    out.hasLogs = $app.auxHasTable("_logs");
    out.hasLogsInData = $app.hasTable("_logs");
    out.noTable = $app.auxHasTable("nope");
    const count = () => $app.auxDB().newQuery("SELECT COUNT(*) AS n FROM _logs").one().n;
    $app.auxDB().newQuery("INSERT INTO _logs (id, level, message, data, created) VALUES ('oldlog0000000001', 0, 'old', '{}', '2001-01-01 00:00:00.000Z')").execute();
    out.before = count() >= 1;
    $app.deleteOldLogs(new DateTime("2010-01-01 00:00:00.000Z"));
    out.oldGone = $app.auxDB().newQuery("SELECT COUNT(*) AS n FROM _logs WHERE id = 'oldlog0000000001'").one().n;
    $app.auxVacuum();
    return e.json(200, out);
});
"#;

async fn setup() -> (TestApp, String) {
    let t = spawn_app_with_hooks(&[("members.pb.js", HOOKS)], |_| {}).await;
    let tok = t.admin_token().await;
    let posts = t
        .create_collection(
            &tok,
            json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
                "indexes": ["CREATE INDEX idx_posts_title ON posts (title)"],
                "fields": [{"name": "title", "type": "text"}, {"name": "data", "type": "json"},
                    {"name": "n", "type": "number"},
                    {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
                    {"name": "where", "type": "geoPoint"},
                    {"name": "created", "type": "autodate", "onCreate": true}]}),
        )
        .await;
    t.create_collection(
        &tok,
        json!({"name": "comments", "listRule": "", "viewRule": "",
            "fields": [{"name": "body", "type": "text"},
                {"name": "post", "type": "relation", "collectionId": posts["id"], "maxSelect": 1}]}),
    )
    .await;
    t.create_collection(&tok, json!({"name": "scratch", "fields": [{"name": "title", "type": "text"}]})).await;
    (t, tok)
}

async fn create(t: &TestApp, tok: &str, collection: &str, body: Value) -> String {
    let r = t.post(&format!("/api/collections/{collection}/records"), Some(tok), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn app_table_view_and_collection_helpers_work_like_pocketbase() {
    let (t, tok) = setup().await;
    create(&t, &tok, "posts", json!({"title": "first"})).await;
    let r = t.get("/t/app", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(
        (j["hasPosts"].clone(), j["hasPostsUpper"].clone(), j["hasNope"].clone()),
        (json!(true), json!(true), json!(false))
    );
    // (the column order is the table's; Ferrobase's tables differ from PocketBase's there)
    assert_eq!(j["columns"], json!(["created", "data", "id", "n", "tags", "title", "where"]));
    assert_eq!(j["idRow"], json!({"pk": 1, "notNull": true, "type": "TEXT"}));
    assert_eq!(j["infoMissing"], "error");
    assert_eq!(j["indexes"], json!(["idx_posts_title"]));
    assert_eq!(
        (j["uniqueTaken"].clone(), j["uniqueExcluded"].clone(), j["uniqueFree"].clone()),
        (json!(false), json!(true), json!(true))
    );
    assert_eq!(j["refs"], json!(["comments:post"]));
    assert_eq!(
        (j["viewRows"].clone(), j["viewExists"].clone(), j["viewGone"].clone()),
        (json!(1), json!(true), json!(true))
    );
    assert_eq!(j["viewFields"], json!(["id:text", "title:text", "two:json"]));
    assert_eq!((j["bootstrapped"].clone(), j["encryptionEnv"].clone()), (json!(true), json!("")));
}

#[tokio::test]
async fn unsafe_without_hooks_and_with_context_saves() {
    let (t, _tok) = setup().await;
    let r = t.post("/t/hooks", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, json!({"withHooks": "hooked", "withoutHooks": "plain", "withContext": "hooked"}));
}

#[tokio::test]
async fn can_access_record_follows_rules_and_superusers() {
    let (t, tok) = setup().await;
    t.user("u@example.com", "1234567890").await;
    let id = create(&t, &tok, "posts", json!({"title": "first"})).await;
    let r = t.post(&format!("/t/access/{id}"), None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"nullRule": false, "emptyRule": true, "matching": true, "notMatching": false,
            "authRuleAnon": false, "authRuleUser": true, "superuserNullRule": true, "requestInfoRule": false})
    );
    // the request's own auth counts through e.requestInfo()
    let (_, user_tok) = t.user("v@example.com", "1234567890").await;
    let r = t.post(&format!("/t/access/{id}"), Some(&user_tok), json!({})).await;
    assert_eq!(r.json["requestInfoRule"], true, "{}", r.text);
}

#[tokio::test]
async fn expand_record_and_the_record_expand_family() {
    let (t, tok) = setup().await;
    let post = create(&t, &tok, "posts", json!({"title": "the post"})).await;
    let comment = create(&t, &tok, "comments", json!({"body": "hi", "post": post})).await;
    let r = t.get(&format!("/t/expand/{comment}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["before"], Value::Null);
    assert_eq!(j["failed"], json!([]), "an unknown path is left out, like PocketBase");
    assert_eq!((j["oneTitle"].clone(), j["oneIsRecord"].clone()), (json!("the post"), json!(true)));
    assert_eq!(j["allIds"], json!([post]));
    assert_eq!(j["expandKeys"], json!(["post"]));
    assert_eq!(j["exported"], "the post");
    assert_eq!(j["listTitles"], json!(["the post"]));
    assert_eq!(j["otherKeys"], json!(["extra", "post"]));
}

#[tokio::test]
async fn truncate_collection_deletes_every_record() {
    let (t, _tok) = setup().await;
    let r = t.post("/t/truncate", None, json!({})).await;
    assert_eq!((r.status, r.json.clone()), (200, json!({"before": 3, "after": 0})), "{}", r.text);
}

#[tokio::test]
async fn record_typed_getters_setters_and_json() {
    let (t, tok) = setup().await;
    let id = create(
        &t,
        &tok,
        "posts",
        json!({"title": "first", "n": 3, "tags": ["a", "b"], "data": {"x": 1}, "where": {"lon": 4.5, "lat": 52.1}}),
    )
    .await;
    let r = t.get(&format!("/t/record/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(
        (j["created"].clone(), j["createdZero"].clone(), j["emptyDateZero"].clone()),
        (json!(true), json!(false), json!(true))
    );
    assert_eq!(j["tags"], json!(["a", "b"]));
    assert_eq!(j["single"], json!(["first"]));
    assert_eq!(j["int64"], 3);
    assert_eq!(j["geo"], json!({"lon": 4.5, "lat": 52.1}));
    assert_eq!(j["raw"], json!({"x": 1}), "getRaw gives the stored value, not JSON bytes");
    assert_eq!(
        (j["pk"].clone(), j["lastSavedPK"].clone(), j["baseFilesPath"].clone()),
        (json!(true), json!(true), json!(true))
    );
    assert_eq!(j["hookTags"][1], "posts");
    assert_eq!(j["replaced"], json!({"n": 5, "tags": ["b"], "title": "t"}));
    assert_eq!(j["nUnchanged"], 3, "replaceModifiers leaves the record alone");
    assert_eq!(j["missingField"], Value::Null);
    assert_eq!((j["setField"].clone(), j["titleAfter"].clone()), (json!("title"), json!("via setIfFieldExists")));
    assert_eq!(j["rawSet"], "not normalised");
    assert_eq!(j["customData"], json!({"helper": 5}));
    assert_eq!(j["fieldsKeys"], json!(["created", "data", "id", "n", "tags", "title", "where"]));
    assert_eq!(j["marshal"], "via setIfFieldExists");
    assert_eq!(j["unmarshaled"], json!(["from json", 7, {"k": [1, 2]}]));
    assert_eq!(j["newIsNew"], json!([true, ""]));
    assert_eq!((j["afterMarkNotNew"].clone(), j["afterMarkNew"].clone()), (json!(false), json!(true)));
}

#[tokio::test]
async fn record_tokens_passwords_and_auth_reference_finders() {
    let (t, _tok) = setup().await;
    t.user("u@example.com", "1234567890").await;
    let r = t.post("/t/auth", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    for k in ["tokenFindsUser", "staticFindsUser", "verification", "reset", "emailChange", "file", "validates"] {
        assert_eq!(j[k], true, "{k}: {}", r.text);
    }
    assert_eq!(j["randomLength"], 30);
    assert_eq!((j["mfas"].clone(), j["otps"].clone(), j["externalAuths"].clone()), (json!(0), json!(0), json!(0)));
    assert_eq!(j["origins"], 1, "the login made an auth origin: {}", r.text);
    assert_eq!(j["originsOfCollection"], 1);
    assert_eq!(j["originsAfter"], 0);
    assert_eq!(j["mfaMissing"], "not found");
    assert_eq!(j["oldTokenAfterKeyChange"], "invalid");
}

#[tokio::test]
async fn request_cookies_forms_basic_auth_and_body() {
    let (t, _tok) = setup().await;
    let res = t
        .client
        .post(format!("{}/t/req/x?q=fromquery&a=3", t.base))
        .header("Cookie", "session=abc; theme=\"dark\"")
        .header("User-Agent", "tester/1.0")
        .header("Referer", "https://example.com/page")
        .header("Authorization", "Basic dXNlcjpwYXNzOndvcmQ=")
        .header("X-Test", "kept")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("a=1&a=2&b=%20x")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let j: Value = res.json().await.expect("json");
    assert_eq!(j["cookie"], "abc");
    assert_eq!(j["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(j["missing"], "http: named cookie not present");
    assert_eq!(
        (j["userAgent"].clone(), j["referer"].clone()),
        (json!("tester/1.0"), json!("https://example.com/page"))
    );
    assert_eq!(j["basicAuth"], json!(["user", "pass:word", true]));
    assert_eq!(j["formValue"], "1", "the body's values come first, as strings");
    assert_eq!(j["formValues"], json!(["1", "2", "3"]));
    assert_eq!(
        (j["queryOnly"].clone(), j["postQuery"].clone(), j["postA"].clone()),
        (json!("fromquery"), json!(""), json!("1"))
    );
    assert_eq!(j["body"], "a=1&a=2&b=%20x");
    assert_eq!(j["proto"], json!(["HTTP/1.1", 1, 1, true, false]));
    assert_eq!(j["pattern"], "POST /t/req/{name}");
    assert_eq!(j["tls"], Value::Null);
    assert_eq!(j["context"], "v");
    assert_eq!(j["cloneKeepsHeaders"], "kept");

    let r = t.post("/t/rawbody", None, json!({"x": 1})).await;
    assert_eq!(r.json, json!({"text": "{\"x\":1}", "bytes": 7}), "{}", r.text);
    let empty = t.raw("POST", "/t/rawbody", None, "text/plain", Vec::new()).await;
    assert_eq!(empty.json, json!({"text": "", "bytes": 0}), "{}", empty.text);
}

#[tokio::test]
async fn collection_options_indexes_and_field_methods() {
    let (t, _tok) = setup().await;
    let r = t.get("/t/collection", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(
        (j["baseAuthRule"].clone(), j["baseViewQuery"].clone(), j["baseOAuth2"].clone()),
        (Value::Null, json!(""), json!(false))
    );
    assert_eq!(j["usersPasswordAuth"], true);
    assert_eq!(j["getIndex"], "CREATE INDEX idx_posts_title ON posts (title)");
    assert_eq!(j["added"], "CREATE UNIQUE INDEX `idx_n` ON `posts` (n) WHERE n > 0");
    assert_eq!(j["replaced"], json!(["CREATE INDEX `idx_n` ON `posts` (n)"]));
    assert_eq!(j["afterRemove"], 1);
    assert_eq!(j["isNew"], json!([false, true, true]));
    assert_eq!(
        (j["string"].clone(), j["marshal"].clone(), j["baseFilesPath"].clone()),
        (json!("posts"), json!("posts"), json!(true))
    );
    assert_eq!(j["fieldClass"], json!([true, true, "title", "TEXT DEFAULT '' NOT NULL"]));
    assert_eq!(j["renamed"], true);
    assert_eq!(j["tags"], json!([true, "JSON DEFAULT '[]' NOT NULL", ["a"], "function", null]));
    assert_eq!(j["freshDefaults"], json!([0, false, false, false, ["name", "type"]]));
    assert_eq!(j["number"], 12.5);
}

#[tokio::test]
async fn template_add_funcs() {
    let (t, _tok) = setup().await;
    let r = t.get("/t/template", None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "<p>HI!</p>"));
}

#[tokio::test]
async fn hook_event_tags_request_fields_and_aux_db() {
    let (t, tok) = setup().await;
    create(&t, &tok, "scratch", json!({"title": "x"})).await;
    let scratch = t.get("/api/collections/scratch", Some(&tok)).await.json;
    let expected_tags = json!([scratch["id"], "scratch"]);
    let seen = t.app.store().lock().get("requestHook").cloned().unwrap_or_default();
    assert_eq!(
        seen,
        json!({"tags": expected_tags, "hasRequestKey": true, "request": "undefined", "response": "undefined"}),
        "as on PocketBase, request hook events have the keys but no request"
    );
    assert_eq!(t.app.store().lock().get("modelTags").cloned().unwrap_or_default(), expected_tags);

    let r = t.post("/t/aux", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"hasLogs": true, "hasLogsInData": false, "noTable": false, "before": true, "oldGone": 0})
    );
}
