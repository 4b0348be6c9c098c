/* Real-World Examples / 3. API Rate Limiter: the guide's RateLimiter keeps
 * one sliding window per key; here each key gets a cx_rate_limiter (thread
 * safe; a call whose body raised is forgotten, as in the guide).  The guide's
 * window is 60 s; the tour uses 1 s so the wait is visible but short. */
#include <pthread.h>
#include <string.h>

#include "examples.h"

typedef struct {
    pthread_mutex_t lock;
    int n;
    struct {
        char key[32];
        cx_rate_limiter *rl;
    } requests[16];
} rate_limiter;

/* limiter.limit(key, max_requests, window_seconds) */
static cx_manager limit(rate_limiter *self, const char *key, int max_requests,
                        double window_seconds, bool wait)
{
    cx_rate_limiter *rl = NULL;
    {
        cx_using (cx_lock(&self->lock));
        for (int i = 0; i < self->n && !rl; i++)
            if (strcmp(self->requests[i].key, key) == 0)
                rl = self->requests[i].rl;
        if (!rl) {
            if (self->n == 16)
                cx_raise(&cx_MemoryError, "too many keys");
            rl = cx_rate_limiter_new(max_requests, window_seconds, wait);
            snprintf(self->requests[self->n].key, sizeof self->requests[0].key, "%s", key);
            self->requests[self->n++].rl = rl;
        }
    }
    return cx_rate_limited(rl);
}

static void rate_limiter_free(rate_limiter *self)
{
    for (int i = 0; i < self->n; i++)
        cx_rate_limiter_free(self->requests[i].rl);
}

static rate_limiter limiter = {PTHREAD_MUTEX_INITIALIZER, 0, {{"", NULL}}};
static double start;

static const char *api_call(int user_id, const char *data, char *response, size_t size)
{
    char key[32];
    snprintf(key, sizeof key, "user:%d", user_id);
    double asked = now_s();
    cx_with (limit(&limiter, key, 5, 1.0, true)) {
        if (now_s() - asked > 0.05)
            printf("  Rate limit exceeded. Waited %.1fs...\n", now_s() - asked);
        /* Make API call */
        printf("  Making API call for user %d at +%.2fs\n", user_id, now_s() - start);
        snprintf(response, size, "Response for %s", data);
    }
    return response;
}

static void failing_call(void *unused)
{
    (void)unused;
    cx_with (limit(&limiter, "strict", 2, 60, false))
        cx_raise(&cx_ValueError, "the API returned 500");
}

static void strict_call(void *unused)
{
    (void)unused;
    cx_with (limit(&limiter, "strict", 2, 60, false))
        puts("  strict call accepted");
}

void example_rate_limiter(void)
{
    start = now_s();
    char response[64];
    for (int i = 0; i < 7; i++)
        api_call(42, "ping", response, sizeof response);
    printf("  last response: %s\n", response);

    puts("A failed call gives its slot back (2 calls per 60 s, no waiting):");
    void (*calls[])(void *) = {strict_call, failing_call, strict_call, strict_call};
    for (int i = 0; i < 4; i++) {
        cx_error *e = cx_protect(calls[i], NULL);
        if (e)
            printf("  %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
        cx_error_unref(e);
    }
    rate_limiter_free(&limiter);
    limiter.n = 0;
}
