/*
 * C11 test program for the monitoring calls of libdatalake, driven by
 * tests/c/test_c_monitoring.py.
 *
 *   monitoring_test CONFIG PROFILE METRICS_DIR
 *       health before any sync (never ran), sync over SSH, datalake_metrics for the
 *       profile and for every profile (NULL), the .prom file sync wrote into
 *       METRICS_DIR, health after the sync, bad arguments.
 *
 * Every check failure prints where and why, and exits 1. Exit 0 means all passed.
 */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

static char UNTOUCHED_STORAGE;
#define UNTOUCHED (&UNTOUCHED_STORAGE)

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL, "cannot open %s", path);
  CHECK(fseek(f, 0, SEEK_END) == 0, "fseek %s", path);
  long n = ftell(f);
  CHECK(n > 0, "%s is empty", path);
  rewind(f);
  char *buf = (char *)malloc((size_t)n + 1);
  CHECK(buf != NULL, "out of memory");
  CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n, "short read of %s", path);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  CHECK(argc == 4, "usage: monitoring_test CONFIG PROFILE METRICS_DIR");
  const char *config = argv[1], *profile = argv[2], *metrics_dir = argv[3];
  datalake_lake *lake = NULL;
  CHECK_STATUS(datalake_open(config, &lake), DATALAKE_OK, "datalake_open");

  char *health = NULL;
  CHECK_STATUS(datalake_health(lake, "2h", &health), DATALAKE_OK, "datalake_health before");
  CHECK(strstr(health, "\"ok\":false") != NULL, "never synced must not be ok: %s", health);
  CHECK(strstr(health, "\"kind\":\"never_ran\"") != NULL, "expected never_ran: %s", health);
  datalake_string_free(health);

  char *report = NULL;
  CHECK_STATUS(datalake_sync(lake, profile, NULL, &report), DATALAKE_OK, "datalake_sync");
  datalake_string_free(report);

  char *text = NULL;
  CHECK_STATUS(datalake_metrics(lake, profile, &text), DATALAKE_OK, "datalake_metrics");
  char want[256];
  snprintf(want, sizeof want, "data_lake_sync_total{profile=\"%s\",status=\"success\"} 1\n", profile);
  CHECK(strstr(text, want) != NULL, "missing %s in:\n%s", want, text);
  CHECK(strstr(text, "# TYPE data_lake_stored_bytes gauge\n") != NULL, "no stored_bytes family:\n%s", text);

  char *all = NULL;
  CHECK_STATUS(datalake_metrics(lake, NULL, &all), DATALAKE_OK, "datalake_metrics(NULL)");
  CHECK(strstr(all, want) != NULL, "every profile's metrics lack %s", want);

  char path[4096];
  snprintf(path, sizeof path, "%s/datalake_%s.prom", metrics_dir, profile);
  char *written = read_file(path);
  CHECK(strstr(written, want) != NULL, "%s lacks %s", path, want);
  free(written);
  datalake_string_free(all);
  datalake_string_free(text);

  CHECK_STATUS(datalake_health(lake, "2h", &health), DATALAKE_OK, "datalake_health after");
  CHECK(strstr(health, "\"ok\":true") != NULL, "synced just now must be ok: %s", health);
  datalake_string_free(health);

  char *untouched = UNTOUCHED;
  CHECK_STATUS(datalake_health(lake, "soon", &untouched), DATALAKE_ERR_INVALID_ARGUMENT, "bad max_age");
  char *msg = last_error();
  CHECK(strstr(msg, "90min") != NULL, "the message should show how to write a duration: %s", msg);
  free(msg);
  CHECK_STATUS(datalake_metrics(lake, "no_such_profile", &untouched), DATALAKE_ERR_PROFILE_NOT_FOUND,
               "unknown profile");
  CHECK(untouched == UNTOUCHED, "an out-parameter was written on failure");

  datalake_free(lake);
  puts("monitoring_test: all checks passed");
  return 0;
}
