// bench_check_load: the load client of bench/bench_fleet_server.sh. It sends ESP8266httpUpdate checks
// (the request of esp8266-ota.md §6.2) from many identities and counts the answers; it is not a test.
//   --close       what the real client does: HTTP/1.0, Connection: close, read to EOF, reconnect
//   --keep-alive  HTTP/1.1 requests on kept connections (the end of a response from 304/Content-Length)
//   --devices N   rotate through N identities (STA MAC, AP MAC = STA + 1, chip id from an index)
//   --register N  one close-mode check per identity 0..N-1, then exit (the server then knows N devices)
// Prints one line (or --json): responses/s, responses by status, errors, p50/p99 latency. An answer other
// than --expect (default 304) is an error. Every request has a deadline (--timeout), so it never hangs.
// Exit status: 0 when every answer was expected, 1 otherwise.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:8080/update";
  bool keep_alive = false;
  unsigned connections = 50, threads = 2;
  double duration = 0, timeout = 5;
  uint64_t requests = 0;
  uint32_t devices = 1, first = 0, register_n = 0;
  int expect = 304;
  int64_t body_size = -1;
  std::string sketch_md5 = "a43ad019932b627ab90ee35a94a764ee";
  uint32_t free_space = 2093056;  // room for a 1 MiB image on a 4M1M layout (1044480 is the 1M one)
  bool json = false;
  std::string host, path;  // from url
  uint16_t port = 0;
};

struct Stats {
  uint64_t responses = 0, ok = 0, body_bytes = 0;
  std::map<int, uint64_t> by_status;
  std::map<std::string, uint64_t> errors;
  std::vector<uint32_t> latency_us;
};

// Request slots shared by every connection of every thread: slot i is identity first + i % devices.
struct Shared {
  std::atomic<uint64_t> next{0};
  uint64_t limit = 0;  // 0: no limit
  Clock::time_point stop_at = Clock::time_point::max();
  bool claim(uint64_t& slot) {
    if (Clock::now() >= stop_at) return false;
    slot = next.fetch_add(1, std::memory_order_relaxed);
    return limit == 0 || slot < limit;
  }
};

