// Sessions in Redis, shared by every proxy that points at the same server:
// a session made by one instance is live, rotated, ended and expired the same
// on all of them, and survives their restarts.
//
// What Redis holds is as sensitive as the in-memory store (the person's X
// tokens between exchange and registration), so:
//   - the session id is never a key: a session lives under
//     "perch:session:" + hex(HMAC-SHA256(k1, id)), k1 derived from
//     PERCH_TOKEN_KEY, so reading Redis yields no usable cookie;
//   - its contents are sealed with AES-256-GCM under k2 (also derived from
//     PERCH_TOKEN_KEY) with the Redis key as associated data, so a value moved
//     to another key, or altered, no longer opens;
//   - every key carries a Redis expiry no later than the in-memory store would
//     have dropped the session (idle timeout, capped by the absolute lifetime).
// Expiry and the session cap are judged by Redis's own clock (TIME inside the
// scripts), so instances with skewed clocks agree. The cap counts the live
// sessions in one sorted set ("perch:sessions", scored by expiry).
//
// Each operation is one script, atomic in Redis: of two instances rotating or
// reading the same session at once, exactly one rotation wins. Single Redis
// (or a primary with replicas); Redis Cluster is not supported (the scripts
// touch two keys).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "store/session_store.h"
#include "store/redis_client.h"
#include "store/token_cipher.h"

#include <array>

namespace perch {

class RedisSessionStore final : public SessionStore {
public:
    // `redis`, `random` must outlive the store. The key is copied.
    RedisSessionStore(RedisClient& redis, const SessionLimits& limits, const TokenKey& master, RandomSource& random);

    StoreResult<std::optional<std::string>> create(NewSession session) override;
    StoreResult<bool> touch(const std::string& id) override;
    StoreResult<bool> made_by(const std::string& id, const FlowKey& flow) override;
    StoreResult<std::optional<TwitterIdentity>> identity(const std::string& id) override;
    StoreResult<std::optional<std::string>> sign_in(const std::string& id, std::int64_t account_id) override;
    StoreResult<std::optional<std::int64_t>> signed_in_account(const std::string& id) override;
    StoreResult<bool> destroy(const std::string& id) override;
    StoreResult<std::size_t> size() override;

    // The Redis key a session id is stored under (for tests: no id in clear).
    std::string key_of(const std::string& id) const;

private:
    struct Stored {
        TwitterIdentity identity;
        std::optional<std::int64_t> account_id;
        FlowKey flow{};
    };

    // The live session's contents, refreshing its expiry; nullopt if none.
    StoreResult<std::optional<Stored>> read(const std::string& id);
    // `store` run under the key of a fresh session id until a script answers
    // 1 (stored: the id) or 0 (refused: nullopt); an id already taken (-1) is
    // drawn again, at most three times.
    StoreResult<std::optional<std::string>> under_fresh_id(
        const std::function<StoreResult<RedisReply>(const std::string& key)>& store);
    std::string seal(const Stored& stored, const std::string& key) const;
    std::optional<Stored> open(const std::string& sealed, const std::string& key) const;

    RedisClient& redis_;
    const SessionLimits limits_;
    RandomSource& random_;
    std::array<unsigned char, 32> name_key_;
    TokenCipher cipher_;
};

}  // namespace perch
