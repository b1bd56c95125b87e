# One otakit_add_fuzzer per parser.
otakit_add_fuzzer(fuzz_rsa_public_key rsa_public_key_fuzz.cpp)
