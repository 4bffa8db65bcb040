/// <reference path="../pb_data/types.d.ts" />

// Seeds records. `new Record(collection)` + `record.set()` + `app.save()`
// run the same validation and hooks as the records API; the password of an
// auth record is hashed on set.
migrate((app) => {
  const authors = app.findCollectionByNameOrId("authors");
  const ada = new Record(authors);
  ada.set("email", "ada@example.com");
  ada.set("password", "change-me-please");
  ada.set("name", "Ada");
  ada.set("verified", true);
  app.save(ada);

  const tags = app.findCollectionByNameOrId("tags");
  const tagIds = [];
  for (const label of ["rust", "sqlite", "javascript"]) {
    const tag = new Record(tags, { label: label });
    app.save(tag);
    tagIds.push(tag.id);
  }

  const posts = app.findCollectionByNameOrId("posts");
  const post = new Record(posts);
  post.load({
    title: "Hello from a migration",
    content: "<p>Seeded by <code>1700000200_seed_records.js</code>.</p>",
    views: 1,
    published: true,
    category: "news",
    flags: ["featured"],
    author: ada.id,
    tags: tagIds.slice(0, 2),
    meta: { source: "migration" },
    location: { lon: 23.32, lat: 42.69 },
  });
  app.save(post);
}, (app) => {
  // deleting the author cascades to its posts
  for (const r of app.findAllRecords("authors")) {
    app.delete(r);
  }
  // raw SQL runs in the migration's transaction too
  app.db().newQuery("DELETE FROM {{tags}} WHERE [[label]] IN ('rust', 'sqlite', 'javascript')").execute();
});
