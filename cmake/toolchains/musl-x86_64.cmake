# x86-64 Linux with musl instead of glibc: Debian's musl-gcc (musl-tools), a
# wrapper that builds against musl's headers and libc.  Not a cross build:
# the tests run natively.
#   cmake -S . -B build-musl -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/musl-x86_64.cmake
set(CMAKE_C_COMPILER musl-gcc)
set(CMAKE_ASM_COMPILER musl-gcc)
# pkg-config sees musl's own libraries only: the system's are glibc's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/x86_64-linux-musl/pkgconfig)
