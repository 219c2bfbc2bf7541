// Uses the package the way perch.d.ts forbids: type-checking this must fail.
import createPerch from '@perch/wasm';

export async function wrong(): Promise<string> {
  const perch = await createPerch();
  const callback = perch.verifyCallback('?state=a&code=b');  // the expected token is missing
  return callback.code;                                        // not narrowed to OAuth 2.0
}
