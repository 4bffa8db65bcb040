/// <reference path="../pb_data/types.d.ts" />

// An outbound HTTP request. `$http.send` blocks until the answer (like
// PocketBase's); its timeout is `timeout` seconds (default 120) but never
// longer than what is left of the handler's time budget.
//
// Superusers only, since it calls a URL taken from the request:
//   POST /api/examples/ping {"url": "https://example.com/health"}
routerAdd("POST", "/api/examples/ping", (e) => {
  const url = e.requestInfo().body.url;
  if (!url) {
    throw new BadRequestError("url is required");
  }
  const res = $http.send({
    url: url,
    method: "POST",
    body: JSON.stringify({ from: "ferrobase", at: new DateTime().string() }),
    headers: { "Content-Type": "application/json" },
    timeout: 5,
  });
  return e.json(200, {
    status: res.statusCode,
    contentType: (res.headers["Content-Type"] || [""])[0],
    answer: res.json,
  });
}, $apis.requireSuperuserAuth());
