// Drives a WebUpdateServer as the socket driver does (drain poll() after every call, hand back the
// unused rest, stop reading a connection the server closed) and keeps what came out: the bytes
// sent on each connection, closes, and every event in order. Plus request and form builders and a
// reply parser for the webupdate tests.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/webupdate/web_update_server.h"
#include "tests/core/fake_update_sink.h"

namespace otakit::webupdate::testing {

constexpr char kBoundary[] = "----otakitFormBoundary7MA4YWxkTrZu0gW";
constexpr char kAuth[] = "Authorization: Basic YWRtaW46c2VjcmV0\r\n";  // admin:secret

struct FixedStatus final : StatusSource {
  DeviceStatus status;
  FixedStatus() {
    status.hostname = "esp-test";
    status.version = "1.2.3";
    status.md5 = "0123456789abcdef0123456789abcdef";
    status.sketch_size = 300000;
    status.free_space = 1 << 20;
    status.filesystem_size = 1 << 16;
    status.chip_id = 15602487;
    status.boots = 7;
  }
  DeviceStatus device_status() override { return status; }
};

// One event as it came out, its pointers copied.
struct Seen {
  ServerAction action;
  uint8_t connection;
  std::string data;  // send: the bytes; finished and log: the text
  bool success;
  UpdateCommand command;
  uint32_t done;
  uint32_t total;
};

// A parsed reply: status code, head (with the status line) and body.
struct Reply {
  int status = 0;
  std::string head;
  std::string body;
  bool has(const std::string& line) const { return head.find("\r\n" + line + "\r\n") != std::string::npos; }
};

// Splits what a connection received into replies (bodies by Content-Length). head_only: the
// requests were HEAD, so no body follows the heads.
inline std::vector<Reply> parse_replies(const std::string& sent, bool head_only = false) {
  std::vector<Reply> replies;
  size_t at = 0;
  while (at < sent.size()) {
    Reply reply;
    const size_t end = sent.find("\r\n\r\n", at);
    const bool http = sent.compare(at, 9, "HTTP/1.1 ") == 0 || sent.compare(at, 9, "HTTP/1.0 ") == 0;
    if (end == std::string::npos || !http) {
      ADD_FAILURE() << "not a reply head at " << at << ": " << sent.substr(at);
      break;
    }
    reply.head = sent.substr(at, end + 4 - at);
    reply.status = std::stoi(reply.head.substr(9, 3));
    size_t length = 0;
    const size_t field = reply.head.find("\r\nContent-Length: ");
    if (field != std::string::npos) length = std::stoul(reply.head.substr(field + 18));
    if (head_only || reply.status == 100) length = 0;
    reply.body = sent.substr(end + 4, length);
    at = end + 4 + length;
    replies.push_back(reply);
  }
  return replies;
}

struct Part {
  Part(std::string name_, std::string content_, std::string filename_ = "")
      : name(std::move(name_)), content(std::move(content_)), filename(std::move(filename_)) {}
  std::string name;
  std::string content;
  std::string filename;  // empty: a plain field
};

inline std::string form(const std::vector<Part>& parts, const std::string& boundary = kBoundary) {
  std::string body;
  for (const Part& part : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
    if (!part.filename.empty()) body += "; filename=\"" + part.filename + "\"\r\nContent-Type: application/octet-stream";
    body += "\r\n\r\n" + part.content + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

inline std::string firmware_form(const std::string& image) { return form({{"firmware", image, "fw.bin"}}); }

// A POST with a Content-Length that fits the body; extra: more header lines, each with its CRLF.
inline std::string post(const std::string& body, const std::string& extra = "",
                        const std::string& content_type = std::string("multipart/form-data; boundary=") + kBoundary) {
  std::string head = "POST /update HTTP/1.1\r\nHost: esp8266\r\n";
  if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

inline std::string get(const std::string& target = "/update", const std::string& extra = "",
                       const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: esp8266\r\n" + extra + "\r\n";
}

class Harness {
 public:
  explicit Harness(const ServerConfig& config = ServerConfig{}) : server(config, sink, status) {}
  explicit Harness(const char* user, const char* password) : server(with_auth(user, password), sink, status) {}
  // Over another sink (the real Updater's); `sink` then stays unused.
  Harness(const ServerConfig& config, UpdateSink& other) : server(config, other, status) {}

  uint8_t accept(uint32_t now = 0) {
    const uint8_t slot = server.on_accept(now);
    drain();
    if (slot != WebUpdateServer::kNoSlot) {
      open_[slot] = true;
      closed_[slot] = false;
      sent_[slot].clear();
    }
    return slot;
  }

  // Delivers bytes in reads of at most `read` bytes. Returns how many the server used before it
  // closed the connection (the rest a driver drops).
  size_t send(uint8_t slot, const std::string& bytes, uint32_t now = 0, size_t read = SIZE_MAX) {
    size_t used = 0;
    while (used < bytes.size() && open_[slot]) {
      const size_t n = std::min(read, bytes.size() - used);
      size_t taken = 0;
      while (taken < n && open_[slot]) {
        const size_t step = server.on_data(slot, reinterpret_cast<const uint8_t*>(bytes.data()) + used + taken,
                                           n - taken, now);
        drain();
        if (step == 0) {
          ADD_FAILURE() << "on_data used nothing of " << n - taken << " bytes";
          return used + taken;
        }
        taken += step;
      }
      used += taken;
    }
    return used;
  }

  void peer_closed(uint8_t slot, uint32_t now = 0) {
    server.on_closed(slot, now);
    open_[slot] = false;
    drain();
  }
  void tick(uint32_t now) {
    server.on_tick(now);
    drain();
  }

  // What the connection in `slot` received since it was accepted, and whether the server closed it.
  const std::string& sent(uint8_t slot) const { return sent_[slot]; }
  std::vector<Reply> replies(uint8_t slot, bool head_only = false) const { return parse_replies(sent_[slot], head_only); }
  Reply only_reply(uint8_t slot) const {
    std::vector<Reply> all = replies(slot);
    EXPECT_EQ(all.size(), 1u) << sent_[slot];
    return all.empty() ? Reply{} : all.back();
  }
  bool closed(uint8_t slot) const { return closed_[slot]; }
  bool is_open(uint8_t slot) const { return open_[slot]; }

  int count(ServerAction action) const {
    int n = 0;
    for (const Seen& e : events)
      if (e.action == action) ++n;
    return n;
  }
  const Seen* last(ServerAction action) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->action == action) return &*it;
    return nullptr;
  }

  otakit::testing::FakeUpdateSink sink;
  FixedStatus status;
  WebUpdateServer server;
  std::vector<Seen> events;

 private:
  static ServerConfig with_auth(const char* user, const char* password) {
    ServerConfig config;
    config.user = user;
    config.password = password;
    return config;
  }

  void drain() {
    ServerEvent e;
    while (server.poll(&e)) {
      Seen seen{e.action, e.connection, {}, e.success, e.command, e.done, e.total};
      if (e.action == ServerAction::send) {
        seen.data.assign(reinterpret_cast<const char*>(e.data), e.len);
        EXPECT_TRUE(open_[e.connection]) << "bytes for a connection that is not open";
        sent_[e.connection] += seen.data;
      } else if (e.text != nullptr) {
        seen.data = e.text;
      }
      if (e.action == ServerAction::close) {
        closed_[e.connection] = true;
        open_[e.connection] = false;
      }
      events.push_back(seen);
    }
    EXPECT_FALSE(server.queue_overflowed());
  }

  bool open_[WebUpdateServer::kConnections] = {};
  bool closed_[WebUpdateServer::kConnections] = {};
  std::string sent_[WebUpdateServer::kConnections];
};

}  // namespace otakit::webupdate::testing
