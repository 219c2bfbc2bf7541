// Appended inside the module factory (--post-js). createPerch() resolves to a
// small frozen object instead of the Emscripten Module: only the five
// functions, each with a fixed arity (embind throws when a call passes fewer
// or more arguments than the C++ signature has).
(function () {
  var PROFILE_KEYS = ['userId', 'username', 'fullName', 'firstName', 'lastName',
                      'timezone', 'picture', 'email'];
  var FORM_KEYS = ['username', 'first_name', 'last_name', 'email', 'timezone'];

  // Copies the keys we read into a plain object. A getter or Proxy trap that
  // throws counts as a missing field, so no user code runs (or throws) while
  // C++ is on the stack.
  function snapshot(value, keys) {
    var copy = {};
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return copy;
    for (var i = 0; i < keys.length; i++) {
      try {
        copy[keys[i]] = value[keys[i]];
      } catch (e) {
        // left out: reads as missing
      }
    }
    return copy;
  }

  Module['ready'] = Module['ready'].then(function (module) {
    var verifyCallback = module['verifyCallback'];
    var mapProfile = module['mapProfile'];
    var prefill = module['prefill'];
    var validateRegistration = module['validateRegistration'];
    var percentEncode = module['percentEncode'];
    return Object.freeze({
      'verifyCallback': function (search, expectedToken) {
        return verifyCallback(search, expectedToken);
      },
      'mapProfile': function (userJsonText) {
        return mapProfile(userJsonText);
      },
      'prefill': function (profile) {
        return prefill(snapshot(profile, PROFILE_KEYS));
      },
      'validateRegistration': function (form) {
        return validateRegistration(snapshot(form, FORM_KEYS));
      },
      'percentEncode': function (text) {
        return percentEncode(text);
      }
    });
  });
})();
