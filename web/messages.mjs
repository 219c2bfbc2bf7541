// What a person reads for each failure. `action` picks the button:
//   'start' -> "Start again" (back to the start view)
//   'retry' -> "Try again"  (starts a fresh X flow straight away)
//   'reload' -> "Try again" (reloads this page, e.g. the module failed to load)

const MESSAGES = {
  // Outcomes of verifyCallback in the browser (no request was sent).
  no_session: {
    title: 'No sign-up in progress',
    message: 'This tab has no X sign-up waiting to finish. It may have been started in another tab or browser, or already finished.',
    action: 'start',
  },
  missing_params: {
    title: 'X’s reply was incomplete',
    message: 'The address X sent you back to is missing part of its reply, so we cannot finish signing you in.',
    action: 'start',
  },
  token_mismatch: {
    title: 'Stopped for your safety',
    message: 'The reply from X does not match the sign-up started in this tab. For your safety we stopped here.',
    action: 'start',
  },
  malformed: {
    title: 'X’s reply could not be read',
    message: 'The address X sent you back to is malformed. For your safety we stopped here.',
    action: 'start',
  },
  // Errors from the proxy.
  expired: {
    title: 'This sign-up expired',
    message: 'Too much time passed since you started. Please sign in with X again.',
    action: 'retry',
  },
  replayed: {
    title: 'This link was already used',
    message: 'Each reply from X can be used only once, and this one has been. Please sign in with X again.',
    action: 'retry',
  },
  provider_error: {
    title: 'X returned an error',
    message: 'X could not complete the sign-in just now. Please try again in a moment.',
    action: 'retry',
  },
  provider_timeout: {
    title: 'X is not responding',
    message: 'X took too long to answer. Please try again in a moment.',
    action: 'retry',
  },
  provider_refused: {
    title: 'X refused the sign-in',
    message: 'X did not allow this sign-in. The site’s operator can see why; please try again later.',
    action: 'start',
  },
  grant_refused: {
    title: 'X did not accept this sign-in',
    message: 'The approval from X expired or was already used. Please sign in with X again.',
    action: 'retry',
  },
  provider_rate_limited: {
    title: 'X is busy',
    message: 'X is limiting sign-ins right now. Please try again in a few minutes.',
    action: 'retry',
  },
  network: {
    title: 'Cannot reach Perch',
    message: 'We could not reach the Perch server. Check your connection and try again.',
    action: 'retry',
  },
  network_timeout: {
    title: 'Perch is not responding',
    message: 'The Perch server took too long to answer. Please try again.',
    action: 'retry',
  },
  unauthorized: {
    title: 'Your sign-up session ended',
    message: 'Your session expired before the account was created. Please start again.',
    action: 'start',
  },
  profile: {
    title: 'Your X profile could not be read',
    message: 'X sent a profile we could not understand, so we cannot pre-fill your account.',
    action: 'start',
  },
  module: {
    title: 'The page could not load',
    message: 'Part of this page failed to load. Check your connection and try again.',
    action: 'reload',
  },
  rate_limited: {
    title: 'Too many attempts',
    message: 'Please wait a minute before trying again.',
    action: 'retry',
  },
};

export const CANCELLED_NOTICE = 'Sign-up cancelled. You can start again whenever you like.';
export const ALREADY_REGISTERED =
  'This X account already has an account — sign in.';
export const USERNAME_TAKEN = 'That username is taken. Please choose another.';

// Unknown codes still get a clear message; the proxy's own message (plain
// text, never a secret) is shown after ours.
export function describe(code, serverMessage = '') {
  const known = MESSAGES[code];
  if (known) return known;
  const detail = serverMessage ? ` (${serverMessage})` : '';
  return {
    title: 'Something went wrong',
    message: `We could not finish signing you in${detail}. Please try again.`,
    action: 'retry',
  };
}
