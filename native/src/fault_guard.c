/*
 * The SIGBUS guard: a kernel reading a memory-mapped input file that was truncated (or cut by an
 * I/O error) under it gets SIGBUS, which would kill the JVM (exit 134 and an hs_err file). Every
 * entry that reads caller memory runs its body through mk_guarded(): the body's thread publishes a
 * jump buffer in a thread-local, and the SIGBUS handler installed when the library loads jumps back
 * there, so the entry returns MK_E_FAULT and the Java side reports which input changed.
 *
 * A SIGBUS on a thread with no active guard (Java code reading a mapped segment, anything else in
 * the process) goes to the action that was installed before ours (the JVM's, which turns a fault in
 * a Java-side mapped read into InternalError), called as the kernel would have called it: its
 * sa_sigaction or sa_handler with the same arguments and its sa_mask blocked; a default or ignored
 * action is restored and the signal raised again, so the process dies as it would have.
 *
 * Why sigsetjmp(env, 0) suffices: the handler has SA_NODEFER and an empty sa_mask, so entering it
 * blocks nothing and the thread's mask is the same inside as in the body. Jumping out without
 * restoring the mask (savemask 0: no sigprocmask system call per kernel call) therefore leaves
 * SIGBUS unblocked for the next fault; without SA_NODEFER it would stay blocked and the next fault
 * would kill the process.
 *
 * Bodies may not allocate memory or take locks: a jump out of one skips the rest of it. Callers
 * allocate before and free after the guarded call.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"

/* The action before ours; written once, before ours is installed, and only read after. */
static struct sigaction previous;
static int installed;

/* The active guard of this thread, NULL when none. initial-exec: the handler reads it with a plain
 * %fs-relative load; the general-dynamic model may call __tls_get_addr, which may allocate, and a
 * handler may not (a JVM thread that never ran a kernel has no block for this library yet). */
static __thread sigjmp_buf *volatile guard __attribute__((tls_model("initial-exec")));

static void chain(int sig, siginfo_t *info, void *context) {
    if ((previous.sa_flags & SA_SIGINFO) == 0 &&
        (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN)) {
        /* SIG_IGN cannot hold off a fault either: the kernel kills the process for it. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        raise(sig);
        return;
    }
    sigset_t mask = previous.sa_mask;
    if ((previous.sa_flags & SA_NODEFER) == 0) {
        sigaddset(&mask, sig);
    }
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &mask, &old);
    if ((previous.sa_flags & SA_SIGINFO) != 0) {
        previous.sa_sigaction(sig, info, context);
    } else {
        previous.sa_handler(sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    sigjmp_buf *env = guard;
    /* si_code > 0: raised by the kernel for this thread's access (BUS_ADRERR for a page past the end
     * of a mapped file); a SIGBUS sent with kill() or raise() is not a read that failed. */
    if (env != NULL && info != NULL && info->si_code > 0) {
        guard = NULL; /* mk_guarded puts back the outer guard, if any */
        siglongjmp(*env, 1);
    }
    chain(sig, info, context);
}

__attribute__((constructor)) static void install(void) {
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_sigbus;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
    /* Read the current action first, then install: a SIGBUS in between still finds it in previous. */
    if (sigaction(SIGBUS, NULL, &previous) != 0 || (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction == on_sigbus)) {
        return;
    }
    installed = sigaction(SIGBUS, &ours, NULL) == 0;
}

/* Should the library ever be unloaded, the handler must not outlive its code. */
__attribute__((destructor)) static void uninstall(void) {
    struct sigaction now;
    if (installed && sigaction(SIGBUS, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) != 0 &&
        now.sa_sigaction == on_sigbus) {
        sigaction(SIGBUS, &previous, NULL);
        installed = 0;
    }
}

int32_t mk_guarded(int32_t (*body)(void *ctx), void *ctx) {
    sigjmp_buf env;
    sigjmp_buf *outer = guard; /* not changed after sigsetjmp, so valid after the jump */
    if (sigsetjmp(env, 0) != 0) {
        guard = outer;
        return MK_E_FAULT;
    }
    guard = &env;
    int32_t status = body(ctx);
    guard = outer;
    return status;
}
