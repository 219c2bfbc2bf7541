import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { perch } from './load_perch.mjs';

// A verify_credentials user object as Twitter sends it (v1.1,
// include_email=true), written as JSON text so the 64-bit id keeps its digits.
const ID = '1466796521412771840';  // > 2^53: JSON.parse would round it
const verifyCredentials = ({ id = ID, idStr = `"${ID}"`, name = '"José Ñúñez-García 🐦"',
                             utcOffset = 'null', picture = null, extra = '' } = {}) => `{
  "id": ${id},
  "id_str": ${idStr},
  "name": ${name},
  "screen_name": "jose_nunez",
  "location": "Sevilla, España",
  "description": "Café ☕ y código",
  "url": null,
  "entities": {"description": {"urls": []}},
  "protected": false,
  "followers_count": 1042,
  "friends_count": 311,
  "listed_count": 7,
  "created_at": "Thu Dec 02 14:51:13 +0000 2021",
  "favourites_count": 250,
  "utc_offset": ${utcOffset},
  "time_zone": null,
  "geo_enabled": false,
  "verified": false,
  "statuses_count": 1999,
  "lang": null,
  "status": {"created_at": "Mon Nov 20 09:00:00 +0000 2023", "id": 1726538764573491200,
             "id_str": "1726538764573491200", "text": "Hola 👋", "truncated": false},
  "contributors_enabled": false,
  "is_translator": false,
  "is_translation_enabled": false,
  "profile_background_color": "F5F8FA",
  "profile_background_image_url": null,
  "profile_background_image_url_https": null,
  "profile_background_tile": false,
  "profile_image_url": "http://pbs.twimg.com/profile_images/1466796981385125890/kX3fUq8M_normal.jpg",
  "profile_image_url_https": ${picture ?? '"https://pbs.twimg.com/profile_images/1466796981385125890/kX3fUq8M_normal.jpg"'},
  "profile_banner_url": "https://pbs.twimg.com/profile_banners/1466796521412771840/1638456789",
  "profile_link_color": "1DA1F2",
  "profile_sidebar_border_color": "C0DEED",
  "profile_sidebar_fill_color": "DDEEF6",
  "profile_text_color": "333333",
  "profile_use_background_image": true,
  "has_extended_profile": true,
  "default_profile": true,
  "default_profile_image": false,
  "following": false,
  "follow_request_sent": false,
  "notifications": false,
  "translator_type": "none",
  "withheld_in_countries": [],
  "suspended": false,
  "needs_phone_verification": false${extra},
  "email": "jose@example.com"
}`;

const EXPECTED = {
  userId: ID,
  username: 'jose_nunez',
  fullName: 'José Ñúñez-García 🐦',
  firstName: 'José',
  lastName: 'Ñúñez-García 🐦',
  timezone: null,
  picture: 'https://pbs.twimg.com/profile_images/1466796981385125890/kX3fUq8M.jpg',
  email: 'jose@example.com',
};

const failure = (code, message) => ({ ok: false, error: { code, message } });

