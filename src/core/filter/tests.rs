//! End-to-end tests: filters and sorts compiled against a small schema in an
//! in-memory SQLite database, checked by the record ids they select.
//!
//! The same schema and rows were created in a real PocketBase 0.40.6; the
//! expectations of the superuser and guest tables were verified there (ids
//! `p1`… there are `p00000000000001`…), as were those marked "verified" in
//! the other tests.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::*;
use crate::core::collections::{Collection, CollectionType, Field, FieldKind};
use crate::core::records::Record;
use crate::db;

fn text(name: &str) -> Field {
    let kind = FieldKind::Text {
        min: 0,
        max: 0,
        pattern: String::new(),
        autogenerate_pattern: String::new(),
        primary_key: false,
    };
    Field::new(name, kind)
}

fn number(name: &str) -> Field {
    Field::new(name, FieldKind::Number { min: None, max: None, only_int: false })
}

fn select(name: &str, values: &[&str], max_select: i64) -> Field {
    let values = values.iter().map(|v| v.to_string()).collect();
    Field::new(name, FieldKind::Select { values, max_select })
}

fn relation(name: &str, target: &str, max_select: i64) -> Field {
    let kind = FieldKind::Relation {
        collection_id: format!("pbc_{target}"),
        cascade_delete: false,
        min_select: 0,
        max_select,
    };
    Field::new(name, kind)
}

fn hidden(mut field: Field) -> Field {
    field.hidden = true;
    field
}

fn collection(name: &str, kind: CollectionType, fields: Vec<Field>) -> Collection {
    let mut c = Collection::new(name, kind);
    c.id = format!("pbc_{name}");
    c.fields.extend(fields);
    c.rules.list = Some(String::new());
    c
}

fn collections() -> Vec<Collection> {
    vec![
        collection("orgs", CollectionType::Base, vec![text("name")]),
        collection("teams", CollectionType::Base, vec![text("name"), relation("org", "orgs", 1)]),
        collection(
            "users",
            CollectionType::Auth,
            vec![text("name"), relation("team", "teams", 1), hidden(text("secret")), number("age")],
        ),
        collection(
            "posts",
            CollectionType::Base,
            vec![
                text("title"),
                number("views"),
                Field::new("active", FieldKind::Bool),
                select("tags", &["a", "b", "c"], 3),
                select("category", &["news", "blog"], 1),
                relation("author", "users", 1),
                relation("editors", "users", 5),
                Field::new("meta", FieldKind::Json { max_size: 0 }),
                Field::new("published", FieldKind::Date { min: String::new(), max: String::new() }),
                Field::new("location", FieldKind::GeoPoint),
                relation("parent", "posts", 1),
            ],
        ),
        collection(
            "comments",
            CollectionType::Base,
            vec![text("message"), relation("post", "posts", 1), relation("author", "users", 1)],
        ),
    ]
}

fn user_rows() -> Vec<Value> {
    let user = |id: &str, name: &str, team: &str, age: i64, email_visibility: bool| {
        json!({
            "id": id, "name": name, "team": team, "age": age,
            "email": format!("{}@example.com", name.to_lowercase()), "emailVisibility": email_visibility,
            "verified": false, "password": "hash", "tokenKey": format!("key-{id}"), "secret": format!("s{}", &id[1..]),
        })
    };
    vec![user("u1", "Alice", "t1", 30, true), user("u2", "Bob", "t2", 20, false), user("u3", "Carol", "", 0, false)]
}

fn rows() -> Vec<(&'static str, Value)> {
    let mut rows = vec![
        ("orgs", json!({"id": "o1", "name": "Acme"})),
        ("orgs", json!({"id": "o2", "name": "Globex"})),
        ("teams", json!({"id": "t1", "name": "Red", "org": "o1"})),
        ("teams", json!({"id": "t2", "name": "Blue", "org": "o2"})),
    ];
    rows.extend(user_rows().into_iter().map(|u| ("users", u)));
    rows.extend([
        (
            "posts",
            json!({"id": "p1", "title": "Hello World", "views": 10, "active": true, "tags": ["a", "b"],
                   "category": "news", "author": "u1", "editors": ["u1", "u2"],
                   "meta": {"k": "v", "n": 5, "arr": [1, 2], "sub": {"x": "y"}},
                   "published": "2024-01-15 10:00:00.000Z", "location": {"lon": 23.32, "lat": 42.69}}),
        ),
        (
            "posts",
            json!({"id": "p2", "title": "Second post", "views": 20, "active": false, "tags": ["a"],
                   "category": "blog", "author": "u2", "editors": ["u2"], "meta": {"k": "w", "n": 7},
                   "published": "2024-06-01 12:00:00.000Z", "location": {"lon": 2.35, "lat": 48.85}, "parent": "p1"}),
        ),
        ("posts", json!({"id": "p3", "title": "100% real_deal", "views": 0})),
        (
            "posts",
            json!({"id": "p4", "title": "it's \"quoted\"", "views": 5.5, "active": true, "tags": ["c"],
                   "category": "news", "author": "u1", "editors": ["u1"], "meta": [1, 2, 3],
                   "published": "2030-01-01 00:00:00.000Z", "parent": "p2"}),
        ),
        ("comments", json!({"id": "c1", "message": "first", "post": "p1", "author": "u2"})),
        ("comments", json!({"id": "c2", "message": "second", "post": "p1", "author": "u1"})),
        ("comments", json!({"id": "c3", "message": "third", "post": "p2", "author": "u1"})),
    ]);
    rows
}

fn as_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

