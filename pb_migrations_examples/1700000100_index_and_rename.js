/// <reference path="../pb_data/types.d.ts" />

// Changes an existing collection: adds an index and renames a field.
// A field keeps its id when renamed, so its column (and data) is renamed
// too instead of being dropped and re-created.
migrate((app) => {
  const posts = app.findCollectionByNameOrId("posts");
  posts.fields.getByName("body").name = "content";
  posts.indexes.push("CREATE INDEX idx_posts_published ON posts (published, created)");
  app.save(posts);
}, (app) => {
  const posts = app.findCollectionByNameOrId("posts");
  posts.fields.getByName("content").name = "body";
  posts.indexes = posts.indexes.filter((idx) => !idx.includes("idx_posts_published"));
  app.save(posts);
});
