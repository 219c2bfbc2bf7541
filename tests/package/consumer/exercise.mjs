// Calls every function of a createPerch() instance on fixed inputs and returns
// what came back, so node and the browser can be compared with one
// expectation (and the result's keys with perch.d.ts).
export async function exercise(createPerch) {
  const perch = await createPerch();
  const user = JSON.stringify({ data: { id: '1466796521412771840', username: 'jose_nunez',
                                        name: 'José Ñúñez', confirmed_email: 'jose@example.com' } });
  const mapped = perch.mapProfile(user);
  return {
    keys: Object.keys(perch),
    frozen: Object.isFrozen(perch),
    oauth2: perch.verifyCallback('?state=st4te-abc&code=c0de-xyz', 'st4te-abc'),
    oauth1: perch.verifyCallback('?oauth_token=tok&oauth_verifier=ver', 'tok'),
    mismatch: perch.verifyCallback('?state=other&code=c0de-xyz', 'st4te-abc'),
    mapped,
    mapError: perch.mapProfile('{'),
    form: perch.prefill(mapped.profile),
    validation: perch.validateRegistration({ username: '', first_name: 'José', last_name: '',
                                             email: 'jose@example.com', timezone: 'UTC' }),
    encoded: perch.percentEncode('a b+☃'),
  };
}
