// A small RAII wrapper over the SQLite C API: a connection, prepared
// statements (cached per connection), and transactions.
//
// Failures throw sqlite::Failure. That keeps call sites short; the one user,
// AccountStore, catches at its boundary and returns Result-style errors, so
// nothing above the store ever sees an exception from here.
//
// A Database is not thread-safe: guard each one with a mutex (AccountStore does).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace perch::sqlite {

class Failure : public std::runtime_error {
public:
    Failure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    // Extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY, ...).
    int code() const { return code_; }

private:
    int code_;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql, bool persistent);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1, as in SQLite. Values are copied.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    // true: a row is ready to read; false: the statement has finished.
    bool step();
    // Steps to the end, for statements that return no rows.
    void run();

    // Columns are numbered from 0. NULL reads as "" or 0.
    std::string column_text(int index) const;
    std::string column_blob(int index) const;
    std::int64_t column_int64(int index) const;
    bool column_is_null(int index) const;

    // Ends the statement's read of the database and forgets the bindings.
    void reset() noexcept;

private:
    void check_bind(int rc) const;

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement handed out for one use; it is reset when this goes out of
// scope, so an unfinished SELECT never keeps an old snapshot open.
class StatementLease {
public:
    explicit StatementLease(Statement& statement) : statement_(&statement) {}
    ~StatementLease() { statement_->reset(); }
    StatementLease(const StatementLease&) = delete;
    StatementLease& operator=(const StatementLease&) = delete;

    Statement* operator->() const { return statement_; }
    Statement& operator*() const { return *statement_; }

private:
    Statement* statement_;
};

class Database {
public:
    enum class Mode { read_write_create, read_write };

    Database(const std::string& path, Mode mode);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements that return no rows we need.
    void exec(const std::string& sql);
    // The first column of the first row as text ("" if there is no row).
    std::string query_text(const std::string& sql);
    std::int64_t query_int64(const std::string& sql);

    // Prepared once per connection, then reused.
    StatementLease cached(const std::string& sql);

    std::int64_t last_insert_rowid() const;
    int changes() const;
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
// IMMEDIATE takes the write lock up front, so the checks made inside the
// transaction still hold when it writes (no upgrade deadlock, no race).
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Database& db_;
    bool open_ = true;
};

}  // namespace perch::sqlite
