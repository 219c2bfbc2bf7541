#include "app/static_files.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include "core/text.h"
#include "net/gzip.h"

namespace perch {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_url_path = 1024;
constexpr std::size_t max_segment = 255;

struct TypeEntry {
    std::string_view extension;
    std::string_view type;
};

constexpr std::array<TypeEntry, 14> content_types{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
}};

// Single-page routes: the URL path and the files that may answer it, first found wins,
// so the page may ship a separate callback.html or serve the callback from index.html.
struct PageRoute {
    std::string_view url_path;
    std::array<std::string_view, 2> candidates;
};

constexpr std::array<PageRoute, 2> page_routes{{
    {"/", {"index.html", ""}},
    {"/signup/callback", {"callback.html", "index.html"}},
}};

bool is_segment_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// True when `path` is `root` or below it, comparing whole components.
bool is_within(const fs::path& root, const fs::path& path) {
    auto root_it = root.begin();
    auto path_it = path.begin();
    for (; root_it != root.end(); ++root_it, ++path_it) {
        if (path_it == path.end() || *root_it != *path_it) return false;
    }
    return true;
}

// The opaque part of an entity tag, without W/ (If-None-Match compares weakly).
std::string_view opaque_tag(std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
}

constexpr std::string_view revalidate = "no-cache";
constexpr std::string_view keep_for_good = "public, max-age=31536000, immutable";

}  // namespace

bool is_content_hashed(std::string_view file_name) {
    constexpr std::size_t hash_length = 16;
    const std::size_t last_dot = file_name.rfind('.');
    if (last_dot == std::string_view::npos || last_dot < hash_length + 2) return false;
    const std::size_t hash_dot = last_dot - hash_length - 1;
    if (file_name[hash_dot] != '.') return false;
    const std::string_view hash = file_name.substr(hash_dot + 1, hash_length);
    return std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string static_etag(std::uintmax_t size, std::int64_t mtime_ns) {
    char text[64];
    std::snprintf(text, sizeof text, "W/\"%jx-%llx\"", size, static_cast<unsigned long long>(mtime_ns));
    return text;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if (trim(if_none_match) == "*") return true;
    while (!if_none_match.empty()) {
        const std::size_t comma = if_none_match.find(',');
        const std::string_view candidate = trim(if_none_match.substr(0, comma));
        if (!candidate.empty() && opaque_tag(candidate) == opaque_tag(etag)) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view content_type_for(std::string_view file_name) {
    for (const TypeEntry& entry : content_types) {
        if (ends_with(file_name, entry.extension)) return entry.type;
    }
    return {};
}

std::optional<std::string> safe_relative_path(std::string_view url_path) {
    if (url_path.empty() || url_path.size() > max_url_path || url_path.front() != '/') return std::nullopt;
    if (url_path == "/") return std::string("index.html");
    std::string relative;
    std::string_view rest = url_path.substr(1);
    for (;;) {
        const std::size_t slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        // Empty (a "//" or a trailing "/"), dotfiles, "." and ".." all start badly.
        if (segment.empty() || segment.size() > max_segment || segment.front() == '.') return std::nullopt;
        if (!std::all_of(segment.begin(), segment.end(), is_segment_char)) return std::nullopt;
        if (!relative.empty()) relative += '/';
        relative += segment;
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
    }
    return relative;
}

StaticFiles::StaticFiles(fs::path root, StaticFilesOptions options) : options_(options) {
    std::error_code error;
    fs::path canonical = fs::canonical(root, error);
    root_ = error ? fs::absolute(root, error).lexically_normal() : canonical;
}

std::optional<fs::path> StaticFiles::inside_root(const std::string& relative) const {
    std::error_code error;
    // canonical() follows every symlink, so a link pointing out of the root is caught here.
    const fs::path resolved = fs::canonical(root_ / relative, error);
    if (error || !is_within(root_, resolved)) return std::nullopt;
    if (!fs::is_regular_file(resolved, error) || error) return std::nullopt;
    return resolved;
}

std::optional<fs::path> StaticFiles::resolve(std::string_view url_path) const {
    for (const PageRoute& route : page_routes) {
        if (url_path != route.url_path) continue;
        for (std::string_view candidate : route.candidates) {
            if (candidate.empty()) continue;
            if (auto found = inside_root(std::string(candidate))) return found;
        }
        return std::nullopt;
    }
    std::optional<std::string> relative = safe_relative_path(url_path);
    if (!relative) return std::nullopt;
    return inside_root(*relative);
}

std::optional<HttpResponse> StaticFiles::serve(const HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
    std::optional<fs::path> file = resolve(request.path);
    if (!file) return std::nullopt;
    const std::string_view type = content_type_for(file->filename().string());
    if (type.empty()) return std::nullopt;
    // A name that carries its content's hash never changes meaning, so the
    // browser may keep it without asking; anything else is revalidated. Decided
    // by the name asked for: a .gz sibling sent instead is the same content.
    const std::string cache_control(is_content_hashed(file->filename().string()) ? keep_for_good : revalidate);

    // The HTTP layer gzips text on the fly but not application/wasm, so the
    // module ships a gzip -9 sibling (scripts/assemble-site) sent as is.
    std::vector<std::pair<std::string, std::string>> coding_headers;
    if (type == "application/wasm") {
        coding_headers.emplace_back("Vary", "Accept-Encoding");
        if (accepts_gzip(request.header("accept-encoding"))) {
            if (auto gzipped = inside_root(file->lexically_relative(root_).string() + ".gz")) {
                file = std::move(gzipped);
                coding_headers.emplace_back("Content-Encoding", "gzip");
            }
        }
    }

    std::error_code error;
    const std::uintmax_t size = fs::file_size(*file, error);
    if (error || size > options_.max_file_bytes) return std::nullopt;
    const auto modified = fs::last_write_time(*file, error);
    if (error) return std::nullopt;
    const std::string etag = static_etag(
        size, std::chrono::duration_cast<std::chrono::nanoseconds>(modified.time_since_epoch()).count());

    // A return visit revalidates (no-cache) and gets 304 without the body
    // when the file is unchanged, instead of downloading the module again.
    const std::string if_none_match = request.header("if-none-match");
    if (!if_none_match.empty() && etag_matches(if_none_match, etag)) {
        HttpResponse not_modified;
        not_modified.status = 304;
        not_modified.content_type.clear();  // no body, no Content-Type
        not_modified.headers.emplace_back("Cache-Control", cache_control);
        not_modified.headers.emplace_back("ETag", etag);
        if (!coding_headers.empty()) not_modified.headers.push_back(coding_headers.front());  // Vary
        return not_modified;
    }

    std::ifstream in(*file, std::ios::binary);
    if (!in) return std::nullopt;
    std::string body;
    body.resize(static_cast<std::size_t>(size));
    if (size > 0 && !in.read(body.data(), static_cast<std::streamsize>(size))) return std::nullopt;

    HttpResponse response;
    response.status = 200;
    response.content_type = std::string(type);
    // Revalidated names: a stale page paired with a new WASM module would break.
    response.headers.emplace_back("Cache-Control", cache_control);
    response.headers.emplace_back("ETag", etag);
    response.headers.insert(response.headers.end(), coding_headers.begin(), coding_headers.end());
    // HEAD gets GET's headers; the HTTP layer sends no body for HEAD.
    response.body = std::move(body);
    return response;
}

}  // namespace perch
