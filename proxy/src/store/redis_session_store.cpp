#include "store/redis_session_store.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/key_derivation.h"

namespace perch {

namespace {

constexpr const char* index_key = "perch:sessions";

// Milliseconds on Redis's own clock, so every instance judges expiry alike;
// and keep_index(key, ttl): the index lives as long as its longest-lived
// session, and no longer.
#define PERCH_REDIS_NOW                                                                         \
    "local t = redis.call('TIME')\n"                                                            \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                   \
    "local function keep_index(key, ttl)\n"                                                     \
    "  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end\n"  \
    "end\n"

// KEYS: session, index. ARGV: sealed value, ttl ms, max sessions.
// 1 made, 0 full, -1 the key exists (a fresh id collided: never in practice).
const RedisScript create_script(PERCH_REDIS_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'c', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
keep_index(KEYS[2], ARGV[2])
return 1
)lua");

// KEYS: session, index. ARGV: idle ms, absolute ms. The sealed value of a
// live session, its expiry pushed to min(idle, what is left of its lifetime).
const RedisScript read_script(PERCH_REDIS_NOW R"lua(
local c = redis.call('HGET', KEYS[1], 'c')
if not c then
  redis.call('ZREM', KEYS[2], KEYS[1])
  return false
end
local left = tonumber(c) + tonumber(ARGV[2]) - now
if left <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
  return false
end
local ttl = math.min(tonumber(ARGV[1]), left)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
keep_index(KEYS[2], ttl)
return redis.call('HGET', KEYS[1], 'v')
)lua");

// KEYS: old session, new session, index. ARGV: sealed value for the new key,
// ttl ms, absolute ms. 1 rotated; 0 the old one is gone (another rotation or
// sign-out won); -1 the new key exists.
const RedisScript rotate_script(PERCH_REDIS_NOW R"lua(
local c = redis.call('HGET', KEYS[1], 'c')
if not c then return 0 end
if tonumber(c) + tonumber(ARGV[3]) - now <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], KEYS[1])
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], KEYS[1])
redis.call('HSET', KEYS[2], 'v', ARGV[1], 'c', now)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), KEYS[2])
keep_index(KEYS[3], ARGV[2])
return 1
)lua");

// KEYS: session, index. 1 if there was one.
const RedisScript destroy_script(R"lua(
redis.call('ZREM', KEYS[2], KEYS[1])
return redis.call('DEL', KEYS[1])
)lua");

// KEYS: index.
const RedisScript size_script(PERCH_REDIS_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
)lua");

#undef PERCH_REDIS_NOW

std::string to_hex(const unsigned char* bytes, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0x0f];
    }
    return out;
}

bool from_hex(std::string_view hex, unsigned char* out, std::size_t size) {
    if (hex.size() != 2 * size) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < size; ++i) {
        const int high = nibble(hex[2 * i]);
        const int low = nibble(hex[2 * i + 1]);
        if (high < 0 || low < 0) return false;
        out[i] = static_cast<unsigned char>(high * 16 + low);
    }
    return true;
}

long long millis(std::chrono::seconds seconds) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(seconds).count();
}

StoreUnavailable script_failed(const RedisReply& reply) {
    return StoreUnavailable{"Redis refused a session script: " + reply.text};
}

}  // namespace

RedisSessionStore::RedisSessionStore(RedisClient& redis, const SessionLimits& limits, const TokenKey& master,
                                     RandomSource& random)
    : redis_(redis),
      limits_(limits),
      random_(random),
      name_key_(derive_key(master, "perch redis session name v1")),
      cipher_(derive_key(master, "perch redis session seal v1"), random) {}

std::string RedisSessionStore::key_of(const std::string& id) const {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), name_key_.data(), static_cast<int>(name_key_.size()),
         reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest, &length);
    return "perch:session:" + to_hex(digest, length);
}

std::string RedisSessionStore::seal(const Stored& stored, const std::string& key) const {
    const TwitterIdentity& identity = stored.identity;
    nlohmann::json value = {
        {"user_id", identity.user_id},
        {"screen_name", identity.screen_name},
        {"access_token", identity.access_token},
        {"access_token_secret", identity.access_token_secret},
        {"user", identity.user},
        {"account_id", stored.account_id ? nlohmann::json(*stored.account_id) : nlohmann::json(nullptr)},
        {"flow", to_hex(stored.flow.data(), stored.flow.size())},
    };
    if (identity.oauth2) {
        value["oauth2"] = {{"access_token", identity.oauth2->access_token},
                           {"refresh_token", identity.oauth2->refresh_token},
                           {"expires_at", identity.oauth2->expires_at}};
    }
    return cipher_.seal(value.dump(), key);
}

