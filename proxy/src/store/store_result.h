// The one failure every store can have besides its own answers: the server
// behind it (Redis, PostgreSQL) could not be reached or did not answer in time.
// Routes answer it with 503 "unavailable"; the message is for the operator's
// log and names the server with its password masked.
#pragma once

#include <string>

#include "core/result.h"

namespace perch {

struct StoreUnavailable {
    std::string message;
};

template <typename T>
using StoreResult = Result<T, StoreUnavailable>;

}  // namespace perch
