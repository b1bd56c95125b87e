// The admin API client on Boost.Beast (admin_client.h). Synchronous for the caller, yet each step
// is an async operation run to completion on a private io_context: Beast's tcp_stream enforces
// its timeouts (expires_after) only on async operations.
#include "cli/admin_client.h"

#include <fmt/core.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "cli/exit_codes.h"

namespace otakit::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

constexpr const char* kDefaultServer = "http://127.0.0.1:8070";  // `otakit server` with no flags
constexpr const char* kTokenHint =
    "create one with `otakit server token create` on the server and export OTAKIT_TOKEN=...";
constexpr size_t kChunk = 64 * 1024;               // progress granularity of an upload
constexpr uint64_t kMaxAnswer = 64 * 1024 * 1024;  // far above any listing the API returns

struct ServerUrl {
  bool https = false;
  std::string host;  // without an IPv6 address's brackets
  uint16_t port = 80;
  std::string authority;  // as written: the Host header
  std::string prefix;     // "" or "/otakit": a reverse proxy's path, without the trailing slash
};

std::optional<ServerUrl> parse_server_url(const std::string& text) {
  ServerUrl u;
  std::string rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    u.https = true;
    rest = text.substr(8);
  } else {
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  u.authority = rest.substr(0, slash);
  u.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  // user:password@ has no place here: the token is the credential.
  if (u.prefix.find_first_of("?#") != std::string::npos || u.authority.find('@') != std::string::npos)
    return std::nullopt;
  std::string port_text;
  bool has_port = false;
  if (!u.authority.empty() && u.authority[0] == '[') {
    const size_t close = u.authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = u.authority.substr(1, close - 1);
    const std::string after = u.authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return std::nullopt;
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const size_t colon = u.authority.find(':');
    u.host = u.authority.substr(0, colon);
    has_port = colon != std::string::npos;
    if (has_port) port_text = u.authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  u.port = u.https ? 443 : 80;
  if (has_port) {
    if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int port = std::stoi(port_text);
    if (port < 1 || port > 65535) return std::nullopt;
    u.port = static_cast<uint16_t>(port);
  }
  return u;
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string first_line(std::string text, size_t limit = 300) {
  const size_t end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.erase(end);
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

}  // namespace

struct AdminClient::Impl {
  std::string server_text;
  ServerUrl url;
  std::string token;
  bool insecure = false;
  std::chrono::milliseconds timeout{30000};
  double timeout_s = 30;
  asio::io_context io;
  std::unique_ptr<ssl::context> tls;

  // Starts one async operation and runs the context until it completed; its error code.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  AdminReply exchange(http::verb method, const std::string& path, const char* body, size_t size,
                      const char* content_type, const UploadProgress* progress);
  template <class Stream>
  AdminReply talk(Stream& stream, http::verb method, const std::string& target, const char* body, size_t size,
                  const char* content_type, const UploadProgress* progress);
  [[noreturn]] void fail_connect(const beast::error_code& ec) const;
  [[noreturn]] void fail_handshake(const beast::error_code& ec, SSL* ssl) const;
  [[noreturn]] void fail_transfer(const beast::error_code& ec) const;
  AdminReply answer(int status, const std::string& text) const;
};

void AdminClient::Impl::fail_connect(const beast::error_code& ec) const {
  if (ec == asio::error::connection_refused)
    throw CommandFailure(kExitNoAnswer, fmt::format("cannot connect to {}: connection refused. Is the server running? "
                                                    "Start it with `otakit server` there, or point --server (or "
                                                    "$OTAKIT_SERVER) at it",
                                                    server_text));
  if (ec == beast::error::timeout)
    throw CommandFailure(kExitNoAnswer, fmt::format("no answer from {} within {} s: check the host and port, and that "
                                                    "`otakit server` listens there (--listen)",
                                                    server_text, timeout_s));
  throw CommandFailure(kExitNoAnswer, fmt::format("cannot connect to {}: {}", server_text, ec.message()));
}

void AdminClient::Impl::fail_handshake(const beast::error_code& ec, SSL* ssl) const {
  if (ec == beast::error::timeout) fail_connect(ec);
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    throw CommandFailure(kExitNoAnswer,
                         fmt::format("the certificate of {} is not trusted: {}. Pass the CA that signed it with "
                                     "--cacert FILE (for `otakit server --tls-self-signed`: DATA/tls/cert.pem), or "
                                     "-k/--insecure for a demo",
                                     server_text, X509_verify_cert_error_string(verify)));
  throw CommandFailure(kExitNoAnswer,
                       fmt::format("the TLS handshake with {} failed: {} (if that port serves plain HTTP, use "
                                   "http://; `otakit server` serves https on --tls-listen, default port 8443)",
                                   server_text, ec.message()));
}

void AdminClient::Impl::fail_transfer(const beast::error_code& ec) const {
  if (ec == beast::error::timeout)
    throw CommandFailure(kExitTransferFailed, fmt::format("the server at {} did not answer within {} s (--timeout)",
                                                          server_text, timeout_s));
  // Bytes that are not an HTTP answer (a TLS alert, another protocol) rather than a broken transfer.
  if (ec == http::error::bad_version || ec == http::error::bad_status || ec == http::error::bad_reason ||
      ec == http::error::bad_field || ec == http::error::bad_value || ec == http::error::bad_line_ending)
    throw CommandFailure(
        kExitProtocolError,
        fmt::format("{} does not answer HTTP ({}): if it is an https port, use https://", server_text, ec.message()));
  if (ec == http::error::end_of_stream && !url.https)  // a TLS port closes on a plain request
    throw CommandFailure(kExitTransferFailed,
                         fmt::format("{} closed the connection without an answer (if it is an https port, use "
                                     "https://)",
                                     server_text));
  throw CommandFailure(kExitTransferFailed, fmt::format("the connection to {} broke: {}", server_text, ec.message()));
}

// A 2xx with the API's JSON, or the failure that the status and the server's text make.
AdminReply AdminClient::Impl::answer(int status, const std::string& text) const {
  AdminReply reply;
  reply.status = status;
  reply.body = json::parse(text.empty() ? "null" : text, nullptr, false);
  const bool is_json = !reply.body.is_discarded();
  if (status >= 200 && status < 300) {
    if (!is_json)
      throw CommandFailure(kExitProtocolError,
                           fmt::format("{} answered {} with something that is not the admin API's JSON (\"{}\"): is "
                                       "it `otakit server`, and is the URL's path right?",
                                       server_text, status, first_line(text, 80)));
    return reply;
  }
  const bool has_error =
      is_json && reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_string();
  const std::string said = has_error ? reply.body["error"].get<std::string>() : first_line(text);
  if (status == 401 || status == 403)
    throw AdminFailure(kExitAuthFailed,
                       fmt::format("{} ({} refused the token given with --token or $OTAKIT_TOKEN; a token works only "
                                   "on the server that made it: {})",
                                   said.empty() ? fmt::format("HTTP {}", status) : said, server_text, kTokenHint),
                       status, said);
  if (!has_error && status == 404)  // not the API's own 404: the path prefix is likely wrong
    throw AdminFailure(
        kExitDeviceRejected,
        fmt::format("{} (HTTP 404: is {} the server's URL? The admin API lives at its /api/)", said, server_text),
        status, said);
  if (said.empty())
    throw AdminFailure(status >= 500 ? kExitFailure : kExitDeviceRejected, fmt::format("HTTP {}", status), status,
                       said);
  throw AdminFailure(status >= 500 ? kExitFailure : kExitDeviceRejected, said, status, said);
}

template <class Stream>
AdminReply AdminClient::Impl::talk(Stream& stream, http::verb method, const std::string& target, const char* body,
                                   size_t size, const char* content_type, const UploadProgress* progress) {
  auto& socket = beast::get_lowest_layer(stream);
  http::request<http::empty_body> request{method, target, 11};
  request.set(http::field::host, url.authority);
  request.set(http::field::user_agent, "otakit-cli/0.1.0");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::connection, "close");
  if (method != http::verb::get) {
    request.set(http::field::content_type, content_type);
    request.set(http::field::content_length, std::to_string(size));
  }
  http::request_serializer<http::empty_body> head(request);
  socket.expires_after(timeout);
  beast::error_code ec = run([&](auto handler) { http::async_write_header(stream, head, handler); });
  size_t sent = 0;
  while (!ec && sent < size) {
    const size_t n = std::min(kChunk, size - sent);
    socket.expires_after(timeout);
    ec = run([&](auto handler) { asio::async_write(stream, asio::buffer(body + sent, n), handler); });
    if (ec) break;
    sent += n;
    if (progress != nullptr) (*progress)(sent, size);
  }
  const beast::error_code write_error = ec;
  if (write_error == beast::error::timeout) fail_transfer(write_error);
  // A server that refuses early (413, 401) may answer before it read the whole body: read anyway.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswer);
  socket.expires_after(timeout);
  ec = run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  if (ec) fail_transfer(write_error ? write_error : ec);
  beast::error_code ignored;
  socket.socket().shutdown(tcp::socket::shutdown_both, ignored);  // no TLS close_notify: we are done with it
  return answer(static_cast<int>(parser.get().result_int()), parser.get().body());
}

