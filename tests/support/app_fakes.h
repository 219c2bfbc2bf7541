// Deterministic stand-ins for the app tests: a settable clock, counting
// randomness and a scripted TwitterClient.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "provider/twitter_client.h"

namespace perch::testing {

class FakeClock final : public Clock {
public:
    std::int64_t unix_seconds() const override { return 1700000000 + offset_seconds(); }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::time_point(std::chrono::seconds(1000 + offset_seconds()));
    }
    void advance(std::chrono::seconds by) { offset_ += by.count(); }

private:
    std::int64_t offset_seconds() const { return offset_.load(); }
    std::atomic<std::int64_t> offset_{0};
};

// Each fill() gives bytes no earlier fill() gave, so ids never collide by accident.
class CountingRandom final : public RandomSource {
public:
    void fill(unsigned char* out, std::size_t size) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ++counter_;
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = static_cast<unsigned char>((counter_ >> (8 * (i % 8))) ^ (i * 37));
        }
    }

private:
    std::mutex mutex_;
    std::uint64_t counter_ = 0;
};

inline const std::string consumer_secret = "CONSUMER-SECRET-kd93jf";
inline const std::string request_secret_prefix = "RT-SECRET-";
inline const std::string access_secret_prefix = "AT-SECRET-";

// Scripted provider: request tokens "rt1", "rt2", ... with secrets
// "RT-SECRET-1", ...; access tokens for the verifier "good-verifier".
class FakeTwitterClient final : public TwitterClient {
public:
    ProviderResult<RequestToken> request_token() override {
        const int n = ++request_token_calls;
        if (request_token_failure) return *request_token_failure;
        return RequestToken{"rt" + std::to_string(n), request_secret_prefix + std::to_string(n)};
    }
    std::string authenticate_url(const std::string& token) const override {
        return "https://api.twitter.example/oauth/authenticate?oauth_token=" + token;
    }
    ProviderResult<AccessToken> access_token(const RequestToken& token, const std::string& verifier) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            exchanged.push_back(token);
            verifiers.push_back(verifier);
        }
        ++access_token_calls;
        if (access_token_failure) return *access_token_failure;
        return AccessToken{"at-" + token.token, access_secret_prefix + token.token, "1234567890123456789",
                           "perch_tester"};
    }
    ProviderResult<VerifiedUser> verify_credentials(const AccessToken& access) override {
        ++verify_calls;
        if (verify_failure) return *verify_failure;
        nlohmann::json user{{"id_str", access.user_id},
                            {"id", 1234567890123456789ULL},
                            {"screen_name", access.screen_name},
                            {"name", "Zoë Tester"},
                            {"profile_image_url_https", "https://pbs.twimg.com/profile_images/1/a_normal.jpg"}};
        return VerifiedUser{user, access.user_id};
    }

    std::optional<ProviderFailure> request_token_failure;
    std::optional<ProviderFailure> access_token_failure;
    std::optional<ProviderFailure> verify_failure;
    std::atomic<int> request_token_calls{0};
    std::atomic<int> access_token_calls{0};
    std::atomic<int> verify_calls{0};
    std::vector<RequestToken> exchanged;  // what access_token() was given (under mutex_)
    std::vector<std::string> verifiers;

private:
    std::mutex mutex_;
};

// A fresh empty folder under the system temp dir, removed on destruction.
class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("perch-app-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace perch::testing
