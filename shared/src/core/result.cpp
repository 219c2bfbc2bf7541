#include "core/result.h"

namespace perch {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::invalid_encoding: return "invalid_encoding";
        case ErrorCode::too_long: return "too_long";
        case ErrorCode::too_many: return "too_many";
        case ErrorCode::invalid_uri: return "invalid_uri";
        case ErrorCode::invalid_json: return "invalid_json";
        case ErrorCode::missing_field: return "missing_field";
        case ErrorCode::invalid_field: return "invalid_field";
        case ErrorCode::provider_error: return "provider_error";
    }
    return "unknown";
}

}  // namespace perch
