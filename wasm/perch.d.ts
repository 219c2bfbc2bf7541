// Types for perch.mjs: Perch's core compiled to WebAssembly.
//
// No function throws on bad input. Arguments of the wrong type read as empty
// strings (or, for a profile's timezone, as unknown). JS strings become UTF-8;
// a lone surrogate becomes bytes that are not valid UTF-8, so wherever the core
// validates text it is rejected (it is never replaced by a guess).

export type CallbackOutcome =
  | 'approved'          // token (state) matches, verifier (code) present
  | 'denied'            // the user pressed Cancel on X (denied=…, or error=access_denied)
  | 'no_session'        // no expected token: the user came here directly
  | 'missing_params'    // oauth_token/oauth_verifier (state/code) absent or empty
  | 'token_mismatch'    // not the token (state) this browser started with
  | 'malformed'         // bad encoding, duplicates, over-long or odd characters
  | 'provider_refused'; // OAuth 2.0: X answered error=… other than access_denied

/** An OAuth 1.0a callback (oauth_token, oauth_verifier, denied). */
export interface OAuth1CallbackResult {
  outcome: CallbackOutcome;
  oauthToken: string;     // '' unless approved
  oauthVerifier: string;  // '' unless approved
}

/** An OAuth 2.0 callback (state, code, error, error_description). */
export interface OAuth2CallbackResult {
  outcome: CallbackOutcome;
  state: string;             // '' unless approved
  code: string;              // '' unless approved
  error: string;             // X's error for denied / provider_refused, else ''
  errorDescription: string;  // X's error_description, else ''
}

/** The shape follows the query: OAuth 2.0 when it holds state, code or error
 *  and none of oauth_token, oauth_verifier, denied. */
export type CallbackResult = OAuth1CallbackResult | OAuth2CallbackResult;

export interface Profile {
  userId: string;           // decimal text (64-bit ids do not fit a JS number)
  username: string;         // screen_name (v1.1) or username (v2)
  fullName: string;         // name, as X sent it
  firstName: string;
  lastName: string;         // '' for a one-word name
  timezone: number | null;  // v1.1 utc_offset in hours (-4.5); null when unknown (always for v2)
  picture: string;          // original-size https image URL
  email: string;            // v1.1 email or v2 confirmed_email; '' when X did not supply one
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
  /** Checks the callback query (location.search) against what this browser started with: the OAuth 1.0a
   *  request token (oauth_token) or the OAuth 2.0 `state`. */
  verifyCallback(search: string, expectedToken: string): CallbackResult;
  /** Maps a user object (JSON text) to a profile: v1.1 verify_credentials, a v2
   *  user object, or a v2 answer {"data":{…}}. {"errors":[…]} → ok: false. */
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
