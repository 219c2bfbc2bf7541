#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/app_fakes.h"
#include "app/static_files.h"

using namespace perch;
using perch::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
}

HttpRequest get(const std::string& path, const std::string& method = "GET") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    return request;
}

// A web root inside a parent folder that also holds a secret next to it.
struct Site {
    TempDir dir;
    fs::path root = dir.path() / "site";
    Site() {
        write_file(root / "index.html", "<!doctype html><title>index</title>");
        write_file(root / "app.js", "export const x = 1;");
        write_file(root / "perch.mjs", "export default 1;");
        write_file(root / "perch.wasm", std::string("\0asm\1\0\0\0", 8));
        write_file(root / "style.css", "body{}");
        write_file(root / "data.json", "{}");
        write_file(root / "logo.svg", "<svg/>");
        write_file(root / "logo.png", "PNG");
        write_file(root / "favicon.ico", "ICO");
        write_file(root / "assets" / "deep" / "file.txt", "deep");
        write_file(root / ".env", "PERCH_CONSUMER_SECRET=dotfile");
        write_file(root / ".git" / "config", "[core]");
        write_file(root / "README", "no extension");
        write_file(root / "notes.bak", "unknown type");
        write_file(dir.path() / "secret.txt", "outside the root");
        fs::create_directories(root / "folder.js");
    }
};

}  // namespace

TEST_CASE("Each served extension gets its exact Content-Type") {
    CHECK(content_type_for("index.html") == "text/html; charset=utf-8");
    CHECK(content_type_for("app.js") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("perch.mjs") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("perch.wasm") == "application/wasm");
    CHECK(content_type_for("style.css") == "text/css; charset=utf-8");
    CHECK(content_type_for("data.json") == "application/json");
    CHECK(content_type_for("logo.svg") == "image/svg+xml");
    CHECK(content_type_for("logo.png") == "image/png");
    CHECK(content_type_for("favicon.ico") == "image/x-icon");
    CHECK(content_type_for("README").empty());
    CHECK(content_type_for("archive.tar.gz").empty());
}

TEST_CASE("Safe paths map onto relative file paths") {
    CHECK(safe_relative_path("/") == std::optional<std::string>("index.html"));
    CHECK(safe_relative_path("/app.js") == std::optional<std::string>("app.js"));
    CHECK(safe_relative_path("/assets/deep/file.txt") == std::optional<std::string>("assets/deep/file.txt"));
}

TEST_CASE("Traversal, dotfiles, odd bytes and malformed paths are refused before touching the disk") {
    for (const std::string path : {"", "app.js", "/..", "/../secret.txt", "/assets/../../secret.txt", "/./app.js",
                                   "/.env", "/.git/config", "/assets/.hidden", "//etc/passwd", "/assets//file.txt",
                                   "/assets/", "/a\\..\\secret.txt", "/%2e%2e/secret.txt", "/app.js%00.html",
                                   "/caf\xc3\xa9.html", "/with space.html", "/semi;colon.js"}) {
        INFO(path);
        CHECK_FALSE(safe_relative_path(path));
    }
    CHECK_FALSE(safe_relative_path(std::string("/app.js\0.html", 13)));
    CHECK_FALSE(safe_relative_path("/" + std::string(2000, 'a')));
}

TEST_CASE("Files are served with their types and a revalidating cache policy") {
    Site site;
    StaticFiles files(site.root);
    auto index = files.serve(get("/"));
    REQUIRE(index);
    CHECK(index->status == 200);
    CHECK(index->content_type == "text/html; charset=utf-8");
    CHECK(index->body == "<!doctype html><title>index</title>");
    const std::string etag = static_etag(
        fs::file_size(site.root / "index.html"),
        std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(site.root / "index.html").time_since_epoch())
            .count());
    CHECK(index->headers ==
          std::vector<std::pair<std::string, std::string>>{{"Cache-Control", "no-cache"}, {"ETag", etag}});

    auto wasm = files.serve(get("/perch.wasm"));
    REQUIRE(wasm);
    CHECK(wasm->content_type == "application/wasm");
    CHECK(wasm->body == std::string("\0asm\1\0\0\0", 8));

    auto module = files.serve(get("/perch.mjs"));
    REQUIRE(module);
    CHECK(module->content_type == "text/javascript; charset=utf-8");

    auto deep = files.serve(get("/assets/deep/file.txt"));
    REQUIRE(deep);
    CHECK(deep->body == "deep");
}

