// Text that deceives a reader never becomes an account: a name that is only
// invisible characters, a bidi control that reorders a name, an email domain
// hiding look-alike or zero-width characters, a time zone that is no zone.
// The running proxy refuses each with 422 invalid and the field's message,
// and the module the site serves (what the page validates with) gives the
// very same message.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { SiteBrowser, assertError, consent, siteDir, sqlite, startSecureStack, validForm } from './lib.mjs';

const createPerch = (await import(pathToFileURL(path.join(siteDir, 'perch.mjs')).href)).default;

const ENTER_FIRST_NAME = 'Enter your first name.';
const ASCII_DOMAIN = 'The part of the email address after the @ must be ASCII: use the xn-- form of a Unicode domain.';
const NO_ZONE = 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.';

const HOSTILE = [
  ['first_name', '\u200B', ENTER_FIRST_NAME],
  ['first_name', '\u3164', ENTER_FIRST_NAME],               // Hangul filler: the "blank name" trick
  ['first_name', '\u2800\u00AD\uFEFF', ENTER_FIRST_NAME],
  ['first_name', '\u202EecilA', 'First name must not contain hidden text-direction characters.'],
  ['last_name', 'Smith\u2067', 'Last name must not contain hidden text-direction characters.'],
  ['last_name', '\u200D\u2060', 'Last name must be empty or contain visible characters.'],
  ['email', 'zoe@ｅｘａｍｐｌｅ.org', ASCII_DOMAIN],
  ['email', 'zoe@exa\u200Bmple.org', ASCII_DOMAIN],
  ['email', 'zoe@\u0435xample.org', ASCII_DOMAIN],          // Cyrillic е
  ['email', 'zo\u200Be@example.org', 'The part of the email address before the @ must not contain invisible characters.'],
  ['timezone', 'a/b/c/d/e/f/g', NO_ZONE],
  ['timezone', 'Europe/Atlantis', NO_ZONE],
];

describe('deceptive form text is refused by the proxy and the page alike', { timeout: 90000 }, () => {
  let env;
  let perch;
  before(async () => {
    env = await startSecureStack();
    perch = await createPerch();
  });
  after(async () => { await env.stack.close(); });

  test('each hostile value: 422 invalid with the core message, the same in the page, nothing stored', async () => {
    const browser = new SiteBrowser(env.proxy.url);
    const started = await browser.start();
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.json?.status, 'new', exchanged.body);
    for (const [field, value, message] of HOSTILE) {
      const form = { ...validForm(), [field]: value };
      const answer = await browser.register(form);
      assertError(answer, 422, 'invalid');
      assert.deepEqual(answer.json.error.fields, { [field]: message }, `${field} ${JSON.stringify(value)}`);
      assert.deepEqual(perch.validateRegistration(form), { ok: false, errors: { [field]: message } });
    }
    assert.deepEqual(sqlite(env.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 0 }]);

    // What people really write passes both: joiners inside a name, an A-label, an old zone name.
    const fine = { ...validForm(), first_name: 'علی\u200Cاکبر', email: 'zoe@xn--bcher-kva.de', timezone: 'Asia/Calcutta' };
    assert.deepEqual(perch.validateRegistration(fine), { ok: true, errors: {} });
    const registered = await browser.register(fine);
    assert.equal(registered.status, 201, registered.body);
    assert.deepEqual(sqlite(env.database, 'SELECT first_name, email, timezone FROM accounts'),
      [{ first_name: fine.first_name, email: fine.email, timezone: fine.timezone }]);
  });
});