struct Fixture {
    exec: db::Executor,
    schema: Collections,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture::with_list_rules(&[])
    }

    /// The fixture with some collections' list rules replaced.
    fn with_list_rules(list_rules: &[(&str, Option<&str>)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let exec = db::Executor::Pool(Arc::new(db::Db::open(&dir.path().join("data.db"), 2).expect("db")));
        let mut list = collections();
        for c in &mut list {
            exec.write(|conn| db::sync::create(conn, c)).expect("table");
            if let Some((_, rule)) = list_rules.iter().find(|(name, _)| *name == c.name) {
                c.rules.list = rule.map(str::to_string);
            }
        }
        let schema = Collections::new(list);
        for (name, row) in rows() {
            let c = schema.get(name).expect("collection");
            exec.write(|conn| db::records::insert(conn, &c, &as_map(row))).expect("row");
        }
        Fixture { exec, schema, _dir: dir }
    }

    fn posts(&self) -> Arc<Collection> {
        self.schema.get("posts").expect("posts")
    }

    fn user(&self, id: &str) -> Arc<Record> {
        let users = self.schema.get("users").expect("users");
        let row = user_rows().into_iter().find(|u| u["id"] == id).expect("user row");
        Arc::new(Record::from_stored(users, as_map(row)))
    }

    /// Ids of the posts selected by `WHERE <condition>` with the builder's
    /// joins and args, in `order` (by id if empty).
    fn select(&self, b: &QueryBuilder, condition: &str, order: &str) -> Vec<String> {
        let order = if order.is_empty() { "`posts`.`id`" } else { order };
        let query = b
            .conditions
            .iter()
            .fold(
                db::Select::from("posts")
                    .params(b.args.clone())
                    .select(["`posts`.`id`"])
                    .distinct(b.distinct)
                    .join(b.joins_sql())
                    .and_where(condition),
                |q, c| q.and_where(c.as_str()),
            )
            .order_by(order);
        query.column(&self.exec).unwrap_or_else(|e| panic!("{e}: {:?}", query.build()))
    }
}

/// Who compiles: the flags a caller sets for each kind of request.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// A superuser's `?filter=`: everything allowed.
    Superuser,
    /// A guest's or user's `?filter=`: no hidden fields, no `@request.*`.
    Client,
    /// An API rule: everything allowed, with the request's auth and body.
    Rule,
}

struct Query<'f> {
    fixture: &'f Fixture,
    access: Access,
    request: RequestInfo,
    params: Option<Map<String, Value>>,
}

impl<'f> Query<'f> {
    fn new(fixture: &'f Fixture, access: Access) -> Self {
        let request = RequestInfo { method: "GET".into(), context: "default".into(), ..RequestInfo::default() };
        Query { fixture, access, request, params: None }
    }

    fn auth(mut self, user_id: &str) -> Self {
        self.request.auth = Some(self.fixture.user(user_id));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.request.body = as_map(body);
        self
    }

    fn params(mut self, params: Value) -> Self {
        self.params = Some(as_map(params));
        self
    }

    fn run<T>(&self, compile: impl FnOnce(&mut QueryBuilder, &FilterContext<'_>) -> T) -> (QueryBuilder, T) {
        let base = self.fixture.posts();
        let privileged = self.access != Access::Client;
        let ctx = FilterContext {
            base: &base,
            schema: &self.fixture.schema,
            request: &self.request,
            allow_hidden: privileged,
            allow_request: privileged,
        };
        let mut b = QueryBuilder::default();
        let out = compile(&mut b, &ctx);
        (b, out)
    }

    fn ids(&self, filter: &str) -> Result<Vec<String>, FilterError> {
        let (b, sql) = self.run(|b, ctx| compile_filter(b, ctx, filter, self.params.as_ref()));
        Ok(self.fixture.select(&b, &sql?, ""))
    }

    fn sorted(&self, sort: &str) -> Result<Vec<String>, FilterError> {
        let (b, order) = self.run(|b, ctx| compile_sort(b, ctx, sort));
        let order = order?;
        let order = if order.is_empty() { String::new() } else { format!("{order}, `posts`.`id`") };
        Ok(self.fixture.select(&b, "1 = 1", &order))
    }
}

const ALL: &[&str] = &["p1", "p2", "p3", "p4"];
const NONE: &[&str] = &[];

fn expect_ids(query: &Query<'_>, cases: &[(&str, &[&str])]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(filter, expected)| match query.ids(filter) {
            Ok(ids) if ids == *expected => None,
            other => Some(format!("{filter:?}: expected {expected:?}, got {other:?}")),
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn expect_errors(query: &Query<'_>, filters: &[&str]) {
    let accepted: Vec<String> = filters
        .iter()
        .filter_map(|filter| query.ids(filter).ok().map(|ids| format!("{filter:?} gave {ids:?}")))
        .collect();
    assert!(accepted.is_empty(), "should have failed:\n{}", accepted.join("\n"));
}

#[test]
fn compares_plain_fields_like_pocketbase() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("title = 'Hello World'", &["p1"]),
            ("title != 'Hello World'", &["p2", "p3", "p4"]),
            ("views > 5", &["p1", "p2", "p4"]),
            ("views >= 10", &["p1", "p2"]),
            ("views < 5.5", &["p3"]),
            ("views <= 5.5", &["p3", "p4"]),
            ("views >= 5.5 && views <= 10", &["p1", "p4"]),
            ("views = '10'", &["p1"]),
            ("views = 5.5", &["p4"]),
            ("views ?> 5", &["p1", "p2", "p4"]),
            ("active = true", &["p1", "p4"]),
            ("active = 1", &["p1", "p4"]),
            ("active = false", &["p2", "p3"]),
            ("active = 'true'", NONE),
            ("published > '2024-03-01'", &["p2", "p4"]),
            ("published = ''", &["p3"]),
            ("id = id", ALL),
            ("title = id", NONE),
            ("1 = 1", ALL),
            ("'a' = 'a'", ALL),
            ("1 < 2", ALL),
            ("2 < 1", NONE),
            ("'abc' ~ 'b'", ALL),
            ("'abc' ~ title", NONE),
            ("(views > 1 || active = true) && title ~ 'o'", &["p1", "p2", "p4"]),
            ("views > 1 || active = true && title ~ 'x'", &["p1", "p2", "p4"]),
            ("title = 'Hello World' // a comment", &["p1"]),
            ("views > 1 // first\n&& title ~ 'post' // second", &["p2"]),
            (r#"title = "it's \"quoted\"""#, &["p4"]),
            (r#"title = 'it\'s "quoted"'"#, &["p4"]),
        ],
    );
}

#[test]
fn like_wraps_and_escapes_values() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("title ~ 'REAL'", &["p3"]),
            ("title !~ 'o'", &["p3"]),
            ("title ~ '100%'", &["p3"]),
            ("title ~ '100\\%'", &["p3"]),
            ("title ~ 'real_deal'", &["p3"]),
            ("title ~ 'al_d'", &["p3"]),
            ("title ~ 'o_w'", NONE),
            ("title ~ '%World'", &["p1"]),
            ("title ?~ 'world'", &["p1"]),
            ("title ?!~ 'world'", &["p2", "p3", "p4"]),
        ],
    );
}

