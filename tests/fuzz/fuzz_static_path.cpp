// The proxy's static file serving (proxy/src/app/static_files.cpp): a URL path
// from anyone becomes a file path. safe_relative_path never lets anything but
// plain segments through, and StaticFiles::serve, over a real temporary web
// root with a dotfile and a symlink that points out of it, only ever answers
// with a file inside the root that the path names.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "net/http_types.h"
#include "app/static_files.h"

namespace {

namespace fs = std::filesystem;

const std::string secret = "OUTSIDE-THE-WEB-ROOT";

fs::path make_dir() {
    std::string pattern = (fs::temp_directory_path() / "perch-fuzz-static-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
}

const fs::path& base() {
    static const fs::path dir = make_dir();
    return dir;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

void remove_base() {
    std::error_code ignored;
    fs::remove_all(base(), ignored);
}

// The web root as a build of the site has it, plus what must never be served.
void build_tree() {
    const fs::path root = base() / "web";
    write(root / "index.html", "index");
    write(root / "callback.html", "callback");
    write(root / "perch.js", "glue");
    write(root / "perch.wasm", "wasm");
    write(root / "assets" / "style.css", "css");
    write(root / "assets" / "x.unknown", "unknown type");
    write(root / ".env.txt", secret);
    write(base() / "secret.txt", secret);
    write(base() / "web-other" / "x.txt", secret);  // shares the root's name as a prefix
    fs::create_directory_symlink(base() / "web-other", root / "other");
    fs::create_symlink(base() / "secret.txt", root / "link.txt");
    fs::create_symlink(root / "perch.js", root / "alias.js");  // inside: may be served
    std::atexit(remove_base);
}

bool is_plain_segment_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

void check_relative(std::string_view url_path, const std::string& relative) {
    PERCH_FUZZ_CHECK(!url_path.empty() && url_path.front() == '/');
    if (url_path == "/") {
        PERCH_FUZZ_CHECK(relative == "index.html");
        return;
    }
    // Segments are taken as they are: the mapping only drops the leading '/'.
    PERCH_FUZZ_CHECK(relative == url_path.substr(1));
    PERCH_FUZZ_CHECK(relative.size() <= 1024);
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = relative.find('/', start);
        const std::string segment = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        PERCH_FUZZ_CHECK(!segment.empty() && segment.front() != '.');
        for (char c : segment) PERCH_FUZZ_CHECK(is_plain_segment_char(c));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    // std::filesystem agrees: relative, already normal, never climbing out.
    const fs::path path(relative);
    PERCH_FUZZ_CHECK(path.is_relative());
    PERCH_FUZZ_CHECK(path.lexically_normal() == path);
    for (const fs::path& part : path) PERCH_FUZZ_CHECK(part != ".." && part != ".");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    build_tree();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string url_path(reinterpret_cast<const char*>(data), size);

    const std::optional<std::string> relative = perch::safe_relative_path(url_path);
    if (relative) check_relative(url_path, *relative);
    (void)perch::content_type_for(url_path);

    const fs::path root = base() / "web";
    const perch::StaticFiles files(root);
    perch::HttpRequest request;
    request.method = size % 2 == 0 ? "GET" : "HEAD";
    request.path = url_path;
    const std::optional<perch::HttpResponse> response = files.serve(request);
    if (!response) return 0;

    PERCH_FUZZ_CHECK(response->status == 200);
    PERCH_FUZZ_CHECK(!response->content_type.empty());
    PERCH_FUZZ_CHECK(response->body != secret && response->body != "unknown type");
    // The page routes, or exactly the file the path names.
    if (url_path == "/") {
        PERCH_FUZZ_CHECK(response->body == "index");
    } else if (url_path == "/signup/callback") {
        PERCH_FUZZ_CHECK(response->body == "callback");
    } else {
        PERCH_FUZZ_CHECK(relative.has_value());
        std::ifstream in(root / *relative, std::ios::binary);
        const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        PERCH_FUZZ_CHECK(response->body == expected);
    }
    return 0;
}
