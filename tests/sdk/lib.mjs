// Helpers for SDK scenarios: each scenario gets BASE_URL of a fresh server
// (started by tests/sdk.rs) with one superuser.
import assert from 'node:assert/strict';
import PocketBase, { ClientResponseError } from 'pocketbase';

export { assert, PocketBase, ClientResponseError };
export const BASE_URL = process.env.BASE_URL;
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASS = '1234567890ab';

export function client() {
  const pb = new PocketBase(BASE_URL);
  pb.autoCancellation(false);
  return pb;
}

export async function admin() {
  const pb = client();
  await pb.collection('_superusers').authWithPassword(ADMIN_EMAIL, ADMIN_PASS);
  return pb;
}

/** Asserts that a promise rejects with an SDK error of `status`. */
export async function rejects(promise, status, dataKeys = []) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ClientResponseError, `expected ClientResponseError, got ${e}`);
    assert.equal(e.status, status, JSON.stringify(e.response));
    for (const k of dataKeys) assert.ok(k in (e.response.data || {}), `data.${k} in ${JSON.stringify(e.response)}`);
    return e;
  }
  assert.fail(`expected HTTP ${status}`);
}

let count = 0;
/** Runs one named step; the first failure exits non-zero with its name. */
export async function step(name, fn) {
  try {
    await fn();
    count++;
  } catch (e) {
    console.error(`FAILED: ${name}\n${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
}

process.on('exit', (code) => {
  if (code === 0) console.log(`${count} steps passed`);
});
