// Serving the site's files (the page and the WASM module) from one folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace perch {

// The Content-Type for a file name's extension, or empty for one we do not serve.
std::string_view content_type_for(std::string_view file_name);

// Maps a decoded URL path onto a file path relative to the web root, or
// nullopt when the path is not one we serve: "..", ".", dotfiles, empty
// segments, '\', '%', NUL or any byte outside [A-Za-z0-9._-] in a segment, a
// trailing '/', or over-long paths. "/" is index.html; SPA routes (see
// StaticFiles) are resolved by the caller.
std::optional<std::string> safe_relative_path(std::string_view url_path);

// A weak validator from a file's size and modification time (ns), e.g.
// W/"d4a1-17f2c3b4a5d6e7f8": a rebuilt file gets a new one.
std::string static_etag(std::uintmax_t size, std::int64_t mtime_ns);

// If-None-Match against our ETag, by the weak comparison (RFC 9110 §13.1.2):
// "*" or any listed tag with the same opaque part.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// True for a name like "perch.0123456789abcdef.wasm": a 16-digit lowercase
// hex content hash before the extension (scripts/assemble-site names files so).
bool is_content_hashed(std::string_view file_name);

struct StaticFilesOptions {
    std::size_t max_file_bytes = 32 * 1024 * 1024;
};

// GET/HEAD only (the router answers other methods with 405). Files carry
// an ETag and Cache-Control: no-cache, or a year's immutable caching for a
// content-hashed name (is_content_hashed); a .wasm is sent from its
// "<name>.gz" sibling with Content-Encoding: gzip when the request accepts it; an If-None-Match that matches it gets
// 304 with no body. A path that is
// missing, unsafe, a directory, of an unknown type, too large, or that leaves
// the root through a symlink gives nullopt: the router answers each the same
// 404, so probing teaches nothing.
class StaticFiles {
public:
    explicit StaticFiles(std::filesystem::path root, StaticFilesOptions options = {});

    std::optional<HttpResponse> serve(const HttpRequest& request) const;

    const std::filesystem::path& root() const { return root_; }

private:
    // The file to send for a URL path, resolved and checked to be inside root_.
    std::optional<std::filesystem::path> resolve(std::string_view url_path) const;
    std::optional<std::filesystem::path> inside_root(const std::string& relative) const;

    std::filesystem::path root_;  // canonical, or as given when it does not exist yet
    StaticFilesOptions options_;
};

}  // namespace perch
