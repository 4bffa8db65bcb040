// Realtime through the official SDK (EventSource over SSE): record events,
// record topics, per-topic options, rules with the subscriber's auth,
// unsubscribe and reconnect.
import { EventSource } from 'eventsource';
import { admin, assert, client, step } from '../lib.mjs';

// node has no EventSource; the SDK needs one
globalThis.EventSource ??= EventSource;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond, label, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${label}`);
    await sleep(20);
  }
}

const su = await admin();
const users = await su.collections.getOne('users');
await su.collections.update('users', { listRule: '', viewRule: '' });
await su.collections.create({
  name: 'posts', listRule: '', viewRule: '',
  fields: [
    { name: 'title', type: 'text' },
    { name: 'status', type: 'text' },
    { name: 'note', type: 'text', hidden: true },
    { name: 'author', type: 'relation', collectionId: users.id, maxSelect: 1 },
  ],
});
await su.collections.create({
  name: 'secrets', listRule: '@request.auth.id != ""', viewRule: '@request.auth.id != ""',
  fields: [{ name: 'text', type: 'text' }],
});
await su.collections.create({
  name: 'tagged', listRule: '@request.headers.x_tag = "abc"', viewRule: '',
  fields: [{ name: 'text', type: 'text' }],
});
const author = await su.collection('users').create({
  email: 'author@example.com', password: 'authorpass1', passwordConfirm: 'authorpass1', name: 'Ann',
});

await step('subscribe("*") gets create, update and delete with the record', async () => {
  const pb = client();
  const events = [];
  await pb.collection('posts').subscribe('*', (e) => events.push(e));
  assert.ok(pb.realtime.isConnected);
  const rec = await su.collection('posts').create({ title: 'hello', note: 'hidden' });
  await su.collection('posts').update(rec.id, { title: 'edited' });
  await su.collection('posts').delete(rec.id);
  await waitFor(() => events.length >= 3, '3 events');
  assert.deepEqual(events.map((e) => e.action), ['create', 'update', 'delete']);
  assert.deepEqual(events.map((e) => e.record.title), ['hello', 'edited', 'edited']);
  for (const e of events) {
    assert.equal(e.record.id, rec.id);
    assert.equal(e.record.collectionName, 'posts');
    assert.equal(e.record.note, undefined, 'hidden fields are not sent to guests');
  }
  await pb.realtime.unsubscribe();
});

await step('subscribe(recordId) only gets that record', async () => {
  const a = await su.collection('posts').create({ title: 'a' });
  const b = await su.collection('posts').create({ title: 'b' });
  const pb = client();
  const events = [];
  await pb.collection('posts').subscribe(a.id, (e) => events.push(e));
  await su.collection('posts').update(b.id, { title: 'b2' });
  await su.collection('posts').update(a.id, { title: 'a2' });
  await waitFor(() => events.length >= 1, 'record event');
  await sleep(300);
  assert.equal(events.length, 1);
  assert.equal(events[0].record.id, a.id);
  assert.equal(events[0].record.title, 'a2');
  await pb.realtime.unsubscribe();
});

await step('filter, expand and fields options apply per subscription', async () => {
  const pb = client();
  const filtered = [];
  const shaped = [];
  await pb.collection('posts').subscribe('*', (e) => filtered.push(e), { filter: 'status = "published"' });
  await pb.collection('posts').subscribe('*', (e) => shaped.push(e), {
    expand: 'author', fields: 'id,title,expand.author.name',
  });
  await su.collection('posts').create({ title: 'draft', status: 'draft', author: author.id });
  await su.collection('posts').create({ title: 'live', status: 'published', author: author.id });
  await waitFor(() => shaped.length >= 2 && filtered.length >= 1, 'option events');
  await sleep(300);
  assert.deepEqual(filtered.map((e) => e.record.title), ['live']);
  const r = shaped[1].record;
  assert.deepEqual(Object.keys(r).sort(), ['expand', 'id', 'title']);
  assert.deepEqual(r.expand, { author: { name: 'Ann' } });
  await pb.realtime.unsubscribe();
});

await step('headers option feeds @request.headers of the rule', async () => {
  const pb = client();
  const withTag = [];
  const without = [];
  await pb.collection('tagged').subscribe('*', (e) => withTag.push(e), { headers: { 'X-Tag': 'abc' } });
  await pb.collection('tagged').subscribe('*', (e) => without.push(e));
  await su.collection('tagged').create({ text: 't' });
  await waitFor(() => withTag.length >= 1, 'tagged event');
  await sleep(300);
  assert.equal(without.length, 0);
  await pb.realtime.unsubscribe();
});

await step('rules: a guest gets nothing, after login it does', async () => {
  await su.collection('users').create({ email: 'rt@example.com', password: 'rtpass12345', passwordConfirm: 'rtpass12345' });
  const pb = client();
  const events = [];
  await pb.collection('secrets').subscribe('*', (e) => events.push(e));
  await su.collection('secrets').create({ text: 'one' });
  await sleep(400);
  assert.equal(events.length, 0, 'a guest fails the list rule');

  await pb.collection('users').authWithPassword('rt@example.com', 'rtpass12345');
  // a new topic re-submits the subscriptions with the token: guest -> auth on the same stream
  const clientId = pb.realtime.clientId;
  const other = [];
  await pb.collection('secrets').subscribe('*', (e) => other.push(e), { query: { v: 1 } });
  assert.equal(pb.realtime.clientId, clientId);
  await su.collection('secrets').create({ text: 'two' });
  await waitFor(() => events.length >= 1 && other.length >= 1, 'events after login');
  assert.equal(events[0].record.text, 'two');

  // logging out and connecting again: a guest again
  pb.authStore.clear();
  await pb.realtime.unsubscribe();
  const guest = [];
  await pb.collection('secrets').subscribe('*', (e) => guest.push(e));
  await su.collection('secrets').create({ text: 'three' });
  await sleep(400);
  assert.equal(guest.length, 0);
  await pb.realtime.unsubscribe();
});

await step('unsubscribe stops the events and closes the stream', async () => {
  const pb = client();
  const a = [];
  const b = [];
  const unsubA = await pb.collection('posts').subscribe('*', (e) => a.push(e));
  await pb.collection('posts').subscribe('*', (e) => b.push(e), { filter: 'title != ""' });
  await unsubA();
  await su.collection('posts').create({ title: 'after unsubscribe of a' });
  await waitFor(() => b.length >= 1, 'b still subscribed');
  await sleep(200);
  assert.equal(a.length, 0);
  await pb.collection('posts').unsubscribe();
  assert.equal(pb.realtime.isConnected, false, 'no subscriptions left: disconnected');
  await su.collection('posts').create({ title: 'after all' });
  await sleep(300);
  assert.equal(b.length, 1);
});

await step('the SDK reconnects and resubscribes when the server drops the stream', async () => {
  const pb = client();
  const events = [];
  let connects = 0;
  await pb.realtime.subscribe('PB_CONNECT', () => connects++);
  await pb.collection('posts').subscribe('*', (e) => events.push(e));
  const firstId = pb.realtime.clientId;
  assert.ok(firstId);
  const dropped = await su.send(`/api/test/realtime-drop/${firstId}`, { method: 'POST' });
  assert.ok(dropped.total >= 0);
  await waitFor(() => pb.realtime.clientId && pb.realtime.clientId !== firstId && pb.realtime.isConnected, 'reconnect', 10000);
  await waitFor(() => connects >= 2, 'second PB_CONNECT', 10000);
  await su.collection('posts').create({ title: 'after reconnect' });
  await waitFor(() => events.some((e) => e.record.title === 'after reconnect'), 'event after reconnect');
  await pb.realtime.unsubscribe();
});
