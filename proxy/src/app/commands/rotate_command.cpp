#include "app/commands/rotate_command.h"

#include <algorithm>
#include <ostream>

#include <openssl/crypto.h>

#include "base/crypto.h"
#include "store/token_cipher.h"
#include "store/token_key_rotation.h"

namespace perch {

namespace {

constexpr const char* prefix = "perch-proxy rotate-token-key: ";

void write_line(std::ostream& stream, std::string line) {
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    stream << prefix << line << std::endl;
}

// The one line for a failed rotation and its exit status.
int report_failure(const AccountError& error, const std::string& database, std::ostream& err) {
    const std::string unchanged = "; nothing was changed";
    switch (error.kind) {
        case AccountErrorKind::token_key_mismatch:
            write_line(err, "PERCH_TOKEN_KEY does not match the key this database's tokens are sealed with" +
                                unchanged);
            return 2;
        case AccountErrorKind::database_in_use:
            write_line(err, "PERCH_DATABASE " + database +
                                " is in use by another process: stop every perch-proxy using it, then run "
                                "rotate-token-key again" + unchanged);
            return 1;
        case AccountErrorKind::token_unreadable:
            write_line(err, error.message + unchanged +
                                ". Restore that account row from a backup, or delete the account (the person "
                                "signs up again), then run rotate-token-key again");
            return 1;
        case AccountErrorKind::schema_refused:
            write_line(err, "PERCH_DATABASE " + database + " refused: " + error.message + unchanged);
            return 1;
        default:
            write_line(err, "PERCH_DATABASE " + database + ": " + error.message + unchanged);
            return 1;
    }
}

}  // namespace

int run_rotate_token_key_command(int argc, const char* const* argv, const EnvLookup& env,
                                 const std::string& version, std::ostream& out, std::ostream& err) {
    auto loaded = load_rotation_config(argc, argv, env, version);
    if (!loaded) {
        write_line(err, loaded.error().message);
        return 2;
    }
    if (loaded.value().action == ConfigAction::print_and_exit) {
        out << loaded.value().text;
        return 0;
    }
    RotationConfig& config = loaded.value().config;
    SecureRandom random;
    const TokenCipher current(*config.token_key, random);
    const TokenCipher next(*config.new_token_key, random);
    // Each cipher keeps its own copy (wiped on destruction); no other copy stays.
    OPENSSL_cleanse(config.token_key->data(), config.token_key->size());
    OPENSSL_cleanse(config.new_token_key->data(), config.new_token_key->size());

    const auto rotated = rotate_token_key(config.database, current, next);
    if (!rotated) return report_failure(rotated.error(), config.database, err);
    write_line(out, "re-sealed " + std::to_string(rotated.value().tokens) + " tokens of " +
                        std::to_string(rotated.value().accounts) + " accounts in " + config.database +
                        "; start perch-proxy with the new key as PERCH_TOKEN_KEY");
    return 0;
}

}  // namespace perch
