// `perch-proxy rotate-token-key`: re-seals every stored Twitter token under a
// new token key (token_key_rotation.h), for an operator with the proxies stopped.
#pragma once

#include <iosfwd>
#include <string>

#include "app/settings/config.h"

namespace perch {

// `argv[0]` is "rotate-token-key"; settings as in load_rotation_config. Writes
// the summary ("... re-sealed N tokens of M accounts ...") to `out`, or ONE
// line to `err` that names the setting or the account row at fault, never a
// key or token. Returns the exit status: 0 done; 2 a setting is missing or
// malformed, or PERCH_TOKEN_KEY is not the database's key; 1 the database is
// missing, not Perch's, in use, holds a token that does not open, or failed.
// On any failure the database is as it was.
int run_rotate_token_key_command(int argc, const char* const* argv, const EnvLookup& env,
                                 const std::string& version, std::ostream& out, std::ostream& err);

}  // namespace perch
