// A real OpenID provider for the SSO tests: the certified `oidc-provider` package on a
// loopback port, with a login form, test users with groups, and test controls.
//
//   node provider.mjs            (OIDC_PROVIDER_MODULES = folder holding node_modules)
//
// It prints one JSON line {"issuer": ..., "port": ...} once it listens. Controls, for the
// tests only (this program never runs outside the test suite), under /_test/:
//   POST /_test/setup   {"clients": [...], "users": {sub: {...}}}  reset everything else
//   POST /_test/rotate-keys {"keep_old": true}   a new signing key, first in the JWKS
//   POST /_test/issuer  {"issuer": "..."}        tokens (and discovery) name another issuer
//   POST /_test/clock   {"token_offset_seconds": -7200}  tokens minted with a shifted clock
//   POST /_test/unpublished-key {}               sign with a key the JWKS does not publish
//   GET  /_test/state                            the signing and published key ids
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.OIDC_PROVIDER_MODULES;
if (!modules) throw new Error('set OIDC_PROVIDER_MODULES to the folder holding node_modules');
const { default: Provider } = await import(
  pathToFileURL(path.join(modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

const realNow = Date.now.bind(Date);
let clockOffsetMs = 0;
Date.now = () => realNow() + clockOffsetMs;

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

const state = {
  baseIssuer: '',
  issuer: '',
  keys: [newKey()], // the first signs
  published: null, // null: publish `keys`; otherwise the keys the JWKS shows
  tokenOffsetSeconds: 0,
  clients: [],
  users: {},
  provider: null,
};

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function loadExistingGrant(ctx) {
  // First-party test client: consent is implied, so the only prompt is the login form.
  const { provider, client, session } = ctx.oidc;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  if (grantId) {
    const found = await provider.Grant.find(grantId);
    if (found) return found;
  }
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid email profile groups offline_access');
  await grant.save();
  return grant;
}

async function logoutSource(ctx, form) {
  // `form` is the provider's own hidden form (id op.logoutForm) with its xsrf token.
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test IdP sign-out</title></head><body><h1>Sign out of the test identity provider?</h1>
${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
</body></html>`;
}

function buildProvider() {
  const provider = new Provider(state.issuer, {
    clients: state.clients,
    jwks: { keys: state.keys },
    pkce: { required: () => true },
    conformIdTokenClaims: false, // claims in the ID token, as Okta, Entra and Keycloak do
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant,
    findAccount: (ctx, sub) => {
      const user = state.users[sub];
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: user.email,
          email_verified: user.email_verified ?? true,
          name: user.name,
          groups: user.groups ?? [],
        }),
      };
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
    },
    cookies: { keys: ['test-cookie-key-not-secret'] },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  return provider;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function loginPage(uid, error = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body><h1>Test identity provider</h1>${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button></form></body></html>`;
}

async function interaction(req, res, uid) {
  const details = await state.provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, { error: 'interaction mismatch' });
  if (req.method === 'GET') return send(res, 200, loginPage(uid), 'text/html; charset=utf-8');
  const form = new URLSearchParams(await readBody(req));
  const sub = form.get('username') || '';
  const user = state.users[sub];
  if (!user || user.password !== form.get('password')) {
    return send(res, 200, loginPage(uid, 'Wrong username or password'), 'text/html; charset=utf-8');
  }
  return state.provider.interactionFinished(req, res, { login: { accountId: sub } }, {
    mergeWithLastSubmission: false,
  });
}

const controls = {
  async setup(body) {
    state.clients = body.clients ?? [];
    state.users = body.users ?? {};
    state.issuer = state.baseIssuer;
    state.keys = [newKey()];
    state.published = null;
    state.tokenOffsetSeconds = 0;
  },
  async 'rotate-keys'(body) {
    state.keys = body.keep_old === false ? [newKey()] : [newKey(), ...state.keys];
    state.published = null;
  },
  async issuer(body) { state.issuer = body.issuer; },
  async clock(body) { state.tokenOffsetSeconds = Number(body.token_offset_seconds) || 0; },
  async 'unpublished-key'() {
    state.published = state.keys.map(publicPart);
    state.keys = [newKey()];
  },
};

async function control(req, res, name) {
  if (req.method === 'GET' && name === 'state') {
    return send(res, 200, {
      issuer: state.issuer,
      signing_kid: state.keys[0].kid,
      published_kids: (state.published ?? state.keys).map((k) => k.kid),
    });
  }
  const action = controls[name];
  if (req.method !== 'POST' || !action) return send(res, 404, { error: `no control ${name}` });
  await action(JSON.parse((await readBody(req)) || '{}'));
  state.provider = buildProvider();
  return send(res, 200, { ok: true });
}

async function handle(req, res) {
  const url = new URL(req.url, state.baseIssuer);
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] === '_test') return control(req, res, parts[1] ?? '');
  if (url.pathname === '/favicon.ico') return send(res, 204, '', 'image/x-icon');
  if (parts[0] === 'interaction' && parts.length === 2) return interaction(req, res, parts[1]);
  if (url.pathname === '/jwks' && state.published) {
    return send(res, 200, { keys: state.published }, 'application/jwk-set+json');
  }
  if (url.pathname === '/token' && state.tokenOffsetSeconds) {
    clockOffsetMs = state.tokenOffsetSeconds * 1000;
    res.on('finish', () => { clockOffsetMs = 0; });
  }
  return state.provider.callback()(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, { error: String(error) });
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  state.baseIssuer = `http://127.0.0.1:${port}`;
  state.issuer = state.baseIssuer;
  state.provider = buildProvider();
  console.log(JSON.stringify({ issuer: state.baseIssuer, port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