#[test]
fn empty_and_null_compare_null_safely() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("category = ''", &["p3"]),
            ("category = null", &["p3"]),
            ("'' = category", &["p3"]),
            ("category != ''", &["p1", "p2", "p4"]),
            ("category != null", &["p1", "p2", "p4"]),
            ("author = ''", &["p3"]),
            ("author = null", &["p3"]),
            ("title = null", NONE),
            ("null = title", NONE),
            ("title != null", ALL),
            ("NULL = ''", ALL),
            ("TRUE = 1", ALL),
        ],
    );
}

#[test]
fn multi_select_compares_as_a_whole_unless_each() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("tags = 'a'", NONE),
            ("tags ?= 'a'", NONE),
            ("tags ~ 'a'", &["p1", "p2"]),
            ("tags:lower ~ 'A'", &["p1", "p2"]),
            ("tags:each ?= 'a'", &["p1", "p2"]),
            ("tags:each = 'a'", &["p2"]),
            ("tags:each != 'a'", &["p3", "p4"]),
            ("tags:each ?!= 'a'", &["p1", "p3", "p4"]),
            ("tags:each ~ 'b'", NONE),
            ("tags:each ?~ 'b'", &["p1"]),
            ("tags:each !~ 'b'", &["p2", "p4"]),
            ("tags:each ?!~ 'b'", &["p1", "p2", "p4"]),
            ("tags:length = 2", &["p1"]),
            ("tags:length = 0", &["p3"]),
            ("category:each = 'news'", &["p1", "p4"]),
            ("category:length = 1", &["p1", "p2", "p4"]),
            ("title:each = 'x'", NONE),
            ("views:length = 1", NONE),
        ],
    );
}

#[test]
fn multi_relations_need_all_items_unless_any_operator() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("editors = 'u1'", NONE),
            ("editors ?= 'u1'", NONE),
            ("editors.id ?= 'u1'", &["p1", "p4"]),
            ("editors.name = 'Alice'", &["p4"]),
            ("editors.name ?= 'Alice'", &["p1", "p4"]),
            ("editors.name != 'Alice'", &["p2", "p3"]),
            ("editors.name ?!= 'Alice'", &["p1", "p2", "p3"]),
            ("editors.name:lower ?= 'alice'", &["p1", "p4"]),
            ("editors.age > 25", &["p4"]),
            ("editors.age ?> 25", &["p1", "p4"]),
            ("editors.age < 25", &["p2"]),
            ("editors.name = editors.name", &["p2", "p3", "p4"]),
            ("editors.name ?= editors.name", ALL),
            ("editors:length > 1", &["p1"]),
            ("editors:each ?= 'u2'", &["p1", "p2"]),
            ("editors:each = 'u2'", &["p2"]),
            ("author:length = 1", &["p1", "p2", "p4"]),
            ("author:each = 'u1'", &["p1", "p4"]),
        ],
    );
}

#[test]
fn follows_nested_and_back_relations() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("author.id = 'u1'", &["p1", "p4"]),
            ("author.team.name = 'Red'", &["p1", "p4"]),
            ("author.team.org.name ?= 'Acme'", &["p1", "p4"]),
            ("editors.team.name = 'Red'", &["p4"]),
            ("editors.team.name ?= 'Blue'", &["p1", "p2"]),
            ("parent.parent.title = 'Hello World'", &["p4"]),
            ("comments_via_post.message = 'first'", NONE),
            ("comments_via_post.message ?= 'first'", &["p1"]),
            ("comments_via_post.author.name ?= 'Bob'", &["p1"]),
            ("comments_via_post.author.name = 'Alice'", &["p2"]),
            ("comments_via_post.id = ''", &["p3", "p4"]),
            ("comments_via_post.id != ''", &["p1", "p2"]),
            ("comments_via_post.id ?= ''", &["p3", "p4"]),
            ("author.posts_via_author.id ?= 'p4'", &["p1", "p4"]),
        ],
    );
}