std::string mac(uint32_t v) {  // Espressif's OUI and 24 bits
  return fmt::format("5C:CF:7F:{:02X}:{:02X}:{:02X}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

void build_request(const Options& o, uint32_t index, std::string& out) {
  const uint32_t v = (0x100000u + 2u * index) & 0xffffffu;  // even, so AP = v + 1 stays in the last byte
  out = fmt::format(
      "GET {} HTTP/1.{}\r\nHost: {}:{}\r\nUser-Agent: ESP8266-http-Update\r\n{}"
      "x-ESP8266-Chip-ID: {}\r\nx-ESP8266-STA-MAC: {}\r\nx-ESP8266-AP-MAC: {}\r\n"
      "x-ESP8266-free-space: {}\r\nx-ESP8266-sketch-size: 300000\r\nx-ESP8266-sketch-md5: {}\r\n"
      "x-ESP8266-chip-size: 4194304\r\nx-ESP8266-sdk-version: 2.2.2-dev(38a443e)\r\n"
      "x-ESP8266-mode: sketch\r\nContent-Length: 0\r\n\r\n",
      o.path, o.keep_alive ? 1 : 0, o.host, o.port, o.keep_alive ? "" : "Connection: close\r\n", v, mac(v),
      mac(v + 1), o.free_space, o.sketch_md5);
}

bool iequals_prefix(const char* s, const char* end, const char* name) {
  const size_t n = std::strlen(name);
  if (size_t(end - s) < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != name[i]) return false;
  return true;
}

// One connection: claim a slot, (connect,) write, read the response, count it, go again.
class Conn {
 public:
  Conn(asio::io_context& io, const tcp::endpoint& ep, const Options& o, Shared& sh, Stats& st)
      : sock_(io), deadline_(io), pause_(io), ep_(ep), o_(o), sh_(sh), st_(st), buf_(64 * 1024) {}

  void next() {
    uint64_t slot = 0;
    if (!sh_.claim(slot)) return close();
    build_request(o_, o_.first + uint32_t(slot % o_.devices), req_);
    ++gen_;
    timed_out_ = false;
    deadline_.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout)));
    deadline_.async_wait([this, g = gen_](boost::system::error_code ec) {
      if (ec || g != gen_) return;
      timed_out_ = true;
      boost::system::error_code ignored;
      sock_.close(ignored);
    });
    t0_ = Clock::now();
    if (sock_.is_open()) return write();
    sock_.async_connect(ep_, [this](boost::system::error_code ec) {
      if (ec) return fail("connect: " + ec.message());
      sock_.set_option(tcp::no_delay(true), ec);
      write();
    });
  }

 private:
  void write() {
    status_ = 0;
    head_done_ = server_closes_ = false;
    length_ = -1;
    have_ = body_ = 0;
    asio::async_write(sock_, asio::buffer(req_), [this](boost::system::error_code ec, size_t) {
      if (ec) return fail("write: " + ec.message());
      read();
    });
  }

  void read() {
    sock_.async_read_some(asio::buffer(buf_.data() + have_, buf_.size() - have_),
                          [this](boost::system::error_code ec, size_t n) { on_read(ec, n); });
  }

  void on_read(boost::system::error_code ec, size_t n) {
    if (ec == asio::error::eof) return at_eof();
    if (ec) return fail("read: " + ec.message());
    if (head_done_) {
      body_ += n;
    } else {
      have_ += n;
      const char* b = buf_.data();
      const char* e = std::search(b, b + have_, "\r\n\r\n", "\r\n\r\n" + 4);
      if (e == b + have_) {
        if (have_ == buf_.size()) return fail("response head too large");
        return read();
      }
      if (!parse_head(b, e)) return fail("bad response head");
      head_done_ = true;
      body_ = (b + have_) - (e + 4);
    }
    const bool no_body = status_ == 304 || status_ == 204 || status_ < 200;
    if (o_.keep_alive && !server_closes_) {
      if (no_body) return body_ == 0 ? complete() : fail("body after a " + std::to_string(status_));
      if (length_ >= 0 && body_ == uint64_t(length_)) return complete();
      if (length_ >= 0 && body_ > uint64_t(length_)) return fail("more bytes than Content-Length");
    }
    have_ = 0;  // the body is counted, not kept
    read();
  }

  void at_eof() {
    if (!head_done_) return fail(have_ == 0 ? "closed without an answer" : "closed in the head");
    if (length_ >= 0 && body_ != uint64_t(length_)) return fail("body shorter than Content-Length");
    server_closes_ = true;
    complete();
  }

  bool parse_head(const char* b, const char* e) {
    if (e - b < 12 || std::memcmp(b, "HTTP/1.", 7) != 0) return false;
    status_ = std::atoi(b + 9);
    if (status_ < 100 || status_ > 599) return false;
    for (const char* line = std::search(b, e, "\r\n", "\r\n" + 2); line < e;) {
      line += 2;
      const char* end = std::search(line, e, "\r\n", "\r\n" + 2);
      if (iequals_prefix(line, end, "content-length:")) length_ = std::atoll(line + 15);
      if (iequals_prefix(line, end, "connection:") && std::search(line, end, "close", "close" + 5) != end)
        server_closes_ = true;
      line = end;
    }
    if (!o_.keep_alive) server_closes_ = true;  // HTTP/1.0 without keep-alive: the answer ends at EOF
    return true;
  }

  void complete() {
    deadline_.cancel();
    ++st_.responses;
    ++st_.by_status[status_];
    st_.body_bytes += body_;
    st_.latency_us.push_back(
        uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0_).count()));
    bool good = o_.expect == 0 || status_ == o_.expect;
    if (!good) ++st_.errors[fmt::format("status {}", status_)];
    if (good && o_.body_size >= 0 && status_ / 100 == 2 && body_ != uint64_t(o_.body_size)) {
      ++st_.errors[fmt::format("body of {} bytes", body_)];
      good = false;
    }
    if (good) ++st_.ok;
    if (server_closes_ || !o_.keep_alive) close();
    next();
  }

  void fail(const std::string& why) {
    deadline_.cancel();
    ++st_.errors[timed_out_ ? "timeout" : why];
    close();
    pause_.expires_after(std::chrono::milliseconds(1));  // no busy loop on a refusing port
    pause_.async_wait([this](boost::system::error_code) { next(); });
  }

  void close() {
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

  tcp::socket sock_;
  asio::steady_timer deadline_, pause_;
  tcp::endpoint ep_;
  const Options& o_;
  Shared& sh_;
  Stats& st_;
  std::vector<char> buf_;
  std::string req_;
  Clock::time_point t0_;
  uint64_t gen_ = 0, body_ = 0;
  size_t have_ = 0;
  int status_ = 0;
  int64_t length_ = -1;
  bool head_done_ = false, server_closes_ = false, timed_out_ = false;
};

