// A TypeScript consumer of the installed package: every function, narrowing
// the unions the way perch.d.ts says they are shaped.
import createPerch, {
  type CallbackResult, type FormField, type MapProfileResult, type Perch, type RegistrationForm,
} from '@perch/wasm';
import createPerchWeb from '@perch/wasm/web';

export async function signUp(search: string, expected: string, userJson: string): Promise<string[]> {
  const perch: Readonly<Perch> = await createPerch();
  const lines: string[] = [];
  const callback: CallbackResult = perch.verifyCallback(search, expected);
  if (callback.outcome === 'approved') {
    if ('state' in callback) lines.push(`oauth2 ${callback.state} ${callback.code} ${callback.errorDescription}`);
    else lines.push(`oauth1 ${callback.oauthToken} ${callback.oauthVerifier}`);
  }
  const mapped: MapProfileResult = perch.mapProfile(userJson);
  if (!mapped.ok) return [...lines, `${mapped.error.code}: ${mapped.error.message}`];
  const timezone: number | null = mapped.profile.timezone;
  const form: RegistrationForm = perch.prefill(mapped.profile);
  const validation = perch.validateRegistration({ ...form, timezone: timezone === null ? 'UTC' : form.timezone });
  for (const field of Object.keys(validation.errors) as FormField[]) {
    lines.push(`${field}: ${validation.errors[field] ?? ''}`);
  }
  lines.push(perch.percentEncode(form.username), String(validation.ok));
  const web = await createPerchWeb();
  lines.push(web.verifyCallback(search, expected).outcome);
  return lines;
}
