import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { perch } from './load_perch.mjs';

const PROFILE = {
  userId: '1466796521412771840',
  username: 'jose_nunez',
  fullName: 'José Ñúñez-García 🐦',
  firstName: 'José',
  lastName: 'Ñúñez-García 🐦',
  timezone: null,
  picture: 'https://pbs.twimg.com/profile_images/1466796981385125890/kX3fUq8M.jpg',
  email: 'jose@example.com',
};

const VALID_FORM = {
  username: 'jose_nunez',
  first_name: 'José',
  last_name: 'Ñúñez-García 🐦',
  email: 'jose@example.com',
  timezone: 'Europe/Madrid',
};

const ALL_MISSING = {
  ok: false,
  errors: {
    username: 'Enter a username.',
    first_name: 'Enter your first name.',
    email: 'Enter an email address.',
    timezone: 'Choose a time zone.',
  },
};

describe('prefill', () => {
  test('pre-fills the form from a mapped profile', () => {
    assert.deepEqual(perch.prefill(PROFILE), {
      username: 'jose_nunez',
      first_name: 'José',
      last_name: 'Ñúñez-García 🐦',
      email: 'jose@example.com',
      timezone: '',
    });
  });

  test('writes a known offset as UTC±HH:MM and leaves anything else for the page', () => {
    const zone = (timezone) => perch.prefill({ ...PROFILE, timezone }).timezone;
    assert.equal(zone(-4.5), 'UTC-04:30');
    assert.equal(zone(5.75), 'UTC+05:45');
    assert.equal(zone(1), 'UTC+01:00');
    assert.equal(zone(0), 'UTC');
    assert.equal(zone(-12), 'UTC-12:00');
    assert.equal(zone(14), 'UTC+14:00');
    assert.equal(zone(15), '');        // beyond any real zone
    assert.equal(zone(0.1), '');       // not a quarter hour
    assert.equal(zone(null), '');
    assert.equal(zone(undefined), '');
    assert.equal(zone(NaN), '');
    assert.equal(zone(Infinity), '');
    assert.equal(zone('5'), '');       // a string is not a number of hours
  });

  test('uses the screen name when the name is blank, and flattens control characters', () => {
    assert.equal(perch.prefill({ ...PROFILE, firstName: '', lastName: '' }).first_name, 'jose_nunez');
    const form = perch.prefill({ ...PROFILE, firstName: 'Ana\tMaría', lastName: 'Ló\u0000pez\nRuiz' });
    assert.equal(form.first_name, 'Ana María');
    assert.equal(form.last_name, 'López Ruiz');
  });

  test('a form pre-filled from a mapped Twitter profile passes once the page sets the zone', () => {
    const mapped = perch.mapProfile(JSON.stringify({
      id_str: '783214', screen_name: 'Twitter', name: 'X\u3000(formerly Twitter)', utc_offset: -16200,
      email: 'support@x.com',
    }));
    assert.equal(mapped.ok, true);
    const form = perch.prefill(mapped.profile);
    assert.deepEqual(form, { username: 'Twitter', first_name: 'X', last_name: '(formerly Twitter)',
                             email: 'support@x.com', timezone: 'UTC-04:30' });
    assert.deepEqual(perch.validateRegistration(form), { ok: true, errors: {} });
    const noEmail = perch.prefill({ ...mapped.profile, email: '', timezone: null });
    assert.deepEqual(perch.validateRegistration(noEmail), {
      ok: false,
      errors: { email: 'Enter an email address.', timezone: 'Choose a time zone.' },
    });
  });

  test('reads missing or mistyped fields as empty', () => {
    const empty = { username: '', first_name: '', last_name: '', email: '', timezone: '' };
    for (const value of [undefined, null, 42, 'jose', [], {}, Symbol('s'), () => {}]) {
      assert.deepEqual(perch.prefill(value), empty, String(typeof value));
    }
    assert.deepEqual(perch.prefill(), empty);
    assert.deepEqual(perch.prefill({ username: 42, firstName: ['José'], email: { toString: () => 'e@x.y' } }), empty);
  });

  test('passes lone surrogates through unchanged, in short and long fields', () => {
    const long = `${'a'.repeat(40)}\uD800${'b'.repeat(40)}`;
    const form = perch.prefill({ username: 'x\uD800y', firstName: long, lastName: '\uDC00', email: '\uDBFF' });
    assert.equal(form.username, 'x\uD800y');
    assert.equal(form.first_name, long);
    assert.equal(form.last_name, '\uDC00');
    assert.equal(form.email, '\uDBFF');
  });
});