bool parse_url(Options& o) {
  const std::string prefix = "http://";
  if (o.url.rfind(prefix, 0) != 0) return false;
  const std::string rest = o.url.substr(prefix.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  o.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  o.host = authority.substr(0, colon);
  o.port = colon == std::string::npos ? 80 : uint16_t(std::stoul(authority.substr(colon + 1)));
  return !o.host.empty() && o.port != 0;
}

double percentile_ms(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, size_t(p * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Load client for the fleet server benchmark: ESP8266httpUpdate checks from many devices"};
  app.add_option("--url", o.url, "Where to send the checks")->capture_default_str();
  auto* close = app.add_flag("--close", "HTTP/1.0, Connection: close, read to EOF (the real client; default)");
  app.add_flag("--keep-alive", o.keep_alive, "HTTP/1.1 requests on kept connections")->excludes(close);
  app.add_option("--connections,-c", o.connections, "Concurrent connections")->capture_default_str();
  app.add_option("--threads,-t", o.threads, "Threads, one io_context each")->capture_default_str();
  app.add_option("--duration,-d", o.duration, "Seconds to run (default 5 unless --requests)");
  app.add_option("--requests,-n", o.requests, "Requests to send in all, then stop");
  app.add_option("--devices", o.devices, "Identities to rotate through")->capture_default_str();
  app.add_option("--first", o.first, "Index of the first identity")->capture_default_str();
  app.add_option("--register", o.register_n, "One close-mode check per identity 0..N-1, then exit");
  app.add_option("--expect", o.expect, "Expected status (0: any)")->capture_default_str();
  app.add_option("--body-size", o.body_size, "Every 2xx body must have exactly this many bytes");
  app.add_option("--sketch-md5", o.sketch_md5, "x-ESP8266-sketch-md5 the devices report")->capture_default_str();
  app.add_option("--free-space", o.free_space, "x-ESP8266-free-space the devices report")->capture_default_str();
  app.add_option("--timeout", o.timeout, "Deadline of one request in seconds")->capture_default_str();
  app.add_flag("--json", o.json, "Print the figures as one JSON object");
  CLI11_PARSE(app, argc, argv);
  if (!parse_url(o)) {
    fmt::print(stderr, "bench_check_load: --url must be http://HOST:PORT/PATH\n");
    return 2;
  }
  if (o.register_n) {
    o.keep_alive = false;
    o.devices = o.register_n;
    o.requests = o.register_n;
    o.duration = 0;
  }
  o.devices = std::max<uint32_t>(o.devices, 1);
  o.threads = std::max(1u, std::min(o.threads, o.connections));
  if (o.duration <= 0 && o.requests == 0) o.duration = 5;

  asio::io_context resolve_io;
  tcp::endpoint ep;
  try {
    ep = *tcp::resolver(resolve_io).resolve(o.host, std::to_string(o.port)).begin();
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_check_load: {}: {}\n", o.host, e.what());
    return 2;
  }

  Shared shared;
  shared.limit = o.requests;
  std::vector<Stats> stats(o.threads);
  const Clock::time_point start = Clock::now();
  if (o.duration > 0)
    shared.stop_at = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      asio::io_context io(1);
      std::vector<std::unique_ptr<Conn>> conns;
      for (unsigned c = t; c < o.connections; c += o.threads)
        conns.push_back(std::make_unique<Conn>(io, ep, o, shared, stats[t]));
      for (auto& c : conns) c->next();
      io.run();
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  Stats all;
  for (auto& s : stats) {
    all.responses += s.responses;
    all.ok += s.ok;
    all.body_bytes += s.body_bytes;
    for (auto& [k, v] : s.by_status) all.by_status[k] += v;
    for (auto& [k, v] : s.errors) all.errors[k] += v;
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
  }
  uint64_t error_count = 0;
  for (auto& [k, v] : all.errors) error_count += v;
  const double rps = all.ok / seconds, p50 = percentile_ms(all.latency_us, 0.50),
               p99 = percentile_ms(all.latency_us, 0.99);
  const char* mode = o.register_n ? "register" : o.keep_alive ? "keep-alive" : "close";
  if (o.json) {
    nlohmann::json j{{"mode", mode},       {"connections", o.connections}, {"threads", o.threads},
                     {"devices", o.devices}, {"seconds", seconds},         {"responses", all.responses},
                     {"ok", all.ok},        {"rps", rps},                  {"errors", all.errors},
                     {"error_count", error_count}, {"p50_ms", p50},       {"p99_ms", p99},
                     {"body_bytes", all.body_bytes}};
    j["by_status"] = nlohmann::json::object();
    for (auto& [k, v] : all.by_status) j["by_status"][std::to_string(k)] = v;
    fmt::print("{}\n", j.dump());
  } else {
    std::string statuses, errors;
    for (auto& [k, v] : all.by_status) statuses += fmt::format(" {}: {}", k, v);
    for (auto& [k, v] : all.errors) errors += fmt::format("; {} x{}", k, v);
    fmt::print("{}: {} ok of {} responses in {:.2f} s = {:.0f}/s (by status:{}), {} devices, {} connections, "
               "errors {}{}, p50 {:.2f} ms, p99 {:.2f} ms\n",
               mode, all.ok, all.responses, seconds, rps, statuses.empty() ? " none" : statuses, o.devices,
               o.connections, error_count, errors, p50, p99);
  }
  return error_count == 0 && all.ok > 0 ? 0 : 1;
}
