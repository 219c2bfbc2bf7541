// Who registers is decided by the proxy alone: the Twitter id, tokens and
// picture come from the identity the proxy established with Twitter during the
// exchange. /api/register takes exactly the five form fields; a body that
// also names a Twitter id, token, picture or account id is refused whole, and
// the stored account carries the server-verified id and picture.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SiteBrowser, assertError, consent, emulatorUser, recordedAccessTokens, sqlite, startSecureStack, validForm } from './lib.mjs';

const forgedFields = {
  twitter_id: '12', id: 1, id_str: '12', user_id: '12', access_token: 'forged-token', access_token_secret: 'forged-secret',
  picture: 'https://evil.example/p.png', profile_image_url_https: 'https://evil.example/p.png', screen_name: 'evil',
  account_id: 1, created_at: '2000-01-01T00:00:00Z',
};

describe('a client-supplied Twitter identity is ignored', { timeout: 90000 }, () => {
  let env;
  before(async () => { env = await startSecureStack(); });
  after(async () => { await env.stack.close(); });

  test('registration without an identity established by the exchange is refused', async () => {
    const { proxy } = env;
    assertError(await new SiteBrowser(proxy.url).register(validForm()), 401, 'not_authenticated');
    // A session that only started a flow has no identity yet.
    const browser = new SiteBrowser(proxy.url);
    assert.equal((await browser.start()).status, 200);
    assertError(await browser.register(validForm()), 401, 'not_authenticated');
    assertError(await browser.register({ ...validForm(), ...forgedFields }), 401, 'not_authenticated');
    assert.deepEqual(sqlite(env.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 0 }]);
  });

  test('extra identity fields are refused whole, one by one and all together; nothing is stored', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.json?.status, 'new', exchanged.body);
    for (const [name, value] of Object.entries(forgedFields)) {
      const answer = await browser.register({ ...validForm(), [name]: value });
      assertError(answer, 400, 'invalid_field');
      assert.equal(answer.setCookies.length, 0, name);
    }
    assertError(await browser.register({ ...validForm(), ...forgedFields }), 400, 'invalid_field');
    // Nested or duplicated tricks are no better.
    assertError(await browser.register({ ...validForm(), user: { twitter_id: '12' } }), 400, 'invalid_field');
    const duplicated = JSON.stringify(validForm()).replace('{', '{"username":"evil_first",');
    const dup = await browser.request('/api/register', { body: duplicated });
    assert.equal(dup.status, 400, `a duplicated key: ${dup.body}`);
    assert.deepEqual(sqlite(env.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 0 }]);

    // The same session then registers properly: the account is the verified Twitter user.
    const registered = await browser.register(validForm('verified_user'));
    assert.equal(registered.status, 201, registered.body);
    assert.equal(registered.json.user.twitter_id, emulatorUser.id_str);
    const pictureFromTwitter = registered.json.user.picture;
    assert.match(pictureFromTwitter, /^https:\/\/pbs\.twimg\.com\/profile_images\//);

    const rows = sqlite(env.database, 'SELECT twitter_id, username, picture FROM accounts');
    assert.deepEqual(rows, [{ twitter_id: emulatorUser.id_str, username: 'verified_user', picture: pictureFromTwitter }]);
    // The stored tokens are the ones Twitter issued to the proxy (sealed; the sizes match those).
    const [issued] = recordedAccessTokens(env.recorder).slice(-1);
    assert.equal(issued.userId, emulatorUser.id_str);
    const [sizes] = sqlite(env.database, 'SELECT length(access_token) AS t, length(access_token_secret) AS s FROM accounts');
    assert.deepEqual(sizes, { t: issued.token.length + 29, s: issued.secret.length + 29 });
    assert.notEqual(issued.token.length, forgedFields.access_token.length, 'the size check could not tell them apart');
  });

  test('the same Twitter user cannot register twice, whatever the form says', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.json?.status, 'signed_in', exchanged.body);
    // Signed in already; a second registration under another username is refused.
    const again = await browser.register(validForm('second_name'));
    assert.equal(again.status, 409, again.body);
    assert.deepEqual(sqlite(env.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 1 }]);
  });
});
