// A local OpenID Connect provider (oidc-provider, a certified implementation) standing in for the national
// public-service portal / VNeID login on developer machines. It signs in the made-up accounts of
// accounts.json and issues JWT access tokens for the audience the services expect, with the claims they read
// (actor, identity_number, name, agency_code, roles, represents). Never for production.
//
//   node server.mjs   (settings: KHO_IDP_PORT, KHO_IDP_KEY_FILE, KHO_IDP_ACCOUNTS, KHO_OIDC_AUDIENCE)
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.KHO_IDP_PORT || 8090);
const issuer = `http://127.0.0.1:${port}`;
const audience = process.env.KHO_OIDC_AUDIENCE || 'urn:kho-du-lieu';
const accounts = JSON.parse(readFileSync(process.env.KHO_IDP_ACCOUNTS || new URL('./accounts.json', import.meta.url)));
delete accounts._comment;

// The signing key is made on first start and kept beside the cache, never in the repository.
const keyFile = process.env.KHO_IDP_KEY_FILE || 'idp-signing-key.json';
if (!existsSync(keyFile)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyFile, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: `dev-${Date.now()}`, use: 'sig', alg: 'RS256' }), { mode: 0o600 });
}
const signingKey = JSON.parse(readFileSync(keyFile, 'utf8'));

const claimsOf = (id) => {
  const { actor, identity_number, name, agency_code, roles = [], represents = [] } = accounts[id];
  return { actor, name, roles, represents, ...(identity_number && { identity_number }), ...(agency_code && { agency_code }) };
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'kho-dev',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'openid profile',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, claims: () => ({ sub: id, ...claimsOf(id) }) };
  },
  claims: { openid: ['sub'], profile: ['name', 'actor', 'identity_number', 'agency_code', 'roles', 'represents'] },
  async extraTokenClaims(ctx, token) {
    return token.accountId && accounts[token.accountId] ? claimsOf(token.accountId) : undefined;
  },
  loadExistingGrant: async (ctx) => { // development accounts consent to the development client at once
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    grant.addResourceScope(audience, 'openid profile');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

// The sign-in page: pick one of the development accounts (the real portal asks the national portal or VNeID).
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (match[2] && ctx.method === 'POST') {
    const body = new URLSearchParams(await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (chunk) => { data += chunk; });
      ctx.req.on('end', () => resolve(data));
    }));
    const login = body.get('login');
    const result = accounts[login]
      ? { login: { accountId: login } }
      : { error: 'access_denied', error_description: `no development account named ${login}` };
    return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  }
  const options = Object.entries(accounts)
    .map(([id, a]) => `<option value="${escape(id)}">${escape(id)} — ${escape(a.name)} (${escape(a.actor)})</option>`).join('');
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>Đăng nhập (môi trường phát triển)</title>
<h1>Đăng nhập — tài khoản thử nghiệm</h1><p>Môi trường phát triển: chọn một tài khoản thử nghiệm.</p>
<form method="post" action="/interaction/${escape(details.uid)}/login"><select name="login">${options}</select>
<button type="submit">Đăng nhập</button></form></html>`;
});
provider.listen(port, '127.0.0.1', () => console.log(`development identity provider on ${issuer} (accounts: ${Object.keys(accounts).join(', ')})`));
