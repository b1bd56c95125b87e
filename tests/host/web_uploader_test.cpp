// `otakit upload --url`'s uploader against the real ESP8266HTTPUpdateServer's recorded answers
// (vectors/webupdate), replayed by a loopback server that first reads the whole request: the
// request must be what curl sends the original (a multipart form the core parser takes apart
// into the exact image), and each recorded answer must be scored as the original meant it.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <thread>

#include "core/crypto/digest.h"
#include "core/http/multipart.h"
#include "core/http/request_head.h"
#include "host_test_support.h"
#include "net/web_uploader.h"

namespace otakit {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string webupdate_vector(const std::string& name) {
  return test::slurp_text(std::string(OTAKIT_VECTORS_DIR) + "/webupdate/" + name);
}

// Accepts one connection, reads the request head and its Content-Length body, answers `reply`.
class ReplayServer {
 public:
  explicit ReplayServer(std::string reply) : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, reply = std::move(reply)] {
      tcp::socket socket(io_);
      acceptor_.accept(socket);
      asio::streambuf buffer;
      asio::read_until(socket, buffer, "\r\n\r\n");
      std::string data(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
      head_ = data.substr(0, data.find("\r\n\r\n") + 4);
      const size_t at = head_.find("Content-Length: ");
      const size_t length = std::stoul(head_.substr(at + 16));
      body_ = data.substr(head_.size());
      if (body_.size() < length) {
        std::string rest(length - body_.size(), '\0');
        asio::read(socket, asio::buffer(rest));
        body_ += rest;
      }
      asio::write(socket, asio::buffer(reply));
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    });
  }
  ~ReplayServer() {
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void join() { thread_.join(); }
  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::string head_;
  std::string body_;
};

struct Upload {
  net::EspotaUploadResult result;
  std::string head;
  std::string body;
};

Upload upload_to_replay(const std::string& recorded_reply, const net::EspotaImage& image,
                        net::WebUploadOptions options = {}) {
  ReplayServer server(recorded_reply);
  auto target = net::parse_web_target("http://127.0.0.1:" + std::to_string(server.port()) + "/update");
  EXPECT_TRUE(target.has_value());
  options.retries = 0;
  options.filename = "fw_300001.bin";
  auto results = net::web_upload_all(image, {*target}, options);
  server.join();
  EXPECT_EQ(results.size(), 1u);
  return {results.at(0), server.head(), server.body()};
}

net::EspotaImage recorded_image() { return net::EspotaImage::from(test::slurp(test::vector_path("fw_300001.bin"))); }

TEST(WebUploader, RecordedSuccessIsOkAndTheFormCarriesTheExactImage) {
  const net::EspotaImage image = recorded_image();
  Upload upload = upload_to_replay(webupdate_vector("post-update-ok.response.http"), image);
  EXPECT_EQ(upload.result.outcome, espota::UploadOutcome::ok) << upload.result.message;
  EXPECT_EQ(upload.result.sent, image.bytes->size());

  // The head as core's request parser reads it: a multipart POST to the path.
  http::HeadStorage<2048, 24> storage;
  http::RequestHeadParser parser(storage);
  parser.feed(reinterpret_cast<const uint8_t*>(upload.head.data()), upload.head.size());
  ASSERT_EQ(parser.status(), http::HeadStatus::complete);
  EXPECT_EQ(parser.head().method, http::Method::post);
  EXPECT_TRUE(parser.head().path.equals("/update"));
  EXPECT_TRUE(parser.head().media_type.equals("multipart/form-data"));
  EXPECT_EQ(parser.head().body.content_length, upload.body.size());

  // The body: an md5 field, then the firmware part whose headers are curl's, byte for byte.
  http::HeadStorage<512, 8> part_storage;
  http::MultipartParser multipart(parser.head().boundary, part_storage);
  std::string firmware, md5, current;
  const std::string recorded_head = webupdate_vector("post-update-ok.request-head.http");
  const std::string recorded_part_headers =
      recorded_head.substr(recorded_head.find("Content-Disposition"), std::string::npos);
  EXPECT_NE(upload.body.find(recorded_part_headers), std::string::npos) << "the file part's headers differ from curl's";
  size_t at = 0;
  while (at < upload.body.size()) {
    http::MultipartEvent event;
    at += multipart.feed(reinterpret_cast<const uint8_t*>(upload.body.data()) + at, upload.body.size() - at, &event);
    ASSERT_NE(event, http::MultipartEvent::failed) << http::describe(multipart.error());
    if (event == http::MultipartEvent::part_begin) current = std::string(multipart.part().name.data, multipart.part().name.size);
    if (event == http::MultipartEvent::part_data) {
      std::string piece(reinterpret_cast<const char*>(multipart.data().data), multipart.data().size);
      (current == "firmware" ? firmware : md5) += piece;
    }
  }
  EXPECT_EQ(multipart.finish(), http::MultipartError::ok);
  EXPECT_EQ(firmware, std::string(image.bytes->begin(), image.bytes->end()));
  EXPECT_EQ(md5, image.md5);
}

