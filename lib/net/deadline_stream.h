// The stream http_server.cpp hands httplib for each accepted connection.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

#include "net/connection_reader.h"
#include "net/socket_io.h"

namespace perch {

// httplib's view of a client connection: reads through the connection's
// ConnectionReader (buffered, under the request's deadline, within its frame).
class DeadlineStream final : public httplib::Stream {
public:
    DeadlineStream(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
        : reader_(fd, read_timeout), fd_(fd), write_timeout_(write_timeout), remote_(peer_endpoint(fd)),
          local_(local_endpoint(fd)) {}

    ConnectionReader& reader() { return reader_; }
    const ConnectionReader& reader() const { return reader_; }
    const std::string& remote_ip() const { return remote_.ip; }

    bool is_readable() const override { return reader_.is_readable(); }
    // httplib asks before every write; send_within waits for room itself,
    // under the same write timeout, so a poll here would only cost a syscall.
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override { return reader_.read(ptr, size); }

    // httplib writes an answer's head, then its body: held and sent together
    // they are one send and one segment for the client to wake up for. A
    // 1xx head (100 Continue) goes out at once: the client waits for it.
    ssize_t write(const char* ptr, size_t size) override;

    // Sends what write() holds back; false if the connection failed.
    bool flush();

    void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = remote_.ip; port = remote_.port; }
    void get_local_ip_and_port(std::string& ip, int& port) const override { ip = local_.ip; port = local_.port; }
    socket_t socket() const override { return fd_; }

private:
    static constexpr std::size_t max_held = 16 * 1024;

    ConnectionReader reader_;
    int fd_;
    std::chrono::milliseconds write_timeout_;
    Endpoint remote_;
    Endpoint local_;
    std::string held_;  // an answer's head, until its body (or flush())
};

}  // namespace perch
