// Loopback helpers for espota tests: a responder on a real Updater (in-memory flash) running on
// its own io thread, and raw blocking sockets with timeouts to play a misbehaving peer.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/image_report.h"
#include "net/espota_responder.h"
#include "tests/core/device_fixture.h"

namespace otakit::test {

inline bool wait_until(const std::function<bool()>& condition, int timeout_ms = 5000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A device: flash with a provisioned running image, its Updater, and an espota responder on
// 127.0.0.1 (a free port) served by an io thread. Hooks are counted.
class ResponderDevice {
 public:
  explicit ResponderDevice(net::EspotaResponderOptions options = {}, const char* layout = "1M", uint16_t udp_port = 0)
      : dev(layout), running(testing::make_image(150000, 1)) {
    if (!dev.provision(running)) throw std::runtime_error("provision");
    dev.reboot();
    options.bind_address = "127.0.0.1";
    options.port = udp_port;
    responder = std::make_unique<net::EspotaResponder>(io, options, *dev.updater);
    net::EspotaHooks hooks;
    hooks.on_start = [this](espota::Command) { ++starts; };
    hooks.on_progress = [this](uint32_t, uint32_t) { ++progress_calls; };
    hooks.on_end = [this] { ++ends; };
    hooks.on_error = [this](espota::OtaError kind, const std::string& message) {
      std::lock_guard<std::mutex> lock(mutex);
      errors.emplace_back(kind, message);
      ++error_count;
    };
    hooks.reboot = [this] { ++reboots; };
    responder->set_hooks(hooks);
    responder->start();
    port = responder->local_port();
    thread = std::thread([this] { io.run(); });
  }

  ~ResponderDevice() { stop(); }

  void stop() {
    if (!thread.joinable()) return;
    std::promise<void> stopped;
    boost::asio::post(io, [this, &stopped] {
      responder->stop();
      stopped.set_value();
    });
    stopped.get_future().wait();
    guard.reset();
    io.stop();
    thread.join();
  }

  // The boot path after a reset: the staged image (if any) is swapped in. Stops the responder.
  bool runs_after_reboot(const std::vector<uint8_t>& image) {
    stop();
    dev.reboot();
    return dev.runs(image);
  }

  std::pair<espota::OtaError, std::string> last_error() {
    std::lock_guard<std::mutex> lock(mutex);
    return errors.empty() ? std::make_pair(espota::OtaError::auth, std::string()) : errors.back();
  }
  int sessions() const { return ends + error_count; }

  // Read on the io thread, where the responder lives.
  net::EspotaResponderStats stats() {
    std::promise<net::EspotaResponderStats> result;
    boost::asio::post(io, [this, &result] { result.set_value(responder->stats()); });
    return result.get_future().get();
  }

  testing::Device dev;
  std::vector<uint8_t> running;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<net::EspotaResponder> responder;
  uint16_t port = 0;
  std::atomic<int> starts{0}, progress_calls{0}, ends{0}, error_count{0}, reboots{0};
  std::mutex mutex;
  std::vector<std::pair<espota::OtaError, std::string>> errors;
  std::thread thread;
};

// A UDP port that was free a moment ago (for a device that starts later).
inline uint16_t free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  socklen_t len = sizeof(local);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  ::close(fd);
  return ntohs(local.sin_port);
}

// Blocking POSIX sockets with receive timeouts, to act as a hand-driven uploader.
class RawUdp {
 public:
  RawUdp() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  }
  ~RawUdp() { ::close(fd_); }
  void send_to(uint16_t port, const std::string& text) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  // Empty string on timeout.
  std::string receive(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return {};
    char buffer[1024];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, size_t(n)) : std::string();
  }

 private:
  int fd_;
};

class RawListener {
 public:
  RawListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    ::listen(fd_, 4);
    socklen_t len = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
  }
  ~RawListener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  // A connected socket, or -1 on timeout.
  int accept(int timeout_ms = 3000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return -1;
    return ::accept(fd_, nullptr, nullptr);
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

// Reads what arrives within timeout_ms (stops early at EOF); sets *eof when the peer closed.
inline std::string read_for(int fd, int timeout_ms, bool* eof = nullptr) {
  std::string out;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (eof) *eof = false;
  for (;;) {
    int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count());
    if (left <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) return out;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      if (eof) *eof = true;
      return out;
    }
    out.append(buffer, size_t(n));
  }
}

inline void send_all(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return;
    data += n;
    len -= size_t(n);
  }
}

inline std::string md5_of(const std::vector<uint8_t>& bytes) { return host::md5_hex(bytes.data(), bytes.size()); }

inline std::string invitation(uint16_t port, size_t size, const std::string& md5, int command = 0) {
  return std::to_string(command) + " " + std::to_string(port) + " " + std::to_string(size) + " " + md5 + "\n";
}

}  // namespace otakit::test
