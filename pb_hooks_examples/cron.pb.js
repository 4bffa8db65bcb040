/// <reference path="../pb_data/types.d.ts" />

// A cron job (5-field expressions in UTC, or macros like "@hourly").
// Superusers see the jobs at GET /api/crons and can start one at once with
// POST /api/crons/{id}. Expects a `posts` collection with a `status` field.
//
// Handlers run on any runtime of the pool, so they must not rely on
// variables of the file scope that change: share state through the
// database or `$app.store()`.

// Every 10 minutes: delete the posts moved to the trash.
cronAdd("examples_empty_trash", "*/10 * * * *", () => {
  const trashed = $app.findRecordsByFilter("posts", "status = 'trash'");
  for (const post of trashed) {
    $app.delete(post);
  }
  $app.store().set("examples.lastTrashRun", new DateTime().string());
  $app.logger().info("emptied the trash", "deleted", trashed.length);
});
