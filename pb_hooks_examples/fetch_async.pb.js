/// <reference path="../pb_data/types.d.ts" />

// Ferrobase only (PocketBase's JS is ES5 and blocking): an `async` route
// that awaits two `fetch()` calls at once and a timer. The requests run
// off the JS thread; everything is awaited inside the handler's budget.
//
// Superusers only, since it calls URLs taken from the request:
//   POST /api/examples/fetch-both {"a": "https://example.com/a", "b": "https://example.com/b"}
routerAdd("POST", "/api/examples/fetch-both", async (e) => {
  const body = e.requestInfo().body;
  if (!body.a || !body.b) {
    throw new BadRequestError("a and b are required");
  }
  const get = async (url) => {
    const res = await fetch(url, { headers: { Accept: "application/json" }, timeout: 5000 });
    return { status: res.status, ok: res.ok, body: await res.text() };
  };
  // both requests are in flight at the same time
  const [a, b] = await Promise.all([get(body.a), get(body.b)]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  return e.json(200, { a, b });
}, $apis.requireSuperuserAuth());
