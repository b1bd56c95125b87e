// The device's browser upload page (ESP8266HTTPUpdateServer) on Boost.Asio: a TCP listener whose
// connections feed webupdate::WebUpdateServer, which decides everything; this class only moves
// bytes and time, and reboots the device once the success reply has gone out. With HTTPS options
// (ESP8266HTTPUpdateServerSecure) every connection runs a tls::TlsServer between the socket and
// the page. Non-blocking, no threads: many servers can share one io_context.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/tls/tls_server.h"

#include "core/updater/update_sink.h"
#include "core/webupdate/web_update_server.h"
#include "net/clock.h"
#include "net/log.h"

namespace otakit::net {

// What the page shows about the running image, asked on each page view.
struct WebDeviceStatus {
  std::string hostname;
  std::string version;
  std::string md5;
  uint32_t sketch_size = 0;
  uint32_t free_space = 0;
  uint32_t filesystem_size = 0;
  uint32_t chip_id = 0;
  uint32_t boots = 0;
  bool on_trial = false;
};

// HTTPS: what each connection's TLS server presents and the RAM it takes.
struct HttpsOptions {
  // The certificate chain and private key, used in place (platform/posix/server_identity.h loads
  // them from PEM files); the pointer keeps them alive as long as a server holds it.
  std::shared_ptr<const tls::TlsServerIdentity> identity;
  // Per connection (core/tls/tls_buffer.h): the full 33,178 bytes send 16 KB records;
  // kTlsServerBufferSmall (17,306) sends 512-byte ones, kTlsServerBufferHalfDuplex (16,709) with
  // half_duplex shares one record buffer. A client's 16 KB records always fit.
  size_t buffer_size = tls::kTlsServerBufferFull;
  bool half_duplex = false;
  // Sessions remembered for resumption, 100 bytes each, shared by the server's connections: a
  // browser's second connection then needs no new key exchange and signature. 0: none.
  size_t session_cache_entries = 8;
};

struct HttpUpdateServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 80;  // 0 picks a free port (see local_port())
  std::string path = "/update";
  std::string user;  // Basic auth only when both are set, as the original
  std::string password;
  uint32_t idle_timeout_ms = 10000;
  uint32_t head_timeout_ms = 10000;
  uint32_t receive_timeout_ms = 10000;
  uint32_t linger_ms = 2000;  // after a closing reply: wait this long for the client to close
  bool reboot_on_success = true;
  Logger log;
  std::function<WebDeviceStatus()> status;
  std::optional<HttpsOptions> https;  // plain HTTP when empty
};

// The original's Update hooks, each once per upload: on_start when the image began, then on_end
// or on_error.
struct HttpUpdateHooks {
  std::function<void(UpdateCommand)> on_start;
  std::function<void(uint32_t done, uint32_t total)> on_progress;
  std::function<void()> on_end;
  std::function<void(const std::string& message)> on_error;
  std::function<void()> reboot;  // after a successful upload, once the reply was delivered
};

class HttpUpdateServer {
 public:
  // Throws std::invalid_argument for a bind address that is not an IP address, or HTTPS options
  // without an identity or with a buffer too small for a server.
  HttpUpdateServer(boost::asio::io_context& io, Clock& clock, const HttpUpdateServerOptions& options, UpdateSink& sink);
  HttpUpdateServer(boost::asio::io_context& io, Clock& clock, const HttpUpdateServerOptions& options, Updater& updater);
  ~HttpUpdateServer();
  HttpUpdateServer(const HttpUpdateServer&) = delete;
  HttpUpdateServer& operator=(const HttpUpdateServer&) = delete;

  void set_hooks(HttpUpdateHooks hooks);
  // Listens; throws std::system_error naming the address when it cannot.
  void start();
  // Closes the listener and every connection; an upload in progress is aborted.
  void stop();
  uint16_t local_port() const;
  bool uploading() const;

 private:
  class Impl;
  std::unique_ptr<UpdaterSink> owned_sink_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace otakit::net
