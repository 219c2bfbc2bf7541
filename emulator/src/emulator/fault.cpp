#include "emulator/fault.h"

#include <array>
#include <utility>

namespace perch::emulator {
namespace {

constexpr std::array<std::pair<FaultMode, std::string_view>, 7> mode_names{{
    {FaultMode::none, "none"},
    {FaultMode::http500, "http500"},
    {FaultMode::http401, "http401"},
    {FaultMode::http429, "http429"},
    {FaultMode::garbage, "garbage"},
    {FaultMode::slow, "slow"},
    {FaultMode::drop, "drop"},
}};

constexpr std::array<std::pair<FaultEndpoint, std::string_view>, 6> endpoint_names{{
    {FaultEndpoint::request_token, "request_token"},
    {FaultEndpoint::access_token, "access_token"},
    {FaultEndpoint::verify_credentials, "verify_credentials"},
    {FaultEndpoint::token, "token"},
    {FaultEndpoint::users_me, "users_me"},
    {FaultEndpoint::all, "all"},
}};

}  // namespace

std::string_view to_string(FaultMode mode) {
    for (const auto& [value, name] : mode_names)
        if (value == mode) return name;
    return "none";
}

std::string_view to_string(FaultEndpoint endpoint) {
    for (const auto& [value, name] : endpoint_names)
        if (value == endpoint) return name;
    return "all";
}

std::optional<FaultMode> parse_fault_mode(std::string_view text) {
    for (const auto& [value, name] : mode_names)
        if (name == text) return value;
    return std::nullopt;
}

std::optional<FaultEndpoint> parse_fault_endpoint(std::string_view text) {
    for (const auto& [value, name] : endpoint_names)
        if (name == text) return value;
    return std::nullopt;
}

bool FaultPlan::applies_to(FaultEndpoint endpoint) const {
    if (mode == FaultMode::none || endpoint == FaultEndpoint::all) return false;
    return on == FaultEndpoint::all || on == endpoint;
}

FaultPlan FaultSwitch::get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return plan_;
}

void FaultSwitch::set(const FaultPlan& plan) {
    std::lock_guard<std::mutex> lock(mutex_);
    plan_ = plan;
}

std::string fault_mode_names() {
    std::string names;
    for (const auto& [value, name] : mode_names) names += (names.empty() ? "" : ", ") + std::string(name);
    return names;
}

std::string fault_endpoint_names() {
    std::string names;
    for (const auto& [value, name] : endpoint_names) names += (names.empty() ? "" : ", ") + std::string(name);
    return names;
}

}  // namespace perch::emulator
