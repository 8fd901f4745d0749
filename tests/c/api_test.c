/*
 * C11 test program for libdatalake, driven by tests/c/test_c_api.py.
 *
 *   api_test args       CONFIG PROFILE                  NULL / non-UTF-8 arguments everywhere
 *   api_test validate   GOOD_CONFIG BAD_CONFIG          validate and open, good and bad
 *   api_test lifecycle  CONFIG PROFILE NFILES NEXPIRED  test_connection, sync, stats, checkpoint,
 *                                                       cleanup (dry run and real), no-op sync, sync_all
 *   api_test expect     OP CONFIG PROFILE STATUS SUBSTRING report|none
 *                                                       one call fails with STATUS, its message contains
 *                                                       SUBSTRING, a report is handed out or not
 *   api_test progress   CONFIG PROFILE                  progress callbacks on the calling thread
 *   api_test cancel     CONFIG PROFILE                  datalake_cancel from a second thread
 *   api_test parallel   CONFIG PROFILE1 PROFILE2        two syncs on one handle at once
 *   api_test verify-cancel CONFIG PROFILE REACHED       datalake_cancel from a second thread once the
 *                                                       remote comparison reached the collector (the
 *                                                       driver's gated collector creates REACHED)
 *   api_test aggregates CONFIG ENABLED ALL              datalake_select_profiles for "sync" and "verify"
 *                                                       (expected JSON arrays), datalake_cleanup_all
 *   api_test quality    CONFIG PROFILE                  sync (a broken file quarantined), verify local
 *                                                       and remote, coverage; prints the four JSON
 *                                                       documents, one per line, for the driver to check
 *   api_test synced     CONFIG PROFILE                  one sync that must succeed, then stats; prints
 *                                                       the two JSON documents, one per line
 *
 * Every check failure prints where and why, and exits 1. Exit 0 means all passed.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"

/* A pointer value no call may write: out-parameters start as this to prove
 * they were left alone on failure. */
static char UNTOUCHED_STORAGE;
#define UNTOUCHED (&UNTOUCHED_STORAGE)

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static datalake_lake *open_or_die(const char *config) {
  datalake_lake *lake = NULL;
  CHECK_STATUS(datalake_open(config, &lake), DATALAKE_OK, "datalake_open");
  CHECK(lake != NULL, "datalake_open returned OK but no handle");
  return lake;
}

/* ---- args ---------------------------------------------------------------------------- */

