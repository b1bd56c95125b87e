// The device's memory of hosts that failed to log in: a fixed table of recent offenders, so the
// wrong-password back-off slows only the guessing host and takes the same memory for any number.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/proto/peer_address.h"

namespace otakit::espota {

struct PenaltyPolicy {
  uint32_t base_ms = 1000;    // wait before the next challenge after one failure,
  uint32_t max_ms = 8000;     //   doubling per failure up to this
  uint32_t reset_ms = 60000;  // a host's failures are forgotten this long after its last one
};

class AuthOffenders {
 public:
  // Enough for an owner, a few guessers and a few stale hosts; beyond that the host whose last
  // failure is oldest is forgotten first.
  static constexpr size_t kSlots = 8;

  explicit AuthOffenders(const PenaltyPolicy& policy) : policy_(policy) {}

  // Hosts are compared by IP only: every espota.py run sends from a new UDP port.
  void record_failure(const proto::PeerAddress& host, uint32_t now_ms);
  void forgive(const proto::PeerAddress& host);
  // Failures of host still remembered at now_ms (0 when none).
  uint32_t failures(const proto::PeerAddress& host, uint32_t now_ms) const;
  // Milliseconds host must still wait before its next challenge (0: challenge it now).
  uint32_t penalty_left(const proto::PeerAddress& host, uint32_t now_ms) const;

 private:
  struct Offender {
    proto::PeerAddress host;
    uint32_t failures = 0;  // 0 = free slot
    uint32_t last_failure_ms = 0;
    uint32_t penalty_ms = 0;
  };

  size_t index_of(const proto::PeerAddress& host, uint32_t now_ms) const;  // kSlots when not remembered
  size_t slot_for(const proto::PeerAddress& host, uint32_t now_ms) const;
  bool remembered(const Offender& offender, uint32_t now_ms) const;
  uint32_t penalty_for(uint32_t failures) const;

  PenaltyPolicy policy_;
  Offender table_[kSlots];
};

}  // namespace otakit::espota
