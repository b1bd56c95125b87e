# Signing and image tooling (issue 2).
target_sources(otakit_host PRIVATE rsa_key.cpp signer.cpp key_header.cpp gzip.cpp image_builder.cpp
               image_report.cpp)
