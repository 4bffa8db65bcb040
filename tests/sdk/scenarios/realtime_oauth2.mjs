// The SDK's authWithOAuth2() realtime flow end to end: the SDK subscribes
// to @oauth2, "opens" the provider's consent page (urlCallback plays the
// browser against a real provider, npm oauth2-mock-server), the provider
// sends the browser to /api/oauth2-redirect, which hands the code to the
// SDK's realtime client, and the SDK finishes with auth-with-oauth2.
import { EventSource } from 'eventsource';
import { assert, admin, client, step } from '../lib.mjs';
import { startProvider } from '../servers.mjs';

globalThis.EventSource ??= EventSource;

const idp = await startProvider();
const su = await admin();
await su.collections.update('users', {
  oauth2: {
    enabled: true,
    providers: [{ name: 'oidc', clientId: 'sdk-client', clientSecret: 'sdk-secret', authURL: idp.url('/authorize'), tokenURL: idp.url('/token'), userInfoURL: idp.url('/userinfo') }],
  },
});

/** A browser that signs in at the provider as `who`; records where it ended. */
function browser(who) {
  const seen = {};
  return {
    seen,
    async urlCallback(url) {
      const consent = new URL(url);
      seen.state = consent.searchParams.get('state');
      seen.redirectUri = consent.searchParams.get('redirect_uri');
      consent.searchParams.set('login_hint', who);
      const atProvider = await fetch(consent, { redirect: 'manual' });
      seen.back = atProvider.headers.get('location');
      const atApp = await fetch(seen.back, { redirect: 'manual' });
      seen.status = atApp.status;
      seen.page = atApp.headers.get('location');
    },
  };
}

await step('authWithOAuth2 (popup flow) signs in through /api/oauth2-redirect', async () => {
  const pb = client();
  const b = browser('ophelia');
  const auth = await pb.collection('users').authWithOAuth2({ provider: 'oidc', urlCallback: b.urlCallback, createData: { name: 'Ophelia' } });
  assert.equal(auth.record.email, 'ophelia@example.com');
  assert.equal(auth.meta.isNew, true);
  assert.equal(auth.record.name, 'Ophelia');
  assert.ok(pb.authStore.isValid);
  assert.equal(b.seen.redirectUri, `${pb.baseURL}/api/oauth2-redirect`);
  assert.equal(b.seen.state.length, 40, 'the state is the realtime client id');
  assert.equal(new URL(b.seen.back).searchParams.get('state'), b.seen.state);
  assert.equal(b.seen.status, 307);
  assert.equal(b.seen.page, '../_/#/auth/oauth2-redirect-success');

  // the same account signs in again (linked, not new)
  const again = await client().collection('users').authWithOAuth2({ provider: 'oidc', urlCallback: browser('ophelia').urlCallback });
  assert.equal(again.record.id, auth.record.id);
  assert.equal(again.meta.isNew, false);
});

await step('a refused consent rejects authWithOAuth2 and lands on the failure page', async () => {
  const b = browser('deny');
  let err;
  try {
    await client().collection('users').authWithOAuth2({ provider: 'oidc', urlCallback: b.urlCallback });
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'authWithOAuth2 must reject');
  assert.match(String(err.originalError?.message), /access_denied/, 'the provider error reached the SDK through @oauth2');
  assert.equal(b.seen.page, '../_/#/auth/oauth2-redirect-failure');
});
