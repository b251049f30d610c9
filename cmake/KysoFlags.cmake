# Warnings are errors with KYSO_WERROR (./dev, CI and the Windows build turn
# it on; OFF by default so a packager's newer compiler does not fail the
# build on a new warning); sanitizer and fuzzing instrumentation are directory-wide
# so every library and program of ours is built the same way. Targets that are
# loaded into foreign processes (PKCS#11 modules loaded by pkcs11-tool, NSS,
# OpenSSL) call kyso_no_sanitize() since the sanitizer runtime must come first.

add_compile_options(
  -Wall -Wextra -Wconversion -Wshadow -Wformat=2 -Wstrict-prototypes
  -Wmissing-prototypes -Wpointer-arith -Wundef
  -fno-common)
option(KYSO_WERROR "Treat compiler warnings as errors" OFF)
if(KYSO_WERROR)
  add_compile_options(-Werror)
endif()

if(KYSO_SANITIZE)
  set(KYSO_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                     -fno-omit-frame-pointer)
  add_compile_options(${KYSO_SAN_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

if(KYSO_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "KYSO_FUZZ needs clang (CC=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Strip sanitizer/fuzzer instrumentation from a target (shared modules that
# foreign programs dlopen). Such targets must link only *_nosan libraries.
function(kyso_no_sanitize target)
  get_target_property(_opts ${target} COMPILE_OPTIONS)
  if(_opts)
    list(FILTER _opts EXCLUDE REGEX "^-fsanitize|^-fno-sanitize")
    set_target_properties(${target} PROPERTIES COMPILE_OPTIONS "${_opts}")
  endif()
  get_target_property(_lopts ${target} LINK_OPTIONS)
  if(_lopts)
    list(FILTER _lopts EXCLUDE REGEX "^-fsanitize")
    set_target_properties(${target} PROPERTIES LINK_OPTIONS "${_lopts}")
  endif()
endfunction()

# A libFuzzer target: kyso_fuzz_target(name source libs...). Built only with
# KYSO_FUZZ; registered as a short ctest run over its seed corpus.
function(kyso_fuzz_target name src corpus)
  if(NOT KYSO_FUZZ)
    return()
  endif()
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  # for `./dev fuzz`: the binary and its seed corpus
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/fuzz-targets/${name}.txt
    CONTENT "$<TARGET_FILE:${name}> ${corpus}\n")
  if(KYSO_TESTS)
    add_test(NAME fuzz.${name}
      COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run-fuzz.sh $<TARGET_FILE:${name}> ${corpus}
              ${CMAKE_BINARY_DIR}/fuzz-work/${name})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endfunction()
