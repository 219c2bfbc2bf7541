#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "base/crypto.h"

namespace {

std::string hex_hmac(perch::HmacDigest digest, std::string_view key, std::string_view message) {
    unsigned char out[64];
    const std::size_t length = perch::hmac(digest, key, message, out);
    static const char* const digits = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < length; ++i) {
        hex += digits[out[i] >> 4];
        hex += digits[out[i] & 15];
    }
    return hex;
}

std::string draw(perch::RandomSource& random, std::size_t size) {
    std::string bytes(size, '\0');
    random.fill(reinterpret_cast<unsigned char*>(bytes.data()), size);
    return bytes;
}

}  // namespace

TEST_CASE("hmac matches RFC 2202 (SHA-1) and RFC 4231 (SHA-256), also with the key changing between calls") {
    const char* const message = "what do ya want for nothing?";
    for (int round = 0; round < 3; ++round) {
        CHECK(hex_hmac(perch::HmacDigest::sha1, "Jefe", message) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        CHECK(hex_hmac(perch::HmacDigest::sha256, "Jefe", message) ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // RFC 2202 test case 1: a 20-byte key of 0x0b.
        CHECK(hex_hmac(perch::HmacDigest::sha1, std::string(20, '\x0b'), "Hi There") ==
              "b617318655057264e28bc0b6fb378c8ef146be00");
    }
    CHECK(perch::hmac_sha1_base64("Jefe", message) == "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST_CASE("hmac gives the same answers on several threads at once") {
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&wrong, t] {
            for (int i = 0; i < 500; ++i) {
                if (hex_hmac(perch::HmacDigest::sha256, "Jefe", "what do ya want for nothing?") !=
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") {
                    ++wrong[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("SecureRandom never repeats a draw, small (buffered) or large (direct), across threads") {
    perch::SecureRandom random;
    std::set<std::string> seen;
    // 16, 48 and 100 bytes: draws straddle the per-thread buffer's refills.
    for (std::size_t size : {16u, 48u, 100u}) {
        for (int i = 0; i < 3000; ++i) CHECK(seen.insert(draw(random, size)).second);
    }
    for (int i = 0; i < 20; ++i) CHECK(seen.insert(draw(random, 4096)).second);

    std::vector<std::string> other_thread;
    std::thread([&] {
        perch::SecureRandom own;
        for (int i = 0; i < 1000; ++i) other_thread.push_back(draw(own, 16));
    }).join();
    for (const std::string& bytes : other_thread) CHECK(seen.insert(bytes).second);
}

TEST_CASE("after fork the child never hands out the bytes its parent has buffered") {
    perch::SecureRandom random;
    draw(random, 16);  // the parent's buffer now holds bytes not yet handed out
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const std::string bytes = draw(random, 16);
        const bool sent = write(pipe_fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        _exit(sent ? 0 : 1);
    }
    close(pipe_fds[1]);
    const std::string parent = draw(random, 16);
    std::string from_child(16, '\0');
    std::size_t got = 0;
    while (got < from_child.size()) {
        const ssize_t n = read(pipe_fds[0], from_child.data() + got, from_child.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(got == 16);
    CHECK(from_child != parent);
}
