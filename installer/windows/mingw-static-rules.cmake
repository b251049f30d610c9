# CMAKE_USER_MAKE_RULES_OVERRIDE of cmake/toolchain-mingw64.cmake: runs after
# the platform files, so this wins over their ".dll.a;.a;.lib": find_library
# (and pkg-config imported targets) pick static archives only.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
