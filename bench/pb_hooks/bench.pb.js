/// <reference path="../pb_data/types.d.ts" />

// Hooks of the JS benchmarks. W6 and W7 are the shared harness's routes
// (../shared/bench/hooks/bench.pb.js, which it copies into its own
// pb_hooks); the create hook is the issue's third JS workload (W4's
// record create passing through onRecordCreateRequest) for runs with
// `ferrobase serve --hooksDir bench/pb_hooks`.

// W6: a bare JS route, the cost of entering the JS engine.
routerAdd("GET", "/bench/hello", (e) => {
  return e.json(200, { ok: true });
});

// W7: a JS route running a filtered, sorted query for 20 records.
routerAdd("GET", "/bench/posts", (e) => {
  const records = $app.findRecordsByFilter("posts", "views > 500", "-created", 20, 0);
  return e.json(200, records);
});

// Record creates through a JS request hook.
onRecordCreateRequest((e) => {
  if (!e.record.getString("title")) {
    e.record.set("title", "untitled");
  }
  return e.next();
}, "posts");
