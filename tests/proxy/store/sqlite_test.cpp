#include "store/sqlite.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace {

using TempDir = perch::test::TempDir;

using perch::sqlite::Database;

}  // namespace

TEST_CASE("A statement binds and reads back text, integers, blobs and NULL") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    db.exec("CREATE TABLE t (a TEXT, b INTEGER, c BLOB, d TEXT)");
    const std::string blob("\0\x01\xff" "x", 4);
    {
        auto insert = db.cached("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
        insert->bind(1, std::string_view("héllo")).bind(2, std::int64_t{-9007199254740993}).bind_blob(3, blob).bind_null(4);
        insert->run();
    }
    CHECK(db.changes() == 1);
    CHECK(db.last_insert_rowid() == 1);
    auto select = db.cached("SELECT a, b, c, d FROM t");
    REQUIRE(select->step());
    CHECK(select->column_text(0) == "héllo");
    CHECK(select->column_int64(1) == -9007199254740993);
    CHECK(select->column_blob(2) == blob);
    CHECK(select->column_is_null(3));
    CHECK_FALSE(select->column_is_null(0));
    CHECK(select->column_text(3) == "");
    CHECK_FALSE(select->step());
}

TEST_CASE("An empty string binds as empty text, not NULL") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    auto select = db.cached("SELECT ?1 IS NULL, ?2 IS NULL, length(?1), length(?2)");
    select->bind(1, std::string_view()).bind_blob(2, std::string_view());
    REQUIRE(select->step());
    CHECK(select->column_int64(0) == 0);
    CHECK(select->column_int64(1) == 0);
    CHECK(select->column_int64(2) == 0);
    CHECK(select->column_int64(3) == 0);
}

TEST_CASE("A cached statement is prepared once per connection") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    perch::sqlite::Statement* first = nullptr;
    {
        auto lease = db.cached("SELECT 1");
        first = &*lease;
    }
    auto again = db.cached("SELECT 1");
    CHECK(&*again == first);
    auto other = db.cached("SELECT 2");
    CHECK(&*other != first);
}

TEST_CASE("A lease resets its statement so the connection sees later commits") {
    TempDir dir;
    const std::string path = dir.file("t.db");
    Database writer(path, Database::Mode::read_write_create);
    writer.query_text("PRAGMA journal_mode = WAL");
    writer.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)");
    Database reader(path, Database::Mode::read_write);
    {
        // Read one row of two and walk away: without a reset the read
        // transaction (and its snapshot) would stay open.
        auto select = reader.cached("SELECT x FROM t");
        REQUIRE(select->step());
    }
    writer.exec("INSERT INTO t VALUES (3)");
    auto count = reader.cached("SELECT count(*) FROM t");
    REQUIRE(count->step());
    CHECK(count->column_int64(0) == 3);
}

TEST_CASE("A lease forgets the previous use's bindings") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    {
        auto select = db.cached("SELECT ?1");
        select->bind(1, std::int64_t{5});
        REQUIRE(select->step());
        CHECK(select->column_int64(0) == 5);
    }
    auto select = db.cached("SELECT ?1");
    REQUIRE(select->step());
    CHECK(select->column_is_null(0));
}

TEST_CASE("A transaction that is not committed is rolled back") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        perch::sqlite::Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 0);
    {
        perch::sqlite::Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
        transaction.commit();
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 1);
}

TEST_CASE("A transaction is rolled back when an exception leaves its scope") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    db.exec("CREATE TABLE t (x INTEGER UNIQUE)");
    try {
        perch::sqlite::Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
        db.exec("INSERT INTO t VALUES (1)");  // throws: UNIQUE
        transaction.commit();
        FAIL("the duplicate insert should have thrown");
    } catch (const perch::sqlite::Failure& failure) {
        CHECK(failure.code() == SQLITE_CONSTRAINT_UNIQUE);
        CHECK(std::string(failure.what()) == "sqlite: UNIQUE constraint failed: t.x");
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 0);
    // The connection is usable again: no transaction left open.
    CHECK(sqlite3_get_autocommit(db.handle()) != 0);
}

TEST_CASE("SQL errors throw Failure with SQLite's message") {
    TempDir dir;
    Database db(dir.file("t.db"), Database::Mode::read_write_create);
    try {
        db.exec("SELECT * FROM nope");
        FAIL("expected a Failure");
    } catch (const perch::sqlite::Failure& failure) {
        CHECK(std::string(failure.what()) == "sqlite: no such table: nope");
    }
    try {
        db.cached("SELECT 1; SELECT 2");
        FAIL("expected a Failure");
    } catch (const perch::sqlite::Failure& failure) {
        CHECK(std::string(failure.what()) == "sqlite: one statement at a time");
    }
}

TEST_CASE("Opening a missing file without create fails") {
    TempDir dir;
    try {
        Database db(dir.file("missing.db"), Database::Mode::read_write);
        FAIL("expected a Failure");
    } catch (const perch::sqlite::Failure& failure) {
        CHECK(std::string(failure.what()) == "sqlite: cannot open database: unable to open database file");
    }
}
