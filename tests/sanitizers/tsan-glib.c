/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * ThreadSanitizer annotations for Debian's (uninstrumented) GLib, preloaded
 * (LD_PRELOAD) into the tests of the TSan build (build-tsan/, scripts/tsan).
 *
 * GLib's GMutex and GCond are futexes, GOnce and GThreadPool's queue are built
 * on them and on atomics: TSan sees none of it, so every hand-over through them
 * (a GstObject lock, a task pushed to a GThreadPool, a buffer through a
 * GAsyncQueue) looks like a data race. Each function below calls GLib's own
 * (dlsym RTLD_NEXT: the same futex implementation everybody else uses, so
 * nothing changes in behaviour) and tells TSan what it did:
 *
 *  - g_mutex_lock/trylock/unlock, and g_cond_wait/wait_until (which unlock and
 *    lock the mutex): TSan's mutex annotations (lock sets, happens-before,
 *    lock-order checks), exactly as for a pthread mutex;
 *  - g_cond_signal/broadcast -> wait: release/acquire on the GCond;
 *  - g_once_init_leave -> g_once_init_enter: release/acquire on the location;
 *  - g_thread_pool_push -> the pool's function on that task: release/acquire on
 *    the task pointer (the pool's function is wrapped in g_thread_pool_new);
 *    each task's end -> g_thread_pool_free(..., wait_ = TRUE);
 *  - GAsyncQueue: each locked operation releases before and acquires after on
 *    the queue (it locks the queue's mutex inside), g_async_queue_lock/unlock
 *    too.
 *
 * Only calls that cross a shared-library boundary reach here: libgstreamer's,
 * libgstcheck's, our plugin's and the tests' calls into GLib. GLib's calls to
 * itself are direct and stay invisible (they synchronise GLib's own data, which
 * TSan does not check: GLib is not instrumented). GRecMutex and GRWLock are
 * pthread mutexes and rwlocks in GLib 2.74, which TSan intercepts itself.
 *
 * Not instrumented itself (built by tests/sanitizers/meson.build without
 * -fsanitize): the TSan entry points are weak, so a child process without the
 * TSan runtime (a program replyonpause's command handler runs) inherits the
 * preload harmlessly.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* GLib's types, as its ABI has them (no GLib headers: their macros would
 * rename some of the functions defined here). */
typedef int gboolean;
typedef int gint;
typedef int64_t gint64;
typedef uint64_t guint64;
typedef size_t gsize;
typedef void *gpointer;
typedef struct GMutex GMutex;
typedef struct GCond GCond;
typedef struct GError GError;
typedef struct GThreadPool GThreadPool;
typedef struct GAsyncQueue GAsyncQueue;
typedef void (*GFunc)(gpointer data, gpointer user_data);
typedef gint (*GCompareDataFunc)(const void *a, const void *b, gpointer user_data);

void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));
void __tsan_mutex_destroy(void *addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_pre_lock(void *addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion) __attribute__((weak));
int __tsan_mutex_pre_unlock(void *addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_post_unlock(void *addr, unsigned flags) __attribute__((weak));

/* From sanitizer/tsan_interface.h (not installed by Debian's gcc packages). */
enum { TSAN_MUTEX_TRY_LOCK = 1 << 4, TSAN_MUTEX_TRY_LOCK_FAILED = 1 << 5 };

static int tsan(void) {
  return __tsan_acquire != NULL;
}

static void *real(const char *name, void **slot) {
  void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (fn == NULL) {
    fn = dlsym(RTLD_NEXT, name);
    if (fn == NULL) {
      fprintf(stderr, "tsan-glib: %s not found after the preload\n", name);
      abort();
    }
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
  }
  return fn;
}

#define REAL(ret, name, ...)                                                                       \
  static void *name##_slot;                                                                        \
  typedef ret (*name##_fn)(__VA_ARGS__);                                                           \
  static name##_fn real_##name(void) {                                                             \
    return (name##_fn)real(#name, &name##_slot);                                                   \
  }

static void annotate_lock(void *m, unsigned flags, int failed) {
  if (!tsan())
    return;
  __tsan_mutex_post_lock(m, flags | (failed ? TSAN_MUTEX_TRY_LOCK_FAILED : 0), 0);
}
static void annotate_pre_lock(void *m, unsigned flags) {
  if (tsan())
    __tsan_mutex_pre_lock(m, flags);
}
static void annotate_pre_unlock(void *m) {
  if (tsan())
    __tsan_mutex_pre_unlock(m, 0);
}
static void annotate_post_unlock(void *m) {
  if (tsan())
    __tsan_mutex_post_unlock(m, 0);
}
static void acquire(void *addr) {
  if (tsan() && addr != NULL)
    __tsan_acquire(addr);
}
static void release(void *addr) {
  if (tsan() && addr != NULL)
    __tsan_release(addr);
}

/* ---- GMutex, GCond ---------------------------------------------------------- */

REAL(void, g_mutex_clear, GMutex *)
REAL(void, g_mutex_lock, GMutex *)
REAL(gboolean, g_mutex_trylock, GMutex *)
REAL(void, g_mutex_unlock, GMutex *)
REAL(void, g_cond_wait, GCond *, GMutex *)
REAL(gboolean, g_cond_wait_until, GCond *, GMutex *, gint64)
REAL(void, g_cond_signal, GCond *)
REAL(void, g_cond_broadcast, GCond *)

void g_mutex_clear(GMutex *mutex) {
  if (tsan())
    __tsan_mutex_destroy(mutex, 0);
  real_g_mutex_clear()(mutex);
}

void g_mutex_lock(GMutex *mutex) {
  annotate_pre_lock(mutex, 0);
  real_g_mutex_lock()(mutex);
  annotate_lock(mutex, 0, 0);
}

gboolean g_mutex_trylock(GMutex *mutex) {
  annotate_pre_lock(mutex, TSAN_MUTEX_TRY_LOCK);
  gboolean locked = real_g_mutex_trylock()(mutex);
  annotate_lock(mutex, TSAN_MUTEX_TRY_LOCK, !locked);
  return locked;
}

void g_mutex_unlock(GMutex *mutex) {
  annotate_pre_unlock(mutex);
  real_g_mutex_unlock()(mutex);
  annotate_post_unlock(mutex);
}

/* The wait unlocks the mutex and locks it again before it returns. */
void g_cond_wait(GCond *cond, GMutex *mutex) {
  annotate_pre_unlock(mutex);
  annotate_post_unlock(mutex);
  real_g_cond_wait()(cond, mutex);
  annotate_pre_lock(mutex, 0);
  annotate_lock(mutex, 0, 0);
  acquire(cond);
}

gboolean g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time) {
  annotate_pre_unlock(mutex);
  annotate_post_unlock(mutex);
  gboolean signalled = real_g_cond_wait_until()(cond, mutex, end_time);
  annotate_pre_lock(mutex, 0);
  annotate_lock(mutex, 0, 0);
  acquire(cond);
  return signalled;
}

void g_cond_signal(GCond *cond) {
  release(cond);
  real_g_cond_signal()(cond);
}

void g_cond_broadcast(GCond *cond) {
  release(cond);
  real_g_cond_broadcast()(cond);
}

/* ---- GOnce ------------------------------------------------------------------ */

REAL(gboolean, g_once_init_enter, volatile void *)
REAL(void, g_once_init_leave, volatile void *, gsize)

gboolean g_once_init_enter(volatile void *location) {
  gboolean first = real_g_once_init_enter()(location);
  acquire((void *)location);
  return first;
}

void g_once_init_leave(volatile void *location, gsize result) {
  release((void *)location);
  real_g_once_init_leave()(location, result);
}

/* ---- GThreadPool ------------------------------------------------------------ */

typedef struct {
  GFunc func;
  gpointer user_data;
} PoolFunc;

static void pool_trampoline(gpointer task, gpointer data) {
  PoolFunc *pool_func = data;
  acquire(task);
  pool_func->func(task, pool_func->user_data);
  release(pool_func); /* -> g_thread_pool_free(..., wait_ = TRUE) */
}

REAL(GThreadPool *, g_thread_pool_new, GFunc, gpointer, gint, gboolean, GError **)
REAL(gboolean, g_thread_pool_push, GThreadPool *, gpointer, GError **)
REAL(void, g_thread_pool_free, GThreadPool *, gboolean, gboolean)

/* GThreadPool's public fields: user_data is the PoolFunc below. */
struct GThreadPool {
  GFunc func;
  gpointer user_data;
  gboolean exclusive;
};

/* The wrapper lives as long as the process (pools are few: GStreamer's task
 * pool, replyonpause's workers). */
GThreadPool *g_thread_pool_new(GFunc func, gpointer user_data, gint max_threads, gboolean exclusive,
                               GError **error) {
  PoolFunc *pool_func = malloc(sizeof *pool_func);
  if (pool_func == NULL)
    abort();
  pool_func->func = func;
  pool_func->user_data = user_data;
  return real_g_thread_pool_new()(pool_trampoline, pool_func, max_threads, exclusive, error);
}

gboolean g_thread_pool_push(GThreadPool *pool, gpointer task, GError **error) {
  release(task);
  return real_g_thread_pool_push()(pool, task, error);
}

/* With wait_, it returns when every task has run. */
void g_thread_pool_free(GThreadPool *pool, gboolean immediate, gboolean wait_) {
  PoolFunc *pool_func = pool->func == pool_trampoline ? pool->user_data : NULL;
  real_g_thread_pool_free()(pool, immediate, wait_);
  if (wait_)
    acquire(pool_func);
}

/* ---- GAsyncQueue ------------------------------------------------------------ */

REAL(void, g_async_queue_lock, GAsyncQueue *)
REAL(void, g_async_queue_unlock, GAsyncQueue *)
REAL(void, g_async_queue_push, GAsyncQueue *, gpointer)
REAL(void, g_async_queue_push_front, GAsyncQueue *, gpointer)
REAL(void, g_async_queue_push_sorted, GAsyncQueue *, gpointer, GCompareDataFunc, gpointer)
REAL(gpointer, g_async_queue_pop, GAsyncQueue *)
REAL(gpointer, g_async_queue_try_pop, GAsyncQueue *)
REAL(gpointer, g_async_queue_timeout_pop, GAsyncQueue *, guint64)
REAL(gboolean, g_async_queue_remove, GAsyncQueue *, gpointer)
REAL(gint, g_async_queue_length, GAsyncQueue *)

void g_async_queue_lock(GAsyncQueue *queue) {
  real_g_async_queue_lock()(queue);
  acquire(queue);
}

void g_async_queue_unlock(GAsyncQueue *queue) {
  release(queue);
  real_g_async_queue_unlock()(queue);
}

/* An operation that locks the queue's mutex inside: a release before it and an
 * acquire after it on the queue. `params` start with `GAsyncQueue *queue`;
 * `args` are their names. */
#define LOCKED_QUEUE_OP(name, params, args)                                                        \
  void name params {                                                                               \
    release(queue);                                                                                \
    real_##name() args;                                                                            \
    acquire(queue);                                                                                \
  }
#define LOCKED_QUEUE_OP_RETURNING(ret, name, params, args)                                         \
  ret name params {                                                                                \
    release(queue);                                                                                \
    ret result = real_##name() args;                                                               \
    acquire(queue);                                                                                \
    return result;                                                                                 \
  }

LOCKED_QUEUE_OP(g_async_queue_push, (GAsyncQueue * queue, gpointer data), (queue, data))
LOCKED_QUEUE_OP(g_async_queue_push_front, (GAsyncQueue * queue, gpointer data), (queue, data))
LOCKED_QUEUE_OP(g_async_queue_push_sorted,
                (GAsyncQueue * queue, gpointer data, GCompareDataFunc func, gpointer user_data),
                (queue, data, func, user_data))
LOCKED_QUEUE_OP_RETURNING(gpointer, g_async_queue_pop, (GAsyncQueue * queue), (queue))
LOCKED_QUEUE_OP_RETURNING(gpointer, g_async_queue_try_pop, (GAsyncQueue * queue), (queue))
LOCKED_QUEUE_OP_RETURNING(gpointer, g_async_queue_timeout_pop,
                          (GAsyncQueue * queue, guint64 timeout), (queue, timeout))
LOCKED_QUEUE_OP_RETURNING(gboolean, g_async_queue_remove, (GAsyncQueue * queue, gpointer item),
                          (queue, item))
LOCKED_QUEUE_OP_RETURNING(gint, g_async_queue_length, (GAsyncQueue * queue), (queue))
