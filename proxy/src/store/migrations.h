// Versioned schema for the account database.
//
// The version lives in SQLite's header (PRAGMA user_version), which changes in
// the same transaction as the schema, so a database is always exactly at one
// version. PRAGMA application_id marks the file as Perch's.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace perch {

inline constexpr int perch_application_id = 0x50726368;  // "Prch"

struct Migration {
    int version;  // 1, 2, 3, ... in order, no gaps
    std::string description;
    std::string sql;  // one or more statements
};

// The account schema's history, oldest first. Append; never edit a shipped entry.
const std::vector<Migration>& account_migrations();

// The database was written by a newer Perch, or is some other application's file.
class SchemaRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads the version without writing anything. Returns the current version (0
// for a new file: empty, or holding no table at all). Throws SchemaRefused for
//   - a schema newer than `migrations` knows;
//   - a file without Perch's marker (application_id) that has an application_id
//     or user_version of its own, or any table: some other program's database,
//     which Perch must not add its tables to.
int check_schema(sqlite::Database& db, const std::vector<Migration>& migrations);

// Applies every migration above the current version in ONE IMMEDIATE
// transaction: all of them or none. Throws SchemaRefused or sqlite::Failure.
// Returns the version the database is at afterwards.
int migrate(sqlite::Database& db, const std::vector<Migration>& migrations);

// migrate() for a caller that already holds a write transaction (BEGIN
// IMMEDIATE) and commits it together with writes of its own.
int apply_migrations(sqlite::Database& db, const std::vector<Migration>& migrations);

}  // namespace perch