#[test]
fn relation_paths_stop_after_six_relations() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    let path = |relations: usize| format!("{}title = 'x'", "parent.".repeat(relations));
    assert!(query.ids(&path(6)).is_ok());
    assert!(query.ids(&path(7)).is_err_and(|e| e.0.contains("max nested relations")));
}

#[test]
fn reads_json_and_geo_point_paths() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("meta.k = 'v'", &["p1"]),
            ("meta.n > 5", &["p2"]),
            ("meta.arr.1 = 2", &["p1"]),
            ("meta.sub.x = 'y'", &["p1"]),
            ("meta = null", &["p3"]),
            ("meta ~ 'k'", &["p1", "p2"]),
            ("meta.k = null", &["p3", "p4"]),
            ("meta.k != 'v'", &["p2", "p3", "p4"]),
            ("meta.missing = null", ALL),
            ("meta:length = 3", NONE),
            ("meta:each ?= 2", NONE),
            ("location.lon > 20", &["p1"]),
            ("location = null", NONE),
        ],
    );
}

#[test]
fn computes_geo_distances_and_strftime() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("geoDistance(location.lon, location.lat, 23.32, 42.69) < 10", &["p1"]),
            ("geoDistance(location.lon, location.lat, 2.35, 48.85) < 10", &["p2"]),
            ("geoDistance( 1 , 2 , 3 , 4 , ) > 0", ALL),
            ("0 < geoDistance(1, 2, 3, 4)", ALL),
            ("geoDistance(null, 2, 3, 4) = null", ALL),
            ("strftime('%Y', published) = '2024'", &["p1", "p2"]),
            ("strftime('%Y-%m', published, 'start of month') = '2024-06'", &["p2"]),
            ("strftime('%Y', published) = ''", &["p3"]),
            ("strftime('%Y') = ''", NONE),
            ("strftime('%Y', published, 'start of month', '+1 day', 'utc') != ''", &["p1", "p2", "p4"]),
        ],
    );
    expect_errors(
        &query,
        &[
            "geoDistance(1, 2, 3) = 1",
            "geoDistance('1', 2, 3, 4) > 0",
            "geoDistance(geoDistance(1, 2, 3, 4), 2, 3, 4) > 0",
            "GEODISTANCE(1, 2, 3, 4) > 0",
            "geoDistance (1, 2, 3, 4) > 0",
            "strftime() = ''",
            "strftime(1, published) = ''",
            "strftime(title, published) != ''",
            "lower(title) = 'x'",
        ],
    );
}

#[test]
fn datetime_macros_compare_with_dates() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("published > @now", &["p4"]),
            ("published < @yesterday && published != ''", &["p1", "p2"]),
            ("@todayStart < @todayEnd", ALL),
            ("@monthStart < @monthEnd && @yearStart < @yearEnd", ALL),
            ("@yesterday < @now && @now < @tomorrow", ALL),
            ("@second >= 0 && @minute >= 0 && @hour >= 0 && @weekday >= 0", ALL),
            ("@day >= 1 && @month >= 1 && @year >= 2024", ALL),
        ],
    );
}

#[test]
fn binds_placeholders_as_values() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser).params(json!({
        "title": "Hello World", "min": 5, "yes": true, "nothing": null, "tags": ["a"], "quoted": "it's \"quoted\"",
    }));
    expect_ids(
        &query,
        &[
            ("title = {:title}", &["p1"]),
            ("title = {:quoted}", &["p4"]),
            ("views > {:min} && views < 15", &["p1", "p4"]),
            ("active = {:yes}", &["p1", "p4"]),
            ("category = {:nothing}", &["p3"]),
            ("tags = {:tags}", &["p2"]),
            ("title = '{:title}'", NONE),
            ("geoDistance(location.lon, location.lat, {:min}, {:min}) > 0", ALL),
        ],
    );
    expect_errors(&query, &["title = {:missing}", "geoDistance({:title}, 1, 2, 3) > 0"]);
}

#[test]
fn treats_hostile_values_as_data() {
    let fixture = Fixture::new();
    let hostile = [
        "' OR 1=1 --",
        "\"; DROP TABLE posts; --",
        "`posts`",
        "?1",
        "a\0b",
        "ünïcødé 😀 \u{202e}",
        "%_\\",
        "{:x}",
        "@request.auth.id",
    ];
    for value in hostile.iter().map(|s| s.to_string()).chain([("x".repeat(100 * 1024))]) {
        let query = Query::new(&fixture, Access::Superuser).params(json!({"v": value}));
        expect_ids(&query, &[("title = {:v}", NONE), ("title != {:v}", ALL), ("{:v} = {:v}", ALL)]);
        // SQLite refuses LIKE patterns over 50 000 bytes at run time
        if value.len() < 1000 {
            expect_ids(&query, &[("title ~ {:v}", NONE), ("title !~ {:v}", ALL)]);
        }
        let (b, sql) = query.run(|b, ctx| compile_filter(b, ctx, "title = {:v}", query.params.as_ref()));
        assert_eq!(sql, Ok("`posts`.`title` = ?1".to_string()));
        assert_eq!(b.args, vec![SqlValue::Text(value.clone())]);
    }
    let rule = Query::new(&fixture, Access::Rule).body(json!({"title": "'); DELETE FROM posts; --"}));
    expect_ids(&rule, &[("@request.body.title != title", ALL)]);
    assert_eq!(
        Query::new(&fixture, Access::Superuser).ids("id != ''"),
        Ok(ALL.iter().map(|s| s.to_string()).collect())
    );
}