TEST(WebUploader, RecordedTwoHundredWithUpdateErrorIsARejectionWithTheDevicesNumber) {
  // The original answers 200 even when the Updater failed, with the error text in the body.
  Upload upload = upload_to_replay(webupdate_vector("post-update-badmagic.response.http"), recorded_image());
  EXPECT_EQ(upload.result.outcome, espota::UploadOutcome::device_rejected);
  EXPECT_EQ(upload.result.device_error, 10);
  EXPECT_EQ(upload.result.message, "Update error: ERROR[10]: Magic byte is not 0xE9");
}

TEST(WebUploader, RecordedUnauthorizedAsksForCredentials) {
  Upload upload = upload_to_replay(webupdate_vector("post-update-nocreds.response.http"), recorded_image());
  EXPECT_EQ(upload.result.outcome, espota::UploadOutcome::auth_failed);
  EXPECT_NE(upload.result.message.find("--user"), std::string::npos) << upload.result.message;
  EXPECT_EQ(upload.head.find("Authorization"), std::string::npos);
}

TEST(WebUploader, RecordedBasicExchangeSendsTheCredentials) {
  net::WebUploadOptions options;
  options.user = "admin";
  options.password = "secret";
  Upload upload = upload_to_replay(webupdate_vector("post-update-basic.response.http"), recorded_image(), options);
  EXPECT_EQ(upload.result.outcome, espota::UploadOutcome::ok) << upload.result.message;
  // The recorded client's header for the same credentials.
  const std::string recorded = webupdate_vector("post-update-basic.request-head.http");
  const size_t at = recorded.find("Authorization: ");
  ASSERT_NE(at, std::string::npos);
  const std::string line = recorded.substr(at, recorded.find("\r\n", at) - at);
  EXPECT_NE(upload.head.find(line), std::string::npos) << line;
}

TEST(WebUploader, AnswerThatIsNotHttpIsAProtocolError) {
  Upload upload = upload_to_replay("SSH-2.0-OpenSSH_9.2\r\n\r\n", recorded_image());
  EXPECT_EQ(upload.result.outcome, espota::UploadOutcome::protocol_error);
}

TEST(WebUploader, ClosedPortIsNoAnswer) {
  tcp::endpoint free_endpoint;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    free_endpoint = probe.local_endpoint();
  }
  auto target = net::parse_web_target("http://127.0.0.1:" + std::to_string(free_endpoint.port()) + "/update");
  ASSERT_TRUE(target);
  net::WebUploadOptions options;
  options.retries = 0;
  auto results = net::web_upload_all(recorded_image(), {*target}, options);
  EXPECT_EQ(results.at(0).outcome, espota::UploadOutcome::no_answer);
  EXPECT_EQ(results.at(0).sent, 0u);
}

TEST(WebTarget, ParsesUrlsAndRefusesOthers) {
  auto target = net::parse_web_target("http://dev.local:8080/ota");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "dev.local");
  EXPECT_EQ(target->port, 8080);
  EXPECT_EQ(target->path, "/ota");
  target = net::parse_web_target("http://192.168.1.20");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->port, 80);
  EXPECT_EQ(target->path, "/update");
  EXPECT_FALSE(net::parse_web_target("https://dev/update"));  // TLS is not served by the original page
  EXPECT_FALSE(net::parse_web_target("dev/update"));
  EXPECT_FALSE(net::parse_web_target("http://:80/update"));
  EXPECT_FALSE(net::parse_web_target("http://dev/up date"));
  EXPECT_FALSE(net::parse_web_target("http://dev:99999/update"));
}

}  // namespace
}  // namespace otakit
