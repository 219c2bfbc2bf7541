// A small PostgreSQL client over libpq: a bounded pool of connections, every
// statement under the server's statement_timeout, reconnection after a lost
// connection, and parameters always sent apart from the SQL text.
//
// A failure to reach the server (refused, timed out, restarted, pool
// exhausted) is a StoreUnavailable whose message names the server with its
// password masked; an SQL error the server answered (a constraint violation)
// is a PgResult the caller reads (sqlstate(), constraint()).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/connection_pool.h"
#include "store/service_url.h"
#include "store/store_result.h"

struct pg_conn;
struct pg_result;

namespace perch {

struct PostgresOptions {
    PostgresUrl url;
    std::size_t pool_size = 8;
    std::chrono::seconds connect_timeout{5};  // libpq counts whole seconds (at least 2)
    std::chrono::milliseconds statement_timeout{5000};
    std::chrono::milliseconds pool_wait{2000};  // a caller waits this long for a free connection
};

// A statement parameter: text, bytes (bytea) or NULL.
struct PgParam {
    enum class Kind { text, bytes, null };
    Kind kind = Kind::null;
    std::string value;

    static PgParam text(std::string value) { return {Kind::text, std::move(value)}; }
    static PgParam bytes(std::string value) { return {Kind::bytes, std::move(value)}; }
    static PgParam null() { return {Kind::null, {}}; }
};

class PgResult {
public:
    explicit PgResult(pg_result* result);
    ~PgResult();
    PgResult(PgResult&& other) noexcept;
    PgResult& operator=(PgResult&& other) noexcept;
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;

    bool ok() const;  // the statement ran (rows or a command)
    int rows() const;
    bool is_null(int row, int column) const;
    std::string text(int row, int column) const;
    std::string bytes(int row, int column) const;  // a bytea column, decoded
    long long integer(int row, int column) const;

    std::string sqlstate() const;    // "23505" for a unique violation, "" when ok
    std::string constraint() const;  // the violated constraint's name, if any
    std::string error() const;       // the server's message (names no parameter value)

private:
    pg_result* result_;
};

class PgConnection;

class PostgresClient {
public:
    explicit PostgresClient(PostgresOptions options);
    ~PostgresClient();
    PostgresClient(const PostgresClient&) = delete;
    PostgresClient& operator=(const PostgresClient&) = delete;

    // Runs `work` on one pooled connection. Whatever `work` returns is passed
    // on; a connection that broke meanwhile is dropped, not pooled. Work found
    // on a pooled connection that had died (a server restart) runs once more
    // on a fresh one, so `work` must be one transaction or otherwise safe to
    // repeat.
    using Work = std::function<StoreResult<bool>(PgConnection&)>;
    StoreResult<bool> with_connection(const Work& work);

    // "postgresql://user:****@host:port/db" for logs and errors.
    const std::string& display_name() const { return display_name_; }

private:
    StoreResult<std::unique_ptr<PgConnection>> connect();

    const PostgresOptions options_;
    const std::string display_name_;
    ConnectionPool<PgConnection> pool_;
};

class PgConnection {
public:
    PgConnection(pg_conn* conn, std::string display_name);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // StoreUnavailable when the connection is lost; otherwise the result,
    // which may be an SQL error.
    StoreResult<PgResult> exec(std::string_view sql, const std::vector<PgParam>& params = {});

    // Runs `work` between BEGIN and COMMIT (ROLLBACK when it returns an error
    // or false). `work` returning false means "roll back, nothing failed".
    StoreResult<bool> transaction(const std::function<StoreResult<bool>(PgConnection&)>& work);

    bool broken() const;

private:
    pg_conn* conn_;
    std::string display_name_;
};

}  // namespace perch
