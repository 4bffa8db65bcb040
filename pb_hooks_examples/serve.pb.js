/// <reference path="../pb_data/types.d.ts" />

// Routes added when the server starts through $app.onServe(), with a
// group middleware, and a record request hook that answers by itself.

$app.onServe().bindFunc((e) => {
  const examples = e.router.group("/examples");
  examples.bindFunc((e) => {
    e.response.header().set("X-Example", "serve");
    return e.next();
  });

  // GET /examples/clock/Europe/Paris -> {"now": "2024-05-01 14:03:00 CEST"}
  examples.get("/clock/{zone...}", (e) => {
    const zone = new Timezone(e.request.pathValue("zone"));
    const now = new DateTime().time().in(zone);
    return e.json(200, { now: now.format("2006-01-02 15:04:05 MST"), offset: now.zone()[1] });
  });

  return e.next();
});

// A draft created with ?preview=1 is not saved: the hook answers with the
// record as it would be. Code after e.next() runs once the API's own
// answer is written.
onRecordCreateRequest((e) => {
  if (e.requestEvent.request.url.query().get("preview") === "1") {
    return e.json(200, { preview: true, title: e.record.get("title") });
  }
  e.next();
  $app.logger().info("post created", "id", e.record.id);
}, "posts");
