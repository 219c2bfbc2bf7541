// perch-emulator's command line (CLI11), parsed into an EmulatorConfig.
#pragma once

#include <optional>
#include <string>

#include "emulator/emulator_config.h"

namespace perch::emulator {

struct CliOutcome {
    std::optional<EmulatorConfig> config;  // set when the emulator should start
    int exit_code = 0;                     // otherwise: exit with this
    std::string output;                    // for stdout (--help, --version)
    std::string error;                     // one line for stderr
};

// Validates everything start-up needs, including reading --user FILE.json,
// so a bad setting stops the emulator with one clear line.
CliOutcome parse_command_line(int argc, const char* const* argv);

}  // namespace perch::emulator
