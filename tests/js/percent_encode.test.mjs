import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { perch } from './load_perch.mjs';

// An independent oracle for well-formed strings: encodeURIComponent leaves
// ! ' ( ) * unescaped, RFC 5849 §3.6 does not.
const oracle = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

describe('percentEncode', () => {
  test("encodes Twitter's documented examples", () => {
    assert.equal(perch.percentEncode('Ladies + Gentlemen'), 'Ladies%20%2B%20Gentlemen');
    assert.equal(perch.percentEncode('An encoded string!'), 'An%20encoded%20string%21');
    assert.equal(perch.percentEncode('Dogs, Cats & Mice'), 'Dogs%2C%20Cats%20%26%20Mice');
    assert.equal(perch.percentEncode('☃'), '%E2%98%83');
  });

  test('passes exactly the unreserved characters and upper-cases hex', () => {
    const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
    assert.equal(perch.percentEncode(unreserved), unreserved);
    assert.equal(perch.percentEncode("!*'();:@&=+$,/?#[]% "),
                 '%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25%20');
    assert.equal(perch.percentEncode('\u00ff\n'), '%C3%BF%0A');
  });

  test('encodes every ASCII character as the oracle does', () => {
    for (let c = 0; c < 0x80; c++) {
      const text = String.fromCharCode(c);
      assert.equal(perch.percentEncode(text), oracle(text), `U+${c.toString(16)}`);
    }
  });

  test('encodes every Unicode scalar value as UTF-8 bytes, as the oracle does', () => {
    let chunk = '';
    const flush = () => {
      assert.equal(perch.percentEncode(chunk), oracle(chunk));
      chunk = '';
    };
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      chunk += String.fromCodePoint(cp);
      if (chunk.length >= 8192) flush();
    }
    flush();
  });

  test('encodes NUL and the empty string', () => {
    assert.equal(perch.percentEncode('a\0b'), 'a%00b');
    assert.equal(perch.percentEncode(''), '');
  });

  test('encodes a lone surrogate as its generalized UTF-8 bytes, never as another character', () => {
    assert.equal(perch.percentEncode('\uD800'), '%ED%A0%80');
    assert.equal(perch.percentEncode('\uDFFF'), '%ED%BF%BF');
    assert.equal(perch.percentEncode('\uD800A'), '%ED%A0%80A');
    assert.equal(perch.percentEncode('x\uDC00\uD800y'), 'x%ED%B0%80%ED%A0%80y');  // reversed pair
    assert.equal(perch.percentEncode('\uD83D\uDE00'), '%F0%9F%98%80');          // a real pair
  });

  test('treats a non-string as the empty string', () => {
    for (const value of [undefined, null, 42, 0, true, {}, [], ['a'], new String('abc'), Symbol('s'), 10n]) {
      assert.equal(perch.percentEncode(value), '', String(typeof value));
    }
    assert.equal(perch.percentEncode(), '');
  });

  test('encodes a large string whole', () => {
    const text = 'é'.repeat(1024 * 1024);
    assert.equal(perch.percentEncode(text), '%C3%A9'.repeat(1024 * 1024));
  });
});
