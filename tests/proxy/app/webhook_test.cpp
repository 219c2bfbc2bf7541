// Webhooks without sockets: the Perch-Signature header, the event body, and
// the delivery worker over a real SQLite outbox with a scripted transport and
// a clock the test moves.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/webhook_signature.h"
#include "app/webhook_worker.h"
#include "base/log.h"
#include "store/sqlite_outbox.h"
#include "support/account_test_support.h"

using namespace perch;
using json = nlohmann::json;

namespace {

// Answers from a script (the last one repeats) and keeps every request.
class ScriptedTransport final : public HttpTransport {
public:
    TransportResult send(const OutgoingRequest& request) override {
        std::lock_guard<std::mutex> lock(mutex_);
        requests.push_back(request);
        TransportResult answer = script.size() > 1 ? script.front() : script.back();
        if (script.size() > 1) script.pop_front();
        sent_.notify_all();
        return answer;
    }
    // Waits (up to a deadline) until `count` requests have been sent.
    bool wait_for(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex_);
        return sent_.wait_for(lock, std::chrono::seconds(20), [&] { return requests.size() >= count; });
    }
    static TransportResult status(int code) { return IncomingResponse{code, {}, ""}; }

    std::deque<TransportResult> script{status(200)};
    std::vector<OutgoingRequest> requests;

private:
    std::mutex mutex_;
    std::condition_variable sent_;
};

std::string header_of(const OutgoingRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name) return value;
    }
    return {};
}

struct Fixture : test::AccountFixture {
    Fixture() {
        store = open();
        store->record_events(EventRecorder{&random, [this] {
                                               if (worker) worker->wake();
                                           }});
        outbox = SqliteOutbox::open(options()).value();
        options_.url = "http://127.0.0.1:9/hooks";
        options_.secret = "whsec_test";
    }
    WebhookWorker& make_worker() {
        worker = std::make_unique<WebhookWorker>(
            *outbox, transport, options_, log.get(), [this](std::string_view result) {
                std::lock_guard<std::mutex> lock(results_mutex);
                results.emplace_back(result);
            },
            [this] { return now_ms.load(); });
        return *worker;
    }
    Account sign_up(const std::string& id, const std::string& name) {
        return store->register_account(test::new_account(id, name)).value();
    }

    std::unique_ptr<AccountStore> store;
    std::unique_ptr<WebhookOutbox> outbox;
    ScriptedTransport transport;
    WebhookWorkerOptions options_;
    std::ostringstream log_text;
    std::unique_ptr<Log> log = Log::to_stream(log_text);
    std::atomic<std::int64_t> now_ms{1714566896LL * 1000};
    std::mutex results_mutex;
    std::vector<std::string> results;
    std::unique_ptr<WebhookWorker> worker;
};

}  // namespace

TEST_CASE("hmac_sha256_hex matches RFC 4231's test case 2") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("webhook_signature signs \"<t>.<body>\" and names t") {
    const std::string body = R"({"id":"evt_1"})";
    CHECK(webhook_signature("whsec_test", 1714566896, body) ==
          "t=1714566896,v1=" + hmac_sha256_hex("whsec_test", "1714566896." + body));
    CHECK(webhook_signature("whsec_test", 1714566896, body) != webhook_signature("whsec_test", 1714566897, body));
    CHECK(webhook_signature("whsec_test", 1714566896, body) != webhook_signature("other", 1714566896, body));
}

TEST_CASE("webhook_event_body: id, type, created_at and the /api/me user object, exactly") {
    Account account;
    account.id = 3;
    account.twitter_id = "42";
    account.username = "ada";
    account.first_name = "Ada";
    account.last_name = "Lovelace";
    account.email = "ada@example.com";
    account.timezone = "Europe/London";
    account.picture = "https://pbs.twimg.com/a.jpg";
    account.created_at = "2024-05-01T12:00:00Z";
    account.last_sign_in_at = "2024-05-01T12:34:56Z";
    account.sealed_access_token = "sealed-token";
    account.sealed_access_token_secret = "sealed-secret";
    const std::string body = webhook_event_body("evt_abc", WebhookEventType::account_signed_in, 1714566896, account);
    CHECK(body ==
          R"({"created_at":"2024-05-01T12:34:56Z","data":{"user":{"created_at":"2024-05-01T12:00:00Z",)"
          R"("email":"ada@example.com","first_name":"Ada","last_name":"Lovelace",)"
          R"("last_sign_in_at":"2024-05-01T12:34:56Z","picture":"https://pbs.twimg.com/a.jpg",)"
          R"("timezone":"Europe/London","twitter_id":"42","username":"ada"}},"id":"evt_abc",)"
          R"("type":"account.signed_in"})");
    CHECK(json::parse(body).at("data").at("user") == api::to_json(to_api_user(account)));
    CHECK(to_string(WebhookEventType::account_created) == "account.created");
    CHECK(to_string(WebhookEventType::account_deleted) == "account.deleted");
}

