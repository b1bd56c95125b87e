# Per-library include roots: each library sees the repository through a folder in the build tree
# that holds only its own part (a symlink), plus the roots of what it links. A core/ file that
# names "net/..." then fails to compile on the host too, not only in scripts/check-boundaries.sh.
# Executables (cli/, tests, benchmarks) see the whole source tree: include_directories() in their
# folders.
function(otakit_include_root target part)
  set(root ${CMAKE_BINARY_DIR}/include-roots/${part})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${part} ${root}/${part} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${root})
endfunction()

