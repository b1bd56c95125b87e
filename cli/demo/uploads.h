// The two ways a person updates one device by hand, run as the tools run them: dev-1 gets an
// espota push from the uploader `otakit upload` uses (password, streaming), dev-2 the multipart
// POST `otakit upload --url` (and a browser's form) sends to its upload page. Both start on the
// io_context and return at once; `progress` and `done` run there, as the uploader reports.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net/clock.h"
#include "net/espota_uploader.h"

namespace otakit::cli::demo {

using UploadDone = std::function<void(const net::EspotaUploadResult&)>;
using UploadProgress = std::function<void(uint32_t sent, uint32_t total)>;

void start_push(boost::asio::io_context& io, net::Clock& clock, const std::string& address, uint16_t port,
                const std::string& password, const std::vector<uint8_t>& image, UploadProgress progress, UploadDone done);

void start_browser_upload(boost::asio::io_context& io, net::Clock& clock, const std::string& address, uint16_t port,
                          const std::vector<uint8_t>& image, UploadProgress progress, UploadDone done);

}  // namespace otakit::cli::demo
