#include "base/crypto.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace perch {

namespace {

[[noreturn]] void hmac_failed() {
    std::fputs("perch: OpenSSL HMAC failed; stopping\n", stderr);
    std::abort();
}

// One HMAC context per thread and digest, its digest set once. OpenSSL 3's
// one-shot HMAC() looks the MAC and the digest up by name on every call,
// under a lock that every worker thread shares; EVP_MAC_init with only a new
// key reuses what the context already holds.
class HmacContexts {
public:
    ~HmacContexts() {
        for (EVP_MAC_CTX* ctx : contexts_) EVP_MAC_CTX_free(ctx);
    }

    EVP_MAC_CTX* get(HmacDigest digest) {
        const auto index = static_cast<std::size_t>(digest);
        if (contexts_[index] == nullptr) contexts_[index] = make(digest == HmacDigest::sha1 ? "SHA1" : "SHA256");
        return contexts_[index];
    }

private:
    static EVP_MAC_CTX* make(const char* digest_name) {
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
        EVP_MAC_free(mac);  // the context holds its own reference
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name), 0),
            OSSL_PARAM_construct_end()};
        if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) hmac_failed();
        return ctx;
    }

    EVP_MAC_CTX* contexts_[2] = {nullptr, nullptr};
};

}  // namespace

std::size_t hmac(HmacDigest digest, std::string_view key, std::string_view message, unsigned char* out) {
    thread_local HmacContexts contexts;
    EVP_MAC_CTX* ctx = contexts.get(digest);
    std::size_t length = 0;
    if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
        EVP_MAC_final(ctx, out, &length, EVP_MAX_MD_SIZE) != 1) {
        hmac_failed();
    }
    return length;
}

std::string hmac_sha1_base64(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    const std::size_t length = hmac(HmacDigest::sha1, key, message, digest);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

namespace {

void rand_bytes(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) {
        std::fputs("perch: OpenSSL RAND_bytes failed; refusing to continue without a CSPRNG\n", stderr);
        std::abort();
    }
}

// A child of fork() must never hand out the bytes its parent buffered.
std::atomic<unsigned> fork_generation{0};
std::once_flag fork_handler_once;

// Each RAND_bytes call takes OpenSSL's DRBG lock and checks the process id;
// one call per 1 KiB a thread hands out costs far less. The bytes waiting in
// the buffer are no more exposed than the DRBG state that would produce them,
// and handed-out bytes are wiped at once, so a later look at memory shows no
// session id or key that was issued.
struct RandomBuffer {
    static constexpr std::size_t capacity = 1024;
    unsigned char bytes[capacity];
    std::size_t next = capacity;  // bytes[next..] are unused
    unsigned generation = 0;

    ~RandomBuffer() { OPENSSL_cleanse(bytes, capacity); }

    void take(unsigned char* out, std::size_t size) {
        const unsigned now = fork_generation.load(std::memory_order_acquire);
        if (generation != now) {
            next = capacity;
            generation = now;
        }
        while (size > 0) {
            if (next == capacity) {
                rand_bytes(bytes, capacity);
                next = 0;
            }
            const std::size_t n = std::min(size, capacity - next);
            std::memcpy(out, bytes + next, n);
            OPENSSL_cleanse(bytes + next, n);
            next += n;
            out += n;
            size -= n;
        }
    }
};

}  // namespace

void SecureRandom::fill(unsigned char* out, std::size_t size) {
    std::call_once(fork_handler_once, [] {
        pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_acq_rel); });
    });
    // Draws above 128 bytes come straight from the DRBG.
    if (size > RandomBuffer::capacity / 8) {
        rand_bytes(out, size);
        return;
    }
    thread_local RandomBuffer buffer;
    buffer.take(out, size);
}

bool is_base64url_text(std::string_view text) {
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string random_token(RandomSource& random, std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    random.fill(raw.data(), raw.size());
    std::string text = base64_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return text;
}

}  // namespace perch
