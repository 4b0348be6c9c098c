#include <stdio.h>

#include <cx/cx.h>

static int exits;
static void *enter(void *state) { return state; }
static bool exit_(void *state, cx_error *err) { (void)state; (void)err; exits++; return false; }
static const cx_manager_type noisy = {"noisy", enter, exit_};

int main(void)
{
    cx_try {
        cx_with (cx_manager_make(&noisy, NULL, 0))
            cx_raise(&cx_ValueError, "from the installed tree");
    } cx_except (&cx_ValueError, e) {
        printf("caught %s: %s; %s\n", cx_error_type(e)->name, cx_error_message(e),
               exits == 1 ? "exit ran" : "exit missing");
    }
    return 0;
}