#[test]
fn rejects_invalid_expressions_without_touching_the_builder() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    // verified against PocketBase 0.40.6 (400 for each)
    let invalid = [
        "",
        "title = ",
        "title = 'x' &&",
        "title = 'x' garbage",
        "nofield = 1",
        "author.nofield = 1",
        "title.foo = 1",
        "nocoll_via_post.x = 1",
        "comments_via_author.x = 1",
        "@collection.nope.x = 1",
        "@request.body.nope:changed = 1",
        "title:bogus = 1",
        "(title = 'x'",
        "title = 'x')",
        "title = 'unterminated",
        "title ?? 1",
        "a.b.c.d.e.f.g.h = 1",
        "#x = 1",
        "_x = 1",
        "@request.foo = 1",
        "title = 'a\0b'",
        "views = 1e1",
    ];
    expect_errors(&query, &invalid);

    let too_long = format!("title != '{}'", "x".repeat(MAX_EXPRESSION_BYTES));
    let too_many = vec!["id != ''"; MAX_EXPRESSIONS + 1].join(" && ");
    let too_deep = format!("{}id != ''{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    expect_errors(&query, &[&too_long, &too_many, &too_deep]);

    let (b, result) = query.run(|b, ctx| {
        compile_filter(b, ctx, "author.name = 'x'", None).expect("valid");
        compile_filter(b, ctx, "editors.name = 'x' && author.nofield = 1", None)
    });
    assert!(result.is_err());
    assert_eq!((b.joins.len(), b.args.len()), (1, 1), "the failed compilation left joins or args behind");
}

#[test]
fn client_filters_cannot_see_hidden_or_private_data() {
    let fixture = Fixture::new();
    let client = Query::new(&fixture, Access::Client);
    // verified against PocketBase 0.40.6 (as a guest)
    expect_ids(
        &client,
        &[
            ("author.email = 'alice@example.com'", &["p1", "p4"]),
            ("author.email = 'bob@example.com'", NONE),
            ("author.email != 'bob@example.com'", &["p1", "p4"]),
            ("author.team.org.name = 'Acme'", &["p1", "p4"]),
        ],
    );
    expect_errors(&client, &["author.secret = 's1'"]);
    let superuser = Query::new(&fixture, Access::Superuser);
    expect_ids(&superuser, &[("author.secret = 's1'", &["p1", "p4"]), ("author.email = 'bob@example.com'", &["p2"])]);
}

#[test]
fn client_filters_cannot_reference_request_or_collections() {
    let fixture = Fixture::new();
    let client = Query::new(&fixture, Access::Client);
    // verified against PocketBase 0.40.6: the check is on the raw text
    let cases = [
        ("@request.auth.id = ''", "Only superusers can filter by @request."),
        ("title = 'x' // @request.auth.id = ''", "Only superusers can filter by @request."),
        ("title = '@request.x'", "Only superusers can filter by @request."),
        ("@collection.users.name ?= 'x'", "Only superusers can filter by @collection."),
    ];
    for (filter, message) in cases {
        let error = client.ids(filter).expect_err(filter);
        assert_eq!(error.0, message);
        assert!(error.is_forbidden());
    }
    expect_ids(&client, &[("title = '@request'", NONE)]);
    assert!(!client.ids("nofield = 1").expect_err("unknown field").is_forbidden());
}

#[test]
fn joined_collections_apply_their_list_rules_to_clients() {
    // verified against PocketBase 0.40.6 (as a guest)
    let locked = Fixture::with_list_rules(&[("teams", None)]);
    expect_errors(&Query::new(&locked, Access::Client), &["author.team.name = 'Red'"]);
    expect_ids(&Query::new(&locked, Access::Client), &[("author.name = 'Alice'", &["p1", "p4"])]);
    expect_ids(&Query::new(&locked, Access::Superuser), &[("author.team.name = 'Red'", &["p1", "p4"])]);

    let blue_only = Fixture::with_list_rules(&[("teams", Some("name = 'Blue'"))]);
    expect_ids(
        &Query::new(&blue_only, Access::Client),
        &[
            ("author.team.name = 'Red'", NONE),
            ("author.team.name ?= 'Blue'", &["p2"]),
            ("author.team.name != 'x'", &["p2", "p3"]),
            ("author.name != 'zz'", ALL),
        ],
    );
    expect_ids(&Query::new(&blue_only, Access::Superuser), &[("author.team.name = 'Red'", &["p1", "p4"])]);

    let no_alice = Fixture::with_list_rules(&[("users", Some("id != 'u1'"))]);
    expect_ids(
        &Query::new(&no_alice, Access::Client),
        &[
            ("author.name = 'Alice'", NONE),
            ("author.name != 'Alice'", &["p2", "p3"]),
            ("editors.name ?= 'Alice'", NONE),
            ("editors.name ?= 'Bob'", &["p1", "p2"]),
            ("author.id != ''", &["p1", "p2", "p4"]),
        ],
    );
}