TEST_CASE("A content-hashed name is cached for good; every other file is revalidated") {
    CHECK(is_content_hashed("perch.0123456789abcdef.wasm"));
    CHECK(is_content_hashed("a.b.0123456789abcdef.js"));
    CHECK_FALSE(is_content_hashed("perch.wasm"));
    CHECK_FALSE(is_content_hashed("perch.0123456789ABCDEF.wasm"));  // lowercase only
    CHECK_FALSE(is_content_hashed("perch.0123456789abcde.wasm"));   // 15 digits
    CHECK_FALSE(is_content_hashed("perch-0123456789abcdef.wasm"));  // no dot before the hash
    CHECK_FALSE(is_content_hashed(".0123456789abcdef.wasm"));       // nothing before it
    CHECK_FALSE(is_content_hashed("0123456789abcdef"));

    Site site;
    write_file(site.root / "perch.0123456789abcdef.wasm", std::string("\0asm\1\0\0\0", 8));
    StaticFiles files(site.root);
    auto hashed = files.serve(get("/perch.0123456789abcdef.wasm"));
    REQUIRE(hashed);
    CHECK(hashed->content_type == "application/wasm");
    REQUIRE(hashed->headers.size() == 3);  // Cache-Control, ETag, Vary
    CHECK(hashed->headers[0] == std::make_pair(std::string("Cache-Control"),
                                               std::string("public, max-age=31536000, immutable")));
    HttpRequest again = get("/perch.0123456789abcdef.wasm");
    again.headers.emplace("if-none-match", hashed->headers[1].second);
    auto not_modified = files.serve(again);
    REQUIRE(not_modified);
    CHECK(not_modified->status == 304);
    CHECK(not_modified->headers[0].second == "public, max-age=31536000, immutable");

    auto plain = files.serve(get("/perch.wasm"));
    REQUIRE(plain);
    CHECK(plain->headers[0].second == "no-cache");
}

TEST_CASE("A .wasm is sent from its .gz sibling only to a request that accepts gzip") {
    Site site;
    write_file(site.root / "perch.wasm.gz", "gzipped bytes");
    StaticFiles files(site.root);
    auto header_of = [](const HttpResponse& response, const std::string& name) {
        for (const auto& [key, value] : response.headers) {
            if (key == name) return value;
        }
        return std::string();
    };

    HttpRequest gzip = get("/perch.wasm");
    gzip.headers.emplace("accept-encoding", "gzip");
    auto compressed = files.serve(gzip);
    REQUIRE(compressed);
    CHECK(compressed->body == "gzipped bytes");
    CHECK(compressed->content_type == "application/wasm");
    CHECK(header_of(*compressed, "Content-Encoding") == "gzip");
    CHECK(header_of(*compressed, "Vary") == "Accept-Encoding");

    auto plain = files.serve(get("/perch.wasm"));
    REQUIRE(plain);
    CHECK(plain->body == std::string("\0asm\1\0\0\0", 8));
    CHECK(header_of(*plain, "Content-Encoding").empty());
    CHECK(header_of(*plain, "Vary") == "Accept-Encoding");
    CHECK(header_of(*plain, "ETag") != header_of(*compressed, "ETag"));

    HttpRequest refused = get("/perch.wasm");
    refused.headers.emplace("accept-encoding", "gzip;q=0");
    CHECK(files.serve(refused)->body == plain->body);

    // Text is compressed by the HTTP layer, never from a sibling; the sibling itself is not served.
    write_file(site.root / "style.css.gz", "x");
    HttpRequest css = get("/style.css");
    css.headers.emplace("accept-encoding", "gzip");
    CHECK(files.serve(css)->body == "body{}");
    CHECK(header_of(*files.serve(css), "Content-Encoding").empty());
    CHECK_FALSE(files.serve(get("/perch.wasm.gz")));
}

TEST_CASE("A content-hashed .wasm sent from its .gz sibling is still cached for good") {
    Site site;
    write_file(site.root / "perch.0123456789abcdef.wasm", std::string("\0asm\1\0\0\0", 8));
    write_file(site.root / "perch.0123456789abcdef.wasm.gz", "gzipped bytes");
    StaticFiles files(site.root);
    HttpRequest gzip = get("/perch.0123456789abcdef.wasm");
    gzip.headers.emplace("accept-encoding", "gzip");
    auto compressed = files.serve(gzip);
    REQUIRE(compressed);
    CHECK(compressed->body == "gzipped bytes");
    REQUIRE_FALSE(compressed->headers.empty());
    CHECK(compressed->headers[0] == std::make_pair(std::string("Cache-Control"),
                                                   std::string("public, max-age=31536000, immutable")));
    HttpRequest again = gzip;
    again.headers.emplace("if-none-match", compressed->headers[1].second);
    auto not_modified = files.serve(again);
    REQUIRE(not_modified);
    CHECK(not_modified->status == 304);
    CHECK(not_modified->headers[0].second == "public, max-age=31536000, immutable");
}

TEST_CASE("The ETag is weak and made of the size and modification time") {
    CHECK(static_etag(0xd4a1, 0x17f2c3b4a5d6e7f8) == "W/\"d4a1-17f2c3b4a5d6e7f8\"");
    CHECK(static_etag(0, 0) == "W/\"0-0\"");
}

TEST_CASE("If-None-Match compares entity tags weakly, in a list, or as *") {
    const std::string etag = "W/\"5-10\"";
    CHECK(etag_matches("W/\"5-10\"", etag));
    CHECK(etag_matches("\"5-10\"", etag));
    CHECK(etag_matches("\"x\", W/\"5-10\" ,\"y\"", etag));
    CHECK(etag_matches(" * ", etag));
    CHECK_FALSE(etag_matches("W/\"5-11\"", etag));
    CHECK_FALSE(etag_matches("W/\"5-10", etag));
    CHECK_FALSE(etag_matches(",", etag));
}

