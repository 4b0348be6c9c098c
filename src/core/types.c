/* The built-in error types, in Python's hierarchy, and errno's mapping onto them. */
#include <errno.h>

#include "internal.h"

#define TYPE(name, base) CX_API const cx_type cx_##name = {#name, base}

TYPE(BaseException, NULL);
TYPE(Exception, &cx_BaseException);
TYPE(GeneratorExit, &cx_BaseException);
TYPE(CancelledError, &cx_BaseException);
TYPE(KeyboardInterrupt, &cx_BaseException);
TYPE(ValueError, &cx_Exception);
TYPE(TypeError, &cx_Exception);
TYPE(LookupError, &cx_Exception);
TYPE(KeyError, &cx_LookupError);
TYPE(IndexError, &cx_LookupError);
TYPE(RuntimeError, &cx_Exception);
TYPE(NotImplementedError, &cx_RuntimeError);
TYPE(AssertionError, &cx_Exception);
TYPE(MemoryError, &cx_Exception);
TYPE(OSError, &cx_Exception);
TYPE(FileNotFoundError, &cx_OSError);
TYPE(FileExistsError, &cx_OSError);
TYPE(PermissionError, &cx_OSError);
TYPE(IsADirectoryError, &cx_OSError);
TYPE(NotADirectoryError, &cx_OSError);
TYPE(InterruptedError, &cx_OSError);
TYPE(TimeoutError, &cx_OSError);
TYPE(BlockingIOError, &cx_OSError);
TYPE(ChildProcessError, &cx_OSError);
TYPE(ProcessLookupError, &cx_OSError);
TYPE(ConnectionError, &cx_OSError);
TYPE(BrokenPipeError, &cx_ConnectionError);
TYPE(ConnectionAbortedError, &cx_ConnectionError);
TYPE(ConnectionRefusedError, &cx_ConnectionError);
TYPE(ConnectionResetError, &cx_ConnectionError);

/* The table CPython builds in Objects/exceptions.c (errnomap). */
const cx_type *cx__errno_type(int errnum)
{
    switch (errnum) {
    case ENOENT: return &cx_FileNotFoundError;
    case EEXIST: return &cx_FileExistsError;
    case EACCES:
    case EPERM: return &cx_PermissionError;
    case EISDIR: return &cx_IsADirectoryError;
    case ENOTDIR: return &cx_NotADirectoryError;
    case EINTR: return &cx_InterruptedError;
    case ETIMEDOUT: return &cx_TimeoutError;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EALREADY:
    case EINPROGRESS: return &cx_BlockingIOError;
    case ECHILD: return &cx_ChildProcessError;
    case ESRCH: return &cx_ProcessLookupError;
    case EPIPE:
#ifdef ESHUTDOWN /* not in Windows' C runtime */
    case ESHUTDOWN:
#endif
        return &cx_BrokenPipeError;
    case ECONNABORTED: return &cx_ConnectionAbortedError;
    case ECONNREFUSED: return &cx_ConnectionRefusedError;
    case ECONNRESET: return &cx_ConnectionResetError;
    default: return &cx_OSError;
    }
}

bool cx_type_is(const cx_type *t, const cx_type *base) { return cx__is_subtype(t, base); }