#[test]
fn resolves_request_auth_fields_and_relations() {
    let fixture = Fixture::new();
    // verified against PocketBase 0.40.6 as an update rule for Alice on p1
    expect_ids(
        &Query::new(&fixture, Access::Rule).auth("u1"),
        &[
            ("@request.auth.id = author", &["p1", "p4"]),
            ("author = @request.auth.id", &["p1", "p4"]),
            ("editors ?= @request.auth.id", NONE),
            ("editors ~ @request.auth.id", &["p1", "p4"]),
            ("editors.id ?= @request.auth.id", &["p1", "p4"]),
            ("editors.id = @request.auth.id", &["p4"]),
            ("@request.auth.name = 'Alice'", ALL),
            ("@request.auth.team.name = 'Red'", ALL),
            ("@request.auth.team.org.name = 'Acme'", ALL),
            ("@request.auth.secret = 's1'", ALL),
            ("@request.auth.email = 'alice@example.com'", ALL),
            ("@request.auth.collectionName = 'users' && @request.auth.collectionId = 'pbc_users'", ALL),
            ("@request.auth.verified = false", ALL),
            ("@request.auth.age > 25", ALL),
            ("@request.auth.nope = null", ALL),
            ("@request.auth.nope.x = null", ALL),
            ("@request.auth.posts_via_author.id ?= id", &["p1", "p4"]),
            ("@request.auth.name = 'Alice' && @request.auth.team.name = 'Red' && author.name = 'Alice'", &["p1", "p4"]),
        ],
    );
    expect_ids(
        &Query::new(&fixture, Access::Rule),
        &[("@request.auth.id = ''", ALL), ("@request.auth.id != ''", NONE), ("@request.auth.team.name = 'Red'", NONE)],
    );
}

#[test]
fn resolves_request_body_values_and_modifiers() {
    let fixture = Fixture::new();
    // verified against PocketBase 0.40.6 as update rules (body as sent)
    let cases: &[(Value, &str, &[&str])] = &[
        (json!({"title": "x"}), "@request.body.title:isset = true", ALL),
        (json!({"title": "x"}), "@request.body.views:isset = true", NONE),
        (json!({"tags": ["a", "c"]}), "@request.body.tags:length = 2", ALL),
        (json!({}), "@request.body.tags:length = 0", ALL),
        (json!({"tags": ["a", "c"]}), "@request.body.tags:each ?= 'c'", ALL),
        (json!({"tags": ["a", "c"]}), "@request.body.tags:each = 'c'", NONE),
        (json!({"tags": ["c"]}), "@request.body.tags:each = 'c'", ALL),
        (json!({"tags": ["a", "c"]}), "@request.body.tags ?= 'c'", NONE),
        (json!({"tags": ["c"]}), "@request.body.tags = 'c'", NONE),
        (json!({"tags": ["a", "c"]}), "@request.body.tags ~ 'c'", ALL),
        (json!({"title": "ABC"}), "@request.body.title:lower = 'abc'", ALL),
        (json!({"author": "u2"}), "@request.body.author.name = 'Bob'", ALL),
        (json!({"editors": ["u1", "u2"]}), "@request.body.editors.name ?= 'Bob'", ALL),
        (json!({"editors": ["u1", "u2"]}), "@request.body.editors.name = 'Bob'", NONE),
        (json!({}), "@request.body.author.name = null", ALL),
        (json!({"views": 6}), "@request.body.views > 5", ALL),
        (json!({"views": "6"}), "@request.body.views > 5", ALL),
        (json!({"active": true}), "@request.body.active = true", ALL),
        (json!({"meta": {"k": "z"}}), "@request.body.meta.k = 'z'", ALL),
        (json!({"unknownkey": "z"}), "@request.body.unknownkey = 'z'", ALL),
        (json!({"unknownkey": "z"}), "@request.body.unknownkey:isset = true", ALL),
        (json!({"title": "Hello World"}), "@request.body.title:changed = false", &["p1"]),
        (json!({"title": "Hello World"}), "@request.body.title:changed = true", &["p2", "p3", "p4"]),
        (json!({"views": 3}), "@request.body.title:changed = false", ALL),
        (json!({"views": 3}), "@request.body.title:changed = true", NONE),
        (json!({"views": "10"}), "@request.body.views:changed = false", &["p1"]),
        (json!({"tags": ["a", "b"]}), "@request.body.tags:changed = false", &["p1"]),
        (json!({"tags": ["b", "a"]}), "@request.body.tags:changed = false", NONE),
        (json!({"author": "u1"}), "@request.body.author:changed = false", &["p1", "p4"]),
        (json!({"title": "x"}), "@request.body.title:changed:lower = 1", NONE),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(body, filter, expected)| {
            let query = Query::new(&fixture, Access::Rule).auth("u1").body(body.clone());
            match query.ids(filter) {
                Ok(ids) if ids == *expected => None,
                other => Some(format!("{body} {filter:?}: expected {expected:?}, got {other:?}")),
            }
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    let rule = Query::new(&fixture, Access::Rule).body(json!({"title": "x", "nope": 1}));
    expect_errors(
        &rule,
        &[
            "@request.body.nope:changed = false",
            "@request.body.title:each = 'x'",
            "@request.body.title:length = 1",
            "@request.query.page:each = 1",
        ],
    );
}

#[test]
fn resolves_other_request_values() {
    let fixture = Fixture::new();
    let mut query = Query::new(&fixture, Access::Rule);
    query.request.query = std::sync::Arc::new(as_map(json!({"perPage": "500", "page": "2"})));
    query.request.headers = std::sync::Arc::new(as_map(json!({"x_token": "abc"})));
    // verified against PocketBase 0.40.6 (as a superuser's filter)
    expect_ids(
        &query,
        &[
            ("@request.query.perPage = 500", NONE),
            ("@request.query.perPage = '500'", ALL),
            ("@request.query.missing = null", ALL),
            ("@request.query.missing:isset = false && @request.query.page:isset = true", ALL),
            ("@request.headers.x_token = 'abc' && @request.headers.x_missing = null", ALL),
            ("@request.headers.x_token:lower = 'ABC'", NONE),
            ("@request.method = 'GET'", ALL),
            ("@request.context = 'default'", ALL),
        ],
    );
}

#[test]
fn collection_joins_are_unconditional() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Superuser);
    expect_ids(
        &query,
        &[
            ("@collection.comments.post ?= id", &["p1", "p2"]),
            ("@collection.comments.post = id", NONE),
            ("id = @collection.comments.post", NONE),
            ("@collection.comments.message = 'first' && @collection.comments.post = id", NONE),
            ("@collection.comments:c.message ?= 'first' && @collection.comments:c.post ?= id", &["p1"]),
            ("@collection.comments:c.message ?= 'third' && @collection.comments:d.post ?= id", &["p1", "p2"]),
            ("@collection.users.name ?= 'Carol'", ALL),
            ("@collection.users.name = 'Carol'", NONE),
            ("@collection.pbc_users.secret ?= 's1'", ALL),
        ],
    );
}