TEST_CASE("A return visit with the file's ETag gets 304 without the body; a changed file gets 200 again") {
    Site site;
    StaticFiles files(site.root);
    auto first = files.serve(get("/perch.mjs"));
    REQUIRE(first);
    std::string etag;
    for (const auto& [name, value] : first->headers) {
        if (name == "ETag") etag = value;
    }
    REQUIRE(etag.rfind("W/\"", 0) == 0);

    HttpRequest again = get("/perch.mjs");
    again.headers.emplace("if-none-match", etag);
    auto revalidated = files.serve(again);
    REQUIRE(revalidated);
    CHECK(revalidated->status == 304);
    CHECK(revalidated->body.empty());
    CHECK(revalidated->content_type.empty());
    CHECK(revalidated->headers ==
          std::vector<std::pair<std::string, std::string>>{{"Cache-Control", "no-cache"}, {"ETag", etag}});

    // A rebuilt module (new size and time) is sent in full.
    write_file(site.root / "perch.mjs", "export default 22;");
    fs::last_write_time(site.root / "perch.mjs", fs::last_write_time(site.root / "perch.mjs") + std::chrono::seconds(1));
    auto rebuilt = files.serve(again);
    REQUIRE(rebuilt);
    CHECK(rebuilt->status == 200);
    CHECK(rebuilt->body == "export default 22;");

    HttpRequest other = get("/perch.mjs");
    other.headers.emplace("if-none-match", "W/\"0-0\"");
    CHECK(files.serve(other)->status == 200);
}

TEST_CASE("HEAD answers with GET's headers") {
    Site site;
    StaticFiles files(site.root);
    auto head = files.serve(get("/app.js", "HEAD"));
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->content_type == "text/javascript; charset=utf-8");
}

TEST_CASE("Methods other than GET and HEAD are not served") {
    Site site;
    StaticFiles files(site.root);
    CHECK_FALSE(files.serve(get("/app.js", "POST")));
    CHECK_FALSE(files.serve(get("/app.js", "PUT")));
}

TEST_CASE("The callback route is the page: index.html, or callback.html once it exists") {
    Site site;
    StaticFiles files(site.root);
    auto page = files.serve(get("/signup/callback"));
    REQUIRE(page);
    CHECK(page->body == "<!doctype html><title>index</title>");
    CHECK(page->content_type == "text/html; charset=utf-8");

    write_file(site.root / "callback.html", "<!doctype html><title>callback</title>");
    page = files.serve(get("/signup/callback"));
    REQUIRE(page);
    CHECK(page->body == "<!doctype html><title>callback</title>");
}

TEST_CASE("Dotfiles, unknown types, folders and missing files are not served") {
    Site site;
    StaticFiles files(site.root);
    for (const char* path : {"/.env", "/.git/config", "/README", "/notes.bak", "/folder.js", "/missing.js",
                             "/../secret.txt", "/assets", "/signup", "/signup/callback/x"}) {
        INFO(path);
        CHECK_FALSE(files.serve(get(path)));
    }
}

TEST_CASE("A symlink that leaves the web root is not followed out") {
    Site site;
    fs::create_symlink(site.dir.path() / "secret.txt", site.root / "escape.txt");
    fs::create_directory_symlink(site.dir.path(), site.root / "up");
    fs::create_symlink(site.root / "app.js", site.root / "alias.js");
    StaticFiles files(site.root);
    CHECK_FALSE(files.serve(get("/escape.txt")));
    CHECK_FALSE(files.serve(get("/up/secret.txt")));
    auto inside = files.serve(get("/alias.js"));  // a link that stays inside is fine
    REQUIRE(inside);
    CHECK(inside->body == "export const x = 1;");
}

TEST_CASE("An index.html that is a symlink out of the root is not served for /") {
    TempDir dir;
    write_file(dir.path() / "outside.html", "outside");
    fs::create_directories(dir.path() / "site");
    fs::create_symlink(dir.path() / "outside.html", dir.path() / "site" / "index.html");
    StaticFiles files(dir.path() / "site");
    CHECK_FALSE(files.serve(get("/")));
    CHECK_FALSE(files.serve(get("/signup/callback")));
}

TEST_CASE("A file over the size cap is not served") {
    Site site;
    write_file(site.root / "big.js", std::string(100, 'x'));
    StaticFilesOptions options;
    options.max_file_bytes = 99;
    StaticFiles files(site.root, options);
    CHECK_FALSE(files.serve(get("/big.js")));
    CHECK(files.serve(get("/app.js")));
}

TEST_CASE("A web root that does not exist serves nothing and does not throw") {
    TempDir dir;
    StaticFiles files(dir.path() / "not-there");
    CHECK_FALSE(files.serve(get("/")));
    CHECK_FALSE(files.serve(get("/app.js")));
}