AdminReply AdminClient::Impl::exchange(http::verb method, const std::string& path, const char* body, size_t size,
                                       const char* content_type, const UploadProgress* progress) {
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec)
    throw CommandFailure(kExitNoAnswer,
                         fmt::format("cannot resolve {} (from {}): {}", url.host, server_text, ec.message()));
  const std::string target = url.prefix + path;
  if (!url.https) {
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    ec = run([&](auto handler) { stream.async_connect(endpoints, handler); });
    if (ec) fail_connect(ec);
    return talk(stream, method, target, body, size, content_type, progress);
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
  if (!is_ip_address(url.host)) SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  if (!insecure) stream.set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  ec = run([&](auto handler) { beast::get_lowest_layer(stream).async_connect(endpoints, handler); });
  if (ec) fail_connect(ec);
  beast::get_lowest_layer(stream).expires_after(timeout);
  ec = run([&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); });
  if (ec) fail_handshake(ec, stream.native_handle());
  return talk(stream, method, target, body, size, content_type, progress);
}

AdminClient::AdminClient(const AdminFlags& flags) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  const char* env_server = std::getenv("OTAKIT_SERVER");
  m.server_text = !flags.server.empty()                  ? flags.server
                  : env_server != nullptr && *env_server ? env_server
                                                         : kDefaultServer;
  const auto url = parse_server_url(m.server_text);
  if (!url)
    throw CommandFailure(
        kExitUsage, fmt::format("--server {}: expected http://HOST[:PORT][/PREFIX] or https://...", m.server_text));
  m.url = *url;
  const char* env_token = std::getenv("OTAKIT_TOKEN");
  m.token = !flags.token.empty() ? flags.token : env_token != nullptr ? env_token : "";
  if (m.token.empty())
    throw CommandFailure(kExitUsage,
                         fmt::format("the admin API needs a token (--token or $OTAKIT_TOKEN): {}", kTokenHint));
  // A header line break in the token would let it write other headers.
  if (m.token.find_first_of("\r\n") != std::string::npos)
    throw CommandFailure(kExitUsage, "the token has a line break in it: check $OTAKIT_TOKEN");
  m.insecure = flags.insecure;
  m.timeout_s = flags.timeout_s;
  m.timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_s * 1000));
  if (!m.url.https) {
    if (!flags.cacert.empty() || flags.insecure)
      throw CommandFailure(kExitUsage, "--cacert and --insecure are for an https:// --server");
    return;
  }
  m.tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(m.tls->native_handle(), TLS1_2_VERSION);
  if (flags.insecure) {
    m.tls->set_verify_mode(ssl::verify_none);
    return;
  }
  m.tls->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (flags.cacert.empty()) {
    m.tls->set_default_verify_paths(ec);
  } else {
    if (!std::ifstream(flags.cacert))
      throw CommandFailure(kExitInputError, fmt::format("--cacert {}: cannot read the file", flags.cacert));
    m.tls->load_verify_file(flags.cacert, ec);
    if (ec)
      throw CommandFailure(kExitInputError,
                           fmt::format("--cacert {}: not a PEM certificate ({})", flags.cacert, ec.message()));
  }
}

