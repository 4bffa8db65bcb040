/// <reference path="../pb_data/types.d.ts" />

// Custom realtime messages. Clients subscribe to the "notifications" topic
// like to any other, e.g. with the JS SDK:
//   pb.realtime.subscribe("notifications", (data) => console.log(data.text));

// Only logged-in clients may listen to "notifications": the topic is
// removed from the subscriptions of guests.
onRealtimeSubscribeRequest((e) => {
  if (!e.auth) {
    e.subscriptions = e.subscriptions.filter((s) => s.split("?")[0] !== "notifications");
  }
  return e.next();
});

// A superuser broadcasts a notification to every subscribed client.
routerAdd("POST", "/api/notify", (e) => {
  const text = String(e.requestInfo().body.text || "");
  const message = new SubscriptionMessage({
    name: "notifications",
    data: JSON.stringify({ text: text }),
  });
  let sent = 0;
  const clients = $app.subscriptionsBroker().clients();
  for (const id in clients) {
    if (clients[id].hasSubscription("notifications") && clients[id].send(message)) {
      sent++;
    }
  }
  return e.json(200, { sent: sent });
}, $apis.requireSuperuserAuth());
