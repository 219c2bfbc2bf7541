#include "store/postgres_client.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "store/libpq_loader.h"

namespace perch {

namespace {

// Every PgConnection and PgResult comes from a connection that connect()
// opened after loading libpq, so here it is always loaded.
const LibPq& pq() {
    std::string unused;
    return *load_libpq(unused);
}

std::string describe(const PostgresUrl& url) {
    const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    return "postgresql://" + url.user + (url.password.empty() ? "" : ":****") + "@" + host + ":" +
           std::to_string(url.port) + "/" + url.database;
}

// libpq's own messages may end in newlines; one log line each.
std::string one_line(const char* text) {
    std::string out = text ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::~PgResult() {
    if (result_) pq().PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
    if (this != &other) {
        if (result_) pq().PQclear(result_);
        result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
}

bool PgResult::ok() const {
    const ExecStatusType status = pq().PQresultStatus(result_);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}
int PgResult::rows() const { return pq().PQntuples(result_); }
bool PgResult::is_null(int row, int column) const { return pq().PQgetisnull(result_, row, column) == 1; }
std::string PgResult::text(int row, int column) const {
    return std::string(pq().PQgetvalue(result_, row, column), static_cast<std::size_t>(pq().PQgetlength(result_, row, column)));
}
long long PgResult::integer(int row, int column) const { return std::strtoll(pq().PQgetvalue(result_, row, column), nullptr, 10); }

std::string PgResult::bytes(int row, int column) const {
    // Text-format bytea is "\x" then two hex digits a byte (bytea_output = hex).
    const std::string hex = text(row, column);
    if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x') return {};
    std::string out;
    out.reserve((hex.size() - 2) / 2);
    for (std::size_t i = 2; i + 1 < hex.size(); i += 2) {
        const int high = hex_value(hex[i]);
        const int low = hex_value(hex[i + 1]);
        if (high < 0 || low < 0) return {};
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

std::string PgResult::sqlstate() const {
    const char* state = pq().PQresultErrorField(result_, PG_DIAG_SQLSTATE);
    return state ? state : "";
}
std::string PgResult::constraint() const {
    const char* name = pq().PQresultErrorField(result_, PG_DIAG_CONSTRAINT_NAME);
    return name ? name : "";
}
std::string PgResult::error() const {
    // The primary message alone: the DETAIL line may quote the row's values.
    return one_line(pq().PQresultErrorField(result_, PG_DIAG_MESSAGE_PRIMARY));
}

PgConnection::PgConnection(pg_conn* conn, std::string display_name)
    : conn_(conn), display_name_(std::move(display_name)) {}
PgConnection::~PgConnection() {
    if (conn_) pq().PQfinish(conn_);
}

bool PgConnection::broken() const { return pq().PQstatus(conn_) != CONNECTION_OK; }

StoreResult<PgResult> PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const PgParam& param : params) {
        values.push_back(param.kind == PgParam::Kind::null ? nullptr : param.value.data());
        lengths.push_back(static_cast<int>(param.value.size()));
        formats.push_back(param.kind == PgParam::Kind::bytes ? 1 : 0);
    }
    const std::string statement(sql);
    PgResult result(pq().PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                 lengths.data(), formats.data(), 0));
    if (broken()) {
        return StoreUnavailable{"PostgreSQL at " + display_name_ + " was lost: " + one_line(pq().PQerrorMessage(conn_))};
    }
    // 57014: statement_timeout; 57P01..03: the server is shutting down or starting.
    const std::string state = result.sqlstate();
    if (state == "57014" || state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
        return StoreUnavailable{"PostgreSQL at " + display_name_ + " did not answer: " + result.error()};
    }
    return result;
}

StoreResult<bool> PgConnection::transaction(const std::function<StoreResult<bool>(PgConnection&)>& work) {
    auto begin = exec("BEGIN");
    if (!begin) return begin.error();
    if (!begin.value().ok()) return StoreUnavailable{"PostgreSQL refused BEGIN: " + begin.value().error()};
    auto done = work(*this);
    if (!done || !done.value()) {
        auto rollback = exec("ROLLBACK");
        if (!done) return done;
        if (!rollback) return rollback.error();
        return false;
    }
    auto commit = exec("COMMIT");
    if (!commit) return commit.error();
    if (!commit.value().ok()) {
        return StoreUnavailable{"PostgreSQL refused COMMIT: " + commit.value().error()};
    }
    return true;
}

PostgresClient::PostgresClient(PostgresOptions options)
    : options_(std::move(options)),
      display_name_(describe(options_.url)),
      pool_(options_.pool_size, options_.pool_wait, "PostgreSQL", display_name_, [this] { return connect(); }) {}

PostgresClient::~PostgresClient() = default;

StoreResult<std::unique_ptr<PgConnection>> PostgresClient::connect() {
    std::string why;
    if (load_libpq(why) == nullptr) {
        return StoreUnavailable{"PostgreSQL needs libpq (Debian: libpq5), which cannot be loaded: " + why};
    }
    const std::string port = std::to_string(options_.url.port);
    const std::string timeout = std::to_string(std::max<long long>(2, options_.connect_timeout.count()));
    const std::string server_options = "-c statement_timeout=" + std::to_string(options_.statement_timeout.count()) +
                                       " -c idle_in_transaction_session_timeout=" +
                                       std::to_string(options_.statement_timeout.count() * 2);
    std::vector<const char*> keys{"host", "port", "dbname", "user", "connect_timeout", "options",
                                  "application_name", "keepalives_idle", "keepalives_interval", "keepalives_count"};
    std::vector<const char*> values{options_.url.host.c_str(), port.c_str(), options_.url.database.c_str(),
                                    options_.url.user.c_str(), timeout.c_str(), server_options.c_str(),
                                    "perch-proxy", "10", "5", "3"};
    if (!options_.url.password.empty()) {
        keys.push_back("password");
        values.push_back(options_.url.password.c_str());
    }
    if (!options_.url.sslmode.empty()) {
        keys.push_back("sslmode");
        values.push_back(options_.url.sslmode.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    pg_conn* conn = pq().PQconnectdbParams(keys.data(), values.data(), 0);
    auto connection = std::make_unique<PgConnection>(conn, display_name_);
    if (!conn || pq().PQstatus(conn) != CONNECTION_OK) {
        // libpq's message names host and user, never the password.
        return StoreUnavailable{"cannot reach PostgreSQL at " + display_name_ + ": " +
                                one_line(conn ? pq().PQerrorMessage(conn) : "out of memory")};
    }
    return connection;
}

StoreResult<bool> PostgresClient::with_connection(const Work& work) {
    // A pooled connection may have died with a server restart; that shows only
    // when it is used. Its work then never reached a COMMIT's answer, so it
    // runs once more on a fresh connection (a COMMIT lost on the wire would
    // at worst be retried into a constraint violation, never a duplicate).
    for (int attempt = 0;; ++attempt) {
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        std::unique_ptr<PgConnection>& connection = lease.value().connection;
        auto done = work(*connection);
        const bool lost = !done && connection->broken();
        // Lost or timed out (perhaps mid-transaction): never reused.
        const bool reusable = done.ok() && !connection->broken();
        pool_.release(std::move(connection), reusable);
        if (lost && lease.value().pooled && attempt == 0) continue;
        return done;
    }
}

}  // namespace perch
