// Reading a browser's flow cookies: which are ours, how many are honoured,
// in what order, and what a start asks the browser to forget.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/app_fakes.h"
#include "app/flow_cookies.h"

using namespace perch;
using perch::testing::CountingRandom;

namespace {

struct Fixture {
    ProxyConfig config;
    CountingRandom random;
    FlowSeal seal{TokenKey{{1, 2, 3}}, random};

    // "name=value" of a flow cookie for `id`, expiring at `expires`.
    std::string cookie(const std::string& name, const std::string& id, std::int64_t expires) {
        return name + "=" + seal.seal(PendingFlow{FlowProtocol::oauth1, id, "secret", expires}, name);
    }
    BrowserFlows read(const std::vector<std::string>& cookie_headers, std::size_t keep = 5) {
        HttpRequest request;
        for (const std::string& header : cookie_headers) request.headers.emplace("cookie", header);
        return read_browser_flows(request, config, seal, keep);
    }
};

std::vector<std::string> ids(const BrowserFlows& flows) {
    std::vector<std::string> out;
    for (const BrowserFlow& flow : flows.kept) out.push_back(flow.flow.id);
    return out;
}

}  // namespace

TEST_CASE("A new flow cookie's name is the prefix and 11 random URL-safe characters") {
    Fixture f;
    const std::string name = new_flow_cookie_name(f.config, f.random);
    CHECK(name.rfind("perch_flow_", 0) == 0);
    CHECK(name.size() == 22);
    CHECK(new_flow_cookie_name(f.config, f.random) != name);
    f.config.secure_cookies = true;
    CHECK(new_flow_cookie_name(f.config, f.random).rfind("__Host-perch_flow_", 0) == 0);
}

TEST_CASE("Flows are read newest first, at most `keep`; the rest are to be forgotten") {
    Fixture f;
    const std::string header = f.cookie("perch_flow_AAAAAAAAAAA", "old", 100) + "; " +
                               f.cookie("perch_flow_BBBBBBBBBBB", "newest", 300) + "; other=1; " +
                               f.cookie("perch_flow_CCCCCCCCCCC", "middle", 200);
    BrowserFlows all = f.read({header});
    CHECK(ids(all) == std::vector<std::string>{"newest", "middle", "old"});
    CHECK(all.to_forget.empty());
    CHECK(all.kept[0].cookie_name == "perch_flow_BBBBBBBBBBB");

    BrowserFlows two = f.read({header}, 2);
    CHECK(ids(two) == std::vector<std::string>{"newest", "middle"});
    CHECK(two.to_forget == std::vector<std::string>{"perch_flow_AAAAAAAAAAA"});
    CHECK(f.read({header}, 0).to_forget.size() == 3);
}

TEST_CASE("Flows started in the same second are ordered as the browser sent them: the later is newer") {
    Fixture f;
    BrowserFlows flows = f.read({f.cookie("perch_flow_ZZZZZZZZZZZ", "first", 100) + "; " +
                                 f.cookie("perch_flow_AAAAAAAAAAA", "second", 100)}, 1);
    CHECK(ids(flows) == std::vector<std::string>{"second"});
    CHECK(flows.to_forget == std::vector<std::string>{"perch_flow_ZZZZZZZZZZZ"});
}

TEST_CASE("Values that do not open are forgotten; other names, other shapes and repeats are not ours") {
    Fixture f;
    const std::string genuine = f.cookie("perch_flow_AAAAAAAAAAA", "ok", 100);
    const std::string value = genuine.substr(genuine.find('=') + 1);
    BrowserFlows flows = f.read({"perch_flow_BBBBBBBBBBB=garbage; perch_flow_CCCCCCCCCCC=" + value + "; " + genuine +
                                 "; perch_flow_AAAAAAAAAAA=" + value + "; __Host-perch_flow_DDDDDDDDDDD=" + value +
                                 "; perch_flow_EEEE=" + value + "; perch_flow_FFFFFFFFFF!=" + value});
    CHECK(ids(flows) == std::vector<std::string>{"ok"});
    CHECK(flows.to_forget == std::vector<std::string>{"perch_flow_BBBBBBBBBBB", "perch_flow_CCCCCCCCCCC"});
}

TEST_CASE("On https only __Host-perch_flow_ cookies are read") {
    Fixture f;
    f.config.secure_cookies = true;
    BrowserFlows flows = f.read({f.cookie("perch_flow_AAAAAAAAAAA", "plain", 100) + "; " +
                                 f.cookie("__Host-perch_flow_AAAAAAAAAAA", "host", 100)});
    CHECK(ids(flows) == std::vector<std::string>{"host"});
    CHECK(flows.to_forget.empty());
}

TEST_CASE("Flows in several Cookie headers are all read; a header over the limits is not read at all") {
    Fixture f;
    BrowserFlows flows = f.read({f.cookie("perch_flow_AAAAAAAAAAA", "one", 100),
                                 f.cookie("perch_flow_BBBBBBBBBBB", "two", 200) + "; pad=" + std::string(9000, 'x')});
    CHECK(ids(flows) == std::vector<std::string>{"one"});
}

TEST_CASE("A flow cookie keeps the flow a little longer than its lifetime, so a late callback hears 410") {
    Fixture f;
    f.config.flow_ttl = std::chrono::seconds(600);
    const std::string set = flow_cookie(f.config, f.seal, "perch_flow_AAAAAAAAAAA",
                                        PendingFlow{FlowProtocol::oauth1, "t", "s", 100});
    CHECK(set.find("; Path=/; Max-Age=660; HttpOnly; SameSite=Lax") != std::string::npos);
    CHECK(expired_flow_cookie(f.config, "perch_flow_AAAAAAAAAAA") ==
          "perch_flow_AAAAAAAAAAA=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}
