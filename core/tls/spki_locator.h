// Finds the SubjectPublicKeyInfo of an X.509 certificate in its DER as the certificate streams
// past in pieces of any size, without storing it: what a public key pin is a hash of.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace otakit::tls {

// Walks Certificate -> tbsCertificate -> [version], serial, signature, issuer, validity,
// subject, subjectPublicKeyInfo (RFC 5280 §4.1) by their DER headers alone. Everything else,
// the rest of the certificate included, is left to BearSSL's decoder, which checks it whole.
// Plain data, so that it can live in a union: reset() before the first feed().
class SpkiLocator {
 public:
  void reset();

  // Takes the certificate's next bytes; *spki, *spki_len are the bytes of them that belong to
  // the SubjectPublicKeyInfo element (header included), possibly none. They are always one run:
  // the element is contiguous.
  void feed(const uint8_t* data, size_t len, const uint8_t** spki, size_t* spki_len);

  bool found() const { return state_ == State::done; }     // the whole element went past
  bool failed() const { return state_ == State::failed; }  // not the DER of a certificate

 private:
  enum class State : uint8_t { tag, length_first, length_more, skip, done, failed };

  void take_header_byte(uint8_t c);
  void header_complete();

  State state_;
  uint8_t depth_;        // 0: Certificate, 1: tbsCertificate, 2: the fields of tbsCertificate
  uint8_t field_;        // tbsCertificate fields seen, the optional version not counted
  uint8_t length_bytes_; // long-form length bytes still to read
  uint32_t length_;
  uint32_t offset_;      // certificate bytes seen
  uint32_t skip_left_;   // content bytes of the current element still to pass over
  uint32_t spki_begin_;  // offset of the SPKI's tag byte, once seen
  uint32_t spki_end_;    // offset just past it, once its header is read (0 before)
  bool in_spki_;
};

}  // namespace otakit::tls
