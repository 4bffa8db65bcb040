// File fields through the official SDK: FormData/File uploads, downloads
// compared byte for byte, thumbs decoded and measured, the protected-file
// flow with pb.files.getToken(), field+/field- and batch uploads.
import zlib from 'node:zlib';
import { assert, admin, client, rejects, step, BASE_URL } from '../lib.mjs';

/** A solid-colour RGB PNG of w x h. */
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set([10, 120, 200], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR. */
function pngSize(buf) {
  const b = Buffer.from(buf);
  assert.equal(b.subarray(1, 4).toString('ascii'), 'PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const su = await admin();
await su.collections.create({
  name: 'gallery', type: 'base', listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '',
  fields: [
    { name: 'title', type: 'text' },
    { name: 'cover', type: 'file', maxSelect: 1, mimeTypes: ['image/png'], thumbs: ['30x30', '50x0', '0x20', '30x30t', '30x30b', '60x60f'] },
    { name: 'attachments', type: 'file', maxSelect: 4, maxSize: 2048 },
  ],
});
await su.collections.create({
  name: 'private_docs', type: 'base', listRule: '@request.auth.id != ""', viewRule: 'owner = @request.auth.id',
  fields: [
    { name: 'owner', type: 'text' },
    { name: 'doc', type: 'file', maxSelect: 1, protected: true },
  ],
});
await su.settings.update({ batch: { enabled: true, maxRequests: 20 } });

const pb = client();
const image = png(80, 40);
let rec;

await step('create with FormData and File objects', async () => {
  const fd = new FormData();
  fd.append('title', 'holiday');
  fd.append('cover', new File([image], 'Beach Photo.png', { type: 'image/png' }));
  fd.append('attachments', new File(['first file'], 'a.txt'));
  fd.append('attachments', new File(['second file'], 'b.txt'));
  rec = await pb.collection('gallery').create(fd);
  assert.match(rec.cover, /^beach_photo_[a-z0-9]{10}\.png$/);
  assert.equal(rec.attachments.length, 2);
});

await step('downloads are byte for byte the uploads', async () => {
  const res = await fetch(pb.files.getURL(rec, rec.cover));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(image));
  const texts = await Promise.all(rec.attachments.map((a) => fetch(pb.files.getURL(rec, a)).then((r) => r.text())));
  assert.deepEqual(texts, ['first file', 'second file']);
  const dl = await fetch(pb.files.getURL(rec, rec.cover, { download: true }));
  assert.match(dl.headers.get('content-disposition'), /^attachment; filename="beach_photo_/);
});

await step('thumbs in every format have the right size', async () => {
  const cases = { '30x30': [30, 30], '50x0': [50, 25], '0x20': [40, 20], '30x30t': [30, 30], '30x30b': [30, 30], '60x60f': [60, 30], '100x100': [100, 100], '13x13': [80, 40] };
  for (const [thumb, [width, height]] of Object.entries(cases)) {
    const res = await fetch(pb.files.getURL(rec, rec.cover, { thumb }));
    assert.equal(res.status, 200, thumb);
    assert.deepEqual(pngSize(await res.arrayBuffer()), { width, height }, thumb);
  }
});

await step('append, remove and replace files', async () => {
  const fd = new FormData();
  fd.append('attachments+', new File(['third'], 'c.txt'));
  fd.append('attachments-', rec.attachments[0]);
  const upd = await pb.collection('gallery').update(rec.id, fd);
  assert.equal(upd.attachments.length, 2);
  assert.equal(upd.attachments[0], rec.attachments[1]);
  assert.match(upd.attachments[1], /^c[a-z0-9]{10}_[a-z0-9]{10}\.txt$/);
  const gone = await fetch(pb.files.getURL(rec, rec.attachments[0]));
  assert.equal(gone.status, 404);
  // plain JSON may remove names but never invent one
  await rejects(pb.collection('gallery').update(rec.id, { attachments: [...upd.attachments, 'made_up.txt'] }), 400, ['attachments']);
  const cleared = await pb.collection('gallery').update(rec.id, { 'attachments-': upd.attachments[0] });
  assert.deepEqual(cleared.attachments, [upd.attachments[1]]);
});

await step('validation errors carry PocketBase codes', async () => {
  const big = new FormData();
  big.append('attachments', new File([Buffer.alloc(4096, 'x')], 'big.txt'));
  const e1 = await rejects(pb.collection('gallery').create(big), 400, ['attachments']);
  assert.equal(e1.response.data.attachments.code, 'validation_file_size_limit');
  const wrong = new FormData();
  wrong.append('cover', new File(['not an image'], 'fake.png', { type: 'image/png' }));
  const e2 = await rejects(pb.collection('gallery').create(wrong), 400, ['cover']);
  assert.equal(e2.response.data.cover.code, 'validation_invalid_mime_type');
  const many = new FormData();
  for (const n of ['1', '2', '3', '4', '5']) many.append('attachments', new File([n], `${n}.txt`));
  const e3 = await rejects(pb.collection('gallery').create(many), 400, ['attachments']);
  assert.equal(e3.response.data.attachments.code, 'validation_too_many_files');
  const e4 = await rejects(pb.collection('gallery').create({ cover: 'x.png' }), 400, ['cover']);
  assert.equal(e4.response.data.cover.code, 'validation_invalid_file');
});

await step('protected files need a file token and the view rule', async () => {
  const users = [];
  for (const email of ['owner@example.com', 'other@example.com']) {
    const u = client();
    await u.collection('users').create({ email, password: 'pass123456', passwordConfirm: 'pass123456' });
    await u.collection('users').authWithPassword(email, 'pass123456');
    users.push(u);
  }
  const [owner, other] = users;
  const fd = new FormData();
  fd.append('owner', owner.authStore.record.id);
  fd.append('doc', new File(['for your eyes only'], 'contract.txt'));
  const doc = await su.collection('private_docs').create(fd);
  const plain = await fetch(owner.files.getURL(doc, doc.doc));
  assert.equal(plain.status, 404);
  const token = await owner.files.getToken();
  const ok = await fetch(owner.files.getURL(doc, doc.doc, { token }));
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'for your eyes only');
  const otherToken = await other.files.getToken();
  const denied = await fetch(other.files.getURL(doc, doc.doc, { token: otherToken }));
  assert.equal(denied.status, 404);
  await rejects(client().files.getToken(), 401);
});

await step('batch create with files', async () => {
  const batch = pb.createBatch();
  batch.collection('gallery').create({ title: 'b1', cover: new File([image], 'b1.png') });
  batch.collection('gallery').create({ title: 'b2', attachments: [new File(['x'], 'x.txt'), new File(['y'], 'y.txt')] });
  const results = await batch.send();
  assert.equal(results.length, 2);
  assert.equal(results[0].status, 200);
  const b1 = results[0].body;
  assert.match(b1.cover, /^b1[a-z0-9]{10}_[a-z0-9]{10}\.png$/);
  const res = await fetch(pb.files.getURL(b1, b1.cover));
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(image));
  assert.equal(results[1].body.attachments.length, 2);
});

await step('deleting the record removes its files', async () => {
  const url = pb.files.getURL(rec, rec.cover);
  await pb.collection('gallery').delete(rec.id);
  const res = await fetch(url);
  assert.equal(res.status, 404);
  assert.ok(BASE_URL);
});
