// The only file that knows cpp-httplib: turns sockets into EmuRequests, carries
// out the delay and drop faults, and stops promptly.
#pragma once

#include <memory>
#include <string>

#include "emulator.h"

namespace perch::emulator {

class HttpServer {
public:
    HttpServer(Emulator& emulator, const EmulatorConfig& config);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds config.host:config.port (0: any free port). Returns the port, or -1.
    int bind();
    // Serves until stop(). Returns false if the server could not run.
    bool run();
    // Thread-safe and idempotent: stops accepting, wakes delayed answers (they
    // are then dropped) and makes run() return.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace perch::emulator
