// The self-test's data, generated at build time on the host by make_testdata from the built
// otakit (keygen, mkimage, sign) and the recorded espota.py <-> ArduinoOTA session "auth-upload".
#pragma once
#include <stdint.h>

namespace otakit::mcu::data {

extern const uint8_t kFactoryImage[];  // what the device was provisioned with (1.0.0)
extern const uint32_t kFactoryImageSize;
extern const uint8_t kSignedImage[];  // the update (2.0.0): image || signature || u32le length
extern const uint32_t kSignedImageSize;
extern const uint32_t kSignedPayloadSize;  // the image alone: what the boot path swaps in
extern const char kPublicKeyPem[];
extern const uint32_t kPublicKeyPemSize;
extern const uint8_t kBenchTrailer[];  // signature || u32le length of the 1 MiB bench file
extern const uint32_t kBenchTrailerSize;

// The recorded session, with the invitation's size and MD5 rewritten for kSignedImage.
extern const char kPassword[];
extern const uint8_t kRecordedNonceRandom[16];  // the random bytes behind the recorded nonce
extern const char kInvitation[];                // uploader -> device, UDP
extern const char kRecordedChallenge[];         // device -> uploader: "AUTH <nonce>"
extern const char kAuthReply[];                 // uploader -> device: "200 <cnonce> <response>\n"
extern const char kRecordedAccept[];            // device -> uploader: "OK"
extern const uint32_t kChunkSize;               // espota.py's TCP chunk (1460)
extern const char kRecordedResult[];            // device -> uploader over TCP at the end: "OK"
extern const uint16_t kUploaderUdpPort;
extern const uint16_t kUploaderTcpPort;

}  // namespace otakit::mcu::data