#[test]
fn sorts_by_fields_relations_and_specials() {
    let fixture = Fixture::new();
    let superuser = Query::new(&fixture, Access::Superuser);
    let ids = |list: &[&str]| Ok(list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    // verified against PocketBase 0.40.6
    assert_eq!(superuser.sorted("title"), ids(&["p3", "p1", "p2", "p4"]));
    assert_eq!(superuser.sorted(" title , -views "), ids(&["p3", "p1", "p2", "p4"]));
    assert_eq!(superuser.sorted("-author.name,title"), ids(&["p2", "p1", "p4", "p3"]));
    assert_eq!(superuser.sorted("@rowid"), ids(&["p1", "p2", "p3", "p4"]));
    assert_eq!(superuser.sorted("-@rowid"), ids(&["p4", "p3", "p2", "p1"]));
    assert_eq!(superuser.sorted("-views"), ids(&["p2", "p1", "p4", "p3"]));
    assert_eq!(superuser.sorted("+meta.n,id"), ids(&["p3", "p4", "p1", "p2"]));
    assert_eq!(superuser.sorted("title:lower"), ids(&["p3", "p1", "p4", "p2"]));
    assert!(superuser.sorted("@random").is_ok_and(|ids| ids.len() == 4));
    assert!(superuser.sorted("author.secret,@collection.comments.message,tags:length").is_ok());
    assert_eq!(superuser.run(|b, ctx| compile_sort(b, ctx, "")).1, Ok(String::new()));
    for bad in [
        "nope",
        "title,",
        "++title",
        "-+title",
        "@request.method",
        "@request.auth.id",
        "null",
        "@now",
        "a,b,c,d,e,f,g,h,i",
    ] {
        assert!(superuser.sorted(bad).is_err(), "{bad:?} should fail");
    }
    assert!(superuser.sorted(&["id"; MAX_SORT_FIELDS].join(",")).is_ok());

    let client = Query::new(&fixture, Access::Client);
    assert!(client.sorted("author.secret").is_err());
    assert!(client.sorted("@request.auth.id").is_err_and(|e| e.is_forbidden()));
    assert!(client.sorted("@collection.comments.message").is_err_and(|e| e.is_forbidden()));
}

#[test]
fn sorts_of_clients_carry_list_rules_of_joined_collections() {
    let fixture = Fixture::with_list_rules(&[("users", Some("id != 'u1'"))]);
    let client = Query::new(&fixture, Access::Client);
    let (b, order) = client.run(|b, ctx| compile_sort(b, ctx, "author.name"));
    assert!(order.is_ok());
    assert_eq!(b.conditions.len(), 1);
    assert_eq!(client.sorted("author.name"), Ok(vec!["p3".to_string(), "p2".to_string()]));

    // a filter already enforcing the rule for the alias is not repeated
    let (b, _) = client.run(|b, ctx| {
        compile_filter(b, ctx, "author.name != ''", None).expect("valid filter");
        compile_sort(b, ctx, "author.name")
    });
    assert!(b.conditions.is_empty());
}

#[test]
fn largest_accepted_expressions_stay_within_sqlite_limits() {
    let fixture = Fixture::new();
    let query = Query::new(&fixture, Access::Rule).auth("u1");
    let widest = vec!["tags:each!=id"; MAX_EXPRESSIONS].join("&&");
    assert!(widest.len() <= MAX_EXPRESSION_BYTES);
    assert_eq!(query.ids(&widest).map(|ids| ids.len()), Ok(4));
    let deepest = format!("{}editors.name ?= 'Bob'{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(query.ids(&deepest), Ok(vec!["p1".to_string(), "p2".to_string()]));
}

#[test]
fn a_rule_and_a_client_filter_can_share_one_builder() {
    let fixture = Fixture::with_list_rules(&[("users", Some("id != 'u1'"))]);
    let client = Query::new(&fixture, Access::Client);
    let (b, sql) = client.run(|b, ctx| {
        let rule_ctx = FilterContext { allow_hidden: true, allow_request: true, ..*ctx };
        let rule = compile_filter(b, &rule_ctx, "author.name != 'Carol'", None)?;
        let filter = compile_filter(b, ctx, "author.name ~ 'o'", None)?;
        Ok::<_, FilterError>(format!("{rule} AND {filter}"))
    });
    // the rule's join is reused, but the client still only sees listable users
    assert_eq!(b.joins.len(), 1);
    assert_eq!(fixture.select(&b, &sql.expect("compiles"), ""), vec!["p2"]);
}

/// A tiny deterministic xorshift generator for the randomized tests.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn random_queries(fixture: &Fixture) -> [Query<'_>; 2] {
    [
        Query::new(fixture, Access::Rule)
            .auth("u1")
            .body(json!({"title": "t", "tags": ["a"], "author": "u2"}))
            .params(json!({"p": "v"})),
        Query::new(fixture, Access::Client).params(json!({"p": "v"})),
    ]
}

/// Arbitrary token soup: compiling never panics.
#[test]
fn random_token_soup_never_panics() {
    const PIECES: &[&str] = &[
        "title",
        "views",
        "tags",
        "editors",
        "author",
        "meta",
        "comments_via_post",
        "name",
        "id",
        ".",
        ":each",
        ":length",
        ":lower",
        ":isset",
        ":changed",
        "@request.",
        "@collection.",
        "auth.",
        "body.",
        "users",
        ":u",
        "=",
        "!=",
        "?=",
        "~",
        "!~",
        "?~",
        ">",
        ">=",
        "<",
        "?<=",
        "&&",
        "||",
        "(",
        ")",
        "'",
        "\"",
        "\\",
        " ",
        " ",
        "1",
        "-",
        "2.5",
        "geoDistance(",
        "strftime(",
        ",",
        "{:p}",
        "{:",
        "}",
        "//",
        "\n",
        "\r",
        "null",
        "@now",
        "é",
        "\0",
        "%",
        "_",
        "x",
    ];
    let fixture = Fixture::new();
    let queries = random_queries(&fixture);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..4000 {
        let input: String = (0..1 + rng.below(16)).map(|_| rng.pick(PIECES)).collect();
        let query = &queries[round % queries.len()];
        let _ = query.ids(&input);
        let _ = query.sorted(&input);
    }
}

/// Random well-formed expressions over every kind of operand: whatever
/// compiles is SQL that SQLite runs with exactly the bound arguments.
#[test]
fn random_expressions_compile_to_valid_sql() {
    const OPERANDS: &[&str] = &[
        "title",
        "views",
        "active",
        "tags",
        "tags:each",
        "tags:length",
        "category:each",
        "editors",
        "editors:each",
        "editors:length",
        "editors.name",
        "editors.team.name",
        "author.team.org.name",
        "author.email",
        "author.id",
        "parent.parent.title",
        "comments_via_post.message",
        "comments_via_post.author.name",
        "meta",
        "meta.k",
        "meta.arr.0",
        "location.lat",
        "title:lower",
        "editors.name:lower",
        "@request.auth.id",
        "@request.auth.name",
        "@request.auth.team.name",
        "@request.auth.posts_via_author.title",
        "@request.body.title",
        "@request.body.title:isset",
        "@request.body.title:changed",
        "@request.body.title:lower",
        "@request.body.tags:each",
        "@request.body.tags:length",
        "@request.body.author.name",
        "@request.query.q",
        "@request.method",
        "@collection.comments.message",
        "@collection.users:u.name",
        "@now",
        "@todayStart",
        "@month",
        "null",
        "true",
        "false",
        "id",
        "'x'",
        "''",
        "0",
        "-1.5",
        "'%a_'",
        "'it\\'s'",
        "{:p}",
        "geoDistance(location.lon, location.lat, 1, 2)",
        "geoDistance(editors.age, 1, {:p}, views)",
        "strftime('%Y', published)",
        "strftime('%m', editors.name, 'start of month')",
        "strftime('%s')",
    ];
    const SIGNS: &[&str] =
        &["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"];
    let fixture = Fixture::new();
    let [rule, client] = random_queries(&fixture);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut compiled = 0;
    for _ in 0..1500 {
        let mut expr = String::new();
        for i in 0..1 + rng.below(4) {
            if i > 0 {
                expr.push_str(rng.pick(&[" && ", " || "]));
            }
            let comparison = format!("{} {} {}", rng.pick(OPERANDS), rng.pick(SIGNS), rng.pick(OPERANDS));
            let wrap = rng.below(3) == 0;
            expr.push_str(&if wrap { format!("({comparison})") } else { comparison });
        }
        if rule.ids(&expr).is_ok() {
            compiled += 1;
        }
        let _ = client.ids(&expr);
    }
    assert!(compiled > 1000, "only {compiled} of 1500 random rule expressions compiled");
}

mod fuzz {
    //! Property-based fuzzing of the whole pipeline (lexer → parser →
    //! resolver → SQL run by SQLite): arbitrary text, and arbitrary
    //! combinations of valid pieces, never panic; errors are values.

    use proptest::prelude::*;

    use super::{Fixture, random_queries};

    const PIECES: &[&str] = &[
        "title",
        "views",
        "tags",
        "author.team.name",
        "comments_via_post.message",
        "meta.k",
        "@request.auth.id",
        "@request.body.title:isset",
        "@collection.users:u.name",
        "tags:each",
        "tags:length",
        "title:lower",
        "=",
        "!=",
        "?=",
        "~",
        "!~",
        "?~",
        ">",
        "<=",
        "&&",
        "||",
        "(",
        ")",
        "'x'",
        "\"y\"",
        "{:p}",
        "null",
        "true",
        "1",
        "-2.5",
        "@now",
        "geoDistance(",
        ",",
        "strftime(",
        "//",
        "\n",
        "'",
        "\\",
        "%",
        "\0",
        " ",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(input in "\\PC{0,120}") {
            let fixture = Fixture::new();
            for q in random_queries(&fixture) {
                let _ = q.ids(&input);
                let _ = q.sorted(&input);
            }
        }

        #[test]
        fn arbitrary_piece_sequences_never_panic(picks in proptest::collection::vec(0..PIECES.len(), 1..24)) {
            let input: String = picks.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join(" ");
            let fixture = Fixture::new();
            for q in random_queries(&fixture) {
                let _ = q.ids(&input);
                let _ = q.sorted(&input);
            }
        }
    }
}
