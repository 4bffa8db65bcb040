/// <reference path="../pb_data/types.d.ts" />

// Record hooks that enrich data. Expects a `posts` collection with the
// text fields `title`, `slug` and `body`.

// Before a post is saved (from the API, another hook or a migration):
// derive its slug from the title when none was given.
onRecordCreate((e) => {
  if (!e.record.getString("slug")) {
    const slug = e.record.getString("title")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
    e.record.set("slug", slug);
  }
  return e.next();
}, "posts");

// Whenever a post is sent in an API response: add a computed value that is
// not stored. Keys that are not fields are only sent once the record opts
// in with withCustomData(true); hide() leaves keys out of the response.
onRecordEnrich((e) => {
  const words = e.record.getString("body").split(/\s+/).filter(Boolean).length;
  e.record.withCustomData(true);
  e.record.set("readingMinutes", Math.max(1, Math.ceil(words / 200)));
  const auth = e.requestInfo.auth;
  if (!auth || !auth.isSuperuser()) {
    e.record.hide("slug");
  }
  return e.next();
}, "posts");
