// The device's pull client (net::PullClient inside device::Device) against a scripted HTTP
// server on loopback, on one io_context with a manual clock: the request carries the device's
// own facts, the hooks fire once each, a staged image boots, and every failure leaves the
// running image as it was.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "core/pull/resume_store.h"
#include "device/device.h"
#include "host/image_builder.h"
#include "net/manual_clock.h"
#include "platform/posix/emulated_flash.h"

namespace otakit {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Answers each connection with the next scripted reply after reading its head; a reply with
// `stall` keeps the connection open after its bytes, as a server that stops sending.
class ScriptedServer {
 public:
  struct Reply {
    std::string bytes;
    bool stall = false;
  };

  ScriptedServer(asio::io_context& io, std::vector<Reply> replies)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), replies_(std::move(replies)) {
    accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::vector<std::string>& heads() const { return heads_; }
  void add_reply(Reply reply) { replies_.push_back(std::move(reply)); }

 private:
  struct Exchange {
    explicit Exchange(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf buffer;
    std::string reply;
  };

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
      if (error) return;
      auto exchange = std::make_shared<Exchange>(std::move(socket));
      asio::async_read_until(exchange->socket, exchange->buffer, "\r\n\r\n",
                             [this, exchange](const boost::system::error_code& e, size_t n) {
                               if (e) return;
                               std::string head(asio::buffers_begin(exchange->buffer.data()),
                                                asio::buffers_begin(exchange->buffer.data()) + std::ptrdiff_t(n));
                               answer(exchange, head);
                             });
      accept();
    });
  }

  void answer(const std::shared_ptr<Exchange>& exchange, const std::string& head) {
    const Reply reply = next_ < replies_.size() ? replies_[next_++] : Reply{"HTTP/1.0 500 Script Ended\r\n\r\n"};
    heads_.push_back(head);
    exchange->reply = reply.bytes;
    asio::async_write(exchange->socket, asio::buffer(exchange->reply),
                      [this, exchange, stall = reply.stall](const boost::system::error_code&, size_t) {
                        if (stall) return stalled_.push_back(exchange);  // open, silent
                        boost::system::error_code ignored;
                        exchange->socket.shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  tcp::acceptor acceptor_;
  std::vector<Reply> replies_;
  size_t next_ = 0;
  std::vector<std::string> heads_;
  std::vector<std::shared_ptr<Exchange>> stalled_;
};

std::string image_reply(const host::Bytes& image, const std::string& extra_headers = "") {
  crypto::Md5 md5;
  md5.update(image.data(), image.size());
  char md5_hex[crypto::kMd5HexSize];
  md5.finish_hex(md5_hex);
  return "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(image.size()) + "\r\nx-MD5: " + md5_hex + "\r\n" + extra_headers + "\r\n" +
         std::string(image.begin(), image.end());
}

host::Bytes image_of(const std::string& version, uint32_t size, uint32_t seed) {
  host::ImageSpec spec;
  spec.total_size = size;
  spec.version = version;
  spec.seed = seed;
  return host::build_esp_image(spec);
}

struct HookCounts {
  int start = 0, end = 0, error = 0, progress = 0;
  uint32_t last_done = 0, last_total = 0;
  bool progress_monotonic = true;
  int32_t error_code = 0;
};

// One device on RAM flash (4M1M), running 1.0.0, pulling from the scripted server.
class PullClientTest : public ::testing::Test {
 protected:
  void make_device(std::vector<ScriptedServer::Reply> replies, const std::string& path = "/fw.bin",
                   net::PullClientOptions client = {}, uint32_t interval_ms = 0) {
    server_ = std::make_unique<ScriptedServer>(io_, std::move(replies));
    client.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    if (client.resume_delay_ms == 1000) client.resume_delay_ms = 10;
    device::NetworkAttachment net;
    net.io = &io_;
    net.clock = &clock_;
    net.espota.reset();
    device::DevicePullOptions pull;
    pull.client = client;
    pull.at_boot = interval_ms > 0;  // a polling sketch checks at boot, then every interval
    pull.interval_ms = interval_ms;
    net.pull = pull;
    net.pull_hooks.on_start = [this] { ++hooks_.start; };
    net.pull_hooks.on_progress = [this](uint32_t done, uint32_t total) {
      hooks_.progress_monotonic &= done >= hooks_.last_done;
      ++hooks_.progress;
      hooks_.last_done = done;
      hooks_.last_total = total;
    };
    net.pull_hooks.on_end = [this] { ++hooks_.end; };
    net.pull_hooks.on_error = [this](int32_t code, const std::string&) {
      ++hooks_.error;
      hooks_.error_code = code;
    };
    net.pull_done = [this](const net::PullOutcome& outcome) { outcomes_.push_back(outcome); };
    device_ = std::make_unique<device::Device>(device::DeviceParts{flash_, rtc_, layout_, {}, nullptr, 0x2134bb}, net);
    ASSERT_TRUE(device_->provision(running_));
    device_->boot();
    running_md5_ = device_->running_image().md5;
  }

  // Runs the io_context until `done` or 5 s of real time (a bound, not a wait for an event).
  bool run_until(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < limit) io_.run_one_for(std::chrono::milliseconds(10));
    return done();
  }

  const net::PullOutcome& pull_once() {
    EXPECT_TRUE(device_->pull_now());
    EXPECT_TRUE(run_until([this] { return !outcomes_.empty(); }));
    static const net::PullOutcome none;
    return outcomes_.empty() ? none : outcomes_.front();
  }

  void expect_running_image_unchanged() {
    EXPECT_EQ(device_->running_image().md5, running_md5_);
    EXPECT_EQ(device_->running_image().version, "1.0.0");
  }

  asio::io_context io_;
  net::ManualClock clock_{1000};  // after io_: it goes first (manual_clock.h)
  const FlashLayout& layout_ = *find_layout("4M1M");
  posix::MemoryFlash flash_{layout_.flash_size};
  VolatileRtcMemory rtc_;
  host::Bytes running_ = image_of("1.0.0", 200000, 1);
  std::unique_ptr<ScriptedServer> server_;
  std::unique_ptr<device::Device> device_;
  std::vector<net::PullOutcome> outcomes_;
  HookCounts hooks_;
  std::string running_md5_;
};

TEST_F(PullClientTest, StagesTheImageAndBootsIt) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  make_device({{image_reply(update)}});
  const net::PullOutcome& outcome = pull_once();
  EXPECT_EQ(outcome.result, pull::PullResult::ok) << outcome.message;
  EXPECT_EQ(outcome.written, update.size());
  EXPECT_EQ(outcome.http_status, 200);
  ASSERT_TRUE(run_until([this] { return device_->boots() == 2; }));  // rebootOnUpdate
  EXPECT_EQ(device_->running_image().version, "2.0.0");
  EXPECT_EQ(device_->running_image().size, update.size());
}

