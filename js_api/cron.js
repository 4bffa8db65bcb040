// cronAdd / cronRemove. At load time jobs are registered by index (like the
// hooks) and bound to the app's scheduler once the pool runs; a job added
// from inside a handler is kept as its source text and runs on the pool
// the same way PocketBase re-materialises handlers. An invalid expression
// throws, which fails the calling handler (500) or the load.

__pb.crons = [];
__pb.loading = true;

function cronAdd(jobId, cronExpr, handler) {
  const id = String(jobId);
  const expr = String(cronExpr);
  const fn = __pb.handlerFn(handler, "cronAdd handler");
  __native.cronCheck(expr);
  if (__pb.loading) {
    for (const c of __pb.crons) {
      if (c && c.id === id) __pb.crons[__pb.crons.indexOf(c)] = null;
    }
    __pb.crons.push({ id: id, expr: expr, handler: fn });
    return;
  }
  __native.cronAddLive(id, expr, fn.toString());
}

function cronRemove(jobId) {
  const id = String(jobId);
  if (__pb.loading) {
    __pb.crons = __pb.crons.map((c) => (c && c.id === id ? null : c));
    return;
  }
  __native.cronRemove(id);
}

__pb.runCron = function (index) {
  return __pb.crons[index].handler();
};

__pb.runSource = function (source) {
  return __pb.handlerFn(source, "cron handler")();
};

__pb.runCommand = function (index, args) {
  const cmd = __pb.commands[index];
  if (typeof cmd.run === "function") {
    return cmd.run(cmd, args);
  }
};
