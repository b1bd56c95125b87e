// Drives a PullSession as a driver would, in memory: records every event with its texts copied,
// answers connect with on_connected, feeds server bytes in pieces and moves the clock.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/pull/pull_session.h"

namespace otakit::pull::testing {

// A PullEvent whose texts outlive the session's buffers.
struct Seen {
  PullAction action = PullAction::log;
  std::string host;
  uint16_t port = 0;
  bool secure = false;
  std::string data;
  uint32_t done = 0;
  uint32_t total = 0;
  PullResult result = PullResult::failed;
  int32_t error = 0;
  std::string error_text;
  uint16_t http_status = 0;
  std::string message;
  std::string available_version;
  std::string withheld;
  proto::LogLevel level = proto::LogLevel::debug;
  std::string text;
};

inline Seen copy(const PullEvent& e) {
  Seen s;
  s.action = e.action;
  if (e.host) s.host = e.host;
  s.port = e.port;
  s.secure = e.secure;
  if (e.data) s.data.assign(reinterpret_cast<const char*>(e.data), e.len);
  s.done = e.done;
  s.total = e.total;
  s.result = e.result;
  s.error = e.error;
  if (e.error_text) s.error_text = e.error_text;
  s.http_status = e.http_status;
  if (e.message) s.message = e.message;
  if (e.available_version) s.available_version = e.available_version;
  if (e.withheld) s.withheld = e.withheld;
  s.level = e.level;
  if (e.text) s.text = e.text;
  return s;
}

class Driver {
 public:
  Driver(const PullConfig& config, UpdateSink& sink) : config_(config), session(config_, sink) {}

  PullConfig config_;
  PullSession session;
  std::vector<Seen> events;
  std::vector<size_t> peer_closes;  // events.size() when the server closed (or a connect failed)
  uint32_t now = 1000;

  void drain() {
    PullEvent e;
    while (session.poll(&e)) events.push_back(copy(e));
    ASSERT_FALSE(session.queue_overflowed());
  }
  // start() and, for the connect it asks for, on_connected(): returns the request sent.
  std::string start_and_connect() {
    EXPECT_TRUE(session.start(now));
    drain();
    return connect();
  }
  // Answers the last connect: returns the request the session sends on it.
  std::string connect() {
    EXPECT_EQ(session.state(), PullState::connecting);
    session.on_connected(now);
    drain();
    return last(PullAction::send) ? last(PullAction::send)->data : std::string();
  }
  void feed(const std::string& bytes, size_t piece = SIZE_MAX) {
    for (size_t at = 0; at < bytes.size(); at += piece) {
      size_t n = std::min(piece, bytes.size() - at);
      session.on_data(reinterpret_cast<const uint8_t*>(bytes.data() + at), n, now);
      drain();
    }
  }
  void close() {
    peer_closes.push_back(events.size());
    session.on_closed(now);
    drain();
  }
  void advance(uint32_t ms) {
    now += ms;
    session.on_tick(now);
    drain();
  }
  // The whole exchange on one connection: request out, response in, server closes.
  std::string exchange(const std::string& response, size_t piece = SIZE_MAX) {
    std::string request = start_and_connect();
    feed(response, piece);
    if (session.state() != PullState::done) close();
    return request;
  }

  int count(PullAction action) const {
    return int(std::count_if(events.begin(), events.end(), [&](const Seen& s) { return s.action == action; }));
  }
  const Seen* last(PullAction action) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->action == action) return &*it;
    return nullptr;
  }
  // The one finished event; a test fails if there is none or more than one.
  Seen finished() const {
    EXPECT_EQ(count(PullAction::finished), 1);
    const Seen* f = last(PullAction::finished);
    return f ? *f : Seen{};
  }
  std::vector<std::string> requests() const {
    std::vector<std::string> out;
    for (const Seen& s : events)
      if (s.action == PullAction::send) out.push_back(s.data);
    return out;
  }
  void connect_failed() {
    peer_closes.push_back(events.size());
    session.on_connect_failed(now);
    drain();
  }
  // Every connect is closed (by a close event or by the server) before the next one and before
  // finished.
  void expect_connections_balanced() const {
    int open = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      for (size_t at : peer_closes) open -= at == i && open > 0;
      const Seen& s = events[i];
      if (s.action == PullAction::connect) {
        EXPECT_EQ(open++, 0) << "a connect while one is open";
      } else if (s.action == PullAction::close) {
        EXPECT_EQ(--open, 0) << "a close without a connection";
      } else if (s.action == PullAction::finished) {
        EXPECT_EQ(open, 0) << "finished with the connection open";
      }
    }
  }
};

inline std::string head_200(size_t length, const std::string& extra = "") {
  return "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(length) +
         "\r\n" + extra + "\r\n";
}

inline std::string as_string(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

inline std::string chunked(const std::string& body, size_t chunk) {
  std::string out;
  char size[16];
  for (size_t at = 0; at < body.size(); at += chunk) {
    size_t n = std::min(chunk, body.size() - at);
    std::snprintf(size, sizeof(size), "%zx\r\n", n);
    out += size + body.substr(at, n) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace otakit::pull::testing
