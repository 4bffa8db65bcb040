// Test helper for scenarios/realtime.mjs: drops a realtime client the way
// the server does when it times out or falls behind (its stream ends).
routerAdd("POST", "/api/test/realtime-drop/{id}", (e) => {
  $app.subscriptionsBroker().unregister(e.request.pathValue("id"));
  return e.json(200, { total: $app.subscriptionsBroker().totalClients() });
});
