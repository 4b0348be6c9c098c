# i686 Linux (glibc): i686-linux-gnu-gcc, run under qemu-i386.
#   cmake -S . -B build-i686 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/i686.cmake
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CX_CROSS_TRIPLE i686-linux-gnu)
set(CX_CROSS_QEMU qemu-i386)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
