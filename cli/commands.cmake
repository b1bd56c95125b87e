# One line per subcommand source file.
target_sources(otakit PRIVATE
  exit_codes.cpp
)