TEST_F(PullClientTest, HooksFireOnceEachWithMonotonicProgress) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  make_device({{image_reply(update)}});
  pull_once();
  EXPECT_EQ(hooks_.start, 1);
  EXPECT_EQ(hooks_.end, 1);
  EXPECT_EQ(hooks_.error, 0);
  EXPECT_GT(hooks_.progress, 1);
  EXPECT_TRUE(hooks_.progress_monotonic);
  EXPECT_EQ(hooks_.last_done, update.size());
  EXPECT_EQ(hooks_.last_total, update.size());
}

TEST_F(PullClientTest, RequestCarriesTheDevicesOwnFacts) {
  make_device({{"HTTP/1.0 304 Not Modified\r\n\r\n"}});
  const net::PullOutcome& outcome = pull_once();
  EXPECT_EQ(outcome.result, pull::PullResult::no_updates);
  ASSERT_EQ(server_->heads().size(), 1u);
  const std::string& head = server_->heads()[0];
  EXPECT_EQ(head.rfind("GET /fw.bin HTTP/1.0\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("User-Agent: ESP8266-http-Update\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-Chip-ID: " + std::to_string(0x2134bb) + "\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("x-ESP8266-STA-MAC: 5C:CF:7F:21:34:BB\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("x-ESP8266-AP-MAC: 5E:CF:7F:21:34:BB\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("x-ESP8266-free-space: " + std::to_string(device_->free_sketch_space()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-sketch-size: 200000\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-sketch-md5: " + running_md5_ + "\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-chip-size: 4194304\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-sdk-version: 2.2.2-dev(38a443e)\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-mode: sketch\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-ESP8266-version: 1.0.0\r\n"), std::string::npos);  // the running image's
  EXPECT_EQ(hooks_.start, 0);  // nothing was downloaded
  EXPECT_EQ(hooks_.end, 1);
  expect_running_image_unchanged();
}

TEST_F(PullClientTest, NotFoundIsTheOriginalsErrorAndChangesNothing) {
  make_device({{"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"}});
  const net::PullOutcome& outcome = pull_once();
  EXPECT_EQ(outcome.result, pull::PullResult::failed);
  EXPECT_EQ(outcome.error, pull::error::kServerFileNotFound);
  EXPECT_EQ(outcome.error_text, "File Not Found (404)");
  EXPECT_EQ(outcome.http_status, 404);
  EXPECT_EQ(hooks_.error, 1);
  EXPECT_EQ(hooks_.error_code, pull::error::kServerFileNotFound);
  EXPECT_EQ(hooks_.end, 0);
  io_.poll();
  EXPECT_EQ(device_->boots(), 1u);
  expect_running_image_unchanged();
}

TEST_F(PullClientTest, BodyThatStopsTimesOutOnTheClockAndKeepsTheImage) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  std::string reply = image_reply(update);
  reply.resize(reply.size() / 2);
  net::PullClientOptions client;
  client.body_idle_timeout_ms = 60000;
  make_device({{reply, true}}, "/fw.bin", client);
  ASSERT_TRUE(device_->pull_now());
  ASSERT_TRUE(run_until([this] { return hooks_.progress > 0 && hooks_.last_done > 100000; }));
  io_.poll();
  clock_.advance(59999);
  io_.poll();
  EXPECT_TRUE(outcomes_.empty());  // not a millisecond early
  clock_.advance(1);
  ASSERT_TRUE(run_until([this] { return !outcomes_.empty(); }));
  EXPECT_EQ(outcomes_[0].error, pull::error::kStreamTimeout) << outcomes_[0].message;
  EXPECT_EQ(hooks_.start, 1);
  EXPECT_EQ(hooks_.error, 1);
  EXPECT_EQ(hooks_.end, 0);
  EXPECT_FALSE(device_->updater().is_running());  // the half image was dropped
  expect_running_image_unchanged();
}

TEST_F(PullClientTest, BrokenDownloadResumesWithARangeRequest) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  const std::string full = image_reply(update, "ETag: \"v2\"\r\nAccept-Ranges: bytes\r\n");
  const size_t body_at = full.find("\r\n\r\n") + 4;
  const size_t cut = 120000;
  const std::string first = full.substr(0, body_at + cut);
  crypto::Md5 md5;
  md5.update(update.data(), update.size());
  char md5_hex[crypto::kMd5HexSize];
  md5.finish_hex(md5_hex);
  const std::string rest = "HTTP/1.0 206 Partial Content\r\nContent-Length: " + std::to_string(update.size() - cut) +
                           "\r\nContent-Range: bytes " + std::to_string(cut) + "-" + std::to_string(update.size() - 1) +
                           "/" + std::to_string(update.size()) + "\r\nETag: \"v2\"\r\nx-MD5: " + md5_hex + "\r\n\r\n" +
                           std::string(update.begin() + cut, update.end());
  make_device({{first}, {rest}});
  ASSERT_TRUE(device_->pull_now());
  // The break, then the resume delay on the manual clock.
  ASSERT_TRUE(run_until([this] { return hooks_.last_done == cut; }));
  io_.poll();           // the server's close: the session waits resume_delay_ms (10)
  clock_.advance(10);
  ASSERT_TRUE(run_until([this] { return !outcomes_.empty(); }));
  EXPECT_EQ(outcomes_[0].result, pull::PullResult::ok) << outcomes_[0].message;
  EXPECT_EQ(outcomes_[0].resumes, 1);
  ASSERT_EQ(server_->heads().size(), 2u);
  EXPECT_NE(server_->heads()[1].find("Range: bytes=" + std::to_string(cut) + "-\r\n"), std::string::npos)
      << server_->heads()[1];
  EXPECT_EQ(hooks_.start, 1);
  EXPECT_EQ(hooks_.end, 1);
}

// The power goes while the image downloads; after the boot the next pull asks for the rest from
// the last sector the resume record saved, and the image that boots is the whole one.
TEST_F(PullClientTest, PowerCutDuringAPullContinuesFromTheResumeRecord) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  const std::string full = image_reply(update, "ETag: \"v2\"\r\nAccept-Ranges: bytes\r\n");
  const size_t body_at = full.find("\r\n\r\n") + 4;
  const std::string first = full.substr(0, body_at + 150000);
  // The answer to the Range request is scripted after the cut, from the offset in the record.
  make_device({{first, true}});
  ASSERT_TRUE(device_->pull_now());
  ASSERT_TRUE(run_until([this] { return hooks_.last_done == 150000; }));
  device_->power_cycle();
  EXPECT_EQ(device_->running_image().version, "1.0.0");
  EXPECT_TRUE(outcomes_.empty());  // an abandoned pull reports nothing

  pull::FlashResumeStore store(flash_, layout_.resume_record_address());
  pull::ResumeRecord record;
  ASSERT_TRUE(store.load(&record));
  const uint32_t from = record.offset;
  EXPECT_EQ(from % kSectorSize, 0u);
  EXPECT_GT(from, 100000u);
  EXPECT_LE(from, 150000u);
  crypto::Md5 md5;
  md5.update(update.data(), update.size());
  char md5_hex[crypto::kMd5HexSize];
  md5.finish_hex(md5_hex);
  const std::string rest = "HTTP/1.0 206 Partial Content\r\nContent-Length: " + std::to_string(update.size() - from) +
                           "\r\nContent-Range: bytes " + std::to_string(from) + "-" + std::to_string(update.size() - 1) +
                           "/" + std::to_string(update.size()) + "\r\nETag: \"v2\"\r\nx-MD5: " + md5_hex + "\r\n\r\n" +
                           std::string(update.begin() + from, update.end());
  server_->add_reply({rest});

  ASSERT_TRUE(device_->pull_now());
  ASSERT_TRUE(run_until([this] { return !outcomes_.empty(); }));
  EXPECT_EQ(outcomes_[0].result, pull::PullResult::ok) << outcomes_[0].message;
  EXPECT_EQ(outcomes_[0].resumed_from, from);
  ASSERT_EQ(server_->heads().size(), 2u);
  EXPECT_NE(server_->heads()[1].find("Range: bytes=" + std::to_string(from) + "-\r\n"), std::string::npos)
      << server_->heads()[1];
  EXPECT_NE(server_->heads()[1].find("If-Range: \"v2\"\r\n"), std::string::npos);
  ASSERT_TRUE(run_until([this] { return device_->boots() == 3; }));  // cut, then the update's reboot
  EXPECT_EQ(device_->running_image().version, "2.0.0");
  EXPECT_EQ(device_->running_image().size, update.size());
  EXPECT_FALSE(store.load(&record));  // done: the record is gone
}

TEST_F(PullClientTest, ConnectionRefusedSaysWhy) {
  make_device({});
  net::PullClientOptions client;
  client.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/fw.bin";
  server_.reset();  // nobody listens there now
  UpdaterSink sink(device_->updater());
  net::PullClient pull(io_, clock_, client, sink);
  std::vector<net::PullOutcome> got;
  ASSERT_TRUE(pull.start(device_->pull_facts(), [&](const net::PullOutcome& o) { got.push_back(o); }));
  ASSERT_TRUE(run_until([&] { return !got.empty(); }));
  EXPECT_EQ(got[0].error, pull::error::kConnectionFailed);
  EXPECT_EQ(got[0].error_text, "HTTP error: connection failed");
  EXPECT_NE(got[0].message.find("TCP connect to 127.0.0.1 failed"), std::string::npos) << got[0].message;
  expect_running_image_unchanged();
}

TEST_F(PullClientTest, PollingSketchChecksAtBootAndEveryInterval) {
  make_device({{"HTTP/1.0 304 Not Modified\r\n\r\n"}, {"HTTP/1.0 304 Not Modified\r\n\r\n"}}, "/fw.bin", {}, 60000);
  ASSERT_TRUE(run_until([this] { return outcomes_.size() == 1; }));
  io_.poll();
  clock_.advance(59999);
  io_.poll();
  EXPECT_EQ(server_->heads().size(), 1u);  // not early
  clock_.advance(1);
  ASSERT_TRUE(run_until([this] { return outcomes_.size() == 2; }));
  EXPECT_EQ(outcomes_[1].result, pull::PullResult::no_updates);
  EXPECT_EQ(server_->heads().size(), 2u);
  EXPECT_EQ(device_->boots(), 1u);
}

TEST_F(PullClientTest, SecondPullWhileOneRunsIsRefused) {
  const host::Bytes update = image_of("2.0.0", 300000, 2);
  std::string reply = image_reply(update);
  reply.resize(reply.size() / 2);
  make_device({{reply, true}});
  ASSERT_TRUE(device_->pull_now());
  ASSERT_TRUE(run_until([this] { return hooks_.start == 1; }));
  EXPECT_FALSE(device_->pull_now());
  EXPECT_EQ(server_->heads().size(), 1u);
}

}  // namespace
}  // namespace otakit
