/* Files through libuv's thread pool: the loop never waits for the disk.
 * A request runs on a pool thread and cannot be stopped there, so a
 * cancelled wait asks uv_cancel (it works while the request is queued) and
 * otherwise lets the call finish before raising. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct cx_afile {
    uv_file fd;
};

typedef struct {
    cx_task *task;
    bool done;
} fs_waiter;

static void on_fs(uv_fs_t *req)
{
    fs_waiter *w = req->data;
    w->done = true;
    cx__task_wake(w->task);
}

/* Waits for req; returns its result; cancelled: true when a cancellation
 * arrived meanwhile (the caller undoes what the call did, then raises). */
static ssize_t fs_wait(uv_fs_t *req, fs_waiter *w, bool *cancelled)
{
    *cancelled = false;
    while (!w->done) {
        if (!cx__task_park(!*cancelled)) {
            *cancelled = true;
            uv_cancel((uv_req_t *)req);
        }
    }
    ssize_t r = req->result;
    uv_fs_req_cleanup(req);
    return r;
}

typedef struct {
    const char *path;
    int flags, mode;
    cx_afile *f;
} open_state;

static void *open_enter(void *state)
{
    open_state *os = state;
    cx_task *t = cx__async_task("cx_async_open");
    cx__task_checkpoint(t);
    fs_waiter w = {t, false};
    uv_fs_t req;
    req.data = &w;
    int rc = uv_fs_open(cx__async_loop(), &req, os->path, os->flags | O_CLOEXEC, os->mode, on_fs);
    if (rc < 0)
        cx__async_raise_uv(rc, "open %s", os->path);
    bool cancelled;
    ssize_t fd = fs_wait(&req, &w, &cancelled);
    if (cancelled) {
        if (fd >= 0)
            close((int)fd);
        cx__task_raise_cancelled(t);
    }
    if (fd < 0)
        cx__async_raise_uv((int)fd, "open %s", os->path);
    cx_afile *f = cx_malloc(sizeof *f);
    f->fd = (uv_file)fd;
    os->f = f;
    return f;
}

static bool open_exit(void *state, cx_error *err)
{
    (void)err;
    open_state *os = state;
    cx_afile *f = os->f;
    os->f = NULL;
    fs_waiter w = {cx__current(), false};
    uv_fs_t req;
    req.data = &w;
    int fd = f->fd;
    cx_free(f);
    int rc = uv_fs_close(cx__async_loop(), &req, fd, on_fs);
    if (rc < 0)
        cx__async_raise_uv(rc, "close %s", os->path);
    while (!w.done)
        cx__task_park(false); /* the descriptor must not be left open */
    ssize_t r = req.result;
    uv_fs_req_cleanup(&req);
    if (r < 0)
        cx__async_raise_uv((int)r, "close %s", os->path);
    return false;
}

static const cx_manager_type open_type = {"async_open", open_enter, open_exit};

cx_manager cx_async_open(const char *path, int flags, int mode)
{
    CX__ASYNC_NEED(path, "cx_async_open", "path");
    open_state s = {path, flags, mode, NULL};
    return cx_manager_make(&open_type, &s, sizeof s);
}

size_t cx_afile_read(cx_afile *f, void *buf, size_t len, int64_t offset)
{
    cx_task *t = cx__async_task("cx_afile_read");
    CX__ASYNC_NEED(f, "cx_afile_read", "f");
    cx__async_check_buffer("cx_afile_read", buf, len);
    cx__task_checkpoint(t);
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    uv_buf_t b = uv_buf_init(buf, (unsigned)len);
    fs_waiter w = {t, false};
    uv_fs_t req;
    req.data = &w;
    int rc = uv_fs_read(cx__async_loop(), &req, f->fd, &b, 1, offset, on_fs);
    if (rc < 0)
        cx__async_raise_uv(rc, "read");
    bool cancelled;
    ssize_t n = fs_wait(&req, &w, &cancelled);
    if (cancelled)
        cx__task_raise_cancelled(t);
    if (n < 0)
        cx__async_raise_uv((int)n, "read");
    return (size_t)n;
}

void cx_afile_write(cx_afile *f, const void *buf, size_t len, int64_t offset)
{
    cx_task *t = cx__async_task("cx_afile_write");
    CX__ASYNC_NEED(f, "cx_afile_write", "f");
    cx__async_check_buffer("cx_afile_write", buf, len);
    cx__task_checkpoint(t);
    while (len) {
        size_t chunk = len > UINT32_MAX ? UINT32_MAX : len;
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)chunk);
        fs_waiter w = {t, false};
        uv_fs_t req;
        req.data = &w;
        int rc = uv_fs_write(cx__async_loop(), &req, f->fd, &b, 1, offset, on_fs);
        if (rc < 0)
            cx__async_raise_uv(rc, "write");
        bool cancelled;
        ssize_t n = fs_wait(&req, &w, &cancelled);
        if (cancelled)
            cx__task_raise_cancelled(t);
        if (n < 0)
            cx__async_raise_uv((int)n, "write");
        buf = (const char *)buf + n;
        len -= (size_t)n;
        if (offset >= 0)
            offset += n;
    }
}

void cx_afile_sync(cx_afile *f)
{
    cx_task *t = cx__async_task("cx_afile_sync");
    CX__ASYNC_NEED(f, "cx_afile_sync", "f");
    fs_waiter w = {t, false};
    uv_fs_t req;
    req.data = &w;
    int rc = uv_fs_fsync(cx__async_loop(), &req, f->fd, on_fs);
    if (rc < 0)
        cx__async_raise_uv(rc, "fsync");
    bool cancelled;
    ssize_t r = fs_wait(&req, &w, &cancelled);
    if (cancelled)
        cx__task_raise_cancelled(t);
    if (r < 0)
        cx__async_raise_uv((int)r, "fsync");
}
