#include "store/sqlite.h"

#include <limits>

#include <sqlite3.h>

namespace perch::sqlite {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc) {
    // sqlite3_errmsg names tables, columns and constraints, never bound values.
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    throw Failure(code, "sqlite: " + message);
}

int size_arg(std::size_t size) {
    // SQLite itself rejects anything above SQLITE_LIMIT_LENGTH with SQLITE_TOOBIG.
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw Failure(SQLITE_TOOBIG, "sqlite: value too large");
    }
    return static_cast<int>(size);
}

}  // namespace

// ---- Statement ----

Statement::Statement(sqlite3* db, std::string_view sql, bool persistent) : db_(db) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), size_arg(sql.size()),
                                      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, &tail);
    if (rc != SQLITE_OK) fail(db_, rc);
    if (stmt_ == nullptr) throw Failure(SQLITE_MISUSE, "sqlite: empty statement");
    if (tail != nullptr && *tail != '\0') {
        sqlite3_finalize(stmt_);
        throw Failure(SQLITE_MISUSE, "sqlite: one statement at a time");
    }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check_bind(int rc) const {
    if (rc != SQLITE_OK) fail(db_, rc);
}

Statement& Statement::bind(int index, std::string_view text) {
    // A non-null pointer even for "": a null pointer would bind NULL.
    check_bind(sqlite3_bind_text(stmt_, index, text.empty() ? "" : text.data(),
                                 size_arg(text.size()), SQLITE_TRANSIENT));
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    check_bind(sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                                 size_arg(bytes.size()), SQLITE_TRANSIENT));
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc);
}

void Statement::run() {
    while (step()) {
    }
}

std::string Statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string Statement::column_blob(int index) const {
    const void* blob = sqlite3_column_blob(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (blob == nullptr) return {};
    return std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size));
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

// ---- Database ----

Database::Database(const std::string& path, Mode mode) {
    // NOMUTEX: each connection is used under the owner's mutex, one thread at a time.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (mode == Mode::read_write_create) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw Failure(rc, "sqlite: cannot open database: " + message);
    }
}

Database::~Database() {
    cache_.clear();  // finalize statements before closing the connection
    sqlite3_close_v2(db_);
}

void Database::exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        const std::string message = error != nullptr ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        throw Failure(sqlite3_extended_errcode(db_), "sqlite: " + message);
    }
}

std::string Database::query_text(const std::string& sql) {
    Statement statement(db_, sql, false);
    return statement.step() ? statement.column_text(0) : std::string();
}

std::int64_t Database::query_int64(const std::string& sql) {
    Statement statement(db_, sql, false);
    return statement.step() ? statement.column_int64(0) : 0;
}

StatementLease Database::cached(const std::string& sql) {
    auto found = cache_.find(sql);
    if (found == cache_.end()) {
        found = cache_.emplace(sql, std::make_unique<Statement>(db_, sql, true)).first;
    }
    return StatementLease(*found->second);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

// ---- Transaction ----

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (!open_) return;
    // Best effort: if COMMIT failed or an exception is unwinding, undo everything.
    // A failed ROLLBACK means SQLite already rolled back on its own.
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace perch::sqlite
