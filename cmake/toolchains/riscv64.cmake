# riscv64 Linux (glibc): riscv64-linux-gnu-gcc, run under qemu-riscv64.
#   cmake -S . -B build-riscv64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64.cmake
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CX_CROSS_TRIPLE riscv64-linux-gnu)
set(CX_CROSS_QEMU qemu-riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
