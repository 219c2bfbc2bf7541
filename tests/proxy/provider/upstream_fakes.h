// Deterministic stand-ins for the clock, randomness and the network, shared by
// the upstream tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/crypto.h"
#include "net/http_types.h"

namespace perch::test {

class FixedClock final : public Clock {
public:
    explicit FixedClock(std::int64_t seconds) : seconds_(seconds) {}
    std::int64_t unix_seconds() const override { return seconds_; }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::time_point(std::chrono::seconds(seconds_));
    }

private:
    std::int64_t seconds_;
};

// Hands out the given bytes in order, then repeats them.
class ScriptedRandom final : public RandomSource {
public:
    explicit ScriptedRandom(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {}
    void fill(unsigned char* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = bytes_[next_ % bytes_.size()];
            ++next_;
        }
        requested_.push_back(size);
    }
    const std::vector<std::size_t>& requested() const { return requested_; }

private:
    std::vector<unsigned char> bytes_;
    std::size_t next_ = 0;
    std::vector<std::size_t> requested_;
};

// Records every request and answers from a queue of canned results.
class FakeTransport final : public HttpTransport {
public:
    using Answer = TransportResult;

    void answer(int status, std::string body, Headers headers = {}) {
        answers_.push_back(IncomingResponse{status, std::move(headers), std::move(body)});
    }
    void fail(TransportFailure failure, std::string message) {
        answers_.push_back(TransportError{failure, std::move(message)});
    }

    Answer send(const OutgoingRequest& request) override {
        requests.push_back(request);
        if (answers_.empty()) return TransportError{TransportFailure::connection, "no canned answer"};
        Answer next = std::move(answers_.front());
        answers_.pop_front();
        return next;
    }

    std::vector<OutgoingRequest> requests;

private:
    std::deque<Answer> answers_;
};

}  // namespace perch::test