describe('validateRegistration', () => {
  // The message for one field of an otherwise valid form (undefined: it passes).
  const error = (field, value) => perch.validateRegistration({ ...VALID_FORM, [field]: value }).errors[field];

  test('accepts a valid form', () => {
    assert.deepEqual(perch.validateRegistration(VALID_FORM), { ok: true, errors: {} });
    assert.deepEqual(perch.validateRegistration({ ...VALID_FORM, last_name: '', timezone: 'UTC' }),
                     { ok: true, errors: {} });
    assert.deepEqual(perch.validateRegistration({ ...VALID_FORM, timezone: 'UTC+05:30' }),
                     { ok: true, errors: {} });
  });

  test('reports every failing field at once, in form order', () => {
    const result = perch.validateRegistration({ username: 'a b', first_name: ' ', last_name: 'x\ny',
                                                email: 'nobody', timezone: 'Mars/Olympus Mons' });
    assert.deepEqual(result, {
      ok: false,
      errors: {
        username: 'Username may contain only letters, digits and underscores.',
        first_name: 'Enter your first name.',
        last_name: 'Last name must be on one line, without control characters.',
        email: 'Email address must contain one @, like name@example.com.',
        timezone: 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.',
      },
    });
    assert.deepEqual(Object.keys(result.errors), ['username', 'first_name', 'last_name', 'email', 'timezone']);
  });

  test('gives the documented message for each rule', () => {
    assert.equal(error('username', 'a'.repeat(31)), 'Username must be at most 30 characters.');
    assert.equal(error('username', 'a'.repeat(30)), undefined);
    assert.equal(error('username', 'josé'), 'Username may contain only letters, digits and underscores.');
    assert.equal(error('first_name', '\u3000'), 'Enter your first name.');
    assert.equal(error('first_name', 'é'.repeat(101)), 'First name must be at most 100 characters.');
    assert.equal(error('first_name', '🐦'.repeat(100)), undefined);
    assert.equal(error('last_name', 'a\u2028b'), 'Last name must be on one line, without control characters.');
    assert.equal(error('last_name', '   '), undefined);
    assert.equal(error('email', `${'a'.repeat(250)}@x.io`), 'Email address must be at most 254 characters.');
    assert.equal(error('email', 'a@b@c.de'), 'Email address must contain one @, like name@example.com.');
    assert.equal(error('email', 'a b@c.de'), 'The part of the email address before the @ is not valid.');
    assert.equal(error('email', 'a@localhost'), 'The part of the email address after the @ is not a valid domain.');
    assert.equal(error('email', 'a@1.2.3.4'), 'The part of the email address after the @ is not a valid domain.');
    assert.equal(error('email', 'o\'brien+tag@xn--fsqu00a.xn--4rr70v'), undefined);
    assert.equal(error('timezone', 'UTC+05:20'), 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.');
    assert.equal(error('timezone', 'utc'), 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.');
    assert.equal(error('timezone', 'America/Argentina/Buenos_Aires'), undefined);
  });

  test('refuses invisible-only names and bidi controls, keeps joiners inside names', () => {
    assert.equal(error('first_name', '\u200B'), 'Enter your first name.');
    assert.equal(error('first_name', '\u3164\u200B\u2800\uFEFF'), 'Enter your first name.');
    assert.equal(error('last_name', '\u200B'), 'Last name must be empty or contain visible characters.');
    assert.equal(error('last_name', ' \u00A0'), undefined);
    assert.equal(error('first_name', '\u202EecilA'), 'First name must not contain hidden text-direction characters.');
    assert.equal(error('last_name', 'Love\u2066lace'), 'Last name must not contain hidden text-direction characters.');
    assert.equal(error('first_name', 'علی\u200Cاکبر'), undefined);  // Persian, ZWNJ between letters
    assert.equal(error('first_name', 'ශ්\u200Dරී'), undefined);      // Sinhala, ZWJ
  });

  test('judges every code point alone as the engine\'s White_Space, Default_Ignorable and Bidi_Control say', () => {
    // One name per code point: what the core's hand-written tables decide,
    // against the JavaScript engine's own data. Every code point of planes
    // 0, 1 and 14 and every one the engine puts in a property goes through
    // the module; of the rest (CJK extensions, private use, unassigned), one
    // in 61, to keep this under a few seconds.
    const whiteSpace = /^\p{White_Space}$/u;
    const ignorable = /^\p{Default_Ignorable_Code_Point}$/u;
    const bidi = /^\p{Bidi_Control}$/u;
    const control = (c) => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c === 0x2028 || c === 0x2029;
    const expected = (c, text) => {
      if (whiteSpace.test(text)) return 'Enter your first name.';
      if (control(c)) return 'First name must be on one line, without control characters.';
      if (bidi.test(text)) return 'First name must not contain hidden text-direction characters.';
      if (ignorable.test(text) || c === 0x2800) return 'Enter your first name.';
      return undefined;
    };
    const form = { ...VALID_FORM };
    const wrong = [];
    let checked = 0;
    for (let c = 0; c <= 0x10FFFF; c += 1) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;  // lone surrogates: tested below
      const text = String.fromCodePoint(c);
      const want = expected(c, text);
      const plane = c >> 16;
      if (plane !== 0 && plane !== 1 && plane !== 14 && want === undefined && c % 61 !== 0) continue;
      form.first_name = text;
      const got = perch.validateRegistration(form).errors.first_name;
      checked += 1;
      if (got !== want && wrong.length < 10) wrong.push(`U+${c.toString(16)}: ${got}`);
    }
    assert.deepEqual(wrong, []);
    assert.ok(checked > 200000, String(checked));
  });

  test('wants the email domain in ASCII and the local part without invisible characters', () => {
    const ascii = 'The part of the email address after the @ must be ASCII: use the xn-- form of a Unicode domain.';
    assert.equal(error('email', 'ada@ｅｘａｍｐｌｅ.com'), ascii);
    assert.equal(error('email', 'ada@exa\u200Bmple.com'), ascii);
    assert.equal(error('email', 'ada@bücher.de'), ascii);
    assert.equal(error('email', 'ada@xn--bcher-kva.de'), undefined);
    assert.equal(error('email', 'ada@example.123'), 'The part of the email address after the @ is not a valid domain.');
    assert.equal(error('email', 'ad\u200Ba@example.com'), 'The part of the email address before the @ must not contain invisible characters.');
    assert.equal(error('email', 'ada\u202E@example.com'), 'The part of the email address before the @ must not contain invisible characters.');
    assert.equal(error('email', 'jörg@example.com'), undefined);
  });

  test('accepts IANA zone names only, exactly', () => {
    const refused = 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.';
    for (const zone of ['Asia/Calcutta', 'UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'US/Eastern', 'GMT']) {
      assert.equal(error('timezone', zone), undefined, zone);
    }
    for (const zone of ['a/b/c/d/e/f/g', 'Mars/Olympus_Mons', 'europe/berlin', 'Etc/Unknown', 'Factory', 'Asia/Calcutta\u200B']) {
      assert.equal(error('timezone', zone), refused, zone);
    }
  });

  test('accepts every time zone this JavaScript engine knows or reports', () => {
    // The page offers Intl.supportedValuesOf('timeZone') and fills in the
    // browser's resolvedOptions().timeZone; both must pass.
    const zones = new Set(Intl.supportedValuesOf('timeZone'));
    for (const zone of [...zones]) zones.add(new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone);
    for (const zone of ['Asia/Calcutta', 'Asia/Saigon', 'Europe/Kiev', 'America/Buenos_Aires', 'US/Pacific', 'Etc/GMT-14']) {
      zones.add(new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone);
    }
    zones.add(Intl.DateTimeFormat().resolvedOptions().timeZone);
    const form = { ...VALID_FORM };
    const refused = [...zones].filter((zone) => {
      form.timezone = zone;
      return perch.validateRegistration(form).errors.timezone !== undefined;
    });
    assert.deepEqual(refused, []);
    assert.ok(zones.size > 400);
  });

  test('refuses lone surrogates as text that is not valid, never as a guessed character', () => {
    const result = perch.validateRegistration({ ...VALID_FORM, first_name: 'Jos\uD800', last_name: '\uDC00',
                                                email: 'a\uD800@x.io', username: 'a\uD800' });
    assert.deepEqual(result.errors, {
      username: 'Username may contain only letters, digits and underscores.',
      first_name: 'First name contains characters that are not valid text.',
      last_name: 'Last name contains characters that are not valid text.',
      email: 'The part of the email address before the @ is not valid.',
    });
  });

  test('validates a huge field whole, not a truncated copy', () => {
    const huge = `${'a'.repeat(5 * 1024 * 1024)}!`;
    assert.equal(perch.validateRegistration({ ...VALID_FORM, username: huge }).errors.username,
                 'Username may contain only letters, digits and underscores.');
  });

  test('reads missing, mistyped and unreadable fields as empty', () => {
    for (const value of [undefined, null, 0, 'form', [], {}, Symbol('s'), 1n]) {
      assert.deepEqual(perch.validateRegistration(value), ALL_MISSING, String(typeof value));
    }
    assert.deepEqual(perch.validateRegistration(), ALL_MISSING);
    assert.deepEqual(perch.validateRegistration({ username: 5, first_name: ['a'], last_name: null, email: true,
                                                  timezone: new String('UTC') }), ALL_MISSING);

    const throwing = { get username() { throw new Error('boom'); }, first_name: 'Ann', email: 'a@b.cd',
                       timezone: 'UTC' };
    assert.deepEqual(perch.validateRegistration(throwing),
                     { ok: false, errors: { username: 'Enter a username.' } });

    const trap = new Proxy({}, { get() { throw new Error('trap'); } });
    assert.deepEqual(perch.validateRegistration(trap), ALL_MISSING);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.deepEqual(perch.validateRegistration(proxy), ALL_MISSING);
    assert.deepEqual(perch.prefill(proxy), { username: '', first_name: '', last_name: '', email: '', timezone: '' });
  });

  test('reads inherited fields like any property read', () => {
    const form = Object.create(VALID_FORM);
    assert.deepEqual(perch.validateRegistration(form), { ok: true, errors: {} });
  });
});