TEST_CASE("retry_delay doubles from the first retry and stops at the cap") {
    WebhookWorkerOptions options;
    CHECK(retry_delay(options, 1) == std::chrono::seconds(1));
    CHECK(retry_delay(options, 2) == std::chrono::seconds(2));
    CHECK(retry_delay(options, 9) == std::chrono::seconds(256));
    CHECK(retry_delay(options, 10) == std::chrono::minutes(5));
    CHECK(retry_delay(options, 1000) == std::chrono::minutes(5));
}

TEST_CASE("The worker POSTs the stored body with a signature over the send time, and removes it on 2xx") {
    Fixture fixture;
    WebhookWorker& worker = fixture.make_worker();
    fixture.sign_up("1", "ada");
    CHECK(worker.deliver_due() == 1);
    REQUIRE(fixture.transport.requests.size() == 1);
    const OutgoingRequest& sent = fixture.transport.requests[0];
    CHECK(sent.method == "POST");
    CHECK(sent.url == "http://127.0.0.1:9/hooks");
    CHECK(sent.content_type == "application/json");
    CHECK(json::parse(sent.body).at("type") == "account.created");
    CHECK(header_of(sent, "Perch-Signature") == webhook_signature("whsec_test", 1714566896, sent.body));
    CHECK(fixture.results == std::vector<std::string>{"delivered"});
    CHECK_FALSE(fixture.outbox->next_due().value().has_value());
    CHECK(worker.deliver_due() == 0);
}

TEST_CASE("Anything but 2xx is retried with the same id and body, after 1 s, 2 s, 4 s, …") {
    Fixture fixture;
    fixture.transport.script = {ScriptedTransport::status(500),
                                TransportError{TransportFailure::timeout, "read timed out"},
                                ScriptedTransport::status(302), ScriptedTransport::status(204)};
    WebhookWorker& worker = fixture.make_worker();
    fixture.sign_up("1", "ada");
    const std::int64_t start = fixture.now_ms;
    CHECK(worker.deliver_due() == 1);
    for (const std::int64_t gap : {1000, 2000, 4000}) {
        fixture.now_ms += gap - 1;
        CHECK(worker.deliver_due() == 0);  // not a millisecond early
        fixture.now_ms += 1;
        CHECK(worker.deliver_due() == 1);
    }
    REQUIRE(fixture.transport.requests.size() == 4);
    for (const OutgoingRequest& request : fixture.transport.requests) {
        CHECK(request.body == fixture.transport.requests[0].body);
    }
    // Each attempt is signed at its own send time.
    CHECK(header_of(fixture.transport.requests[3], "Perch-Signature") ==
          webhook_signature("whsec_test", (start + 7000) / 1000, fixture.transport.requests[0].body));
    CHECK(fixture.results == std::vector<std::string>{"failed", "failed", "failed", "delivered"});
    CHECK(fixture.log_text.str().find("failed: answered 500; attempt 1, next in 1000 ms") != std::string::npos);
    CHECK(fixture.log_text.str().find("failed: timed out; attempt 2, next in 2000 ms") != std::string::npos);
    CHECK(fixture.log_text.str().find("whsec_test") == std::string::npos);
}

TEST_CASE("An event failing for longer than keep_for is dropped with an error line") {
    Fixture fixture;
    fixture.transport.script = {ScriptedTransport::status(503)};
    WebhookWorker& worker = fixture.make_worker();
    fixture.sign_up("1", "ada");
    const std::int64_t created = fixture.now_ms;
    int attempts = 0;
    // Retried, at most 5 minutes apart, until a day has passed.
    while (fixture.outbox->next_due().value().has_value()) {
        const std::int64_t due = *fixture.outbox->next_due().value();
        CHECK(due - fixture.now_ms <= 5 * 60 * 1000);
        fixture.now_ms = due;
        REQUIRE(worker.deliver_due() == 1);
        ++attempts;
        REQUIRE(attempts < 1000);
    }
    CHECK(fixture.now_ms - created >= 24LL * 3600 * 1000);
    CHECK(fixture.now_ms - created < 24LL * 3600 * 1000 + 5 * 60 * 1000);
    CHECK(fixture.results.back() == "dropped");
    CHECK(fixture.log_text.str().find("dropped after " + std::to_string(attempts) + " attempts: answered 503") !=
          std::string::npos);
}

TEST_CASE("The worker thread delivers a new event promptly: the commit wakes it") {
    Fixture fixture;
    fixture.options_.poll = std::chrono::hours(1);  // only the wake-up can explain a prompt delivery
    fixture.make_worker().start();
    fixture.sign_up("1", "ada");
    REQUIRE(fixture.transport.wait_for(1));
    fixture.sign_up("2", "grace");
    REQUIRE(fixture.transport.wait_for(2));
    fixture.worker->stop();
    CHECK(json::parse(fixture.transport.requests[1].body).at("data").at("user").at("username") == "grace");
}
