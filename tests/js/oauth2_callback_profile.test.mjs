// The module's OAuth 2.0 side: verifyCallback on X's OAuth 2.0 callback
// (state, code, error, error_description) and mapProfile on X's v2 user.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { perch } from './load_perch.mjs';

const STATE = 'k3Jx1v0WbQz8_TnYp2R9sAk3Jx1v0WbQz8_TnYp2R9s';
const CODE = 'VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPTE9aTktTOjE2MjIxNjA4ODY1MzU6MTowOmFjOjE';
const only = (outcome, error = '', errorDescription = '') => ({ outcome, state: '', code: '', error, errorDescription });

describe('verifyCallback with OAuth 2.0 parameters', () => {
  test('approves the matching state and returns state and code', () => {
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}&code=${CODE}`, STATE),
      { outcome: 'approved', state: STATE, code: CODE, error: '', errorDescription: '' });
    assert.deepEqual(perch.verifyCallback(`code=${CODE}&state=${STATE}`, STATE).outcome, 'approved');
  });

  test('error=access_denied is denied, any other error provider_refused, neither needing a session', () => {
    assert.deepEqual(perch.verifyCallback(`?error=access_denied&state=${STATE}`, ''), only('denied', 'access_denied'));
    assert.deepEqual(perch.verifyCallback('?error=invalid_scope&error_description=Bad%20scope', STATE),
      only('provider_refused', 'invalid_scope', 'Bad scope'));
    assert.deepEqual(perch.verifyCallback('?error=unauthorized_client', '').outcome, 'provider_refused');
  });

  test('no_session, missing_params, token_mismatch in that order', () => {
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}&code=${CODE}`, ''), only('no_session'));
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}`, STATE), only('missing_params'));
    assert.deepEqual(perch.verifyCallback(`?code=${CODE}`, STATE), only('missing_params'));
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}x&code=${CODE}`, STATE), only('token_mismatch'));
  });

  test('duplicates, a state over 500 characters and odd characters are malformed', () => {
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}&state=${STATE}&code=${CODE}`, STATE), only('malformed'));
    assert.deepEqual(perch.verifyCallback(`?state=${STATE}&code=a&code=b`, STATE), only('malformed'));
    const long = 'a'.repeat(501);
    assert.deepEqual(perch.verifyCallback(`?state=${long}&code=${CODE}`, long), only('malformed'));
    assert.equal(perch.verifyCallback(`?state=${'a'.repeat(500)}&code=${CODE}`, 'a'.repeat(500)).outcome, 'approved');
    assert.deepEqual(perch.verifyCallback(`?state=a%20b&code=${CODE}`, 'a b'), only('malformed'));
    assert.deepEqual(perch.verifyCallback('?error=access%0Adenied', ''), only('malformed'));
  });

  test('the OAuth 1.0a shape is unchanged', () => {
    assert.deepEqual(perch.verifyCallback('?oauth_token=t&oauth_verifier=v', 't'),
      { outcome: 'approved', oauthToken: 't', oauthVerifier: 'v' });
  });
});

describe('mapProfile with X v2 users', () => {
  const data = {
    id: '2244994945', name: 'X Dev  Team', username: 'XDevelopers',
    profile_image_url: 'https://pbs.twimg.com/profile_images/1/abc_normal.jpg', confirmed_email: 'dev@example.com',
  };
  const profile = {
    userId: '2244994945', username: 'XDevelopers', fullName: 'X Dev  Team', firstName: 'X', lastName: 'Dev  Team',
    timezone: null, picture: 'https://pbs.twimg.com/profile_images/1/abc.jpg', email: 'dev@example.com',
  };

  test('a v2 answer and a v2 user object map to the same profile', () => {
    assert.deepEqual(perch.mapProfile(JSON.stringify({ data })), { ok: true, profile });
    assert.deepEqual(perch.mapProfile(JSON.stringify(data)), { ok: true, profile });
  });

  test('keeps a 64-bit id exact and leaves the email empty without confirmed_email', () => {
    const result = perch.mapProfile('{"data":{"id":"18446744073709551615","name":"A","username":"a"}}');
    assert.equal(result.profile.userId, '18446744073709551615');
    assert.equal(result.profile.email, '');
  });

  test('errors, a data that is not an object, a missing id or username, an id not digits: ok false', () => {
    for (const text of ['{"errors":[{"title":"Unauthorized","status":401}]}', '{"data":[]}', '{"data":"x"}',
      '{"data":{"username":"a"}}', '{"data":{"id":"1"}}', '{"data":{"id":"1x","username":"a"}}',
      '{"data":{"id":"-1","username":"a"}}']) {
      const result = perch.mapProfile(text);
      assert.equal(result.ok, false, text);
      assert.equal(typeof result.error.code, 'string');
      assert.ok(result.error.message.length > 0);
    }
  });
});
