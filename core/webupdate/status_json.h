// The running image as JSON for the upload page (GET <path>?status).
#pragma once
#include <stddef.h>

#include "core/webupdate/web_update_server.h"

namespace otakit::webupdate {

// Writes the object and a NUL; returns its length, or 0 when it does not fit.
size_t format_status_json(const DeviceStatus& status, bool uploading, char* out, size_t capacity);

}  // namespace otakit::webupdate
