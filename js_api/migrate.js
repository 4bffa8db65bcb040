// `migrate(up, down)`: the one global a pb_migrations file calls. Only the
// migrations runtime evaluates this file. Each file registers under its
// name (set by the loader before evaluating it); the runner later calls
// `__pb.runMigration(file, "up" | "down", txApp)`.

__pb.migrations = {};
__pb.migrationFile = "";

function migrate(up, down) {
  const file = __pb.migrationFile;
  if (!file) {
    throw new Error("migrate() can only be called while a migration file loads");
  }
  if (__pb.migrations[file]) {
    throw new Error("migrate() is called more than once in " + file);
  }
  __pb.migrations[file] = {
    up: __pb.handlerFn(up, "the migrate() up function"),
    down: down == null ? null : __pb.handlerFn(down, "the migrate() down function"),
  };
}

// Runs one direction with `$app` bound to the transaction's app too.
__pb.runMigration = function (file, direction, app) {
  const m = __pb.migrations[file];
  const fn = m && (direction === "up" ? m.up : m.down);
  if (!fn) {
    return;
  }
  const prev = $app;
  $app = app;
  try {
    fn(app);
  } finally {
    $app = prev;
  }
};

__pb.registeredMigrations = function () {
  return Object.keys(__pb.migrations);
};

globalThis.migrate = migrate;
