// The proxy's OAuth 2.0 client and refresh_stored_grant against perch-emulator's
// own routes, joined in process by a transport that hands each request to the
// emulator: a sign-up's grant is stored, refreshed, and the new access token
// works at /2/users/me while the used refresh token no longer does.
#include <catch2/catch.hpp>

#include <string>

#include "support/account_test_support.h"
#include "app/oauth2_refresh.h"
#include "app/protocol_settings.h"
#include "emulator/emulator.h"
#include "provider/oauth2_client.h"
#include "provider/pkce.h"
#include "core/query.h"

namespace {

using perch::emulator::EmuRequest;
using perch::emulator::EmuResponse;

constexpr const char* redirect = "http://127.0.0.1:8080/signup/callback";

// OutgoingRequest -> the emulator's handle() -> IncomingResponse.
class EmulatorTransport final : public perch::HttpTransport {
public:
    explicit EmulatorTransport(perch::emulator::Emulator& emulator) : emulator_(emulator) {}

    perch::TransportResult send(const perch::OutgoingRequest& request) override {
        EmuRequest emu;
        emu.method = request.method;
        const std::string target = request.url.substr(request.url.find('/', std::string("http://").size()));
        const auto question = target.find('?');
        emu.path = target.substr(0, question);
        emu.query = question == std::string::npos ? std::string() : target.substr(question + 1);
        emu.headers.emplace("host", "127.0.0.1:8081");
        for (const auto& [name, value] : request.headers) {
            std::string lower = name;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            emu.headers.emplace(lower, value);
        }
        if (!request.content_type.empty()) emu.headers.emplace("content-type", request.content_type);
        emu.body = request.body;
        emu.remote_addr = "127.0.0.1";
        const EmuResponse answer = emulator_.handle(emu);
        perch::IncomingResponse response;
        response.status = answer.status;
        response.body = answer.body;
        for (const auto& [name, value] : answer.headers) {
            std::string lower = name;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            response.headers.emplace(lower, value);
        }
        return response;
    }

private:
    perch::emulator::Emulator& emulator_;
};

std::string form_value(const std::string& html, const std::string& name) {
    const std::string marker = "name=\"" + name + "\" value=\"";
    const auto start = html.find(marker);
    REQUIRE(start != std::string::npos);
    return html.substr(start + marker.size(), html.find('"', start + marker.size()) - start - marker.size());
}

struct Setup {
    Setup() {
        config.consumer_key = "ck";
        config.consumer_secret = "cs";
        config.client_id = "perch-client";
        config.client_secret = "perch-secret";
        config.allowed_redirects = {redirect};
        emulator = std::make_unique<perch::emulator::Emulator>(config, emulator_clock, random);
        transport = std::make_unique<EmulatorTransport>(*emulator);
        proxy_config.protocol = perch::Protocol::oauth2;
        proxy_config.client_id = "perch-client";
        proxy_config.client_secret = "perch-secret";
        proxy_config.callback_url = redirect;
        proxy_config.twitter_api = "http://127.0.0.1:8081";
        proxy_config.x_authorize_url = "http://127.0.0.1:8081/i/oauth2/authorize";
        client = std::make_unique<perch::OAuth2HttpClient>(perch::oauth2_settings(proxy_config), *transport, accounts.clock);
    }

    // The consent page for the proxy's authorize URL, Authorize app, the code.
    std::string code(const std::string& verifier) {
        const std::string url = client->authorize_url("state-1", perch::code_challenge_s256(verifier));
        const EmuResponse page = emulator->handle(EmuRequest{"GET", "/i/oauth2/authorize",
                                                             url.substr(url.find('?') + 1),
                                                             {{"host", "127.0.0.1:8081"}}, "", "127.0.0.1"});
        REQUIRE(page.status == 200);
        const std::string body = "authenticity_token=" + form_value(page.body, "authenticity_token") +
                                 "&request_id=" + form_value(page.body, "request_id");
        const EmuResponse decided = emulator->handle(EmuRequest{
            "POST", "/i/oauth2/authorize", "",
            {{"host", "127.0.0.1:8081"}, {"content-type", "application/x-www-form-urlencoded"},
             {"origin", "http://127.0.0.1:8081"}},
            body, "127.0.0.1"});
        REQUIRE(decided.status == 302);
        std::string location;
        for (const auto& [name, value] : decided.headers) {
            if (name == "Location") location = value;
        }
        const auto params = perch::parse_query(location.substr(location.find('?') + 1)).value();
        CHECK(*perch::find_param(params, "state") == "state-1");
        return *perch::find_param(params, "code");
    }

    perch::emulator::EmulatorConfig config;
    perch::SystemClock emulator_clock;
    perch::SecureRandom random;
    std::unique_ptr<perch::emulator::Emulator> emulator;
    std::unique_ptr<EmulatorTransport> transport;
    perch::ProxyConfig proxy_config;
    perch::test::AccountFixture accounts;
    std::unique_ptr<perch::OAuth2HttpClient> client;
};

}  // namespace

TEST_CASE("A stored grant is refreshed at the emulator: new tokens stored, the old refresh token spent") {
    Setup setup;
    auto store = setup.accounts.open();
    const std::string verifier = perch::make_code_verifier(setup.random);
    auto exchanged = setup.client->exchange_code(setup.code(verifier), verifier);
    REQUIRE(exchanged.ok());
    const perch::OAuth2Tokens first = exchanged.value();
    REQUIRE_FALSE(first.refresh_token.empty());
    auto me = setup.client->users_me(first.access_token, false);
    REQUIRE(me.ok());
    const std::string id = me.value().user_id;

    perch::NewAccount account = perch::test::new_account(id, "ada");
    account.access_token.clear();
    account.access_token_secret.clear();
    account.oauth2 = perch::OAuth2Grant{first.access_token, first.refresh_token, 0};
    REQUIRE(store->register_account(account).ok());

    auto refreshed = perch::refresh_stored_grant(*store, *setup.client, setup.accounts.clock, id);
    REQUIRE(refreshed.ok());
    const perch::OAuth2Grant grant = refreshed.value();
    CHECK(grant.access_token != first.access_token);
    CHECK(grant.expires_at > setup.accounts.clock.unix_seconds());
    const auto stored = store->oauth2_grant_of(id);
    REQUIRE(stored.ok());
    CHECK(stored.value().access_token == grant.access_token);
    CHECK(stored.value().refresh_token == grant.refresh_token);
    CHECK((setup.client->users_me(grant.access_token, false)).ok());

    // The spent refresh token is refused by the emulator as X refuses it.
    auto again = setup.client->refresh(first.refresh_token);
    REQUIRE(!again.ok());
    CHECK(again.error().kind == perch::ProviderFailure::Kind::grant_refused);
}

TEST_CASE("Refreshing an account without a grant or refresh token fails without asking X") {
    Setup setup;
    auto store = setup.accounts.open();
    auto missing = perch::refresh_stored_grant(*store, *setup.client, setup.accounts.clock, "404");
    REQUIRE(!missing.ok());
    CHECK(missing.error().kind == perch::RefreshFailure::Kind::no_grant);
    perch::NewAccount account = perch::test::new_account("5", "bob");
    account.oauth2 = perch::OAuth2Grant{"AT", "", 0};
    REQUIRE(store->register_account(account).ok());
    auto offline = perch::refresh_stored_grant(*store, *setup.client, setup.accounts.clock, "5");
    REQUIRE(!offline.ok());
    CHECK(offline.error().kind == perch::RefreshFailure::Kind::no_grant);
}