std::optional<RedisSessionStore::Stored> RedisSessionStore::open(const std::string& sealed,
                                                                 const std::string& key) const {
    // A value that does not open (altered, moved to another key, sealed under
    // another PERCH_TOKEN_KEY) is no session at all.
    auto plain = cipher_.open(sealed, key);
    if (!plain) return std::nullopt;
    const nlohmann::json value = nlohmann::json::parse(plain.value(), nullptr, false);
    if (!value.is_object()) return std::nullopt;
    try {
        Stored stored;
        stored.identity.user_id = value.at("user_id").get<std::string>();
        stored.identity.screen_name = value.at("screen_name").get<std::string>();
        stored.identity.access_token = value.at("access_token").get<std::string>();
        stored.identity.access_token_secret = value.at("access_token_secret").get<std::string>();
        stored.identity.user = value.at("user");
        const auto& account = value.at("account_id");
        if (!account.is_null()) stored.account_id = account.get<std::int64_t>();
        if (const auto grant = value.find("oauth2"); grant != value.end()) {
            stored.identity.oauth2 = OAuth2Grant{grant->at("access_token").get<std::string>(),
                                                 grant->at("refresh_token").get<std::string>(),
                                                 grant->at("expires_at").get<std::int64_t>()};
        }
        if (!from_hex(value.at("flow").get<std::string>(), stored.flow.data(), stored.flow.size())) {
            return std::nullopt;
        }
        return stored;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

StoreResult<std::optional<std::string>> RedisSessionStore::create(NewSession session) {
    Stored stored{std::move(session.identity), session.account_id, session.flow};
    const long long ttl = std::min(millis(limits_.idle_ttl), millis(limits_.absolute_ttl));
    return under_fresh_id([&](const std::string& key) {
        return redis_.eval(create_script, {key, index_key},
                           {seal(stored, key), std::to_string(ttl), std::to_string(limits_.max_sessions)});
    });
}

StoreResult<std::optional<std::string>> RedisSessionStore::under_fresh_id(
    const std::function<StoreResult<RedisReply>(const std::string& key)>& store) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::string id = random_token(random_, session_id_bytes);
        auto reply = store(key_of(id));
        if (!reply) return reply.error();
        if (reply.value().is_error()) return script_failed(reply.value());
        if (reply.value().integer == 1) return std::optional<std::string>(std::move(id));
        if (reply.value().integer == 0) return std::optional<std::string>();
    }
    return StoreUnavailable{"Redis kept reporting fresh session ids as taken"};
}

StoreResult<std::optional<RedisSessionStore::Stored>> RedisSessionStore::read(const std::string& id) {
    if (!is_session_id_text(id)) return std::optional<Stored>();
    const std::string key = key_of(id);
    auto reply = redis_.eval(read_script, {key, index_key},
                             {std::to_string(millis(limits_.idle_ttl)), std::to_string(millis(limits_.absolute_ttl))});
    if (!reply) return reply.error();
    if (reply.value().is_error()) return script_failed(reply.value());
    if (reply.value().type != RedisReply::Type::string) return std::optional<Stored>();
    return open(reply.value().text, key);
}

StoreResult<bool> RedisSessionStore::touch(const std::string& id) {
    auto stored = read(id);
    if (!stored) return stored.error();
    return stored.value().has_value();
}

StoreResult<bool> RedisSessionStore::made_by(const std::string& id, const FlowKey& flow) {
    auto stored = read(id);
    if (!stored) return stored.error();
    return stored.value() && stored.value()->flow == flow;
}

StoreResult<std::optional<TwitterIdentity>> RedisSessionStore::identity(const std::string& id) {
    auto stored = read(id);
    if (!stored) return stored.error();
    if (!stored.value()) return std::optional<TwitterIdentity>();
    return std::optional<TwitterIdentity>(std::move(stored.value()->identity));
}

StoreResult<std::optional<std::string>> RedisSessionStore::sign_in(const std::string& id, std::int64_t account_id) {
    auto stored = read(id);
    if (!stored) return stored.error();
    if (!stored.value()) return std::optional<std::string>();
    Stored moved = std::move(*stored.value());
    moved.account_id = account_id;
    const long long ttl = std::min(millis(limits_.idle_ttl), millis(limits_.absolute_ttl));
    const std::string old_key = key_of(id);
    return under_fresh_id([&](const std::string& new_key) {
        return redis_.eval(rotate_script, {old_key, new_key, index_key},
                           {seal(moved, new_key), std::to_string(ttl), std::to_string(millis(limits_.absolute_ttl))});
    });
}

StoreResult<std::optional<std::int64_t>> RedisSessionStore::signed_in_account(const std::string& id) {
    auto stored = read(id);
    if (!stored) return stored.error();
    if (!stored.value()) return std::optional<std::int64_t>();
    return stored.value()->account_id;
}

StoreResult<bool> RedisSessionStore::destroy(const std::string& id) {
    if (!is_session_id_text(id)) return false;
    auto reply = redis_.eval(destroy_script, {key_of(id), index_key}, {});
    if (!reply) return reply.error();
    if (reply.value().is_error()) return script_failed(reply.value());
    return reply.value().integer == 1;
}

StoreResult<std::size_t> RedisSessionStore::size() {
    auto reply = redis_.eval(size_script, {index_key}, {});
    if (!reply) return reply.error();
    if (reply.value().is_error()) return script_failed(reply.value());
    return static_cast<std::size_t>(std::max(0LL, reply.value().integer));
}

}  // namespace perch
