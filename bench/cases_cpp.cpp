// C++: RAII and exceptions, what C programmers otherwise reach for.
#include <stdexcept>

#include "bench.h"

namespace {

// with_trivial: a guard whose constructor and destructor do the minimum a
// manager's enter and exit do (one opaque call each).
struct Guard {
    int state = 0;
    Guard() { bench_touch(&state); }
    ~Guard() { bench_touch(&state); }
};

// defer_one: a destructor standing in for the deferred call.
struct Deferred {
    int *p;
    explicit Deferred(int *q) : p(q) {}
    ~Deferred() { bench_touch(p); }
};

__attribute__((noinline)) void fails() { throw std::runtime_error("bad value"); }

} // namespace

extern "C" void cpp_with_trivial(long n)
{
    for (long i = 0; i < n; i++) {
        Guard g;
        bench_touch(&g);
    }
}

extern "C" void cpp_defer_one(long n)
{
    for (long i = 0; i < n; i++) {
        int x = 1;
        Deferred d(&x);
    }
}

extern "C" void cpp_raise_catch(long n)
{
    for (long i = 0; i < n; i++) {
        try {
            fails();
        } catch (const std::runtime_error &e) {
            bench_touch((void *)&e);
        }
    }
}