static int cmd_args(const char *config, const char *profile) {
  char *out = UNTOUCHED;
  datalake_lake *lake_out = (datalake_lake *)UNTOUCHED;
  const char bad_utf8[] = {'p', (char)0xff, 'x', 0};

  CHECK_STATUS(datalake_open(NULL, &lake_out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_open(NULL)");
  CHECK_MESSAGE("config_path is NULL");
  CHECK(lake_out == (datalake_lake *)UNTOUCHED, "datalake_open wrote *out on failure");
  CHECK_STATUS(datalake_open(config, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_open(out NULL)");
  CHECK_MESSAGE("out is NULL");
  CHECK_STATUS(datalake_open(bad_utf8, &lake_out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_open(bad UTF-8)");
  CHECK_MESSAGE("not valid UTF-8");

  CHECK_STATUS(datalake_validate(NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_validate(NULL)");
  CHECK_STATUS(datalake_validate(config, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_validate(out NULL)");
  CHECK_MESSAGE("report_json is NULL");

  datalake_lake *lake = open_or_die(config);
  datalake_sync_options opts = datalake_sync_options_default();

  CHECK_STATUS(datalake_sync(NULL, profile, &opts, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync(lake NULL)");
  CHECK_MESSAGE("lake is NULL");
  CHECK_STATUS(datalake_sync(lake, NULL, &opts, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync(profile NULL)");
  CHECK_MESSAGE("profile is NULL");
  CHECK_STATUS(datalake_sync(lake, bad_utf8, &opts, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync(bad UTF-8)");
  CHECK_MESSAGE("profile is not valid UTF-8");
  CHECK_STATUS(datalake_sync(lake, profile, &opts, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync(out NULL)");
  CHECK_MESSAGE("report_json is NULL");
  CHECK_STATUS(datalake_sync_all(NULL, NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync_all(lake NULL)");
  CHECK_STATUS(datalake_sync_all(lake, NULL, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_sync_all(out NULL)");
  CHECK_STATUS(datalake_stats(NULL, profile, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_stats(lake NULL)");
  CHECK_STATUS(datalake_stats(lake, NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_stats(profile NULL)");
  CHECK_STATUS(datalake_stats(lake, profile, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_stats(out NULL)");
  CHECK_MESSAGE("stats_json is NULL");
  CHECK_STATUS(datalake_cleanup(NULL, profile, true, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_cleanup(lake NULL)");
  CHECK_STATUS(datalake_cleanup(lake, NULL, true, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_cleanup(profile NULL)");
  CHECK_STATUS(datalake_cleanup(lake, profile, true, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_cleanup(out NULL)");
  CHECK_STATUS(datalake_test_connection(NULL, profile, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_test_connection(lake NULL)");
  CHECK_STATUS(datalake_test_connection(lake, NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_test_connection(profile NULL)");
  CHECK_STATUS(datalake_test_connection(lake, profile, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_test_connection(out NULL)");
  CHECK_STATUS(datalake_checkpoint(NULL, profile, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_checkpoint(lake NULL)");
  CHECK_STATUS(datalake_checkpoint(lake, NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_checkpoint(profile NULL)");
  CHECK_STATUS(datalake_checkpoint(lake, profile, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_checkpoint(out NULL)");
  CHECK_MESSAGE("checkpoint_json is NULL");
  CHECK_STATUS(datalake_config(NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_config(lake NULL)");
  CHECK(out == UNTOUCHED, "an out-parameter was written by a failing call");

  /* Void functions accept NULL. */
  datalake_cancel(NULL);
  datalake_string_free(NULL);
  datalake_free(NULL);

  /* Static strings. */
  CHECK(strcmp(datalake_status_str(DATALAKE_OK), "ok") == 0, "status_str(OK) = %s", datalake_status_str(DATALAKE_OK));
  for (int i = 0; i < STATUS_COUNT; i++) {
    const char *s = datalake_status_str((datalake_status)i);
    CHECK(s != NULL && s[0] != '\0' && strcmp(s, "unknown status") != 0, "status_str(%d) = %s", i, s ? s : "NULL");
  }
  CHECK(strcmp(datalake_status_str((datalake_status)99), "unknown status") == 0, "status_str(99)");
  CHECK(datalake_version() != NULL && strlen(datalake_version()) > 0, "datalake_version is empty");

  /* Default options. */
  CHECK(!opts.dry_run && opts.cleanup && opts.jobs == 1 && opts.progress == NULL && opts.userdata == NULL && !opts.full,
        "datalake_sync_options_default: dry_run %d cleanup %d jobs %u", opts.dry_run, opts.cleanup, opts.jobs);

  /* Truncation: snprintf semantics. */
  CHECK_STATUS(datalake_stats(lake, NULL, &out), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_stats(profile NULL)");
  size_t n = datalake_last_error_message(NULL, 0);
  char small[8];
  memset(small, 'x', sizeof small);
  CHECK(datalake_last_error_message(small, 5) == n, "truncated copy must return the full length");
  CHECK(strlen(small) == 4 && small[5] == 'x', "truncated to len - 1 bytes plus NUL, nothing past len");
  char *full = last_error();
  CHECK(strncmp(full, small, 4) == 0, "truncated text is a prefix of the message");
  free(full);

  datalake_free(lake);
  printf("args: ok\n");
  return 0;
}

/* ---- validate ------------------------------------------------------------------------ */

static int cmd_validate(const char *good, const char *bad) {
  char *report = NULL;
  CHECK_STATUS(datalake_validate(good, &report), DATALAKE_OK, "datalake_validate(good)");
  CHECK_JSON(report, "\"ok\":true");
  CHECK_JSON(report, "\"errors\":[]");
  datalake_string_free(report);

  /* An invalid file hands the report out with DATALAKE_ERR_CONFIG. */
  report = NULL;
  CHECK_STATUS(datalake_validate(bad, &report), DATALAKE_ERR_CONFIG, "datalake_validate(bad)");
  CHECK(report != NULL, "datalake_validate(bad) did not hand the report out");
  CHECK_JSON(report, "\"ok\":false");
  CHECK_JSON(report, "\"line\":");
  CHECK_MESSAGE("invalid configuration");
  CHECK_MESSAGE(bad); /* file:line:col: ... */
  datalake_string_free(report);

  datalake_lake *lake = (datalake_lake *)UNTOUCHED;
  CHECK_STATUS(datalake_open(bad, &lake), DATALAKE_ERR_CONFIG, "datalake_open(bad)");
  CHECK_MESSAGE(bad);
  CHECK(lake == (datalake_lake *)UNTOUCHED, "datalake_open wrote *out on failure");

  lake = open_or_die(good);
  char *config = NULL;
  CHECK_STATUS(datalake_config(lake, &config), DATALAKE_OK, "datalake_config");
  CHECK_JSON(config, "\"profiles\":{");
  datalake_string_free(config);
  datalake_free(lake);
  printf("validate: ok\n");
  return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

struct counter {
  int calls;
};

static void count_progress(void *userdata, const datalake_progress *p) {
  struct counter *c = (struct counter *)userdata;
  c->calls++;
  CHECK(p != NULL, "progress callback got NULL");
  CHECK(p->bytes_total == 0 || p->bytes_done <= p->bytes_total, "bytes_done %llu > bytes_total %llu",
        (unsigned long long)p->bytes_done, (unsigned long long)p->bytes_total);
}

static int cmd_lifecycle(const char *config_path, const char *profile, const char *nfiles, const char *nexpired) {
  char needle[128];
  datalake_lake *lake = open_or_die(config_path);

  char *json = NULL;
  CHECK_STATUS(datalake_test_connection(lake, profile, &json), DATALAKE_OK, "datalake_test_connection");
  CHECK_JSON(json, "\"ok\":true");
  CHECK_JSON(json, "\"status\":\"ok\"");
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_checkpoint(lake, profile, &json), DATALAKE_OK, "datalake_checkpoint (before any sync)");
  CHECK(json != NULL && strcmp(json, "null") == 0, "checkpoint before the first sync: %s", json ? json : "(NULL)");
  datalake_string_free(json);

  struct counter progress = {0};
  datalake_sync_options opts = datalake_sync_options_default();
  opts.cleanup = false; /* keep the expired partitions for the cleanup checks below */
  opts.progress = count_progress;
  opts.userdata = &progress;
  json = NULL;
  CHECK_STATUS(datalake_sync(lake, profile, &opts, &json), DATALAKE_OK, "datalake_sync (first)");
  CHECK_JSON(json, "\"status\":\"success\"");
  snprintf(needle, sizeof needle, "\"profile\":\"%s\"", profile);
  CHECK_JSON(json, needle);
  snprintf(needle, sizeof needle, "\"files_transferred\":%s,", nfiles);
  CHECK_JSON(json, needle);
  CHECK_JSON(json, "\"dry_run\":false");
  CHECK_JSON(json, "\"cleanup\":null");
  CHECK_JSON(json, "\"mode\":\"full\""); /* the first sync is a full one */
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_stats(lake, profile, &json), DATALAKE_OK, "datalake_stats");
  snprintf(needle, sizeof needle, "\"profile_name\":\"%s\"", profile);
  CHECK_JSON(json, needle);
  CHECK_JSON(json, "\"exists\":true");
  CHECK_JSON(json, "\"last_sync_status\":\"success\"");
  snprintf(needle, sizeof needle, "\"expired_partitions\":%s,", nexpired);
  CHECK_JSON(json, needle);
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_checkpoint(lake, profile, &json), DATALAKE_OK, "datalake_checkpoint");
  CHECK_JSON(json, "\"last_sync_status\":\"success\"");
  CHECK_JSON(json, "\"consecutive_failures\":0");
  datalake_string_free(json);

  /* Retention: the dry run only reports, the real run deletes. */
  json = NULL;
  CHECK_STATUS(datalake_cleanup(lake, profile, true, &json), DATALAKE_OK, "datalake_cleanup (dry run)");
  CHECK_JSON(json, "\"dry_run\":true");
  snprintf(needle, sizeof needle, "\"deleted_dirs\":%s,", nexpired);
  CHECK_JSON(json, needle);
  datalake_string_free(json);
  json = NULL;
  CHECK_STATUS(datalake_cleanup(lake, profile, false, &json), DATALAKE_OK, "datalake_cleanup");
  CHECK_JSON(json, "\"dry_run\":false");
  CHECK_JSON(json, needle);
  datalake_string_free(json);
  json = NULL;
  CHECK_STATUS(datalake_stats(lake, profile, &json), DATALAKE_OK, "datalake_stats (after cleanup)");
  CHECK_JSON(json, "\"expired_partitions\":0,");
  datalake_string_free(json);

  /* Nothing new on the collector: a no-op sync, options NULL meaning defaults. */
  json = NULL;
  CHECK_STATUS(datalake_sync(lake, profile, NULL, &json), DATALAKE_OK, "datalake_sync (no-op)");
  CHECK_JSON(json, "\"files_transferred\":0,");
  CHECK_JSON(json, "\"cleanup\":{"); /* the default runs retention after the sync */
  CHECK_JSON(json, "\"mode\":\"window\"");
  datalake_string_free(json);

  /* options.full forces a full run. */
  json = NULL;
  opts = datalake_sync_options_default();
  opts.full = true;
  CHECK_STATUS(datalake_sync(lake, profile, &opts, &json), DATALAKE_OK, "datalake_sync (full)");
  CHECK_JSON(json, "\"mode\":\"full\"");
  CHECK_JSON(json, "\"files_missed_by_window\":0");
  datalake_string_free(json);

  /* sync_all: an array with one report per enabled profile. */
  json = NULL;
  opts = datalake_sync_options_default();
  opts.jobs = 2;
  CHECK_STATUS(datalake_sync_all(lake, &opts, &json), DATALAKE_OK, "datalake_sync_all");
  CHECK(json != NULL && json[0] == '[', "sync_all report is not a JSON array: %s", json ? json : "(NULL)");
  snprintf(needle, sizeof needle, "\"profile\":\"%s\"", profile);
  CHECK_JSON(json, needle);
  datalake_string_free(json);

  datalake_free(lake);
  printf("lifecycle: ok (%d progress callbacks)\n", progress.calls);
  return 0;
}

/* ---- expect -------------------------------------------------------------------------- */

static int cmd_expect(const char *op, const char *config, const char *profile, const char *status_s,
                      const char *substring, const char *report_s) {
  datalake_status want = status_from_name(status_s);
  int want_report = strcmp(report_s, "report") == 0;
  CHECK(want_report || strcmp(report_s, "none") == 0, "last argument must be report or none, got %s", report_s);
  char *out = UNTOUCHED;
  datalake_status got;
  datalake_lake *lake = NULL;

  if (strcmp(op, "open") == 0) {
    datalake_lake *l = (datalake_lake *)UNTOUCHED;
    got = datalake_open(config, &l);
    if (l != (datalake_lake *)UNTOUCHED) {
      out = NULL; /* a handle was written */
      if (got == DATALAKE_OK) datalake_free(l);
    }
  } else if (strcmp(op, "validate") == 0) {
    got = datalake_validate(config, &out);
  } else {
    lake = open_or_die(config);
    if (strcmp(op, "sync") == 0) {
      got = datalake_sync(lake, profile, NULL, &out);
    } else if (strcmp(op, "sync_all") == 0) {
      got = datalake_sync_all(lake, NULL, &out);
    } else if (strcmp(op, "stats") == 0) {
      got = datalake_stats(lake, profile, &out);
    } else if (strcmp(op, "cleanup") == 0) {
      got = datalake_cleanup(lake, profile, false, &out);
    } else if (strcmp(op, "test_connection") == 0) {
      got = datalake_test_connection(lake, profile, &out);
    } else if (strcmp(op, "checkpoint") == 0) {
      got = datalake_checkpoint(lake, profile, &out);
    } else {
      fprintf(stderr, "unknown operation %s\n", op);
      return 2;
    }
  }

  char *msg = last_error();
  fprintf(stderr, "%s(%s): %s: %s\n", op, profile, status_name(got), msg);
  if (out != UNTOUCHED && out != NULL) fprintf(stderr, "report: %s\n", out);
  CHECK_STATUS(got, want, op);
  CHECK(strlen(msg) > 0, "%s failed with an empty message", op);
  CHECK(strstr(msg, substring) != NULL, "%s: message does not mention \"%s\":\n  %s", op, substring, msg);
  free(msg);
  if (want_report) {
    CHECK(out != UNTOUCHED && out != NULL, "%s returned %s without handing the report out", op, status_s);
    CHECK(out[0] == '{' || out[0] == '[', "%s report is not JSON: %s", op, out);
    datalake_string_free(out);
  } else {
    CHECK(out == UNTOUCHED, "%s wrote its out-parameter although it failed with %s", op, status_s);
  }
  datalake_free(lake);
  printf("expect %s %s: ok\n", op, status_s);
  return 0;
}

/* ---- progress and cancel ------------------------------------------------------------- */

struct watch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t caller;
  int calls;
  int wrong_thread;
  int saw_bytes;
  int saw_file;
  int done;
  uint64_t last_bytes;
  int went_backwards;
  int distinct_bytes; /* how many different bytes_done > 0 values were seen */
};

static void watch_progress(void *userdata, const datalake_progress *p) {
  struct watch *w = (struct watch *)userdata;
  pthread_mutex_lock(&w->mu);
  w->calls++;
  if (!pthread_equal(pthread_self(), w->caller)) w->wrong_thread = 1;
  if (p->bytes_done < w->last_bytes) w->went_backwards = 1;
  if (p->bytes_done > 0 && p->bytes_done != w->last_bytes) w->distinct_bytes++;
  w->last_bytes = p->bytes_done;
  if (p->bytes_done > 0) w->saw_bytes = 1;
  /* current_file is borrowed: read it now, never keep the pointer. */
  if (p->current_file != NULL && strlen(p->current_file) > 0) w->saw_file = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void watch_init(struct watch *w) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->caller = pthread_self();
}

static void watch_destroy(struct watch *w) {
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
}

static int cmd_progress(const char *config, const char *profile) {
  datalake_lake *lake = open_or_die(config);
  struct watch w;
  watch_init(&w);
  datalake_sync_options opts = datalake_sync_options_default();
  opts.progress = watch_progress;
  opts.userdata = &w;
  char *json = NULL;
  CHECK_STATUS(datalake_sync(lake, profile, &opts, &json), DATALAKE_OK, "datalake_sync");
  CHECK_JSON(json, "\"status\":\"success\"");
  datalake_string_free(json);
  CHECK(w.calls > 0, "no progress callback during a throttled sync");
  CHECK(!w.wrong_thread, "a progress callback ran on another thread than the caller's");
  CHECK(w.saw_bytes, "no progress event reported bytes_done > 0");
  CHECK(w.distinct_bytes >= 2, "progress only reported the end of the transfer (%d callbacks, %d distinct bytes_done "
        "values > 0): a throttled ~3 s transfer should report along the way", w.calls, w.distinct_bytes);
  CHECK(w.saw_file, "no progress event named the current file");
  CHECK(!w.went_backwards, "bytes_done went backwards");
  watch_destroy(&w);
  datalake_free(lake);
  printf("progress: ok (%d callbacks)\n", w.calls);
  return 0;
}

struct canceller {
  datalake_lake *lake;
  struct watch *w;
  double cancelled_at;
  int timed_out; /* cancelled after the 2 s wait rather than at a progress event */
};

/* Cancel once the sync is surely under way: at its first progress event, or
 * 2 s after it started (the transfer takes ~40 s), whichever comes first. */
static void *cancel_thread(void *arg) {
  struct canceller *c = (struct canceller *)arg;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  pthread_mutex_lock(&c->w->mu);
  while (c->w->calls == 0 && !c->w->done) {
    if (pthread_cond_timedwait(&c->w->cv, &c->w->mu, &deadline) == ETIMEDOUT) {
      c->timed_out = 1;
      break;
    }
  }
  int go = !c->w->done;
  pthread_mutex_unlock(&c->w->mu);
  if (go) {
    c->cancelled_at = now_seconds();
    datalake_cancel(c->lake); /* from another thread than the sync's */
  }
  return NULL;
}

static int cmd_cancel(const char *config, const char *profile) {
  datalake_lake *lake = open_or_die(config);
  struct watch w;
  watch_init(&w);
  struct canceller c = {lake, &w, 0.0, 0};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, cancel_thread, &c) == 0, "pthread_create failed");

  datalake_sync_options opts = datalake_sync_options_default();
  opts.progress = watch_progress;
  opts.userdata = &w;
  char *json = NULL;
  datalake_status st = datalake_sync(lake, profile, &opts, &json);
  double returned_at = now_seconds();
  pthread_mutex_lock(&w.mu);
  w.done = 1;
  pthread_cond_broadcast(&w.cv);
  pthread_mutex_unlock(&w.mu);
  pthread_join(t, NULL);
  fprintf(stderr, "sync returned %s %.3f s after cancel, %d progress callbacks; report: %s\n", status_name(st),
          c.cancelled_at > 0.0 ? returned_at - c.cancelled_at : -1.0, w.calls, json ? json : "(NULL)");

  CHECK(c.cancelled_at > 0.0, "the sync returned %s before it could be cancelled: make the file larger or bwlimit lower",
        status_name(st));
  CHECK_STATUS(st, DATALAKE_ERR_INTERRUPTED, "datalake_sync (cancelled)");
  CHECK_MESSAGE("interrupted");
  double delay = returned_at - c.cancelled_at;
  CHECK(delay < 5.0, "datalake_sync returned %.2f s after datalake_cancel (expected promptly)", delay);
  CHECK(json != NULL, "the interrupted sync did not hand its report out");
  CHECK_JSON(json, "\"status\":\"interrupted\"");
  CHECK_JSON(json, "\"error_kind\":\"interrupted\"");
  datalake_string_free(json);
  CHECK(!w.wrong_thread, "a progress callback ran on another thread than the caller's");

  json = NULL;
  CHECK_STATUS(datalake_checkpoint(lake, profile, &json), DATALAKE_OK, "datalake_checkpoint");
  CHECK_JSON(json, "\"last_sync_status\":\"interrupted\"");
  CHECK_JSON(json, "\"running\":null");
  datalake_string_free(json);

  watch_destroy(&w);
  datalake_free(lake);
  printf("cancel: ok (returned %.3f s after cancel)\n", delay);
  return 0;
}

/* ---- verify cancelled ---------------------------------------------------------------- */

struct verify_canceller {
  datalake_lake *lake;
  const char *reached; /* a file the collector side creates when rsync got there */
  double cancelled_at;
};

static void *cancel_when_reached(void *arg) {
  struct verify_canceller *c = (struct verify_canceller *)arg;
  struct stat st;
  double deadline = now_seconds() + 60.0;
  while (stat(c->reached, &st) != 0 && now_seconds() < deadline) {
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  c->cancelled_at = now_seconds();
  datalake_cancel(c->lake); /* from another thread than the verify's */
  return NULL;
}

static int cmd_verify_cancel(const char *config, const char *profile, const char *reached) {
  datalake_lake *lake = open_or_die(config);
  struct verify_canceller c = {lake, reached, 0.0};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, cancel_when_reached, &c) == 0, "pthread_create failed");
  char *json = UNTOUCHED;
  datalake_status st = datalake_verify(lake, profile, true, NULL, NULL, &json);
  double returned_at = now_seconds();
  pthread_join(t, NULL);
  struct stat seen;
  CHECK(stat(reached, &seen) == 0, "the comparison never reached the collector (%s missing)", reached);
  CHECK_STATUS(st, DATALAKE_ERR_INTERRUPTED, "datalake_verify (cancelled)");
  CHECK_MESSAGE("verify of profile");
  CHECK_MESSAGE("interrupted");
  double delay = returned_at - c.cancelled_at;
  CHECK(delay < 5.0, "datalake_verify returned %.2f s after datalake_cancel (expected promptly)", delay);
  CHECK(json == UNTOUCHED, "an interrupted verify wrote its report");

  /* The cancel reached only the run in progress: a local verify afterwards succeeds. */
  json = NULL;
  CHECK_STATUS(datalake_verify(lake, profile, false, NULL, NULL, &json), DATALAKE_OK, "datalake_verify (after)");
  CHECK_JSON(json, "\"ok\":true");
  datalake_string_free(json);
  datalake_free(lake);
  printf("verify-cancel: ok (returned %.3f s after cancel)\n", delay);
  return 0;
}

/* ---- aggregates ---------------------------------------------------------------------- */

static int cmd_aggregates(const char *config, const char *enabled, const char *all) {
  datalake_lake *lake = open_or_die(config);
  char *json = NULL;
  CHECK_STATUS(datalake_select_profiles(lake, "sync", &json), DATALAKE_OK, "datalake_select_profiles(sync)");
  CHECK(strcmp(json, enabled) == 0, "sync covers %s, expected %s", json, enabled);
  datalake_string_free(json);
  json = NULL;
  CHECK_STATUS(datalake_select_profiles(lake, "verify", &json), DATALAKE_OK, "datalake_select_profiles(verify)");
  CHECK(strcmp(json, all) == 0, "verify covers %s, expected %s", json, all);
  datalake_string_free(json);
  char *untouched = UNTOUCHED;
  CHECK_STATUS(datalake_select_profiles(lake, "purge", &untouched), DATALAKE_ERR_INVALID_ARGUMENT,
               "datalake_select_profiles(purge)");
  CHECK_MESSAGE("unknown command");
  CHECK(untouched == UNTOUCHED, "an out-parameter was written on failure");

  json = NULL;
  CHECK_STATUS(datalake_cleanup_all(lake, true, &json), DATALAKE_OK, "datalake_cleanup_all (dry run)");
  CHECK_JSON(json, "\"results\":[");
  CHECK_JSON(json, "\"dry_run\":true");
  printf("%s\n", json);
  datalake_string_free(json);
  datalake_free(lake);
  return 0;
}

/* ---- parallel ------------------------------------------------------------------------ */

struct job {
  datalake_lake *lake;
  const char *profile;
  datalake_status status;
  char *report;
  char message[512];
};

static void *sync_thread(void *arg) {
  struct job *j = (struct job *)arg;
  j->status = datalake_sync(j->lake, j->profile, NULL, &j->report);
  /* The last error is per thread: read it on this thread. */
  datalake_last_error_message(j->message, sizeof j->message);
  return NULL;
}

static int cmd_parallel(const char *config, const char *p1, const char *p2) {
  datalake_lake *lake = open_or_die(config);
  struct job jobs[2] = {{lake, p1, DATALAKE_ERR_PANIC, NULL, ""}, {lake, p2, DATALAKE_ERR_PANIC, NULL, ""}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    CHECK(pthread_create(&t[i], NULL, sync_thread, &jobs[i]) == 0, "pthread_create failed");
  }
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++) {
    CHECK(jobs[i].status == DATALAKE_OK, "parallel sync of %s: %s: %s", jobs[i].profile,
          status_name(jobs[i].status), jobs[i].message);
    char needle[128];
    snprintf(needle, sizeof needle, "\"profile\":\"%s\"", jobs[i].profile);
    CHECK_JSON(jobs[i].report, needle);
    CHECK_JSON(jobs[i].report, "\"status\":\"success\"");
    datalake_string_free(jobs[i].report);
  }
  datalake_free(lake);
  printf("parallel: ok\n");
  return 0;
}

/* ---- main ---------------------------------------------------------------------------- */

/* ---- quality ------------------------------------------------------------------------- */

static int cmd_quality(const char *config, const char *profile) {
  datalake_lake *lake = open_or_die(config);
  char *json = NULL;
  char *untouched = UNTOUCHED;
  struct counter progress = {0};

  CHECK_STATUS(datalake_verify(NULL, profile, false, NULL, NULL, &untouched), DATALAKE_ERR_INVALID_ARGUMENT,
               "datalake_verify(lake NULL)");
  CHECK_STATUS(datalake_verify(lake, NULL, false, NULL, NULL, &untouched), DATALAKE_ERR_INVALID_ARGUMENT,
               "datalake_verify(profile NULL)");
  CHECK_STATUS(datalake_verify(lake, profile, false, NULL, NULL, NULL), DATALAKE_ERR_INVALID_ARGUMENT,
               "datalake_verify(out NULL)");
  CHECK_STATUS(datalake_coverage(lake, NULL, &untouched), DATALAKE_ERR_INVALID_ARGUMENT,
               "datalake_coverage(profile NULL)");
  CHECK_STATUS(datalake_coverage(lake, profile, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "datalake_coverage(out NULL)");
  CHECK(untouched == UNTOUCHED, "an out-parameter was written on failure");

  /* A quarantined file makes the run partial: DATALAKE_ERR_SYNC, with the report. */
  CHECK_STATUS(datalake_sync(lake, profile, NULL, &json), DATALAKE_ERR_SYNC, "datalake_sync (a broken file)");
  CHECK(json != NULL, "no sync report");
  printf("%s\n", json);
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_verify(lake, profile, false, count_progress, &progress, &json), DATALAKE_OK,
               "datalake_verify");
  CHECK(progress.calls > 0, "no progress callback during verify");
  printf("%s\n", json);
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_verify(lake, profile, true, NULL, NULL, &json), DATALAKE_OK, "datalake_verify (remote)");
  printf("%s\n", json);
  datalake_string_free(json);

  json = NULL;
  CHECK_STATUS(datalake_coverage(lake, profile, &json), DATALAKE_OK, "datalake_coverage");
  printf("%s\n", json);
  datalake_string_free(json);

  datalake_free(lake);
  return 0;
}

/* ---- synced ----------------------------------------------------------------------------- */

static int cmd_synced(const char *config, const char *profile) {
  datalake_lake *lake = open_or_die(config);
  char *json = NULL;
  CHECK_STATUS(datalake_sync(lake, profile, NULL, &json), DATALAKE_OK, "datalake_sync");
  CHECK(json != NULL, "no sync report");
  printf("%s\n", json);
  datalake_string_free(json);
  json = NULL;
  CHECK_STATUS(datalake_stats(lake, profile, &json), DATALAKE_OK, "datalake_stats");
  printf("%s\n", json);
  datalake_string_free(json);
  datalake_free(lake);
  return 0;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "args") == 0 && argc == 4) return cmd_args(argv[2], argv[3]);
  if (strcmp(cmd, "validate") == 0 && argc == 4) return cmd_validate(argv[2], argv[3]);
  if (strcmp(cmd, "lifecycle") == 0 && argc == 6) return cmd_lifecycle(argv[2], argv[3], argv[4], argv[5]);
  if (strcmp(cmd, "expect") == 0 && argc == 8) return cmd_expect(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
  if (strcmp(cmd, "progress") == 0 && argc == 4) return cmd_progress(argv[2], argv[3]);
  if (strcmp(cmd, "cancel") == 0 && argc == 4) return cmd_cancel(argv[2], argv[3]);
  if (strcmp(cmd, "parallel") == 0 && argc == 5) return cmd_parallel(argv[2], argv[3], argv[4]);
  if (strcmp(cmd, "quality") == 0 && argc == 4) return cmd_quality(argv[2], argv[3]);
  if (strcmp(cmd, "synced") == 0 && argc == 4) return cmd_synced(argv[2], argv[3]);
  if (strcmp(cmd, "verify-cancel") == 0 && argc == 5) return cmd_verify_cancel(argv[2], argv[3], argv[4]);
  if (strcmp(cmd, "aggregates") == 0 && argc == 5) return cmd_aggregates(argv[2], argv[3], argv[4]);
  fprintf(stderr, "usage: see the comment at the top of tests/c/api_test.c (got %d arguments for \"%s\")\n", argc - 1,
          cmd);
  return 2;
}