describe('mapProfile', () => {
  test('maps a realistic verify_credentials object', () => {
    assert.deepEqual(perch.mapProfile(verifyCredentials()), { ok: true, profile: EXPECTED });
  });

  test('keeps a 64-bit id exact, from id_str or else from the integer text of id', () => {
    assert.equal(perch.mapProfile(verifyCredentials()).profile.userId, '1466796521412771840');
    assert.equal(perch.mapProfile(verifyCredentials({ idStr: 'null' })).profile.userId,
                 '1466796521412771840');
    assert.equal(perch.mapProfile(verifyCredentials({ idStr: 'null', id: '18446744073709551615' }))
      .profile.userId, '18446744073709551615');
  });

  test('turns utc_offset seconds into hours, null into null', () => {
    const hours = (utcOffset) => perch.mapProfile(verifyCredentials({ utcOffset })).profile.timezone;
    assert.equal(hours('null'), null);
    assert.equal(hours('-16200'), -4.5);
    assert.equal(hours('19800'), 5.5);
    assert.equal(hours('20700'), 5.75);
    assert.equal(hours('3600'), 1);
    assert.equal(hours('0'), 0);
    assert.equal(hours('"3600"'), null);  // not a number: unknown, not an error
  });

  test('removes the size suffix from the file name only', () => {
    const picture = (url) => perch.mapProfile(verifyCredentials({ picture: JSON.stringify(url) })).profile.picture;
    assert.equal(picture('https://pbs.twimg.com/profile_images/1/abc_bigger.png'),
                 'https://pbs.twimg.com/profile_images/1/abc.png');
    assert.equal(picture('https://pbs.twimg.com/profile_images/1/abc_mini'),
                 'https://pbs.twimg.com/profile_images/1/abc');
    assert.equal(picture('https://pbs.twimg.com/a_normal/b_normal/photo_normal.jpeg?x=_normal'),
                 'https://pbs.twimg.com/a_normal/b_normal/photo.jpeg?x=_normal');
    assert.equal(picture('https://pbs.twimg.com/profile_images/1/abc_normal_x.jpg'),
                 'https://pbs.twimg.com/profile_images/1/abc_normal_x.jpg');
  });

  test('splits Unicode names at the first run of Unicode whitespace', () => {
    const names = (name) => {
      const { profile } = perch.mapProfile(verifyCredentials({ name: JSON.stringify(name) }));
      return [profile.fullName, profile.firstName, profile.lastName];
    };
    assert.deepEqual(names('山田\u3000太郎'), ['山田\u3000太郎', '山田', '太郎']);
    assert.deepEqual(names('  Ana \u00a0 María  López '), ['  Ana \u00a0 María  López ', 'Ana', 'María  López']);
    assert.deepEqual(names('Zoë'), ['Zoë', 'Zoë', '']);
    assert.deepEqual(names('👩‍💻 Dev'), ['👩‍💻 Dev', '👩‍💻', 'Dev']);
    assert.deepEqual(names('   '), ['   ', '', '']);
  });

  test('leaves email empty when Twitter sends none', () => {
    const json = JSON.stringify({ id_str: '12', screen_name: 'a', name: 'b' });
    assert.deepEqual(perch.mapProfile(json), {
      ok: true,
      profile: { userId: '12', username: 'a', fullName: 'b', firstName: 'b', lastName: '',
                 timezone: null, picture: '', email: '' },
    });
  });

  test('names the missing or invalid field', () => {
    const map = (user) => perch.mapProfile(JSON.stringify(user));
    assert.deepEqual(map({ screen_name: 'a', name: 'b' }), failure('missing_field', 'user object has no id_str or id'));
    assert.deepEqual(map({ id_str: '1', name: 'b' }), failure('missing_field', 'user object has no screen_name'));
    assert.deepEqual(map({ id_str: '1', screen_name: 'a' }), failure('missing_field', 'user object has no name'));
    assert.deepEqual(map({ id_str: '12a', screen_name: 'a', name: 'b' }),
                     failure('invalid_field', 'user object has an id_str that is not a decimal user id'));
    assert.deepEqual(map({ id_str: '0123', screen_name: 'a', name: 'b' }),
                     failure('invalid_field', 'user object has an id_str that is not a decimal user id'));
    assert.deepEqual(map({ id_str: 12, screen_name: 'a', name: 'b' }),
                     failure('invalid_field', 'user object has an id_str that is not a string'));
    assert.deepEqual(map({ id: -1, screen_name: 'a', name: 'b' }),
                     failure('invalid_field', 'user object has an id that is not a non-negative integer'));
    assert.deepEqual(map({ id_str: '1', screen_name: 7, name: 'b' }),
                     failure('invalid_field', 'user object has a screen_name that is not a string'));
    assert.deepEqual(map({ id_str: '1', screen_name: '', name: 'b' }),
                     failure('invalid_field', 'user object has an empty screen_name'));
  });

  test('refuses text that is not one JSON object', () => {
    assert.deepEqual(perch.mapProfile(''), failure('invalid_json', 'JSON is empty'));
    assert.deepEqual(perch.mapProfile('[1]'), failure('invalid_json', 'user object is not a JSON object'));
    assert.deepEqual(perch.mapProfile('"x"'), failure('invalid_json', 'user object is not a JSON object'));
    assert.deepEqual(perch.mapProfile('{"id_str":'), failure('invalid_json', 'JSON is not valid (error at byte 11)'));
    assert.deepEqual(perch.mapProfile('{"a":1,"a":2}'), failure('invalid_json', 'JSON has a duplicate object key'));
    assert.deepEqual(perch.mapProfile('{"a":1}\0{"b":2}'), failure('invalid_json', 'JSON is not valid (error at byte 8)'));
  });

  test('refuses absurd nesting without recursing into it', () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    assert.deepEqual(perch.mapProfile(deep), failure('invalid_json', 'JSON is nested deeper than 32 levels'));
    const ok = `{"id_str":"1","screen_name":"a","name":"b","x":${'['.repeat(31)}${']'.repeat(31)}}`;
    assert.equal(perch.mapProfile(ok).ok, true);
  });

  test('refuses JSON over 1 MiB, however long the string is', () => {
    const message = failure('too_long', 'JSON is longer than 1048576 bytes');
    const padded = (n) => `{"id_str":"1","screen_name":"a","name":"b","x":"${'y'.repeat(n)}"}`;
    assert.equal(perch.mapProfile(padded(1024 * 1024 - 60)).ok, true);
    assert.deepEqual(perch.mapProfile(padded(1024 * 1024)), message);
    assert.deepEqual(perch.mapProfile(padded(6 * 1024 * 1024)), message);
    // 600 000 'é' are 1 200 000 bytes of UTF-8 but only 600 000 code units: bytes count.
    assert.deepEqual(perch.mapProfile(padded(0).replace('""', `"${'é'.repeat(600000)}"`)), message);
  });

  test('refuses a lone surrogate in the text as invalid JSON', () => {
    // `{"name":"` is 9 bytes; the surrogate's second byte (A0) is byte 11.
    assert.deepEqual(perch.mapProfile('{"name":"\uD800"}'), failure('invalid_json', 'JSON is not valid (error at byte 11)'));
    // An escaped lone surrogate is refused by the JSON parser itself.
    assert.equal(perch.mapProfile('{"id_str":"1","screen_name":"a","name":"\\ud800"}').error.code, 'invalid_json');
  });

  test('treats a non-string argument as empty text', () => {
    const empty = failure('invalid_json', 'JSON is empty');
    for (const value of [undefined, null, 42, true, { id_str: '1', screen_name: 'a', name: 'b' }, [],
                         new String('{}'), Symbol('s'), 1n]) {
      assert.deepEqual(perch.mapProfile(value), empty, typeof value);
    }
    assert.deepEqual(perch.mapProfile(), empty);
  });
});
