/// <reference path="../pb_data/types.d.ts" />

// Changes app settings: `app.settings()` returns them (secrets blank, which
// keeps the stored ones) and `app.save(settings)` validates and stores them.
migrate((app) => {
  const settings = app.settings();
  settings.meta.appName = "Ferrobase Blog";
  settings.meta.senderName = "Blog";
  settings.logs.maxDays = 14;
  settings.batch.enabled = true;
  settings.batch.maxRequests = 100;
  app.save(settings);
}, (app) => {
  const settings = app.settings();
  settings.meta.appName = "Acme";
  settings.meta.senderName = "Support";
  settings.logs.maxDays = 5;
  settings.batch.enabled = false;
  settings.batch.maxRequests = 50;
  app.save(settings);
});
