#include "store/redis_client.h"

#include <sys/time.h>

#include <cstdio>
#include <utility>

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

namespace perch {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

std::string describe(const RedisUrl& url) {
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    std::string out = "redis://";
    if (!url.password.empty()) out += url.user + ":****@";
    return out + host + ":" + std::to_string(url.port) + "/" + std::to_string(url.database);
}

RedisReply convert(const redisReply& reply, int depth = 0) {
    RedisReply out;
    switch (reply.type) {
        case REDIS_REPLY_STRING:
            out.type = RedisReply::Type::string;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = RedisReply::Type::status;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = RedisReply::Type::error;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::integer;
            out.integer = reply.integer;
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::array;
            // Perch's own scripts answer flat arrays; anything deeper is cut off
            // rather than followed without bound.
            if (depth < 4) {
                out.elements.reserve(reply.elements);
                for (std::size_t i = 0; i < reply.elements; ++i) {
                    out.elements.push_back(convert(*reply.element[i], depth + 1));
                }
            }
            break;
        default:
            out.type = RedisReply::Type::nil;
    }
    return out;
}

std::string sha1_hex(std::string_view text) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    std::string hex;
    hex.reserve(2 * SHA_DIGEST_LENGTH);
    static const char digits[] = "0123456789abcdef";
    for (unsigned char byte : digest) {
        hex += digits[byte >> 4];
        hex += digits[byte & 0x0f];
    }
    return hex;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

struct RedisClient::Connection {
    redisContext* context = nullptr;
    ~Connection() {
        if (context) redisFree(context);
    }
};

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)),
      display_name_(describe(options_.url)),
      pool_(options_.pool_size, options_.pool_wait, "Redis", display_name_, [this] { return connect(); }) {}

RedisClient::~RedisClient() = default;

StoreResult<std::unique_ptr<RedisClient::Connection>> RedisClient::connect() {
    auto connection = std::make_unique<Connection>();
    connection->context = redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port,
                                                  to_timeval(options_.connect_timeout));
    if (!connection->context) return StoreUnavailable{"cannot reach Redis at " + display_name_ + ": out of memory"};
    if (connection->context->err) {
        return StoreUnavailable{"cannot reach Redis at " + display_name_ + ": " + connection->context->errstr};
    }
    redisSetTimeout(connection->context, to_timeval(options_.command_timeout));
    if (!options_.url.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!options_.url.user.empty()) auth.push_back(options_.url.user);
        auth.push_back(options_.url.password);
        auto reply = run(*connection, auth);
        if (!reply) return reply.error();
        // Redis's own text (WRONGPASS …) names no password; it is kept out anyway.
        if (reply.value().is_error()) return StoreUnavailable{"Redis at " + display_name_ + " refused the credentials"};
    }
    if (options_.url.database != 0) {
        auto reply = run(*connection, {"SELECT", std::to_string(options_.url.database)});
        if (!reply) return reply.error();
        if (reply.value().is_error()) {
            return StoreUnavailable{"Redis at " + display_name_ + " refused SELECT: " + reply.value().text};
        }
    }
    return connection;
}

StoreResult<RedisReply> RedisClient::run(Connection& connection, const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    args.reserve(argv.size());
    lengths.reserve(argv.size());
    for (const std::string& arg : argv) {
        args.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(connection.context, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (!raw) {
        // hiredis leaves the context unusable after any I/O error or timeout.
        std::string why = connection.context->err ? connection.context->errstr : "no reply";
        redisFree(connection.context);
        connection.context = nullptr;
        return StoreUnavailable{"Redis at " + display_name_ + " did not answer: " + why};
    }
    RedisReply reply = convert(*raw);
    freeReplyObject(raw);
    return reply;
}

StoreResult<RedisReply> RedisClient::command(const std::vector<std::string>& argv) {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    std::unique_ptr<Connection>& connection = lease.value().connection;
    auto reply = run(*connection, argv);
    // run() leaves a context that failed null: it is not reused.
    const bool reusable = connection->context != nullptr;
    pool_.release(std::move(connection), reusable);
    return reply;
}

StoreResult<RedisReply> RedisClient::eval(const RedisScript& script, const std::vector<std::string>& keys,
                                          const std::vector<std::string>& args) {
    std::vector<std::string> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back("EVALSHA");
    argv.push_back(script.sha1());
    argv.push_back(std::to_string(keys.size()));
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto reply = command(argv);
    if (!reply || !reply.value().is_error() || reply.value().text.rfind("NOSCRIPT", 0) != 0) return reply;
    argv[0] = "EVAL";
    argv[1] = script.source();
    return command(argv);
}

}  // namespace perch
