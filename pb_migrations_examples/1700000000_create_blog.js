/// <reference path="../pb_data/types.d.ts" />

// Creates the blog schema: an auth collection for authors, tags, and posts
// with one field of every type PocketBase has. Collections are plain
// `new Collection({...})` objects in the same JSON shape the collections
// API and the dashboard use; `app.save()` validates and creates them.
//
// Ids are given explicitly so that later migrations (and relations) can
// refer to them; without an id PocketBase derives one from the type and name.
migrate((app) => {
  const authors = new Collection({
    id: "pbc_authors00001",
    type: "auth",
    name: "authors",
    // authors may read every author and change only themselves
    listRule: "@request.auth.id != ''",
    viewRule: "@request.auth.id != ''",
    updateRule: "id = @request.auth.id",
    fields: [
      { name: "name", type: "text", required: true, max: 80 },
      { name: "avatar", type: "file", maxSelect: 1, maxSize: 1048576, mimeTypes: ["image/png", "image/jpeg"], thumbs: ["100x100"] },
    ],
    passwordAuth: { enabled: true, identityFields: ["email"] },
  });
  app.save(authors);

  const tags = new Collection({
    id: "pbc_tags00000001",
    type: "base",
    name: "tags",
    listRule: "",
    viewRule: "",
    fields: [{ name: "label", type: "text", required: true, min: 2, max: 40, pattern: "^[a-z0-9-]+$" }],
    indexes: ["CREATE UNIQUE INDEX idx_tags_label ON tags (label)"],
  });
  app.save(tags);

  // typed field constructors read the same as the JSON form
  const posts = new Collection({
    id: "pbc_posts0000001",
    type: "base",
    name: "posts",
    listRule: "published = true || author = @request.auth.id",
    viewRule: "published = true || author = @request.auth.id",
    createRule: "@request.auth.collectionName = 'authors' && author = @request.auth.id",
    updateRule: "author = @request.auth.id",
    deleteRule: "author = @request.auth.id",
  });
  posts.fields.add(
    new TextField({ name: "title", required: true, max: 200 }),
    new EditorField({ name: "body", convertURLs: true }),
    new NumberField({ name: "views", min: 0, onlyInt: true }),
    new BoolField({ name: "published" }),
    new EmailField({ name: "contact", exceptDomains: ["example.org"] }),
    new URLField({ name: "website", onlyDomains: ["example.com"] }),
    new DateField({ name: "publishAt" }),
    new SelectField({ name: "category", values: ["news", "howto", "opinion"], maxSelect: 1 }),
    new SelectField({ name: "flags", values: ["featured", "pinned", "archived"], maxSelect: 3 }),
    new FileField({ name: "attachments", maxSelect: 5, maxSize: 5242880, protected: true }),
    new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1, required: true, cascadeDelete: true }),
    new RelationField({ name: "tags", collectionId: tags.id, maxSelect: 10 }),
    new JSONField({ name: "meta", maxSize: 2000 }),
    new GeoPointField({ name: "location" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  app.save(posts);
}, (app) => {
  // down runs in reverse: drop the collection that refers to the others first
  for (const name of ["posts", "tags", "authors"]) {
    app.delete(app.findCollectionByNameOrId(name));
  }
});
