# Distribution libraries, found through pkg-config (Debian 12 names in
# .dev/packages/build.txt).
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl>=3.0)
pkg_check_modules(PCSC REQUIRED IMPORTED_TARGET libpcsclite)
pkg_check_modules(LIBUSB REQUIRED IMPORTED_TARGET libusb-1.0)
if(WIN32)
  # The Windows build does not port the signer yet (installer/windows).
  pkg_check_modules(LIBP11 IMPORTED_TARGET libp11)
else()
  pkg_check_modules(LIBP11 REQUIRED IMPORTED_TARGET libp11)
endif()
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
if(KYSO_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
find_program(MSGFMT msgfmt REQUIRED)
