// A small synchronous Redis client over hiredis: a bounded pool of
// connections, each command under a deadline, reconnection after any I/O
// failure, and Lua scripts sent once and then called by their SHA-1.
//
// Every failure to reach Redis (refused, timed out, wrong password, pool
// exhausted) is a StoreUnavailable whose message names the server with its
// password masked, so callers can answer 503 and log it as it is.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/connection_pool.h"
#include "store/service_url.h"
#include "store/store_result.h"

namespace perch {

struct RedisOptions {
    RedisUrl url;
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{2000};
    std::size_t pool_size = 8;
    // How long a caller waits for a free connection before giving up.
    std::chrono::milliseconds pool_wait{2000};
};

struct RedisReply {
    enum class Type { nil, integer, string, status, array, error };
    Type type = Type::nil;
    long long integer = 0;
    std::string text;  // string, status and error replies
    std::vector<RedisReply> elements;

    bool is_error() const { return type == Type::error; }
};

// A Lua script: its text and the SHA-1 EVALSHA names it by.
class RedisScript {
public:
    explicit RedisScript(std::string source);
    const std::string& source() const { return source_; }
    const std::string& sha1() const { return sha1_; }

private:
    std::string source_;
    std::string sha1_;
};

class RedisClient {
public:
    explicit RedisClient(RedisOptions options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Runs one command. An error reply from Redis (a script's own error, a
    // wrong type) is a reply of type error, not a StoreUnavailable.
    StoreResult<RedisReply> command(const std::vector<std::string>& argv);

    // EVALSHA, falling back to EVAL once when Redis does not hold the script
    // (a restart, SCRIPT FLUSH).
    StoreResult<RedisReply> eval(const RedisScript& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args);

    // "redis://host:port/db" with any password masked: for logs and errors.
    const std::string& display_name() const { return display_name_; }

private:
    struct Connection;

    StoreResult<std::unique_ptr<Connection>> connect();
    StoreResult<RedisReply> run(Connection& connection, const std::vector<std::string>& argv);

    const RedisOptions options_;
    const std::string display_name_;
    ConnectionPool<Connection> pool_;
};

}  // namespace perch
