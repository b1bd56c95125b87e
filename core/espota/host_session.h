// The host (uploader) side of espota as a sans-IO state machine: invite over UDP (resending with
// back-off while nothing answers), answer the AUTH challenge, accept the device's TCP connection,
// stream the image (or pace it like espota.py, one 1460-byte chunk per ack), and end with one
// clear outcome. It never waits forever: every phase has a deadline, and a connection the device
// closes without "OK" or "ERROR" ends the upload instead of spinning like espota.py.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/auth.h"
#include "core/espota/invitation.h"
#include "core/espota/protocol.h"
#include "core/espota/result_stream.h"
#include "core/proto/event_queue.h"
#include "core/proto/peer_address.h"
#include "core/proto/random_source.h"

namespace otakit::espota {

struct HostConfig {
  Command command = Command::flash;
  uint16_t listen_port = 0;  // the TCP port the driver already listens on
  uint32_t size = 0;
  char md5[kMd5HexLength + 1] = {};  // md5 of the image, lowercase hex
  proto::PeerAddress device;         // device IP and UDP port
  const char* password = "";         // espota.py answers a challenge with md5("") when none is given
  size_t password_length = 0;
  proto::RandomSource random;        // for the cnonce
  bool stop_and_wait = false;        // espota.py pacing: one kChunkSize chunk, then wait for an ack
  uint32_t stream_block = 16384;     // bytes per send_data when streaming (TCP paces the rest)
  uint32_t answer_timeout_ms = 10000;  // per UDP exchange (espota.py: 10 s)
  uint32_t first_resend_ms = 1000;     // datagram resends at 1, 3, 7 ... s while nothing answers
  uint32_t accept_timeout_ms = 10000;  // device connects back (espota.py: 10 s)
  uint32_t stall_timeout_ms = 10000;   // no byte sent and no ack for this long during the transfer
  uint32_t result_timeout_ms = 60000;  // after the last byte, for OK/ERROR (espota.py: 60 s)
};

enum class HostState : uint8_t {
  idle,
  inviting,            // invitation sent, waiting for OK / AUTH
  authenticating,      // auth reply sent, waiting for OK
  waiting_connection,  // device said OK; waiting for its TCP connection
  transferring,
  waiting_result,      // every byte sent; waiting for OK / ERROR
  done,
};

enum class UploadOutcome : uint8_t {
  ok,
  no_answer,        // nothing answered the invitation
  auth_failed,      // "Authentication Failed"
  auth_no_answer,   // the auth reply got no answer
  device_busy,      // "ERR: ERROR[15]: Update already running": another upload runs
  device_rejected,  // "ERR: ..." to the invitation, or "ERROR[n]: ..." after the transfer
  no_connection,    // the device said OK but never connected back
  transfer_failed,  // the connection broke or stalled before every byte was sent
  no_result,        // every byte sent, then no OK/ERROR (closed or timed out)
  protocol_error,   // answers that are not espota ("Bad Answer")
  local_error,      // the host could not run the upload (no random source)
};
const char* describe(UploadOutcome outcome);
// True when the device cannot have taken any data, so the same upload may simply run again.
bool safe_to_retry(UploadOutcome outcome);

enum class HostAction : uint8_t {
  send_udp,        // data/len to the device
  stop_listening,  // the device connected: close the listener
  send_data,       // write image bytes [offset, offset+len), then call on_data_sent(len)
  close_tcp,
  progress,        // sent / acked / size
  finished,        // outcome, device_error, text
  note,            // text: a step worth a debug log line
};

struct HostEvent {
  HostAction action = HostAction::note;
  const uint8_t* data = nullptr;  // valid until the next call into the session
  size_t len = 0;
  uint32_t offset = 0;
  uint32_t sent = 0;
  uint32_t acked = 0;
  uint32_t size = 0;
  UploadOutcome outcome = UploadOutcome::ok;
  int device_error = -1;  // n of ERROR[n] when the device sent one
  const char* text = nullptr;
};

class HostSession {
 public:
  explicit HostSession(const HostConfig& config);

  void start(uint32_t now_ms);
  void on_datagram(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now_ms);
  // Returns false (close that socket, keep listening) for a connection not from the device's IP.
  bool on_tcp_connected(const proto::PeerAddress& from, uint32_t now_ms);
  void on_data_sent(uint32_t bytes, uint32_t now_ms);
  // A write failed because the device closed or reset the connection. Nothing more is sent, but
  // the bytes it sent before may still wait to be read (its acks and OK or ERROR), so the outcome
  // comes from on_tcp_closed() once the reading side has seen them, or from the stall deadline.
  void on_tcp_send_failed(uint32_t now_ms);
  void on_tcp_data(const uint8_t* data, size_t len, uint32_t now_ms);
  // The reading side saw the end of the connection (EOF or reset), after everything before it.
  void on_tcp_closed(uint32_t now_ms);
  void on_tick(uint32_t now_ms);

  bool poll(HostEvent* out) { return events_.pop(out); }
  bool next_deadline(uint32_t* at_ms) const;

  HostState state() const { return state_; }
  UploadOutcome outcome() const { return outcome_; }
  uint32_t sent() const { return sent_; }
  uint32_t acked() const { return parser_.acked_estimate(); }
  bool authenticated() const { return authenticated_; }
  bool queue_overflowed() const { return events_.overflowed(); }

 private:
  void advance(uint32_t now);
  void on_reply(const uint8_t* data, size_t len, uint32_t now);
  void answer_challenge(const Hex32& nonce, uint32_t now);
  void send_datagram(uint32_t now);
  void resend_datagram(uint32_t now);
  void send_next_block(uint32_t now);
  void check_stream_result();
  void finish(UploadOutcome outcome, const char* text, int device_error = -1);
  void note(const char* text);
  void emit_progress();
  uint32_t deadline() const;

  HostConfig config_;
  Hex32 password_hash_;
  HostState state_ = HostState::idle;
  UploadOutcome outcome_ = UploadOutcome::ok;
  bool authenticated_ = false;
  bool connected_ = false;

  char datagram_[kMaxRequestDatagram + 1] = {};
  size_t datagram_len_ = 0;
  Hex32 nonce_;
  uint32_t answer_deadline_ = 0;
  uint32_t next_resend_ = 0;
  uint32_t resend_interval_ = 0;

  uint32_t phase_deadline_ = 0;  // accept / stall / result deadline
  uint32_t sent_ = 0;
  uint32_t in_flight_ = 0;
  uint32_t digits_at_send_ = 0;
  uint32_t last_acked_ = 0;
  DeviceStreamParser parser_;

  char message_[240] = {};
  proto::EventQueue<HostEvent, 16> events_;
};

}  // namespace otakit::espota
