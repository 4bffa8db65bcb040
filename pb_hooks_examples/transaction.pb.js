/// <reference path="../pb_data/types.d.ts" />

// A transaction: both balances change or neither does. Expects an
// `accounts` collection with a text field `name` and a number field
// `balance`. Inside `runInTransaction` use the `txApp` argument, not
// `$app`, so every read and write joins the transaction; throwing rolls it
// back and the error becomes the response.
//
//   POST /api/examples/transfer {"from": "<id>", "to": "<id>", "amount": 10}
routerAdd("POST", "/api/examples/transfer", (e) => {
  const body = e.requestInfo().body;
  const amount = Number(body.amount);
  if (!(amount > 0)) {
    throw new BadRequestError("amount must be positive");
  }
  $app.runInTransaction((txApp) => {
    const from = txApp.findRecordById("accounts", body.from);
    const to = txApp.findRecordById("accounts", body.to);
    to.set("balance", to.getFloat("balance") + amount);
    txApp.save(to);
    if (from.getFloat("balance") < amount) {
      // the credit above is rolled back too
      throw new BadRequestError("insufficient funds");
    }
    from.set("balance", from.getFloat("balance") - amount);
    txApp.save(from);
  });
  return e.json(200, { ok: true });
}, $apis.requireAuth());
