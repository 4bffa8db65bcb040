// Collections and records through the official SDK.
import { assert, admin, client, rejects, step } from '../lib.mjs';

const pb = await admin();

await step('create collections with relations', async () => {
  const people = await pb.collections.create({ name: 'people', type: 'base', listRule: '', viewRule: '', fields: [{ name: 'name', type: 'text', required: true }] });
  await pb.collections.create({
    name: 'tasks', type: 'base', listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '',
    fields: [
      { name: 'title', type: 'text', required: true },
      { name: 'done', type: 'bool' },
      { name: 'owner', type: 'relation', collectionId: people.id, maxSelect: 1 },
      { name: 'created', type: 'autodate', onCreate: true },
    ],
  });
  const list = await pb.collections.getFullList();
  assert.ok(list.some((c) => c.name === 'tasks'));
});

let ann;
await step('records CRUD with expand', async () => {
  ann = await pb.collection('people').create({ name: 'Ann' });
  const guest = client();
  const t = await guest.collection('tasks').create({ title: 'write tests', owner: ann.id });
  assert.equal(t.done, false);
  const got = await guest.collection('tasks').getOne(t.id, { expand: 'owner' });
  assert.equal(got.expand.owner.name, 'Ann');
  const upd = await guest.collection('tasks').update(t.id, { done: true });
  assert.equal(upd.done, true);
  await guest.collection('tasks').delete(t.id);
  await rejects(guest.collection('tasks').getOne(t.id), 404);
});

await step('getFullList, getList and getFirstListItem', async () => {
  const guest = client();
  for (let i = 0; i < 25; i++) await guest.collection('tasks').create({ title: `t${String(i).padStart(2, '0')}`, done: i % 2 === 0 });
  const all = await guest.collection('tasks').getFullList({ batch: 10, sort: 'title' });
  assert.equal(all.length, 25);
  assert.equal(all[0].title, 't00');
  const page = await guest.collection('tasks').getList(2, 10);
  assert.equal(page.totalItems, 25);
  assert.equal(page.items.length, 10);
  const first = await guest.collection('tasks').getFirstListItem(guest.filter('title = {:t}', { t: 't07' }));
  assert.equal(first.title, 't07');
  const done = await guest.collection('tasks').getList(1, 1, { filter: 'done = true' });
  assert.equal(done.totalItems, 13);
});

await step('validation errors carry field data', async () => {
  const e = await rejects(client().collection('tasks').create({}), 400, ['title']);
  assert.equal(e.response.data.title.code, 'validation_required');
});
