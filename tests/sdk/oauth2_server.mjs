// A real OAuth2/OIDC provider for the OAuth2 tests (npm oauth2-mock-server,
// installed in tests/sdk). Prints "READY <port>" once listening.
//
// Like a real provider: a code is issued by /authorize for one redirect_uri,
// can be exchanged once, and PKCE is checked by the server. The user who
// "logs in" is chosen with the `login_hint` parameter of /authorize
// (sub = hint, email = hint@example.com, verified unless the hint starts
// with "unverified"; "wrongaud…" gets an id_token for another
// client); `login_hint=deny` makes /authorize redirect back with
// error=access_denied, like a user refusing consent.
import { OAuth2Server, Events } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

const codes = new Map(); // code -> {hint, redirectUri, used}
const tokens = new Map(); // access token -> hint

function profile(hint) {
  return {
    sub: hint,
    name: `Name ${hint}`,
    preferred_username: hint.replace(/[^a-z0-9]/gi, ''),
    email: `${hint}@example.com`,
    email_verified: !hint.startsWith('unverified'),
    // "inside…" users have an avatar URL on the provider's own loopback
    // address: a server must not fetch it for them (SSRF)
    picture: hint.startsWith('inside') ? `${server.issuer.url}/jwks` : `https://avatars.example.com/${hint}.png`,
  };
}

server.service.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
  const url = new URL(req.url, 'http://localhost');
  const hint = url.searchParams.get('login_hint') || 'johndoe';
  const code = redirect.url.searchParams.get('code');
  if (hint === 'deny') {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'access_denied');
    return;
  }
  codes.set(code, { hint, redirectUri: url.searchParams.get('redirect_uri'), used: false });
});

server.service.on(Events.BeforeTokenSigning, (token, req) => {
  const entry = req.body && codes.get(req.body.code);
  if (entry) Object.assign(token.payload, profile(entry.hint));
  // a token minted for another client, to test audience checks
  if (entry && entry.hint.startsWith('wrongaud')) token.payload.aud = 'another-client';
});

server.service.on(Events.BeforeResponse, (response, req) => {
  const entry = codes.get(req.body.code);
  if (!entry || entry.used || (req.body.redirect_uri || '') !== (entry.redirectUri || '')) {
    response.statusCode = 400;
    response.body = { error: 'invalid_grant', error_description: 'unknown, used or mismatched code' };
    return;
  }
  entry.used = true;
  tokens.set(response.body.access_token, entry.hint);
});

server.service.on(Events.BeforeUserinfo, (response, req) => {
  const auth = req.headers.authorization || '';
  const hint = tokens.get(auth.replace(/^Bearer /, ''));
  if (!hint) {
    response.statusCode = 401;
    response.body = { error: 'invalid_token' };
    return;
  }
  response.body = profile(hint);
});

await server.start(Number(process.argv[2] || 0), '127.0.0.1');
console.log(`READY ${new URL(server.issuer.url).port}`);
process.on('SIGTERM', async () => {
  await server.stop();
  process.exit(0);
});
