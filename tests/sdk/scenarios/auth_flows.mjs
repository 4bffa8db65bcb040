// Every auth flow of issue 12 through the official SDK, with a real SMTP
// server and a real OAuth2 provider.
import { assert, admin, client, rejects, step } from '../lib.mjs';
import { startMailbox, startProvider, tokenIn } from '../servers.mjs';

const mail = await startMailbox();
const idp = await startProvider();
const su = await admin();
await su.settings.update(mail.settings);
const pb = client();
const user = await pb.collection('users').create({ email: 'flow@example.com', password: 'flowpass123', passwordConfirm: 'flowpass123' });

await step('requestVerification + confirmVerification', async () => {
  assert.equal(await pb.collection('users').requestVerification('flow@example.com'), true);
  const m = await mail.waitFor('flow@example.com');
  const token = tokenIn(m, '/confirm-verification/');
  assert.equal(await pb.collection('users').confirmVerification(token), true);
  const fresh = await su.collection('users').getOne(user.id);
  assert.equal(fresh.verified, true);
  await rejects(pb.collection('users').confirmVerification('not-a-token'), 400, ['token']);
});

await step('requestPasswordReset + confirmPasswordReset', async () => {
  assert.equal(await pb.collection('users').requestPasswordReset('flow@example.com'), true);
  const m = await mail.waitFor('flow@example.com', 2);
  const token = tokenIn(m, '/confirm-password-reset/');
  await rejects(pb.collection('users').confirmPasswordReset(token, 'newflow1234', 'mismatch123'), 400, ['passwordConfirm']);
  assert.equal(await pb.collection('users').confirmPasswordReset(token, 'newflow1234', 'newflow1234'), true);
  await rejects(pb.collection('users').authWithPassword('flow@example.com', 'flowpass123'), 400);
  await pb.collection('users').authWithPassword('flow@example.com', 'newflow1234');
  assert.ok(pb.authStore.isValid);
});

await step('requestEmailChange + confirmEmailChange', async () => {
  assert.equal(await pb.collection('users').requestEmailChange('flow2@example.com'), true);
  const m = await mail.waitFor('flow2@example.com');
  const token = tokenIn(m, '/confirm-email-change/');
  await rejects(pb.collection('users').confirmEmailChange(token, 'wrong-password'), 400, ['password']);
  assert.equal(await pb.collection('users').confirmEmailChange(token, 'newflow1234'), true);
  // the SDK clears its (now invalid) auth after an email change of its own record
  await pb.collection('users').authWithPassword('flow2@example.com', 'newflow1234');
  assert.equal(pb.authStore.record.email, 'flow2@example.com');
});

await step('requestOTP + authWithOTP', async () => {
  await su.collections.update('users', { otp: { enabled: true, length: 6 } });
  const otpClient = client();
  const { otpId } = await otpClient.collection('users').requestOTP('flow2@example.com');
  const m = await mail.waitFor('flow2@example.com', 2);
  const code = /\d{6}/.exec(m.text)[0];
  await rejects(otpClient.collection('users').authWithOTP(otpId, '000000'), 400);
  const auth = await otpClient.collection('users').authWithOTP(otpId, code);
  assert.equal(auth.record.email, 'flow2@example.com');
  await rejects(otpClient.collection('users').authWithOTP(otpId, code), 400);
});

await step('MFA: password then OTP with the mfaId', async () => {
  await su.collections.update('users', { mfa: { enabled: true } });
  const c = client();
  const e = await rejects(c.collection('users').authWithPassword('flow2@example.com', 'newflow1234'), 401);
  const mfaId = e.response.mfaId;
  assert.ok(mfaId);
  const { otpId } = await c.collection('users').requestOTP('flow2@example.com');
  const m = await mail.waitFor('flow2@example.com', 3);
  const code = /\d{6}/.exec(m.text)[0];
  const auth = await c.collection('users').authWithOTP(otpId, code, { mfaId });
  assert.equal(auth.record.email, 'flow2@example.com');
  await su.collections.update('users', { mfa: { enabled: false } });
});

await step('authWithOAuth2Code (OIDC + PKCE)', async () => {
  await su.collections.update('users', {
    oauth2: {
      enabled: true,
      providers: [{ name: 'oidc', clientId: 'sdk-client', clientSecret: 'sdk-secret', authURL: idp.url('/authorize'), tokenURL: idp.url('/token'), userInfoURL: idp.url('/userinfo') }],
    },
  });
  const c = client();
  const methods = await c.collection('users').listAuthMethods();
  const p = methods.oauth2.providers.find((x) => x.name === 'oidc');
  const redirect = 'http://sdk.test/callback';
  const res = await fetch(p.authURL + encodeURIComponent(redirect) + '&login_hint=oscar', { redirect: 'manual' });
  const back = new URL(res.headers.get('location'));
  assert.equal(back.searchParams.get('state'), p.state);
  const auth = await c.collection('users').authWithOAuth2Code('oidc', back.searchParams.get('code'), p.codeVerifier, redirect, { name: 'Oscar' });
  assert.equal(auth.record.email, 'oscar@example.com');
  assert.equal(auth.meta.isNew, true);
  assert.equal(auth.record.name, 'Oscar');
  await rejects(c.collection('users').authWithOAuth2Code('oidc', back.searchParams.get('code'), p.codeVerifier, redirect), 400);
});

await step('impersonate', async () => {
  const impersonated = await su.collection('users').impersonate(user.id, 120);
  assert.equal(impersonated.authStore.record.id, user.id);
  const mine = await impersonated.collection('users').getOne(user.id);
  assert.equal(mine.id, user.id);
  await rejects(pb.collection('users').impersonate(user.id, 10), 403);
});
