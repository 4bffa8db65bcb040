// Auth collection flows through the official SDK.
import { assert, client, rejects, step } from '../lib.mjs';

const pb = client();

await step('sign up, log in, refresh', async () => {
  const user = await pb.collection('users').create({ email: 'sdk@example.com', password: 'sdkpass123', passwordConfirm: 'sdkpass123', name: 'Sdk' });
  assert.equal(user.name, 'Sdk');
  const auth = await pb.collection('users').authWithPassword('sdk@example.com', 'sdkpass123');
  assert.equal(auth.record.email, 'sdk@example.com');
  assert.ok(pb.authStore.isValid);
  const refreshed = await pb.collection('users').authRefresh();
  assert.equal(refreshed.record.id, user.id);
});

await step('owner rules apply to the default users collection', async () => {
  const other = client();
  await other.collection('users').create({ email: 'other@example.com', password: 'otherpass123', passwordConfirm: 'otherpass123' });
  await other.collection('users').authWithPassword('other@example.com', 'otherpass123');
  const mine = await pb.collection('users').getFullList();
  assert.deepEqual(mine.map((u) => u.email), ['sdk@example.com']);
  await rejects(other.collection('users').getOne(pb.authStore.record.id), 404);
});

await step('wrong password is a 400', async () => {
  await rejects(client().collection('users').authWithPassword('sdk@example.com', 'nope12345'), 400);
});
