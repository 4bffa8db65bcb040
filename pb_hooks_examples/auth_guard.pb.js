/// <reference path="../pb_data/types.d.ts" />

// Auth guards. `$apis.requireAuth("users")` lets only records of the
// `users` collection through (401 without a token, 403 for other
// collections); `$apis.requireSuperuserAuth()` only superusers. A plain
// middleware can add its own checks and must call `e.next()` to go on.

// Only verified users may continue.
const requireVerified = new Middleware((e) => {
  if (!e.auth || !e.auth.verified()) {
    throw new ForbiddenError("Verify your email first.");
  }
  return e.next();
}, 10, "exampleRequireVerified");

//   GET /api/examples/me  (Authorization: a users token)
routerAdd("GET", "/api/examples/me", (e) => {
  return e.json(200, { id: e.auth.id, email: e.auth.email(), verified: e.auth.verified() });
}, $apis.requireAuth("users"));

//   GET /api/examples/verified-only  (a verified users token)
routerAdd("GET", "/api/examples/verified-only", (e) => {
  return e.json(200, { ok: true });
}, $apis.requireAuth("users"), requireVerified);

//   GET /api/examples/stats  (superusers only)
routerAdd("GET", "/api/examples/stats", (e) => {
  return e.json(200, { users: $app.countRecords("users") });
}, $apis.requireSuperuserAuth());
