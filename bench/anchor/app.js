// The anchor Perch is measured against: "Sign in with Twitter" the way
// passport-twitter's README and most Express tutorials do it. Express,
// express-session with its default MemoryStore, passport + passport-twitter;
// the same steps as perch-proxy: GET /auth/twitter (request_token, the token
// secret kept in the session, 302 to the provider) and GET
// /auth/twitter/callback (access_token, the profile call, the user in a
// regenerated session, 302 to "/").
//
//   node app.js   with ANCHOR_PROVIDER=http://127.0.0.1:PORT (the provider's origin),
//                 ANCHOR_CONSUMER_KEY, ANCHOR_CONSUMER_SECRET, ANCHOR_SESSION_SECRET
// Listens on a free 127.0.0.1 port and prints "listening on http://127.0.0.1:PORT".
'use strict';

const express = require('express');
const session = require('express-session');
const passport = require('passport');
const { Strategy: TwitterStrategy } = require('passport-twitter');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`anchor: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const provider = required('ANCHOR_PROVIDER');
if (!provider.startsWith('http://127.')) {
  console.error('anchor: ANCHOR_PROVIDER must be http://127.x.y.z:PORT (loopback only)');
  process.exit(2);
}

const app = express();
const server = app.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  passport.use(new TwitterStrategy({
    consumerKey: required('ANCHOR_CONSUMER_KEY'),
    consumerSecret: required('ANCHOR_CONSUMER_SECRET'),
    callbackURL: `${origin}/auth/twitter/callback`,
    requestTokenURL: `${provider}/oauth/request_token`,
    accessTokenURL: `${provider}/oauth/access_token`,
    userAuthorizationURL: `${provider}/oauth/authenticate`,
    userProfileURL: `${provider}/1.1/account/verify_credentials.json`,
    includeEmail: true,
  }, (token, tokenSecret, profile, done) => {
    done(null, { id: profile.id, username: profile.username, name: profile.displayName });
  }));
  console.log(`listening on ${origin}`);
});

passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user, done) => done(null, user));

app.use(session({
  secret: required('ANCHOR_SESSION_SECRET'),
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax' },
}));
app.use(passport.initialize());
app.use(passport.session());

app.get('/auth/twitter', passport.authenticate('twitter'));
app.get('/auth/twitter/callback',
  passport.authenticate('twitter', { failureRedirect: '/login', successRedirect: '/' }));
app.get('/me', (req, res) => {
  if (!req.user) return res.status(401).json({ error: 'not signed in' });
  res.json(req.user);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
