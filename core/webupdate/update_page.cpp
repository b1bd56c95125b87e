// The upload page the device serves on GET <path>: the original's two forms (firmware and
// filesystem, posting multipart/form-data to the same URL).
#include "core/webupdate/web_update_server.h"

namespace otakit::webupdate {

const char kUpdatePage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Update</title></head>
<body>
<form method="POST" action="" enctype="multipart/form-data">Firmware:<br>
<input type="file" accept=".bin,.bin.gz" name="firmware"><input type="submit" value="Update Firmware"></form>
<form method="POST" action="" enctype="multipart/form-data">FileSystem:<br>
<input type="file" accept=".bin,.bin.gz" name="filesystem"><input type="submit" value="Update FileSystem"></form>
</body>
</html>
)html";

const size_t kUpdatePageSize = sizeof(kUpdatePage) - 1;

}  // namespace otakit::webupdate
