// One HTTP request and its answer as the server's handlers see them, without Beast: handlers
// (the update endpoint, the admin API, the dashboard) compile against this alone. A response
// body is text in memory or a span of a file, which the transport sends with sendfile.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace otakit::server {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // percent-decoded path, without the query
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
  std::string body;
  std::string peer;  // the client's IP address
  bool tls = false;
  int http_minor = 1;  // HTTP/1.<minor>

  // The first field with this name (case-insensitive), or nullptr.
  const std::string* header(const std::string& name) const;
  std::string query_value(const std::string& key, const std::string& fallback = "") const;
};

struct FileSpan {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<FileSpan> file;  // sent instead of body when set
  // Called once the body was sent (bytes, complete) or the connection ended first.
  std::function<void(uint64_t bytes_sent, bool complete)> on_sent;

  Response& set(std::string name, std::string value);
  static Response text(int status, std::string body);   // text/plain; charset=utf-8
  static Response json(int status, std::string body);   // application/json
};

// The standard reason phrase of a status ("Not Modified").
const char* reason_phrase(int status);

// A handler for a worker thread. Handlers run on the thread that owns the connection; each worker
// has its own, so a handler needs no locks for its own state.
class RequestHandler {
 public:
  // Hands the transport a function that makes the response; the transport runs it on the
  // connection's own thread (so a handler that waits on another thread still builds its answer
  // where its worker's state lives).
  using Reply = std::function<void(std::function<Response()>)>;

  virtual ~RequestHandler() = default;
  virtual Response handle(const Request& request) = 0;
  // For handlers that answer later (the update endpoint waits for its group commit). The
  // default answers at once with handle().
  virtual void handle_async(const Request& request, Reply reply);
};

// Percent-decoding of a path or query component ('+' is a space only in queries). nullopt for a
// malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(const std::string& text, bool query);
// Splits "a=1&b=2" into decoded pairs; nullopt if an escape is malformed.
std::optional<std::map<std::string, std::string>> parse_query(const std::string& text);

}  // namespace otakit::server
