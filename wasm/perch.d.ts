// Types for perch.mjs: Perch's core compiled to WebAssembly.
//
// No function throws on bad input. Arguments of the wrong type read as empty
// strings (or, for a profile's timezone, as unknown). JS strings become UTF-8;
// a lone surrogate becomes bytes that are not valid UTF-8, so wherever the core
// validates text it is rejected (it is never replaced by a guess).

export type CallbackOutcome =
  | 'approved'        // token matches, verifier present
  | 'denied'          // the user pressed Cancel on Twitter
  | 'no_session'      // no expected token: the user came here directly
  | 'missing_params'  // oauth_token or oauth_verifier absent or empty
  | 'token_mismatch'  // not the token this browser started with
  | 'malformed';      // bad encoding, duplicates, over-long or odd characters

export interface CallbackResult {
  outcome: CallbackOutcome;
  oauthToken: string;     // '' unless approved
  oauthVerifier: string;  // '' unless approved
}

export interface Profile {
  userId: string;           // decimal text (64-bit ids do not fit a JS number)
  username: string;         // screen_name
  fullName: string;         // name, as Twitter sent it
  firstName: string;
  lastName: string;         // '' for a one-word name
  timezone: number | null;  // utc_offset in hours (-4.5); null when unknown
  picture: string;          // original-size https image URL
  email: string;            // '' when Twitter did not supply one
}

export type ErrorCode =
  | 'invalid_encoding'
  | 'too_long'
  | 'too_many'
  | 'invalid_uri'
  | 'invalid_json'
  | 'missing_field'
  | 'invalid_field'
  | 'provider_error';

export interface PerchError {
  code: ErrorCode;
  message: string;
}

export type MapProfileResult =
  | { ok: true; profile: Profile }
  | { ok: false; error: PerchError };

export interface RegistrationForm {
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  timezone: string;  // IANA name ("Europe/Berlin"), "UTC", "UTC+05:30", ...
}

export type FormField = keyof RegistrationForm;

export interface Validation {
  ok: boolean;                                       // true when errors is empty
  errors: { [field in FormField]?: string };         // every failing field, in form order
}

export interface Perch {
  /** Checks the callback query (location.search) against the request token this browser started with. */
  verifyCallback(search: string, expectedToken: string): CallbackResult;
  /** Maps a verify_credentials user object (JSON text) to a profile. */
  mapProfile(userJsonText: string): MapProfileResult;
  /** The registration form pre-filled from a profile. */
  prefill(profile: Partial<Profile>): RegistrationForm;
  /** Validates every field at once. Missing or non-string fields read as ''. */
  validateRegistration(form: Partial<RegistrationForm>): Validation;
  /** RFC 5849 §3.6 percent-encoding of the UTF-8 bytes of `text`. */
  percentEncode(text: string): string;
}

/** Instantiates the module. Each call makes an independent instance. */
export default function createPerch(): Promise<Readonly<Perch>>;