AdminClient::~AdminClient() = default;

json AdminClient::get(const std::string& path) {
  return impl_->exchange(http::verb::get, path, nullptr, 0, nullptr, nullptr).body;
}

json AdminClient::post(const std::string& path, const json& body) {
  const std::string text = body.dump();
  return impl_->exchange(http::verb::post, path, text.data(), text.size(), "application/json", nullptr).body;
}

json AdminClient::put(const std::string& path, const json& body) {
  const std::string text = body.dump();
  return impl_->exchange(http::verb::put, path, text.data(), text.size(), "application/json", nullptr).body;
}

AdminReply AdminClient::upload(const std::string& path, const std::vector<uint8_t>& bytes,
                               const UploadProgress& progress) {
  return impl_->exchange(http::verb::post, path, reinterpret_cast<const char*>(bytes.data()), bytes.size(),
                         "application/octet-stream", progress ? &progress : nullptr);
}

const std::string& AdminClient::server() const { return impl_->server_text; }

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

void add_admin_flags(CLI::App* cmd, AdminFlags& flags) {
  cmd->add_option("--server", flags.server,
                  "The server, http(s)://HOST[:PORT][/PREFIX] (default $OTAKIT_SERVER, else http://127.0.0.1:8070)");
  cmd->add_option("--token", flags.token, "Admin API token (default $OTAKIT_TOKEN, which is better: flags show in ps)");
  cmd->add_option("--cacert", flags.cacert, "PEM file of the CA to trust for an https server (curl's flag)");
  cmd->add_flag("-k,--insecure", flags.insecure, "Do not check the https server's certificate (demos only)");
  cmd->add_option("--timeout", flags.timeout_s, "Seconds for connecting and for each stall (default 30)")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_flag("--json", flags.json, "Print one JSON object on stdout (a failure too)");
}

void print_failure_json(const std::exception& failure) {
  int code = kExitFailure;
  if (const auto* f = dynamic_cast<const CommandFailure*>(&failure)) code = f->exit_code;
  json out = {{"ok", false}, {"exit_code", code}, {"exit_name", exit_code_name(code)}, {"error", failure.what()}};
  if (const auto* a = dynamic_cast<const AdminFailure*>(&failure)) {
    out["http_status"] = a->http_status;
    out["server_error"] = a->server_error;
  }
  fmt::print("{}\n", out.dump());
}

}  // namespace otakit::cli
