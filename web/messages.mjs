// What a person reads for each failure. `action` picks the button:
//   'start' -> "Start again" (back to the start view)
//   'retry' -> "Try again"  (starts a fresh Twitter flow straight away)
//   'reload' -> "Try again" (reloads this page, e.g. the module failed to load)

const MESSAGES = {
  // Outcomes of verifyCallback in the browser (no request was sent).
  no_session: {
    title: 'No sign-up in progress',
    message: 'This tab has no Twitter sign-up waiting to finish. It may have been started in another tab or browser, or already finished.',
    action: 'start',
  },
  missing_params: {
    title: 'Twitter’s reply was incomplete',
    message: 'The address Twitter sent you back to is missing part of its reply, so we cannot finish signing you in.',
    action: 'start',
  },
  token_mismatch: {
    title: 'Stopped for your safety',
    message: 'The reply from Twitter does not match the sign-up started in this tab. For your safety we stopped here.',
    action: 'start',
  },
  malformed: {
    title: 'Twitter’s reply could not be read',
    message: 'The address Twitter sent you back to is malformed. For your safety we stopped here.',
    action: 'start',
  },
  // Errors from the proxy.
  expired: {
    title: 'This sign-up expired',
    message: 'Too much time passed since you started. Please sign in with Twitter again.',
    action: 'retry',
  },
  replayed: {
    title: 'This link was already used',
    message: 'Each reply from Twitter can be used only once, and this one has been. Please sign in with Twitter again.',
    action: 'retry',
  },
  provider_error: {
    title: 'Twitter returned an error',
    message: 'Twitter could not complete the sign-in just now. Please try again in a moment.',
    action: 'retry',
  },
  provider_timeout: {
    title: 'Twitter is not responding',
    message: 'Twitter took too long to answer. Please try again in a moment.',
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
    title: 'Your Twitter profile could not be read',
    message: 'Twitter sent a profile we could not understand, so we cannot pre-fill your account.',
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
  'This Twitter account already has an account — sign in.';
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
