import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { perch } from './load_perch.mjs';

// Twitter's own example token and verifier (docs: "Log in with Twitter").
const TOKEN = 'NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0';
const VERIFIER = 'uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY';
const CALLBACK = `?oauth_token=${TOKEN}&oauth_verifier=${VERIFIER}`;

const only = (outcome) => ({ outcome, oauthToken: '', oauthVerifier: '' });

describe('verifyCallback', () => {
  test('approves a matching token and returns the token and verifier', () => {
    assert.deepEqual(perch.verifyCallback(CALLBACK, TOKEN),
                     { outcome: 'approved', oauthToken: TOKEN, oauthVerifier: VERIFIER });
  });

  test('approves without the leading ? and with the parameters in either order', () => {
    const expected = { outcome: 'approved', oauthToken: TOKEN, oauthVerifier: VERIFIER };
    assert.deepEqual(perch.verifyCallback(CALLBACK.slice(1), TOKEN), expected);
    assert.deepEqual(perch.verifyCallback(`?oauth_verifier=${VERIFIER}&oauth_token=${TOKEN}`, TOKEN),
                     expected);
  });

  test('ignores unknown parameters and decodes percent-encoded token characters', () => {
    assert.deepEqual(perch.verifyCallback('?utm_source=x&oauth_token=ab%2Dc&oauth_verifier=v.1~', 'ab-c'),
                     { outcome: 'approved', oauthToken: 'ab-c', oauthVerifier: 'v.1~' });
  });

  test('reports denied when Twitter sends denied=<token>, even without a session', () => {
    assert.deepEqual(perch.verifyCallback(`?denied=${TOKEN}`, TOKEN), only('denied'));
    assert.deepEqual(perch.verifyCallback(`?denied=${TOKEN}`, ''), only('denied'));
    assert.deepEqual(perch.verifyCallback('?denied=', TOKEN), only('denied'));
    assert.deepEqual(perch.verifyCallback(`${CALLBACK}&denied=${TOKEN}`, TOKEN), only('denied'));
  });

  test('reports no_session when there is no expected token', () => {
    assert.deepEqual(perch.verifyCallback(CALLBACK, ''), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, undefined), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, null), only('no_session'));
  });

  test('never treats two missing values as equal', () => {
    assert.deepEqual(perch.verifyCallback('?oauth_token=&oauth_verifier=v', ''), only('no_session'));
    assert.deepEqual(perch.verifyCallback('', ''), only('no_session'));
    assert.deepEqual(perch.verifyCallback('?oauth_token=&oauth_verifier=v', TOKEN), only('missing_params'));
  });

  test('reports missing_params when the token or verifier is absent or empty', () => {
    for (const search of ['', '?', `?oauth_token=${TOKEN}`, `?oauth_verifier=${VERIFIER}`,
                          `?oauth_token=${TOKEN}&oauth_verifier=`, `?oauth_token=&oauth_verifier=${VERIFIER}`,
                          '?a=1&b=2']) {
      assert.deepEqual(perch.verifyCallback(search, TOKEN), only('missing_params'), search);
    }
  });

  test('reports token_mismatch for any other token, including prefixes and extensions', () => {
    for (const expected of ['other', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toLowerCase()]) {
      assert.deepEqual(perch.verifyCallback(CALLBACK, expected), only('token_mismatch'), expected);
    }
  });

  test('reports malformed for bad encoding, duplicates, odd characters and over-long values', () => {
    const cases = [
      `?oauth_token=${TOKEN}&oauth_verifier=%zz`,                      // bad %-escape
      `?oauth_token=${TOKEN}%&oauth_verifier=${VERIFIER}`,             // truncated escape
      `?oauth_token=${TOKEN}&oauth_verifier=${VERIFIER}&x=%00`,        // NUL
      `?oauth_token=${TOKEN}&oauth_verifier=${VERIFIER}&x=%FF`,        // not UTF-8
      `${CALLBACK}&oauth_token=${TOKEN}`,                              // duplicated token
      `${CALLBACK}&oauth_verifier=${VERIFIER}`,                        // duplicated verifier
      '?denied=a&denied=b',                                            // duplicated denied
      `?oauth_token=${TOKEN}%3C&oauth_verifier=${VERIFIER}`,           // '<' in a token
      `?oauth_token=a+b&oauth_verifier=${VERIFIER}`,                   // '+' is a space
      `?oauth_token=${'a'.repeat(257)}&oauth_verifier=${VERIFIER}`,    // over 256 bytes
      `${CALLBACK}&pad=${'x'.repeat(8 * 1024)}`,                       // over the 8 KiB query limit
      `${CALLBACK}${'&x=1'.repeat(64)}`,                               // over 64 pairs
    ];
    for (const search of cases) {
      assert.deepEqual(perch.verifyCallback(search, TOKEN), only('malformed'), search.slice(0, 80));
    }
  });

  test('accepts a token of exactly 256 bytes', () => {
    const long = 'a'.repeat(256);
    assert.deepEqual(perch.verifyCallback(`?oauth_token=${long}&oauth_verifier=v`, long),
                     { outcome: 'approved', oauthToken: long, oauthVerifier: 'v' });
  });

  test('treats a non-string search as the empty query', () => {
    for (const search of [undefined, null, 42, true, {}, [], ['?oauth_token=a'], new String(CALLBACK)]) {
      assert.deepEqual(perch.verifyCallback(search, TOKEN), only('missing_params'), String(search));
    }
  });

  test('treats a non-string expected token as no session, without calling toString', () => {
    let called = false;
    const sneaky = { toString() { called = true; return TOKEN; } };
    assert.deepEqual(perch.verifyCallback(CALLBACK, sneaky), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, new String(TOKEN)), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, 0), only('no_session'));
    assert.equal(called, false);
  });

  test('takes missing and extra arguments without throwing', () => {
    assert.deepEqual(perch.verifyCallback(), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK), only('no_session'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, TOKEN, 'extra'),
                     { outcome: 'approved', oauthToken: TOKEN, oauthVerifier: VERIFIER });
  });

  test('rejects a lone surrogate in the query as malformed, not as a guessed character', () => {
    assert.deepEqual(perch.verifyCallback(`${CALLBACK}&x=\uD800`, TOKEN), only('malformed'));
    assert.deepEqual(perch.verifyCallback(`?oauth_token=${TOKEN}\uDC00&oauth_verifier=${VERIFIER}`, TOKEN),
                     only('malformed'));
  });

  test('a lone surrogate in the expected token never matches', () => {
    assert.deepEqual(perch.verifyCallback(CALLBACK, `${TOKEN}\uD800`), only('token_mismatch'));
  });

  test('rejects a huge query as malformed and stays usable afterwards', () => {
    const huge = `${CALLBACK}&pad=${'x'.repeat(6 * 1024 * 1024)}`;
    assert.deepEqual(perch.verifyCallback(huge, TOKEN), only('malformed'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, 'x'.repeat(6 * 1024 * 1024)), only('token_mismatch'));
    assert.deepEqual(perch.verifyCallback(CALLBACK, TOKEN).outcome, 'approved');
  });
});
