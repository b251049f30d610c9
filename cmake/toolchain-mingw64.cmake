# Cross-compiling kyso for Windows x86_64 with Debian's mingw-w64 (gcc, win32
# thread model). Dependencies come from the prefix built by
# installer/windows/build-deps.sh: pass -DKYSO_WIN_PREFIX=<prefix> (the build
# script does). pkg-config looks only there and in the mingw sysroot, never at
# the host's .pc files.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(KYSO_MINGW x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${KYSO_MINGW}-gcc)
set(CMAKE_CXX_COMPILER ${KYSO_MINGW}-g++)
set(CMAKE_RC_COMPILER ${KYSO_MINGW}-windres)
set(CMAKE_AR /usr/bin/${KYSO_MINGW}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB /usr/bin/${KYSO_MINGW}-ranlib CACHE FILEPATH "")

if(NOT KYSO_WIN_PREFIX AND DEFINED ENV{KYSO_WIN_PREFIX})
  set(KYSO_WIN_PREFIX $ENV{KYSO_WIN_PREFIX})
endif()
# After Platform/Windows-GNU.cmake has set its library suffixes, prefer static
# archives (libz.a over libz.dll.a) so nothing needs a DLL next to kyso.exe.
set(CMAKE_USER_MAKE_RULES_OVERRIDE
    ${CMAKE_CURRENT_LIST_DIR}/../installer/windows/mingw-static-rules.cmake)

# try_compile projects inherit the prefix through this list.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KYSO_WIN_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/${KYSO_MINGW} ${KYSO_WIN_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # msgfmt etc. run on the build host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_LIBDIR}
    "${KYSO_WIN_PREFIX}/lib/pkgconfig:/usr/${KYSO_MINGW}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
# Static libraries only: pkg-config --static adds Libs.private.
set(PKG_CONFIG_ARGN --static)

# Self-contained .exe: no libgcc/libwinpthread DLLs next to it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# DLLs likewise (no libwinpthread-1.dll: HarfBuzz links -pthread)
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc")

find_program(KYSO_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(KYSO_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KYSO_WINE64})
endif()
